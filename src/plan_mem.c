/* plan_mem.c - the planner's in-memory notes between passes (struct
 * plan_memory): VPN outages and restart back-off, engine streams and probes. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

void plan_memory_init(struct plan_memory *m)
{
	memset(m, 0, sizeof *m);
}

static void vpn_mem_clear(struct plan_vpn_mem *v)
{
	free(v->name);
	free(v->down_id);
}

void plan_memory_free(struct plan_memory *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_vpns; i++)
		vpn_mem_clear(&m->vpns[i]);
	for (size_t i = 0; i < m->n_engines; i++)
		free(m->engines[i].id);
	for (size_t i = 0; i < m->n_backoffs; i++) {
		free(m->backoffs[i].key);
		free(m->backoffs[i].error);
	}
	free(m->vpns);
	free(m->engines);
	free(m->backoffs);
	memset(m, 0, sizeof *m);
}

void plan_memory_copy(struct plan_memory *dst, const struct plan_memory *src)
{
	memset(dst, 0, sizeof *dst);
	dst->demand = src->demand;
	dst->n_vpns = dst->cap_vpns = src->n_vpns;
	dst->vpns = xcalloc(src->n_vpns ? src->n_vpns : 1, sizeof *dst->vpns);
	for (size_t i = 0; i < src->n_vpns; i++) {
		dst->vpns[i] = src->vpns[i];
		dst->vpns[i].name = xstrdup(src->vpns[i].name);
		dst->vpns[i].down_id = src->vpns[i].down_id ? xstrdup(src->vpns[i].down_id) : NULL;
	}
	dst->n_engines = dst->cap_engines = src->n_engines;
	dst->engines = xcalloc(src->n_engines ? src->n_engines : 1, sizeof *dst->engines);
	for (size_t i = 0; i < src->n_engines; i++) {
		dst->engines[i] = src->engines[i];
		dst->engines[i].id = xstrdup(src->engines[i].id);
	}
	dst->n_backoffs = dst->cap_backoffs = src->n_backoffs;
	dst->backoffs = xcalloc(src->n_backoffs ? src->n_backoffs : 1, sizeof *dst->backoffs);
	for (size_t i = 0; i < src->n_backoffs; i++) {
		dst->backoffs[i] = src->backoffs[i];
		dst->backoffs[i].key = xstrdup(src->backoffs[i].key);
		dst->backoffs[i].error = src->backoffs[i].error ? xstrdup(src->backoffs[i].error) : NULL;
	}
}

struct plan_vpn_mem *plan_memory_vpn(const struct plan_memory *m, const char *name)
{
	if (!m || !name)
		return NULL;
	for (size_t i = 0; i < m->n_vpns; i++)
		if (str_eq(m->vpns[i].name, name))
			return &m->vpns[i];
	return NULL;
}

struct plan_vpn_mem *plan_memory_vpn_get(struct plan_memory *m, const char *name)
{
	struct plan_vpn_mem *v = plan_memory_vpn(m, name);
	if (v)
		return v;
	grow(&m->vpns, &m->cap_vpns, m->n_vpns + 1, sizeof *m->vpns);
	v = &m->vpns[m->n_vpns++];
	memset(v, 0, sizeof *v);
	v->name = xstrdup(name);
	return v;
}

struct plan_engine_mem *plan_memory_engine(const struct plan_memory *m, const char *id)
{
	if (!m || !id)
		return NULL;
	for (size_t i = 0; i < m->n_engines; i++)
		if (str_eq(m->engines[i].id, id))
			return &m->engines[i];
	return NULL;
}

struct plan_engine_mem *plan_memory_engine_get(struct plan_memory *m, const char *id)
{
	struct plan_engine_mem *e = plan_memory_engine(m, id);
	if (e)
		return e;
	grow(&m->engines, &m->cap_engines, m->n_engines + 1, sizeof *m->engines);
	e = &m->engines[m->n_engines++];
	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	return e;
}

void plan_memory_set_streams(struct plan_memory *m, const char *id, int streams)
{
	plan_memory_engine_get(m, id)->streams = streams < 0 ? 0 : streams;
}

void plan_memory_probe(struct plan_memory *m, const char *id, bool ok)
{
	struct plan_engine_mem *e = plan_memory_engine_get(m, id);
	e->probed = true;
	e->probe_ok = ok;
	e->probe_failures = ok ? 0 : e->probe_failures + 1;
}

void plan_memory_vpn_restarted(struct plan_memory *m, const struct config *cfg,
			       const char *vpn, int64_t now_ms)
{
	struct plan_vpn_mem *v = plan_memory_vpn_get(m, vpn);
	v->restarts++;
	v->backoff_level++;
	v->last_restart_ms = now_ms;
	int64_t delay = cfg->health.vpn_restart_after_ms;
	int64_t cap = cfg->health.vpn_restart_backoff_max_ms;
	/* Doubling stops at the cap, which also keeps the shift from overflowing. */
	for (int i = 0; i < v->backoff_level && (cap <= 0 || delay < cap); i++)
		delay *= 2;
	if (cap > 0 && delay > cap)
		delay = cap;
	v->next_restart_allowed_ms = now_ms + delay;
}

