/* memory.c - what the daemon remembers between passes (struct memory): VPN
 * outages and restart back-off, engine streams and probes, action back-offs. */
#include "config-auto.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "plan.h" /* plan_vpn_available: rule 1 decides what "down" means */
#include "util.h"

/* ---- sets keyed by their first member (tsearch) ---- */

/* Every entry type starts with its key (char *), so an entry pointer is
 * also a pointer to its key, and the address of a `const char *` is a
 * lookup key. */
static int set_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void *set_find(const struct memory_set *s, const char *key)
{
	if (!s || !key || !s->root)
		return NULL;
	void *const *node = tfind(&key, &s->root, set_cmp);
	return node ? *node : NULL;
}

/* Adds a zeroed entry of size sz whose key is a copy of key (not present). */
static void *set_add(struct memory_set *s, const char *key, size_t sz)
{
	char **e = xcalloc(1, sz);
	*e = xstrdup(key);
	if (!tsearch(e, &s->root, set_cmp))
		fatal("out of memory");
	grow(&s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = e;
	return e;
}

/* Forgets v[i] (the last entry takes its place); the caller frees it. */
static void set_del_at(struct memory_set *s, size_t i)
{
	tdelete(s->v[i], &s->root, set_cmp);
	s->v[i] = s->v[--s->n];
}

static void set_del(struct memory_set *s, void *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == e) {
			set_del_at(s, i);
			return;
		}
}

static void set_free(struct memory_set *s, void (*entry_free)(void *))
{
	/* Every entry is in the tree exactly once. */
	tdestroy(s->root, entry_free);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- engines by ID (hsearch_r) ---- */

/* An engine entry with what only this file uses: the mark of the last
 * observation that saw it, and its key stored in the same allocation. */
struct engine_node {
	struct memory_engine e; /* first: a node pointer is an entry pointer */
	unsigned seen;
	char id[];
};

/* Rebuilds the table for at least `want` entries at most half full: open
 * addressing degrades as it fills, and hsearch_r cannot delete. */
static void engines_reindex(struct memory_engines *t, size_t want)
{
	if (t->index_size)
		hdestroy_r(&t->index);
	memset(&t->index, 0, sizeof t->index);
	t->index_size = 2 * want + 64;
	if (!hcreate_r(t->index_size, &t->index))
		fatal("out of memory");
	for (size_t i = 0; i < t->n; i++) {
		ENTRY item = { .key = t->v[i]->id, .data = t->v[i] }, *r;
		if (!hsearch_r(item, ENTER, &r, &t->index))
			fatal("engine index: %s", strerror(errno));
	}
}

static struct memory_engine *engines_add(struct memory_engines *t, const char *id)
{
	if (2 * (t->n + 1) > t->index_size)
		engines_reindex(t, 2 * (t->n + 1));
	size_t len = strlen(id) + 1;
	struct engine_node *node = xcalloc(1, sizeof *node + len);
	memcpy(node->id, id, len);
	node->e.id = node->id;
	node->seen = t->seen;
	grow(&t->v, &t->cap, t->n + 1, sizeof *t->v);
	t->v[t->n++] = &node->e;
	ENTRY item = { .key = node->id, .data = node }, *r;
	if (!hsearch_r(item, ENTER, &r, &t->index))
		fatal("engine index: %s", strerror(errno));
	return &node->e;
}

/* Engines that are gone: one lookup per observed engine marks the living,
 * one sweep forgets the rest, one rebuild re-indexes what is left. */
static void engines_forget_gone(struct memory_engines *t, const struct observed *obs)
{
	if (!t->n)
		return;
	unsigned mark = ++t->seen;
	for (size_t j = 0; j < obs->n_engines; j++) {
		ENTRY item = { .key = obs->engines[j].id }, *r = NULL;
		if (item.key && hsearch_r(item, FIND, &r, &t->index))
			((struct engine_node *)r->data)->seen = mark;
	}
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (((struct engine_node *)t->v[i])->seen == mark)
			t->v[n++] = t->v[i];
		else
			free(t->v[i]);
	}
	if (n == t->n)
		return;
	t->n = n;
	engines_reindex(t, n);
}

