/* test_api.c - unit tests of the HTTP API (SPEC §7): exact JSON of every
 * endpoint from a hand-built snapshot and registry, auth, listen parsing,
 * config_to_json, and a real in-process server (errors, POSTs, concurrency). */
#include "config-auto.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "api_body.h"
#include "api_client.h"
#include "api_fixture.h"
#include "api_render.h"
#include "config.h"
#include "config_json.h"
#include "status.h"
#include "util.h"

static char *to_str(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* Engine 0 carries stream st-0, started five seconds before the fixture's
 * clock (see fixture_view); engine 1 started an hour before it. */
#define ENGINE_TAIL(first_seen, usage) \
	"\"labels\":{},\"first_seen\":\"" first_seen "\",\"last_seen\":\"2026-11-22T04:09:00Z\"," \
	"\"last_stream_usage\":" usage
#define ENGINE0 \
	"{\"container_name\":\"acestream-19000\",\"container_id\":\"" FIXTURE_ID0 "\"," \
	"\"host\":\"gluetun1\",\"port\":19000,\"docker_host\":\"default\",\"vpn_container\":\"gluetun1\",\"forwarded\":true," \
	"\"p2p_port\":45678,\"https_port\":45000,\"health\":\"healthy\",\"streams\":[\"st-0\"]," \
	"\"stream_count\":1,\"health_status\":\"healthy\"," \
	ENGINE_TAIL("2026-11-22T04:09:00Z", "\"2026-11-22T04:08:55Z\"")
#define ENGINE1 \
	"{\"container_name\":\"acestream-19001\",\"container_id\":\"" FIXTURE_ID1 "\"," \
	"\"host\":\"gluetun1\",\"port\":19001,\"docker_host\":\"default\",\"vpn_container\":\"gluetun1\",\"forwarded\":false," \
	"\"p2p_port\":50001,\"https_port\":45001,\"health\":\"healthy\",\"streams\":[]," \
	"\"stream_count\":0,\"health_status\":\"healthy\"," \
	ENGINE_TAIL("2026-11-22T03:09:00Z", "null")
#define ENGINE2 \
	"{\"container_name\":\"acestream-19500\",\"container_id\":\"" FIXTURE_ID2 "\"," \
	"\"host\":\"gluetun2\",\"port\":19500,\"docker_host\":\"default\",\"vpn_container\":\"gluetun2\",\"forwarded\":false," \
	"\"p2p_port\":50000,\"https_port\":45000,\"health\":\"unknown\",\"streams\":[]," \
	"\"stream_count\":0,\"health_status\":\"unknown\"," \
	ENGINE_TAIL("2026-11-22T04:09:00Z", "null")

#define ENGINES_JSON "[" ENGINE0 "}," ENGINE1 "}]"
#define ENGINES_ALL_JSON \
	"[" ENGINE0 ",\"visible\":true,\"hidden_reason\":null}," \
	ENGINE1 ",\"visible\":true,\"hidden_reason\":null}," \
	ENGINE2 ",\"visible\":false,\"hidden_reason\":\"vpn unavailable\"}]"

#define VPN_JSON \
	"{\"mode\":\"redundant\",\"enabled\":true,\"connected\":true,\"health\":\"healthy\"," \
	"\"forwarded_port\":45678,\"vpns\":[" \
	"{\"name\":\"gluetun1\",\"container_name\":\"gluetun1\",\"docker_host\":\"default\",\"docker_host_reachable\":true,\"container_id\":\"1111\"," \
	"\"health\":\"healthy\",\"connected\":true,\"forwarded_port\":45678," \
	"\"public_ip\":\"203.0.113.7\",\"engines\":2,\"port_range\":\"19000-19499\"," \
	"\"last_check\":\"2026-11-22T04:09:00Z\",\"unhealthy_since\":null,\"restarts\":0," \
	"\"running\":true,\"api_error\":null}," \
	"{\"name\":\"gluetun2\",\"container_name\":\"gluetun2\",\"docker_host\":\"default\",\"docker_host_reachable\":true,\"container_id\":\"2222\"," \
	"\"health\":\"unhealthy\",\"connected\":false,\"forwarded_port\":null," \
	"\"public_ip\":null,\"engines\":1,\"port_range\":\"19500-19999\"," \
	"\"last_check\":\"2026-11-22T04:09:00Z\",\"unhealthy_since\":\"2026-11-22T04:08:00Z\"," \
	"\"restarts\":2,\"running\":true,\"api_error\":\"connection refused\"}]," \
	"\"docker_hosts\":[],\"stale\":false,\"observed_at\":null}"

#define CONFIG_JSON \
	"{\"config\":{\"version\":1,\"instance\":\"default\"},\"hash\":\"0123456789abcdef\"," \
	"\"source\":\"/etc/ace-orchestrator/orchestrator.yaml\"," \
	"\"last_reload\":\"2026-11-22T04:09:00Z\",\"last_reload_error\":null}"

/* ---- pure rendering ---- */

/* A registry holding st-0 on engine 0, as the fixture's snapshot counts it. */
static struct streams_view *fixture_view(struct streams *reg)
{
	streams_init(reg, -1);
	struct stream_rec r = { .id = (char *)"st-0" };
	streams_start(reg, FIXTURE_ID0, &r, 0, FIXTURE_NOW_MS - 5000);
	return streams_view_new(reg, 0);
}

START_TEST(render_engines_visible_only_sorted)
{
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	struct streams_view *v = fixture_view(&reg);
	char *got = to_str(api_render_engines(s, v, false));
	ck_assert_str_eq(got, ENGINES_JSON);
	free(got);
	got = to_str(api_render_engines(s, v, true));
	ck_assert_str_eq(got, ENGINES_ALL_JSON);
	free(got);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

/* Without a registry: the snapshot's count, an empty list. */
START_TEST(render_engines_without_registry)
{
	struct snapshot *s = api_fixture_snapshot();
	char *got = to_str(api_render_engines(s, NULL, false));
	ck_assert_ptr_nonnull(strstr(got, "\"streams\":[],\"stream_count\":1,"));
	ck_assert_ptr_nonnull(strstr(got, "\"last_stream_usage\":null"));
	free(got);
	snapshot_free(s);
}
END_TEST

/* Every field acexy's engineState declares, with the JSON type its Go
 * decoder needs (acexy/orchestrator_events.go): a wrong type fails the
 * whole /engines decode and acexy falls back to one fixed engine. */
START_TEST(render_engines_types_acexy_decodes)
{
	static const struct {
		const char *key;
		int type; /* cJSON_String, ...; -1 string or null (time.Time); -2 absent */
	} fields[] = {
		{ "container_id", cJSON_String }, { "container_name", cJSON_String },
		{ "host", cJSON_String },         { "port", cJSON_Number },
		{ "labels", cJSON_Object },       { "forwarded", cJSON_True | cJSON_False },
		{ "first_seen", -1 },             { "last_seen", -1 },
		{ "health_status", cJSON_String }, { "last_stream_usage", -1 },
		{ "streams", cJSON_Array },
		/* Declared by acexy, absent here (no data): Go keeps the zero
		 * value, as for null. */
		{ "last_health_check", -2 }, { "last_cache_cleanup", -2 }, { "cache_size_bytes", -2 },
	};
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	struct streams_view *v = fixture_view(&reg);
	cJSON *a = api_render_engines(s, v, false);
	const cJSON *e;
	cJSON_ArrayForEach(e, a) {
		for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
			const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, fields[i].key);
			if (fields[i].type == -2) {
				ck_assert_msg(f == NULL || cJSON_IsNull(f), "%s: absent or null", fields[i].key);
				continue;
			}
			ck_assert_msg(f != NULL, "missing %s", fields[i].key);
			if (fields[i].type == -1)
				ck_assert_msg(cJSON_IsNull(f) || (cJSON_IsString(f) && strlen(f->valuestring) == 20),
					      "%s: RFC 3339 or null", fields[i].key);
			else
				ck_assert_msg(f->type & fields[i].type, "%s: wrong type", fields[i].key);
		}
		const cJSON *st;
		cJSON_ArrayForEach(st, cJSON_GetObjectItem(e, "streams"))
			ck_assert(cJSON_IsString(st));
	}
	cJSON_Delete(a);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

START_TEST(render_engine_detail_hidden)
{
	struct snapshot *s = api_fixture_snapshot();
	const struct snap_engine *e = snapshot_find_engine(s, "cccccccccccc");
	ck_assert_ptr_nonnull(e);
	char *got = to_str(api_render_engine(s, NULL, e));
	ck_assert_str_eq(got, ENGINE2 ",\"visible\":false,\"hidden_reason\":\"vpn unavailable\","
			      "\"state\":\"running\",\"namespace\":\"current\","
			      "\"http_port\":19500,\"probe_failures\":0}");
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(render_engine_no_vpn_is_null)
{
	struct snapshot *s = api_fixture_big(1, 0);
	char *got = to_str(api_render_engines(s, NULL, false));
	ck_assert_ptr_nonnull(strstr(got, "\"vpn_container\":null"));
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(render_vpn_status_redundant)
{
	struct snapshot *s = api_fixture_snapshot();
	char *got = to_str(api_render_vpn_status(s));
	ck_assert_str_eq(got, VPN_JSON);
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(render_vpn_status_none)
{
	struct snapshot *s = api_fixture_empty();
	char *got = to_str(api_render_vpn_status(s));
	ck_assert_str_eq(got, "{\"mode\":\"none\",\"enabled\":false,\"connected\":false,"
			      "\"health\":\"none\",\"forwarded_port\":null,\"vpns\":[],"
			      "\"docker_hosts\":[],\"stale\":false,\"observed_at\":null}");
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(render_config_and_reload_error)
{
	struct snapshot *s = api_fixture_snapshot();
	char *got = to_str(api_render_config(s));
	ck_assert_str_eq(got, CONFIG_JSON);
	free(got);
	free(s->config_json);
	s->config_json = NULL;
	s->last_reload_error = xstrdup("orchestrator.yaml:3:5: error: unknown key \"x\"");
	s->last_reload_ms = 0;
	got = to_str(api_render_config(s));
	ck_assert_str_eq(got, "{\"config\":null,\"hash\":\"0123456789abcdef\","
			      "\"source\":\"/etc/ace-orchestrator/orchestrator.yaml\","
			      "\"last_reload\":null,\"last_reload_error\":"
			      "\"orchestrator.yaml:3:5: error: unknown key \\\"x\\\"\"}");
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(render_readyz_reasons)
{
	bool ready;
	char *got = to_str(api_render_readyz(NULL, &ready));
	ck_assert(!ready);
	ck_assert_str_eq(got, "{\"status\":\"not ready\",\"reason\":\"no observation yet\"}");
	free(got);
	struct snapshot *s = api_fixture_snapshot();
	got = to_str(api_render_readyz(s, &ready));
	ck_assert(ready);
	ck_assert_str_eq(got, "{\"status\":\"ok\",\"stale\":false,\"observed_at\":null}");
	free(got);
	s->docker_ok = false;
	s->docker_error = xstrdup("connect: no such file");
	got = to_str(api_render_readyz(s, &ready));
	ck_assert(!ready);
	ck_assert_str_eq(got, "{\"status\":\"not ready\",\"reason\":\"docker unreachable: connect: no such file\","
			      "\"stale\":false,\"observed_at\":null}");
	free(got);
	/* Docker failed on the latest pass: the last good view is served, and
	 * readiness says how old it is. */
	s->stale = true;
	s->observed_ms = 1795320540000LL;
	got = to_str(api_render_readyz(s, &ready));
	ck_assert(!ready);
	ck_assert_str_eq(got, "{\"status\":\"not ready\",\"reason\":\"docker unreachable: connect: no such file\","
			      "\"stale\":true,\"observed_at\":\"2026-11-22T04:09:00Z\"}");
	free(got);
	s->config_loaded = false;
	got = to_str(api_render_readyz(s, &ready));
	ck_assert_str_eq(got, "{\"status\":\"not ready\",\"reason\":\"config not loaded\","
			      "\"stale\":true,\"observed_at\":\"2026-11-22T04:09:00Z\"}");
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(fmt_time_utc)
{
	char buf[32];
	ck_assert_str_eq(api_fmt_time(FIXTURE_NOW_MS + 999, buf, sizeof buf), "2026-11-22T04:09:00Z");
	ck_assert_str_eq(api_fmt_time(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
}
END_TEST

/* ---- auth ---- */

static const struct {
	const char *key, *authz, *xkey;
	int want;
} auth_cases[] = {
	{ NULL, NULL, NULL, 200 },
	{ NULL, "Bearer x", NULL, 200 },
	{ "s3cret", NULL, NULL, 401 },
	{ "s3cret", "Basic czNjcmV0", NULL, 401 },
	{ "s3cret", "Bearer ", NULL, 401 },
	{ "s3cret", "Bearer s3cret", NULL, 200 },
	{ "s3cret", "bearer s3cret", NULL, 200 },
	{ "s3cret", NULL, "s3cret", 200 },
	{ "s3cret", "Bearer wrong", NULL, 403 },
	{ "s3cret", NULL, "s3cre", 403 },
	{ "s3cret", NULL, "s3cretX", 403 },
	{ "s3cret", "Bearer wrong", "s3cret", 200 },
	{ "s3cret", "Bearer s3cret", "wrong", 200 },
	{ "s3cret", NULL, "", 401 },
};

START_TEST(auth_decisions)
{
	ck_assert_int_eq(api_check_auth(auth_cases[_i].key, auth_cases[_i].authz,
					auth_cases[_i].xkey),
			 auth_cases[_i].want);
}
END_TEST

/* ---- listen ---- */

static const struct {
	const char *in;
	int rc;
	const char *host;
	int port;
} listen_cases[] = {
	{ "127.0.0.1:8000", 0, "127.0.0.1", 8000 },
	{ "[::1]:8000", 0, "::1", 8000 },
	{ "0.0.0.0:0", 0, "0.0.0.0", 0 },
	{ ":9000", 0, "0.0.0.0", 9000 },
	{ "localhost:80", 0, "localhost", 80 },
	{ "::1:8000", -1, "", 0 },
	{ "[::1]8000", -1, "", 0 },
	{ "127.0.0.1", -1, "", 0 },
	{ "127.0.0.1:65536", -1, "", 0 },
	{ "127.0.0.1:x", -1, "", 0 },
	{ "[]:80", -1, "", 0 },
	{ "", -1, "", 0 },
};

START_TEST(parse_listen_table)
{
	char host[64] = "", err[128];
	int port = -1;
	int rc = api_parse_listen(listen_cases[_i].in, host, sizeof host, &port, err, sizeof err);
	ck_assert_int_eq(rc, listen_cases[_i].rc);
	if (rc == 0) {
		ck_assert_str_eq(host, listen_cases[_i].host);
		ck_assert_int_eq(port, listen_cases[_i].port);
	}
}
END_TEST

/* ---- config_to_json ---- */

START_TEST(config_json_redacts_and_formats)
{
	char keyfile[] = "/tmp/test_api_keyXXXXXX";
	int fd = mkstemp(keyfile);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "topsecret-value\n", 16), 16);
	close(fd);
	char *yaml = xasprintf("version: 1\n"
			       "engine:\n  image: img:1\n  memory_limit: 1g\n"
			       "vpns:\n  - name: gluetun\n    ports: 19000-19009\n"
			       "    api_key_file: %s\n"
			       "api:\n  listen: 127.0.0.1:8000\n  api_key_file: %s\n",
			       keyfile, keyfile);
	struct diags d = { 0 };
	struct config *c = config_load_buffer(yaml, strlen(yaml), "t.yaml", &d);
	ck_assert_ptr_nonnull(c);
	char *got = to_str(config_to_json(c));
	ck_assert_ptr_null(strstr(got, "topsecret"));
	cJSON *j = cJSON_Parse(got);
	ck_assert_ptr_nonnull(j);
	const cJSON *api = cJSON_GetObjectItem(j, "api");
	ck_assert_str_eq(cJSON_GetObjectItem(api, "api_key")->valuestring, "<redacted>");
	ck_assert_str_eq(cJSON_GetObjectItem(api, "listen")->valuestring, "127.0.0.1:8000");
	const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vpns"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(v, "ports")->valuestring, "19000-19009");
	ck_assert_str_eq(cJSON_GetObjectItem(v, "api_key")->valuestring, "<redacted>");
	ck_assert_str_eq(cJSON_GetObjectItem(v, "port_forwarding")->valuestring, "auto");
	const cJSON *e = cJSON_GetObjectItem(j, "engine");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "memory_limit")->valuestring, "1g");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "health"), "interval")->valuestring,
			 "10s");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "health"),
					     "vpn_restart_backoff_max")->valuestring, "10m");
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "replicas"), "min")->valueint, 2);
	ck_assert_int_eq(cJSON_GetObjectItem(api, "per_ip_limit")->valueint, 32);
	const cJSON *st = cJSON_GetObjectItem(j, "streams");
	ck_assert_int_eq(cJSON_GetObjectItem(st, "max_per_engine")->valueint, 64);
	ck_assert_int_eq(cJSON_GetObjectItem(st, "max_total")->valueint, 10000);
	ck_assert_str_eq(cJSON_GetObjectItem(st, "ttl")->valuestring, "12h");
	cJSON_Delete(j);
	free(got);
	config_free(c);
	diags_free(&d);
	free(yaml);
	unlink(keyfile);
}
END_TEST

