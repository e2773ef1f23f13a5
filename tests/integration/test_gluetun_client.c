/* test_gluetun_client.c - gluetun.c against the stand-in Gluetun container:
 * forwarded ports (new, old, legacy route), API key, public IP. Ports 293xx. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "gluetun.h"
#include "itest.h"
#include "util.h"

/* Runs a stand-in Gluetun with env args, returns its control-server URL. The
 * 293xx range is published so that parallel test files never collide. */
static char *run_gluetun(const char *suffix, const char *env, int range_port)
{
	char *name = xasprintf("%s-%s", itest_tag(), suffix);
	ck_assert_int_eq(itest_sh("docker run -d --name %s %s -p 127.0.0.1::8000 "
				  "-p 127.0.0.1:%d:%d %s ace-test/gluetun:latest >/dev/null",
				  name, itest_labels(), range_port, range_port, env), 0);
	int port = itest_published_port(name, 8000);
	ck_assert_int_gt(port, 0);
	char *url = xasprintf("http://127.0.0.1:%d", port);
	char *probe = xasprintf("%s/test/health", url);
	ck_assert_msg(itest_wait_http(probe, 10000), "%s never answered", name);
	free(probe);
	free(name);
	return url;
}

static void want_ports(struct gluetun *g, size_t n, const int *want)
{
	int *ports = NULL;
	size_t got = 99;
	char err[256] = "";
	enum gluetun_result r = gluetun_forwarded_ports(g, &ports, &got, err, sizeof(err));
	ck_assert_msg(r == GLUETUN_OK, "%s: %s", gluetun_result_str(r), err);
	ck_assert_uint_eq(got, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ports[i], want[i]);
	free(ports);
}

START_TEST(forwarded_port_read_changed_read_again)
{
	char *url = run_gluetun("pf", "-e FORWARDED_PORT=51000", 29300);
	struct gluetun *g = gluetun_new(url, NULL, 0);
	want_ports(g, 1, (int[]){ 51000 });
	char *put = xasprintf("%s/v1/portforward", url);
	ck_assert_int_eq(itest_http("PUT", put, "{\"ports\":[52000,52001]}", NULL, NULL), 200);
	want_ports(g, 2, (int[]){ 52000, 52001 });
	ck_assert_int_eq(itest_http("PUT", put, "{\"ports\":[]}", NULL, NULL), 200);
	want_ports(g, 0, NULL);
	char *ip = NULL, err[256];
	ck_assert_int_eq(gluetun_public_ip(g, &ip, err, sizeof(err)), GLUETUN_OK);
	ck_assert_str_eq(ip, "203.0.113.10");
	free(ip);
	gluetun_free(g);
	free(put);
	free(url);
}
END_TEST

START_TEST(api_key_required_and_checked)
{
	char *url = run_gluetun("key", "-e API_KEY=s3cret -e FORWARDED_PORT=51001", 29301);
	int *ports;
	size_t n;
	char err[256] = "";
	struct gluetun *none = gluetun_new(url, NULL, 0);
	ck_assert_int_eq(gluetun_forwarded_ports(none, &ports, &n, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, "unauthorized: set api_key_file"), "%s", err);
	char *ip = NULL;
	ck_assert_int_eq(gluetun_public_ip(none, &ip, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	gluetun_free(none);

	struct gluetun *wrong = gluetun_new(url, "nope", 0);
	ck_assert_int_eq(gluetun_forwarded_ports(wrong, &ports, &n, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	ck_assert_msg(strstr(err, "unauthorized") && strstr(err, "api key rejected"), "%s", err);
	ck_assert_msg(!strstr(err, "nope"), "the key leaked into a message: %s", err);
	gluetun_free(wrong);

	struct gluetun *right = gluetun_new(url, "s3cret", 0);
	want_ports(right, 1, (int[]){ 51001 });
	ck_assert_int_eq(gluetun_public_ip(right, &ip, err, sizeof(err)), GLUETUN_OK);
	free(ip);
	gluetun_free(right);
	free(url);
}
END_TEST

START_TEST(legacy_route_and_old_format)
{
	char *legacy = run_gluetun("legacy", "-e LEGACY=1 -e FORWARDED_PORT=51002", 29302);
	struct gluetun *g = gluetun_new(legacy, NULL, 0);
	want_ports(g, 1, (int[]){ 51002 });
	gluetun_free(g);
	char *old = run_gluetun("old", "-e OLD_FORMAT=1 -e FORWARDED_PORT=51003", 29303);
	g = gluetun_new(old, NULL, 0);
	want_ports(g, 1, (int[]){ 51003 });
	gluetun_free(g);
	char *zero = run_gluetun("zero", "-e LEGACY=1 -e FORWARDED_PORT=0", 29304);
	g = gluetun_new(zero, NULL, 0);
	want_ports(g, 0, NULL);
	gluetun_free(g);
	free(legacy);
	free(old);
	free(zero);
}
END_TEST

START_TEST(stopped_server_is_unreachable_quickly)
{
	char *url = run_gluetun("stop", "", 29305);
	ck_assert_int_eq(itest_sh("docker stop -t 1 %s-stop >/dev/null", itest_tag()), 0);
	struct gluetun *g = gluetun_new(url, NULL, 1000);
	int *ports;
	size_t n;
	char err[256] = "";
	int64_t t0 = now_mono_ms();
	ck_assert_int_eq(gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_int_lt(now_mono_ms() - t0, 2500); /* no retries inside */
	ck_assert(err[0]);
	gluetun_free(g);
	free(url);
}
END_TEST

int main(void)
{
	itest_init("gluetun");
	Suite *s = suite_create("gluetun_client");
	TCase *tc = tcase_create("real_daemon");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, forwarded_port_read_changed_read_again);
	tcase_add_test(tc, api_key_required_and_checked);
	tcase_add_test(tc, legacy_route_and_old_format);
	tcase_add_test(tc, stopped_server_is_unreachable_quickly);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	itest_cleanup();
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
