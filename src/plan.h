/* plan.h - the pure reconciler (SPEC §5): declared config + observed world +
 * the loop's in-memory notes + a clock value -> an ordered list of actions. */
#ifndef ACE_PLAN_H
#define ACE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "memory.h"
#include "observe.h"

struct cJSON;

/* ---- actions ---- */

enum action_kind {
	ACT_CREATE = 0,  /* create + start an engine from `spec` */
	ACT_START,       /* start an exited engine that stopped with its VPN (SPEC §2) */
	ACT_RESTART,     /* docker restart engine: re-joins the VPN namespace */
	ACT_REMOVE,      /* stop (spec-less, engine.stop_timeout) + remove */
	ACT_RECREATE,    /* remove, then create the same slot from `spec` */
	ACT_RESTART_VPN, /* docker restart of a VPN container */
};
const char *action_kind_str(enum action_kind k);

/* Everything needed to create one engine container; derived, never stored. */
struct engine_spec {
	char *name;         /* {name_prefix}-{http_port} */
	char *image;
	struct kv *env;     /* expanded templates; pos is zero */
	size_t n_env;
	char **cmd;         /* expanded engine.command */
	size_t n_cmd;
	struct kv *labels;  /* engine.labels + acestream.* (SPEC §4), sorted by key */
	size_t n_labels;
	char *network_mode; /* "container:<vpn id>" or cfg->network */
	char *docker_host;  /* where it is created: its VPN's Docker host name */
	char *vpn;          /* "" when no VPN */
	char *vpn_id;       /* "" when no VPN */
	int slot;
	int http_port;
	int https_port;
	int p2p_port;
	int host_port;      /* == http_port; published only when !behind_vpn */
	bool behind_vpn;
	bool forwarded;
	int64_t memory_limit;
	int64_t stop_timeout_ms;
};

/* Builds the spec of the engine at http_port of a VPN (vpn "" and vpn_id ""
 * in no-VPN mode, where the port comes from cfg->ports). p2p_port 0 means
 * p2p_port_base + slot; a forwarded engine passes the VPN's forwarded port.
 * `hash` is config_engine_hash(cfg), computed once per pass by the caller. */
struct engine_spec *plan_engine_spec(const struct config *cfg, const char *vpn,
				     const char *vpn_id, struct port_range range,
				     int http_port, bool forwarded, int p2p_port,
				     const char *hash);
void engine_spec_free(struct engine_spec *s);
/* Value of one label of a spec, NULL when absent. */
const char *engine_spec_label(const struct engine_spec *s, const char *key);
const char *engine_spec_env(const struct engine_spec *s, const char *key);

/*
 * Ordering (make before break): the plan is sorted by phase. Phase 0 holds
 * VPN restarts, removals of dead engines, restarts, re-creates and creates;
 * phase 1 holds removals that only make sense once replacements exist.
 * A phase-1 action runs only if the action at index `after` succeeded, or,
 * when after == -1, only if every ACT_CREATE of phase 0 succeeded.
 */
struct action {
	enum action_kind kind;
	char *name;    /* container name (engine or VPN) */
	char *id;      /* container ID; NULL for creates */
	char *vpn;     /* VPN name, "" when none */
	/* The Docker host (config name) the action runs on: the container's
	 * own host; for a create, its VPN's. A re-create removes on this host
	 * and creates on spec->docker_host (a VPN moved to another host). */
	char *host;
	char *reason;  /* human, e.g. "vpn gluetun restarted; namespace stale" */
	int phase;
	int after;     /* index into plan.v of a prerequisite, or -1 */
	struct engine_spec *spec; /* ACT_CREATE, ACT_RECREATE; NULL otherwise */
};

/* The back-off key of an action's object (rule 9): the container name for
 * creates and VPN restarts, the container ID for other engine actions. */
const char *plan_backoff_key(const struct action *a);

struct plan_note {
	char *vpn;     /* "" for fleet-wide notes */
	char *text;
};

struct plan {
	struct action *v;
	size_t n, cap;
	struct plan_note *notes;
	size_t n_notes, cap_notes;
	char *reason;  /* set when nothing can be done (docker down, no VPN up) */
	bool multi_host; /* the config has several Docker hosts: name them */
	int target;    /* serving target T of rule 4 */
	int busy;
	int capacity;
};

