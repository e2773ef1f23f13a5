/* api.c - the HTTP server on libmicrohttpd: routing, auth, POST bodies, a
 * response cache per (snapshot, stream registry) and the defences' wiring. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "api.h"
#include "api_body.h"
#include "api_guard.h"
#include "api_int.h"
#include "api_proxy.h"
#include "api_render.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* A couple of threads keep /healthz answering while another renders; the
 * daemon serves one proxy and a scraper, not the internet. */
#define API_THREADS 2
#define API_CONN_TIMEOUT_S 15

/* ---- responses ---- */

struct MHD_Response *api_make_response(char *body, const char *ctype)
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

enum MHD_Result api_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
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
	return api_queue(c, status, api_make_response(body, ctype));
}

char *api_json_text(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		fatal("out of memory rendering JSON");
	return s;
}

enum MHD_Result api_reply_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
	return reply(c, status, api_json_text(j), API_JSON_TYPE);
}

enum MHD_Result api_reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return reply(c, status, api_error_body(msg), API_JSON_TYPE);
}

static enum MHD_Result reply_405(struct MHD_Connection *c, const char *allow)
{
	struct MHD_Response *r = api_make_response(api_error_body("method not allowed"), API_JSON_TYPE);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	return api_queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
}

/* ---- the cache: one rendering per (snapshot, stream generation) ---- */

static void cache_drop(struct api *a)
{
	for (int i = 0; i < R_COUNT; i++) {
		if (a->cache[i])
			MHD_destroy_response(a->cache[i]);
		a->cache[i] = NULL;
	}
	snapshot_put(a->st, a->cache_snap);
	a->cache_snap = NULL;
	streams_view_free(a->cache_view);
	a->cache_view = NULL;
}

const struct streams_view *api_cache_sync(struct api *a, struct snapshot *s)
{
	bool stale = a->cache_snap != s;
	if (a->streams && !stale)
		stale = !a->cache_view || a->cache_view->generation != streams_generation(a->streams);
	if (stale) {
		cache_drop(a);
		/* The cache's own reference: the pointer can never be reused
		 * by a newer snapshot while cached (no ABA). */
		snapshot_ref(a->st, s);
		a->cache_snap = s;
		if (a->streams)
			a->cache_view = streams_view_new(a->streams, now_mono_ms());
	}
	return a->cache_view;
}

static char *render_route(const struct snapshot *s, const struct streams_view *v, enum route r)
{
	cJSON *j = NULL;
	switch (r) {
	case R_ENGINES: j = api_render_engines(s, v, false); break;
	case R_ENGINES_ALL: j = api_render_engines(s, v, true); break;
	case R_VPN: j = api_render_vpn_status(s); break;
	case R_CONFIG: j = api_render_config(s); break;
	case R_STREAMS: j = api_render_streams(s, v, NULL); break;
	case R_ORCH_STATUS: j = api_render_orch_status(s, v); break;
	default: return NULL;
	}
	return api_json_text(j);
}

/* Queues the cached 200 response of route r for snapshot s (the caller's
 * reference), rendering it if needed. Lock order: a->mu, then the store's
 * and the registry's mutexes, never the reverse. */
static enum MHD_Result reply_cached(struct api *a, struct MHD_Connection *c,
				    struct snapshot *s, enum route r)
{
	pthread_mutex_lock(&a->mu);
	const struct streams_view *v = api_cache_sync(a, s);
	if (!a->cache[r]) {
		char *body = render_route(s, v, r);
		if (body)
			a->cache[r] = api_make_response(body, API_JSON_TYPE);
	}
	struct MHD_Response *resp = a->cache[r];
	enum MHD_Result ret = resp ? MHD_queue_response(c, MHD_HTTP_OK, resp) : MHD_NO;
	pthread_mutex_unlock(&a->mu);
	return ret;
}

/* /metrics also shows the API's own counters, which change without a new
 * snapshot: they are part of its cache key. */
