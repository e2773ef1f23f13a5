/* api.c - the HTTP server of SPEC §7 on libmicrohttpd: routing, auth, POST
 * bodies and a per-snapshot response cache; reads snapshots, never Docker. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "api.h"
#include "api_render.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* A couple of threads keep /healthz answering while another renders; the
 * daemon serves one proxy and a scraper, not the internet. */
#define API_THREADS 2
#define API_CONN_LIMIT 256
#define API_CONN_TIMEOUT_S 15

#define JSON_TYPE "application/json"

enum route {
	R_NONE = 0,
	R_HEALTHZ,
	R_READYZ,
	R_ENGINES,
	R_ENGINES_ALL, /* GET /engines?all=1 */
	R_ENGINE,      /* GET /engines/{name} */
	R_VPN,
	R_METRICS,
	R_CONFIG,
	R_PLAN,
	R_STARTED,
	R_ENDED,
	R_COUNT,
};

struct api {
	struct MHD_Daemon *d;
	struct snapshot_store *st;
	struct api_hooks hooks;
	int port;
	/* Bodies depend only on the snapshot, which is immutable: render each
	 * once per snapshot and hand the same MHD_Response to every client
	 * (MHD refcounts responses). The cache holds its own reference to the
	 * snapshot so the pointer can never be reused by a newer one (no ABA). */
	pthread_mutex_t mu;
	struct snapshot *cache_snap;
	struct MHD_Response *cache[R_COUNT];
	struct MHD_Response *healthz; /* constant: built once */
};

/* Per-request state of a POST while its body arrives. */
struct api_req {
	enum route route;
	struct strbuf body;
	bool too_big;
};

/* ---- responses ---- */

static struct MHD_Response *make_response(char *body, const char *ctype)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Takes body (malloc'd). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body,
			     const char *ctype)
{
	return queue(c, status, make_response(body, ctype));
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return MHD_NO;
	return reply(c, status, s, JSON_TYPE);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return reply(c, status, api_error_body(msg), JSON_TYPE);
}

static enum MHD_Result reply_405(struct MHD_Connection *c, const char *allow)
{
	struct MHD_Response *r = make_response(api_error_body("method not allowed"), JSON_TYPE);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
}

/* ---- the per-snapshot cache ---- */

static void cache_drop(struct api *a)
{
	for (int i = 0; i < R_COUNT; i++) {
		if (a->cache[i])
			MHD_destroy_response(a->cache[i]);
		a->cache[i] = NULL;
	}
	snapshot_put(a->st, a->cache_snap);
	a->cache_snap = NULL;
}

static char *render_route(const struct snapshot *s, enum route r, const char **ctype)
{
	*ctype = JSON_TYPE;
	cJSON *j = NULL;
	switch (r) {
	case R_ENGINES: j = api_render_engines(s, false); break;
	case R_ENGINES_ALL: j = api_render_engines(s, true); break;
	case R_VPN: j = api_render_vpn_status(s); break;
	case R_CONFIG: j = api_render_config(s); break;
	case R_METRICS:
		*ctype = METRICS_CONTENT_TYPE;
		return metrics_render(s);
	default: return NULL;
	}
	char *out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

/* Queues the cached 200 response of route r for snapshot s (the caller's
 * reference), rendering it if this snapshot has not been seen. Lock order:
 * a->mu, then the store's mutex (snapshot_put/ref), never the reverse. */
static enum MHD_Result reply_cached(struct api *a, struct MHD_Connection *c,
				    struct snapshot *s, enum route r)
{
	pthread_mutex_lock(&a->mu);
	if (a->cache_snap != s) {
		cache_drop(a);
		snapshot_ref(a->st, s); /* the cache's own reference */
		a->cache_snap = s;
	}
	if (!a->cache[r]) {
		const char *ctype;
		char *body = render_route(s, r, &ctype);
		if (body)
			a->cache[r] = make_response(body, ctype);
	}
	struct MHD_Response *resp = a->cache[r];
	enum MHD_Result ret = resp ? MHD_queue_response(c, MHD_HTTP_OK, resp) : MHD_NO;
	pthread_mutex_unlock(&a->mu);
	return ret;
}

/* ---- routing ---- */

static enum route route_of(struct MHD_Connection *c, const char *url, const char **name)
{
	static const struct {
		const char *path;
		enum route r;
	} fixed[] = {
		{ "/healthz", R_HEALTHZ }, { "/readyz", R_READYZ }, { "/engines", R_ENGINES },
		{ "/vpn/status", R_VPN }, { "/metrics", R_METRICS }, { "/config", R_CONFIG },
		{ "/plan", R_PLAN }, { "/events/stream_started", R_STARTED },
		{ "/events/stream_ended", R_ENDED },
	};
	*name = NULL;
	size_t len = strlen(url);
	/* One trailing slash is forgiven: "/engines/" is "/engines". */
	if (len > 1 && url[len - 1] == '/')
		len--;
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
		if (strlen(fixed[i].path) == len && strncmp(url, fixed[i].path, len) == 0) {
			if (fixed[i].r != R_ENGINES)
				return fixed[i].r;
			const char *all = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "all");
			bool on = all && (strcmp(all, "1") == 0 || strcasecmp(all, "true") == 0 ||
					  strcmp(all, "") == 0);
			return on ? R_ENGINES_ALL : R_ENGINES;
		}
	}
	if (strncmp(url, "/engines/", 9) == 0 && url[9] && !strchr(url + 9, '/')) {
		*name = url + 9;
		return R_ENGINE;
	}
	return R_NONE;
}