void plan_init(struct plan *p);
void plan_free(struct plan *p);

/*
 * The reconciler. Pure: no I/O, no globals, no clock; the same inputs give
 * the same plan (whatever the order of obs->engines). `mem` may be NULL (a
 * fresh daemon); call memory_observe with the same obs first. `out` is
 * initialised here and must be released with plan_free. Returns the number
 * of actions.
 *
 * Rule 9 is shared with apply: apply records failures in mem (back-off keys:
 * the container name for creates and VPN restarts, the container ID for other
 * engine actions); the planner leaves out actions on objects still backing
 * off, notes them, and also leaves out the phase-1 removals that depended on
 * them (a failing create must never turn a replacement into a plain removal).
 *
 * Choices worth knowing: a port held by any owned container (even one removed
 * in this same plan) is not free, so replacements take another port and the
 * old slot is reused on a later pass; probe failures only count while the
 * VPN is available (a tunnel outage fails every probe); the forwarded engine
 * is re-created in place on drift since two engines cannot bind the same
 * forwarded P2P port in one namespace; an engine labelled forwarded on a VPN
 * with port_forwarding: off is retired like an extra forwarded engine.
 *
 * Flap damping (health.failover_after, health.recover_after): an unavailable
 * VPN's engines are hidden at once, but its share of the target stays with
 * it until it has been unavailable for failover_after (a VPN never seen
 * available since the daemon started has none to hold); once it is back, its share
 * returns after recover_after, and so do its reconnect restarts (rule 3,
 * once per recovery, engines hidden meanwhile). Both read the memory that
 * memory_observe keeps; with mem NULL there is no damping.
 *
 * Docker hosts (issue 11): a VPN whose host did not answer is unavailable
 * (rule 1: hidden at once, its share moves after failover_after), and
 * nothing on that host is acted upon until it answers: no VPN restart, no
 * removal, no re-create, no create, whatever its last view says; its
 * engines keep their ports and names, so nothing replaces them under the
 * same name elsewhere. The plan notes each such host.
 *
 * Exited engines (SPEC §2, rule 7): on an unavailable VPN they are left
 * alone (an engine cannot join a container that is not running). On an
 * available one, an engine whose VPN started after it did stopped with its
 * VPN (host reboot, dockerd restart): it is started (ACT_START), or
 * re-created when its config drifted; one whose VPN was re-created is
 * re-created; one that exited on its own while its VPN ran is removed and
 * replaced, unless it exited within MEMORY_CRASH_WINDOW_MS of starting: then
 * it is re-created in place once its slot's crash back-off (memory.h) has
 * passed, and meanwhile counts in its VPN's share, so a crash loop never
 * spills onto new ports.
 */
size_t plan_compute(const struct config *cfg, const struct observed *obs,
		    const struct memory *mem, int64_t now_ms, struct plan *out);

/* Rule 1. */
bool plan_vpn_available(const struct vpn_obs *v);

/* Whether /engines may offer an engine (SPEC §7: available VPN, running,
 * attached, passing its probe). An engine with no probe result yet is hidden
 * ("not probed yet"), so probe new engines promptly. When hidden, *why gets
 * a static string; NULL when visible. */
bool plan_engine_visible(const struct config *cfg, const struct observed *obs,
			 const struct memory *mem, const struct engine_obs *e,
			 const char **why);

/* The same with the reason written out for one engine (no static text):
 * for a crash loop, how it exited, how often, and when the next attempt is
 * (now_ms: memory's clock). why gets "" when visible. */
bool plan_engine_visible_at(const struct config *cfg, const struct observed *obs,
			    const struct memory *mem, const struct engine_obs *e,
			    int64_t now_ms, char *why, size_t len);

/* Output for `ace-orchestrator plan` and GET /plan. The text numbers actions
 * from 1 (after=N refers to that number); JSON keeps 0-based "after". */
void plan_format_text(const struct plan *p, FILE *out);
struct cJSON *plan_to_json(const struct plan *p);

#endif
