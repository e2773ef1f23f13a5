/* api_render.c - JSON bodies of SPEC §7 built from an immutable snapshot and
 * the stream registry's view, and the POST auth decision; no I/O. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_render.h"
#include "util.h"

/* ---- helpers ---- */

void api_add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* Ports and IDs that mean "none" when 0 or "" are null in JSON so clients
 * can test for absence without knowing our sentinels. */
static void add_port_or_null(cJSON *o, const char *key, int port)
{
	if (port > 0)
		cJSON_AddNumberToObject(o, key, port);
	else
		cJSON_AddNullToObject(o, key);
}

void api_add_time_or_null(cJSON *o, const char *key, int64_t ms)
{
	char buf[32];
	if (ms > 0)
		cJSON_AddStringToObject(o, key, api_fmt_time(ms, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, key);
}

const char *api_fmt_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		sbuf_printf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}

char *api_error_body(const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg ? msg : "error");
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		fatal("out of memory rendering an error");
	return s;
}

/* ---- engines ---- */

size_t api_engine_streams(const struct streams_view *v, const struct snap_engine *e)
{
	if (!v)
		return e->streams > 0 ? (size_t)e->streams : 0;
	return streams_view_count(v, e->id);
}

static cJSON *engine_obj(const struct snapshot *s, const struct streams_view *v,
			 const struct snap_engine *e, bool details)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "container_name", e->name ? e->name : "");
	cJSON_AddStringToObject(o, "container_id", e->id ? e->id : "");
	cJSON_AddStringToObject(o, "host", e->host ? e->host : "");
	cJSON_AddNumberToObject(o, "port", e->port);
	/* The Docker host it runs on (issue 11), not to be confused with
	 * "host", the address clients reach it at. */
	cJSON_AddStringToObject(o, "docker_host", e->docker_host ? e->docker_host : "default");
	/* "" (no-VPN mode) is null: there is no VPN container to name. */
	api_add_str_or_null(o, "vpn_container", e->vpn && *e->vpn ? e->vpn : NULL);
	cJSON_AddBoolToObject(o, "forwarded", e->forwarded);
	cJSON_AddNumberToObject(o, "p2p_port", e->p2p_port);
	cJSON_AddNumberToObject(o, "https_port", e->https_port);
	const char *health = e->health ? e->health : "unknown";
	cJSON_AddStringToObject(o, "health", health);
	/* acexy decodes streams as []string (orchestrator_events.go
	 * engineState.Streams); the count moved to stream_count. */
	cJSON *list = cJSON_AddArrayToObject(o, "streams");
	const struct streams_view_engine *ve = streams_view_engine(v, e->id);
	for (size_t i = 0; ve && i < ve->count; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(v->recs[ve->first + i].id));
	cJSON_AddNumberToObject(o, "stream_count", (double)api_engine_streams(v, e));
	/* Upstream's EngineState names (app/models/schemas.py). */
	cJSON_AddStringToObject(o, "health_status", health);
	cJSON_AddObjectToObject(o, "labels");
	api_add_time_or_null(o, "first_seen", e->started_at_ms > 0 ? e->started_at_ms : s->built_ms);
	api_add_time_or_null(o, "last_seen", s->built_ms);
	/* acexy sorts by it (least recently used first). */
	api_add_time_or_null(o, "last_stream_usage", ve ? ve->last_started_ms : 0);
	/* last_health_check, last_cache_cleanup and cache_size_bytes would
	 * always be null here (no such data): left out, which Go decodes as
	 * the same zero value, and /engines stays a third smaller. */
	if (details) {
		cJSON_AddBoolToObject(o, "visible", e->visible);
		api_add_str_or_null(o, "hidden_reason", e->visible ? NULL
						: (e->hidden_reason ? e->hidden_reason : "hidden"));
	}
	return o;
}

cJSON *api_render_engines(const struct snapshot *s, const struct streams_view *v, bool all)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (all || e->visible)
			cJSON_AddItemToArray(a, engine_obj(s, v, e, all));
	}
	return a;
}

cJSON *api_render_engine(const struct snapshot *s, const struct streams_view *v,
			 const struct snap_engine *e)
{
	cJSON *o = engine_obj(s, v, e, true);
	api_add_str_or_null(o, "state", e->state);
	api_add_str_or_null(o, "namespace", e->ns);
	cJSON_AddNumberToObject(o, "http_port", e->http_port);
	cJSON_AddNumberToObject(o, "probe_failures", e->probe_failures);
	return o;
}

