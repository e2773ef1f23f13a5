/* status.c - `ace-orchestrator status`: reads a running daemon's API with
 * libcurl and prints a human summary of VPNs, engines and the config. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "util.h"

#define STATUS_TIMEOUT_MS 5000
#define STATUS_MAX_BODY (16u << 20)

struct status_buf {
	char *p;
	size_t n, cap;
	bool overflow;
};

static size_t status_write(char *data, size_t sz, size_t nm, void *ud)
{
	struct status_buf *b = ud;
	size_t len = sz * nm;
	if (b->n + len > STATUS_MAX_BODY) {
		b->overflow = true;
		return 0;
	}
	grow(&b->p, &b->cap, b->n + len + 1, 1);
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* GET base+path. Returns the body (NUL-terminated, *len bytes; "" when
 * empty), or NULL with err set when nothing answered; *code gets the HTTP
 * status (0 when nothing answered). */
static char *status_get(CURL *h, const char *base, const char *path, long *code,
			size_t *len, char *err, size_t errlen)
{
	struct status_buf b = { 0 };
	char *url = xasprintf("%s%s", base, path);
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, status_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)STATUS_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	CURLcode rc = curl_easy_perform(h);
	*code = 0;
	*len = 0;
	if (rc != CURLE_OK) {
		sbuf_printf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
		free(url);
		free(b.p);
		return NULL;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	free(url);
	*len = b.n;
	return b.p ? b.p : xstrdup("");
}

static const char *jstr(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

/* A number member within [min,max] (bounds well inside 2^53), else dflt.
 * The answer is outside input: 1e400 parses as infinity, and converting
 * that (or NaN, or anything beyond long long) to an integer is UB. The
 * comparison is false for NaN, so it is refused with the rest. */
static long long jint(const cJSON *o, const char *key, long long dflt, long long min,
		      long long max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min && v->valuedouble <= (double)max))
		return dflt;
	return (long long)v->valuedouble;
}

#define STATUS_PORT_MAX 65535
#define STATUS_COUNT_MAX 1000000000LL

static bool jbool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_engine(FILE *out, const cJSON *e)
{
	long long p2p = jint(e, "p2p_port", 0, 0, STATUS_PORT_MAX);
	fprintf(out, "    %-24s %s:%lld  p2p %lld%s  %s  streams %lld\n",
		jstr(e, "container_name", "?"), jstr(e, "host", "?"),
		jint(e, "port", 0, 0, STATUS_PORT_MAX), p2p,
		jbool(e, "forwarded") ? " (forwarded)" : "", jstr(e, "health", "unknown"),
		/* "streams" became the list of IDs (issue 8); older daemons
		 * sent the count there. */
		jint(e, "stream_count", jint(e, "streams", 0, 0, STATUS_COUNT_MAX), 0,
		     STATUS_COUNT_MAX));
}

/* Engines of one VPN ("" = no VPN), visible ones only; returns how many. */
static size_t print_engines_of(FILE *out, const cJSON *engines, const char *vpn)
{
	size_t n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, engines) {
		const char *ev = jstr(e, "vpn_container", "");
		if (strcmp(ev, vpn) != 0 || !jbool(e, "visible"))
			continue;
		print_engine(out, e);
		n++;
	}
	return n;
}

/* The lease and, when the fleet spans several, the Docker hosts (issue
 * 11), from /vpn/status. Returns whether hosts were listed (then each VPN
 * and hidden engine names its own). */
