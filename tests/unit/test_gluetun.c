/* test_gluetun.c - unit tests of gluetun.c: the control-server decoders
 * (new and old formats, none, garbage) and errors from an absent server. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "gluetun.h"
#include "util.h"

static const struct {
	const char *json;
	int rc;
	size_t n;
	int ports[3];
} port_cases[] = {
	{ "{\"port\":51820,\"ports\":[51820]}", 0, 1, { 51820 } },       /* new */
	{ "{\"port\":51820}", 0, 1, { 51820 } },                         /* old */
	{ "{\"port\":0}", 0, 0, { 0 } },                                 /* none */
	{ "{\"port\":0,\"ports\":[]}", 0, 0, { 0 } },
	{ "{\"ports\":[]}", 0, 0, { 0 } },
	{ "{\"port\":1000,\"ports\":[2000,1000,3000]}", 0, 3, { 1000, 2000, 3000 } },
	{ "{\"port\":0,\"ports\":[2000,0,2000]}", 0, 1, { 2000 } },
	{ "{\"ports\":[65535]}", 0, 1, { 65535 } },
	{ "{\"port\":null}", 0, 0, { 0 } },
	{ "{\"port\":51820,\"ports\":null,\"extra\":true}", 0, 1, { 51820 } },
	{ "{\"port\":-1}", -1, 0, { 0 } },
	{ "{\"port\":65536}", -1, 0, { 0 } },
	{ "{\"port\":1.5}", -1, 0, { 0 } },
	{ "{\"port\":\"51820\"}", -1, 0, { 0 } },
	{ "{\"ports\":[1,\"x\"]}", -1, 0, { 0 } },
	{ "{\"ports\":5}", -1, 0, { 0 } },
	{ "{\"status\":\"ok\"}", -1, 0, { 0 } },
	{ "[51820]", -1, 0, { 0 } },
	{ "51820", -1, 0, { 0 } },
	{ "", -1, 0, { 0 } },
	{ "<html>401</html>", -1, 0, { 0 } },
	{ "{\"port\":51820", -1, 0, { 0 } },
	{ "{\"port\":1e999}", -1, 0, { 0 } },
};

START_TEST(parse_ports)
{
	int *ports = NULL;
	size_t n = 99;
	char err[128] = "";
	const char *j = port_cases[_i].json;
	int rc = gluetun_parse_ports(j, strlen(j), &ports, &n, err, sizeof(err));
	ck_assert_msg(rc == port_cases[_i].rc, "%s: rc %d", j, rc);
	ck_assert_uint_eq(n, port_cases[_i].n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(ports[k], port_cases[_i].ports[k]);
	if (rc < 0) {
		ck_assert_ptr_null(ports);
		ck_assert_msg(err[0], "no message for %s", j);
	}
	if (n == 0)
		ck_assert_ptr_null(ports);
	free(ports);
}
END_TEST

static const struct {
	const char *json;
	const char *ip; /* NULL: error */
} ip_cases[] = {
	{ "{\"public_ip\":\"203.0.113.10\",\"region\":\"Test\",\"country\":\"Testland\"}", "203.0.113.10" },
	{ "{\"public_ip\":\"\"}", "" },
	{ "{\"public_ip\":\"2001:db8::1\"}", "2001:db8::1" },
	{ "{\"public_ip\":null}", NULL },
	{ "{\"ip\":\"1.2.3.4\"}", NULL },
	{ "[]", NULL },
	{ "garbage", NULL },
};

START_TEST(parse_public_ip)
{
	char *ip = NULL;
	char err[128] = "";
	const char *j = ip_cases[_i].json;
	int rc = gluetun_parse_public_ip(j, strlen(j), &ip, err, sizeof(err));
	if (ip_cases[_i].ip) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(ip, ip_cases[_i].ip);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(ip);
		ck_assert(err[0]);
	}
	free(ip);
}
END_TEST

START_TEST(result_names)
{
	ck_assert_str_eq(gluetun_result_str(GLUETUN_OK), "ok");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_UNAUTHORIZED), "unauthorized");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_UNREACHABLE), "unreachable");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_BAD_RESPONSE), "bad_response");
	ck_assert_str_eq(gluetun_result_str(GLUETUN_HTTP_ERROR), "http_error");
}
END_TEST

START_TEST(unreachable_server)
{
	struct gluetun *g = gluetun_new("http://127.0.0.1:1/", "k", 500);
	int *ports;
	size_t n;
	char err[256] = "";
	ck_assert_int_eq(gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ports);
	ck_assert_msg(strstr(err, "127.0.0.1:1/v1/portforward"), "%s", err);
	char *ip;
	ck_assert_int_eq(gluetun_public_ip(g, &ip, err, sizeof(err)), GLUETUN_UNREACHABLE);
	ck_assert_ptr_null(ip);
	gluetun_free(g);
}
END_TEST

static Suite *gluetun_suite(void)
{
	Suite *s = suite_create("gluetun");
	TCase *tc = tcase_create("decoders");
	tcase_add_loop_test(tc, parse_ports, 0, (int)ARRAY_LEN(port_cases));
	tcase_add_loop_test(tc, parse_public_ip, 0, (int)ARRAY_LEN(ip_cases));
	tcase_add_test(tc, result_names);
	tcase_add_test(tc, unreachable_server);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	docker_global_init();
	SRunner *sr = srunner_create(gluetun_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
