/* test_api_proxy.c - unit tests of what stream proxies call: both event
 * dialects (every body variant), /streams, /orchestrator/status, and
 * POST /provision/acestream (pick, blocks, waits) on a real server. */
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
#include "api_proxy.h"
#include "api_render.h"
#include "util.h"

static char *to_str(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* acexy's bodies, byte for byte as encoding/json marshals its structs
 * (acexy/orchestrator_events.go: startedEvent, endedEvent,
 * aceProvisionRequest; field order as declared, omitempty honoured). */
#define ACEXY_STARTED(host, port, sid) "{" ACEXY_STARTED_FIELDS(host, port, sid) "}"
/* With container_id first, as acexy sends it when ACEXY_CONTAINER_ID is set. */
#define ACEXY_STARTED_CID(cid, host, port, sid) \
	"{\"container_id\":\"" cid "\"," ACEXY_STARTED_FIELDS(host, port, sid) "}"
#define ACEXY_STARTED_FIELDS(host, port, sid) \
	"\"engine\":{\"host\":\"" host "\",\"port\":" port "}," \
	"\"stream\":{\"key_type\":\"infohash\",\"key\":\"0a48b3c2\"}," \
	"\"session\":{\"playback_session_id\":\"e0d1\",\"stat_url\":\"http://" host ":" port \
	"/ace/stat/0a48b3c2/e0d1\",\"command_url\":\"http://" host ":" port \
	"/ace/cmd/0a48b3c2/e0d1\",\"is_live\":1},\"labels\":{\"stream_id\":\"" sid "\"}"
#define ACEXY_ENDED(sid, reason) "{\"stream_id\":\"" sid "\",\"reason\":\"" reason "\"}"
#define ACEXY_PROVISION "{\"labels\":{},\"env\":{}}"

/* ---- bodies, both dialects ---- */

static const struct {
	enum api_event_kind kind;
	const char *body;
	int rc;
	const char *stream, *cid, *name, *host;
	int port;
	const char *err;
} event_cases[] = {
	/* Ours (SPEC §7). */
	{ API_EV_STARTED, "{\"container_id\":\"abc\",\"stream_id\":\"s1\"}", 0, "s1", "abc", "", "", 0, NULL },
	{ API_EV_STARTED, " {\"container_name\":\"acestream-19000\",\"stream_id\":\"s\",\"x\":[1]}\n", 0,
	  "s", "", "acestream-19000", "", 0, NULL },
	{ API_EV_STARTED, "{\"stream_id\":\"only\"}", 0, "only", "", "", "", 0, NULL },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"container_id\":null}", 0, "s", "", "", "", 0, NULL },
	{ API_EV_ENDED, "{\"stream_id\":\"s\"}", 0, "s", "", "", "", 0, NULL },
	/* acexy's (orchestrator_events.go EmitStarted / EmitEnded). */
	{ API_EV_STARTED, ACEXY_STARTED("gluetun1", "19000", "0a48b3c2|e0d1"), 0, "0a48b3c2|e0d1", "", "",
	  "gluetun1", 19000, NULL },
	{ API_EV_STARTED, ACEXY_STARTED_CID("abc", "localhost", "19001", "x"), 0, "x",
	  "abc", "", "localhost", 19001, NULL },
	{ API_EV_ENDED, ACEXY_ENDED("0a48b3c2|e0d1", "handler_exit"), 0, "0a48b3c2|e0d1", "", "", "", 0, NULL },
	{ API_EV_ENDED, "{\"container_id\":\"abc\",\"stream_id\":\"k|p\",\"reason\":\"panic\"}", 0, "k|p",
	  "abc", "", "", 0, NULL },
	/* Upstream without labels.stream_id: KEY|PLAYBACK_SESSION_ID. */
	{ API_EV_STARTED,
	  "{\"engine\":{\"host\":\"127.0.0.1\",\"port\":19023},\"stream\":{\"key_type\":\"content_id\","
	  "\"key\":\"K\"},\"session\":{\"playback_session_id\":\"P\",\"stat_url\":\"http://a/\","
	  "\"command_url\":\"http://b/\",\"is_live\":0}}",
	  0, "K|P", "", "", "127.0.0.1", 19023, NULL },
	/* stream_id wins over labels.stream_id. */
	{ API_EV_STARTED, "{\"stream_id\":\"own\",\"labels\":{\"stream_id\":\"lab\",\"x\":\"y\"}}", 0, "own",
	  "", "", "", 0, NULL },
	/* Upstream's stream_ended with only the engine: its latest stream. */
	{ API_EV_ENDED, "{\"container_id\":\"abc\",\"reason\":\"player_stopped\"}", 0, "", "abc", "", "", 0, NULL },
	/* Errors. */
	{ API_EV_STARTED, "", -1, "", "", "", "", 0, "empty body: a JSON object is required" },
	{ API_EV_STARTED, "{", -1, "", "", "", "", 0, "malformed JSON" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\"} x", -1, "", "", "", "", 0, "malformed JSON: trailing data" },
	{ API_EV_STARTED, "[\"stream_id\"]", -1, "", "", "", "", 0, "body must be a JSON object" },
	{ API_EV_STARTED, "\"s\"", -1, "", "", "", "", 0, "body must be a JSON object" },
	{ API_EV_STARTED, "{\"container_id\":\"abc\"}", -1, "", "", "", "", 0, "missing stream_id" },
	{ API_EV_ENDED, "{\"reason\":\"x\"}", -1, "", "", "", "", 0, "missing stream_id (or container_id)" },
	{ API_EV_STARTED, "{\"stream_id\":7}", -1, "", "", "", "", 0, "stream_id must be a string" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"container_id\":true}", -1, "", "", "", "", 0,
	  "container_id must be a string" },
	{ API_EV_STARTED, "{\"stream_id\":\"\"}", -1, "", "", "", "", 0, "stream_id must not be empty" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"engine\":{\"host\":\"h\",\"port\":0}}", -1, "", "", "",
	  "", 0, "engine.port must be an integer 1-65535" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"engine\":{\"host\":\"h\",\"port\":19000.5}}", -1, "", "",
	  "", "", 0, "engine.port must be an integer 1-65535" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"engine\":{\"port\":19000}}", -1, "", "", "", "", 0,
	  "engine needs host and port" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"engine\":\"h:1\"}", -1, "", "", "", "", 0,
	  "engine must be an object" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"stream\":{\"key_type\":\"torrent\",\"key\":\"k\"}}", -1,
	  "", "", "", "", 0, "stream.key_type must be content_id, infohash, url or magnet" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"session\":{\"is_live\":2}}", -1, "", "", "", "", 0,
	  "session.is_live must be 0, 1 or a boolean" },
	{ API_EV_STARTED, "{\"labels\":{\"stream_id\":5}}", -1, "", "", "", "", 0,
	  "labels values must be strings" },
	{ API_EV_STARTED, "{\"stream_id\":\"s\",\"session\":{\"stat_url\":1}}", -1, "", "", "", "", 0,
	  "session.stat_url must be a string" },
};

