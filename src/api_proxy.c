/* api_proxy.c - bodies and decisions for stream proxies beyond SPEC §7:
 * GET /streams, POST /provision/acestream, GET /orchestrator/status; pure. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api_proxy.h"
#include "api_render.h"
#include "util.h"

/* Retry hints (recovery_eta_seconds). Upstream says 60 s for a VPN outage
 * (app/main.py /orchestrator/status); the rest are ours: a new engine
 * needs a create, a start and one passing probe. */
#define ETA_VPN_S 60
#define ETA_DOCKER_S 30
#define ETA_CAPACITY_S 30
#define ETA_NOT_READY_S 5

/* ---- streams ---- */

static const struct snap_engine *engine_by_id(const struct snapshot *s, const char *id)
{
	for (size_t i = 0; s && id && i < s->n_engines; i++)
		if (str_eq(s->engines[i].id, id))
			return &s->engines[i];
	return NULL;
}

cJSON *api_render_stream(const struct snapshot *s, const struct stream_rec *r, bool ended,
			 int64_t ended_ms)
{
	cJSON *o = cJSON_CreateObject();
	const struct snap_engine *e = engine_by_id(s, r->engine_id);
	cJSON_AddStringToObject(o, "id", r->id ? r->id : "");
	api_add_str_or_null(o, "key_type", r->key_type);
	api_add_str_or_null(o, "key", r->key);
	cJSON_AddStringToObject(o, "container_id", r->engine_id ? r->engine_id : "");
	api_add_str_or_null(o, "playback_session_id", r->playback_session_id);
	api_add_str_or_null(o, "stat_url", r->stat_url);
	api_add_str_or_null(o, "command_url", r->command_url);
	cJSON_AddBoolToObject(o, "is_live", r->is_live);
	api_add_time_or_null(o, "started_at", r->started_ms);
	api_add_time_or_null(o, "ended_at", ended ? ended_ms : 0);
	cJSON_AddStringToObject(o, "status", ended ? "ended" : "started");
	api_add_str_or_null(o, "container_name", e ? e->name : NULL);
	api_add_str_or_null(o, "vpn_container", e && e->vpn && *e->vpn ? e->vpn : NULL);
	return o;
}

cJSON *api_render_streams(const struct snapshot *s, const struct streams_view *v,
			  const char *engine_id)
{
	cJSON *a = cJSON_CreateArray();
	if (!v)
		return a;
	size_t lo = 0, hi = v->n;
	if (engine_id) {
		const struct streams_view_engine *ve = streams_view_engine(v, engine_id);
		lo = ve ? ve->first : 0;
		hi = ve ? ve->first + ve->count : 0;
	}
	for (size_t i = lo; i < hi; i++)
		cJSON_AddItemToArray(a, api_render_stream(s, &v->recs[i], false, 0));
	return a;
}

/* ---- provisioning ---- */

static bool claimed(const struct api_claims *c, const char *id)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (str_eq(c->ids[i], id))
			return true;
	return false;
}

size_t api_provision_idle(const struct snapshot *s, const struct streams_view *v,
			  const char **ids, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->n_engines && n < max; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (e->visible && str_eq(e->health, "healthy") && api_engine_streams(v, e) == 0)
			ids[n++] = e->id;
	}
	return n;
}

const struct snap_engine *api_provision_pick(const struct snapshot *s, const struct streams_view *v,
					     const struct api_claims *claims)
{
	const struct snap_engine *best = NULL;
	for (size_t i = 0; s && i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (!e->visible || !str_eq(e->health, "healthy") || api_engine_streams(v, e) > 0 ||
		    claimed(claims, e->id))
			continue;
		/* Engines are sorted by port: the first of each kind wins. */
		if (!best || (e->forwarded && !best->forwarded))
			best = e;
	}
	return best;
}

