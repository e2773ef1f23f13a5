/* streams.h - which engine serves which stream, as the proxy reports it
 * through the stream events: written by the API thread, read by the loop. */
#ifndef ACE_STREAMS_H
#define ACE_STREAMS_H

#include <pthread.h>
#include <stddef.h>

struct stream_ref {
	char *stream_id;
	char *engine_id;
};

/* In memory only: after a daemon restart every engine starts idle. */
struct streams {
	pthread_mutex_t mu;
	struct stream_ref *v;
	size_t n, cap;
	int wake_fd; /* eventfd the loop watches; -1 when none */
};

void streams_init(struct streams *s, int wake_fd);
void streams_destroy(struct streams *s);
/* Records stream_id on engine_id (moves it if it was elsewhere). */
void streams_start(struct streams *s, const char *engine_id, const char *stream_id);
/* -1 when the stream is unknown. */
int streams_end(struct streams *s, const char *stream_id);
int streams_count(struct streams *s, const char *engine_id);
/* Drops the streams of engines not in ids (they are gone). */
void streams_retain(struct streams *s, const char *const *ids, size_t n);

#endif