static bool print_hosts(FILE *out, const cJSON *vpn)
{
	const cJSON *lease = cJSON_GetObjectItemCaseSensitive(vpn, "lease");
	if (cJSON_IsObject(lease)) {
		const char *role = jstr(lease, "role", "unknown");
		fprintf(out, "lease: %s", strcmp(role, "holder") == 0 ? "held by this daemon (acting)"
			: strcmp(role, "standby") == 0 ? "STANDBY: another daemon acts" : "unknown (not acting)");
		const char *why = jstr(lease, "why", NULL);
		if (why && strcmp(role, "holder") != 0)
			fprintf(out, "\n  %s", why);
		fputc('\n', out);
	}
	const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(vpn, "docker_hosts");
	if (!cJSON_IsArray(hosts) || cJSON_GetArraySize(hosts) < 2)
		return false;
	fputs("docker hosts:\n", out);
	const cJSON *h;
	cJSON_ArrayForEach(h, hosts) {
		bool up = jbool(h, "reachable");
		long long nv = jint(h, "vpns", 0, 0, STATUS_COUNT_MAX);
		long long ne = jint(h, "engines", 0, 0, STATUS_COUNT_MAX);
		fprintf(out, "  %-12s %s  %s, %lld vpn%s, %lld engine%s\n", jstr(h, "name", "?"),
			jstr(h, "host", "?"), up ? "reachable" : "UNREACHABLE", nv, nv == 1 ? "" : "s",
			ne, ne == 1 ? "" : "s");
		if (!up)
			fprintf(out, "    %s\n", jstr(h, "error", "no answer"));
	}
	return true;
}

static void print_vpn(FILE *out, const cJSON *v, const cJSON *engines, bool hosts)
{
	char fwd[16] = "none";
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(v, "forwarded_port"))) {
		long long fp = jint(v, "forwarded_port", -1, 0, STATUS_PORT_MAX);
		if (fp < 0)
			sbuf_printf(fwd, sizeof fwd, "invalid");
		else
			sbuf_printf(fwd, sizeof fwd, "%lld", fp);
	}
	const char *name = jstr(v, "name", "?");
	fprintf(out, "VPN %s  [%s]", name, jstr(v, "port_range", "-"));
	if (hosts)
		fprintf(out, "  on docker host %s%s", jstr(v, "docker_host", "default"),
			cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "docker_host_reachable"))
				? " (UNREACHABLE)" : "");
	fputc('\n', out);
	fprintf(out, "  health %s, %s, forwarded port %s, public IP %s\n",
		jstr(v, "health", "none"), jbool(v, "connected") ? "connected" : "NOT connected",
		fwd, jstr(v, "public_ip", "unknown"));
	fprintf(out, "  engines %lld, restarts %lld", jint(v, "engines", 0, 0, STATUS_COUNT_MAX),
		jint(v, "restarts", 0, 0, STATUS_COUNT_MAX));
	const char *since = jstr(v, "unhealthy_since", NULL);
	if (since)
		fprintf(out, ", unavailable since %s", since);
	fputc('\n', out);
	const char *apierr = jstr(v, "api_error", NULL);
	if (apierr)
		fprintf(out, "  control server: %s\n", apierr);
	if (!print_engines_of(out, engines, name))
		fputs("    (no engine serving)\n", out);
	fputc('\n', out);
}

static void print_summary(FILE *out, const cJSON *vpn, const cJSON *engines, const cJSON *cfg)
{
	const char *mode = jstr(vpn, "mode", "none");
	fprintf(out, "mode: %s\n", mode);
	bool hosts = print_hosts(out, vpn);
	if (cfg) {
		fprintf(out, "config: %s (hash %s, loaded %s)\n", jstr(cfg, "source", "?"),
			jstr(cfg, "hash", "-"), jstr(cfg, "last_reload", "never"));
		const char *rerr = jstr(cfg, "last_reload_error", NULL);
		if (rerr)
			fprintf(out, "last reload FAILED (previous config still in force):\n  %s\n",
				rerr);
	}
	const cJSON *vpns = cJSON_GetObjectItemCaseSensitive(vpn, "vpns");
	const cJSON *v;
	size_t visible = 0, hidden = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, engines)
		*(jbool(e, "visible") ? &visible : &hidden) += 1;
	fprintf(out, "engines: %zu serving, %zu hidden\n\n", visible, hidden);
	cJSON_ArrayForEach(v, vpns)
		print_vpn(out, v, engines, hosts);
	if (cJSON_GetArraySize(vpns) == 0) {
		fputs("engines (no VPN):\n", out);
		if (!print_engines_of(out, engines, ""))
			fputs("    (no engine serving)\n", out);
	}
	if (hidden) {
		fputs("hidden engines:\n", out);
		cJSON_ArrayForEach(e, engines) {
			if (jbool(e, "visible"))
				continue;
			const char *ev = jstr(e, "vpn_container", "");
			fprintf(out, "    %-24s %s%s%s", jstr(e, "container_name", "?"),
				*ev ? "on " : "", ev, *ev ? "" : "no VPN");
			if (hosts)
				fprintf(out, " (docker host %s)", jstr(e, "docker_host", "default"));
			fprintf(out, ": %s\n", jstr(e, "hidden_reason", "hidden"));
		}
	}
}

