/* test_history.c - the recent-history ring (since=, limits, overwriting) and
 * the VPN transitions history_view records from successive views. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_view.h"
#include "util.h"

static void add_n(struct history *h, int n)
{
	for (int i = 0; i < n; i++) {
		struct hist_new hn = { .kind = HIST_ACTION_OK, .object = "e" };
		history_add(h, &hn, 1000 + i, "action %d", i + 1);
	}
}

static int seq_at(cJSON *j, int i)
{
	cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), i);
	return ev ? (int)cJSON_GetObjectItem(ev, "seq")->valuedouble : -1;
}

static int n_events(cJSON *j)
{
	return cJSON_GetArraySize(cJSON_GetObjectItem(j, "events"));
}

static double num(cJSON *j, const char *k)
{
	return cJSON_GetObjectItem(j, k)->valuedouble;
}

START_TEST(ring_since_and_limit)
{
	struct history h;
	history_init(&h, 10, 42);
	add_n(&h, 5);
	cJSON *j = history_to_json(&h, false, 0, 0);
	ck_assert_int_eq(n_events(j), 5);
	ck_assert_int_eq(seq_at(j, 0), 1);
	ck_assert_int_eq((int)num(j, "last_seq"), 5);
	ck_assert_int_eq((int)num(j, "boot_ms"), 42);
	cJSON_Delete(j);
	/* since=3: 4 and 5, oldest first. */
	j = history_to_json(&h, true, 3, 0);
	ck_assert_int_eq(n_events(j), 2);
	ck_assert_int_eq(seq_at(j, 0), 4);
	ck_assert_int_eq(seq_at(j, 1), 5);
	ck_assert_int_eq((int)num(j, "missed"), 0);
	cJSON_Delete(j);
	/* since = last: nothing new. since beyond last (a restarted daemon): nothing. */
	j = history_to_json(&h, true, 5, 0);
	ck_assert_int_eq(n_events(j), 0);
	cJSON_Delete(j);
	j = history_to_json(&h, true, 99, 0);
	ck_assert_int_eq(n_events(j), 0);
	cJSON_Delete(j);
	/* Without since, limit keeps the newest; with since, the oldest after it
	 * and "more" says there is a next page. */
	j = history_to_json(&h, false, 0, 2);
	ck_assert_int_eq(seq_at(j, 0), 4);
	ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(j, "more")));
	cJSON_Delete(j);
	j = history_to_json(&h, true, 0, 2);
	ck_assert_int_eq(seq_at(j, 0), 1);
	ck_assert_int_eq(seq_at(j, 1), 2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "more")));
	cJSON_Delete(j);
	history_destroy(&h);
}
END_TEST

START_TEST(ring_overwrites_oldest_and_counts_missed)
{
	struct history h;
	history_init(&h, 4, 0);
	add_n(&h, 10);
	ck_assert_uint_eq(h.overwritten, 6);
	cJSON *j = history_to_json(&h, true, 2, 0);
	/* 3..6 went: 4 missed after since=2, 7..10 shown. */
	ck_assert_int_eq((int)num(j, "oldest_seq"), 7);
	ck_assert_int_eq((int)num(j, "missed"), 4);
	ck_assert_int_eq(n_events(j), 4);
	ck_assert_int_eq(seq_at(j, 0), 7);
	cJSON_Delete(j);
	history_destroy(&h);
}
END_TEST

static struct hist_entry last_heard;
static int heard;
static void listener(const struct hist_entry *e, void *ud)
{
	(void)ud;
	heard++;
	last_heard.seq = e->seq;
	last_heard.kind = e->kind;
	last_heard.from_port = e->from_port;
	last_heard.to_port = e->to_port;
	last_heard.initial = e->initial;
}

