/* test_gluetun.c - unit tests of gluetun.c: the decoders, and the client
 * against an in-process scripted server for every status, route and auth path. */
#include "config-auto.h"

#include <arpa/inet.h>
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "gluetun.h"
#include "util.h"

static const struct {
	const char *json;
	int rc;
	size_t n;
	int ports[3];
} port_cases[] = {
	{ "{\"port\":51820,\"ports\":[51820]}", 0, 1, { 51820 } },       /* new */
	{ "{\"port\":51820}", 0, 1, { 51820 } },                         /* old */
	{ "{\"port\":0}", 0, 0, { 0 } },                                 /* none */
	{ "{\"port\":0,\"ports\":[]}", 0, 0, { 0 } },
	{ "{\"ports\":[]}", 0, 0, { 0 } },
	{ "{\"port\":1000,\"ports\":[2000,1000,3000]}", 0, 3, { 1000, 2000, 3000 } },
	{ "{\"port\":0,\"ports\":[2000,0,2000]}", 0, 1, { 2000 } },
	{ "{\"ports\":[65535]}", 0, 1, { 65535 } },
	{ "{\"port\":null}", 0, 0, { 0 } },
	{ "{\"port\":0,\"ports\":null}", 0, 0, { 0 } },               /* :latest, reconnecting */
	{ "{\"ports\":[5914,5915]}", 0, 2, { 5914, 5915 } },           /* v3.41.x, two ports */
	{ "{\"port\":5914,\"ports\":[5914,5915]}", 0, 2, { 5914, 5915 } },
	{ "{\"port\":51820,\"ports\":null,\"extra\":true}", 0, 1, { 51820 } },
	{ "{\"port\":-1}", -1, 0, { 0 } },
	{ "{\"port\":65536}", -1, 0, { 0 } },
	{ "{\"port\":1.5}", -1, 0, { 0 } },
	{ "{\"port\":\"51820\"}", -1, 0, { 0 } },
	{ "{\"ports\":[1,\"x\"]}", -1, 0, { 0 } },
	{ "{\"ports\":5}", -1, 0, { 0 } },
	{ "{\"status\":\"ok\"}", -1, 0, { 0 } },
	{ "[51820]", -1, 0, { 0 } },
	{ "51820", -1, 0, { 0 } },
	{ "", -1, 0, { 0 } },
	{ "<html>401</html>", -1, 0, { 0 } },
	{ "{\"port\":51820", -1, 0, { 0 } },
	{ "{\"port\":1e999}", -1, 0, { 0 } },
};

START_TEST(parse_ports)
{
	int *ports = NULL;
	size_t n = 99;
	char err[128] = "";
	const char *j = port_cases[_i].json;
	int rc = gluetun_parse_ports(j, strlen(j), &ports, &n, err, sizeof(err));
	ck_assert_msg(rc == port_cases[_i].rc, "%s: rc %d", j, rc);
	ck_assert_uint_eq(n, port_cases[_i].n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(ports[k], port_cases[_i].ports[k]);
	if (rc < 0) {
		ck_assert_ptr_null(ports);
		ck_assert_msg(err[0], "no message for %s", j);
	}
	if (n == 0)
		ck_assert_ptr_null(ports);
	free(ports);
}
END_TEST

static const struct {
	const char *json;
	const char *ip; /* NULL: error */
} ip_cases[] = {
	{ "{\"public_ip\":\"203.0.113.10\",\"region\":\"Test\",\"country\":\"Testland\"}", "203.0.113.10" },
	{ "{\"public_ip\":\"\"}", "" },
	{ "{\"public_ip\":\"2001:db8::1\"}", "2001:db8::1" },
	{ "{\"public_ip\":null}", NULL },
	{ "{\"ip\":\"1.2.3.4\"}", NULL },
	{ "[]", NULL },
	{ "garbage", NULL },
};

START_TEST(parse_public_ip)
{
	char *ip = NULL;
	char err[128] = "";
	const char *j = ip_cases[_i].json;
	int rc = gluetun_parse_public_ip(j, strlen(j), &ip, err, sizeof(err));
	if (ip_cases[_i].ip) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(ip, ip_cases[_i].ip);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(ip);
		ck_assert(err[0]);
	}
	free(ip);
}
END_TEST

