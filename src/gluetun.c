/* gluetun.c - Gluetun control-server client (forwarded ports, public IP)
 * over libcurl with a per-call time budget, and its pure JSON decoders. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gluetun.h"
#include "http.h"
#include "util.h"

/* A control server answers a few hundred bytes: refuse more. */
#define GLUETUN_MAX_BODY (64u << 10)
/* v3.41+ answers one 301 (old route -> new); a few more cover a reverse
 * proxy in front, and the bound stops a loop. */
#define GLUETUN_MAX_REDIRECTS 3

#define ROUTES_PORTS "\"" GLUETUN_ROUTE_PORTS "\" (Gluetun v3.41.0 and later; \"" \
	GLUETUN_ROUTE_PORTS_OLD "\" before)"
#define ROUTES_PUBLIC_IP "\"" GLUETUN_ROUTE_PUBLIC_IP "\""

struct gluetun {
	char *base;
	char *key_header; /* "X-API-Key: ..." or NULL */
	char *username;   /* basic auth, NULL when none */
	char *password;
	long timeout_ms;
	int64_t deadline_ms; /* of the current call (fallback and redirects included) */
	CURL *easy;          /* reused: keeps the connection to the control server */
	struct strbuf resp;
	bool basic_challenge; /* the last answer carried WWW-Authenticate: Basic */
	char curl_err[CURL_ERROR_SIZE];
};

const char *gluetun_result_str(enum gluetun_result r)
{
	switch (r) {
	case GLUETUN_OK: return "ok";
	case GLUETUN_NO_PORT: return "no_port";
	case GLUETUN_UNAUTHORIZED: return "unauthorized";
	case GLUETUN_HTTP_ERROR: return "http_error";
	case GLUETUN_UNREACHABLE: return "unreachable";
	case GLUETUN_BAD_RESPONSE: return "bad_response";
	}
	return "unknown";
}

struct gluetun *gluetun_new(const char *base_url, const char *api_key, long timeout_ms)
{
	struct gluetun *g = xcalloc(1, sizeof(*g));
	size_t n = strlen(base_url);
	while (n && base_url[n - 1] == '/')
		n--;
	g->base = xstrndup(base_url, n);
	if (api_key && *api_key)
		g->key_header = xasprintf("X-API-Key: %s", api_key);
	g->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	g->easy = curl_easy_init();
	if (!g->easy)
		fatal("curl_easy_init failed");
	return g;
}

/* Secrets must not linger in freed memory. */
static void free_secret(char **s)
{
	if (*s)
		memset(*s, 0, strlen(*s));
	free(*s);
	*s = NULL;
}

void gluetun_set_basic_auth(struct gluetun *g, const char *username, const char *password)
{
	free_secret(&g->username);
	free_secret(&g->password);
	if (username && *username) {
		g->username = xstrdup(username);
		g->password = xstrdup(password ? password : "");
	}
}

void gluetun_free(struct gluetun *g)
{
	if (!g)
		return;
	if (g->easy)
		curl_easy_cleanup(g->easy);
	free_secret(&g->key_header);
	free_secret(&g->username);
	free_secret(&g->password);
	free(g->base);
	strbuf_free(&g->resp);
	free(g);
}

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct strbuf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > GLUETUN_MAX_BODY)
		return 0; /* curl turns this into CURLE_WRITE_ERROR */
	strbuf_add(b, ptr, n);
	return n;
}

/* A basic-auth role answers 401 with WWW-Authenticate: Basic (Gluetun
 * internal/server/middlewares/auth/basic.go); an apikey role does not. The
 * difference tells an operator which credentials that route wants. */
static size_t header_seen(char *p, size_t size, size_t nmemb, void *ud)
{
	struct gluetun *g = ud;
	size_t n = size * nmemb;
	static const char name[] = "www-authenticate:";
	size_t k = sizeof(name) - 1;
	if (n > k && strncasecmp(p, name, k) == 0) {
		const char *v = p + k;
		size_t left = n - k;
		while (left && (*v == ' ' || *v == '\t')) {
			v++;
			left--;
		}
		if (left >= 5 && strncasecmp(v, "basic", 5) == 0)
			g->basic_challenge = true;
	}
	return n;
}