START_TEST(entry_json_fields)
{
	struct history h;
	history_init(&h, 4, 0);
	heard = 0;
	history_set_listener(&h, listener, NULL);
	struct hist_new hn = { .kind = HIST_PORT_CHANGED, .object = "gluetun", .vpn = "gluetun",
			       .from_port = 40000, .to_port = 40001 };
	history_add(&h, &hn, 1795447987339, "vpn gluetun forwarded port changed %d -> %d", 40000, 40001);
	ck_assert_int_eq(heard, 1);
	ck_assert_int_eq(last_heard.to_port, 40001);
	cJSON *j = history_to_json(&h, false, 0, 0);
	cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "kind")->valuestring, "port_changed");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "time")->valuestring, "2026-11-23T15:33:07.339Z");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "vpn")->valuestring, "gluetun");
	ck_assert_int_eq((int)num(e, "from_port"), 40000);
	ck_assert_int_eq((int)num(e, "to_port"), 40001);
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "error"));
	cJSON_Delete(j);
	history_destroy(&h);
}
END_TEST

/* ---- history_view ---- */

static struct config cfg;
static struct observed obs;

static void two_vpns(void)
{
	memset(&cfg, 0, sizeof cfg);
	config_set_defaults(&cfg);
	cfg.n_vpns = 2;
	cfg.vpns = xcalloc(2, sizeof *cfg.vpns);
	cfg.vpns[0].name = xstrdup("v1");
	cfg.vpns[1].name = xstrdup("v2");
	memset(&obs, 0, sizeof obs);
	obs.docker_ok = true;
	obs.n_vpns = 2;
	obs.vpns = xcalloc(2, sizeof *obs.vpns);
	for (int i = 0; i < 2; i++) {
		struct vpn_obs *v = &obs.vpns[i];
		v->name = xstrdup(cfg.vpns[i].name);
		v->exists = v->running = true;
		v->id = xstrdup(i ? "bbbbbbbbbbbbbbbb" : "aaaaaaaaaaaaaaaa");
		v->health = HEALTH_HEALTHY;
		v->started_at_ms = 1000;
		v->api_ok = true;
		v->fwd_port = 40000 + i;
	}
}

static void teardown_vpns(void)
{
	observed_free(&obs);
	config_clear(&cfg);
}

/* The kinds recorded after seq `after`, as "kind:object,..." */
static char *kinds_after(struct history *h, uint64_t after)
{
	cJSON *j = history_to_json(h, true, after, 0);
	struct strbuf b = { 0 };
	strbuf_add(&b, "", 0);
	cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "events"))
	{
		if (b.len)
			strbuf_puts(&b, ",");
		strbuf_puts(&b, cJSON_GetObjectItem(e, "kind")->valuestring);
		strbuf_puts(&b, ":");
		strbuf_puts(&b, cJSON_GetObjectItem(e, "object")->valuestring);
	}
	cJSON_Delete(j);
	return b.data;
}

#define CHECK_KINDS(h, after, want)                          \
	do {                                                 \
		char *got_ = kinds_after(h, after);          \
		ck_assert_str_eq(got_, want);                \
		free(got_);                                  \
	} while (0)

