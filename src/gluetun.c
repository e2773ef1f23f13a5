/* gluetun.c - Gluetun control-server client (forwarded ports, public IP)
 * over libcurl with short timeouts, and its pure JSON decoders. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gluetun.h"
#include "http.h"
#include "util.h"

struct gluetun {
	char *base;
	char *key_header; /* "X-API-Key: ..." or NULL */
	long timeout_ms;
	CURL *easy; /* reused: keeps the connection to the control server */
	struct strbuf resp;
	char curl_err[CURL_ERROR_SIZE];
};

const char *gluetun_result_str(enum gluetun_result r)
{
	switch (r) {
	case GLUETUN_OK: return "ok";
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

void gluetun_free(struct gluetun *g)
{
	if (!g)
		return;
	if (g->easy)
		curl_easy_cleanup(g->easy);
	if (g->key_header) /* a secret: do not leave it in freed memory */
		memset(g->key_header, 0, strlen(g->key_header));
	free(g->key_header);
	free(g->base);
	strbuf_free(&g->resp);
	free(g);
}

/* One GET; the body lands in g->resp. *status is the HTTP status (0 when
 * the server was not reached). */
static enum gluetun_result get(struct gluetun *g, const char *path, long *status,
			       char *err, size_t errlen)
{
	char *url = xasprintf("%s%s", g->base, path);
	struct curl_slist *hdrs = NULL;
	enum gluetun_result r = GLUETUN_OK;
	CURL *e = g->easy;
	*status = 0;
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, g->timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, g->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, g->curl_err);
	g->curl_err[0] = '\0';
	if (g->key_header) {
		hdrs = curl_slist_append(hdrs, g->key_header);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	}
	strbuf_reset(&g->resp);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_buf_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &g->resp);
	CURLcode cc = curl_easy_perform(e);
	if (cc != CURLE_OK) {
		sbuf_printf(err, errlen, "%s: %s", url,
			    g->curl_err[0] ? g->curl_err : curl_easy_strerror(cc));
		r = GLUETUN_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	if (!g->resp.data)
		strbuf_add(&g->resp, "", 0);
	if (*status == 401 || *status == 403) {
		/* Not "no port": the operator has something to fix. */
		if (g->key_header)
			sbuf_printf(err, errlen, "unauthorized: api key rejected (HTTP %ld); "
				    "check api_key_file", *status);
		else
			sbuf_printf(err, errlen, "unauthorized: set api_key_file (HTTP %ld)", *status);
		r = GLUETUN_UNAUTHORIZED;
	} else if (*status < 200 || *status >= 300) {
		char snip[96];
		http_snippet(snip, sizeof(snip), g->resp.data, g->resp.len);
		sbuf_printf(err, errlen, "%s: HTTP %ld: %s", path, *status, snip);
		r = GLUETUN_HTTP_ERROR;
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	return r;
}

enum gluetun_result gluetun_forwarded_ports(struct gluetun *g, int **ports, size_t *n,
					    char *err, size_t errlen)
{
	long st;
	*ports = NULL;
	*n = 0;
	enum gluetun_result r = get(g, "/v1/portforward", &st, err, errlen);
	if (r == GLUETUN_HTTP_ERROR && st == 404)
		r = get(g, "/v1/openvpn/portforwarded", &st, err, errlen);
	if (r != GLUETUN_OK)
		return r;
	char msg[96];
	if (gluetun_parse_ports(g->resp.data, g->resp.len, ports, n, msg, sizeof(msg)) < 0) {
		sbuf_printf(err, errlen, "forwarded port: %s", msg);
		return GLUETUN_BAD_RESPONSE;
	}
	return GLUETUN_OK;
}

enum gluetun_result gluetun_public_ip(struct gluetun *g, char **ip, char *err, size_t errlen)
{
	long st;
	*ip = NULL;
	enum gluetun_result r = get(g, "/v1/publicip/ip", &st, err, errlen);
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
