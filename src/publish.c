/* publish.c - turns the loop's view (config, last good observation, memory,
 * plan, staleness) into the immutable snapshot the HTTP API serves. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "publish.h"
#include "util.h"

static int engine_cmp(const void *a, const void *b)
{
	const struct snap_engine *x = a, *y = b;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static void fill_engine(struct snap_engine *se, const struct publish_view *v,
			const struct engine_obs *e, bool expired)
{
	const struct config *c = v->cfg;
	const struct vpn_decl *d = config_find_vpn(c, e->vpn);
	const struct memory_engine *m = memory_engine(v->mem, e->id);
	char why[256] = "";
	se->name = xstrdup(e->name ? e->name : "");
	se->id = xstrdup(e->id ? e->id : "");
	/* Clients reach an engine through its VPN's published port on the
	 * VPN's `host`; without a VPN, by the engine's own name. */
	se->host = xstrdup(d && d->host ? d->host : se->name);
	se->vpn = xstrdup(e->vpn ? e->vpn : "");
	se->state = xstrdup(e->state ? e->state : "");
	se->ns = xstrdup(ns_state_str(e->ns));
	se->port = e->host_port ? e->host_port : e->http_port;
	se->http_port = e->http_port;
	se->https_port = e->https_port;
	se->p2p_port = e->p2p_port;
	se->forwarded = e->forwarded;
	se->health = xstrdup(!m || !m->probed ? "unknown" : m->probe_ok ? "healthy" : "unhealthy");
	se->probe_failures = m ? m->probe_failures : 0;
	se->streams = m ? m->streams : 0;
	/* The written-out reason: a crash loop says when the next attempt is. */
	se->visible = plan_engine_visible_at(c, v->obs, v->mem, e, v->now_ms, why, sizeof why);
	if (se->visible && expired) {
		se->visible = false;
		sbuf_printf(why, sizeof why, "docker unavailable for longer than api.stale_grace");
	}
	se->hidden_reason = se->visible ? NULL : xstrdup(why[0] ? why : "hidden");
	se->started_at_ms = e->started_at_ms;
}

static void fill_vpn(struct snap_vpn *sv, const struct publish_view *pv, const struct vpn_decl *d)
{
	const struct vpn_obs *v = observed_vpn(pv->obs, d->name);
	const struct memory_vpn *m = memory_vpn(pv->mem, d->name);
	sv->name = xstrdup(d->name);
	sv->container_id = xstrdup(v && v->id ? v->id : "");
	sv->exists = v && v->exists;
	sv->running = v && v->running;
	sv->health = xstrdup(health_status_str(v ? v->health : HEALTH_NONE));
	sv->connected = plan_vpn_available(v);
	sv->forwarded_port = v && d->port_forwarding != PF_OFF ? v->fwd_port : 0;
	sv->public_ip = v && v->public_ip ? xstrdup(v->public_ip) : NULL;
	sv->api_error = v && v->api_error ? xstrdup(v->api_error) : NULL;
	for (size_t i = 0; pv->obs && i < pv->obs->n_engines; i++)
		if (str_eq(pv->obs->engines[i].vpn, d->name))
			sv->engines++;
	sv->port_range = d->ports;
	sv->last_check_ms = pv->observed_ms;
	sv->unhealthy_since_ms = m ? m->unavailable_since_ms : 0;
	sv->restarts = m ? m->restarts : 0;
	sv->max_engines = d->max_engines;
}

/* FNV-1a of the effective config's JSON: changes exactly when the config
 * in force does. */
static void text_hash(const char *s, char out[17])
{
	uint64_t h = fnv1a64(FNV1A64_INIT, s, strlen(s));
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

struct snapshot *publish_build(const struct publish_view *v)
{
	const struct config *c = v->cfg;
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->built_ms = v->now_ms ? v->now_ms : now_wall_ms();
	s->mode = c->n_vpns == 0 ? "none" : c->n_vpns == 1 ? "single" : "redundant";
	s->config_loaded = true;
	s->docker_ok = v->obs && !v->stale;
	if (v->stale || !v->obs)
		s->docker_error = xstrdup(v->docker_error ? v->docker_error : "not observed yet");
	else if (v->obs->docker_error)
		s->docker_error = xstrdup(v->obs->docker_error);
	s->stale = v->obs && v->stale;
	s->observed_ms = v->obs ? v->observed_ms : 0;
	/* Past the grace, the last good view no longer vouches for anything. */
	bool expired = s->stale && (c->api.stale_grace_ms <= 0 ||
				    s->built_ms - v->observed_ms > c->api.stale_grace_ms);

	cJSON *cj = config_to_json(c);
	s->config_json = cJSON_PrintUnformatted(cj);
	cJSON_Delete(cj);
	text_hash(s->config_json, s->config_hash);
	s->config_source = xstrdup(v->config_path);
	s->last_reload_ms = v->metrics.last_reload_success_ms;
	s->last_reload_error = v->last_reload_error ? xstrdup(v->last_reload_error) : NULL;
	s->api_key = c->api.api_key ? xstrdup(c->api.api_key) : NULL;
	s->replicas_min = c->replicas.min;
	s->replicas_max = c->replicas.max;
	s->min_free = c->replicas.min_free;

	if (v->plan) {
		cJSON *pj = plan_to_json(v->plan);
		s->plan_json = cJSON_PrintUnformatted(pj);
		cJSON_Delete(pj);
	} else {
		s->plan_json = xstrdup("{\"actions\":[]}");
	}

	s->n_vpns = c->n_vpns;
	s->vpns = xcalloc(c->n_vpns ? c->n_vpns : 1, sizeof *s->vpns);
	for (size_t i = 0; i < c->n_vpns; i++)
		fill_vpn(&s->vpns[i], v, &c->vpns[i]);

	size_t n = v->obs ? v->obs->n_engines : 0;
	s->n_engines = n;
	s->engines = xcalloc(n ? n : 1, sizeof *s->engines);
	for (size_t i = 0; i < n; i++)
		fill_engine(&s->engines[i], v, &v->obs->engines[i], expired);
	qsort(s->engines, s->n_engines, sizeof *s->engines, engine_cmp);

	s->metrics = v->metrics;
	return s;
}