/* Same scheme, host and port: credentials never follow a redirect elsewhere. */
static bool same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	CURLU *ua = curl_url(), *ub = curl_url();
	bool same = ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
		    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
	for (size_t i = 0; same && i < ARRAY_LEN(parts); i++) {
		char *x = NULL, *y = NULL;
		unsigned fl = parts[i] == CURLUPART_PORT ? CURLU_DEFAULT_PORT : 0;
		same = curl_url_get(ua, parts[i], &x, fl) == CURLUE_OK &&
		       curl_url_get(ub, parts[i], &y, fl) == CURLUE_OK && strcasecmp(x, y) == 0;
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* The path of url, for messages ("/v1/portforward"); url when unparsable. */
static void url_path(const char *url, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *p = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK)
		sbuf_printf(out, outlen, "%s", p);
	else
		sbuf_printf(out, outlen, "%s", url);
	curl_free(p);
	curl_url_cleanup(u);
}

/* One GET of url within what is left of the call's budget; the body lands in
 * g->resp, *status is the HTTP status. Only transport failures are results
 * here; the caller classifies the status. */
static enum gluetun_result perform(struct gluetun *g, const char *url, long *status,
				   char *err, size_t errlen)
{
	CURL *e = g->easy;
	struct curl_slist *hdrs = NULL;
	int64_t left = g->deadline_ms - now_mono_ms();
	*status = 0;
	if (left <= 0) {
		sbuf_printf(err, errlen, "%s: no answer within %ld ms", url, g->timeout_ms);
		return GLUETUN_UNREACHABLE;
	}
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, g->curl_err);
	g->curl_err[0] = '\0';
	if (g->key_header) {
		hdrs = curl_slist_append(hdrs, g->key_header);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	}
	if (g->username) {
		/* Basic only: libcurl then sends it with the first request. */
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, g->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, g->password);
	}
	strbuf_reset(&g->resp);
	g->basic_challenge = false;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &g->resp);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_seen);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, g);
	CURLcode cc = curl_easy_perform(e);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_WRITE_ERROR) {
		sbuf_printf(err, errlen, "%s: answer larger than %u bytes", url, GLUETUN_MAX_BODY);
		return GLUETUN_BAD_RESPONSE;
	}
	if (cc != CURLE_OK) {
		sbuf_printf(err, errlen, "%s: %s", url,
			    g->curl_err[0] ? g->curl_err : curl_easy_strerror(cc));
		return GLUETUN_UNREACHABLE;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	if (!g->resp.data)
		strbuf_add(&g->resp, "", 0);
	return GLUETUN_OK;
}