/* ---- VPNs ---- */

static cJSON *vpn_obj(const struct snap_vpn *v)
{
	char buf[32];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", v->name ? v->name : "");
	/* The VPN's name is its Docker container name (SPEC §3). */
	cJSON_AddStringToObject(o, "container_name", v->name ? v->name : "");
	cJSON_AddStringToObject(o, "docker_host", v->docker_host ? v->docker_host : "default");
	cJSON_AddBoolToObject(o, "docker_host_reachable", !v->docker_host_down);
	api_add_str_or_null(o, "container_id",
			v->container_id && *v->container_id ? v->container_id : NULL);
	cJSON_AddStringToObject(o, "health", v->health ? v->health : "none");
	cJSON_AddBoolToObject(o, "connected", v->connected);
	add_port_or_null(o, "forwarded_port", v->forwarded_port);
	api_add_str_or_null(o, "public_ip", v->public_ip);
	cJSON_AddNumberToObject(o, "engines", v->engines);
	/* Always "LO-HI", even for one port: clients split on '-'. */
	if (v->port_range.lo > 0) {
		sbuf_printf(buf, sizeof buf, "%d-%d", v->port_range.lo, v->port_range.hi);
		cJSON_AddStringToObject(o, "port_range", buf);
	} else {
		cJSON_AddNullToObject(o, "port_range");
	}
	api_add_time_or_null(o, "last_check", v->last_check_ms);
	api_add_time_or_null(o, "unhealthy_since", v->unhealthy_since_ms);
	cJSON_AddNumberToObject(o, "restarts", v->restarts);
	cJSON_AddBoolToObject(o, "running", v->running);
	api_add_str_or_null(o, "api_error", v->api_error);
	return o;
}

/* Every Docker host of the fleet and whether it answered (issue 11). */
static cJSON *hosts_arr(const struct snapshot *s)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct snap_host *h = &s->hosts[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", h->name ? h->name : "");
		cJSON_AddStringToObject(o, "host", h->address ? h->address : "");
		cJSON_AddBoolToObject(o, "reachable", h->ok);
		api_add_str_or_null(o, "error", h->ok ? NULL : h->error);
		cJSON_AddNumberToObject(o, "vpns", h->vpns);
		cJSON_AddNumberToObject(o, "engines", h->engines);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *lease_obj(const struct snapshot *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "role", s->lease.role ? s->lease.role : "unknown");
	api_add_str_or_null(o, "holder", s->lease.holder);
	api_add_str_or_null(o, "self", s->lease.self);
	api_add_str_or_null(o, "why", s->lease.why);
	api_add_time_or_null(o, "since", s->lease.since_ms);
	return o;
}

/* Docker failed on the latest pass: what is shown is the last good view. */
static void add_stale(cJSON *o, const struct snapshot *s)
{
	cJSON_AddBoolToObject(o, "stale", s->stale);
	api_add_time_or_null(o, "observed_at", s->observed_ms);
}

cJSON *api_render_vpn_status(const struct snapshot *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "mode", s->mode ? s->mode : "none");
	const struct snap_vpn *first = s->n_vpns ? &s->vpns[0] : NULL;
	cJSON_AddBoolToObject(o, "enabled", first != NULL);
	cJSON_AddBoolToObject(o, "connected", first && first->connected);
	cJSON_AddStringToObject(o, "health",
				first ? (first->health ? first->health : "none") : "none");
	add_port_or_null(o, "forwarded_port", first ? first->forwarded_port : 0);
	cJSON *a = cJSON_AddArrayToObject(o, "vpns");
	for (size_t i = 0; i < s->n_vpns; i++)
		cJSON_AddItemToArray(a, vpn_obj(&s->vpns[i]));
	cJSON_AddItemToObject(o, "docker_hosts", hosts_arr(s));
	/* `status` says whether this daemon is the one acting. */
	if (s->lease.present)
		cJSON_AddItemToObject(o, "lease", lease_obj(s));
	add_stale(o, s);
	return o;
}

/* ---- config, readiness ---- */