static enum MHD_Result reply_metrics(struct api *a, struct MHD_Connection *c, struct snapshot *s)
{
	struct metrics_live live = { 0 };
	pthread_mutex_lock(&a->pmu);
	live.provision_ok = a->provision_ok;
	live.provision_blocked = a->provision_blocked;
	live.provision_timeout = a->provision_timeout;
	pthread_mutex_unlock(&a->pmu);
	live.deadline_closes = api_guard_deadline_closes(a->guard);
	uint64_t key = live.provision_ok + live.provision_blocked + live.provision_timeout +
		       live.deadline_closes;
	pthread_mutex_lock(&a->mu);
	live.streams = api_cache_sync(a, s);
	if (a->cache[R_METRICS] && a->cache_metrics_key != key) {
		MHD_destroy_response(a->cache[R_METRICS]);
		a->cache[R_METRICS] = NULL;
	}
	if (!a->cache[R_METRICS]) {
		a->cache[R_METRICS] = api_make_response(metrics_render_live(s, &live),
							METRICS_CONTENT_TYPE);
		a->cache_metrics_key = key;
	}
	struct MHD_Response *resp = a->cache[R_METRICS];
	enum MHD_Result ret = resp ? MHD_queue_response(c, MHD_HTTP_OK, resp) : MHD_NO;
	pthread_mutex_unlock(&a->mu);
	return ret;
}

/* ---- routing ---- */

static bool arg_true(struct MHD_Connection *c, const char *key)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "") == 0);
}

static enum route route_of(struct MHD_Connection *c, const char *url, const char **name)
{
	static const struct {
		const char *path;
		enum route r;
	} fixed[] = {
		{ "/healthz", R_HEALTHZ }, { "/readyz", R_READYZ }, { "/engines", R_ENGINES },
		{ "/vpn/status", R_VPN }, { "/metrics", R_METRICS }, { "/config", R_CONFIG },
		{ "/plan", R_PLAN }, { "/events/stream_started", R_STARTED },
		{ "/events/stream_ended", R_ENDED }, { "/streams", R_STREAMS },
		{ "/orchestrator/status", R_ORCH_STATUS }, { "/provision/acestream", R_PROVISION },
		{ "/events", R_HISTORY }, { "/", R_DASHBOARD },
	};
	*name = NULL;
	size_t len = strlen(url);
	/* One trailing slash is forgiven: "/engines/" is "/engines". */
	if (len > 1 && url[len - 1] == '/')
		len--;
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
		if (strlen(fixed[i].path) == len && strncmp(url, fixed[i].path, len) == 0) {
			if (fixed[i].r == R_ENGINES && arg_true(c, "all"))
				return R_ENGINES_ALL;
			return fixed[i].r;
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
	return r == R_STARTED || r == R_ENDED || r == R_PROVISION;
}

/* GET /streams?container_id=ID&status=started|ended (upstream's filters;
 * acexy asks for ?container_id=ID&status=started per engine). */
static enum MHD_Result serve_streams(struct api *a, struct MHD_Connection *c, struct snapshot *s)
{
	const char *cid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "container_id");
	const char *status = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
	bool ended = false;
	if (status && *status) {
		if (strcmp(status, "ended") == 0 || strcmp(status, "pending_failover") == 0)
			ended = true; /* neither is kept: always [] */
		else if (strcmp(status, "started") != 0)
			return api_reply_error(c, MHD_HTTP_BAD_REQUEST,
					       "status must be started or ended");
	}
	if (!ended && !(cid && *cid))
		return reply_cached(a, c, s, R_STREAMS);
	if (ended)
		return api_reply_json(c, MHD_HTTP_OK, cJSON_CreateArray());
	/* An ID, a unique ID prefix or a name; unknown ones match nothing. */
	const struct snap_engine *e = snapshot_find_engine(s, cid);
	const char *id = e && e->id ? e->id : cid;
	pthread_mutex_lock(&a->mu);
	const struct streams_view *v = api_cache_sync(a, s);
	cJSON *j = api_render_streams(s, v, id);
	pthread_mutex_unlock(&a->mu);
	return api_reply_json(c, MHD_HTTP_OK, j);
}