START_TEST(parse_event_table)
{
	struct api_stream_event ev;
	char err[160] = "";
	const char *b = event_cases[_i].body;
	int rc = api_parse_stream_event(event_cases[_i].kind, b, strlen(b), &ev, err, sizeof err);
	ck_assert_msg(rc == event_cases[_i].rc, "case %d: rc %d (%s)", _i, rc, err);
	ck_assert_str_eq(ev.stream_id, event_cases[_i].stream);
	ck_assert_str_eq(ev.container_id, event_cases[_i].cid);
	ck_assert_str_eq(ev.container_name, event_cases[_i].name);
	ck_assert_str_eq(ev.engine_host, event_cases[_i].host);
	ck_assert_int_eq(ev.engine_port, event_cases[_i].port);
	if (event_cases[_i].err)
		ck_assert_str_eq(err, event_cases[_i].err);
}
END_TEST

START_TEST(parse_event_fields_and_limits)
{
	struct api_stream_event ev;
	char err[160];
	const char *b = ACEXY_STARTED("gluetun1", "19000", "sid");
	ck_assert_int_eq(api_parse_stream_event(API_EV_STARTED, b, strlen(b), &ev, err, sizeof err), 0);
	ck_assert_str_eq(ev.key_type, "infohash");
	ck_assert_str_eq(ev.key, "0a48b3c2");
	ck_assert_str_eq(ev.playback_session_id, "e0d1");
	ck_assert_str_eq(ev.stat_url, "http://gluetun1:19000/ace/stat/0a48b3c2/e0d1");
	ck_assert_str_eq(ev.command_url, "http://gluetun1:19000/ace/cmd/0a48b3c2/e0d1");
	ck_assert(ev.is_live);
	b = ACEXY_ENDED("sid", "handler_exit");
	ck_assert_int_eq(api_parse_stream_event(API_EV_ENDED, b, strlen(b), &ev, err, sizeof err), 0);
	ck_assert_str_eq(ev.reason, "handler_exit");
	/* Not NUL-terminated: the parser stops at len. */
	const char buf[] = { '{', '"', 's', 't', 'r', 'e', 'a', 'm', '_', 'i', 'd', '"',
			     ':', '"', 'z', '"', '}', 'G', 'A', 'R' };
	ck_assert_int_eq(api_parse_stream_event(API_EV_STARTED, buf, 17, &ev, err, sizeof err), 0);
	ck_assert_str_eq(ev.stream_id, "z");
	char *big = xmalloc(API_MAX_BODY + 2);
	memset(big, ' ', API_MAX_BODY + 1);
	big[API_MAX_BODY + 1] = '\0';
	ck_assert_int_eq(api_parse_stream_event(API_EV_STARTED, big, API_MAX_BODY + 1, &ev, err,
						sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger"));
	free(big);
	char *longid = xmalloc(API_MAX_URL + 64);
	int n = snprintf(longid, API_MAX_URL + 64, "{\"stream_id\":\"%0*d\"}", API_MAX_FIELD + 1, 0);
	ck_assert_int_eq(api_parse_stream_event(API_EV_STARTED, longid, (size_t)n, &ev, err, sizeof err), -1);
	ck_assert_str_eq(err, "stream_id longer than 256 bytes");
	/* A derived ID may exceed API_MAX_FIELD: KEY (<= 1 KiB) | session. */
	n = snprintf(longid, API_MAX_URL + 64,
		     "{\"stream\":{\"key\":\"%0*d\"},\"session\":{\"playback_session_id\":\"p\"}}",
		     API_MAX_URL - 8, 0);
	ck_assert_int_eq(api_parse_stream_event(API_EV_STARTED, longid, (size_t)n, &ev, err, sizeof err), 0);
	ck_assert_uint_eq(strlen(ev.stream_id), API_MAX_URL - 8 + 2);
	free(longid);
}
END_TEST

static const struct {
	const char *body;
	int rc;
	bool image, labels, env, host_port;
	const char *err;
} prov_cases[] = {
	{ "", 0, false, false, false, false, NULL },
	{ ACEXY_PROVISION, 0, false, false, false, false, NULL },
	{ "{\"image\":\"acestream/engine:latest\",\"labels\":{\"stream_id\":\"ch-42\"},"
	  "\"env\":{\"EXTRA_ENV\":\"X\"},\"host_port\":null}", 0, true, true, true, false, NULL },
	{ "{\"host_port\":19023}", 0, false, false, false, true, NULL },
	{ "{\"image\":null,\"labels\":null}", 0, false, false, false, false, NULL },
	{ "{\"host_port\":0}", -1, false, false, false, false, "host_port must be an integer 1-65535 or null" },
	{ "{\"env\":{\"A\":1}}", -1, false, false, false, false, "env values must be strings" },
	{ "{\"labels\":[]}", -1, false, false, false, false, "labels must be an object" },
	{ "{\"image\":5}", -1, false, false, false, false, "image must be a string" },
	{ "[]", -1, false, false, false, false, "body must be a JSON object" },
	{ "{,}", -1, false, false, false, false, "malformed JSON" },
};

START_TEST(parse_provision_table)
{
	struct api_provision_req r;
	char err[160] = "";
	const char *b = prov_cases[_i].body;
	int rc = api_parse_provision(b, strlen(b), &r, err, sizeof err);
	ck_assert_msg(rc == prov_cases[_i].rc, "case %d: %s", _i, err);
	ck_assert_int_eq(r.image, prov_cases[_i].image);
	ck_assert_int_eq(r.labels, prov_cases[_i].labels);
	ck_assert_int_eq(r.env, prov_cases[_i].env);
	ck_assert_int_eq(r.host_port, prov_cases[_i].host_port);
	if (prov_cases[_i].err)
		ck_assert_str_eq(err, prov_cases[_i].err);
}
END_TEST

/* ---- pure rendering and decisions ---- */

/* A registry with stream s1 (upstream fields) on engine 0. */
static struct streams_view *view_with_s1(struct streams *reg)
{
	streams_init(reg, -1);
	struct stream_rec r = {
		.id = (char *)"0a48|e0d1", .key_type = (char *)"infohash", .key = (char *)"0a48",
		.playback_session_id = (char *)"e0d1", .stat_url = (char *)"http://s/",
		.command_url = (char *)"http://c/", .is_live = true,
	};
	streams_start(reg, FIXTURE_ID0, &r, 0, FIXTURE_NOW_MS - 5000);
	return streams_view_new(reg, 0);
}

#define S1_JSON \
	"{\"id\":\"0a48|e0d1\",\"key_type\":\"infohash\",\"key\":\"0a48\",\"container_id\":\"" FIXTURE_ID0 \
	"\",\"playback_session_id\":\"e0d1\",\"stat_url\":\"http://s/\",\"command_url\":\"http://c/\"," \
	"\"is_live\":true,\"started_at\":\"2026-11-22T04:08:55Z\",\"ended_at\":null,\"status\":\"started\"," \
	"\"container_name\":\"acestream-19000\",\"vpn_container\":\"gluetun1\"}"

START_TEST(render_streams_filters)
{
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	struct streams_view *v = view_with_s1(&reg);
	char *got = to_str(api_render_streams(s, v, NULL));
	ck_assert_str_eq(got, "[" S1_JSON "]");
	free(got);
	got = to_str(api_render_streams(s, v, FIXTURE_ID0));
	ck_assert_str_eq(got, "[" S1_JSON "]");
	free(got);
	got = to_str(api_render_streams(s, v, FIXTURE_ID1));
	ck_assert_str_eq(got, "[]");
	free(got);
	got = to_str(api_render_streams(s, NULL, NULL));
	ck_assert_str_eq(got, "[]");
	free(got);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

#define ORCH_HEALTHY \
	"{\"status\":\"healthy\",\"engines\":{\"total\":3,\"running\":3,\"healthy\":2,\"unhealthy\":0," \
	"\"visible\":2},\"streams\":{\"active\":1,\"total\":1},\"capacity\":{\"total\":2,\"used\":1," \
	"\"available\":1,\"max_replicas\":4,\"min_replicas\":2},\"vpn\":{\"enabled\":true,\"connected\":true," \
	"\"health\":\"healthy\",\"container\":\"gluetun1\",\"forwarded_port\":45678}," \
	"\"provisioning\":{\"can_provision\":true,\"blocked_reason\":null,\"blocked_reason_details\":null}," \
	"\"timestamp\":\"2026-11-22T04:09:00Z\"}"

START_TEST(render_orch_status_variants)
{
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	struct streams_view *v = view_with_s1(&reg);
	char *got = to_str(api_render_orch_status(s, v));
	ck_assert_str_eq(got, ORCH_HEALTHY);
	free(got);

	/* Both VPNs down: degraded, vpn_disconnected with upstream's ETA. */
	s->vpns[0].connected = false;
	got = to_str(api_render_orch_status(s, v));
	ck_assert_msg(strstr(got, "\"status\":\"healthy\"") == NULL, "%s", got);
	free(got);
	s->engines[0].visible = s->engines[1].visible = false;
	got = to_str(api_render_orch_status(s, v));
	ck_assert_ptr_nonnull(strstr(got, "{\"status\":\"unavailable\","));
	ck_assert_ptr_nonnull(strstr(got, "\"vpn\":{\"enabled\":true,\"connected\":false,"));
	ck_assert_ptr_nonnull(strstr(got, "\"provisioning\":{\"can_provision\":false,\"blocked_reason\":"
					  "\"VPN connection is required but currently disconnected\","
					  "\"blocked_reason_details\":{\"error\":\"provisioning_blocked\","
					  "\"code\":\"vpn_disconnected\",\"message\":\"VPN connection is required "
					  "but currently disconnected\",\"recovery_eta_seconds\":60,"
					  "\"can_retry\":true,\"should_wait\":true}}"));
	free(got);
	s->engines[1].visible = true;
	got = to_str(api_render_orch_status(s, v));
	ck_assert_ptr_nonnull(strstr(got, "{\"status\":\"degraded\","));
	free(got);

	/* Docker down. */
	s->vpns[0].connected = true;
	s->docker_ok = false;
	got = to_str(api_render_orch_status(s, v));
	ck_assert_ptr_nonnull(strstr(got, "{\"status\":\"degraded\","));
	ck_assert_ptr_nonnull(strstr(got, "\"code\":\"docker_unavailable\""));
	free(got);
	s->docker_ok = true;

	/* No observation yet. */
	got = to_str(api_render_orch_status(NULL, NULL));
	ck_assert_ptr_nonnull(strstr(got, "{\"status\":\"unavailable\","));
	ck_assert_ptr_nonnull(strstr(got, "\"code\":\"not_ready\""));
	ck_assert_ptr_nonnull(strstr(got, "\"timestamp\":null"));
	free(got);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

START_TEST(provision_pick_order)
{
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	streams_init(&reg, -1);
	struct streams_view *v = streams_view_new(&reg, 0);
	/* Both gluetun1 engines idle and healthy: the forwarded one first. */
	const struct snap_engine *e = api_provision_pick(s, v, NULL);
	ck_assert_str_eq(e->id, FIXTURE_ID0);
	const char *ids[] = { FIXTURE_ID0 };
	struct api_claims cl = { ids, 1 };
	ck_assert_str_eq(api_provision_pick(s, v, &cl)->id, FIXTURE_ID1);
	/* Busy (the registry), unhealthy and hidden engines are never picked. */
	streams_view_free(v);
	v = view_with_s1(&reg); /* re-inits reg: the old one is empty */
	ck_assert_str_eq(api_provision_pick(s, v, NULL)->id, FIXTURE_ID1);
	free(s->engines[1].health);
	s->engines[1].health = xstrdup("unknown");
	ck_assert_ptr_null(api_provision_pick(s, v, NULL));
	struct api_block b;
	/* No idle engine, 3 of max 4 running: not blocked (one more can come). */
	ck_assert(!api_provision_blocked(s, v, NULL, &b));
	s->replicas_max = 3;
	ck_assert(api_provision_blocked(s, v, NULL, &b));
	ck_assert_str_eq(b.code, "max_capacity");
	ck_assert_str_eq(b.message, "all 3 engines (replicas.max) are running and busy");
	ck_assert(!b.can_retry && b.should_wait);
	ck_assert_int_eq(b.eta_s, 30);
	/* The available VPNs' max_engines bound it too. */
	s->replicas_max = 10;
	s->vpns[0].max_engines = 2;
	ck_assert(api_provision_blocked(s, v, NULL, &b));
	ck_assert_str_eq(b.message, "the available VPNs hold their maximum of 2 engines, all busy");
	char *got = to_str(api_render_block(&b));
	ck_assert_str_eq(got, "{\"error\":\"the available VPNs hold their maximum of 2 engines, all busy\","
			      "\"detail\":{\"error\":\"provisioning_blocked\",\"code\":\"max_capacity\","
			      "\"message\":\"the available VPNs hold their maximum of 2 engines, all busy\","
			      "\"recovery_eta_seconds\":30,\"can_retry\":false,\"should_wait\":true}}");
	free(got);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

START_TEST(render_provision_ok_fields)
{
	struct snapshot *s = api_fixture_snapshot();
	const char *ign[] = { "image", "env" };
	char *got = to_str(api_render_provision_ok(&s->engines[1], ign, 2));
	ck_assert_str_eq(got, "{\"container_id\":\"" FIXTURE_ID1 "\",\"container_name\":\"acestream-19001\","
			      "\"host_http_port\":19001,\"container_http_port\":19001,"
			      "\"container_https_port\":45001,\"host\":\"gluetun1\",\"port\":19001,"
			      "\"vpn_container\":\"gluetun1\",\"forwarded\":false,"
			      "\"ignored\":[\"image\",\"env\"]}");
	free(got);
	snapshot_free(s);
}
END_TEST

/* ---- on a real server, in acexy's dialect ---- */

#define expect http_expect
static const char *const bearer[] = { "Authorization: Bearer k3y", "Content-Type: application/json",
				      NULL };

static void publish_fixture(struct test_server *sv, void (*edit)(struct snapshot *))
{
	struct snapshot *s = api_fixture_snapshot();
	s->api_key = xstrdup("k3y");
	s->engines[0].streams = 0; /* the registry is the truth */
	if (edit)
		edit(s);
	snapshot_publish(&sv->st, s);
}

static cJSON *get_json(int port, const char *path, long want)
{
	struct http_resp r = http_do(port, "GET", path, NULL, NULL, 0);
	ck_assert_msg(r.code == want, "GET %s: %ld %s", path, r.code, r.body);
	cJSON *j = cJSON_Parse(r.body);
	ck_assert_msg(j != NULL, "GET %s: not JSON: %s", path, r.body);
	http_free(&r);
	return j;
}

static struct http_resp post(int port, const char *path, const char *body)
{
	return http_do(port, "POST", path, bearer, body, strlen(body));
}

START_TEST(server_acexy_stream_cycle)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	publish_fixture(&sv, NULL);

	/* SelectBestEngine: GET /engines, then per engine GET /streams. */
	cJSON *eng = get_json(sv.port, "/engines", 200);
	ck_assert_int_eq(cJSON_GetArraySize(eng), 2);
	cJSON_Delete(eng);
	cJSON *st = get_json(sv.port, "/streams?container_id=" FIXTURE_ID0 "&status=started", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 0);
	cJSON_Delete(st);

	/* EmitStarted with /engines' host and port. */
	struct http_resp r = post(sv.port, "/events/stream_started",
				  ACEXY_STARTED("gluetun1", "19000", "0a48b3c2|e0d1"));
	ck_assert_msg(r.code == 200, "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"container_id\":\"" FIXTURE_ID0 "\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"key_type\":\"infohash\",\"key\":\"0a48b3c2\""));
	http_free(&r);
	st = get_json(sv.port, "/streams?container_id=" FIXTURE_ID0 "&status=started", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 1);
	const cJSON *s0 = cJSON_GetArrayItem(st, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(s0, "id")->valuestring, "0a48b3c2|e0d1");
	ck_assert_str_eq(cJSON_GetObjectItem(s0, "status")->valuestring, "started");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(s0, "is_live")));
	ck_assert_str_eq(cJSON_GetObjectItem(s0, "stat_url")->valuestring,
			 "http://gluetun1:19000/ace/stat/0a48b3c2/e0d1");
	cJSON_Delete(st);
	/* By name or prefix too; other filters. */
	st = get_json(sv.port, "/streams?container_id=acestream-19000", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 1);
	cJSON_Delete(st);
	st = get_json(sv.port, "/streams?status=ended", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 0);
	cJSON_Delete(st);
	st = get_json(sv.port, "/streams?container_id=unknown", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 0);
	cJSON_Delete(st);
	st = get_json(sv.port, "/streams", 200);
	ck_assert_int_eq(cJSON_GetArraySize(st), 1);
	cJSON_Delete(st);
	expect(sv.port, "GET", "/streams?status=bogus", NULL, NULL, 400,
	       "{\"error\":\"status must be started or ended\"}");
	eng = get_json(sv.port, "/engines", 200);
	const cJSON *e0 = cJSON_GetArrayItem(eng, 0);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(e0, "streams"), 0)->valuestring,
			 "0a48b3c2|e0d1");
	ck_assert_int_eq(cJSON_GetObjectItem(e0, "stream_count")->valueint, 1);
	cJSON_Delete(eng);

	/* After provisioning acexy sends "localhost" and host_http_port: the
	 * port alone names the engine. */
	r = post(sv.port, "/events/stream_started", ACEXY_STARTED("localhost", "19001", "k2|p2"));
	ck_assert_msg(r.code == 200 && strstr(r.body, FIXTURE_ID1), "%s", r.body);
	http_free(&r);
	r = post(sv.port, "/events/stream_started", ACEXY_STARTED("localhost", "19999", "k3|p3"));
	ck_assert_int_eq(r.code, 404);
	ck_assert_str_eq(r.body, "{\"error\":\"unknown engine: localhost:19999\"}");
	http_free(&r);
	/* An unknown container_id falls back to the address (upstream's order). */
	r = post(sv.port, "/events/stream_started",
		 ACEXY_STARTED_CID("proxy-own-id", "gluetun1", "19000", "k4|p4"));
	ck_assert_msg(r.code == 200 && strstr(r.body, FIXTURE_ID0), "%s", r.body);
	http_free(&r);
	ck_assert_int_eq(streams_count(&sv.reg, FIXTURE_ID0), 2);

	/* EmitEnded: {container_id (its own), stream_id, reason}. */
	r = post(sv.port, "/events/stream_ended",
		 "{\"container_id\":\"proxy-own-id\",\"stream_id\":\"0a48b3c2|e0d1\",\"reason\":\"handler_exit\"}");
	ck_assert_msg(r.code == 200, "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"updated\":true,\"stream\":{\"id\":\"0a48b3c2|e0d1\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ended\""));
	http_free(&r);
	r = post(sv.port, "/events/stream_ended", ACEXY_ENDED("0a48b3c2|e0d1", "handler_exit"));
	ck_assert_int_eq(r.code, 404);
	http_free(&r);
	/* Upstream's engine-only form ends the engine's latest stream. */
	r = post(sv.port, "/events/stream_ended", "{\"container_id\":\"" FIXTURE_ID0 "\"}");
	ck_assert_msg(r.code == 200 && strstr(r.body, "\"stream_id\":\"k4|p4\""), "%s", r.body);
	http_free(&r);
	r = post(sv.port, "/events/stream_ended", "{\"container_id\":\"" FIXTURE_ID0 "\"}");
	ck_assert_int_eq(r.code, 404);
	ck_assert_str_eq(r.body, "{\"error\":\"no active stream on that engine\"}");
	http_free(&r);
	r = post(sv.port, "/events/stream_ended", "{\"container_id\":\"nope\"}");
	ck_assert_int_eq(r.code, 404);
	http_free(&r);
	ck_assert_int_eq(streams_count(&sv.reg, FIXTURE_ID0), 0);
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_stream_caps_429)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	struct streams_limits lim = { 1, 2, 0 };
	streams_set_limits(&sv.reg, &lim);
	publish_fixture(&sv, NULL);
	struct http_resp r = post(sv.port, "/events/stream_started",
				  "{\"container_name\":\"acestream-19000\",\"stream_id\":\"a\"}");
	ck_assert_int_eq(r.code, 200);
	http_free(&r);
	r = post(sv.port, "/events/stream_started",
		 "{\"container_name\":\"acestream-19000\",\"stream_id\":\"b\"}");
	ck_assert_int_eq(r.code, 429);
	ck_assert_str_eq(r.body, "{\"error\":\"engine " FIXTURE_ID0 " is at streams.max_per_engine\"}");
	http_free(&r);
	r = post(sv.port, "/events/stream_started",
		 "{\"container_name\":\"acestream-19001\",\"stream_id\":\"c\"}");
	ck_assert_int_eq(r.code, 200);
	http_free(&r);
	r = post(sv.port, "/events/stream_started",
		 "{\"container_name\":\"acestream-19500\",\"stream_id\":\"d\"}");
	ck_assert_int_eq(r.code, 429);
	ck_assert_str_eq(r.body, "{\"error\":\"streams.max_total reached\"}");
	http_free(&r);
	r = http_do(sv.port, "GET", "/metrics", NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "orch_streams_rejected_total{reason=\"max_per_engine\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "orch_streams_rejected_total{reason=\"max_total\"} 1\n"));
	http_free(&r);
	test_server_stop(&sv);
}
END_TEST

