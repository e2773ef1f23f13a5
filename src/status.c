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

/* GET base+path as JSON. Returns the tree, or NULL with err set; *code gets
 * the HTTP status (0 when nothing answered). */
static cJSON *status_get(CURL *h, const char *base, const char *path, long *code,
			 char *err, size_t errlen)
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
	cJSON *j = NULL;
	if (rc != CURLE_OK) {
		sbuf_printf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	j = b.p ? cJSON_ParseWithLength(b.p, b.n) : NULL;
	if (!j)
		sbuf_printf(err, errlen, "%s: HTTP %ld, not JSON", url, *code);
out:
	free(url);
	free(b.p);
	return j;
}

static const char *jstr(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

static long long jint(const cJSON *o, const char *key, long long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

static bool jbool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_engine(FILE *out, const cJSON *e)
{
	long long p2p = jint(e, "p2p_port", 0);
	fprintf(out, "    %-24s %s:%lld  p2p %lld%s  %s  streams %lld\n",
		jstr(e, "container_name", "?"), jstr(e, "host", "?"), jint(e, "port", 0), p2p,
		jbool(e, "forwarded") ? " (forwarded)" : "", jstr(e, "health", "unknown"),
		jint(e, "streams", 0));
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

/* Set when the fleet spans several Docker hosts: each VPN names its own. */
static bool hosts_shown;

/* Docker hosts (issue 11) and the lease, from /vpn/status and /readyz. */
static void print_hosts(FILE *out, const cJSON *vpn, const cJSON *ready)
{
	const cJSON *lease = cJSON_GetObjectItemCaseSensitive(ready, "lease");
	if (lease) {
		const char *role = jstr(lease, "role", "unknown");
		fprintf(out, "lease: %s", strcmp(role, "holder") == 0 ? "held by this daemon (acting)"
			: strcmp(role, "standby") == 0 ? "STANDBY: another daemon acts" : "unknown (not acting)");
		const char *why = jstr(lease, "why", NULL);
		if (why && strcmp(role, "holder") != 0)
			fprintf(out, "\n  %s", why);
		fputc('\n', out);
	}
	const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(vpn, "docker_hosts");
	hosts_shown = cJSON_GetArraySize(hosts) > 1;
	if (!hosts_shown)
		return;
	fputs("docker hosts:\n", out);
	const cJSON *h;
	cJSON_ArrayForEach(h, hosts) {
		bool up = jbool(h, "reachable");
		fprintf(out, "  %-12s %s  %s, %lld vpn%s, %lld engine%s\n", jstr(h, "name", "?"),
			jstr(h, "host", "?"), up ? "reachable" : "UNREACHABLE", jint(h, "vpns", 0),
			jint(h, "vpns", 0) == 1 ? "" : "s", jint(h, "engines", 0),
			jint(h, "engines", 0) == 1 ? "" : "s");
		if (!up)
			fprintf(out, "    %s\n", jstr(h, "error", "no answer"));
	}
}

static void print_vpn(FILE *out, const cJSON *v, const cJSON *engines)
{
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(v, "forwarded_port");
	char fwd[16] = "none";
	if (cJSON_IsNumber(fp))
		sbuf_printf(fwd, sizeof fwd, "%d", fp->valueint);
	const char *name = jstr(v, "name", "?");
	const char *dh = jstr(v, "docker_host", NULL);
	fprintf(out, "VPN %s  [%s]", name, jstr(v, "port_range", "-"));
	if (dh && hosts_shown)
		fprintf(out, "  on docker host %s%s", dh,
			cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "docker_host_reachable"))
				? " (UNREACHABLE)" : "");
	fputc('\n', out);
	fprintf(out, "  health %s, %s, forwarded port %s, public IP %s\n",
		jstr(v, "health", "none"), jbool(v, "connected") ? "connected" : "NOT connected",
		fwd, jstr(v, "public_ip", "unknown"));
	fprintf(out, "  engines %lld, restarts %lld", jint(v, "engines", 0), jint(v, "restarts", 0));
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

static void print_summary(FILE *out, const cJSON *vpn, const cJSON *engines, const cJSON *cfg,
			  const cJSON *ready)
{
	const char *mode = jstr(vpn, "mode", "none");
	fprintf(out, "mode: %s\n", mode);
	print_hosts(out, vpn, ready);
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
		print_vpn(out, v, engines);
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
			if (hosts_shown)
				fprintf(out, " (docker host %s)", jstr(e, "docker_host", "default"));
			fprintf(out, ": %s\n", jstr(e, "hidden_reason", "hidden"));
		}
	}
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
	cJSON *vpn = NULL, *engines = NULL, *cfg = NULL, *ready = NULL;
	if (!h) {
		fprintf(stderr, "ace-orchestrator status: cannot initialise libcurl\n");
		goto out;
	}
	vpn = status_get(h, b, "/vpn/status", &code, err, sizeof err);
	if (!vpn || code != 200) {
		if (code == 0)
			fprintf(stderr,
				"ace-orchestrator status: daemon unreachable at %s (%s)\n"
				"is `ace-orchestrator run` running, and does --api match api.listen?\n",
				b, err);
		else
			fprintf(stderr, "ace-orchestrator status: %s/vpn/status answered HTTP %ld: %s\n",
				b, code, vpn ? jstr(vpn, "error", "?") : err);
		goto out;
	}
	engines = status_get(h, b, "/engines?all=1", &code, err, sizeof err);
	if (!engines || code != 200 || !cJSON_IsArray(engines)) {
		fprintf(stderr, "ace-orchestrator status: %s/engines?all=1 failed: %s\n", b,
			err[0] ? err : "unexpected answer");
		goto out;
	}
	cfg = status_get(h, b, "/config", &code, err, sizeof err);
	if (cfg && code != 200) {
		cJSON_Delete(cfg);
		cfg = NULL;
	}
	/* 503 while standing by: its body still says why. */
	ready = status_get(h, b, "/readyz", &code, err, sizeof err);
	print_summary(out, vpn, engines, cfg, ready);
	rc = 0;
out:
	cJSON_Delete(vpn);
	cJSON_Delete(engines);
	cJSON_Delete(cfg);
	cJSON_Delete(ready);
	if (h)
		curl_easy_cleanup(h);
	curl_global_cleanup();
	free(b);
	return rc;
}
