/* streams.c - the stream registry shared by the API thread and the loop:
 * glibc search trees under one mutex, caps, TTL, and an eventfd that wakes
 * the loop only when an engine turns busy or idle. */
#include "config-auto.h" /* _GNU_SOURCE: tdestroy */

#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streams.h"
#include "util.h"

/* Both node kinds start with their key string, so one comparator serves
 * both trees. */
struct streams_node {
	struct stream_rec r; /* r.id first: the by_id key */
	int64_t started_mono;
	struct streams_engine *eng;
	struct streams_node *older, *newer; /* global start order (TTL) */
	struct streams_node *eprev, *enext; /* the engine's streams, start order */
};

struct streams_engine {
	char *id; /* the by_engine key */
	int count;
	int64_t last_started_ms; /* wall */
	struct streams_node *first, *last;
	struct streams_engine *prev, *next; /* s->engines */
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void stream_rec_clear(struct stream_rec *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->engine_id);
	free(r->key_type);
	free(r->key);
	free(r->playback_session_id);
	free(r->stat_url);
	free(r->command_url);
	memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void rec_copy(struct stream_rec *dst, const struct stream_rec *src)
{
	dst->id = dup_or_null(src->id);
	dst->engine_id = dup_or_null(src->engine_id);
	dst->key_type = dup_or_null(src->key_type);
	dst->key = dup_or_null(src->key);
	dst->playback_session_id = dup_or_null(src->playback_session_id);
	dst->stat_url = dup_or_null(src->stat_url);
	dst->command_url = dup_or_null(src->command_url);
	dst->is_live = src->is_live;
	dst->started_ms = src->started_ms;
}

void streams_init(struct streams *s, int wake_fd)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	s->wake_fd = wake_fd;
}

static void node_free(void *p)
{
	struct streams_node *n = p;
	stream_rec_clear(&n->r);
	free(n);
}

static void engine_free(void *p)
{
	struct streams_engine *e = p;
	free(e->id);
	free(e);
}

void streams_destroy(struct streams *s)
{
	tdestroy(s->by_id, node_free);
	tdestroy(s->by_engine, engine_free);
	pthread_mutex_destroy(&s->mu);
	memset(s, 0, sizeof *s);
	s->wake_fd = -1;
}

void streams_set_limits(struct streams *s, const struct streams_limits *lim)
{
	pthread_mutex_lock(&s->mu);
	s->lim = *lim;
	pthread_mutex_unlock(&s->mu);
}

static void wake(const struct streams *s)
{
	uint64_t one = 1;
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof one) < 0) {
		/* The counter saturating still leaves the fd readable. */
	}
}

/* ---- lookups and links (mu held) ---- */

static struct streams_node *node_find(const struct streams *s, const char *id)
{
	const char *key = id;
	void *const *hit = tfind(&key, &s->by_id, key_cmp);
	return hit ? *hit : NULL;
}

static struct streams_engine *engine_find(const struct streams *s, const char *id)
{
	const char *key = id;
	void *const *hit = tfind(&key, &s->by_engine, key_cmp);
	return hit ? *hit : NULL;
}

static struct streams_engine *engine_get(struct streams *s, const char *id)
{
	struct streams_engine *e = engine_find(s, id);
	if (e)
		return e;
	e = xcalloc(1, sizeof *e);
	e->id = xstrdup(id);
	if (!tsearch(e, &s->by_engine, key_cmp))
		fatal("out of memory indexing an engine");
	e->next = s->engines;
	if (s->engines)
		s->engines->prev = e;
	s->engines = e;
	return e;
}

static void engine_link(struct streams_engine *e, struct streams_node *n)
{
	n->eng = e;
	n->enext = NULL;
	n->eprev = e->last;
	if (e->last)
		e->last->enext = n;
	else
		e->first = n;
	e->last = n;
	e->count++;
}

static void engine_unlink(struct streams_node *n)
{
	struct streams_engine *e = n->eng;
	if (n->eprev)
		n->eprev->enext = n->enext;
	else
		e->first = n->enext;
	if (n->enext)
		n->enext->eprev = n->eprev;
	else
		e->last = n->eprev;
	n->eprev = n->enext = NULL;
	n->eng = NULL;
	e->count--;
}

static void age_link(struct streams *s, struct streams_node *n)
{
	n->newer = NULL;
	n->older = s->newest;
	if (s->newest)
		s->newest->newer = n;
	else
		s->oldest = n;
	s->newest = n;
}

