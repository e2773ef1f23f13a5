/* streams.c - the stream registry shared by the API thread (writes) and the
 * loop (reads): a small array under a mutex, and an eventfd to wake the loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streams.h"
#include "util.h"

void streams_init(struct streams *s, int wake_fd)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	s->wake_fd = wake_fd;
}

void streams_destroy(struct streams *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].stream_id);
		free(s->v[i].engine_id);
	}
	free(s->v);
	pthread_mutex_destroy(&s->mu);
}

static void wake(const struct streams *s)
{
	uint64_t one = 1;
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof one) < 0) {
		/* The counter saturating still leaves the fd readable. */
	}
}

static size_t find(const struct streams *s, const char *stream_id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].stream_id, stream_id) == 0)
			return i;
	return SIZE_MAX;
}

void streams_start(struct streams *s, const char *engine_id, const char *stream_id)
{
	pthread_mutex_lock(&s->mu);
	size_t i = find(s, stream_id);
	if (i == SIZE_MAX) {
		grow(&s->v, &s->cap, s->n + 1, sizeof *s->v);
		s->v[s->n++] = (struct stream_ref){ xstrdup(stream_id), xstrdup(engine_id) };
	} else {
		free(s->v[i].engine_id);
		s->v[i].engine_id = xstrdup(engine_id);
	}
	pthread_mutex_unlock(&s->mu);
	wake(s);
}

static void drop(struct streams *s, size_t i)
{
	free(s->v[i].stream_id);
	free(s->v[i].engine_id);
	s->v[i] = s->v[--s->n];
}

int streams_end(struct streams *s, const char *stream_id)
{
	pthread_mutex_lock(&s->mu);
	size_t i = find(s, stream_id);
	if (i != SIZE_MAX)
		drop(s, i);
	pthread_mutex_unlock(&s->mu);
	if (i == SIZE_MAX)
		return -1;
	wake(s);
	return 0;
}

int streams_count(struct streams *s, const char *engine_id)
{
	int n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].engine_id, engine_id) == 0)
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void streams_retain(struct streams *s, const char *const *ids, size_t n)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n;) {
		bool keep = false;
		for (size_t k = 0; k < n && !keep; k++)
			keep = strcmp(s->v[i].engine_id, ids[k]) == 0;
		if (keep)
			i++;
		else
			drop(s, i);
	}
	pthread_mutex_unlock(&s->mu);
}
