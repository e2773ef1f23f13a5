/* reconcile.c - one reconcile pass (observe -> remember -> plan -> apply),
 * config reloads that keep the last good config, and transition logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "docker.h"
#include "log.h"
#include "reconcile.h"
#include "util.h"

struct reconciler *reconciler_new(const char *config_path)
{
	struct diags d = { 0 };
	struct config *cfg = config_load_file(config_path, &d);
	diags_print(&d, config_path, stderr);
	diags_free(&d);
	if (!cfg)
		return NULL;
	struct reconciler *r = xcalloc(1, sizeof *r);
	r->config_path = xstrdup(config_path);
	r->cfg = cfg;
	r->metrics.reloads_ok = 1;
	r->metrics.last_reload_success_ms = now_wall_ms();
	plan_memory_init(&r->mem);
	return r;
}

void reconciler_free(struct reconciler *r)
{
	if (!r)
		return;
	config_free(r->cfg);
	docker_free(r->docker);
	free(r->docker_host);
	observed_free(&r->obs);
	plan_memory_free(&r->mem);
	for (size_t i = 0; i < r->n_dirty; i++)
		free(r->dirty[i]);
	free(r->dirty);
	free(r->last_reload_error);
	free(r->config_path);
	free(r);
}

/* Logs each diagnostic as its own line, GCC-style location in the message,
 * so a bad edit is found from the daemon log alone. */
static char *log_diags(const struct diags *d, const char *file)
{
	char *first = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		char *line = xasprintf("%s:%d:%d: %s: %s", file, g->pos.line, g->pos.col,
				       g->level == DIAG_ERROR ? "error" : "warning", g->msg);
		log_kv(g->level == DIAG_ERROR ? LOG_ERROR : LOG_WARN, "config diagnostic",
		       "diag", line, NULL);
		if (!first && g->level == DIAG_ERROR)
			first = line;
		else
			free(line);
	}
	return first;
}

int reconciler_reload(struct reconciler *r, const char *buf, size_t len)
{
	struct diags d = { 0 };
	struct config *c = config_load_buffer(buf, len, r->config_path, &d);
	char *first = log_diags(&d, r->config_path);
	size_t nerr = diags_errors(&d);
	diags_free(&d);
	if (!c) {
		log_error("config invalid; keeping the last valid config", "file", r->config_path,
			  "errors", LOG_INT(nerr));
		free(r->last_reload_error);
		r->last_reload_error = first ? first : xstrdup("invalid config");
		r->metrics.reloads_failed++;
		return -1;
	}
	free(first);
	log_info("config reloaded", "file", r->config_path, "instance", c->instance,
		 "vpns", LOG_INT(c->n_vpns), "min", LOG_INT(c->replicas.min),
		 "max", LOG_INT(c->replicas.max));
	config_free(r->cfg);
	r->cfg = c;
	free(r->last_reload_error);
	r->last_reload_error = NULL;
	r->metrics.reloads_ok++;
	r->metrics.last_reload_success_ms = now_wall_ms();
	return 0;
}

void reconciler_mark_dirty(struct reconciler *r, const char *id)
{
	for (size_t i = 0; i < r->n_dirty; i++)
		if (strcmp(r->dirty[i], id) == 0)
			return;
	grow(&r->dirty, &r->cap_dirty, r->n_dirty + 1, sizeof *r->dirty);
	r->dirty[r->n_dirty++] = xstrdup(id);
}

static const char *vpn_state_word(const struct vpn_obs *v)
{
	if (!v || !v->exists)
		return "missing";
	if (!v->running)
		return "stopped";
	if (plan_vpn_available(v))
		return "available";
	return v->health == HEALTH_STARTING ? "starting" : "unavailable";
}

/* Transitions, not steady states: a VPN changing availability, identity or
 * forwarded port, and Docker going away or coming back. */
