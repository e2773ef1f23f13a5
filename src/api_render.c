/* api_render.c - JSON bodies of the HTTP API built from an immutable
 * snapshot, stream-event body parsing and the POST auth decision; no I/O. */
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

static void add_str_or_null(cJSON *o, const char *key, const char *v)
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

static void add_time_or_null(cJSON *o, const char *key, int64_t ms)
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

static cJSON *engine_obj(const struct snap_engine *e, bool details)
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
	add_str_or_null(o, "vpn_container", e->vpn && *e->vpn ? e->vpn : NULL);
	cJSON_AddBoolToObject(o, "forwarded", e->forwarded);
	cJSON_AddNumberToObject(o, "p2p_port", e->p2p_port);
	cJSON_AddNumberToObject(o, "https_port", e->https_port);
	cJSON_AddStringToObject(o, "health", e->health ? e->health : "unknown");
	cJSON_AddNumberToObject(o, "streams", e->streams);
	if (details) {
		cJSON_AddBoolToObject(o, "visible", e->visible);
		add_str_or_null(o, "hidden_reason", e->visible ? NULL
						: (e->hidden_reason ? e->hidden_reason : "hidden"));
	}
	return o;
}

cJSON *api_render_engines(const struct snapshot *s, bool all)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (all || e->visible)
			cJSON_AddItemToArray(a, engine_obj(e, all));
	}
	return a;
}

cJSON *api_render_engine(const struct snapshot *s, const struct snap_engine *e)
{
	(void)s;
	cJSON *o = engine_obj(e, true);
	add_str_or_null(o, "state", e->state);
	add_str_or_null(o, "namespace", e->ns);
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
	add_str_or_null(o, "container_id",
			v->container_id && *v->container_id ? v->container_id : NULL);
	cJSON_AddStringToObject(o, "health", v->health ? v->health : "none");
	cJSON_AddBoolToObject(o, "connected", v->connected);
	add_port_or_null(o, "forwarded_port", v->forwarded_port);
	add_str_or_null(o, "public_ip", v->public_ip);
	cJSON_AddNumberToObject(o, "engines", v->engines);
	/* Always "LO-HI", even for one port: clients split on '-'. */
	if (v->port_range.lo > 0) {
		sbuf_printf(buf, sizeof buf, "%d-%d", v->port_range.lo, v->port_range.hi);
		cJSON_AddStringToObject(o, "port_range", buf);
	} else {
		cJSON_AddNullToObject(o, "port_range");
	}
	add_time_or_null(o, "last_check", v->last_check_ms);
	add_time_or_null(o, "unhealthy_since", v->unhealthy_since_ms);
	cJSON_AddNumberToObject(o, "restarts", v->restarts);
	cJSON_AddBoolToObject(o, "running", v->running);
	add_str_or_null(o, "api_error", v->api_error);
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
		add_str_or_null(o, "error", h->ok ? NULL : h->error);
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
	add_str_or_null(o, "holder", s->lease.holder);
	add_str_or_null(o, "self", s->lease.self);
	add_str_or_null(o, "why", s->lease.why);
	add_time_or_null(o, "since", s->lease.since_ms);
	return o;
}

/* Docker failed on the latest pass: what is shown is the last good view. */
static void add_stale(cJSON *o, const struct snapshot *s)
{
	cJSON_AddBoolToObject(o, "stale", s->stale);
	add_time_or_null(o, "observed_at", s->observed_ms);
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
	add_str_or_null(o, "hash", s->config_hash[0] ? s->config_hash : NULL);
	add_str_or_null(o, "source", s->config_source);
	add_time_or_null(o, "last_reload", s->last_reload_ms);
	add_str_or_null(o, "last_reload_error", s->last_reload_error);
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

/* ---- request bodies ---- */

static int take_field(const cJSON *root, const char *key, char *dst, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	dst[0] = '\0';
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring) {
		sbuf_printf(err, errlen, "%s must be a string", key);
		return -1;
	}
	size_t n = strlen(v->valuestring);
	if (n == 0) {
		sbuf_printf(err, errlen, "%s must not be empty", key);
		return -1;
	}
	if (n > API_MAX_FIELD) {
		sbuf_printf(err, errlen, "%s longer than %d bytes", key, API_MAX_FIELD);
		return -1;
	}
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

int api_parse_stream_event(const char *body, size_t len, struct api_stream_event *out,
			   char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!body || len == 0) {
		sbuf_printf(err, errlen, "empty body: a JSON object is required");
		return -1;
	}
	if (len > API_MAX_BODY) {
		sbuf_printf(err, errlen, "body larger than %d bytes", API_MAX_BODY);
		return -1;
	}
	/* The length-bounded parser: the body is not NUL-terminated. It also
	 * rejects trailing garbage ("{}x") with require_null_terminated, which
	 * only checks up to len here. */
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root) {
		sbuf_printf(err, errlen, "malformed JSON");
		return -1;
	}
	int rc = -1;
	while (end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
		end++;
	if (end && (size_t)(end - body) < len && *end != '\0') {
		sbuf_printf(err, errlen, "malformed JSON: trailing data");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		sbuf_printf(err, errlen, "body must be a JSON object");
		goto out;
	}
	if (take_field(root, "container_id", out->container_id, err, errlen) < 0 ||
	    take_field(root, "container_name", out->container_name, err, errlen) < 0 ||
	    take_field(root, "stream_id", out->stream_id, err, errlen) < 0)
		goto out;
	if (!out->stream_id[0]) {
		sbuf_printf(err, errlen, "missing stream_id");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
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
