/* api_client.c - libcurl one-shot requests and an in-process API server with
 * registry-backed hooks, for test_api and test_api_proxy. */
#include "config-auto.h"

#include <check.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "util.h"

static size_t collect(char *data, size_t sz, size_t nm, void *ud)
{
	char **buf = ud;
	size_t old = *buf ? strlen(*buf) : 0, len = sz * nm;
	*buf = xrealloc(*buf, old + len + 1);
	memcpy(*buf + old, data, len);
	(*buf)[old + len] = '\0';
	return len;
}

struct http_resp http_do(int port, const char *method, const char *path,
			 const char *const *hdr, const char *body, size_t body_len)
{
	struct http_resp r = { 0 };
	CURL *h = curl_easy_init();
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path);
	struct curl_slist *sl = NULL;
	for (size_t i = 0; hdr && hdr[i]; i++)
		sl = curl_slist_append(sl, hdr[i]);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.code);
	curl_slist_free_all(sl);
	curl_easy_cleanup(h);
	free(url);
	if (!r.body)
		r.body = xstrdup("");
	if (!r.headers)
		r.headers = xstrdup("");
	return r;
}

void http_free(struct http_resp *r)
{
	free(r->body);
	free(r->headers);
}

void http_expect(int port, const char *method, const char *path, const char *const *hdr,
		 const char *body, long code, const char *want_body)
{
	struct http_resp r = http_do(port, method, path, hdr, body, body ? strlen(body) : 0);
	ck_assert_msg(r.code == code, "%s %s: HTTP %ld, want %ld (%s)", method, path, r.code,
		      code, r.body);
	if (want_body)
		ck_assert_str_eq(r.body, want_body);
	http_free(&r);
}

/* The loop's hooks (src/loop.c), minus the eventfd and the demand. */
static int hook_started(void *ud, const char *engine_id, const struct stream_rec *s, char *err,
			size_t errlen)
{
	struct test_server *sv = ud;
	switch (streams_start(&sv->reg, engine_id, s, now_mono_ms(), s->started_ms)) {
	case STREAMS_OK: return 0;
	case STREAMS_FULL_ENGINE:
		sbuf_printf(err, errlen, "engine %s is at streams.max_per_engine", engine_id);
		return 429;
	default:
		sbuf_printf(err, errlen, "streams.max_total reached");
		return 429;
	}
}

static int hook_ended(void *ud, const char *stream_id, const char *engine_id,
		      struct stream_rec *ended, char *err, size_t errlen)
{
	struct test_server *sv = ud;
	if (streams_end(&sv->reg, stream_id, engine_id, ended) != STREAMS_OK) {
		sbuf_printf(err, errlen, stream_id ? "unknown stream" : "no active stream on that engine");
		return 404;
	}
	return 0;
}

static int hook_provision(void *ud, char *err, size_t errlen)
{
	struct test_server *sv = ud;
	pthread_mutex_lock(&sv->mu);
	sv->provisions++;
	int st = sv->provision_status;
	pthread_mutex_unlock(&sv->mu);
	if (st)
		sbuf_printf(err, errlen, "replicas.max engines already requested");
	return st;
}

void test_server_start(struct test_server *sv, const struct api_opts *opts)
{
	char err[256];
	memset(sv, 0, sizeof *sv);
	snapshot_store_init(&sv->st);
	streams_init(&sv->reg, -1);
	pthread_mutex_init(&sv->mu, NULL);
	struct api_hooks hooks = { hook_started, hook_ended, hook_provision, sv };
	struct api_opts o = opts ? *opts : (struct api_opts){ 0 };
	o.streams = &sv->reg;
	sv->api = api_start_opts("127.0.0.1:0", &sv->st, &hooks, &o, err, sizeof err);
	ck_assert_msg(sv->api != NULL, "%s", err);
	sv->port = api_port(sv->api);
	ck_assert_int_gt(sv->port, 0);
}

void test_server_stop(struct test_server *sv)
{
	api_stop(sv->api);
	snapshot_store_destroy(&sv->st);
	streams_destroy(&sv->reg);
	pthread_mutex_destroy(&sv->mu);
}

int test_server_provisions(struct test_server *sv)
{
	pthread_mutex_lock(&sv->mu);
	int n = sv->provisions;
	pthread_mutex_unlock(&sv->mu);
	return n;
}