static void engines_free(struct memory_engines *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	if (t->index_size)
		hdestroy_r(&t->index);
	memset(t, 0, sizeof *t);
}

/* ---- lifetime ---- */

void memory_init(struct memory *m)
{
	memset(m, 0, sizeof *m);
}

static void vpn_entry_free(void *p)
{
	struct memory_vpn *v = p;
	free(v->name);
	free(v->down_id);
	free(v);
}

static void backoff_entry_free(void *p)
{
	struct memory_backoff *b = p;
	free(b->key);
	free(b->error);
	free(b);
}

static void slot_entry_free(void *p)
{
	struct memory_slot *sl = p;
	free(sl->name);
	free(sl);
}

void memory_free(struct memory *m)
{
	if (!m)
		return;
	set_free(&m->vpns, vpn_entry_free);
	engines_free(&m->engines);
	set_free(&m->backoffs, backoff_entry_free);
	set_free(&m->slots, slot_entry_free);
	memset(m, 0, sizeof *m);
}

void memory_copy(struct memory *dst, const struct memory *src)
{
	memset(dst, 0, sizeof *dst);
	dst->demand = src->demand;
	for (size_t i = 0; i < src->vpns.n; i++) {
		const struct memory_vpn *sv = src->vpns.v[i];
		struct memory_vpn *v = set_add(&dst->vpns, sv->name, sizeof *v);
		char *name = v->name;
		*v = *sv;
		v->name = name;
		v->down_id = sv->down_id ? xstrdup(sv->down_id) : NULL;
	}
	dst->engines.seen = src->engines.seen;
	if (src->engines.n)
		engines_reindex(&dst->engines, src->engines.n);
	for (size_t i = 0; i < src->engines.n; i++) {
		const struct memory_engine *se = src->engines.v[i];
		struct memory_engine *e = engines_add(&dst->engines, se->id);
		char *id = e->id;
		*e = *se;
		e->id = id;
	}
	for (size_t i = 0; i < src->backoffs.n; i++) {
		const struct memory_backoff *sb = src->backoffs.v[i];
		struct memory_backoff *b = set_add(&dst->backoffs, sb->key, sizeof *b);
		char *key = b->key;
		*b = *sb;
		b->key = key;
		b->error = sb->error ? xstrdup(sb->error) : NULL;
	}
	for (size_t i = 0; i < src->slots.n; i++) {
		const struct memory_slot *ss = src->slots.v[i];
		struct memory_slot *sl = set_add(&dst->slots, ss->name, sizeof *sl);
		char *name = sl->name;
		*sl = *ss;
		sl->name = name;
	}
}

/* ---- lookups ---- */

struct memory_vpn *memory_vpn(const struct memory *m, const char *name)
{
	return m ? set_find(&m->vpns, name) : NULL;
}

struct memory_vpn *memory_vpn_get(struct memory *m, const char *name)
{
	struct memory_vpn *v = memory_vpn(m, name);
	return v ? v : set_add(&m->vpns, name, sizeof *v);
}

struct memory_engine *memory_engine(const struct memory *m, const char *id)
{
	if (!m || !id || !m->engines.index_size)
		return NULL;
	ENTRY item = { .key = (char *)id }, *r = NULL;
	/* FIND only reads the table; hsearch_r just lacks a const variant. */
	struct hsearch_data *h = (struct hsearch_data *)&m->engines.index;
	return hsearch_r(item, FIND, &r, h) ? r->data : NULL;
}

struct memory_engine *memory_engine_get(struct memory *m, const char *id)
{
	struct memory_engine *e = memory_engine(m, id);
	return e ? e : engines_add(&m->engines, id);
}

/* ---- engines: streams and probes ---- */

void memory_set_streams(struct memory *m, const char *id, int streams)
{
	memory_engine_get(m, id)->streams = streams < 0 ? 0 : streams;
}

void memory_probe(struct memory *m, const char *id, bool ok)
{
	struct memory_engine *e = memory_engine_get(m, id);
	e->probed = true;
	e->probe_ok = ok;
	e->probe_failures = ok ? 0 : e->probe_failures + 1;
}

/* ---- VPNs ---- */