static bool route_is_post(enum route r)
{
	return r == R_STARTED || r == R_ENDED;
}

static enum MHD_Result serve_get(struct api *a, struct MHD_Connection *c, enum route r,
				 const char *name)
{
	if (r == R_HEALTHZ)
		return MHD_queue_response(c, MHD_HTTP_OK, a->healthz);
	struct snapshot *s = snapshot_get(a->st);
	enum MHD_Result ret;
	if (r == R_READYZ) {
		bool ready;
		cJSON *j = api_render_readyz(s, &ready);
		ret = reply_json(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, j);
	} else if (!s) {
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
	} else if (r == R_ENGINE) {
		const struct snap_engine *e = snapshot_find_engine(s, name);
		if (e) {
			ret = reply_json(c, MHD_HTTP_OK, api_render_engine(s, e));
		} else {
			char *msg = xasprintf("unknown engine: %s", name);
			ret = reply_error(c, MHD_HTTP_NOT_FOUND, msg);
			free(msg);
		}
	} else if (r == R_PLAN) {
		ret = s->plan_json ? reply(c, MHD_HTTP_OK, xstrdup(s->plan_json), JSON_TYPE)
				   : reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no plan yet");
	} else {
		ret = reply_cached(a, c, s, r);
	}
	snapshot_put(a->st, s);
	return ret;
}

/* ---- POST /events/... ---- */

static enum MHD_Result serve_event(struct api *a, struct MHD_Connection *c, struct api_req *q)
{
	if (q->too_big)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 64 KiB");
	char err[256] = "";
	struct api_stream_event ev;
	if (api_parse_stream_event(q->body.data ? q->body.data : "", q->body.len, &ev, err, sizeof err) < 0)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, err);
	if (q->route == R_ENDED) {
		if (!a->hooks.stream_ended)
			return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stream events not accepted");
		if (a->hooks.stream_ended(a->hooks.ud, ev.stream_id, err, sizeof err) < 0)
			return reply_error(c, strstr(err, "unknown") ? MHD_HTTP_NOT_FOUND
							   : MHD_HTTP_CONFLICT,
					   err[0] ? err : "stream_ended refused");
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddStringToObject(o, "stream_id", ev.stream_id);
		return reply_json(c, MHD_HTTP_OK, o);
	}
	const char *key = ev.container_id[0] ? ev.container_id : ev.container_name;
	if (!*key)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "missing container_id or container_name");
	if (!a->hooks.stream_started)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stream events not accepted");
	struct snapshot *s = snapshot_get(a->st);
	const struct snap_engine *e = snapshot_find_engine(s, key);
	enum MHD_Result ret;
	if (!s) {
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
	} else if (!e || !e->id) {
		char *msg = xasprintf("unknown engine: %s", key);
		ret = reply_error(c, MHD_HTTP_NOT_FOUND, msg);
		free(msg);
	} else if (a->hooks.stream_started(a->hooks.ud, e->id, ev.stream_id, err, sizeof err) < 0) {
		ret = reply_error(c, MHD_HTTP_CONFLICT, err[0] ? err : "stream_started refused");
	} else {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddStringToObject(o, "container_id", e->id);
		cJSON_AddStringToObject(o, "container_name", e->name ? e->name : "");
		cJSON_AddStringToObject(o, "stream_id", ev.stream_id);
		ret = reply_json(c, MHD_HTTP_OK, o);
	}
	snapshot_put(a->st, s);
	return ret;
}

