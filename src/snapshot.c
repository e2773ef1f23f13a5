/* snapshot.c - publication of the immutable last-pass picture: a pointer
 * swapped under a mutex, readers holding references; nothing else shared. */
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "util.h"

const double snap_hist_bounds[SNAP_HIST_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_engines; i++) {
		struct snap_engine *e = &s->engines[i];
		free(e->name);
		free(e->id);
		free(e->host);
		free(e->vpn);
		free(e->docker_host);
		free(e->state);
		free(e->ns);
		free(e->health);
		free(e->hidden_reason);
	}
	free(s->engines);
	for (size_t i = 0; i < s->n_vpns; i++) {
		struct snap_vpn *v = &s->vpns[i];
		free(v->name);
		free(v->docker_host);
		free(v->container_id);
		free(v->health);
		free(v->public_ip);
		free(v->api_error);
	}
	free(s->vpns);
	for (size_t i = 0; i < s->n_hosts; i++) {
		free(s->hosts[i].name);
		free(s->hosts[i].address);
		free(s->hosts[i].error);
	}
	free(s->hosts);
	free(s->lease.role);
	free(s->lease.holder);
	free(s->lease.self);
	free(s->lease.why);
	free(s->docker_error);
	free(s->config_json);
	free(s->config_source);
	free(s->last_reload_error);
	free(s->api_key);
	free(s->plan_json);
	free(s);
}

void snapshot_store_init(struct snapshot_store *st)
{
	pthread_mutex_init(&st->mu, NULL);
	st->cur = NULL;
}

void snapshot_store_destroy(struct snapshot_store *st)
{
	snapshot_put(st, st->cur);
	st->cur = NULL;
	pthread_mutex_destroy(&st->mu);
}

void snapshot_publish(struct snapshot_store *st, struct snapshot *s)
{
	if (s)
		s->refs = 1;
	pthread_mutex_lock(&st->mu);
	struct snapshot *old = st->cur;
	st->cur = s;
	pthread_mutex_unlock(&st->mu);
	snapshot_put(st, old);
}

struct snapshot *snapshot_get(struct snapshot_store *st)
{
	pthread_mutex_lock(&st->mu);
	struct snapshot *s = st->cur;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&st->mu);
	return s;
}

void snapshot_ref(struct snapshot_store *st, struct snapshot *s)
{
	pthread_mutex_lock(&st->mu);
	s->refs++;
	pthread_mutex_unlock(&st->mu);
}

void snapshot_put(struct snapshot_store *st, struct snapshot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&st->mu);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&st->mu);
	if (last)
		snapshot_free(s);
}

const struct snap_engine *snapshot_find_engine(const struct snapshot *s, const char *key)
{
	if (!s || !key || !*key)
		return NULL;
	size_t klen = strlen(key);
	const struct snap_engine *hit = NULL;
	for (size_t i = 0; i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (str_eq(e->name, key) || str_eq(e->id, key))
			return e;
		if (klen >= 12 && e->id && strncmp(e->id, key, klen) == 0) {
			if (hit)
				return NULL; /* ambiguous prefix */
			hit = e;
		}
	}
	return hit;
}
