/* streams.h - the stream registry: which engine serves which stream, as the
 * proxy reports it; bounded (caps, TTL), shared by the API thread and the loop. */
#ifndef ACE_STREAMS_H
#define ACE_STREAMS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One active stream. Strings other than id and engine_id may be NULL: our
 * own event body carries only the IDs; upstream's (krinkuto11) carries the
 * rest, and GET /streams gives it back. */
struct stream_rec {
	char *id;
	char *engine_id;           /* full container ID */
	char *key_type;            /* content_id, infohash, url, magnet */
	char *key;
	char *playback_session_id;
	char *stat_url;
	char *command_url;
	bool is_live;
	int64_t started_ms;        /* wall clock, for display */
};

void stream_rec_clear(struct stream_rec *r);

/* Bounds; <= 0 means none (config: streams.max_per_engine, max_total, ttl). */
struct streams_limits {
	int max_per_engine;
	int max_total;
	int64_t ttl_ms;
};

enum streams_result {
	STREAMS_OK = 0,
	STREAMS_FULL_ENGINE, /* max_per_engine reached on that engine */
	STREAMS_FULL_TOTAL,  /* max_total reached */
	STREAMS_UNKNOWN,     /* stream_ended: no such stream */
};

struct streams_node;
struct streams_engine;

/* In memory only: after a daemon restart every engine starts idle. Two
 * glibc search trees (tsearch: balanced, and unlike hsearch_r it can delete
 * and grows as needed) index streams by ID and engines by ID; a FIFO in
 * start order makes TTL expiry O(1) per expired stream. */
struct streams {
	pthread_mutex_t mu;
	void *by_id;       /* tsearch root: struct streams_node */
	void *by_engine;   /* tsearch root: struct streams_engine */
	struct streams_node *oldest, *newest;   /* start order */
	struct streams_engine *engines;         /* every engine entry, unordered */
	size_t n;
	struct streams_limits lim;
	uint64_t generation; /* bumped on every change the API shows */
	uint64_t rejected_engine, rejected_total, expired;
	int wake_fd; /* eventfd the loop watches; -1 when none */
};

void streams_init(struct streams *s, int wake_fd);
void streams_destroy(struct streams *s);
void streams_set_limits(struct streams *s, const struct streams_limits *lim);

/* The loop is woken (wake_fd) only when an engine's busy state flips
 * (0 <-> >0 streams): that is all the planner needs; the stream lists
 * themselves are read by the API directly. */

/* Records in->id on engine_id (in->engine_id is ignored): a new stream, a
 * repeat (refreshed: fields replaced, TTL restarted) or a move from another
 * engine. now_mono_ms drives the TTL, now_wall_ms is shown as started_at.
 * STREAMS_FULL_* when a cap forbids it (counted for the metrics). */
enum streams_result streams_start(struct streams *s, const char *engine_id,
				  const struct stream_rec *in, int64_t now_mono_ms,
				  int64_t now_wall_ms);
/* Ends stream_id or, when it is NULL, the most recently started stream of
 * engine_id. STREAMS_UNKNOWN when there is none. ended (optional) receives
 * the removed record (the caller clears it). */
enum streams_result streams_end(struct streams *s, const char *stream_id, const char *engine_id,
				struct stream_rec *ended);
/* Forgets streams started ttl ago or earlier; returns how many. */
size_t streams_expire(struct streams *s, int64_t now_mono_ms);
/* Active streams of engine_id (0 for an unknown engine). */
int streams_count(struct streams *s, const char *engine_id);
/* Drops the streams of engines not in ids (they are gone). */
void streams_retain(struct streams *s, const char *const *ids, size_t n);
uint64_t streams_generation(struct streams *s);

/* An immutable copy for rendering, taken under the lock (expired streams
 * dropped first). Records are sorted by engine ID, then start order. */
struct streams_view {
	uint64_t generation;
	struct stream_rec *recs;
	size_t n;
	struct streams_view_engine {
		char *engine_id;
		size_t first, count;       /* its records: recs[first .. first+count) */
		int64_t last_started_ms;   /* wall clock of its latest stream_started */
	} *engines;                       /* sorted by engine_id */
	size_t n_engines;
	uint64_t rejected_engine, rejected_total, expired;
	struct streams_limits lim;
};

struct streams_view *streams_view_new(struct streams *s, int64_t now_mono_ms);
void streams_view_free(struct streams_view *v);
/* The view's entry for engine_id, NULL when it never had a stream. */
const struct streams_view_engine *streams_view_engine(const struct streams_view *v,
						       const char *engine_id);
/* Streams of engine_id in v (0 when v is NULL or the engine has none). */
size_t streams_view_count(const struct streams_view *v, const char *engine_id);

#endif
