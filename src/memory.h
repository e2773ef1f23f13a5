/* memory.h - what the daemon remembers between passes (never persisted): VPN
 * outages and restart back-off, engine streams and probes, action back-offs. */
#ifndef ACE_MEMORY_H
#define ACE_MEMORY_H

/* The daemon owns this memory and updates it (memory_observe, stream events,
 * probes, apply results); the planner only reads it. Not <memory.h>: the
 * build puts src/ first on the include path. */

#include <search.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "observe.h"

/* One declared VPN. Everything here can be lost on restart: the worst case is
 * one VPN restart happening a little later than it otherwise would. */
struct memory_vpn {
	char *name;
	int64_t unavailable_since_ms; /* 0 = available (or never seen) */
	int64_t available_since_ms;   /* 0 = unavailable (or never seen) */
	/* Set by memory_observe on the pass where the VPN came back from
	 * unavailable while its container kept the same ID and StartedAt (an
	 * internal Gluetun reconnect); cleared on the next observation. */
	bool was_unavailable;
	/* Flap damping (health.failover_after, health.recover_after): set once
	 * an outage has lasted failover_after (its share then moves to the
	 * other VPNs); cleared once it has been available for recover_after
	 * (its share comes back). */
	bool failed_over;
	/* Seen available since the daemon started: only then has it a share
	 * to hold while it is briefly unavailable. */
	bool been_available;
	/* Engines owe a restart after an internal reconnect; it falls due once
	 * the VPN has stayed available for recover_after, however often it
	 * flapped meanwhile (one restart per recovery). */
	bool reconnect_pending;
	/* Set on the one observation where that restart fell due. */
	bool reconnect_due;
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
struct memory_engine {
	char *id;
	int streams;         /* active streams; busy when > 0 */
	int probe_failures;  /* consecutive failed probes */
	bool probe_ok;       /* last probe answered */
	bool probed;         /* at least one probe result */
};

/* Rule 9: the apply layer records objects whose last action failed; the
 * planner leaves them alone until `until_ms` (see plan_compute). Keys are a
 * container name (creates), a container ID (engine actions) or a VPN name. */
struct memory_backoff {
	char *key;
	int64_t until_ms;
	int64_t wait_ms; /* the last wait, doubled on the next failure */
	/* Docker refused a create because a container we do not own has the
	 * name: the planner offers the next free port meanwhile. */
	bool name_taken;
	char *error; /* last error, for the plan's note; may be NULL */
};

/* Crash loops (issue 9): engines that exit within MEMORY_CRASH_WINDOW_MS of
 * starting, by slot (container name, which survives a re-create): the
 * planner re-creates them no earlier than next_attempt_ms, waiting
 * MEMORY_CRASH_BACKOFF_MIN_MS after the first exit, then twice as long
 * after each further one, up to MEMORY_CRASH_BACKOFF_MAX_MS. A slot is
 * forgotten once its engine has run for the window. */
#define MEMORY_CRASH_WINDOW_MS 60000
#define MEMORY_CRASH_BACKOFF_MIN_MS 10000
#define MEMORY_CRASH_BACKOFF_MAX_MS 300000

struct memory_slot {
	char *name;
	int crashes;             /* early exits in a row */
	int exit_code;           /* of the last one */
	int64_t ran_ms;          /* how long it ran, the last time */
	int64_t finished_at_ms;  /* Docker's FinishedAt: tells a new exit from one seen */
	int64_t wait_ms;         /* the last back-off */
	int64_t next_attempt_ms; /* not re-created before this (memory clock) */
	int64_t running_since_ms; /* seen running since (memory clock), 0 = not */
};

/* A set of entries keyed by their first member (a string). Each entry is
 * allocated on its own, so a pointer handed out stays valid until the entry
 * is forgotten; `v` lists them (in no particular order) for iteration. */
struct memory_set {
	void **v;
	size_t n, cap;
	void *root;              /* tsearch(3) tree over the keys */
};

/* Engines, the one set as large as the fleet: found by ID in a hsearch_r(3)
 * table (Docker IDs are random hex, which its hash spreads well), rebuilt
 * when entries are forgotten or it passes half full. */
struct memory_engines {
	struct memory_engine **v;
	size_t n, cap;
	struct hsearch_data index;
	size_t index_size;       /* 0: no table yet */
	unsigned seen;           /* mark of the last observation (memory.c) */
};

struct memory {
	struct memory_set vpns;       /* struct memory_vpn */
	struct memory_engines engines;
	struct memory_set backoffs;   /* struct memory_backoff */
	struct memory_set slots;      /* struct memory_slot */
	/* Extra serving engines asked for through POST /provision/acestream,
	 * set by the daemon: rule 4's target becomes max(min, busy + min_free
	 * + demand), still within replicas.max and capacity. */
	int demand;
};

void memory_init(struct memory *m);
void memory_free(struct memory *m);
/* A deep copy with its own indexes (dst is overwritten, not freed). */
void memory_copy(struct memory *dst, const struct memory *src);

/* Folds a new observation into m (pure: `now_ms` is the caller's clock):
 * VPN unavailable-since and reconnect detection, flap damping (failed_over,
 * reconnect restarts falling due), back-off reset when a VPN is available
 * again, engines exiting right after they started (crash slots), forgets
 * engines and VPNs that no longer exist. */
void memory_observe(struct memory *m, const struct config *cfg,
		    const struct observed *obs, int64_t now_ms);

/* Lookups, O(1) for engines and O(log n) otherwise; the *_get variants
 * create the entry. */
struct memory_vpn *memory_vpn(const struct memory *m, const char *name);
struct memory_vpn *memory_vpn_get(struct memory *m, const char *name);
struct memory_engine *memory_engine(const struct memory *m, const char *id);
struct memory_engine *memory_engine_get(struct memory *m, const char *id);

/* The crash record of a slot (container name), NULL when none. */
const struct memory_slot *memory_slot(const struct memory *m, const char *name);

/* Stream events and probe results for one engine. */
void memory_set_streams(struct memory *m, const char *id, int streams);
void memory_probe(struct memory *m, const char *id, bool ok);

/* Records that a VPN restart was issued at now_ms and arms the next one:
 * vpn_restart_after * 2^n (n = restarts in this outage), capped at
 * vpn_restart_backoff_max. */
void memory_vpn_restarted(struct memory *m, const struct config *cfg,
			  const char *vpn, int64_t now_ms);

/* Rule 9 hooks for the apply layer. until_ms <= now clears it. */
void memory_backoff(struct memory *m, const char *key, int64_t until_ms, const char *error);
void memory_backoff_clear(struct memory *m, const char *key);
/* Records one more failure of key at now_ms: waits min_ms the first time,
 * then twice the previous wait, up to max_ms. An entry is forgotten once a
 * further wait has passed after it expired without a new failure. Returns
 * the wait. */
int64_t memory_backoff_fail(struct memory *m, const char *key, int64_t now_ms,
			    int64_t min_ms, int64_t max_ms, const char *error);
/* Marks a backing-off create as refused for its name (HTTP 409). */
void memory_backoff_name_taken(struct memory *m, const char *name);
int64_t memory_backoff_until(const struct memory *m, const char *key);
/* The back-off of key, NULL when none. */
const struct memory_backoff *memory_backoff_find(const struct memory *m, const char *key);

#endif