static enum MHD_Result serve_get(struct api *a, struct MHD_Connection *c, enum route r,
				 const char *name)
{
	if (r == R_HEALTHZ)
		return MHD_queue_response(c, MHD_HTTP_OK, a->healthz);
	/* Neither needs a snapshot: the page loads before the first pass. */
	if (r == R_DASHBOARD)
		return api_serve_dashboard(a, c);
	if (r == R_HISTORY)
		return api_serve_history(a, c);
	struct snapshot *s = snapshot_get(a->st);
	enum MHD_Result ret;
	if (r == R_READYZ) {
		bool ready;
		cJSON *j = api_render_readyz(s, &ready);
		ret = api_reply_json(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, j);
	} else if (r == R_ORCH_STATUS && !s) {
		/* A status, not an error: "unavailable" is the answer. */
		ret = api_reply_json(c, MHD_HTTP_OK, api_render_orch_status(NULL, NULL));
	} else if (!s) {
		ret = api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
	} else if (r == R_ENGINE) {
		const struct snap_engine *e = snapshot_find_engine(s, name);
		if (e) {
			pthread_mutex_lock(&a->mu);
			cJSON *j = api_render_engine(s, api_cache_sync(a, s), e);
			pthread_mutex_unlock(&a->mu);
			ret = api_reply_json(c, MHD_HTTP_OK, j);
		} else {
			char *msg = xasprintf("unknown engine: %s", name);
			ret = api_reply_error(c, MHD_HTTP_NOT_FOUND, msg);
			free(msg);
		}
	} else if (r == R_PLAN) {
		ret = s->plan_json ? reply(c, MHD_HTTP_OK, xstrdup(s->plan_json), API_JSON_TYPE)
				   : api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no plan yet");
	} else if (r == R_METRICS) {
		ret = reply_metrics(a, c, s);
	} else if (r == R_STREAMS) {
		ret = serve_streams(a, c, s);
	} else {
		ret = reply_cached(a, c, s, r);
	}
	snapshot_put(a->st, s);
	return ret;
}

/* ---- POST ---- */

/* Checks done on the headers alone, before any body is read: a refused
 * POST never costs an upload. Returns 0 to go on, else the status queued. */
static int post_precheck(struct api *a, struct MHD_Connection *c, enum MHD_Result *ret)
{
	struct snapshot *s = snapshot_get(a->st);
	if (!s) {
		*ret = api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
		return 503;
	}
	int st = api_check_auth(s->api_key,
				MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION),
				MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key"));
	snapshot_put(a->st, s);
	if (st == 401) {
		*ret = api_reply_error(c, MHD_HTTP_UNAUTHORIZED, "missing API key");
		return st;
	}
	if (st == 403) {
		*ret = api_reply_error(c, MHD_HTTP_FORBIDDEN, "invalid API key");
		return st;
	}
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	/* `curl -d` labels JSON as a form; anything else is a client bug. */
	if (ct && strncasecmp(ct, API_JSON_TYPE, strlen(API_JSON_TYPE)) != 0 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		*ret = api_reply_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				       "Content-Type must be application/json");
		return 415;
	}
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n;
	if (cl && parse_int(cl, 0, (long long)1 << 62, &n) && n > API_MAX_BODY) {
		*ret = api_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 64 KiB");
		return 413;
	}
	return 0;
}

static const char *route_path(enum route r)
{
	switch (r) {
	case R_STARTED: return "/events/stream_started";
	case R_ENDED: return "/events/stream_ended";
	case R_PROVISION: return "/provision/acestream";
	default: return "?";
	}
}

enum MHD_Result api_reply_bad_body(struct api *a, struct MHD_Connection *c, struct api_req *q,
				   const char *err)
{
	char detail[320];
	sbuf_printf(detail, sizeof detail, "POST %s: %s", route_path(q->route), err);
	api_guard_warn(a->guard, API_WARN_MALFORMED, "api: malformed request",
		       api_guard_peer(q->sock), detail);
	return api_reply_error(c, MHD_HTTP_BAD_REQUEST, err);
}

static enum MHD_Result serve_post(struct api *a, struct MHD_Connection *c, struct api_req *q)
{
	if (q->too_big)
		return api_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 64 KiB");
	if (q->route == R_PROVISION)
		return api_serve_provision(a, c, q);
	return api_serve_event(a, c, q);
}

static void *sock_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result api_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	struct api *a = cls;
	struct api_req *q = *con_cls;
	(void)version;
	if (q) {
		if (q->answer) /* a provision request, resumed */
			return api_provision_answer(a, c, q);
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
		api_guard_request_begin(q->sock);
		return serve_post(a, c, q);
	}
	const char *name;
	enum route r = route_of(c, url, &name);
	void *sock = sock_of(c);
	if (r == R_NONE) {
		api_guard_request_begin(sock);
		return api_reply_error(c, MHD_HTTP_NOT_FOUND, "not found");
	}
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		      strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (route_is_post(r)) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
			api_guard_request_begin(sock);
			return reply_405(c, "POST");
		}
		enum MHD_Result ret;
		if (post_precheck(a, c, &ret)) {
			api_guard_request_begin(sock);
			return ret;
		}
		/* The deadline keeps running until the body is in. */
		q = xcalloc(1, sizeof *q);
		q->route = r;
		q->sock = sock;
		*con_cls = q;
		return MHD_YES;
	}
	api_guard_request_begin(sock);
	if (!is_get)
		return reply_405(c, "GET, HEAD");
	return serve_get(a, c, r, name);
}

