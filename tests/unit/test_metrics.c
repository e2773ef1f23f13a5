/* test_metrics.c - unit tests of metrics.c: the exact exposition text of a
 * small snapshot, label escaping, the histogram's invariants, live data. */
#include "config-auto.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"
#include "metrics.h"
#include "util.h"

static const char fixture_text[] =
	"# HELP orch_docker_up 1 when the last pass reached the Docker daemon.\n"
	"# TYPE orch_docker_up gauge\n"
	"orch_docker_up 1\n"
	"# HELP orch_view_stale 1 while Docker fails and the API serves the last good observation.\n"
	"# TYPE orch_view_stale gauge\n"
	"orch_view_stale 0\n"
	"# HELP orch_view_observed_timestamp_seconds When the observation the API serves was made (0: none yet).\n"
	"# TYPE orch_view_observed_timestamp_seconds gauge\n"
	"orch_view_observed_timestamp_seconds 0.000\n"
	"# HELP orch_config_loaded 1 when a valid config is in force.\n"
	"# TYPE orch_config_loaded gauge\n"
	"orch_config_loaded 1\n"
	"# HELP orch_docker_host_up 1 when the Docker host answered the latest pass, by host (config name).\n"
	"# TYPE orch_docker_host_up gauge\n"
	"# HELP orch_lease_holder 1 while this daemon holds the fleet's lease and acts; 0 standing by or unsure.\n"
	"# TYPE orch_lease_holder gauge\n"
	"orch_lease_holder 0\n"
	"# HELP orch_vpn_health_status 1 when the VPN is available (running and healthy), else 0.\n"
	"# TYPE orch_vpn_health_status gauge\n"
	"orch_vpn_health_status{vpn=\"gluetun1\"} 1\n"
	"orch_vpn_health_status{vpn=\"gluetun2\"} 0\n"
	"# HELP orch_vpn_forwarded_port Port forwarded by the VPN provider, 0 when none.\n"
	"# TYPE orch_vpn_forwarded_port gauge\n"
	"orch_vpn_forwarded_port{vpn=\"gluetun1\"} 45678\n"
	"orch_vpn_forwarded_port{vpn=\"gluetun2\"} 0\n"
	"# HELP orch_vpn_restarts_total Docker restarts of the VPN container issued by the orchestrator.\n"
	"# TYPE orch_vpn_restarts_total counter\n"
	"orch_vpn_restarts_total{vpn=\"gluetun1\"} 0\n"
	"orch_vpn_restarts_total{vpn=\"gluetun2\"} 2\n"
	"# HELP orch_engines_total Owned engine containers by VPN; state is visible (offered by GET /engines) or hidden.\n"
	"# TYPE orch_engines_total gauge\n"
	"orch_engines_total{vpn_container=\"gluetun1\",state=\"visible\"} 2\n"
	"orch_engines_total{vpn_container=\"gluetun1\",state=\"hidden\"} 0\n"
	"orch_engines_total{vpn_container=\"gluetun2\",state=\"visible\"} 0\n"
	"orch_engines_total{vpn_container=\"gluetun2\",state=\"hidden\"} 1\n"
	"# HELP orch_streams_active Active streams reported through POST /events, by VPN.\n"
	"# TYPE orch_streams_active gauge\n"
	"orch_streams_active{vpn_container=\"gluetun1\"} 1\n"
	"orch_streams_active{vpn_container=\"gluetun2\"} 0\n"
	"# HELP orch_reconcile_total Reconcile passes run.\n"
	"# TYPE orch_reconcile_total counter\n"
	"orch_reconcile_total 5\n"
	"# HELP orch_reconcile_duration_seconds Duration of reconcile passes (observe, plan, apply).\n"
	"# TYPE orch_reconcile_duration_seconds histogram\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.005\"} 2\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.01\"} 3\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.025\"} 3\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.05\"} 3\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.1\"} 3\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.25\"} 3\n"
	"orch_reconcile_duration_seconds_bucket{le=\"0.5\"} 4\n"
	"orch_reconcile_duration_seconds_bucket{le=\"1\"} 4\n"
	"orch_reconcile_duration_seconds_bucket{le=\"2.5\"} 4\n"
	"orch_reconcile_duration_seconds_bucket{le=\"10\"} 5\n"
	"orch_reconcile_duration_seconds_bucket{le=\"+Inf\"} 5\n"
	"orch_reconcile_duration_seconds_sum 3.25\n"
	"orch_reconcile_duration_seconds_count 5\n"
	"# HELP orch_actions_total Actions applied, by kind and result.\n"
	"# TYPE orch_actions_total counter\n"
	"orch_actions_total{action=\"create\",result=\"ok\"} 3\n"
	"orch_actions_total{action=\"create\",result=\"failed\"} 0\n"
	"orch_actions_total{action=\"create\",result=\"skipped\"} 0\n"
	"orch_actions_total{action=\"start\",result=\"ok\"} 0\n"
	"orch_actions_total{action=\"start\",result=\"failed\"} 0\n"
	"orch_actions_total{action=\"start\",result=\"skipped\"} 0\n"
	"orch_actions_total{action=\"restart\",result=\"ok\"} 0\n"
	"orch_actions_total{action=\"restart\",result=\"failed\"} 0\n"
	"orch_actions_total{action=\"restart\",result=\"skipped\"} 0\n"
	"orch_actions_total{action=\"remove\",result=\"ok\"} 0\n"
	"orch_actions_total{action=\"remove\",result=\"failed\"} 0\n"
	"orch_actions_total{action=\"remove\",result=\"skipped\"} 0\n"
	"orch_actions_total{action=\"recreate\",result=\"ok\"} 0\n"
	"orch_actions_total{action=\"recreate\",result=\"failed\"} 0\n"
	"orch_actions_total{action=\"recreate\",result=\"skipped\"} 0\n"
	"orch_actions_total{action=\"restart_vpn\",result=\"ok\"} 0\n"
	"orch_actions_total{action=\"restart_vpn\",result=\"failed\"} 1\n"
	"orch_actions_total{action=\"restart_vpn\",result=\"skipped\"} 0\n"
	"# HELP orch_config_reloads_total Config reloads, by result (a failure keeps the previous config).\n"
	"# TYPE orch_config_reloads_total counter\n"
	"orch_config_reloads_total{result=\"success\"} 1\n"
	"orch_config_reloads_total{result=\"failure\"} 1\n"
	"# HELP orch_config_last_reload_success_timestamp_seconds Unix time of the last successful config load.\n"
	"# TYPE orch_config_last_reload_success_timestamp_seconds gauge\n"
	"orch_config_last_reload_success_timestamp_seconds 1795320540.123\n"
	"# HELP orch_docker_requests_total Requests sent to the Docker Engine API (every call, events streams included).\n"
	"# TYPE orch_docker_requests_total counter\n"
	"orch_docker_requests_total 0\n"
	"# HELP orch_events_total Entries recorded in the recent history (GET /events).\n"
	"# TYPE orch_events_total counter\n"
	"orch_events_total 0\n"
	"# HELP orch_notify_sent_total Webhook messages delivered (2xx).\n"
	"# TYPE orch_notify_sent_total counter\n"
	"orch_notify_sent_total 0\n"
	"# HELP orch_notify_failed_attempts_total Webhook attempts that failed (error or non-2xx answer); each is retried with back-off unless it was dropped.\n"
	"# TYPE orch_notify_failed_attempts_total counter\n"
	"orch_notify_failed_attempts_total 0\n"
	"# HELP orch_notify_dropped_total Webhook messages never delivered: queue_full (the oldest made room), gave_up (out of attempts, or refused with a 4xx).\n"
	"# TYPE orch_notify_dropped_total counter\n"
	"orch_notify_dropped_total{reason=\"queue_full\"} 0\n"
	"orch_notify_dropped_total{reason=\"gave_up\"} 0\n"
	"# HELP orch_notify_queued Webhook messages waiting to be delivered.\n"
	"# TYPE orch_notify_queued gauge\n"
	"orch_notify_queued 0\n"
	"# HELP orch_streams_rejected_total stream_started events refused with 429, by the cap that refused them (streams.max_per_engine, streams.max_total).\n"
	"# TYPE orch_streams_rejected_total counter\n"
	"orch_streams_rejected_total{reason=\"max_per_engine\"} 0\n"
	"orch_streams_rejected_total{reason=\"max_total\"} 0\n"
	"# HELP orch_streams_expired_total Streams forgotten after streams.ttl without a stream_ended.\n"
	"# TYPE orch_streams_expired_total counter\n"
	"orch_streams_expired_total 0\n"
	"# HELP orch_provision_requests_total POST /provision/acestream answers: ok (an engine), blocked (refused at once), timeout (no idle engine within the wait).\n"
	"# TYPE orch_provision_requests_total counter\n"
	"orch_provision_requests_total{result=\"ok\"} 0\n"
	"orch_provision_requests_total{result=\"blocked\"} 0\n"
	"orch_provision_requests_total{result=\"timeout\"} 0\n"
	"# HELP orch_api_deadline_closes_total API connections shut down for not sending a whole request in time.\n"
	"# TYPE orch_api_deadline_closes_total counter\n"
	"orch_api_deadline_closes_total 0\n";