void plan_memory_observe(struct plan_memory *m, const struct config *cfg,
			 const struct observed *obs, int64_t now_ms)
{
	/* Without Docker we know nothing new: forgetting engines now would lose
	 * their stream counts for no reason. */
	if (!obs || !obs->docker_ok)
		return;
	for (size_t i = 0; i < cfg->n_vpns; i++) {
		const char *name = cfg->vpns[i].name;
		const struct vpn_obs *vo = observed_vpn(obs, name);
		struct plan_vpn_mem *v = plan_memory_vpn_get(m, name);
		bool avail = vo && plan_vpn_available(vo);
		v->seen = true;
		if (!avail) {
			v->was_unavailable = false;
			if (v->unavailable_since_ms == 0) {
				v->unavailable_since_ms = now_ms ? now_ms : 1;
				free(v->down_id);
				v->down_id = xstrdup(vo && vo->id ? vo->id : "");
				v->down_started_at_ms = vo ? vo->started_at_ms : 0;
			}
			continue;
		}
		/* Back from an outage: a Gluetun-internal reconnect keeps the
		 * container (same ID and StartedAt), so engines still look
		 * attached but their connections died with the tunnel. */
		v->was_unavailable = v->unavailable_since_ms != 0 &&
				     str_eq(v->down_id, vo->id ? vo->id : "") &&
				     v->down_started_at_ms == vo->started_at_ms;
		v->unavailable_since_ms = 0;
		v->backoff_level = 0;
		v->next_restart_allowed_ms = 0;
		free(v->down_id);
		v->down_id = NULL;
	}
	/* VPNs no longer declared. */
	for (size_t i = 0; i < m->n_vpns;) {
		if (config_find_vpn(cfg, m->vpns[i].name)) {
			i++;
			continue;
		}
		vpn_mem_clear(&m->vpns[i]);
		m->vpns[i] = m->vpns[--m->n_vpns];
	}
	/* Engines that are gone. */
	for (size_t i = 0; i < m->n_engines;) {
		bool present = false;
		for (size_t j = 0; j < obs->n_engines && !present; j++)
			present = str_eq(obs->engines[j].id, m->engines[i].id);
		if (present) {
			i++;
			continue;
		}
		free(m->engines[i].id);
		m->engines[i] = m->engines[--m->n_engines];
	}
	/* Expired back-offs, kept one more wait so a repeated failure doubles it. */
	for (size_t i = 0; i < m->n_backoffs;) {
		if (m->backoffs[i].until_ms + m->backoffs[i].wait_ms > now_ms) {
			i++;
			continue;
		}
		free(m->backoffs[i].key);
		free(m->backoffs[i].error);
		m->backoffs[i] = m->backoffs[--m->n_backoffs];
	}
}

void plan_memory_backoff(struct plan_memory *m, const char *key,
			 int64_t until_ms, const char *error)
{
	for (size_t i = 0; i < m->n_backoffs; i++) {
		if (!str_eq(m->backoffs[i].key, key))
			continue;
		m->backoffs[i].until_ms = until_ms;
		m->backoffs[i].wait_ms = 0;
		m->backoffs[i].name_taken = false;
		free(m->backoffs[i].error);
		m->backoffs[i].error = error ? xstrdup(error) : NULL;
		return;
	}
	grow(&m->backoffs, &m->cap_backoffs, m->n_backoffs + 1, sizeof *m->backoffs);
	struct plan_backoff *b = &m->backoffs[m->n_backoffs++];
	b->key = xstrdup(key);
	b->until_ms = until_ms;
	b->wait_ms = 0;
	b->name_taken = false;
	b->error = error ? xstrdup(error) : NULL;
}

void plan_memory_backoff_name_taken(struct plan_memory *m, const char *name)
{
	for (size_t i = 0; i < m->n_backoffs; i++)
		if (str_eq(m->backoffs[i].key, name))
			m->backoffs[i].name_taken = true;
}

int64_t plan_memory_backoff_fail(struct plan_memory *m, const char *key, int64_t now_ms,
				 int64_t min_ms, int64_t max_ms, const char *error)
{
	int64_t wait = min_ms;
	for (size_t i = 0; i < m->n_backoffs; i++)
		if (str_eq(m->backoffs[i].key, key) && m->backoffs[i].wait_ms > 0)
			wait = m->backoffs[i].wait_ms * 2;
	if (wait > max_ms)
		wait = max_ms;
	plan_memory_backoff(m, key, now_ms + wait, error);
	for (size_t i = 0; i < m->n_backoffs; i++)
		if (str_eq(m->backoffs[i].key, key))
			m->backoffs[i].wait_ms = wait;
	return wait;
}

void plan_memory_backoff_clear(struct plan_memory *m, const char *key)
{
	for (size_t i = 0; i < m->n_backoffs; i++) {
		if (!str_eq(m->backoffs[i].key, key))
			continue;
		free(m->backoffs[i].key);
		free(m->backoffs[i].error);
		m->backoffs[i] = m->backoffs[--m->n_backoffs];
		return;
	}
}

int64_t plan_memory_backoff_until(const struct plan_memory *m, const char *key)
{
	for (size_t i = 0; m && key && i < m->n_backoffs; i++)
		if (str_eq(m->backoffs[i].key, key))
			return m->backoffs[i].until_ms;
	return 0;
}
