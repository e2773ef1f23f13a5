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
	se->docker_host = xstrdup(e->host && *e->host ? e->host : DOCKER_HOST_DEFAULT);
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
	const struct docker_host_decl *dh = config_vpn_docker(pv->cfg, d);
	sv->docker_host = xstrdup(dh ? dh->name : DOCKER_HOST_DEFAULT);
	sv->docker_host_down = v && v->host_down;
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

/* Per Docker host: the latest pass's word on it, and what lives there. */
static void fill_hosts(struct snapshot *s, const struct publish_view *v)
{
	const struct config *c = v->cfg;
	s->n_hosts = c->n_docker_hosts;
	s->multi_host = c->n_docker_hosts > 1;
	s->hosts = xcalloc(s->n_hosts ? s->n_hosts : 1, sizeof *s->hosts);
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct snap_host *h = &s->hosts[i];
		const struct docker_host_decl *d = &c->docker_hosts[i];
		h->name = xstrdup(d->name);
		h->address = xstrdup(d->host ? d->host : c->docker_host ? c->docker_host : "");
		h->ok = v->obs != NULL && !v->stale;
		for (size_t j = 0; j < v->n_hosts; j++) {
			if (!str_eq(v->hosts[j].name, d->name))
				continue;
			h->ok = v->hosts[j].ok;
			h->error = v->hosts[j].error ? xstrdup(v->hosts[j].error) : NULL;
		}
		if (!h->ok && !h->error)
			h->error = xstrdup(v->docker_error ? v->docker_error : "not observed yet");
		for (size_t j = 0; j < c->n_vpns; j++)
			h->vpns += c->vpns[j].docker_idx == i;
		for (size_t j = 0; j < s->n_engines; j++)
			h->engines += str_eq(s->engines[j].docker_host, d->name);
	}
}

static void fill_lease(struct snapshot *s, const struct publish_view *v)
{
	const struct lease_report *r = v->lease;
	if (!r)
		return;
	s->lease.present = true;
	s->lease.role = xstrdup(lease_role_str(r->role));
	s->lease.holder = r->holder[0] ? xstrdup(r->holder) : NULL;
	s->lease.self = xstrdup(v->lease_self ? v->lease_self : "");
	s->lease.why = xstrdup(r->why);
	s->lease.since_ms = r->since_ms;
	s->lease.act_until_ms = r->role == LEASE_HOLDER ? r->act_until_ms : 0;
	s->standby = r->role == LEASE_STANDBY;
}

/* What /plan says on a daemon that does not act: why, and nothing else. */
static char *standby_plan(const struct lease_report *r)
{
	cJSON *o = cJSON_CreateObject();
	char *why = xasprintf("standby: %s", r->why);
	cJSON_AddStringToObject(o, "reason", why);
	cJSON_AddItemToObject(o, "actions", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "notes", cJSON_CreateArray());
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(why);
	char *r2 = xstrdup(s);
	cJSON_free(s);
	return r2;
}

struct snapshot *publish_build(const struct publish_view *in)
{
	/* A standby daemon shows no fleet: the holder's is the one to ask. */
	struct publish_view standby;
	const struct publish_view *v = in;
	if (in->lease && in->lease->role == LEASE_STANDBY) {
		standby = *in;
		standby.obs = NULL;
		standby.plan = NULL;
		standby.docker_error = "standby: another daemon holds the lease";
		v = &standby;
	}
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
				    s->built_ms - v->stale_since_ms > c->api.stale_grace_ms);

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

	if (in->lease && in->lease->role == LEASE_STANDBY) {
		s->plan_json = standby_plan(in->lease);
	} else if (v->plan) {
		cJSON *pj = plan_to_json(v->plan);
		/* Whether these actions are being taken, or only planned (the
		 * lease not confirmed yet). */
		if (in->lease) {
			cJSON *lj = cJSON_AddObjectToObject(pj, "lease");
			cJSON_AddStringToObject(lj, "role", lease_role_str(in->lease->role));
			cJSON_AddBoolToObject(lj, "acting", in->lease->role == LEASE_HOLDER);
			cJSON_AddStringToObject(lj, "why", in->lease->why);
		}
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
	fill_hosts(s, v);
	fill_lease(s, in);

	s->metrics = v->metrics;
	return s;
}