static bool is_redirect(long st)
{
	return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

/* GET path, following redirects by hand: libcurl would follow one to any
 * host with our X-API-Key header. On a non-2xx answer err gets
 * "GET PATH: HTTP N: snippet" (401/403 -> GLUETUN_UNAUTHORIZED, the caller
 * words that message). */
static enum gluetun_result get(struct gluetun *g, const char *path, long *status,
			       char *err, size_t errlen)
{
	char *url = xasprintf("%s%s", g->base, path);
	char where[160];
	enum gluetun_result r;
	sbuf_printf(where, sizeof(where), "GET %s", path);
	for (int hop = 0;; hop++) {
		r = perform(g, url, status, err, errlen);
		if (r != GLUETUN_OK || !is_redirect(*status))
			break;
		char *loc = NULL;
		curl_easy_getinfo(g->easy, CURLINFO_REDIRECT_URL, &loc);
		r = GLUETUN_HTTP_ERROR;
		if (!loc || !*loc) {
			sbuf_printf(err, errlen, "%s: HTTP %ld without a Location", where, *status);
			break;
		}
		if (hop == GLUETUN_MAX_REDIRECTS) {
			sbuf_printf(err, errlen, "%s: more than %d redirects", where, GLUETUN_MAX_REDIRECTS);
			break;
		}
		char to[96];
		url_path(loc, to, sizeof(to));
		if (!same_origin(loc, g->base)) {
			sbuf_printf(err, errlen, "%s: HTTP %ld to another host refused (%s)", where,
				    *status, to);
			break;
		}
		size_t wl = strlen(where);
		sbuf_printf(where + wl, sizeof(where) - wl, " -> %ld %s", *status, to);
		char *next = xstrdup(loc);
		free(url);
		url = next;
	}
	if (r == GLUETUN_OK && (*status < 200 || *status >= 300)) {
		char snip[96];
		http_snippet(snip, sizeof(snip), g->resp.data, g->resp.len);
		sbuf_printf(err, errlen, "%s: HTTP %ld: %s", where, *status, snip);
		r = (*status == 401 || *status == 403) ? GLUETUN_UNAUTHORIZED : GLUETUN_HTTP_ERROR;
	}
	free(url);
	return r;
}

/* Gluetun answers a bare 401 both for wrong credentials and for a route that
 * no role allows (internal/server/middlewares/auth/middleware.go), so the
 * message names everything that must agree: the config.toml role (method +
 * path, as Gluetun spells routes) and the orchestrator.yaml key. */
static void unauthorized(const struct gluetun *g, long status, const char *routes, char *err,
			 size_t errlen)
{
	if (!g->key_header && !g->username)
		sbuf_printf(err, errlen,
			    "unauthorized (HTTP %ld): give Gluetun's config.toml a [[roles]] entry whose "
			    "routes include %s with auth = \"apikey\" (then set this VPN's api_key_file) "
			    "or auth = \"basic\" (then set api_username and api_password_file)", status, routes);
	else if (g->key_header && g->username)
		sbuf_printf(err, errlen,
			    "unauthorized (HTTP %ld): Gluetun refused both the X-API-Key (api_key_file) "
			    "and the basic credentials (api_username, api_password_file): its config.toml "
			    "needs a role with one of them whose routes include %s", status, routes);
	else if (g->key_header)
		sbuf_printf(err, errlen,
			    "unauthorized (HTTP %ld): Gluetun refused the X-API-Key from api_key_file: its "
			    "config.toml needs a role with auth = \"apikey\", that key, and routes "
			    "including %s%s", status, routes,
			    g->basic_challenge ? "; that route asks for basic auth: set api_username and "
						 "api_password_file instead" : "");
	else
		sbuf_printf(err, errlen,
			    "unauthorized (HTTP %ld): Gluetun refused the basic credentials (api_username, "
			    "api_password_file): its config.toml needs a role with auth = \"basic\", them, "
			    "and routes including %s", status, routes);
}

static bool fallback_status(long st)
{
	/* 400: route unknown up to v3.39.0 (handlerv1.go); 401: route in no
	 * role, v3.39.1 to v3.40.x (auth middleware); 404: other servers. */
	return st == 400 || st == 401 || st == 404;
}

enum gluetun_result gluetun_forwarded_ports(struct gluetun *g, int **ports, size_t *n,
					    char *err, size_t errlen)
{
	long st_new = 0, st_old = 0;
	char e_new[256] = "", e_old[256] = "";
	*ports = NULL;
	*n = 0;
	g->deadline_ms = now_mono_ms() + g->timeout_ms;
	enum gluetun_result r = get(g, "/v1/portforward", &st_new, e_new, sizeof(e_new));
	const char *why = e_new;
	if ((r == GLUETUN_UNAUTHORIZED || r == GLUETUN_HTTP_ERROR) && fallback_status(st_new)) {
		bool challenge = g->basic_challenge;
		enum gluetun_result r2 = get(g, "/v1/openvpn/portforwarded", &st_old, e_old, sizeof(e_old));
		g->basic_challenge = g->basic_challenge || challenge;
		if (r2 == GLUETUN_OK || r == GLUETUN_HTTP_ERROR)
			r = r2;
		else if (r2 == GLUETUN_UNAUTHORIZED)
			r = GLUETUN_UNAUTHORIZED;
		if (r != GLUETUN_UNAUTHORIZED && r != GLUETUN_OK) {
			sbuf_printf(err, errlen, "%s; then %s", e_new, e_old);
			return r;
		}
	}
	if (r == GLUETUN_UNAUTHORIZED) {
		unauthorized(g, st_new == 401 || st_new == 403 ? st_new : st_old, ROUTES_PORTS, err, errlen);
		return r;
	}
	if (r != GLUETUN_OK) {
		sbuf_printf(err, errlen, "%s", why);
		return r;
	}
	char msg[96];
	if (gluetun_parse_ports(g->resp.data, g->resp.len, ports, n, msg, sizeof(msg)) < 0) {
		sbuf_printf(err, errlen, "forwarded port: %s", msg);
		return GLUETUN_BAD_RESPONSE;
	}
	return *n ? GLUETUN_OK : GLUETUN_NO_PORT;
}

enum gluetun_result gluetun_public_ip(struct gluetun *g, char **ip, char *err, size_t errlen)
{
	long st;
	*ip = NULL;
	g->deadline_ms = now_mono_ms() + g->timeout_ms;
	enum gluetun_result r = get(g, "/v1/publicip/ip", &st, err, errlen);
	if (r == GLUETUN_UNAUTHORIZED)
		unauthorized(g, st, ROUTES_PUBLIC_IP, err, errlen);
	if (r != GLUETUN_OK)
		return r;
	char msg[96];
	if (gluetun_parse_public_ip(g->resp.data, g->resp.len, ip, msg, sizeof(msg)) < 0) {
		sbuf_printf(err, errlen, "public ip: %s", msg);
		return GLUETUN_BAD_RESPONSE;
	}
	return GLUETUN_OK;
}

/* A JSON number that is a whole port (0 allowed: "none"); -1 otherwise. */
static int port_value(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || isnan(v->valuedouble) || v->valuedouble < 0 ||
	    v->valuedouble > 65535 || v->valuedouble != floor(v->valuedouble))
		return -1;
	return (int)v->valuedouble;
}

