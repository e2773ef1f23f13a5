/* test_range.c - unit tests of src/range.c: port ranges, overlaps,
 * durations, sizes and templates, table-driven. */
#include "config-auto.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

static const struct {
	const char *in;
	int ok, lo, hi;
	const char *err;
} range_cases[] = {
	{ "19000-19999", 1, 19000, 19999, NULL },
	{ "100-100", 1, 100, 100, NULL },
	{ "100", 1, 100, 100, NULL },
	{ "1-65535", 1, 1, 65535, NULL },
	{ "19999-19000", 0, 0, 0, "invalid port range '19999-19000': 19999 is greater than 19000" },
	{ "0-10", 0, 0, 0, "invalid port range '0-10': ports must be between 1 and 65535" },
	{ "19000-70000", 0, 0, 0, "invalid port range '19000-70000': ports must be between 1 and 65535" },
	{ "70000", 0, 0, 0, "invalid port range '70000': ports must be between 1 and 65535" },
	{ "99999999999999999999-1", 0, 0, 0, "invalid port range '99999999999999999999-1': ports must be between 1 and 65535" },
	{ "a-b", 0, 0, 0, "invalid port range 'a-b' (expected LO-HI or N)" },
	{ "1-2-3", 0, 0, 0, "invalid port range '1-2-3' (expected LO-HI or N)" },
	{ "19000-", 0, 0, 0, "invalid port range '19000-' (expected LO-HI or N)" },
	{ "-19000", 0, 0, 0, "invalid port range '-19000' (expected LO-HI or N)" },
	{ " 1-2", 0, 0, 0, "invalid port range ' 1-2' (expected LO-HI or N)" },
	{ "", 0, 0, 0, "empty port range (expected LO-HI or N)" },
};

START_TEST(test_range_parse)
{
	struct port_range r = { 0, 0 };
	char err[128] = "";
	int rc = range_parse(range_cases[_i].in, &r, err, sizeof err);
	ck_assert_msg((rc == 0) == range_cases[_i].ok, "%s: rc %d", range_cases[_i].in, rc);
	if (range_cases[_i].ok) {
		ck_assert_int_eq(r.lo, range_cases[_i].lo);
		ck_assert_int_eq(r.hi, range_cases[_i].hi);
	} else {
		ck_assert_str_eq(err, range_cases[_i].err);
	}
}
END_TEST

START_TEST(test_range_overlap)
{
	struct port_range a = { 19000, 19499 }, b = { 19400, 19999 }, c = { 19500, 19999 }, s;
	ck_assert(range_overlap(a, b, &s));
	ck_assert_int_eq(s.lo, 19400);
	ck_assert_int_eq(s.hi, 19499);
	ck_assert(range_overlap(b, a, &s));
	ck_assert_int_eq(s.lo, 19400);
	ck_assert(!range_overlap(a, c, &s));
	ck_assert(range_overlap((struct port_range){ 5, 5 }, (struct port_range){ 1, 10 }, NULL));
	ck_assert(!range_overlap((struct port_range){ 11, 12 }, (struct port_range){ 1, 10 }, NULL));
	ck_assert_int_eq(range_size(a), 500);
	ck_assert(range_contains(a, 19000) && range_contains(a, 19499) && !range_contains(a, 19500));
	char buf[16];
	ck_assert_str_eq(range_fmt(a, buf, sizeof buf), "19000-19499");
	ck_assert_str_eq(range_fmt((struct port_range){ 7, 7 }, buf, sizeof buf), "7");
}
END_TEST

static const struct {
	const char *in;
	int ok;
	int64_t ms;
	const char *fmt; /* duration_fmt of ms */
} dur_cases[] = {
	{ "500ms", 1, 500, "500ms" },
	{ "5s", 1, 5000, "5s" },
	{ "2m", 1, 120000, "2m" },
	{ "1h", 1, 3600000, "1h" },
	{ "90", 1, 90000, "90s" },
	{ "0", 1, 0, "0s" },
	{ "60s", 1, 60000, "1m" },
	{ "1500ms", 1, 1500, "1500ms" },
	{ "-5s", 0, 0, NULL },
	{ "5x", 0, 0, NULL },
	{ "s", 0, 0, NULL },
	{ "", 0, 0, NULL },
	{ "5 s", 0, 0, NULL },
	{ "1m30s", 0, 0, NULL },
	{ "99999999999999999999s", 0, 0, NULL },
	{ "9000h", 0, 0, NULL },
};

START_TEST(test_duration)
{
	int64_t ms = -1;
	char err[128], buf[32];
	int rc = duration_parse(dur_cases[_i].in, &ms, err, sizeof err);
	ck_assert_msg((rc == 0) == dur_cases[_i].ok, "%s", dur_cases[_i].in);
	if (dur_cases[_i].ok) {
		ck_assert_int_eq(ms, dur_cases[_i].ms);
		ck_assert_str_eq(duration_fmt(ms, buf, sizeof buf), dur_cases[_i].fmt);
	} else {
		ck_assert_ptr_nonnull(strstr(err, dur_cases[_i].in));
	}
}
END_TEST

