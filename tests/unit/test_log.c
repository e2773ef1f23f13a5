/* test_log.c - unit tests of log.c: logfmt quoting and escaping, level
 * names, JSON lines. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

START_TEST(logfmt_plain_and_quoted_values)
{
	const char *kv[] = { "vpn", "gluetun", "reason", "health check failed", "empty", "" };
	char *line = log_format_logfmt("T", LOG_WARN, "vpn unhealthy", kv, 6);
	ck_assert_str_eq(line, "ts=T level=warn msg=\"vpn unhealthy\" vpn=gluetun "
			       "reason=\"health check failed\" empty=\"\"");
	free(line);
}
END_TEST

START_TEST(logfmt_escapes_quotes_newlines_and_controls)
{
	const char *kv[] = { "err", "say \"hi\"\nback\\slash\x01" };
	char *line = log_format_logfmt("T", LOG_ERROR, "x", kv, 2);
	ck_assert_str_eq(line, "ts=T level=error msg=x err=\"say \\\"hi\\\"\\nback\\\\slash\\x01\"");
	free(line);
}
END_TEST

START_TEST(logfmt_equals_sign_is_quoted)
{
	const char *kv[] = { "q", "a=b" };
	char *line = log_format_logfmt("T", LOG_INFO, "m", kv, 2);
	ck_assert_str_eq(line, "ts=T level=info msg=m q=\"a=b\"");
	free(line);
}
END_TEST

START_TEST(level_names_round_trip)
{
	enum log_level l;
	ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
	ck_assert_int_eq(l, LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("warning", &l), 0);
	ck_assert_int_eq(l, LOG_WARN);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);
	ck_assert_str_eq(log_level_str(LOG_ERROR), "error");
}
END_TEST

START_TEST(log_kv_writes_logfmt_and_json_lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	log_setup(LOG_INFO, false, f);
	log_debug("hidden", "k", "v");
	log_info("engine created", "name", "acestream-19000", "port", LOG_INT(19000));
	log_setup(LOG_INFO, true, f);
	log_warn("json", "vpn", "g\"1");
	fclose(f);
	ck_assert_ptr_null(strstr(buf, "hidden"));
	ck_assert_ptr_nonnull(strstr(buf, "level=info msg=\"engine created\" name=acestream-19000 port=19000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\"level\":\"warn\",\"msg\":\"json\",\"vpn\":\"g\\\"1\"}"));
	free(buf);
	log_setup(LOG_INFO, false, NULL);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, logfmt_plain_and_quoted_values);
	tcase_add_test(tc, logfmt_escapes_quotes_newlines_and_controls);
	tcase_add_test(tc, logfmt_equals_sign_is_quoted);
	tcase_add_test(tc, level_names_round_trip);
	tcase_add_test(tc, log_kv_writes_logfmt_and_json_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
