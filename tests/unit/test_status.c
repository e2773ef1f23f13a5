/* test_status.c - unit tests of the `status` renderer (status_print): the
 * daemon's answers are outside input, so odd numbers must print, not UB. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "util.h"

/* Renders vpn/engines/cfg bodies; returns the text (caller frees) or NULL
 * when status_print refused, with its message in err. */
static char *render(const char *vpn, const char *engines, const char *cfg, char *err,
		    size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	/* Exact-size heap copies, not NUL-terminated: an overread is an ASan crash. */
	char *v = vpn ? xmalloc(strlen(vpn) + 1) : NULL, *e = engines ? xmalloc(strlen(engines) + 1) : NULL;
	char *c = cfg ? xmalloc(strlen(cfg) + 1) : NULL;
	if (v)
		memcpy(v, vpn, strlen(vpn));
	if (e)
		memcpy(e, engines, strlen(engines));
	if (c)
		memcpy(c, cfg, strlen(cfg));
	int rc = status_print(out, v, v ? strlen(vpn) : 0, e, e ? strlen(engines) : 0, c,
			      c ? strlen(cfg) : 0, err, errlen);
	fclose(out);
	free(v);
	free(e);
	free(c);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

#define VPN_ONE(FIELDS) \
	"{\"mode\":\"single\",\"vpns\":[{\"name\":\"g1\",\"health\":\"healthy\"," \
	"\"connected\":true" FIELDS "}]}"
#define ENGINE_ONE(FIELDS) \
	"[{\"container_name\":\"acestream-19000\",\"host\":\"h\",\"vpn_container\":\"g1\"," \
	"\"visible\":true" FIELDS "}]"

/* Each value is one a JSON number can hold but an integer cannot: the
 * old renderer converted them with a plain cast (1e400 is infinity). */
static const struct {
	const char *num;
	const char *port_text;   /* how "port" prints */
	const char *fwd_text;    /* how "forwarded_port" prints */
} odd_numbers[] = {
	{ "1e400", "h:0 ", "forwarded port invalid," },
	{ "-1e400", "h:0 ", "forwarded port invalid," },
	{ "1e19", "h:0 ", "forwarded port invalid," },
	{ "-9223372036854775809", "h:0 ", "forwarded port invalid," },
	{ "9223372036854775808", "h:0 ", "forwarded port invalid," },
	{ "65536", "h:0 ", "forwarded port invalid," },
	{ "-1", "h:0 ", "forwarded port invalid," },
	{ "-0", "h:0 ", "forwarded port 0," },
	{ "1e-400", "h:0 ", "forwarded port 0," },
	{ "19000.9", "h:19000 ", "forwarded port 19000," },
	{ "65535", "h:65535 ", "forwarded port 65535," },
	{ "1E4", "h:10000 ", "forwarded port 10000," },
};

START_TEST(status_odd_numbers_print_without_ub)
{
	const char *n = odd_numbers[_i].num;
	char *vpn = xasprintf(VPN_ONE(",\"forwarded_port\":%s,\"engines\":%s,\"restarts\":%s"), n,
			      n, n);
	char *eng = xasprintf(ENGINE_ONE(",\"port\":%s,\"p2p_port\":%s,\"streams\":%s"), n, n, n);
	char err[128] = "";
	char *text = render(vpn, eng, NULL, err, sizeof err);
	ck_assert_msg(text, "%s: refused: %s", n, err);
	ck_assert_msg(strstr(text, odd_numbers[_i].port_text), "%s:\n%s", n, text);
	ck_assert_msg(strstr(text, odd_numbers[_i].fwd_text), "%s:\n%s", n, text);
	free(text);
	free(vpn);
	free(eng);
}
END_TEST

START_TEST(status_counts_out_of_range_print_zero)
{
	char err[128] = "";
	char *text = render(VPN_ONE(",\"engines\":1e400,\"restarts\":-3"),
			    ENGINE_ONE(",\"port\":19000,\"streams\":1e300"), NULL, err, sizeof err);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "engines 0, restarts 0\n") && strstr(text, "streams 0\n"),
		      "%s", text);
	free(text);
	text = render(VPN_ONE(",\"engines\":3,\"restarts\":2"),
		      ENGINE_ONE(",\"port\":19000,\"streams\":4"), NULL, err, sizeof err);
	ck_assert_msg(strstr(text, "engines 3, restarts 2\n") && strstr(text, "streams 4\n") &&
		      strstr(text, "forwarded port none,"), "%s", text);
	free(text);
}
END_TEST

START_TEST(status_refuses_wrong_shapes)
{
	char err[128] = "";
	ck_assert_ptr_null(render("[]", "[]", NULL, err, sizeof err));
	ck_assert_str_eq(err, "/vpn/status: not a JSON object");
	ck_assert_ptr_null(render("{}", "{}", NULL, err, sizeof err));
	ck_assert_str_eq(err, "/engines?all=1: not a JSON array");
	ck_assert_ptr_null(render("{\"mode\":", "[]", NULL, err, sizeof err));
	ck_assert_ptr_null(render(NULL, "[]", NULL, err, sizeof err));
	/* A config answer that is not an object is left out, not fatal. */
	char *text = render("{}", "[]", "[1]", err, sizeof err);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strstr(text, "config:"));
	free(text);
	text = render("{}", "[]", "{\"source\":\"f.yaml\"}", err, sizeof err);
	ck_assert_ptr_nonnull(strstr(text, "config: f.yaml (hash -, loaded never)\n"));
	free(text);
}
END_TEST

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("print");
	tcase_add_loop_test(tc, status_odd_numbers_print_without_ub, 0, (int)ARRAY_LEN(odd_numbers));
	tcase_add_test(tc, status_counts_out_of_range_print_zero);
	tcase_add_test(tc, status_refuses_wrong_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(status_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
