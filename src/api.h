/* api.h - the HTTP API of SPEC §7 on libmicrohttpd, plus what stream
 * proxies call: reads snapshots and the stream registry; writes go to hooks. */
#ifndef ACE_API_H
#define ACE_API_H

#include <stddef.h>

#include "history.h"
#include "snapshot.h"
#include "streams.h"

/* Called from the API's threads; must be thread-safe (the loop owns the
 * state; these record and queue). Each returns 0, or an HTTP status with a
 * message in err. */
struct api_hooks {
	/* engine_id: the full container ID found in the snapshot; s: the
	 * stream (s->engine_id unset). 429 when a cap (streams.*) refuses. */
	int (*stream_started)(void *ud, const char *engine_id, const struct stream_rec *s,
			      char *err, size_t errlen);
	/* Ends stream_id, or when it is NULL the most recent stream of
	 * engine_id; *ended receives the stream (the API clears it). 404
	 * when there is none. */
	int (*stream_ended)(void *ud, const char *stream_id, const char *engine_id,
			    struct stream_rec *ended, char *err, size_t errlen);
	/* POST /provision/acestream: one more engine should be serving. The
	 * daemon raises its demand by one (within replicas.max; it decides
	 * when the demand is spent) and requests a pass; the API then waits
	 * for an idle engine to show in the snapshot. A status (503) with a
	 * reason when it cannot. */
	int (*provision)(void *ud, char *err, size_t errlen);
	void *ud;
};

struct api_opts {
	struct streams *streams;  /* read for stream lists; NULL: snapshot counts */
	int per_ip_limit;         /* concurrent connections per address; 0 = none */
	unsigned conn_limit;      /* all connections; 0 = API_CONN_LIMIT */
	long deadline_ms;         /* whole-request deadline; 0 = API_DEADLINE_MS */
	struct history *history;  /* GET /events; NULL: an empty history */
};

#define API_CONN_LIMIT 512
#define API_DEADLINE_MS 10000

struct api;

/* listen: "HOST:PORT" ("127.0.0.1:8000", "[::1]:8000", "0.0.0.0:8000").
 * hooks and opts may be NULL. Returns NULL with a message in err when it
 * cannot listen. */
struct api *api_start(const char *listen, struct snapshot_store *st,
		      const struct api_hooks *hooks, char *err, size_t errlen);
struct api *api_start_opts(const char *listen, struct snapshot_store *st,
			   const struct api_hooks *hooks, const struct api_opts *opts,
			   char *err, size_t errlen);
/* Stops serving and releases everything api_start took (including a cached
 * snapshot reference: call it before snapshot_store_destroy). Waiting
 * provision requests are answered 503 first. NULL is a no-op. */
void api_stop(struct api *a);
/* The bound TCP port (useful with "HOST:0"). */
int api_port(const struct api *a);

#endif
