/* observe.h - the observed state: what Docker and Gluetun say now, in the
 * plain-data form the planner consumes (struct observed), and how it is built. */
#ifndef ACE_OBSERVE_H
#define ACE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct docker;

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

struct observed {
	bool docker_ok;      /* the list call worked: the engines are all here */
	/* When !docker_ok, why; otherwise the first of n_errors inspects that
	 * failed (those objects keep their previous observation). */
	char *docker_error;
	unsigned n_errors;
	struct engine_obs *engines;
	size_t n_engines;
	struct vpn_obs *vpns;
	size_t n_vpns;
};

void observed_free(struct observed *o);
/* A deep copy (dst is overwritten, not freed). */
void observed_copy(struct observed *dst, const struct observed *src);
/* The observation of the VPN of that name, NULL when none. */
const struct vpn_obs *observed_vpn(const struct observed *o, const char *name);
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

#endif
