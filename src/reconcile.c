/* reconcile.c - one reconcile pass (observe -> remember -> plan -> apply),
 * config reloads that keep the last good config, and transition logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "ctrl.h"
#include "docker.h"
#include "log.h"
#include "reconcile.h"
#include "util.h"

#define ACTED_MAX 4096 /* touched IDs kept for the next pass, at most */

struct reconciler *reconciler_new(void)
{
	struct reconciler *r = xcalloc(1, sizeof *r);
	r->cancel_fd = -1;
	memory_init(&r->mem);
	return r;
}

static void touched_clear(struct reconciler *r)
{
	for (size_t i = 0; i < r->n_touched; i++)
		free(r->touched[i]);
	r->n_touched = 0;
}

void reconciler_free(struct reconciler *r)
{
	if (!r)
		return;
	hosts_clients_free(&r->clients);
	observed_free(&r->obs);
	observed_free(&r->hosts);
	memory_free(&r->mem);
	touched_clear(r);
	free(r->touched);
	for (size_t i = 0; i < r->n_ctrl; i++)
		ctrl_state_clear(&r->ctrl[i]);
	free(r->ctrl);
	free(r);
}

static void touch(struct reconciler *r, const char *id)
{
	if (!id || !*id || r->n_touched >= ACTED_MAX)
		return;
	grow(&r->touched, &r->cap_touched, r->n_touched + 1, sizeof *r->touched);
	r->touched[r->n_touched++] = xstrdup(id);
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

/* Docker hosts answering or not, by name. With one host the words stay
 * those of a fleet on one Docker ("docker unreachable"). */
static void log_hosts(const struct observed *was, const struct observed *now, bool one)
{
	for (size_t i = 0; i < now->n_hosts; i++) {
		const struct host_obs *h = &now->hosts[i];
		const struct host_obs *p = was ? observed_host(was, h->name) : NULL;
		bool p_ok = p ? p->ok : true;
		/* Still down for another reason (new certificates, say): news. */
		bool new_error = p && !p->ok && !h->ok && !str_eq(p->error, h->error);
		if (p_ok == h->ok && was && !new_error)
			continue;
		if (!h->ok)
			log_kv(LOG_ERROR, one ? "docker unreachable" : "docker host unreachable",
			       "docker_host", h->name, "host", h->address, "error", h->error, NULL);
		else if (was)
			log_kv(LOG_INFO, one ? "docker reachable again" : "docker host reachable again",
			       "docker_host", h->name, "host", h->address, NULL);
	}
}

/* Transitions, not steady states: a VPN changing availability, identity or
 * forwarded port, and Docker hosts going away or coming back. */
static void log_transitions(const struct reconciler *r, const struct config *cfg,
			    const struct observed *now)
{
	const struct observed *was = r->have_obs ? &r->obs : NULL;
	if (now->n_hosts) {
		log_hosts(r->have_hosts ? &r->hosts : NULL, now, now->n_hosts == 1);
	} else if (!was || was->docker_ok != now->docker_ok) {
		if (!now->docker_ok)
			log_error("docker unreachable", "host", cfg->docker_host,
				  "error", now->docker_error);
		else if (was)
			log_info("docker reachable again", "host", cfg->docker_host);
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
			       "health", health_status_str(v->health), "api_error", v->api_error,
			       "docker_host", cfg->n_docker_hosts > 1 ? v->host : NULL, NULL);
		if (v->host_down)
			continue; /* its last view: nothing new to say */
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

/* Control-server state for each running VPN: the daemon's latest read
 * (in->ctrl) when it was made against the VPN's current container, else the
 * reconciler's own cache (commands), else a read now; after a VPN restart or
 * re-create the forwarded port must be read before engines are placed. */
static void merge_ctrl(struct reconciler *r, const struct pass_input *in, struct observed *obs,
		       int64_t now, struct pass_result *out)
{
	const struct config *cfg = in->cfg;
	if (r->n_ctrl != cfg->n_vpns) {
		for (size_t i = 0; i < r->n_ctrl; i++)
			ctrl_state_clear(&r->ctrl[i]);
		free(r->ctrl);
		r->n_ctrl = cfg->n_vpns;
		r->ctrl = xcalloc(r->n_ctrl ? r->n_ctrl : 1, sizeof *r->ctrl);
	}
	out->n_ctrl = cfg->n_vpns;
	out->ctrl = xcalloc(cfg->n_vpns ? cfg->n_vpns : 1, sizeof *out->ctrl);
	for (size_t i = 0; i < cfg->n_vpns; i++) {
		struct vpn_obs *v = &obs->vpns[i];
		struct ctrl_state *c = &r->ctrl[i];
		/* A VPN on a host that did not answer keeps its last view. */
		if (!v->running || v->host_down)
			continue;
		const struct ctrl_state *use = NULL;
		if (in->ctrl && ctrl_matches(&in->ctrl[i], v))
			use = &in->ctrl[i];
		else if (ctrl_matches(c, v) &&
			 (in->ctrl || now - c->read_ms < cfg->health.port_check_interval_ms))
			use = c;
		if (!use) {
			struct ctrl_state next;
			ctrl_read(&cfg->vpns[i], v, c, 0, now, &next);
			ctrl_state_clear(c);
			*c = next;
			use = c;
		} else if (use != c) {
			ctrl_state_clear(c);
			ctrl_state_copy(c, use);
		}
		ctrl_to_vpn_obs(use, v);
		ctrl_state_copy(&out->ctrl[i], use);
	}
}

/* Which hosts answered last time, for the transition logs: kept apart from
 * r->obs, which is only replaced by an observation that reached Docker. */
static void hosts_remember(struct reconciler *r, const struct observed *obs)
{
	observed_free(&r->hosts);
	r->hosts.n_hosts = obs->n_hosts;
	r->hosts.hosts = xcalloc(obs->n_hosts ? obs->n_hosts : 1, sizeof *r->hosts.hosts);
	for (size_t i = 0; i < obs->n_hosts; i++) {
		r->hosts.hosts[i] = obs->hosts[i];
		r->hosts.hosts[i].name = xstrdup(obs->hosts[i].name);
		r->hosts.hosts[i].address = xstrdup(obs->hosts[i].address ? obs->hosts[i].address : "");
		r->hosts.hosts[i].error = obs->hosts[i].error ? xstrdup(obs->hosts[i].error) : NULL;
	}
	r->have_hosts = true;
}

static void apply_live(struct memory *mem, const struct pass_input *in)
{
	for (size_t i = 0; i < in->n_live; i++) {
		const struct pass_live *l = &in->live[i];
		struct memory_engine *m = memory_engine_get(mem, l->id);
		m->streams = l->streams;
		m->probed = l->probed;
		m->probe_ok = l->probe_ok;
		m->probe_failures = l->probe_failures;
	}
}

static void count_pass(struct reconciler *r, int64_t t0)
{
	double secs = (double)(now_mono_ms() - t0) / 1000.0;
	r->metrics.reconcile_total++;
	r->metrics.duration_count++;
	r->metrics.duration_sum_s += secs;
	for (size_t i = 0; i < SNAP_HIST_BUCKETS; i++)
		if (secs <= snap_hist_bounds[i])
			r->metrics.duration_buckets[i]++;
}

int reconciler_pass(struct reconciler *r, const struct pass_input *in, struct pass_result *out)
{
	const struct config *cfg = in->cfg;
	int64_t t0 = now_mono_ms();
	int64_t now = in->now_ms ? in->now_ms : now_wall_ms();
	memset(out, 0, sizeof *out);
	struct observed obs = { 0 };
	hosts_clients_sync(&r->clients, cfg, r->cancel_fd);

	/* Engines acted upon last time are inspected again, whatever events
	 * said (apply reads no events); all of them now and then, since Docker
	 * drops events for a lagging subscriber. */
	size_t n_dirty = in->n_dirty + r->n_touched;
	const char **dirty = xcalloc(n_dirty ? n_dirty : 1, sizeof *dirty);
	for (size_t i = 0; i < in->n_dirty; i++)
		dirty[i] = in->dirty[i];
	for (size_t i = 0; i < r->n_touched; i++)
		dirty[in->n_dirty + i] = r->touched[i];
	int64_t resync = cfg->docker_resync_interval_ms;
	bool all = in->inspect_all || !r->have_obs ||
		   (resync > 0 && now - r->last_full_inspect_ms >= resync);
	struct observe_opts opts = { .dirty_ids = dirty, .n_dirty = n_dirty, .inspect_all = all,
				     .n_engine_inspects = &out->n_inspects };
	observe_fleet(r->clients.d, r->clients.err, cfg, r->have_obs ? &r->obs : NULL, &opts, &obs);
	free(dirty);
	if (obs.docker_ok) {
		touched_clear(r);
		if (all)
			r->last_full_inspect_ms = now;
		merge_ctrl(r, in, &obs, now, out);
	}

	log_transitions(r, cfg, &obs);
	hosts_remember(r, &obs);
	if (in->live)
		apply_live(&r->mem, in);
	memory_observe(&r->mem, cfg, &obs, now);
	r->mem.demand = in->demand;
	if (obs.docker_ok) {
		observed_free(&r->obs);
		r->obs = obs;
		r->have_obs = true;
	}
	const struct observed *o = obs.docker_ok ? &r->obs : &obs;

	plan_compute(cfg, o, &r->mem, now, &out->plan);
	if (in->apply && out->plan.n) {
		struct apply_result *res = xcalloc(out->plan.n, sizeof *res);
		struct apply_stats st;
		struct apply_ctx cx = { cfg, r->cancel_fd, in->act_until, in->created_by };
		apply_run(&cx, &out->plan, &r->mem, now, res, &st);
		for (size_t i = 0; i < out->plan.n; i++) {
			const struct action *a = &out->plan.v[i];
			if ((unsigned)a->kind < SNAP_ACTION_KINDS &&
			    (unsigned)res[i].result < SNAP_ACTION_RESULTS)
				r->metrics.actions[a->kind][res[i].result]++;
			if (res[i].result != RESULT_SKIPPED) {
				touch(r, a->id);
				touch(r, res[i].id);
			}
		}
		log_info("pass applied", "actions", LOG_INT(out->plan.n), "ok", LOG_INT(st.ok),
			 "failed", LOG_INT(st.failed), "held_back", LOG_INT(st.skipped),
			 "target", LOG_INT(out->plan.target));
		out->failed = (unsigned)st.failed;
		out->results = res;
	}
	if (in->apply)
		count_pass(r, t0);
	observed_copy(&out->obs, o);
	memory_copy(&out->mem, &r->mem);
	out->at_ms = now;
	out->metrics = r->metrics;
	out->n = o->docker_ok ? (int)out->plan.n : -1;
	if (!obs.docker_ok)
		observed_free(&obs);
	return out->n;
}

void pass_result_free(struct pass_result *res)
{
	if (!res)
		return;
	observed_free(&res->obs);
	memory_free(&res->mem);
	for (size_t i = 0; i < res->n_ctrl; i++)
		ctrl_state_clear(&res->ctrl[i]);
	free(res->ctrl);
	plan_free(&res->plan);
	free(res->results);
	memset(res, 0, sizeof *res);
}