START_TEST(result_names)
{
	ck_assert_str_eq(gluetun_result_str(GLUETUN_OK), "ok");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_UNAUTHORIZED), "unauthorized");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_UNREACHABLE), "unreachable");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_BAD_RESPONSE), "bad_response");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_HTTP_ERROR), "http_error");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_NO_PORT), "no_port");
}
END_TEST

START_TEST(unreachable_server)
{
	struct gluetun *g = gluetun_new("http://127.0.0.1:1/", "k", 500);
	int *ports;
	size_t n;
	char err[256] = "";
	ck_assert_int_eq(gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ports);
	ck_assert_msg(strstr(err, "127.0.0.1:1/v1/portforward"), "%s", err);
	char *ip;
	ck_assert_int_eq(gluetun_public_ip(g, &ip, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_ptr_null(ip);
	gluetun_free(g);
}
END_TEST


/* ---- the client against a scripted control server ---------------------- */

/* One scripted answer; a route plays its answers in order, the last one
 * again and again. "%PORT%" in location is the server's port. */
struct answer {
	int status; /* 0: end of the list */
	const char *body;
	const char *location;
	int delay_ms;
};

/* A route with the credentials its role wants (NULL: none); a request
 * without them gets Gluetun's bare 401, plus WWW-Authenticate for basic
 * (internal/server/middlewares/auth/basic.go). */
struct route {
	const char *path;
	const char *need_key;   /* X-API-Key or ?api_key= */
	const char *need_basic; /* "Basic base64(user:pass)" */
	struct answer a[3];
};

#define ANS(s, b) { .status = (s), .body = (b) }
#define UNAUTH ANS(401, "Unauthorized\n")

#define MAX_SEEN 16
struct fake {
	struct MHD_Daemon *d;
	int port;
	const struct route *routes;
	size_t n_routes;
	int next[4];
	pthread_mutex_t mu;
	char seen[MAX_SEEN][160]; /* "PATH key=K auth=A" per request */
	int n_seen;
};

static enum MHD_Result fake_answer(struct fake *f, struct MHD_Connection *c, int status,
				   const char *body, const char *location, bool challenge)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								   MHD_RESPMEM_MUST_COPY);
	if (location) {
		char loc[160];
		const char *p = strstr(location, "%PORT%");
		if (p)
			snprintf(loc, sizeof(loc), "%.*s%d%s", (int)(p - location), location, f->port, p + 6);
		else
			snprintf(loc, sizeof(loc), "%s", location);
		MHD_add_response_header(r, "Location", loc);
	}
	if (challenge)
		MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"restricted\", charset=\"UTF-8\"");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version, const char *data,
				    size_t *data_size, void **con_cls)
{
	(void)version;
	(void)data;
	(void)data_size;
	(void)con_cls;
	(void)method;
	struct fake *f = cls;
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
	const char *qkey = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "api_key");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!key)
		key = qkey;
	pthread_mutex_lock(&f->mu);
	if (f->n_seen < MAX_SEEN)
		snprintf(f->seen[f->n_seen++], sizeof(f->seen[0]), "%s key=%s auth=%s", url,
			 key ? key : "-", auth ? auth : "-");
	const struct route *rt = NULL;
	size_t ri = 0;
	for (; ri < f->n_routes; ri++)
		if (strcmp(f->routes[ri].path, url) == 0) {
			rt = &f->routes[ri];
			break;
		}
	struct answer a = ANS(404, "404 page not found\n");
	bool challenge = false;
	if (rt && rt->need_key && !str_eq(key, rt->need_key)) {
		a = (struct answer)UNAUTH;
	} else if (rt && rt->need_basic && !str_eq(auth, rt->need_basic)) {
		a = (struct answer)UNAUTH;
		challenge = true;
	} else if (rt) {
		int k = f->next[ri];
		a = rt->a[k];
		if (k + 1 < (int)ARRAY_LEN(rt->a) && rt->a[k + 1].status)
			f->next[ri]++;
	}
	pthread_mutex_unlock(&f->mu);
	if (a.delay_ms)
		usleep((useconds_t)a.delay_ms * 1000);
	return fake_answer(f, c, a.status, a.body ? a.body : "", a.location, challenge);
}