static void all_busy(struct snapshot *s)
{
	/* Neither gluetun1 engine probed yet: none to hand out. */
	for (int i = 0; i < 2; i++) {
		free(s->engines[i].health);
		s->engines[i].health = xstrdup("unknown");
	}
}

static void vpns_down(struct snapshot *s)
{
	s->vpns[0].connected = false;
}

/* acexy decodes an error's `detail` into ProvisionError; every field must
 * have its Go type or the whole decode fails. */
static void check_detail(const char *body, const char *code)
{
	cJSON *j = cJSON_Parse(body);
	ck_assert_msg(j != NULL, "%s", body);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
	const cJSON *d = cJSON_GetObjectItem(j, "detail");
	ck_assert_str_eq(cJSON_GetObjectItem(d, "code")->valuestring, code);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(d, "error")));
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(d, "message")));
	const cJSON *eta = cJSON_GetObjectItem(d, "recovery_eta_seconds");
	ck_assert(cJSON_IsNumber(eta) && eta->valuedouble == (double)eta->valueint && eta->valueint > 0);
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(d, "can_retry")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "should_wait")));
	cJSON_Delete(j);
}

static void at_max(struct snapshot *s)
{
	s->replicas_max = 3; /* the fixture's three engines all run */
}

static void engine2_healthy(struct snapshot *s)
{
	/* gluetun2 back, its engine probed: an engine that was not idle. */
	s->vpns[1].connected = true;
	s->engines[2].visible = true;
	free(s->engines[2].health);
	s->engines[2].health = xstrdup("healthy");
	free(s->engines[2].hidden_reason);
	s->engines[2].hidden_reason = NULL;
}

