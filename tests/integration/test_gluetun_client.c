/* test_gluetun_client.c - gluetun.c against the stand-in Gluetun container:
 * every emulated release with and without auth, an internal VPN restart,
 * slow and hanging servers. Ports 293xx (first tests); the others publish
 * only the control port, on a port Docker picks. */
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
 * first tests publish one port of the 293xx range as a VPN would; range_port
 * 0 publishes none (a fixed port can be held by a TIME_WAIT: they lie in
 * Linux's ephemeral range, and the client needs only the control port). */
static char *run_gluetun(const char *suffix, const char *env, int range_port)
{
	char *name = xasprintf("%s-%s", itest_tag(), suffix);
	char *range = range_port ? xasprintf("-p 127.0.0.1:%d:%d", range_port, range_port) : xstrdup("");
	/* No Docker health check: the client never looks at it, and its events
	 * would crowd Docker's 256-event replay other tests read. */
	ck_assert_int_eq(itest_sh("docker run -d --no-healthcheck --name %s %s -p 127.0.0.1::8000 %s %s "
				  "ace-test/gluetun:latest >/dev/null",
				  name, itest_labels(), range, env), 0);
	free(range);
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
	/* None forwarded is an answer of its own, not an error. */
	ck_assert_msg(r == (n ? GLUETUN_OK : GLUETUN_NO_PORT), "%s: %s", gluetun_result_str(r), err);
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
	ck_assert_msg(strstr(err, "unauthorized") && strstr(err, "api_key_file"), "%s", err);
	char *ip = NULL;
	ck_assert_int_eq(gluetun_public_ip(none, &ip, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	gluetun_free(none);

	struct gluetun *wrong = gluetun_new(url, "nope", 0);
	ck_assert_int_eq(gluetun_forwarded_ports(wrong, &ports, &n, err, sizeof(err)), GLUETUN_UNAUTHORIZED);
	ck_assert_msg(strstr(err, "unauthorized") && strstr(err, "refused the X-API-Key"), "%s", err);
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


/* ---- every emulated release (tests/fixtures/README.md) ---- */

#define ROLE_NEW_IP "GET /v1/portforward,GET /v1/publicip/ip"
#define ROLE_OLD_IP "GET /v1/openvpn/portforwarded,GET /v1/publicip/ip"

static const struct release_case {
	const char *name; /* container suffix */
	const char *env;
	const char *key, *user, *pass;
	enum gluetun_result want;
	size_t n;
	int ports[2];
	const char *err_has[2];
	enum gluetun_result want_ip;
} rcases[] = {
	{ "v3390", "-e GLUETUN_VERSION=v3.39.0 -e FORWARDED_PORT=51010", NULL, NULL, NULL,
	  GLUETUN_OK, 1, { 51010 }, { NULL }, GLUETUN_OK },
	{ "v3390-key", "-e GLUETUN_VERSION=v3.39.0 -e FORWARDED_PORT=51010", "ignored", NULL, NULL,
	  GLUETUN_OK, 1, { 51010 }, { NULL }, GLUETUN_OK },
	{ "v340", "-e GLUETUN_VERSION=v3.40.0 -e FORWARDED_PORT=51011,51012", NULL, NULL, NULL,
	  GLUETUN_OK, 2, { 51011, 51012 }, { NULL }, GLUETUN_OK },
	{ "v340-key", "-e GLUETUN_VERSION=v3.40.0 -e FORWARDED_PORT=51011 -e 'AUTH_ROLES=apikey:k40|" ROLE_OLD_IP "'",
	  "k40", NULL, NULL, GLUETUN_OK, 1, { 51011 }, { NULL }, GLUETUN_OK },
	{ "v340-nokey", "-e GLUETUN_VERSION=v3.40.0 -e FORWARDED_PORT=51011 -e 'AUTH_ROLES=apikey:k40|" ROLE_OLD_IP "'",
	  NULL, NULL, NULL, GLUETUN_UNAUTHORIZED, 0, { 0 },
	  { "\"GET /v1/openvpn/portforwarded\"", "api_key_file" }, GLUETUN_UNAUTHORIZED },
	{ "v340-basic", "-e GLUETUN_VERSION=v3.40.1 -e FORWARDED_PORT=51011 -e 'AUTH_ROLES=basic:u40:p40|" ROLE_OLD_IP "'",
	  NULL, "u40", "p40", GLUETUN_OK, 1, { 51011 }, { NULL }, GLUETUN_OK },
	{ "v341-noconf", "-e GLUETUN_VERSION=v3.41.0 -e FORWARDED_PORT=51013", NULL, NULL, NULL,
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, { "\"GET /v1/portforward\"", "[[roles]]" }, GLUETUN_OK },
	{ "v341-key", "-e GLUETUN_VERSION=v3.41.0 -e FORWARDED_PORT=51013,51014 -e 'AUTH_ROLES=apikey:k41|" ROLE_NEW_IP "'",
	  "k41", NULL, NULL, GLUETUN_OK, 2, { 51013, 51014 }, { NULL }, GLUETUN_OK },
	{ "v341-v340role", "-e GLUETUN_VERSION=v3.41.1 -e FORWARDED_PORT=51013 -e 'AUTH_ROLES=apikey:k41|" ROLE_OLD_IP "'",
	  "k41", NULL, NULL, GLUETUN_UNAUTHORIZED, 0, { 0 },
	  { "refused the X-API-Key", "\"GET /v1/portforward\"" }, GLUETUN_OK },
	{ "v341-basic", "-e GLUETUN_VERSION=v3.41.0 -e FORWARDED_PORT=51013 -e 'AUTH_ROLES=basic:u41:p41|" ROLE_NEW_IP "'",
	  NULL, "u41", "p41", GLUETUN_OK, 1, { 51013 }, { NULL }, GLUETUN_OK },
	{ "v341-none", "-e GLUETUN_VERSION=v3.41.0 -e FORWARDED_PORT=51013 -e 'AUTH_ROLES=none|GET /v1/portforward'",
	  NULL, NULL, NULL, GLUETUN_OK, 1, { 51013 }, { NULL }, GLUETUN_UNAUTHORIZED },
	{ "latest-none", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015 -e 'AUTH_ROLES=none|" ROLE_NEW_IP "'",
	  NULL, NULL, NULL, GLUETUN_OK, 1, { 51015 }, { NULL }, GLUETUN_OK },
	{ "latest-key", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015 -e 'AUTH_ROLES=apikey:kl|" ROLE_NEW_IP "'",
	  "kl", NULL, NULL, GLUETUN_OK, 1, { 51015 }, { NULL }, GLUETUN_OK },
	{ "latest-basic", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015 -e 'AUTH_ROLES=basic:ul:pl|" ROLE_NEW_IP "'",
	  NULL, "ul", "pl", GLUETUN_OK, 1, { 51015 }, { NULL }, GLUETUN_OK },
	{ "latest-badpw", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015 -e 'AUTH_ROLES=basic:ul:pl|" ROLE_NEW_IP "'",
	  NULL, "ul", "wrongpw", GLUETUN_UNAUTHORIZED, 0, { 0 },
	  { "refused the basic credentials", "api_password_file" }, GLUETUN_UNAUTHORIZED },
	{ "latest-key-for-basic", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015 -e 'AUTH_ROLES=basic:ul:pl|" ROLE_NEW_IP "'",
	  "kl", NULL, NULL, GLUETUN_UNAUTHORIZED, 0, { 0 },
	  { "asks for basic auth", "api_username" }, GLUETUN_UNAUTHORIZED },
	{ "latest-noconf", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51015", "kl", NULL, NULL,
	  GLUETUN_UNAUTHORIZED, 0, { 0 }, { "\"GET /v1/portforward\"", NULL }, GLUETUN_UNAUTHORIZED },
};

START_TEST(every_release)
{
	const struct release_case *rc = &rcases[_i];
	char *url = run_gluetun(rc->name, rc->env, 0);
	struct gluetun *g = gluetun_new(url, rc->key, 0);
	gluetun_set_basic_auth(g, rc->user, rc->pass);
	int *ports = NULL;
	size_t n = 99;
	char err[512] = "";
	enum gluetun_result r = gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err));
	ck_assert_msg(r == rc->want, "%s: %s (%s), want %s", rc->name, gluetun_result_str(r), err,
		      gluetun_result_str(rc->want));
	ck_assert_uint_eq(n, rc->n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(ports[k], rc->ports[k]);
	for (size_t k = 0; k < ARRAY_LEN(rc->err_has) && rc->err_has[k]; k++)
		ck_assert_msg(strstr(err, rc->err_has[k]), "%s: '%s' not in: %s", rc->name, rc->err_has[k], err);
	if (rc->key)
		ck_assert_msg(!strstr(err, rc->key) || rc->want == GLUETUN_OK, "%s: key in message", rc->name);
	if (rc->pass)
		ck_assert_msg(!strstr(err, rc->pass), "%s: password in message", rc->name);
	free(ports);
	char *ip = NULL;
	r = gluetun_public_ip(g, &ip, err, sizeof(err));
	ck_assert_msg(r == rc->want_ip, "%s: public ip %s (%s)", rc->name, gluetun_result_str(r), err);
	if (r == GLUETUN_OK)
		ck_assert_str_eq(ip, "203.0.113.10");
	else
		ck_assert_msg(strstr(err, "\"GET /v1/publicip/ip\""), "%s: %s", rc->name, err);
	free(ip);
	gluetun_free(g);
	free(url);
}
END_TEST

static enum gluetun_result read_ports(struct gluetun *g, size_t *n, int *first)
{
	int *ports = NULL;
	char err[512] = "";
	enum gluetun_result r = gluetun_forwarded_ports(g, &ports, n, err, sizeof(err));
	*first = *n ? ports[0] : 0;
	free(ports);
	return r;
}

/* Gluetun's internal VPN restart on :latest: port 0 is "no port yet", an
 * answer, not an error; then a new port. Waits on states, not on time. */
START_TEST(internal_vpn_restart_reads_no_port_then_the_new_one)
{
	char *url = run_gluetun("restart", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51020 "
			       "-e 'AUTH_ROLES=apikey:kr|" ROLE_NEW_IP "'", 0);
	struct gluetun *g = gluetun_new(url, "kr", 0);
	size_t n;
	int p;
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_OK);
	ck_assert_int_eq(p, 51020);
	char *restart = xasprintf("%s/test/vpn-restart", url);
	ck_assert_int_eq(itest_http("PUT", restart, "{\"down_ms\":500,\"port\":51021,\"zero_ms\":1500}", NULL, NULL), 200);
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_NO_PORT);
	ck_assert_uint_eq(n, 0);
	int64_t deadline = now_mono_ms() + 10000;
	enum gluetun_result r;
	while ((r = read_ports(g, &n, &p)) == GLUETUN_NO_PORT && now_mono_ms() < deadline)
		itest_sleep_ms(100);
	ck_assert_int_eq(r, GLUETUN_OK);
	ck_assert_int_eq(p, 51021);
	free(restart);
	gluetun_free(g);
	free(url);
}
END_TEST

/* The fault modes the "fault" tests use: a slow answer within the budget
 * arrives, one past it and a hanging server are UNREACHABLE within the
 * budget; the test routes stay prompt. */
START_TEST(slow_and_hanging_control_server)
{
	char *url = run_gluetun("slow", "-e GLUETUN_VERSION=latest -e FORWARDED_PORT=51030 -e DELAY_MS=400 "
			       "-e 'AUTH_ROLES=none|GET /v1/portforward'", 0);
	struct gluetun *g = gluetun_new(url, NULL, 2000);
	size_t n;
	int p;
	int64_t t0 = now_mono_ms();
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_OK);
	ck_assert_int_ge(now_mono_ms() - t0, 380);
	ck_assert_int_eq(p, 51030);
	gluetun_free(g);
	g = gluetun_new(url, NULL, 200);
	t0 = now_mono_ms();
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_UNREACHABLE);
	ck_assert_int_lt(now_mono_ms() - t0, 1000);
	gluetun_free(g);

	char *fault = xasprintf("%s/test/fault", url);
	ck_assert_int_eq(itest_http("PUT", fault, "{\"delay_ms\":0,\"hang\":true}", NULL, NULL), 200);
	g = gluetun_new(url, NULL, 500);
	t0 = now_mono_ms();
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_UNREACHABLE);
	ck_assert_int_lt(now_mono_ms() - t0, 1500);
	gluetun_free(g);
	ck_assert_int_eq(itest_http("PUT", fault, "{\"hang\":false}", NULL, NULL), 200);
	g = gluetun_new(url, NULL, 2000);
	ck_assert_int_eq(read_ports(g, &n, &p), GLUETUN_OK);
	gluetun_free(g);
	free(fault);
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
	tcase_add_loop_test(tc, every_release, 0, (int)ARRAY_LEN(rcases));
	tcase_add_test(tc, internal_vpn_restart_reads_no_port_then_the_new_one);
	tcase_add_test(tc, slow_and_hanging_control_server);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	itest_cleanup();
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