static void fake_start(struct fake *f, const struct route *routes, size_t n)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->routes = routes;
	f->n_routes = n;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
				NULL, NULL, fake_handler, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	ck_assert_ptr_nonnull(f->d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	f->port = info->port;
}

static void fake_stop(struct fake *f)
{
	MHD_stop_daemon(f->d);
	pthread_mutex_destroy(&f->mu);
}

/* The paths requested, space-separated. */
static void fake_paths(struct fake *f, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < f->n_seen && o + 1 < len; i++) {
		const char *sp = strchr(f->seen[i], ' ');
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", i ? " " : "",
				      (int)(sp - f->seen[i]), f->seen[i]);
	}
}

#define NEW "/v1/portforward"
#define OLD "/v1/openvpn/portforwarded"
#define BASIC_USER_PASS "Basic dXNlcjpwYXNz" /* user:pass */
/* Go's http.Redirect body, as v3.41 sends it for the old route. */
#define MOVED(to) { .status = 301, .body = "<a href=\"" to "\">Moved Permanently</a>.\n\n", .location = to }

static const struct port_client_case {
	const char *name;
	const char *key, *user, *pass;
	struct route routes[2];
	enum gluetun_result want;
	size_t n;
	int ports[2];
	const char *paths;      /* requested, in order */
	const char *err_has[4]; /* substrings of err */
	const char *err_hasnt;  /* e.g. the secret */
} pcases[] = {
	{ ":latest: ports", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "{\"port\":5914,\"ports\":[5914,5915]}\n") } } },
	  GLUETUN_OK, 2, { 5914, 5915 }, NEW, { NULL }, NULL },
	{ ":latest: VPN reconnecting, port 0 / null", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "{\"port\":0,\"ports\":null}\n") } } },
	  GLUETUN_NO_PORT, 0, { 0 }, NEW, { NULL }, NULL },
	{ "v3.41: one port", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "{\"port\":5914}\n") } } },
	  GLUETUN_OK, 1, { 5914 }, NEW, { NULL }, NULL },
	{ "v3.41: no port yet", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "{\"port\":0}\n") } } },
	  GLUETUN_NO_PORT, 0, { 0 }, NEW, { NULL }, NULL },
	{ "v3.39.0: unknown route is 400, the old route answers", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(400, "GET /portforward not found\n") } },
	    { OLD, NULL, NULL, { ANS(200, "{\"port\":5914}\n") } } },
	  GLUETUN_OK, 1, { 5914 }, NEW " " OLD, { NULL }, NULL },
	{ "v3.40: route in no role is 401, the old route is public", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { UNAUTH } }, { OLD, NULL, NULL, { ANS(200, "{\"port\":5914}\n") } } },
	  GLUETUN_OK, 1, { 5914 }, NEW " " OLD, { NULL }, NULL },
	{ "v3.40 apikey role on the old route", "k", NULL, NULL,
	  { { NEW, NULL, NULL, { UNAUTH } }, { OLD, "k", NULL, { ANS(200, "{\"ports\":[5914,5915]}\n") } } },
	  GLUETUN_OK, 2, { 5914, 5915 }, NEW " " OLD, { NULL }, NULL },
	{ "another server: 404, the old route answers", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(404, "404 page not found\n") } },
	    { OLD, NULL, NULL, { ANS(200, "{\"port\":5914}\n") } } },
	  GLUETUN_OK, 1, { 5914 }, NEW " " OLD, { NULL }, NULL },
	{ "v3.41 without config.toml: 401, 301 to it, 401", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { UNAUTH } }, { OLD, NULL, NULL, { MOVED("/v1/portforward") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD " " NEW,
	  { "unauthorized", "\"GET /v1/portforward\"", "\"GET /v1/openvpn/portforwarded\"", "api_key_file" }, NULL },
	{ "301 followed with the key (relative Location)", "k", NULL, NULL,
	  { { NEW, "k", NULL, { ANS(404, ""), ANS(200, "{\"port\":7}") } }, { OLD, "k", NULL, { MOVED("/v1/portforward") } } },
	  GLUETUN_OK, 1, { 7 }, NEW " " OLD " " NEW, { NULL }, NULL },
	{ "301 followed with basic auth (absolute Location, same origin)", NULL, "user", "pass",
	  { { NEW, NULL, BASIC_USER_PASS, { ANS(404, ""), ANS(200, "{\"port\":7}") } },
	    { OLD, NULL, BASIC_USER_PASS, { { .status = 301, .body = "", .location = "http://127.0.0.1:%PORT%/v1/portforward" } } } },
	  GLUETUN_OK, 1, { 7 }, NEW " " OLD " " NEW, { NULL }, NULL },
	{ "redirect loop is bounded", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(404, "") } }, { OLD, NULL, NULL, { MOVED(OLD) } } },
	  GLUETUN_HTTP_ERROR, 0, { 0 }, NEW " " OLD " " OLD " " OLD " " OLD, { "more than 3 redirects" }, NULL },
	{ "redirect to another host refused, the key stays home", "k", NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(404, "") } },
	    { OLD, NULL, NULL, { { .status = 301, .body = "", .location = "http://localhost:%PORT%/v1/portforward" } } } },
	  GLUETUN_HTTP_ERROR, 0, { 0 }, NEW " " OLD, { "another host refused", "/v1/portforward" }, NULL },
	{ "wrong API key: refused, never echoed", "wrong-key", NULL, NULL,
	  { { NEW, "right", NULL, { ANS(200, "{\"port\":1}") } }, { OLD, "right", NULL, { ANS(200, "{\"port\":1}") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD,
	  { "refused the X-API-Key", "api_key_file", "auth = \"apikey\"", "\"GET /v1/portforward\"" }, "wrong-key" },
	{ "basic credentials accepted", NULL, "user", "pass",
	  { { NEW, NULL, BASIC_USER_PASS, { ANS(200, "{\"port\":5914,\"ports\":[5914]}") } } },
	  GLUETUN_OK, 1, { 5914 }, NEW, { NULL }, NULL },
	{ "wrong basic credentials: refused, never echoed", NULL, "user", "secretpw",
	  { { NEW, NULL, BASIC_USER_PASS, { ANS(200, "{}") } }, { OLD, NULL, BASIC_USER_PASS, { ANS(200, "{}") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD,
	  { "refused the basic credentials", "api_username", "api_password_file", "auth = \"basic\"" }, "secretpw" },
	{ "API key sent where the role wants basic auth", "k", NULL, NULL,
	  { { NEW, NULL, BASIC_USER_PASS, { ANS(200, "{}") } }, { OLD, NULL, BASIC_USER_PASS, { ANS(200, "{}") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD, { "asks for basic auth", "api_username" }, NULL },
	{ "no credentials: names both methods", NULL, NULL, NULL,
	  { { NEW, "k", NULL, { ANS(200, "{}") } }, { OLD, "k", NULL, { ANS(200, "{}") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD,
	  { "[[roles]]", "auth = \"apikey\"", "api_key_file", "api_username and api_password_file" }, NULL },
	{ "500: an error, no fallback", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(500, "boom\n") } } },
	  GLUETUN_HTTP_ERROR, 0, { 0 }, NEW, { "GET /v1/portforward: HTTP 500: boom" }, NULL },
	{ "400 on both routes: both named", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(400, "GET /portforward not found\n") } },
	    { OLD, NULL, NULL, { ANS(400, "nope\n") } } },
	  GLUETUN_HTTP_ERROR, 0, { 0 }, NEW " " OLD, { "HTTP 400: GET /portforward not found", "GET /v1/openvpn/portforwarded: HTTP 400" }, NULL },
	{ "401 then 404: unauthorized wins", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { UNAUTH } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW " " OLD, { "unauthorized (HTTP 401)" }, NULL },
	{ "403: unauthorized, no fallback", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(403, "Forbidden\n") } } },
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, NEW, { "unauthorized (HTTP 403)" }, NULL },
	{ "200 but not JSON", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "<html>ok</html>") } } },
	  GLUETUN_BAD_RESPONSE, 0, { 0 }, NEW, { "forwarded port: not a JSON object" }, NULL },
	{ "200 with an empty body", NULL, NULL, NULL,
	  { { NEW, NULL, NULL, { ANS(200, "") } } },
	  GLUETUN_BAD_RESPONSE, 0, { 0 }, NEW, { "forwarded port" }, NULL },
};