struct waiter {
	int port;
	const char *path;
	const char *body;
	struct http_resp r;
	int64_t ms;
};

static void *wait_run(void *p)
{
	struct waiter *w = p;
	int64_t t0 = now_mono_ms();
	w->r = post(w->port, w->path, w->body ? w->body : ACEXY_PROVISION);
	w->ms = now_mono_ms() - t0;
	return NULL;
}

/* The hook is called before a request parks: wait for n calls. */
static void wait_provisions(struct test_server *sv, int n)
{
	for (int i = 0; i < 2000 && test_server_provisions(sv) < n; i++)
		usleep(5000);
	ck_assert_int_ge(test_server_provisions(sv), n);
}

/* "One more" engine: those idle when the request arrives may be the
 * proxy's pending choices; it gets one beyond them. */
START_TEST(server_provision_one_more_engine)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	publish_fixture(&sv, NULL);
	/* Engines 0 and 1 are idle on arrival, and nothing new comes. */
	struct http_resp r = post(sv.port, "/provision/acestream?wait=1", ACEXY_PROVISION);
	ck_assert_int_eq(r.code, 503);
	check_detail(r.body, "provisioning_in_progress");
	ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 10"));
	http_free(&r);
	ck_assert_int_eq(test_server_provisions(&sv), 1); /* the demand went up */
	/* A new engine becomes ready while one waits: that is the answer. */
	struct waiter w = { .port = sv.port, .path = "/provision/acestream?wait=20" };
	pthread_t t;
	pthread_create(&t, NULL, wait_run, &w);
	wait_provisions(&sv, 2);
	publish_fixture(&sv, engine2_healthy);
	pthread_join(t, NULL);
	ck_assert_msg(w.r.code == 200, "%s", w.r.body);
	ck_assert_msg(str_startswith(w.r.body, "{\"container_id\":\"" FIXTURE_ID2 "\","), "%s", w.r.body);
	ck_assert_int_lt(w.ms, 15000);
	http_free(&w.r);
	/* An engine whose stream ends while one waits counts too. */
	struct stream_rec rec = { .id = (char *)"x" };
	streams_start(&sv.reg, FIXTURE_ID0, &rec, now_mono_ms(), now_wall_ms());
	w = (struct waiter){ .port = sv.port, .path = "/provision/acestream?wait=20", .body = "" };
	pthread_create(&t, NULL, wait_run, &w); /* an empty body, as `curl -X POST` */
	wait_provisions(&sv, 3);
	streams_end(&sv.reg, "x", NULL, NULL);
	pthread_join(t, NULL);
	ck_assert_msg(w.r.code == 200 && strstr(w.r.body, FIXTURE_ID0), "%d %s", (int)w.r.code, w.r.body);
	http_free(&w.r);
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_provision_capacity_and_blocks)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	/* replicas.max reached: no engine will come, so an idle one is better
	 * than nothing (forwarded first), then the other, then a refusal. */
	publish_fixture(&sv, at_max);
	struct http_resp r = post(sv.port, "/provision/acestream", ACEXY_PROVISION);
	ck_assert_msg(r.code == 200, "%s", r.body);
	ck_assert_msg(str_startswith(r.body, "{\"container_id\":\"" FIXTURE_ID0 "\",\"container_name\":"
					     "\"acestream-19000\",\"host_http_port\":19000,"),
		      "%s", r.body);
	http_free(&r);
	r = post(sv.port, "/provision/acestream",
		 "{\"image\":\"x\",\"labels\":{\"stream_id\":\"ch-42\"},\"env\":{},\"host_port\":null}");
	ck_assert_msg(r.code == 200 && strstr(r.body, FIXTURE_ID1), "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"ignored\":[\"image\",\"labels\"]}"));
	http_free(&r);
	ck_assert_int_eq(test_server_provisions(&sv), 2);
	r = post(sv.port, "/provision/acestream", ACEXY_PROVISION);
	ck_assert_int_eq(r.code, 503);
	check_detail(r.body, "max_capacity");
	ck_assert_ptr_nonnull(strstr(r.body, "\"can_retry\":false"));
	ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 30"));
	http_free(&r);
	ck_assert_int_eq(test_server_provisions(&sv), 2); /* refused before any demand */
	expect(sv.port, "POST", "/provision/acestream", bearer, "{\"env\":[1]}", 400,
	       "{\"error\":\"env must be an object\"}");

	/* VPNs down: refused at once, upstream's code. */
	publish_fixture(&sv, vpns_down);
	r = post(sv.port, "/provision/acestream", ACEXY_PROVISION);
	ck_assert_int_eq(r.code, 503);
	check_detail(r.body, "vpn_disconnected");
	ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 60"));
	http_free(&r);

	/* The daemon refuses more demand (replicas.max already asked for). */
	publish_fixture(&sv, all_busy);
	pthread_mutex_lock(&sv.mu);
	sv.provision_status = 503;
	pthread_mutex_unlock(&sv.mu);
	r = post(sv.port, "/provision/acestream", ACEXY_PROVISION);
	ck_assert_int_eq(r.code, 503);
	check_detail(r.body, "max_capacity");
	ck_assert_ptr_nonnull(strstr(r.body, "replicas.max engines already requested"));
	http_free(&r);
	r = http_do(sv.port, "GET", "/metrics", NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "orch_provision_requests_total{result=\"ok\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "orch_provision_requests_total{result=\"blocked\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "orch_provision_requests_total{result=\"timeout\"} 0\n"));
	http_free(&r);
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_provision_waits_suspended)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	publish_fixture(&sv, all_busy);
	/* Eight requests wait at once on a server with two threads: suspended
	 * connections hold none, so /healthz still answers. The wait is ours
	 * (?wait=5): acexy's default is 2.5 s. */
	enum { N = 8 };
	struct waiter w[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct waiter){ .port = sv.port, .path = "/provision/acestream?wait=5" };
		pthread_create(&t[i], NULL, wait_run, &w[i]);
	}
	wait_provisions(&sv, N);
	expect(sv.port, "GET", "/healthz", NULL, NULL, 200, "{\"status\":\"ok\"}");
	/* Both engines pass their probes: each goes to one waiter, the
	 * others keep waiting until their deadline. */
	publish_fixture(&sv, NULL);
	int ok = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		if (w[i].r.code == 200)
			ok++;
		else
			check_detail(w[i].r.body, "provisioning_in_progress");
		http_free(&w[i].r);
	}
	/* Two idle engines, eight waiters: two answered, six timed out. */
	ck_assert_int_eq(ok, 2);
	test_server_stop(&sv);
}
END_TEST