static void age_unlink(struct streams *s, struct streams_node *n)
{
	if (n->older)
		n->older->newer = n->newer;
	else
		s->oldest = n->newer;
	if (n->newer)
		n->newer->older = n->older;
	else
		s->newest = n->older;
	n->older = n->newer = NULL;
}

/* Unlinks n everywhere; returns true when its engine went idle. The caller
 * owns n afterwards. */
static bool node_remove(struct streams *s, struct streams_node *n)
{
	struct streams_engine *e = n->eng;
	engine_unlink(n);
	age_unlink(s, n);
	tdelete(n, &s->by_id, key_cmp);
	s->n--;
	s->generation++;
	return e->count == 0;
}

static size_t expire_locked(struct streams *s, int64_t now_mono_ms, bool *flip)
{
	size_t k = 0;
	if (s->lim.ttl_ms <= 0)
		return 0;
	while (s->oldest && now_mono_ms - s->oldest->started_mono >= s->lim.ttl_ms) {
		struct streams_node *n = s->oldest;
		if (node_remove(s, n))
			*flip = true;
		node_free(n);
		s->expired++;
		k++;
	}
	return k;
}

static void set_fields(struct streams_node *n, const struct stream_rec *in, const char *engine_id,
		       int64_t now_wall_ms)
{
	char *id = n->r.id ? n->r.id : xstrdup(in->id);
	n->r.id = NULL;
	stream_rec_clear(&n->r);
	rec_copy(&n->r, in);
	free(n->r.id);
	n->r.id = id;
	free(n->r.engine_id);
	n->r.engine_id = xstrdup(engine_id);
	n->r.started_ms = now_wall_ms;
}

/* ---- the operations ---- */

enum streams_result streams_start(struct streams *s, const char *engine_id,
				  const struct stream_rec *in, int64_t now_mono_ms,
				  int64_t now_wall_ms)
{
	bool flip = false;
	enum streams_result res = STREAMS_OK;
	pthread_mutex_lock(&s->mu);
	expire_locked(s, now_mono_ms, &flip);
	struct streams_node *n = node_find(s, in->id);
	struct streams_engine *dest = engine_find(s, engine_id);
	bool same = n && dest && n->eng == dest;
	if (!same && s->lim.max_per_engine > 0 && dest && dest->count >= s->lim.max_per_engine) {
		res = STREAMS_FULL_ENGINE;
		s->rejected_engine++;
		goto out;
	}
	if (!n && s->lim.max_total > 0 && s->n >= (size_t)s->lim.max_total) {
		res = STREAMS_FULL_TOTAL;
		s->rejected_total++;
		goto out;
	}
	dest = engine_get(s, engine_id);
	/* Only an engine whose count crosses zero flips: a repeat never does. */
	if (!same && dest->count == 0)
		flip = true;
	if (n) {
		/* A repeat or a move: unlink, then link as the newest. */
		struct streams_engine *from = n->eng;
		engine_unlink(n);
		age_unlink(s, n);
		if (!same && from->count == 0)
			flip = true;
	} else {
		n = xcalloc(1, sizeof *n);
		n->r.id = xstrdup(in->id);
		if (!tsearch(n, &s->by_id, key_cmp))
			fatal("out of memory indexing a stream");
		s->n++;
	}
	set_fields(n, in, engine_id, now_wall_ms);
	n->started_mono = now_mono_ms;
	engine_link(dest, n);
	age_link(s, n);
	dest->last_started_ms = now_wall_ms;
	s->generation++;
out:
	pthread_mutex_unlock(&s->mu);
	if (flip)
		wake(s);
	return res;
}

enum streams_result streams_end(struct streams *s, const char *stream_id, const char *engine_id,
				struct stream_rec *ended)
{
	struct streams_node *n = NULL;
	bool flip = false;
	if (ended)
		memset(ended, 0, sizeof *ended);
	pthread_mutex_lock(&s->mu);
	if (stream_id) {
		n = node_find(s, stream_id);
	} else if (engine_id) {
		struct streams_engine *e = engine_find(s, engine_id);
		n = e ? e->last : NULL;
	}
	if (n)
		flip = node_remove(s, n);
	pthread_mutex_unlock(&s->mu);
	if (!n)
		return STREAMS_UNKNOWN;
	if (ended) {
		*ended = n->r;
		memset(&n->r, 0, sizeof n->r);
	}
	node_free(n);
	if (flip)
		wake(s);
	return STREAMS_OK;
}

