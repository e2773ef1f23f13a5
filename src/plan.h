/* plan.h - the pure reconciler (SPEC §5): declared config + observed world +
 * the loop's in-memory notes + a clock value -> an ordered list of actions. */
#ifndef ACE_PLAN_H
#define ACE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "observe.h"

struct cJSON;

/* ---- what the daemon loop remembers between passes (never persisted) ---- */

/* One declared VPN. Everything here can be lost on restart: the worst case is
 * one VPN restart happening a little later than it otherwise would. */
struct plan_vpn_mem {
	char *name;
	int64_t unavailable_since_ms; /* 0 = available (or never seen) */
	/* Set by plan_memory_observe on the pass where the VPN came back from
	 * unavailable while its container kept the same ID and StartedAt (an
	 * internal Gluetun reconnect); cleared on the next observation. */
	bool was_unavailable;
	int restarts;        /* total docker restarts issued (metrics) */
	int backoff_level;   /* restarts during the current outage */
	int64_t last_restart_ms;
	int64_t next_restart_allowed_ms; /* 0 = no back-off pending */
	/* Container identity when it became unavailable: tells a Gluetun
	 * reconnect (same) from a container restart/re-create (different). */
	char *down_id;
	int64_t down_started_at_ms;
	bool seen;           /* observed at least once */
};

/* One engine container, by ID. */
struct plan_engine_mem {
	char *id;
	int streams;         /* active streams; busy when > 0 */
	int probe_failures;  /* consecutive failed probes */
	bool probe_ok;       /* last probe answered */
	bool probed;         /* at least one probe result */
};

/* Rule 9: the apply layer records objects whose last action failed; the
 * planner leaves them alone until `until_ms` (see plan_compute). Keys are a
 * container name (creates), a container ID (engine actions) or a VPN name. */
struct plan_backoff {
	char *key;
	int64_t until_ms;
	int64_t wait_ms; /* the last wait, doubled on the next failure */
	/* Docker refused a create because a container we do not own has the
	 * name: the planner offers the next free port meanwhile. */
	bool name_taken;
	char *error; /* last error, for the plan's note; may be NULL */
};

struct plan_memory {
	int demand; /* extra serving engines asked for (POST /provision/acestream) */
	struct plan_vpn_mem *vpns;
	size_t n_vpns, cap_vpns;
	struct plan_engine_mem *engines;
	size_t n_engines, cap_engines;
	struct plan_backoff *backoffs;
	size_t n_backoffs, cap_backoffs;
};

void plan_memory_init(struct plan_memory *m);
void plan_memory_free(struct plan_memory *m);
/* A deep copy (dst is overwritten, not freed). */
void plan_memory_copy(struct plan_memory *dst, const struct plan_memory *src);

/* Folds a new observation into m (pure: `now_ms` is the caller's clock):
 * VPN unavailable-since and reconnect detection, back-off reset when a VPN is
 * available again, forgets engines and VPNs that no longer exist. */
void plan_memory_observe(struct plan_memory *m, const struct config *cfg,
			 const struct observed *obs, int64_t now_ms);

/* Lookups; the *_get variants create the entry. */
struct plan_vpn_mem *plan_memory_vpn(const struct plan_memory *m, const char *name);
struct plan_vpn_mem *plan_memory_vpn_get(struct plan_memory *m, const char *name);
struct plan_engine_mem *plan_memory_engine(const struct plan_memory *m, const char *id);
struct plan_engine_mem *plan_memory_engine_get(struct plan_memory *m, const char *id);

/* Stream events and probe results for one engine. */
void plan_memory_set_streams(struct plan_memory *m, const char *id, int streams);
void plan_memory_probe(struct plan_memory *m, const char *id, bool ok);

/* Records that a VPN restart was issued at now_ms and arms the next one:
 * vpn_restart_after * 2^n (n = restarts in this outage), capped at
 * vpn_restart_backoff_max. */
void plan_memory_vpn_restarted(struct plan_memory *m, const struct config *cfg,
			       const char *vpn, int64_t now_ms);

/* Rule 9 hooks for the apply layer. until_ms <= now clears it. */
void plan_memory_backoff(struct plan_memory *m, const char *key,
			 int64_t until_ms, const char *error);
void plan_memory_backoff_clear(struct plan_memory *m, const char *key);
/* Records one more failure of key at now_ms: waits min_ms the first time,
 * then twice the previous wait, up to max_ms. An entry is forgotten once a
 * further wait has passed after it expired without a new failure. Returns
 * the wait. */
int64_t plan_memory_backoff_fail(struct plan_memory *m, const char *key, int64_t now_ms,
				 int64_t min_ms, int64_t max_ms, const char *error);
/* Marks a backing-off create as refused for its name (HTTP 409). */
void plan_memory_backoff_name_taken(struct plan_memory *m, const char *name);
int64_t plan_memory_backoff_until(const struct plan_memory *m, const char *key);

/* ---- actions ---- */

enum action_kind {
	ACT_CREATE = 0,  /* create + start an engine from `spec` */
	ACT_START,       /* start an existing container (reserved: not planned today) */
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
	int target;    /* serving target T of rule 4 */
	int busy;
	int capacity;
};

void plan_init(struct plan *p);
void plan_free(struct plan *p);

/*
 * The reconciler. Pure: no I/O, no globals, no clock; the same inputs give
 * the same plan (whatever the order of obs->engines). `mem` may be NULL (a
 * fresh daemon); call plan_memory_observe with the same obs first. `out` is
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
 */
size_t plan_compute(const struct config *cfg, const struct observed *obs,
		    const struct plan_memory *mem, int64_t now_ms, struct plan *out);

/* Rule 1. */
bool plan_vpn_available(const struct vpn_obs *v);

/* Whether /engines may offer an engine (SPEC §7: available VPN, running,
 * attached, passing its probe). An engine with no probe result yet is hidden
 * ("not probed yet"), so probe new engines promptly. When hidden, *why gets
 * a static string; NULL when visible. */
bool plan_engine_visible(const struct config *cfg, const struct observed *obs,
			 const struct plan_memory *mem, const struct engine_obs *e,
			 const char **why);

/* Output for `ace-orchestrator plan` and GET /plan. The text numbers actions
 * from 1 (after=N refers to that number); JSON keeps 0-based "after". */
void plan_format_text(const struct plan *p, FILE *out);
struct cJSON *plan_to_json(const struct plan *p);

#endif
