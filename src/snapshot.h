/* snapshot.h - the immutable, reference-counted picture of the last pass that
 * the HTTP API reads from its own thread; the loop publishes a new one. */
#ifndef ACE_SNAPSHOT_H
#define ACE_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "range.h"

/* One engine as /engines and /engines/{name} show it. */
struct snap_engine {
	char *name;
	char *id;
	char *host;      /* address clients use: the VPN's `host`, or 127.0.0.1-less
			    "host" of no-VPN mode (the engine name) */
	char *vpn;       /* "" when no VPN */
	char *docker_host; /* the Docker host it runs on (config name) */
	char *state;     /* Docker state: running, exited, ... */
	char *ns;        /* ns_state_str: current, stale-restart, ... */
	int port;        /* published host port (host.http_port) */
	int http_port;
	int https_port;
	int p2p_port;
	bool forwarded;
	char *health;    /* probe: "healthy", "unhealthy" or "unknown" */
	int probe_failures;
	int streams;     /* active streams when the snapshot was built; the
			    API shows the live registry's lists instead */
	bool visible;    /* may take streams now (GET /engines) */
	char *hidden_reason; /* why not, NULL when visible */
	int64_t started_at_ms; /* Docker State.StartedAt (wall), 0 unknown */
};

struct snap_vpn {
	char *name;
	char *docker_host;   /* the Docker host it is declared on */
	bool docker_host_down; /* that host did not answer the latest pass */
	char *container_id;  /* "" when missing */
	bool exists;
	bool running;
	char *health;        /* health_status_str: healthy, unhealthy, starting, none */
	bool connected;      /* available (SPEC §5 rule 1) */
	int forwarded_port;  /* 0 = none */
	char *public_ip;     /* NULL when unknown */
	char *api_error;     /* NULL when the control server answered */
	int engines;         /* owned engines on this VPN */
	struct port_range port_range;
	int64_t last_check_ms;      /* wall clock, ms since epoch */
	int64_t unhealthy_since_ms; /* 0 when available */
	int restarts;               /* docker restarts issued by us */
	int max_engines;            /* vpns[].max_engines: its share's ceiling */
};

/* One Docker host of the fleet (issue 11). */
struct snap_host {
	char *name;     /* config name ("default" for the top-level docker) */
	char *address;  /* unix:///... or tcp://HOST:PORT */
	bool ok;        /* answered the latest pass */
	char *error;    /* why not (curl's or Docker's words: a TLS error...) */
	int vpns;       /* declared VPNs on it */
	int engines;    /* owned engines seen on it */
};

/* The lease (lease.h) as the API shows it. */
struct snap_lease {
	bool present;   /* a daemon with a lease (false in tests) */
	char *role;     /* "holder", "standby" or "unknown" */
	char *holder;   /* the holder's id, NULL when none seen */
	char *self;     /* this daemon's id */
	char *why;      /* the last round's decision or error */
	int64_t since_ms;
	int64_t act_until_ms; /* holder: acts before this */
};

/* Cumulative counters since the daemon started. */
#define SNAP_HIST_BUCKETS 10
extern const double snap_hist_bounds[SNAP_HIST_BUCKETS]; /* seconds, ascending */

/* Indexed by enum action_kind (plan.h) and enum action_result (apply.h). */
#define SNAP_ACTION_KINDS 6
#define SNAP_ACTION_RESULTS 4

struct snap_metrics {
	uint64_t reconcile_total;
	uint64_t duration_buckets[SNAP_HIST_BUCKETS]; /* cumulative per bound */
	uint64_t duration_count;
	double duration_sum_s;
	uint64_t actions[SNAP_ACTION_KINDS][SNAP_ACTION_RESULTS];
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	uint64_t docker_requests; /* every Docker API request made */
	int64_t last_reload_success_ms; /* wall clock */
	/* Webhooks (notify.h's notify_stats) and the history. */
	uint64_t notify_sent, notify_failed_attempts, notify_dropped_full, notify_dropped_gave_up;
	uint64_t notify_queued;
	uint64_t events_total; /* history entries recorded (GET /events' last_seq) */
};

struct snapshot {
	int refs; /* guarded by the store's mutex */
	int64_t built_ms; /* wall clock */
	const char *mode; /* "single", "redundant" or "none" (static string) */
	bool config_loaded;
	bool docker_ok;
	char *docker_error;
	/* Docker failed on the latest pass: engines and VPNs are the last good
	 * observation, made at observed_ms (hidden once api.stale_grace passed). */
	bool stale;
	int64_t observed_ms; /* wall clock of the observation shown; 0 = none */
	/* Config. */
	char *config_json;   /* effective config as JSON, secrets "<redacted>" */
	char config_hash[17];
	char *config_source;
	int64_t last_reload_ms;
	char *last_reload_error; /* NULL after a good reload */
	char *api_key;       /* api.api_key_file contents, NULL = POSTs open */
	int replicas_min, replicas_max, min_free; /* replicas.*; max 0 = unknown */
	/* The last pass. */
	char *plan_json;     /* plan_to_json of the next pass's actions */
	struct snap_vpn *vpns;
	size_t n_vpns;
	struct snap_engine *engines; /* sorted by port */
	size_t n_engines;
	struct snap_host *hosts;
	size_t n_hosts;
	bool multi_host;     /* the config has several Docker hosts */
	struct snap_lease lease;
	bool standby;        /* another daemon holds the lease: no fleet here */
	struct snap_metrics metrics;
};

void snapshot_free(struct snapshot *s);

/* A published pointer under a mutex; readers take a reference. */
struct snapshot_store {
	pthread_mutex_t mu;
	struct snapshot *cur;
};

void snapshot_store_init(struct snapshot_store *st);
void snapshot_store_destroy(struct snapshot_store *st);
/* Publishes s (the store takes the caller's reference); the old one is
 * released when its last reader puts it back. */
void snapshot_publish(struct snapshot_store *st, struct snapshot *s);
/* A reference to the current snapshot, NULL before the first pass. */
struct snapshot *snapshot_get(struct snapshot_store *st);
void snapshot_put(struct snapshot_store *st, struct snapshot *s);
/* One more reference to a snapshot the caller already holds. */
void snapshot_ref(struct snapshot_store *st, struct snapshot *s);

/* Finds an engine by name or ID (full, or a unique prefix of >= 12 chars). */
const struct snap_engine *snapshot_find_engine(const struct snapshot *s, const char *name_or_id);

#endif