cJSON *api_render_config(const struct snapshot *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *cfg = s->config_json ? cJSON_Parse(s->config_json) : NULL;
	if (cfg)
		cJSON_AddItemToObject(o, "config", cfg);
	else
		cJSON_AddNullToObject(o, "config");
	api_add_str_or_null(o, "hash", s->config_hash[0] ? s->config_hash : NULL);
	api_add_str_or_null(o, "source", s->config_source);
	api_add_time_or_null(o, "last_reload", s->last_reload_ms);
	api_add_str_or_null(o, "last_reload_error", s->last_reload_error);
	return o;
}

cJSON *api_render_readyz(const struct snapshot *s, bool *ready)
{
	cJSON *o = cJSON_CreateObject();
	const char *reason = NULL;
	char *owned = NULL;
	if (!s)
		reason = "no observation yet";
	else if (!s->config_loaded)
		reason = "config not loaded";
	else if (s->standby)
		reason = owned = xasprintf("standby: %s", s->lease.why ? s->lease.why : "another daemon "
					   "holds the lease");
	else if (!s->docker_ok)
		reason = owned = xasprintf("docker unreachable%s%s", s->docker_error ? ": " : "",
					   s->docker_error ? s->docker_error : "");
	*ready = reason == NULL;
	cJSON_AddStringToObject(o, "status", *ready ? "ok" : s && s->standby ? "standby" : "not ready");
	if (reason)
		cJSON_AddStringToObject(o, "reason", reason);
	/* Ready with a host down: the others serve; say which and why (a TLS
	 * error names the certificate problem). */
	cJSON *warn = NULL;
	for (size_t i = 0; s && !s->standby && i < s->n_hosts; i++) {
		if (s->hosts[i].ok)
			continue;
		if (!warn)
			warn = cJSON_AddArrayToObject(o, "warnings");
		char *w = xasprintf("docker host %s (%s) unreachable: %s", s->hosts[i].name,
				    s->hosts[i].address, s->hosts[i].error ? s->hosts[i].error : "no answer");
		cJSON_AddItemToArray(warn, cJSON_CreateString(w));
		free(w);
	}
	if (s && s->n_hosts)
		cJSON_AddItemToObject(o, "docker_hosts", hosts_arr(s));
	if (s && s->lease.present)
		cJSON_AddItemToObject(o, "lease", lease_obj(s));
	if (s)
		add_stale(o, s);
	free(owned);
	return o;
}

/* ---- auth ---- */

int api_check_auth(const char *key, const char *authorization, const char *x_api_key)
{
	if (!key)
		return 200;
	const char *bearer = NULL;
	if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
		bearer = authorization + 7;
		while (*bearer == ' ')
			bearer++;
	}
	bool has_x = x_api_key && *x_api_key;
	bool has_b = bearer && *bearer;
	if (!has_x && !has_b)
		return 401;
	/* Both headers are compared (no early exit on the first) so timing
	 * says nothing about which one was right. */
	bool ok_x = has_x && secret_eq(key, x_api_key);
	bool ok_b = has_b && secret_eq(key, bearer);
	return ok_x || ok_b ? 200 : 403;
}

/* ---- listen address ---- */

int api_parse_listen(const char *listen, char *host, size_t hostlen, int *port,
		     char *err, size_t errlen)
{
	if (!listen || !*listen) {
		sbuf_printf(err, errlen, "empty listen address");
		return -1;
	}
	const char *h = listen, *colon;
	size_t hlen;
	if (*listen == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':') {
			sbuf_printf(err, errlen, "%s: expected [IPV6]:PORT", listen);
			return -1;
		}
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen))) {
			sbuf_printf(err, errlen, "%s: expected HOST:PORT (IPv6 as [ADDR]:PORT)",
				    listen);
			return -1;
		}
		hlen = (size_t)(colon - listen);
	}
	long long p;
	if (!parse_int(colon + 1, 0, 65535, &p)) {
		sbuf_printf(err, errlen, "%s: port must be 0-65535", listen);
		return -1;
	}
	if (hlen == 0 && *listen != '[') {
		h = "0.0.0.0";
		hlen = 7;
	}
	if (hlen == 0 || hlen >= hostlen) {
		sbuf_printf(err, errlen, "%s: bad host", listen);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}
