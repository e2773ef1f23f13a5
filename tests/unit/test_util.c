/* test_util.c - unit tests of util.c: integer parsing, RFC 3339 times as
 * Docker writes them, constant-time secret comparison. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

START_TEST(parse_int_accepts_whole_numbers_in_bounds)
{
	long long v;
	ck_assert(parse_int("42", 0, 100, &v));
	ck_assert_int_eq(v, 42);
	ck_assert(parse_int("-3", -5, 5, &v));
	ck_assert_int_eq(v, -3);
	ck_assert(!parse_int("101", 0, 100, &v));
	ck_assert(!parse_int("4x", 0, 100, &v));
	ck_assert(!parse_int("", 0, 100, &v));
	ck_assert(!parse_int(" 4", 0, 100, &v));
	ck_assert(!parse_int("99999999999999999999999", 0, 100, &v));
}
END_TEST

static const struct {
	const char *in;
	int64_t ms;
} rfc3339_cases[] = {
	{ "1970-01-01T00:00:00Z", 0 + 0 },
	{ "2026-11-22T04:09:00Z", 1795320540000LL },
	{ "2026-11-22T04:09:00.123456789Z", 1795320540123LL },
	{ "2026-11-22T05:09:00+01:00", 1795320540000LL },
	{ "2026-11-22T04:09:00.5Z", 1795320540500LL },
	{ "0001-01-01T00:00:00Z", 0 },
	{ "garbage", -1 },
	{ "2026-13-01T00:00:00Z", -1 },
	{ "2026-11-22T04:09:00", -1 },
	{ "2026-11-22T04:09:00Zjunk", -1 },
	/* Offsets: both signs, minutes, and the shapes that once read past
	 * the string ("+1:2" made the old parser skip 6 bytes). */
	{ "2026-11-22T04:09:00+1:2", -1 },
	{ "2026-11-22T04:09:00+", -1 },
	{ "2026-11-22T04:09:00-", -1 },
	{ "2026-11-22T04:09:00+01", -1 },
	{ "2026-11-22T04:09:00+01:", -1 },
	{ "2026-11-22T04:09:00+01:0", -1 },
	{ "2026-11-22T04:09:00+0100", -1 },
	{ "2026-11-22T04:09:00+01:000", -1 },
	{ "2026-11-22T04:09:00+24:00", -1 },
	{ "2026-11-22T04:09:00+01:60", -1 },
	{ "2026-11-22T04:09:00+-1:00", -1 },
	{ "2026-11-22T04:09:00+00:00", 1795320540000LL },
	{ "2026-11-22T04:09:00-00:00", 1795320540000LL },
	{ "2026-11-21T22:39:00-05:30", 1795320540000LL },
	{ "2026-11-22T09:54:00+05:45", 1795320540000LL },
	{ "2026-11-22T04:09:00.999999999+01:00", 1795316940999LL },
	{ "2026-11-22T04:09:00z", 1795320540000LL },
	{ "2026-11-22t04:09:00Z", 1795320540000LL },
	/* Fractions: any length, truncated to the millisecond. */
	{ "2026-11-22T04:09:00.Z", -1 },
	{ "2026-11-22T04:09:00.", -1 },
	{ "2026-11-22T04:09:00.1Z", 1795320540100LL },
	{ "2026-11-22T04:09:00.12Z", 1795320540120LL },
	{ "2026-11-22T04:09:00.0009Z", 1795320540000LL },
	{ "2026-11-22T04:09:00.1234567890123456789012345678901234567890Z", 1795320540123LL },
	{ "2026-11-22T04:09:00.-1Z", -1 },
	{ "2026-11-22T04:09:00,5Z", -1 },
	/* Calendar: leap years, month ends, the leap second, the edges. */
	{ "2024-02-29T00:00:00Z", 1709164800000LL },
	{ "2026-02-29T00:00:00Z", -1 },
	{ "2026-02-30T00:00:00Z", -1 },
	{ "2026-04-31T00:00:00Z", -1 },
	{ "2000-02-29T12:00:00Z", 951825600000LL },
	{ "1900-02-29T00:00:00Z", -1 },
	{ "2016-12-31T23:59:60Z", 1483228800000LL },
	{ "2026-11-22T04:09:61Z", -1 },
	{ "2026-11-22T24:00:00Z", -1 },
	{ "2026-11-22T04:60:00Z", -1 },
	{ "2026-00-10T00:00:00Z", -1 },
	{ "2026-11-00T00:00:00Z", -1 },
	{ "2026-11-32T00:00:00Z", -1 },
	{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "1970-01-01T01:00:00+01:00", 0 },
	{ "1970-01-01T00:00:00.001Z", 1 },
	{ "0001-01-01T00:00:00.000000000Z", 0 },
	{ "0000-01-01T00:00:00Z", 0 },
	/* Shapes strptime or sscanf would have let through. */
	{ "", -1 },
	{ "2", -1 },
	{ "2026", -1 },
	{ "2026-11-22", -1 },
	{ "2026-11-22T", -1 },
	{ "2026-11-22T04", -1 },
	{ "2026-11-22T04:09", -1 },
	{ "2026-11-22T04:09:0", -1 },
	{ "2026-11-22T04:09:00 ", -1 },
	{ " 2026-11-22T04:09:00Z", -1 },
	{ "2026-1-22T04:09:00Z", -1 },
	{ "2026-11-2T04:09:00Z", -1 },
	{ "2026-11-22T4:09:00Z", -1 },
	{ "2026-11-22T04:9:00Z", -1 },
	{ "+2026-11-22T04:09:00Z", -1 },
	{ "-026-11-22T04:09:00Z", -1 },
	{ "20266-11-22T04:09:00Z", -1 },
	{ "2026-+1-22T04:09:00Z", -1 },
	{ "2026-11-22 04:09:00Z", -1 },
	{ "2026/11/22T04:09:00Z", -1 },
	{ "2026-11-22T04:09:00ZZ", -1 },
	{ "2026-11-22T04:09:00\xff", -1 },
};