static void block(struct api_block *b, const char *code, int eta, bool can_retry,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void block(struct api_block *b, const char *code, int eta, bool can_retry,
		  const char *fmt, ...)
{
	va_list ap;
	b->code = code;
	b->eta_s = eta;
	b->can_retry = can_retry;
	b->should_wait = true;
	va_start(ap, fmt);
	vsnprintf(b->message, sizeof b->message, fmt, ap);
	va_end(ap);
}

/* Engines the planner may still create: replicas.max, and the max_engines of
 * the VPNs available now (an unavailable VPN's share moves to the others). */
bool api_provision_at_capacity(const struct snapshot *s, char *why, size_t len)
{
	int running = 0, on_available = 0, room = 0;
	for (size_t i = 0; i < s->n_engines; i++)
		if (str_eq(s->engines[i].state, "running"))
			running++;
	if (s->replicas_max > 0 && running >= s->replicas_max) {
		sbuf_printf(why, len, "all %d engines (replicas.max) are running and busy",
			    s->replicas_max);
		return true;
	}
	for (size_t i = 0; i < s->n_vpns; i++) {
		const struct snap_vpn *vp = &s->vpns[i];
		if (!vp->connected || vp->max_engines <= 0)
			continue;
		room += vp->max_engines;
		on_available += vp->engines;
	}
	if (s->n_vpns && room > 0 && on_available >= room) {
		sbuf_printf(why, len, "the available VPNs hold their maximum of %d engines, all busy",
			    room);
		return true;
	}
	return false;
}

bool api_provision_blocked(const struct snapshot *s, const struct streams_view *v,
			   const struct api_claims *claims, struct api_block *b)
{
	memset(b, 0, sizeof *b);
	if (!s) {
		block(b, "not_ready", ETA_NOT_READY_S, true, "no observation yet: the daemon is starting");
		return true;
	}
	if (!s->docker_ok) {
		block(b, "docker_unavailable", ETA_DOCKER_S, true, "Docker is unreachable%s%s",
		      s->docker_error ? ": " : "", s->docker_error ? s->docker_error : "");
		return true;
	}
	bool any = s->n_vpns == 0;
	for (size_t i = 0; i < s->n_vpns && !any; i++)
		any = s->vpns[i].connected;
	if (!any) {
		/* Upstream's code and wording (app/main.py provision_acestream). */
		block(b, "vpn_disconnected", ETA_VPN_S, true,
		      "VPN connection is required but currently disconnected");
		return true;
	}
	char why[200];
	if (!api_provision_pick(s, v, claims) && api_provision_at_capacity(s, why, sizeof why)) {
		/* Upstream: can_retry false, should_wait true (wait for a stream
		 * to end). */
		block(b, "max_capacity", ETA_CAPACITY_S, false, "%s", why);
		return true;
	}
	return false;
}

cJSON *api_render_provision_ok(const struct snap_engine *e, const char *const *ignored,
			       size_t n_ignored)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "container_id", e->id ? e->id : "");
	cJSON_AddStringToObject(o, "container_name", e->name ? e->name : "");
	/* acexy connects to localhost:host_http_port after provisioning
	 * (orchestrator_events.go SelectBestEngine); host/port say where
	 * /engines would send it. */
	cJSON_AddNumberToObject(o, "host_http_port", e->port);
	cJSON_AddNumberToObject(o, "container_http_port", e->http_port);
	cJSON_AddNumberToObject(o, "container_https_port", e->https_port);
	cJSON_AddStringToObject(o, "host", e->host ? e->host : "");
	cJSON_AddNumberToObject(o, "port", e->port);
	api_add_str_or_null(o, "vpn_container", e->vpn && *e->vpn ? e->vpn : NULL);
	cJSON_AddBoolToObject(o, "forwarded", e->forwarded);
	if (n_ignored) {
		cJSON *a = cJSON_AddArrayToObject(o, "ignored");
		for (size_t i = 0; i < n_ignored; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(ignored[i]));
	}
	return o;
}

static cJSON *block_detail(const struct api_block *b)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "error", "provisioning_blocked");
	cJSON_AddStringToObject(d, "code", b->code ? b->code : "general_error");
	cJSON_AddStringToObject(d, "message", b->message);
	/* An integer: acexy decodes it into an int. */
	cJSON_AddNumberToObject(d, "recovery_eta_seconds", b->eta_s);
	cJSON_AddBoolToObject(d, "can_retry", b->can_retry);
	cJSON_AddBoolToObject(d, "should_wait", b->should_wait);
	return d;
}