/* ---- a real server on a loopback port ---- */

#define expect http_expect

START_TEST(server_before_first_snapshot)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	expect(sv.port, "GET", "/healthz", NULL, NULL, 200, "{\"status\":\"ok\"}");
	expect(sv.port, "GET", "/readyz", NULL, NULL, 503,
	       "{\"status\":\"not ready\",\"reason\":\"no observation yet\"}");
	static const char *const paths[] = { "/engines", "/engines/x", "/vpn/status",
					     "/metrics", "/config", "/plan", "/streams" };
	for (size_t i = 0; i < ARRAY_LEN(paths); i++)
		expect(sv.port, "GET", paths[i], NULL, NULL, 503,
		       "{\"error\":\"no observation yet\"}");
	expect(sv.port, "POST", "/events/stream_ended", NULL, "{\"stream_id\":\"s\"}", 503, NULL);
	expect(sv.port, "POST", "/provision/acestream", NULL, "{}", 503, NULL);
	test_server_stop(&sv);
}
END_TEST

/* One stream on engine 0 through the API, as the fixture counts it. */
static void start_st0(struct test_server *sv)
{
	expect(sv->port, "POST", "/events/stream_started", NULL,
	       "{\"container_id\":\"" FIXTURE_ID0 "\",\"stream_id\":\"st-0\"}", 200, NULL);
}

