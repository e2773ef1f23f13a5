/* apply.c - executes a plan against Docker: phase by phase, a few independent
 * actions at a time, make-before-break respected, every failure a value. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "docker.h"
#include "hosts.h"
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

static int do_create(struct docker *d, const struct engine_spec *s, const char *created_by,
		     struct apply_result *r)
{
	const char **env = xcalloc(s->n_env ? s->n_env : 1, sizeof *env);
	const char **labels = xcalloc(s->n_labels * 2 + 2, sizeof *labels);
	size_t n_labels = s->n_labels;
	for (size_t i = 0; i < s->n_env; i++)
		env[i] = xasprintf("%s=%s", s->env[i].key, s->env[i].val);
	for (size_t i = 0; i < s->n_labels; i++) {
		labels[2 * i] = s->labels[i].key;
		labels[2 * i + 1] = s->labels[i].val;
	}
	/* Not part of the spec (or its hash): a fact of this apply. */
	if (created_by) {
		labels[2 * n_labels] = APPLY_CREATED_BY_LABEL;
		labels[2 * n_labels + 1] = created_by;
		n_labels++;
	}
	struct docker_create_spec cs = {
		.name = s->name,
		.image = s->image,
		.env = env,
		.n_env = s->n_env,
		.cmd = (const char *const *)s->cmd,
		.n_cmd = s->n_cmd,
		.labels = labels,
		.n_labels = n_labels,
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

/* The clients of one worker thread, one per host, made when first needed. */
struct clients {
	const struct apply_ctx *cx;
	struct docker **d;
	struct docker_err *err;
	bool *tried;
};

static struct docker *client_for(struct clients *cl, const char *host, struct docker_err *err)
{
	const struct config *cfg = cl->cx->cfg;
	size_t n = cfg->n_docker_hosts;
	size_t i = host && n ? SIZE_MAX : 0;
	for (size_t j = 0; host && j < n; j++)
		if (str_eq(cfg->docker_hosts[j].name, host))
			i = j;
	/* Never the default host for a name it does not know: that would act
	 * on the wrong machine. */
	if (i == SIZE_MAX) {
		err->http_status = 0;
		sbuf_printf(err->msg, sizeof err->msg, "unknown docker host '%s'", host);
		return NULL;
	}
	if (!cl->tried[i]) {
		cl->tried[i] = true;
		/* A config built by hand (tests) may name its host only through
		 * docker_host. */
		struct docker_host_decl h = n ? cfg->docker_hosts[i] : (struct docker_host_decl){ 0 };
		if (!h.host && i == 0)
			h.host = cfg->docker_host;
		cl->d[i] = hosts_client(&h, &cl->err[i]);
		if (cl->d[i])
			docker_set_cancel_fd(cl->d[i], cl->cx->cancel_fd);
	}
	if (!cl->d[i])
		*err = cl->err[i];
	return cl->d[i];
}

static void execute(struct clients *cl, const struct action *a, struct apply_result *r)
{
	const struct config *cfg = cl->cx->cfg;
	struct docker_err e = { 0 };
	/* A create's host is its spec's (its VPN's); the rest act where the
	 * container is. */
	const char *host = a->kind == ACT_CREATE && a->spec ? a->spec->docker_host : a->host;
	struct docker *d = client_for(cl, host, &e);
	if (!d) {
		fail(r, "docker", &e);
		return;
	}
	r->result = RESULT_OK;
	switch (a->kind) {
	case ACT_CREATE:
		if (do_create(d, a->spec, cl->cx->created_by, r) != 0)
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
	case ACT_RECREATE: {
		/* The new one goes where its VPN is: another host when the VPN
		 * moved there in the config. */
		struct docker *nd = client_for(cl, a->spec->docker_host, &e);
		if (!nd)
			fail(r, "docker", &e);
		else if (do_remove(d, a->id, stop_timeout_s(cfg), r) == 0)
			do_create(nd, a->spec, cl->cx->created_by, r);
		break;
	}
	case ACT_RESTART_VPN:
		if (docker_restart(d, a->id ? a->id : a->name, VPN_STOP_TIMEOUT_S, &e) != 0)
			fail(r, "restart vpn", &e);
		break;
	}
}

/* One daemon per fleet: nothing starts once the lease is no longer sure. */
static bool lease_allows(const struct apply_ctx *cx, struct apply_result *r)
{
	if (!cx->act_until || now_wall_ms() < atomic_load(cx->act_until))
		return true;
	r->result = RESULT_SKIPPED;
	sbuf_printf(r->error, sizeof r->error, "not started: this daemon's lease is not confirmed "
		    "(another daemon may act)");
	return false;
}

struct pool {
	const struct apply_ctx *cx;
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
	size_t nh = pool->cx->cfg->n_docker_hosts ? pool->cx->cfg->n_docker_hosts : 1;
	struct clients cl = { pool->cx, xcalloc(nh, sizeof *cl.d), xcalloc(nh, sizeof *cl.err),
			      xcalloc(nh, sizeof *cl.tried) };
	for (;;) {
		pthread_mutex_lock(&pool->mu);
		size_t k = pool->next < pool->n_todo ? pool->todo[pool->next++] : SIZE_MAX;
		pthread_mutex_unlock(&pool->mu);
		if (k == SIZE_MAX)
			break;
		struct apply_result *r = &pool->results[k];
		if (lease_allows(pool->cx, r))
			execute(&cl, &pool->p->v[k], r);
	}
	for (size_t i = 0; i < nh; i++)
		docker_free(cl.d[i]);
	free(cl.d);
	free(cl.err);
	free(cl.tried);
	return NULL;
}

/* Runs the listed actions on up to APPLY_MAX_PARALLEL workers. */
static void run_batch(const struct apply_ctx *cx, const struct plan *p,
		      struct apply_result *results, const size_t *todo, size_t n)
{
	if (!n)
		return;
	struct pool pool = { cx, p, results, todo, n, 0, PTHREAD_MUTEX_INITIALIZER };
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
			 "vpn", a->vpn, "host", a->host, "reason", a->reason);
		if (mem) {
			memory_backoff_clear(mem, key);
			if (a->kind == ACT_RESTART_VPN)
				memory_vpn_restarted(mem, cfg, a->name, now_ms);
		}
		return;
	}
	if (r->result == RESULT_SKIPPED) {
		log_info(r->error[0] ? "action held back: lease not confirmed"
				     : "action held back: its replacement was not created", "action",
			 action_kind_str(a->kind), "container", target, "vpn", a->vpn, "host", a->host);
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
		  "vpn", a->vpn, "host", a->host, "error", r->error, "retry_in_ms", LOG_INT(wait));
}

void apply_run(const struct apply_ctx *cx, const struct plan *p, struct memory *mem,
	       int64_t now_ms, struct apply_result *results, struct apply_stats *stats)
{
	const struct config *cfg = cx->cfg;
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
		run_batch(cx, p, results, todo, n);
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