START_TEST(forwarded_ports_client)
{
	const struct port_client_case *tc = &pcases[_i];
	struct fake f;
	size_t nr = tc->routes[1].path ? 2 : 1;
	fake_start(&f, tc->routes, nr);
	char *url = xasprintf("http://127.0.0.1:%d/", f.port);
	struct gluetun *g = gluetun_new(url, tc->key, 2000);
	gluetun_set_basic_auth(g, tc->user, tc->pass);
	int *ports = (int *)1;
	size_t n = 99;
	char err[512] = "";
	enum gluetun_result r = gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err));
	char paths[256];
	fake_paths(&f, paths, sizeof(paths));
	ck_assert_msg(r == tc->want, "%s: %s (%s), want %s", tc->name, gluetun_result_str(r), err,
		      gluetun_result_str(tc->want));
	ck_assert_uint_eq(n, tc->n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(ports[k], tc->ports[k]);
	if (n == 0)
		ck_assert_ptr_null(ports);
	ck_assert_msg(strcmp(paths, tc->paths) == 0, "%s: requested '%s', want '%s'", tc->name, paths, tc->paths);
	if (r == GLUETUN_OK || r == GLUETUN_NO_PORT)
		ck_assert_msg(err[0] == '\0', "%s: message on success: %s", tc->name, err);
	else
		ck_assert_msg(err[0], "%s: no message", tc->name);
	for (size_t k = 0; k < ARRAY_LEN(tc->err_has) && tc->err_has[k]; k++)
		ck_assert_msg(strstr(err, tc->err_has[k]), "%s: '%s' not in '%s'", tc->name, tc->err_has[k], err);
	if (tc->err_hasnt)
		ck_assert_msg(!strstr(err, tc->err_hasnt), "%s: secret in message: %s", tc->name, err);
	/* Every request carried the configured credentials (also after a redirect). */
	for (int k = 0; k < f.n_seen; k++) {
		if (tc->key) {
			char want[64];
			snprintf(want, sizeof(want), "key=%s ", tc->key);
			ck_assert_msg(strstr(f.seen[k], want), "%s: request %d without the key: %s", tc->name, k, f.seen[k]);
		}
		if (tc->user)
			ck_assert_msg(strstr(f.seen[k], "auth=Basic "), "%s: request %d without basic auth", tc->name, k);
		if (!tc->key && !tc->user)
			ck_assert_msg(strstr(f.seen[k], "key=- auth=-"), "%s: credentials out of nowhere", tc->name);
	}
	free(ports);
	gluetun_free(g);
	free(url);
	fake_stop(&f);
}
END_TEST