int status_print(FILE *out, const char *vpn_body, size_t vpn_len, const char *engines_body,
		 size_t engines_len, const char *cfg_body, size_t cfg_len, char *err, size_t errlen)
{
	int rc = -1;
	cJSON *vpn = vpn_body ? cJSON_ParseWithLength(vpn_body, vpn_len) : NULL;
	cJSON *engines = engines_body ? cJSON_ParseWithLength(engines_body, engines_len) : NULL;
	cJSON *cfg = cfg_body ? cJSON_ParseWithLength(cfg_body, cfg_len) : NULL;
	if (!cJSON_IsObject(vpn)) {
		sbuf_printf(err, errlen, "/vpn/status: not a JSON object");
		goto out;
	}
	if (!cJSON_IsArray(engines)) {
		sbuf_printf(err, errlen, "/engines?all=1: not a JSON array");
		goto out;
	}
	print_summary(out, vpn, engines, cJSON_IsObject(cfg) ? cfg : NULL);
	rc = 0;
out:
	cJSON_Delete(vpn);
	cJSON_Delete(engines);
	cJSON_Delete(cfg);
	return rc;
}

int status_run(const char *api_url, FILE *out)
{
	const char *base = api_url && *api_url ? api_url : STATUS_DEFAULT_API;
	/* "http://host:8000/" and "http://host:8000" both work. */
	char *b = xstrdup(base);
	size_t bl = strlen(b);
	while (bl > 0 && b[bl - 1] == '/')
		b[--bl] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ace-orchestrator status: cannot initialise libcurl\n");
		free(b);
		return 1;
	}
	CURL *h = curl_easy_init();
	int rc = 1;
	char err[512] = "";
	long code;
	size_t vlen = 0, elen = 0, clen = 0;
	char *vpn = NULL, *engines = NULL, *cfg = NULL;
	if (!h) {
		fprintf(stderr, "ace-orchestrator status: cannot initialise libcurl\n");
		goto out;
	}
	vpn = status_get(h, b, "/vpn/status", &code, &vlen, err, sizeof err);
	if (!vpn) {
		fprintf(stderr,
			"ace-orchestrator status: daemon unreachable at %s (%s)\n"
			"is `ace-orchestrator run` running, and does --api match api.listen?\n",
			b, err);
		goto out;
	}
	if (code != 200) {
		cJSON *j = cJSON_ParseWithLength(vpn, vlen);
		fprintf(stderr, "ace-orchestrator status: %s/vpn/status answered HTTP %ld: %s\n",
			b, code, j ? jstr(j, "error", "?") : "not JSON");
		cJSON_Delete(j);
		goto out;
	}
	engines = status_get(h, b, "/engines?all=1", &code, &elen, err, sizeof err);
	if (!engines || code != 200) {
		fprintf(stderr, "ace-orchestrator status: %s/engines?all=1 failed: %s\n", b,
			engines ? "unexpected answer" : err);
		goto out;
	}
	cfg = status_get(h, b, "/config", &code, &clen, err, sizeof err);
	if (cfg && code != 200) {
		free(cfg);
		cfg = NULL;
	}
	if (status_print(out, vpn, vlen, engines, elen, cfg, clen, err, sizeof err) < 0) {
		fprintf(stderr, "ace-orchestrator status: %s: %s\n", b, err);
		goto out;
	}
	rc = 0;
out:
	free(vpn);
	free(engines);
	free(cfg);
	if (h)
		curl_easy_cleanup(h);
	curl_global_cleanup();
	free(b);
	return rc;
}