static void api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct api_req *q = *con_cls;
	(void)toe;
	api_guard_request_end(sock_of(c));
	if (q) {
		api_provision_forget(a, q);
		strbuf_free(&q->body);
		for (size_t i = 0; i < q->n_baseline; i++)
			free(q->baseline[i]);
		free(q->baseline);
		if (q->answer)
			MHD_destroy_response(q->answer);
		free(q);
		*con_cls = NULL;
	}
}

static void api_notify_conn(void *cls, struct MHD_Connection *c, void **sockctx,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct api *a = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *peer =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		api_guard_conn_started(a->guard, sockctx, fd ? fd->connect_fd : -1,
				       peer ? peer->client_addr : NULL);
	} else {
		api_guard_conn_closed(a->guard, sockctx);
	}
}

__attribute__((format(printf, 2, 0)))
static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* Mostly what clients do wrong (limits hit, bad requests): a client
	 * can make as many of these as it likes. */
	if (a->guard)
		api_guard_warn(a->guard, API_WARN_MHD, "api: libmicrohttpd", "", msg);
	else
		log_warn("api: libmicrohttpd", "detail", msg);
}

/* ---- lifecycle ---- */

static int resolve_listen(const char *listen, struct sockaddr_storage *ss, bool *v6, int *port,
			  char *err, size_t errlen)
{
	char host[256];
	if (api_parse_listen(listen, host, sizeof host, port, err, errlen) < 0)
		return -1;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(host, NULL, &hints, &ai);
	if (gai != 0 || !ai) {
		sbuf_printf(err, errlen, "%s: cannot resolve %s: %s", listen, host,
			    gai_strerror(gai));
		return -1;
	}
	memset(ss, 0, sizeof *ss);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	if (*v6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)*port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)*port);
	return 0;
}

static void api_free(struct api *a)
{
	api_guard_free(a->guard);
	pthread_mutex_lock(&a->mu);
	cache_drop(a);
	pthread_mutex_unlock(&a->mu);
	api_provision_free(a);
	if (a->healthz)
		MHD_destroy_response(a->healthz);
	if (a->dashboard)
		MHD_destroy_response(a->dashboard);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->pmu);
	free(a);
}

struct api *api_start(const char *listen, struct snapshot_store *st,
		      const struct api_hooks *hooks, char *err, size_t errlen)
{
	return api_start_opts(listen, st, hooks, NULL, err, errlen);
}

struct api *api_start_opts(const char *listen, struct snapshot_store *st,
			   const struct api_hooks *hooks, const struct api_opts *opts,
			   char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6;
	int port;
	if (resolve_listen(listen, &ss, &v6, &port, err, errlen) < 0)
		return NULL;
	struct api_opts o = opts ? *opts : (struct api_opts){ 0 };
	struct api *a = xcalloc(1, sizeof *a);
	a->st = st;
	a->streams = o.streams;
	a->history = o.history;
	a->healthz = api_make_response(xstrdup("{\"status\":\"ok\"}"), API_JSON_TYPE);
	a->dashboard = api_dashboard_response();
	if (hooks)
		a->hooks = *hooks;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->pmu, NULL);
	a->guard = api_guard_new(o.deadline_ms > 0 ? o.deadline_ms : API_DEADLINE_MS,
				 api_provision_tick, a);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	if (v6)
		flags |= MHD_USE_IPv6;
	a->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, api_handler, a,
				/* First, or MHD logs the earlier options itself. */
				MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, a,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				MHD_OPTION_CONNECTION_LIMIT,
				o.conn_limit ? o.conn_limit : (unsigned)API_CONN_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)(o.per_ip_limit > 0 ? o.per_ip_limit : 0),
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
				MHD_OPTION_NOTIFY_CONNECTION, api_notify_conn, a,
				MHD_OPTION_END);
	if (!a->d) {
		sbuf_printf(err, errlen, "cannot listen on %s (address in use or not local?)",
			    listen);
		api_free(a);
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
	/* No more ticks; then every suspended request gets its answer (libmicrohttpd
	 * must not be stopped with suspended connections). */
	api_guard_stop(a->guard);
	api_provision_shutdown(a);
	MHD_stop_daemon(a->d);
	api_free(a);
}