START_TEST(public_ip_client)
{
	static const struct route ok[] = {
		{ "/v1/publicip/ip", "k", NULL, { ANS(200, "{\"public_ip\":\"198.51.100.7\",\"country\":\"X\"}\n") } },
	};
	struct fake f;
	fake_start(&f, ok, 1);
	char *url = xasprintf("http://127.0.0.1:%d", f.port);
	char *ip = NULL, err[512] = "";
	struct gluetun *g = gluetun_new(url, "k", 2000);
	ck_assert_int_eq(gluetun_public_ip(g, &ip, err, sizeof(err)), GLUETUN_OK);
	ck_assert_str_eq(ip, "198.51.100.7");
	free(ip);
	gluetun_free(g);
	/* :latest without a role for it: 401 names that route. */
	g = gluetun_new(url, "other", 2000);
	ck_assert_int_eq(gluetun_public_ip(g, &ip, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	ck_assert_ptr_null(ip);
	ck_assert_msg(strstr(err, "\"GET /v1/publicip/ip\"") && !strstr(err, "portforward"), "%s", err);
	ck_assert_msg(!strstr(err, "other"), "key in message: %s", err);
	gluetun_free(g);
	free(url);
	fake_stop(&f);
}
END_TEST

/* A server that answers too late: one call never blocks much longer than
 * its budget, fallback included. */
START_TEST(slow_server_bounded)
{
	static const struct route slow[] = {
		{ NEW, NULL, NULL, { { .status = 200, .body = "{\"port\":1}", .delay_ms = 1500 } } },
	};
	static const struct route slow_old[] = {
		{ NEW, NULL, NULL, { UNAUTH } },
		{ OLD, NULL, NULL, { { .status = 200, .body = "{\"port\":1}", .delay_ms = 1500 } } },
	};
	struct fake f;
	fake_start(&f, slow, 1);
	char *url = xasprintf("http://127.0.0.1:%d", f.port);
	struct gluetun *g = gluetun_new(url, NULL, 300);
	int *ports;
	size_t n;
	char err[512] = "";
	int64_t t0 = now_mono_ms();
	ck_assert_int_eq(gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_int_lt(now_mono_ms() - t0, 1000);
	ck_assert_msg(strstr(err, "/v1/portforward"), "%s", err);
	char paths[256];
	fake_paths(&f, paths, sizeof(paths));
	ck_assert_str_eq(paths, NEW); /* a timeout is no reason to try the old route */
	gluetun_free(g);
	free(url);
	fake_stop(&f);

	fake_start(&f, slow_old, 2);
	url = xasprintf("http://127.0.0.1:%d", f.port);
	g = gluetun_new(url, NULL, 300);
	t0 = now_mono_ms();
	ck_assert_int_eq(gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	ck_assert_int_lt(now_mono_ms() - t0, 1000);
	gluetun_free(g);
	free(url);
	fake_stop(&f);
}
END_TEST

static Suite *gluetun_suite(void)
{
	Suite *s = suite_create("gluetun");
	TCase *tc = tcase_create("decoders");
	tcase_add_loop_test(tc, parse_ports, 0, (int)ARRAY_LEN(port_cases));
	tcase_add_loop_test(tc, parse_public_ip, 0, (int)ARRAY_LEN(ip_cases));
	tcase_add_test(tc, result_names);
	tcase_add_test(tc, unreachable_server);
	suite_add_tcase(s, tc);
	TCase *cl = tcase_create("client");
	tcase_set_timeout(cl, 30);
	tcase_add_loop_test(cl, forwarded_ports_client, 0, (int)ARRAY_LEN(pcases));
	tcase_add_test(cl, public_ip_client);
	tcase_add_test(cl, slow_server_bounded);
	suite_add_tcase(s, cl);
	return s;
}

int main(void)
{
	docker_global_init();
	SRunner *sr = srunner_create(gluetun_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
