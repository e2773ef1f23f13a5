/* observe.h - the observed state: what Docker and Gluetun say now, in the
 * plain-data form the planner consumes (struct observed), and how it is built. */
#ifndef ACE_OBSERVE_H
#define ACE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct docker;
struct docker_err;

/* Where an engine's network namespace stands relative to its VPN (SPEC §2). */
enum ns_state {
	NS_UNKNOWN = 0,    /* not inspected (yet) or not behind a VPN */
	NS_CURRENT,        /* NetworkMode names the VPN's ID, started after it */
	NS_STALE_RESTART,  /* same VPN ID, but the VPN started after the engine */
	NS_STALE_RECREATE, /* VPN ID changed, or the VPN is gone */
};
const char *ns_state_str(enum ns_state s);

/* Docker's State.Health.Status, plus "none" when there is no health check. */
enum health_status {
	HEALTH_NONE = 0,
	HEALTH_STARTING,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};
const char *health_status_str(enum health_status h);
enum health_status health_status_parse(const char *s);

struct engine_obs {
	char *id;
	char *name;
	char *host;   /* the Docker host it was listed on; NULL = the default */
	char *state;  /* Docker State: running, exited, created, dead, ... */
	bool running;
	/* From labels. */
	char *vpn;    /* acestream.vpn_container ("" when no VPN) */
	char *vpn_id; /* acestream.vpn_id */
	bool forwarded;
	int http_port;
	int https_port;
	int p2p_port;
	int host_port;
	char *config_hash;
	/* From inspect (only when inspected). */
	bool inspected;
	char *network_mode;    /* HostConfig.NetworkMode */
	int64_t started_at_ms; /* State.StartedAt, ms since epoch; 0 unknown */
	int64_t finished_at_ms; /* State.FinishedAt (last exit); 0 unknown */
	int exit_code;         /* State.ExitCode of that exit */
	enum ns_state ns;
};

struct vpn_obs {
	char *name; /* declared name; vpns[i] matches config->vpns[i] */
	char *host; /* the Docker host it is declared on; NULL = the default */
	/* That host did not answer this pass: the rest is the last view of it,
	 * and the VPN is unavailable (plan_vpn_available) whatever it said. */
	bool host_down;
	bool exists;
	char *id;
	bool running;
	char *state;
	enum health_status health;
	int64_t started_at_ms;
	/* Control server. */
	bool api_ok;        /* answered the last request */
	char *api_error;    /* why not, NULL when ok */
	int fwd_port;       /* first forwarded port, 0 = none */
	int *fwd_ports;
	size_t n_fwd_ports;
	int64_t ports_read_ms; /* when fwd ports were last read (cache) */
	char *public_ip;
};

/* One Docker host as the pass saw it. */
struct host_obs {
	char *name;    /* config's docker_hosts[i].name */
	char *address; /* its docker host string, for messages */
	bool ok;       /* its list call worked this pass */
	char *error;   /* why not (curl's or Docker's words), NULL when ok */
	unsigned n_errors; /* inspects that failed on it (kept the last view) */
};

struct observed {
	/* The list call worked on at least one host: the engines of every
	 * host that answered are all here, those of the others are their last
	 * view (hosts[].ok says which). */
	bool docker_ok;
	/* When !docker_ok, why; otherwise the first of n_errors inspects that
	 * failed (those objects keep their previous observation). */
	char *docker_error;
	unsigned n_errors;
	struct engine_obs *engines;
	size_t n_engines;
	struct vpn_obs *vpns;
	size_t n_vpns;
	/* Per declared Docker host, in config order; none in observations
	 * built by hand (tests), where every object is on a reachable host. */
	struct host_obs *hosts;
	size_t n_hosts;
};

void observed_free(struct observed *o);
/* A deep copy (dst is overwritten, not freed). */
void observed_copy(struct observed *dst, const struct observed *src);
/* The observation of the VPN of that name, NULL when none. */
const struct vpn_obs *observed_vpn(const struct observed *o, const char *name);
/* Whether the named host answered ("" or NULL: the default host; a host
 * the observation does not list counts as answering). */
bool observed_host_ok(const struct observed *o, const char *host);
/* The observation of the named host, NULL when none. */
const struct host_obs *observed_host(const struct observed *o, const char *host);
void engine_obs_clear(struct engine_obs *e);
void vpn_obs_clear(struct vpn_obs *v);

/* Classifies an engine against its VPN (SPEC §2): pure. */
enum ns_state observe_classify(const char *engine_network_mode,
			       int64_t engine_started_ms, const char *label_vpn_id,
			       const struct vpn_obs *vpn);

/* Inputs of observe_build beyond the config. */
struct observe_opts {
	/* Engine IDs touched by Docker events or acted upon since the last pass:
	 * re-inspected (full IDs or unique prefixes of at least 12 characters). */
	const char *const *dirty_ids;
	size_t n_dirty;
	/* Re-inspect every engine (first pass, periodic resync, events stream
	 * interrupted). */
	bool inspect_all;
	/* Out, optional: engine inspects done. */
	unsigned *n_engine_inspects;
};

/* Builds *out from one label-filtered list call, an inspect of every declared
 * VPN and inspects of engines only when needed (new since prev, dirty, state
 * changed, or their VPN's ID/StartedAt moved). The control servers are not
 * read here (ctrl.c); a VPN's api_* fields stay empty. prev may be NULL, opts
 * too. Returns 0; -1 when the list failed, with out->docker_ok false and
 * out->docker_error set (out->vpns still names every declared VPN). A failed
 * inspect (not a 404) keeps that object's previous observation and is
 * counted in out->n_errors. */
int observe_build(struct docker *d, const struct config *cfg, const struct observed *prev,
		  const struct observe_opts *opts, struct observed *out);

/* The whole fleet: every host of cfg observed at the same time, each on its
 * own thread with its own client (clients[i] for cfg->docker_hosts[i]; NULL
 * with client_errs[i] when none could be made), so a dead or slow host
 * costs its own timeout once, in parallel, and delays no other host. A host
 * whose list fails makes none of its inspects: its VPNs keep their last
 * view marked host_down, its engines their last view, and hosts[] says why.
 * Returns 0 when at least one host answered; -1 when none did (docker_ok
 * false, docker_error the default host's error). */
int observe_fleet(struct docker *const *clients, const struct docker_err *client_errs,
		  const struct config *cfg, const struct observed *prev,
		  const struct observe_opts *opts, struct observed *out);

#endif