START_TEST(rfc3339_docker_timestamps)
{
	/* An exact-size heap copy: under ASan a read past the NUL is a crash. */
	char *in = strdup(rfc3339_cases[_i].in);
	int64_t got = parse_rfc3339_ms(in);
	ck_assert_msg(got == rfc3339_cases[_i].ms, "%s -> %lld, want %lld", in,
		      (long long)got, (long long)rfc3339_cases[_i].ms);
	free(in);
}
END_TEST

START_TEST(secret_eq_compares_whole_secret)
{
	ck_assert(secret_eq("s3cret", "s3cret"));
	ck_assert(!secret_eq("s3cret", "s3cres"));
	ck_assert(!secret_eq("s3cre", "s3cret"));
	ck_assert(!secret_eq("s3crett", "s3cret"));
	ck_assert(!secret_eq("", "x"));
	ck_assert(secret_eq("", ""));
}
END_TEST

START_TEST(xasprintf_and_grow)
{
	char *s = xasprintf("%s-%d", "acestream", 19000);
	ck_assert_str_eq(s, "acestream-19000");
	free(s);
	int *v = NULL;
	size_t cap = 0;
	for (int i = 0; i < 100; i++) {
		grow(&v, &cap, (size_t)i + 1, sizeof *v);
		v[i] = i;
	}
	ck_assert_int_ge((int)cap, 100);
	ck_assert_int_eq(v[99], 99);
	free(v);
}
END_TEST

START_TEST(strbuf_grows_and_stays_terminated)
{
	struct strbuf b = { 0 };
	for (int i = 0; i < 1000; i++)
		strbuf_add(&b, "ab", 2);
	ck_assert_uint_eq(b.len, 2000);
	ck_assert_uint_eq(strlen(b.data), 2000);
	strbuf_reset(&b);
	ck_assert_str_eq(b.data, "");
	strbuf_puts(&b, "x=");
	strbuf_add(&b, "1\0junk", 1);
	ck_assert_str_eq(b.data, "x=1");
	strbuf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(fnv1a64_known_vectors_and_continuation)
{
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "a", 1), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "foobar", 6), 0x85944171f73967e8ULL);
	/* Hashing in pieces equals hashing the whole. */
	ck_assert_uint_eq(fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3),
			  fnv1a64(FNV1A64_INIT, "foobar", 6));
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_int_accepts_whole_numbers_in_bounds);
	tcase_add_loop_test(tc, rfc3339_docker_timestamps, 0, (int)ARRAY_LEN(rfc3339_cases));
	tcase_add_test(tc, secret_eq_compares_whole_secret);
	tcase_add_test(tc, xasprintf_and_grow);
	tcase_add_test(tc, strbuf_grows_and_stays_terminated);
	tcase_add_test(tc, fnv1a64_known_vectors_and_continuation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