START_TEST(server_get_endpoints)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	start_st0(&sv);
	expect(sv.port, "GET", "/readyz", NULL, NULL, 200,
	       "{\"status\":\"ok\",\"stale\":false,\"observed_at\":null}");
	struct http_resp r = http_do(sv.port, "GET", "/engines", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 200);
	cJSON *j = cJSON_Parse(r.body);
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	const cJSON *e0 = cJSON_GetArrayItem(j, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e0, "container_id")->valuestring, FIXTURE_ID0);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(e0, "streams"), 0)->valuestring, "st-0");
	ck_assert_int_eq(cJSON_GetObjectItem(e0, "stream_count")->valueint, 1);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(e0, "last_stream_usage")));
	cJSON_Delete(j);
	http_free(&r);
	r = http_do(sv.port, "GET", "/engines/", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(cJSON_GetArraySize(j = cJSON_Parse(r.body)), 2);
	cJSON_Delete(j);
	http_free(&r);
	r = http_do(sv.port, "GET", "/engines?all=1", NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "\"visible\":false,\"hidden_reason\":\"vpn unavailable\"}]"));
	http_free(&r);
	expect(sv.port, "GET", "/vpn/status", NULL, NULL, 200, VPN_JSON);
	expect(sv.port, "GET", "/config", NULL, NULL, 200, CONFIG_JSON);
	expect(sv.port, "GET", "/plan", NULL, NULL, 200, "{\"actions\":[],\"target\":2}");
	expect(sv.port, "GET", "/engines/acestream-19500", NULL, NULL, 200, NULL);
	expect(sv.port, "GET", "/engines/" FIXTURE_ID1, NULL, NULL, 200, NULL);
	expect(sv.port, "GET", "/engines/nope", NULL, NULL, 404,
	       "{\"error\":\"unknown engine: nope\"}");
	expect(sv.port, "GET", "/nope", NULL, NULL, 404, "{\"error\":\"not found\"}");

	r = http_do(sv.port, "GET", "/metrics", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.headers,
				     "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
	ck_assert_ptr_nonnull(strstr(r.body, "orch_vpn_health_status{vpn=\"gluetun1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "orch_streams_active{vpn_container=\"gluetun1\"} 1\n"));
	http_free(&r);
	r = http_do(sv.port, "DELETE", "/engines", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 405);
	ck_assert_ptr_nonnull(strstr(r.headers, "Allow: GET, HEAD"));
	http_free(&r);
	r = http_do(sv.port, "GET", "/events/stream_started", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 405);
	ck_assert_ptr_nonnull(strstr(r.headers, "Allow: POST"));
	http_free(&r);
	r = http_do(sv.port, "GET", "/provision/acestream", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 405);
	http_free(&r);

	/* `ace-orchestrator status` against it. */
	char *base = xasprintf("http://127.0.0.1:%d/", sv.port);
	char *text = NULL;
	size_t tlen = 0;
	FILE *out = open_memstream(&text, &tlen);
	ck_assert_int_eq(status_run(base, out), 0);
	fclose(out);
	ck_assert_msg(strstr(text, "mode: redundant\n") &&
		      strstr(text, "VPN gluetun1  [19000-19499]\n  health healthy, connected, "
				   "forwarded port 45678, public IP 203.0.113.7\n") &&
		      strstr(text, "engines: 2 serving, 1 hidden") &&
		      strstr(text, "restarts 2, unavailable since 2026-11-22T04:08:00Z") &&
		      strstr(text, " on gluetun2: vpn unavailable\n") &&
		      strstr(text, "streams 1\n"),
		      "status output:\n%s", text);
	free(text);
	free(base);

	/* A new snapshot replaces the cached bodies. */
	struct snapshot *s = api_fixture_snapshot();
	s->engines[1].visible = false;
	snapshot_publish(&sv.st, s);
	r = http_do(sv.port, "GET", "/engines", NULL, NULL, 0);
	ck_assert_int_eq(cJSON_GetArraySize(j = cJSON_Parse(r.body)), 1);
	cJSON_Delete(j);
	http_free(&r);
	/* So does a stream event, with no new snapshot. */
	expect(sv.port, "POST", "/events/stream_ended", NULL, "{\"stream_id\":\"st-0\"}", 200, NULL);
	r = http_do(sv.port, "GET", "/engines", NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "\"streams\":[],\"stream_count\":0,"));
	http_free(&r);
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_posts_and_auth)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	struct snapshot *s = api_fixture_snapshot();
	s->api_key = xstrdup("k3y");
	snapshot_publish(&sv.st, s);
	const char *ok_hdr[] = { "Authorization: Bearer k3y", "Content-Type: application/json", NULL };
	const char *x_hdr[] = { "X-API-Key: k3y", NULL };
	const char *bad_hdr[] = { "X-API-Key: nope", NULL };
	const char *txt_hdr[] = { "X-API-Key: k3y", "Content-Type: text/plain", NULL };
	const char *start = "{\"container_name\":\"acestream-19001\",\"stream_id\":\"s1\"}";

	expect(sv.port, "POST", "/events/stream_started", NULL, start, 401,
	       "{\"error\":\"missing API key\"}");
	expect(sv.port, "POST", "/events/stream_started", bad_hdr, start, 403,
	       "{\"error\":\"invalid API key\"}");
	expect(sv.port, "POST", "/events/stream_started", txt_hdr, start, 415, NULL);
	expect(sv.port, "POST", "/provision/acestream", NULL, "{}", 401, NULL);
	expect(sv.port, "POST", "/provision/acestream", bad_hdr, "{}", 403, NULL);
	struct http_resp r = http_do(sv.port, "POST", "/events/stream_started", ok_hdr, start,
				     strlen(start));
	ck_assert_int_eq(r.code, 200);
	/* Ours first, then upstream's StreamState. */
	ck_assert_msg(str_startswith(r.body, "{\"ok\":true,\"stream_id\":\"s1\",\"id\":\"s1\","
					     "\"key_type\":null,\"key\":null,\"container_id\":\"" FIXTURE_ID1
					     "\",\"playback_session_id\":null,\"stat_url\":null,"
					     "\"command_url\":null,\"is_live\":false,\"started_at\":\""),
		      "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\",\"ended_at\":null,\"status\":\"started\","
					     "\"container_name\":\"acestream-19001\","
					     "\"vpn_container\":\"gluetun1\"}"));
	http_free(&r);
	ck_assert_int_eq(streams_count(&sv.reg, FIXTURE_ID1), 1);
	expect(sv.port, "POST", "/events/stream_started", x_hdr,
	       "{\"container_id\":\"nothere\",\"stream_id\":\"s2\"}", 404,
	       "{\"error\":\"unknown engine: nothere\"}");
	expect(sv.port, "POST", "/events/stream_started", x_hdr, "{\"stream_id\":\"s2\"}", 400,
	       "{\"error\":\"missing container_id, container_name or engine\"}");
	expect(sv.port, "POST", "/events/stream_started", x_hdr, "{nope", 400,
	       "{\"error\":\"malformed JSON\"}");
	expect(sv.port, "POST", "/events/stream_started", x_hdr, "{\"stream_id\":1}", 400, NULL);
	expect(sv.port, "POST", "/events/stream_ended", x_hdr, "{\"stream_id\":\"zz\"}", 404,
	       "{\"error\":\"unknown stream\"}");
	const char *end = "{\"stream_id\":\"s1\"}";
	r = http_do(sv.port, "POST", "/events/stream_ended", x_hdr, end, strlen(end));
	ck_assert_int_eq(r.code, 200);
	ck_assert_msg(str_startswith(r.body, "{\"ok\":true,\"stream_id\":\"s1\",\"updated\":true,"
					     "\"stream\":{\"id\":\"s1\","),
		      "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ended\""));
	http_free(&r);
	ck_assert_int_eq(streams_count(&sv.reg, FIXTURE_ID1), 0);

	/* Oversize: Content-Length says so, refused before the upload. */
	size_t big = API_MAX_BODY + 4096;
	char *body = xmalloc(big + 1);
	memset(body, 'a', big);
	body[big] = '\0';
	r = http_do(sv.port, "POST", "/events/stream_ended", x_hdr, body, big);
	ck_assert_int_eq(r.code, 413);
	http_free(&r);
	/* Chunked (no Content-Length): drained, then refused. */
	const char *chunk_hdr[] = { "X-API-Key: k3y", "Transfer-Encoding: chunked", NULL };
	r = http_do(sv.port, "POST", "/events/stream_ended", chunk_hdr, body, big);
	ck_assert_int_eq(r.code, 413);
	http_free(&r);
	r = http_do(sv.port, "POST", "/provision/acestream", chunk_hdr, body, big);
	ck_assert_int_eq(r.code, 413);
	http_free(&r);
	free(body);
	test_server_stop(&sv);
}
END_TEST