static void log_transitions(const struct reconciler *r, const struct observed *now)
{
	const struct observed *was = r->have_obs ? &r->obs : NULL;
	if (!was || was->docker_ok != now->docker_ok) {
		if (!now->docker_ok)
			log_error("docker unreachable", "host", r->cfg->docker_host,
				  "error", now->docker_error);
		else if (was)
			log_info("docker reachable again", "host", r->cfg->docker_host);
	}
	if (!now->docker_ok)
		return;
	for (size_t i = 0; i < now->n_vpns; i++) {
		const struct vpn_obs *v = &now->vpns[i];
		const struct vpn_obs *p = was ? observed_vpn(was, v->name) : NULL;
		const char *from = p ? vpn_state_word(p) : "unknown";
		const char *to = vpn_state_word(v);
		if (strcmp(from, to) != 0)
			log_kv(strcmp(to, "available") == 0 ? LOG_INFO : LOG_WARN, "vpn state changed",
			       "vpn", v->name, "from", from, "to", to,
			       "health", health_status_str(v->health), "api_error", v->api_error, NULL);
		if (p && p->exists && v->exists && !str_eq(p->id, v->id))
			log_warn("vpn container re-created", "vpn", v->name, "old_id", p->id, "new_id", v->id);
		else if (p && p->exists && v->exists && p->started_at_ms && v->started_at_ms != p->started_at_ms)
			log_warn("vpn container restarted", "vpn", v->name);
		/* The control server was asked only while the VPN runs; its
		 * error appearing, changing or clearing is what an operator
		 * fixing a config.toml role waits for. */
		const char *pe = p && p->running ? p->api_error : NULL;
		if (v->running && !str_eq(pe, v->api_error)) {
			if (!v->api_error)
				log_info("vpn control server error cleared", "vpn", v->name, "was", pe);
			else if (!pe)
				log_warn("vpn control server error", "vpn", v->name, "error", v->api_error);
			else
				log_warn("vpn control server error changed", "vpn", v->name,
					 "error", v->api_error, "was", pe);
		}
		if (p && p->fwd_port != v->fwd_port && (v->api_ok || v->fwd_port))
			log_kv(v->fwd_port ? LOG_INFO : LOG_WARN, "vpn forwarded port changed",
			       "vpn", v->name, "from", LOG_INT(p->fwd_port), "to", LOG_INT(v->fwd_port), NULL);
	}
}

static struct docker *docker_for(struct reconciler *r, struct docker_err *err)
{
	if (r->docker && str_eq(r->docker_host, r->cfg->docker_host))
		return r->docker;
	docker_free(r->docker);
	free(r->docker_host);
	r->docker_host = xstrdup(r->cfg->docker_host);
	r->docker = docker_new(r->cfg->docker_host, err);
	return r->docker;
}

int reconciler_pass(struct reconciler *r, bool apply, struct plan *out)
{
	int64_t t0 = now_mono_ms();
	int64_t now = now_wall_ms();
	struct observed obs = { 0 };
	struct docker_err err = { 0 };
	struct docker *d = docker_for(r, &err);
	if (!d) {
		obs.docker_ok = false;
		obs.docker_error = xstrdup(err.msg);
	} else {
		observe_build(d, r->cfg, r->have_obs ? &r->obs : NULL,
			      (const char *const *)r->dirty, r->n_dirty, now, &obs);
	}
	for (size_t i = 0; i < r->n_dirty; i++)
		free(r->dirty[i]);
	r->n_dirty = 0;

	log_transitions(r, &obs);
	plan_memory_observe(&r->mem, r->cfg, &obs, now);
	observed_free(&r->obs);
	r->obs = obs;
	r->have_obs = true;

	plan_compute(r->cfg, &r->obs, &r->mem, now, out);
	if (apply && out->n) {
		struct apply_result *res = xcalloc(out->n, sizeof *res);
		struct apply_stats st;
		apply_run(r->cfg, out, &r->mem, now, res, &st);
		for (size_t i = 0; i < out->n; i++)
			if ((unsigned)out->v[i].kind < SNAP_ACTION_KINDS &&
			    (unsigned)res[i].result < SNAP_ACTION_RESULTS)
				r->metrics.actions[out->v[i].kind][res[i].result]++;
		log_info("pass applied", "actions", LOG_INT(out->n), "ok", LOG_INT(st.ok),
			 "failed", LOG_INT(st.failed), "held_back", LOG_INT(st.skipped),
			 "target", LOG_INT(out->target));
		free(res);
	}
	r->last_pass_ms = now;
	if (apply) {
		double secs = (double)(now_mono_ms() - t0) / 1000.0;
		r->metrics.reconcile_total++;
		r->metrics.duration_count++;
		r->metrics.duration_sum_s += secs;
		for (size_t i = 0; i < SNAP_HIST_BUCKETS; i++)
			if (secs <= snap_hist_bounds[i])
				r->metrics.duration_buckets[i]++;
	}
	if (!r->obs.docker_ok)
		return -1;
	return (int)out->n;
}