START_TEST(view_transitions_once_each)
{
	struct history h;
	struct history_view hv = { 0 };
	history_init(&h, 100, 0);
	heard = 0;
	history_set_listener(&h, listener, NULL);
	two_vpns();
	/* First sight: both available, marked initial (no webhook for them);
	 * the ports are known from now on, so they are no news. */
	history_view_diff(&hv, &h, &cfg, &obs, 1);
	CHECK_KINDS(&h, 0, "vpn_available:v1,vpn_available:v2");
	ck_assert(last_heard.initial);
	/* Nothing changed: nothing recorded (transitions, not steady states). */
	history_view_diff(&hv, &h, &cfg, &obs, 2);
	ck_assert_uint_eq(h.last_seq, 2);
	/* v1 unhealthy (a Docker health event), then back. */
	obs.vpns[0].health = HEALTH_UNHEALTHY;
	history_view_diff(&hv, &h, &cfg, &obs, 3);
	history_view_diff(&hv, &h, &cfg, &obs, 4);
	CHECK_KINDS(&h, 2, "vpn_unavailable:v1");
	obs.vpns[0].health = HEALTH_HEALTHY;
	history_view_diff(&hv, &h, &cfg, &obs, 5);
	CHECK_KINDS(&h, 3, "vpn_available:v1");
	ck_assert(!last_heard.initial);
	/* v2's port changes; v1's container restarts; then is re-created. */
	obs.vpns[1].fwd_port = 40555;
	obs.vpns[0].started_at_ms = 2000;
	history_view_diff(&hv, &h, &cfg, &obs, 6);
	CHECK_KINDS(&h, 4, "vpn_restarted:v1,port_changed:v2");
	ck_assert_int_eq(last_heard.from_port, 40001);
	ck_assert_int_eq(last_heard.to_port, 40555);
	free(obs.vpns[0].id);
	obs.vpns[0].id = xstrdup("cccccccccccccccc");
	obs.vpns[0].started_at_ms = 3000;
	history_view_diff(&hv, &h, &cfg, &obs, 7);
	CHECK_KINDS(&h, 6, "vpn_recreated:v1");
	/* The control server fails, then answers with no port (lost), then
	 * answers again with one. A failed read says nothing about the port. */
	obs.vpns[1].api_ok = false;
	obs.vpns[1].api_error = xstrdup("connection refused");
	history_view_diff(&hv, &h, &cfg, &obs, 8);
	CHECK_KINDS(&h, 7, "control_error:v2");
	obs.vpns[1].api_ok = true;
	free(obs.vpns[1].api_error);
	obs.vpns[1].api_error = NULL;
	obs.vpns[1].fwd_port = 0;
	history_view_diff(&hv, &h, &cfg, &obs, 9);
	CHECK_KINDS(&h, 8, "port_changed:v2,control_ok:v2");
	obs.vpns[1].fwd_port = 40777;
	history_view_diff(&hv, &h, &cfg, &obs, 10);
	CHECK_KINDS(&h, 10, "port_changed:v2");
	history_view_free(&hv);
	history_destroy(&h);
	teardown_vpns();
}
END_TEST

START_TEST(view_first_sight_unavailable_and_port_before_read)
{
	struct history h;
	struct history_view hv = { 0 };
	history_init(&h, 100, 0);
	two_vpns();
	/* At start-up the control server has not been read yet: port 0, no
	 * news; the first read with a port is no change either. */
	obs.vpns[0].api_ok = false;
	obs.vpns[0].fwd_port = 0;
	obs.vpns[1].running = false;
	obs.vpns[1].health = HEALTH_NONE;
	history_view_diff(&hv, &h, &cfg, &obs, 1);
	CHECK_KINDS(&h, 0, "vpn_available:v1,vpn_unavailable:v2");
	obs.vpns[0].api_ok = true;
	obs.vpns[0].fwd_port = 40000;
	history_view_diff(&hv, &h, &cfg, &obs, 2);
	ck_assert_uint_eq(h.last_seq, 2);
	/* A VPN dropped from the config is forgotten; one added is new. */
	free(cfg.vpns[1].name);
	cfg.vpns[1].name = xstrdup("v3");
	free(obs.vpns[1].name);
	obs.vpns[1].name = xstrdup("v3");
	obs.vpns[1].running = true;
	obs.vpns[1].health = HEALTH_HEALTHY;
	history_view_diff(&hv, &h, &cfg, &obs, 3);
	CHECK_KINDS(&h, 2, "vpn_available:v3");
	history_view_free(&hv);
	history_destroy(&h);
	teardown_vpns();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("history");
	TCase *t = tcase_create("ring");
	tcase_add_test(t, ring_since_and_limit);
	tcase_add_test(t, ring_overwrites_oldest_and_counts_missed);
	tcase_add_test(t, entry_json_fields);
	suite_add_tcase(s, t);
	t = tcase_create("view");
	tcase_add_test(t, view_transitions_once_each);
	tcase_add_test(t, view_first_sight_unavailable_and_port_before_read);
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
