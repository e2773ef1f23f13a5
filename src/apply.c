/* apply.c - executes a plan against Docker: phase by phase, a few independent
 * actions at a time, make-before-break respected, every failure a value. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "docker.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS 2000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define VPN_STOP_TIMEOUT_S 10

static const char *const result_names[] = { "pending", "ok", "failed", "skipped" };

const char *action_result_str(enum action_result r)
{
	return (unsigned)r < ARRAY_LEN(result_names) ? result_names[r] : "?";
}

static int stop_timeout_s(const struct config *cfg)
{
	return (int)((cfg->engine.stop_timeout_ms + 999) / 1000);
}

static void fail(struct apply_result *r, const char *what, const struct docker_err *e)
{
	r->result = RESULT_FAILED;
	if (e->http_status)
		sbuf_printf(r->error, sizeof r->error, "%s: HTTP %ld: %s", what, e->http_status, e->msg);
	else
		sbuf_printf(r->error, sizeof r->error, "%s: %s", what, e->msg);
}

static int do_create(struct docker *d, const struct engine_spec *s, struct apply_result *r)
{
	const char **env = xcalloc(s->n_env, sizeof *env);
	const char **labels = xcalloc(s->n_labels * 2, sizeof *labels);
	for (size_t i = 0; i < s->n_env; i++)
		env[i] = xasprintf("%s=%s", s->env[i].key, s->env[i].val);
	for (size_t i = 0; i < s->n_labels; i++) {
		labels[2 * i] = s->labels[i].key;
		labels[2 * i + 1] = s->labels[i].val;
	}
	struct docker_create_spec cs = {
		.name = s->name,
		.image = s->image,
		.env = env,
		.n_env = s->n_env,
		.cmd = (const char *const *)s->cmd,
		.n_cmd = s->n_cmd,
		.labels = labels,
		.n_labels = s->n_labels,
		.network_mode = s->network_mode,
		.memory_bytes = s->memory_limit,
		.stop_timeout_s = (int)((s->stop_timeout_ms + 999) / 1000),
		.container_port = s->behind_vpn ? 0 : s->http_port,
		.host_port = s->behind_vpn ? 0 : s->host_port,
	};
	struct docker_err e = { 0 };
	int rc = docker_create(d, &cs, r->id, sizeof r->id, &e);
	if (rc != 0) {
		fail(r, "create", &e);
		r->name_conflict = e.http_status == 409;
	} else if (docker_start(d, r->id, &e) != 0) {
		fail(r, "start", &e);
		/* A container that never started would only be found and removed
		 * by the next pass; removing it now keeps its name free. */
		struct docker_err e2 = { 0 };
		docker_remove(d, r->id, &e2);
		rc = -1;
	}
	for (size_t i = 0; i < s->n_env; i++)
		free((char *)env[i]);
	free(env);
	free(labels);
	return rc;
}

static int do_remove(struct docker *d, const char *id, int timeout_s, struct apply_result *r)
{
	struct docker_err e = { 0 };
	/* Stop first so the engine exits cleanly within its stop timeout; a
	 * failed stop still falls through to the forced remove. */
	if (docker_stop(d, id, timeout_s, &e) != 0 && docker_err_not_found(&e))
		return 0;
	memset(&e, 0, sizeof e);
	if (docker_remove(d, id, &e) != 0 && !docker_err_not_found(&e)) {
		fail(r, "remove", &e);
		return -1;
	}
	return 0;
}

static void execute(const struct config *cfg, struct docker *d, const struct action *a,
		    struct apply_result *r)
{
	struct docker_err e = { 0 };
	r->result = RESULT_OK;
	switch (a->kind) {
	case ACT_CREATE:
		if (do_create(d, a->spec, r) != 0)
			return;
		break;
	case ACT_START:
		if (docker_start(d, a->id, &e) != 0)
			fail(r, "start", &e);
		break;
	case ACT_RESTART:
		if (docker_restart(d, a->id, stop_timeout_s(cfg), &e) != 0)
			fail(r, "restart", &e);
		break;
	case ACT_REMOVE:
		do_remove(d, a->id, stop_timeout_s(cfg), r);
		break;
	case ACT_RECREATE:
		if (do_remove(d, a->id, stop_timeout_s(cfg), r) == 0)
			do_create(d, a->spec, r);
		break;
	case ACT_RESTART_VPN:
		if (docker_restart(d, a->id ? a->id : a->name, VPN_STOP_TIMEOUT_S, &e) != 0)
			fail(r, "restart vpn", &e);
		break;
	}
}

struct pool {
	const struct config *cfg;
	int cancel_fd;
	const struct plan *p;
	struct apply_result *results;
	const size_t *todo;
	size_t n_todo;
	size_t next;
	pthread_mutex_t mu;
};