struct hammer {
	int port;
	int fails;
};

static void *hammer_run(void *p)
{
	struct hammer *h = p;
	static const char *const paths[] = { "/engines", "/metrics", "/vpn/status", "/config",
					     "/engines?all=1", "/healthz", "/streams",
					     "/orchestrator/status", "/plan", "/readyz" };
	for (int i = 0; i < 120; i++) {
		struct http_resp r = http_do(h->port, "GET", paths[i % ARRAY_LEN(paths)], NULL,
					     NULL, 0);
		if (r.code != 200)
			h->fails++;
		http_free(&r);
	}
	return NULL;
}

/* Readers race snapshot publications and stream events. */
START_TEST(server_concurrent_with_republish)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	pthread_t t[4];
	struct hammer h[4];
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ sv.port, 0 };
		pthread_create(&t[i], NULL, hammer_run, &h[i]);
	}
	for (int i = 0; i < 300; i++) {
		snapshot_publish(&sv.st, i % 2 ? api_fixture_snapshot() : api_fixture_big(50, 2));
		char id[16];
		snprintf(id, sizeof id, "h%d", i % 7);
		struct stream_rec r = { .id = id };
		if (i % 3)
			streams_start(&sv.reg, FIXTURE_ID0, &r, now_mono_ms(), now_wall_ms());
		else
			streams_end(&sv.reg, id, NULL, NULL);
		usleep(1000);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(h[i].fails, 0);
	}
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_listen_errors)
{
	struct snapshot_store st;
	char err[256];
	snapshot_store_init(&st);
	ck_assert_ptr_null(api_start("127.0.0.1", &st, NULL, err, sizeof err));
	struct api *a = api_start("127.0.0.1:0", &st, NULL, err, sizeof err);
	ck_assert_ptr_nonnull(a);
	char *busy = xasprintf("127.0.0.1:%d", api_port(a));
	ck_assert_ptr_null(api_start(busy, &st, NULL, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "cannot listen"));
	free(busy);
	/* status: a port nothing listens on is "unreachable", exit 1. */
	FILE *devnull = fopen("/dev/null", "w");
	ck_assert_int_eq(status_run("http://127.0.0.1:1", devnull), 1);
	fclose(devnull);
	/* No hooks: events and provisioning are refused, not crashed on. */
	snapshot_publish(&st, api_fixture_snapshot());
	expect(api_port(a), "POST", "/events/stream_ended", NULL, "{\"stream_id\":\"s\"}", 503, NULL);
	expect(api_port(a), "POST", "/events/stream_started", NULL,
	       "{\"container_name\":\"acestream-19000\",\"stream_id\":\"s\"}", 503, NULL);
	expect(api_port(a), "POST", "/provision/acestream", NULL, "{}", 503,
	       "{\"error\":\"provisioning not accepted\"}");
	/* No registry: lists are empty, counts from the snapshot. */
	struct http_resp r = http_do(api_port(a), "GET", "/streams", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "[]");
	http_free(&r);
	api_stop(a);
	/* IPv6 loopback where the host has it. */
	a = api_start("[::1]:0", &st, NULL, err, sizeof err);
	api_stop(a);
	snapshot_store_destroy(&st);
}
END_TEST

