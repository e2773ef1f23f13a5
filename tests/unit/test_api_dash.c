/* test_api_dash.c - the dashboard page (GET /) and the recent history
 * (GET /events) as the HTTP server serves them, against an in-process server. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "api_fixture.h"
#include "history.h"
#include "util.h"

static struct history hist;
static struct test_server sv;

static void setup(void)
{
	history_init(&hist, 5, 42);
	struct api_opts o = { .history = &hist };
	test_server_start(&sv, &o);
}

static void teardown(void)
{
	test_server_stop(&sv);
	history_destroy(&hist);
}

START_TEST(page_served_without_a_snapshot_or_key)
{
	/* Before the first pass: the page loads, it says what it waits for. */
	struct http_resp r = http_do(sv.port, "GET", "/", NULL, NULL, 0);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "<title>ace-orchestrator</title>"));
	ck_assert_ptr_nonnull(strstr(r.headers, "text/html"));
	ck_assert_ptr_nonnull(strstr(r.headers, "Content-Security-Policy: default-src 'none'"));
	/* Nothing from elsewhere: no absolute URL to load anything from. */
	ck_assert_ptr_null(strstr(r.body, "src=\"http"));
	ck_assert_ptr_null(strstr(r.body, "href=\"http"));
	http_free(&r);
	http_expect(sv.port, "POST", "/", NULL, "{}", 405, NULL);
}
END_TEST

static cJSON *get_events(const char *path, long want)
{
	struct http_resp r = http_do(sv.port, "GET", path, NULL, NULL, 0);
	ck_assert_int_eq(r.code, want);
	cJSON *j = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(j);
	http_free(&r);
	return j;
}

START_TEST(events_since_and_errors)
{
	for (int i = 0; i < 7; i++) {
		struct hist_new hn = { .kind = HIST_CONFIG_RELOADED, .object = "o.yaml" };
		history_add(&hist, &hn, 1000 + i, "reload %d", i + 1);
	}
	cJSON *j = get_events("/events", 200);
	cJSON *ev = cJSON_GetObjectItem(j, "events");
	ck_assert_int_eq(cJSON_GetArraySize(ev), 5); /* the ring holds 5 */
	ck_assert_int_eq(cJSON_GetObjectItem(j, "last_seq")->valueint, 7);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "boot_ms")->valueint, 42);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "kind")->valuestring,
			 "config_reloaded");
	cJSON_Delete(j);
	j = get_events("/events?since=6", 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), 1);
	cJSON_Delete(j);
	j = get_events("/events?since=1&limit=2", 200);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "missed")->valueint, 1); /* 2 went */
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), 2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "more")));
	cJSON_Delete(j);
	cJSON_Delete(get_events("/events?since=x", 400));
	cJSON_Delete(get_events("/events?since=-1", 400));
	cJSON_Delete(get_events("/events?limit=0", 400));
	cJSON_Delete(get_events("/events?limit=1001", 400));
	/* The stream-event POST routes under /events/ are unaffected. */
	http_expect(sv.port, "GET", "/events/stream_started", NULL, NULL, 405, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_dash");
	TCase *t = tcase_create("dash");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, page_served_without_a_snapshot_or_key);
	tcase_add_test(t, events_since_and_errors);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