static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct docker_err e = { 0 };
	struct docker *d = docker_new(pool->cfg->docker_host, &e);
	if (d)
		docker_set_cancel_fd(d, pool->cancel_fd);
	for (;;) {
		pthread_mutex_lock(&pool->mu);
		size_t k = pool->next < pool->n_todo ? pool->todo[pool->next++] : SIZE_MAX;
		pthread_mutex_unlock(&pool->mu);
		if (k == SIZE_MAX)
			break;
		struct apply_result *r = &pool->results[k];
		if (!d) {
			fail(r, "docker", &e);
			continue;
		}
		execute(pool->cfg, d, &pool->p->v[k], r);
	}
	docker_free(d);
	return NULL;
}

/* Runs the listed actions on up to APPLY_MAX_PARALLEL workers. */
static void run_batch(const struct config *cfg, int cancel_fd, const struct plan *p,
		      struct apply_result *results, const size_t *todo, size_t n)
{
	if (!n)
		return;
	struct pool pool = { cfg, cancel_fd, p, results, todo, n, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t nw = n < APPLY_MAX_PARALLEL ? n : APPLY_MAX_PARALLEL;
	pthread_t th[APPLY_MAX_PARALLEL];
	size_t started = 0;
	for (; started < nw; started++)
		if (pthread_create(&th[started], NULL, worker, &pool) != 0)
			break;
	if (started == 0) /* no thread to be had: do it here */
		worker(&pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pool.mu);
}

/* Whether a phase-1 action may run: its prerequisite, or every create of
 * phase 0, succeeded (make before break). */
static bool prerequisites_ok(const struct plan *p, const struct apply_result *res, size_t k)
{
	const struct action *a = &p->v[k];
	if (a->after >= 0)
		return (size_t)a->after < p->n && res[a->after].result == RESULT_OK;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].phase < a->phase && (p->v[i].kind == ACT_CREATE || p->v[i].kind == ACT_RECREATE) &&
		    res[i].result != RESULT_OK)
			return false;
	return true;
}

static void record(const struct config *cfg, const struct action *a, const struct apply_result *r,
		   struct memory *mem, int64_t now_ms)
{
	const char *key = plan_backoff_key(a);
	const char *target = a->name ? a->name : (a->id ? a->id : "?");
	if (r->result == RESULT_OK) {
		log_info("action done", "action", action_kind_str(a->kind), "container", target,
			 "vpn", a->vpn, "reason", a->reason);
		if (mem) {
			memory_backoff_clear(mem, key);
			if (a->kind == ACT_RESTART_VPN)
				memory_vpn_restarted(mem, cfg, a->name, now_ms);
		}
		return;
	}
	if (r->result == RESULT_SKIPPED) {
		log_info("action held back: its replacement was not created", "action",
			 action_kind_str(a->kind), "container", target, "vpn", a->vpn);
		return;
	}
	int64_t wait = BACKOFF_MIN_MS;
	if (mem) {
		wait = memory_backoff_fail(mem, key, now_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS, r->error);
		if (r->name_conflict)
			memory_backoff_name_taken(mem, key);
		/* A VPN restart that failed still counts for its own back-off. */
		if (a->kind == ACT_RESTART_VPN)
			memory_vpn_restarted(mem, cfg, a->name, now_ms);
	}
	log_error("action failed", "action", action_kind_str(a->kind), "container", target,
		  "vpn", a->vpn, "error", r->error, "retry_in_ms", LOG_INT(wait));
}

void apply_run(const struct config *cfg, const struct plan *p, struct memory *mem,
	       int64_t now_ms, int cancel_fd, struct apply_result *results,
	       struct apply_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	if (!p->n)
		return;
	memset(results, 0, p->n * sizeof *results);
	size_t *todo = xcalloc(p->n, sizeof *todo);
	int max_phase = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].phase > max_phase)
			max_phase = p->v[i].phase;
	for (int phase = 0; phase <= max_phase; phase++) {
		size_t n = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (p->v[i].phase != phase)
				continue;
			if (phase > 0 && !prerequisites_ok(p, results, i)) {
				results[i].result = RESULT_SKIPPED;
				continue;
			}
			todo[n++] = i;
		}
		run_batch(cfg, cancel_fd, p, results, todo, n);
	}
	free(todo);
	for (size_t i = 0; i < p->n; i++) {
		record(cfg, &p->v[i], &results[i], mem, now_ms);
		if (results[i].result == RESULT_OK)
			stats->ok++;
		else if (results[i].result == RESULT_SKIPPED)
			stats->skipped++;
		else
			stats->failed++;
	}
}