static void api_server_tests(TCase *tc)
{
	tcase_add_test(tc, server_before_first_snapshot);
	tcase_add_test(tc, server_get_endpoints);
	tcase_add_test(tc, server_posts_and_auth);
	tcase_add_test(tc, server_concurrent_with_republish);
	tcase_add_test(tc, server_listen_errors);
}

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, render_engines_visible_only_sorted);
	tcase_add_test(tc, render_engines_without_registry);
	tcase_add_test(tc, render_engines_types_acexy_decodes);
	tcase_add_test(tc, render_engine_detail_hidden);
	tcase_add_test(tc, render_engine_no_vpn_is_null);
	tcase_add_test(tc, render_vpn_status_redundant);
	tcase_add_test(tc, render_vpn_status_none);
	tcase_add_test(tc, render_config_and_reload_error);
	tcase_add_test(tc, render_readyz_reasons);
	tcase_add_test(tc, fmt_time_utc);
	tcase_add_test(tc, config_json_redacts_and_formats);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, auth_decisions, 0, (int)ARRAY_LEN(auth_cases));
	tcase_add_loop_test(tc, parse_listen_table, 0, (int)ARRAY_LEN(listen_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("server");
	tcase_set_timeout(tc, 60);
	api_server_tests(tc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(api_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