START_TEST(test_duration_messages)
{
	int64_t ms;
	char err[128];
	ck_assert_int_eq(duration_parse("-5s", &ms, err, sizeof err), -1);
	ck_assert_str_eq(err, "invalid duration '-5s': must not be negative");
	ck_assert_int_eq(duration_parse("5x", &ms, err, sizeof err), -1);
	ck_assert_str_eq(err, "invalid duration '5x' (expected e.g. 500ms, 5s, 2m, 1h)");
	ck_assert_int_eq(duration_parse("9000h", &ms, err, sizeof err), -1);
	ck_assert_str_eq(err, "duration '9000h' is too long (at most 366 days)");
}
END_TEST

static const struct {
	const char *in;
	int ok;
	int64_t bytes;
} size_cases[] = {
	{ "512m", 1, 512LL << 20 },
	{ "1g", 1, 1LL << 30 },
	{ "1G", 1, 1LL << 30 },
	{ "1024k", 1, 1LL << 20 },
	{ "1048576", 1, 1048576 },
	{ "100b", 1, 100 },
	{ "0", 1, 0 },
	{ "1024g", 1, 1LL << 40 },
	{ "1025g", 0, 0 },
	{ "-1g", 0, 0 },
	{ "1t", 0, 0 },
	{ "g", 0, 0 },
	{ "1.5g", 0, 0 },
	{ "", 0, 0 },
	{ "99999999999999999999999", 0, 0 },
};

START_TEST(test_size)
{
	int64_t b = -1;
	char err[128];
	int rc = size_parse(size_cases[_i].in, &b, err, sizeof err);
	ck_assert_msg((rc == 0) == size_cases[_i].ok, "%s", size_cases[_i].in);
	if (size_cases[_i].ok)
		ck_assert_int_eq(b, size_cases[_i].bytes);
}
END_TEST

static const struct {
	const char *in;
	const char *out; /* NULL: invalid */
	const char *err;
	size_t off;
} tmpl_cases[] = {
	{ "--http-port={http_port}", "--http-port=6878", NULL, 0 },
	{ "{https_port}/{p2p_port}", "6879/8621", NULL, 0 },
	{ "{name}@{vpn}:{forwarded}", "acestream-19000@gluetun:true", NULL, 0 },
	{ "plain", "plain", NULL, 0 },
	{ "", "", NULL, 0 },
	{ "{{literal}}", "{literal}", NULL, 0 },
	{ "{{{http_port}}}", "{6878}", NULL, 0 },
	{ "a{bogus}b", NULL, "unknown placeholder '{bogus}'", 1 },
	{ "x{HTTP_PORT}", NULL, "unknown placeholder '{HTTP_PORT}'", 1 },
	{ "{}", NULL, "unknown placeholder '{}'", 0 },
	{ "port {http_port", NULL, "unclosed '{' (write '{{' for a literal brace)", 5 },
	{ "a}b", NULL, "single '}' (write '}}' for a literal brace)", 1 },
};

START_TEST(test_tmpl)
{
	const struct tmpl_vars v = { 6878, 6879, 8621, "acestream-19000", "gluetun", true };
	char err[128] = "";
	size_t off = 99;
	int rc = tmpl_check(tmpl_cases[_i].in, err, sizeof err, &off);
	char *out = tmpl_expand(tmpl_cases[_i].in, &v);
	if (tmpl_cases[_i].out) {
		ck_assert_int_eq(rc, 0);
		ck_assert_ptr_nonnull(out);
		ck_assert_str_eq(out, tmpl_cases[_i].out);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(out);
		ck_assert_str_eq(err, tmpl_cases[_i].err);
		ck_assert_uint_eq(off, tmpl_cases[_i].off);
	}
	free(out);
}
END_TEST

START_TEST(test_tmpl_forwarded_false)
{
	const struct tmpl_vars v = { 1, 2, 3, NULL, NULL, false };
	char *out = tmpl_expand("{forwarded}|{name}|{vpn}", &v);
	ck_assert_str_eq(out, "false||");
	free(out);
}
END_TEST

static Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_range_parse, 0, sizeof range_cases / sizeof range_cases[0]);
	tcase_add_test(tc, test_range_overlap);
	tcase_add_loop_test(tc, test_duration, 0, sizeof dur_cases / sizeof dur_cases[0]);
	tcase_add_test(tc, test_duration_messages);
	tcase_add_loop_test(tc, test_size, 0, sizeof size_cases / sizeof size_cases[0]);
	tcase_add_loop_test(tc, test_tmpl, 0, sizeof tmpl_cases / sizeof tmpl_cases[0]);
	tcase_add_test(tc, test_tmpl_forwarded_false);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(range_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