START_TEST(metrics_exact_text)
{
	struct snapshot *s = api_fixture_snapshot();
	char *got = metrics_render(s);
	ck_assert_str_eq(got, fixture_text);
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(metrics_label_escaping)
{
	char *e = metrics_escape_label("a\\b\"c\nd");
	ck_assert_str_eq(e, "a\\\\b\\\"c\\nd");
	free(e);
	struct snapshot *s = api_fixture_snapshot();
	free(s->vpns[0].name);
	s->vpns[0].name = xstrdup("we\"ird\\\n");
	char *got = metrics_render(s);
	ck_assert_ptr_nonnull(strstr(got, "orch_vpn_health_status{vpn=\"we\\\"ird\\\\\\n\"} 1\n"));
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(metrics_no_vpn_mode)
{
	struct snapshot *s = api_fixture_big(3, 0);
	s->docker_ok = false;
	char *got = metrics_render(s);
	ck_assert_ptr_nonnull(strstr(got, "orch_docker_up 0\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_engines_total{vpn_container=\"\",state=\"visible\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_streams_active{vpn_container=\"\"} 1\n"));
	/* Families stay declared with no series, so scrapers see stable metadata. */
	ck_assert_ptr_nonnull(strstr(got, "# TYPE orch_vpn_health_status gauge\n# HELP"));
	ck_assert_ptr_null(strstr(got, "orch_vpn_health_status{"));
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(metrics_undeclared_vpn_engines_counted)
{
	struct snapshot *s = api_fixture_snapshot();
	free(s->engines[2].vpn);
	s->engines[2].vpn = xstrdup("old-vpn");
	char *got = metrics_render(s);
	ck_assert_ptr_nonnull(strstr(got, "orch_engines_total{vpn_container=\"old-vpn\",state=\"hidden\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_engines_total{vpn_container=\"gluetun2\",state=\"hidden\"} 0\n"));
	free(got);
	snapshot_free(s);
}
END_TEST

START_TEST(metrics_every_family_has_help_and_type)
{
	struct snapshot *s = api_fixture_big(20, 2);
	char *got = metrics_render(s);
	/* Each sample's family must have been announced before it. */
	char *save = NULL;
	char *dup = xstrdup(got);
	char last_type[128] = "";
	for (char *line = strtok_r(dup, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sbuf_printf(last_type, sizeof last_type, "%.*s", (int)strcspn(line + 7, " "),
				    line + 7);
			continue;
		}
		if (line[0] == '#')
			continue;
		ck_assert_msg(last_type[0] && strncmp(line, last_type, strlen(last_type)) == 0,
			      "sample without its TYPE: %s", line);
	}
	free(dup);
	free(got);
	snapshot_free(s);
}
END_TEST

/* The registry's counts replace the snapshot's, and its counters show. */
START_TEST(metrics_live_streams_and_counters)
{
	struct snapshot *s = api_fixture_snapshot();
	struct streams reg;
	streams_init(&reg, -1);
	struct streams_limits lim = { 1, 0, 0 };
	streams_set_limits(&reg, &lim);
	struct stream_rec r = { .id = (char *)"a" };
	streams_start(&reg, FIXTURE_ID1, &r, 0, 0);
	r.id = (char *)"b";
	ck_assert_int_eq(streams_start(&reg, FIXTURE_ID1, &r, 0, 0), STREAMS_FULL_ENGINE);
	r.id = (char *)"c";
	streams_start(&reg, FIXTURE_ID2, &r, 0, 0);
	struct streams_view *v = streams_view_new(&reg, 0);
	struct metrics_live live = { v, 4, 2, 1, 300 };
	char *got = metrics_render_live(s, &live);
	/* Engine 0's snapshot count (1) is not in the registry: 1 on gluetun1. */
	ck_assert_ptr_nonnull(strstr(got, "orch_streams_active{vpn_container=\"gluetun1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_streams_active{vpn_container=\"gluetun2\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_streams_rejected_total{reason=\"max_per_engine\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_provision_requests_total{result=\"ok\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_provision_requests_total{result=\"timeout\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "orch_api_deadline_closes_total 300\n"));
	free(got);
	streams_view_free(v);
	streams_destroy(&reg);
	snapshot_free(s);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, metrics_exact_text);
	tcase_add_test(tc, metrics_label_escaping);
	tcase_add_test(tc, metrics_no_vpn_mode);
	tcase_add_test(tc, metrics_undeclared_vpn_engines_counted);
	tcase_add_test(tc, metrics_every_family_has_help_and_type);
	tcase_add_test(tc, metrics_live_streams_and_counters);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