START_TEST(server_provision_stop_while_waiting)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	publish_fixture(&sv, all_busy);
	struct waiter w = { .port = sv.port, .path = "/provision/acestream?wait=60" };
	pthread_t t;
	pthread_create(&t, NULL, wait_run, &w);
	wait_provisions(&sv, 1);
	usleep(100000); /* parked (or about to be): either way it is answered */
	test_server_stop(&sv);
	pthread_join(t, NULL);
	/* 503 "stopping", or the connection closed by the stop: never a hang. */
	ck_assert_int_ne(w.r.code, 200);
	ck_assert_int_lt(w.ms, 30000);
	http_free(&w.r);
}
END_TEST

START_TEST(server_orch_status)
{
	struct test_server sv;
	test_server_start(&sv, NULL);
	cJSON *j = get_json(sv.port, "/orchestrator/status", 200);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "unavailable");
	cJSON_Delete(j);
	publish_fixture(&sv, NULL);
	struct http_resp r = post(sv.port, "/events/stream_started",
				  "{\"container_name\":\"acestream-19000\",\"stream_id\":\"a\"}");
	http_free(&r);
	j = get_json(sv.port, "/orchestrator/status", 200);
	/* What acexy's orchestratorStatus decodes. */
	ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "healthy");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "vpn"), "connected")));
	const cJSON *pr = cJSON_GetObjectItem(j, "provisioning");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(pr, "can_provision")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(pr, "blocked_reason")));
	const cJSON *cap = cJSON_GetObjectItem(j, "capacity");
	ck_assert_int_eq(cJSON_GetObjectItem(cap, "total")->valueint, 2);
	ck_assert_int_eq(cJSON_GetObjectItem(cap, "used")->valueint, 1);
	ck_assert_int_eq(cJSON_GetObjectItem(cap, "available")->valueint, 1);
	cJSON_Delete(j);
	test_server_stop(&sv);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("api_proxy");
	TCase *tc = tcase_create("bodies");
	tcase_add_loop_test(tc, parse_event_table, 0, (int)ARRAY_LEN(event_cases));
	tcase_add_test(tc, parse_event_fields_and_limits);
	tcase_add_loop_test(tc, parse_provision_table, 0, (int)ARRAY_LEN(prov_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, render_streams_filters);
	tcase_add_test(tc, render_orch_status_variants);
	tcase_add_test(tc, provision_pick_order);
	tcase_add_test(tc, render_provision_ok_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("server");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, server_acexy_stream_cycle);
	tcase_add_test(tc, server_stream_caps_429);
	tcase_add_test(tc, server_provision_one_more_engine);
	tcase_add_test(tc, server_provision_capacity_and_blocks);
	tcase_add_test(tc, server_provision_waits_suspended);
	tcase_add_test(tc, server_provision_stop_while_waiting);
	tcase_add_test(tc, server_orch_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(proxy_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