void memory_vpn_restarted(struct memory *m, const struct config *cfg,
			  const char *vpn, int64_t now_ms)
{
	struct memory_vpn *v = memory_vpn_get(m, vpn);
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

static void observe_vpn(struct memory_vpn *v, const struct config *cfg,
			const struct vpn_obs *vo, int64_t now_ms)
{
	bool avail = vo && plan_vpn_available(vo);
	v->seen = true;
	v->reconnect_due = false;
	if (!avail) {
		v->was_unavailable = false;
		v->available_since_ms = 0;
		if (v->unavailable_since_ms == 0) {
			v->unavailable_since_ms = now_ms ? now_ms : 1;
			free(v->down_id);
			/* An outage that began with its Docker host unreachable says
			 * nothing about the tunnel: no identity, so its return is no
			 * Gluetun reconnect (whose restarts would only churn). */
			v->down_id = xstrdup(vo && vo->id && !vo->host_down ? vo->id : "");
			v->down_started_at_ms = vo ? vo->started_at_ms : 0;
		}
		if (now_ms - v->unavailable_since_ms >= cfg->health.failover_after_ms)
			v->failed_over = true;
		return;
	}
	v->been_available = true;
	if (v->unavailable_since_ms != 0) {
		/* Back from an outage: a Gluetun-internal reconnect keeps the
		 * container (same ID and StartedAt), so engines still look
		 * attached but their connections died with the tunnel. A
		 * container restart or re-create shows in their namespaces
		 * instead (rule 3), which supersedes a pending reconnect. */
		v->was_unavailable = str_eq(v->down_id, vo->id ? vo->id : "") &&
				     v->down_started_at_ms == vo->started_at_ms;
		v->reconnect_pending = v->was_unavailable;
		/* Observations may be sparse: the outage's length decides. */
		if (now_ms - v->unavailable_since_ms >= cfg->health.failover_after_ms)
			v->failed_over = true;
		v->available_since_ms = now_ms ? now_ms : 1;
	} else {
		v->was_unavailable = false;
		if (v->available_since_ms == 0)
			v->available_since_ms = now_ms ? now_ms : 1;
	}
	v->unavailable_since_ms = 0;
	v->backoff_level = 0;
	v->next_restart_allowed_ms = 0;
	free(v->down_id);
	v->down_id = NULL;
	if (now_ms - v->available_since_ms >= cfg->health.recover_after_ms) {
		v->failed_over = false;
		v->reconnect_due = v->reconnect_pending;
		v->reconnect_pending = false;
	}
}

/* ---- crash loops, by slot ---- */

const struct memory_slot *memory_slot(const struct memory *m, const char *name)
{
	return m ? set_find(&m->slots, name) : NULL;
}

/* An exit that came within the crash window of the start it ended. */
static bool early_exit(const struct engine_obs *e)
{
	return e->state && str_eq(e->state, "exited") && e->started_at_ms > 0 &&
	       e->finished_at_ms >= e->started_at_ms &&
	       e->finished_at_ms - e->started_at_ms < MEMORY_CRASH_WINDOW_MS;
}

/* Counts each early exit once (Docker's FinishedAt tells them apart) and
 * arms the next attempt on the memory clock; forgets a slot whose engine
 * has run for the window, or, with no engine running, whose next attempt
 * is a whole maximum wait past (the slot was emptied, or it was never
 * re-created: rule 7 then applies as to any exited engine). */
static void observe_slots(struct memory *m, const struct observed *obs, int64_t now_ms)
{
	for (size_t i = 0; i < obs->n_engines; i++) {
		const struct engine_obs *e = &obs->engines[i];
		if (!e->name)
			continue;
		struct memory_slot *sl = set_find(&m->slots, e->name);
		if (early_exit(e)) {
			if (!sl)
				sl = set_add(&m->slots, e->name, sizeof *sl);
			sl->running_since_ms = 0;
			if (sl->crashes && sl->finished_at_ms == e->finished_at_ms)
				continue; /* seen already */
			sl->crashes++;
			sl->finished_at_ms = e->finished_at_ms;
			sl->exit_code = e->exit_code;
			sl->ran_ms = e->finished_at_ms - e->started_at_ms;
			int64_t wait = sl->wait_ms ? 2 * sl->wait_ms : MEMORY_CRASH_BACKOFF_MIN_MS;
			sl->wait_ms = wait < MEMORY_CRASH_BACKOFF_MAX_MS ? wait : MEMORY_CRASH_BACKOFF_MAX_MS;
			sl->next_attempt_ms = now_ms + sl->wait_ms;
		} else if (sl && e->running) {
			if (!sl->running_since_ms)
				sl->running_since_ms = now_ms ? now_ms : 1;
		}
	}
	for (size_t i = 0; i < m->slots.n;) {
		struct memory_slot *sl = m->slots.v[i];
		bool stable = sl->running_since_ms && now_ms - sl->running_since_ms >= MEMORY_CRASH_WINDOW_MS;
		bool stale = !sl->running_since_ms &&
			     now_ms - sl->next_attempt_ms >= MEMORY_CRASH_BACKOFF_MAX_MS;
		if (!stable && !stale) {
			i++;
			continue;
		}
		set_del_at(&m->slots, i);
		slot_entry_free(sl);
	}
}

/* ---- one observation ---- */

void memory_observe(struct memory *m, const struct config *cfg,
		    const struct observed *obs, int64_t now_ms)
{
	/* Without Docker we know nothing new: forgetting engines now would lose
	 * their stream counts for no reason. */
	if (!obs || !obs->docker_ok)
		return;
	for (size_t i = 0; i < cfg->n_vpns; i++)
		observe_vpn(memory_vpn_get(m, cfg->vpns[i].name), cfg,
			    observed_vpn(obs, cfg->vpns[i].name), now_ms);
	/* VPNs no longer declared. */
	for (size_t i = 0; i < m->vpns.n;) {
		struct memory_vpn *v = m->vpns.v[i];
		if (config_find_vpn(cfg, v->name)) {
			i++;
			continue;
		}
		set_del_at(&m->vpns, i);
		vpn_entry_free(v);
	}
	engines_forget_gone(&m->engines, obs);
	observe_slots(m, obs, now_ms);
	/* Expired back-offs, kept one more wait so a repeated failure doubles it. */
	for (size_t i = 0; i < m->backoffs.n;) {
		struct memory_backoff *b = m->backoffs.v[i];
		if (b->until_ms + b->wait_ms > now_ms) {
			i++;
			continue;
		}
		set_del_at(&m->backoffs, i);
		backoff_entry_free(b);
	}
}

/* ---- back-offs (rule 9) ---- */

const struct memory_backoff *memory_backoff_find(const struct memory *m, const char *key)
{
	return m ? set_find(&m->backoffs, key) : NULL;
}

void memory_backoff(struct memory *m, const char *key, int64_t until_ms, const char *error)
{
	struct memory_backoff *b = set_find(&m->backoffs, key);
	if (!b)
		b = set_add(&m->backoffs, key, sizeof *b);
	b->until_ms = until_ms;
	b->wait_ms = 0;
	b->name_taken = false;
	free(b->error);
	b->error = error ? xstrdup(error) : NULL;
}

void memory_backoff_name_taken(struct memory *m, const char *name)
{
	struct memory_backoff *b = set_find(&m->backoffs, name);
	if (b)
		b->name_taken = true;
}

int64_t memory_backoff_fail(struct memory *m, const char *key, int64_t now_ms,
			    int64_t min_ms, int64_t max_ms, const char *error)
{
	const struct memory_backoff *old = set_find(&m->backoffs, key);
	int64_t wait = old && old->wait_ms > 0 ? old->wait_ms * 2 : min_ms;
	if (wait > max_ms)
		wait = max_ms;
	memory_backoff(m, key, now_ms + wait, error);
	((struct memory_backoff *)set_find(&m->backoffs, key))->wait_ms = wait;
	return wait;
}

void memory_backoff_clear(struct memory *m, const char *key)
{
	struct memory_backoff *b = set_find(&m->backoffs, key);
	if (!b)
		return;
	set_del(&m->backoffs, b);
	backoff_entry_free(b);
}

int64_t memory_backoff_until(const struct memory *m, const char *key)
{
	const struct memory_backoff *b = memory_backoff_find(m, key);
	return b ? b->until_ms : 0;
}