static void add_port(int **ports, size_t *n, size_t *cap, int p)
{
	if (p == 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if ((*ports)[i] == p)
			return;
	grow(ports, cap, *n + 1, sizeof(**ports));
	(*ports)[(*n)++] = p;
}

int gluetun_parse_ports(const char *body, size_t len, int **ports, size_t *n,
			char *err, size_t errlen)
{
	size_t cap = 0;
	*ports = NULL;
	*n = 0;
	cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (!cJSON_IsObject(root)) {
		sbuf_printf(err, errlen, "not a JSON object");
		goto fail;
	}
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "port");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "ports");
	if (!port && !list) {
		sbuf_printf(err, errlen, "no \"port\" or \"ports\" field");
		goto fail;
	}
	if (port && !cJSON_IsNull(port)) {
		int p = port_value(port);
		if (p < 0) {
			sbuf_printf(err, errlen, "\"port\" is not a port number");
			goto fail;
		}
		add_port(ports, n, &cap, p);
	}
	if (list && !cJSON_IsNull(list)) {
		if (!cJSON_IsArray(list)) {
			sbuf_printf(err, errlen, "\"ports\" is not an array");
			goto fail;
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, list) {
			int p = port_value(it);
			if (p < 0) {
				sbuf_printf(err, errlen, "\"ports\" holds a non-port value");
				goto fail;
			}
			add_port(ports, n, &cap, p);
		}
	}
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	free(*ports);
	*ports = NULL;
	*n = 0;
	return -1;
}

int gluetun_parse_public_ip(const char *body, size_t len, char **ip, char *err, size_t errlen)
{
	*ip = NULL;
	cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "public_ip");
	if (!cJSON_IsObject(root) || !cJSON_IsString(v) || !v->valuestring) {
		sbuf_printf(err, errlen, "no \"public_ip\" string");
		cJSON_Delete(root);
		return -1;
	}
	*ip = xstrdup(v->valuestring);
	cJSON_Delete(root);
	return 0;
}