/* Checks done on the headers alone, before any body is read: a refused
 * POST never costs an upload. Returns 0 to go on, else the status queued. */
static int post_precheck(struct api *a, struct MHD_Connection *c, enum MHD_Result *ret)
{
	struct snapshot *s = snapshot_get(a->st);
	if (!s) {
		*ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
		return 503;
	}
	int st = api_check_auth(s->api_key,
				MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION),
				MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key"));
	snapshot_put(a->st, s);
	if (st == 401) {
		*ret = reply_error(c, MHD_HTTP_UNAUTHORIZED, "missing API key");
		return st;
	}
	if (st == 403) {
		*ret = reply_error(c, MHD_HTTP_FORBIDDEN, "invalid API key");
		return st;
	}
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	/* `curl -d` labels JSON as a form; anything else is a client bug. */
	if (ct && strncasecmp(ct, JSON_TYPE, strlen(JSON_TYPE)) != 0 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		*ret = reply_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				   "Content-Type must be application/json");
		return 415;
	}
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n;
	if (cl && parse_int(cl, 0, (long long)1 << 62, &n) && n > API_MAX_BODY) {
		*ret = reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 64 KiB");
		return 413;
	}
	return 0;
}

static enum MHD_Result api_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	struct api *a = cls;
	struct api_req *q = *con_cls;
	if (q) {
		/* A POST body in pieces; past the limit the rest is drained and
		 * dropped so the client still gets its 413. */
		if (*upload_data_size) {
			size_t len = *upload_data_size;
			*upload_data_size = 0;
			if (q->too_big || q->body.len + len > API_MAX_BODY) {
				q->too_big = true;
				return MHD_YES;
			}
			strbuf_add(&q->body, upload_data, len);
			return MHD_YES;
		}
		return serve_event(a, c, q);
	}
	const char *name;
	enum route r = route_of(c, url, &name);
	if (r == R_NONE)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "not found");
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		      strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (route_is_post(r)) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return reply_405(c, "POST");
		enum MHD_Result ret;
		if (post_precheck(a, c, &ret))
			return ret;
		q = xcalloc(1, sizeof *q);
		q->route = r;
		*con_cls = q;
		return MHD_YES;
	}
	if (!is_get)
		return reply_405(c, "GET, HEAD");
	return serve_get(a, c, r, name);
}

static void api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api_req *q = *con_cls;
	if (q) {
		strbuf_free(&q->body);
		free(q);
		*con_cls = NULL;
	}
}

__attribute__((format(printf, 2, 0)))
static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_warn("api: libmicrohttpd", "detail", msg);
}

/* ---- lifecycle ---- */

struct api *api_start(const char *listen, struct snapshot_store *st,
		      const struct api_hooks *hooks, char *err, size_t errlen)
{
	char host[256];
	int port;
	if (api_parse_listen(listen, host, sizeof host, &port, err, errlen) < 0)
		return NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(host, NULL, &hints, &ai);
	if (gai != 0 || !ai) {
		sbuf_printf(err, errlen, "%s: cannot resolve %s: %s", listen, host,
			    gai_strerror(gai));
		return NULL;
	}
	struct sockaddr_storage ss = { 0 };
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	bool v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	if (v6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);

	struct api *a = xcalloc(1, sizeof *a);
	a->st = st;
	a->healthz = make_response(xstrdup("{\"status\":\"ok\"}"), JSON_TYPE);
	if (hooks)
		a->hooks = *hooks;
	pthread_mutex_init(&a->mu, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	a->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, api_handler, a,
				/* First, or MHD logs the earlier options itself. */
				MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, a,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
				MHD_OPTION_END);
	if (!a->d) {
		sbuf_printf(err, errlen, "cannot listen on %s (address in use or not local?)",
			    listen);
		MHD_destroy_response(a->healthz);
		pthread_mutex_destroy(&a->mu);
		free(a);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : port;
	log_info("api listening", "listen", listen, "port", LOG_INT(a->port));
	return a;
}

int api_port(const struct api *a)
{
	return a ? a->port : 0;
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->d);
	pthread_mutex_lock(&a->mu);
	cache_drop(a);
	pthread_mutex_unlock(&a->mu);
	MHD_destroy_response(a->healthz);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