cJSON *api_render_block(const struct api_block *b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", b->message);
	cJSON_AddItemToObject(o, "detail", block_detail(b));
	return o;
}

/* ---- /orchestrator/status ---- */

cJSON *api_render_orch_status(const struct snapshot *s, const struct streams_view *v)
{
	cJSON *o = cJSON_CreateObject();
	struct api_block b;
	bool blocked = api_provision_blocked(s, v, NULL, &b);
	int total = 0, running = 0, healthy = 0, unhealthy = 0, visible = 0, used = 0;
	size_t active = 0;
	for (size_t i = 0; s && i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		size_t n = api_engine_streams(v, e);
		total++;
		running += str_eq(e->state, "running");
		healthy += str_eq(e->health, "healthy");
		unhealthy += str_eq(e->health, "unhealthy");
		active += n;
		if (e->visible) {
			visible++;
			used += n > 0;
		}
	}
	/* Upstream: "unavailable" with nothing to serve, "degraded" when
	 * provisioning waits on an outage, else "healthy". */
	const char *status = "healthy";
	if (!s || visible == 0)
		status = "unavailable";
	else if (blocked && strcmp(b.code, "max_capacity") != 0)
		status = "degraded";
	cJSON_AddStringToObject(o, "status", status);
	cJSON *en = cJSON_AddObjectToObject(o, "engines");
	cJSON_AddNumberToObject(en, "total", total);
	cJSON_AddNumberToObject(en, "running", running);
	cJSON_AddNumberToObject(en, "healthy", healthy);
	cJSON_AddNumberToObject(en, "unhealthy", unhealthy);
	cJSON_AddNumberToObject(en, "visible", visible);
	cJSON *st = cJSON_AddObjectToObject(o, "streams");
	cJSON_AddNumberToObject(st, "active", (double)active);
	cJSON_AddNumberToObject(st, "total", (double)active);
	/* capacity counts what proxies can use: visible engines, used = with
	 * at least one stream. */
	cJSON *cap = cJSON_AddObjectToObject(o, "capacity");
	cJSON_AddNumberToObject(cap, "total", visible);
	cJSON_AddNumberToObject(cap, "used", used);
	cJSON_AddNumberToObject(cap, "available", visible - used);
	cJSON_AddNumberToObject(cap, "max_replicas", s ? s->replicas_max : 0);
	cJSON_AddNumberToObject(cap, "min_replicas", s ? s->replicas_min : 0);
	cJSON *vpn = cJSON_AddObjectToObject(o, "vpn");
	const struct snap_vpn *first = s && s->n_vpns ? &s->vpns[0] : NULL;
	bool connected = false;
	for (size_t i = 0; s && i < s->n_vpns; i++)
		connected = connected || s->vpns[i].connected;
	cJSON_AddBoolToObject(vpn, "enabled", first != NULL);
	/* Redundant mode: connected while any VPN is (engines are served). */
	cJSON_AddBoolToObject(vpn, "connected", connected);
	cJSON_AddStringToObject(vpn, "health", first && first->health ? first->health : "none");
	api_add_str_or_null(vpn, "container", first ? first->name : NULL);
	if (first && first->forwarded_port > 0)
		cJSON_AddNumberToObject(vpn, "forwarded_port", first->forwarded_port);
	else
		cJSON_AddNullToObject(vpn, "forwarded_port");
	cJSON *pr = cJSON_AddObjectToObject(o, "provisioning");
	cJSON_AddBoolToObject(pr, "can_provision", !blocked);
	api_add_str_or_null(pr, "blocked_reason", blocked ? b.message : NULL);
	if (blocked)
		cJSON_AddItemToObject(pr, "blocked_reason_details", block_detail(&b));
	else
		cJSON_AddNullToObject(pr, "blocked_reason_details");
	api_add_time_or_null(o, "timestamp", s ? s->built_ms : 0);
	return o;
}