size_t streams_expire(struct streams *s, int64_t now_mono_ms)
{
	bool flip = false;
	pthread_mutex_lock(&s->mu);
	size_t k = expire_locked(s, now_mono_ms, &flip);
	pthread_mutex_unlock(&s->mu);
	if (flip)
		wake(s);
	return k;
}

int streams_count(struct streams *s, const char *engine_id)
{
	pthread_mutex_lock(&s->mu);
	const struct streams_engine *e = engine_find(s, engine_id);
	int n = e ? e->count : 0;
	pthread_mutex_unlock(&s->mu);
	return n;
}

uint64_t streams_generation(struct streams *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t g = s->generation;
	pthread_mutex_unlock(&s->mu);
	return g;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void streams_retain(struct streams *s, const char *const *ids, size_t n)
{
	const char **sorted = xcalloc(n ? n : 1, sizeof *sorted);
	for (size_t i = 0; i < n; i++)
		sorted[i] = ids[i] ? ids[i] : "";
	qsort(sorted, n, sizeof *sorted, str_ptr_cmp);
	pthread_mutex_lock(&s->mu);
	for (struct streams_engine *e = s->engines, *next; e; e = next) {
		next = e->next;
		const char *key = e->id;
		if (n && bsearch(&key, sorted, n, sizeof *sorted, str_ptr_cmp))
			continue;
		/* The engine is gone: so are its streams (no wake: the loop is
		 * the caller and knows). */
		while (e->first) {
			struct streams_node *x = e->first;
			node_remove(s, x);
			node_free(x);
		}
		if (e->prev)
			e->prev->next = e->next;
		else
			s->engines = e->next;
		if (e->next)
			e->next->prev = e->prev;
		tdelete(e, &s->by_engine, key_cmp);
		engine_free(e);
		s->generation++;
	}
	pthread_mutex_unlock(&s->mu);
	free(sorted);
}

/* ---- views ---- */

static int view_engine_cmp(const void *a, const void *b)
{
	const struct streams_engine *x = *(struct streams_engine *const *)a;
	const struct streams_engine *y = *(struct streams_engine *const *)b;
	return strcmp(x->id, y->id);
}

struct streams_view *streams_view_new(struct streams *s, int64_t now_mono_ms)
{
	struct streams_view *v = xcalloc(1, sizeof *v);
	bool flip = false;
	pthread_mutex_lock(&s->mu);
	expire_locked(s, now_mono_ms, &flip);
	size_t ne = 0;
	for (const struct streams_engine *e = s->engines; e; e = e->next)
		ne++;
	struct streams_engine **es = xcalloc(ne ? ne : 1, sizeof *es);
	ne = 0;
	for (struct streams_engine *e = s->engines; e; e = e->next)
		es[ne++] = e;
	qsort(es, ne, sizeof *es, view_engine_cmp);
	v->recs = xcalloc(s->n ? s->n : 1, sizeof *v->recs);
	v->engines = xcalloc(ne ? ne : 1, sizeof *v->engines);
	v->n_engines = ne;
	for (size_t i = 0; i < ne; i++) {
		struct streams_view_engine *ve = &v->engines[i];
		ve->engine_id = xstrdup(es[i]->id);
		ve->first = v->n;
		ve->last_started_ms = es[i]->last_started_ms;
		for (const struct streams_node *x = es[i]->first; x; x = x->enext)
			rec_copy(&v->recs[v->n++], &x->r);
		ve->count = v->n - ve->first;
	}
	v->generation = s->generation;
	v->rejected_engine = s->rejected_engine;
	v->rejected_total = s->rejected_total;
	v->expired = s->expired;
	v->lim = s->lim;
	pthread_mutex_unlock(&s->mu);
	free(es);
	if (flip)
		wake(s);
	return v;
}

void streams_view_free(struct streams_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		stream_rec_clear(&v->recs[i]);
	for (size_t i = 0; i < v->n_engines; i++)
		free(v->engines[i].engine_id);
	free(v->recs);
	free(v->engines);
	free(v);
}

static int view_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct streams_view_engine *)elem)->engine_id);
}

const struct streams_view_engine *streams_view_engine(const struct streams_view *v,
						       const char *engine_id)
{
	if (!v || !engine_id || !v->n_engines)
		return NULL;
	return bsearch(engine_id, v->engines, v->n_engines, sizeof *v->engines, view_key_cmp);
}

size_t streams_view_count(const struct streams_view *v, const char *engine_id)
{
	const struct streams_view_engine *e = streams_view_engine(v, engine_id);
	return e ? e->count : 0;
}
