/* test_import_env.c - unit tests of src/import_env_parse.c (the .env and
 * Compose environment reader) and src/import_env.c (the mapping). */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "import_env.h"
#include "util.h"

static char *print_diags(const struct diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diags_print(d, "t.env", f);
	fclose(f);
	return buf;
}

/* "KEY=VAL@LINE:COL;" for each variable, in file order. */
static char *parsed(const char *text, struct diags *d)
{
	struct import_env_vars v = { 0 };
	struct strbuf b = { 0 };
	import_env_parse(text, strlen(text), &v, d);
	strbuf_puts(&b, "");
	for (size_t i = 0; i < v.n; i++) {
		char *s = xasprintf("%s=%s@%d:%d%s;", v.v[i].key, v.v[i].val, v.v[i].pos.line,
				    v.v[i].pos.col, v.v[i].unexpanded ? "$" : "");
		strbuf_puts(&b, s);
		free(s);
	}
	import_env_vars_free(&v);
	return b.data;
}

static const struct {
	const char *name, *text, *want, *diags;
} parse_cases[] = {
	{ "plain", "A=1\nB=two words\n", "A=1@1:1;B=two words@2:1;", "" },
	{ "blanks_comments_export", "# c\n\n  export  A = x  # note\nexport=1\n",
	  "A=x@3:11;export=1@4:1;", "" },
	{ "crlf", "A=1\r\nB=2\r\n", "A=1@1:1;B=2@2:1;", "" },
	{ "hash_inside_word", "U=sqlite:///x.db#frag\nV=a #b\nW=#c\n",
	  "U=sqlite:///x.db#frag@1:1;V=a@2:1;W=@3:1;", "" },
	{ "double_quotes_escapes", "A=\"x\\ny\\t\\\"q\\\" \\\\ \\$ \\z\" # c\n",
	  "A=x\ny\t\"q\" \\ $ \\z@1:1;", "" },
	{ "double_quotes_span_lines", "A=\"one\ntwo\"\nB=3\n", "A=one\ntwo@1:1;B=3@3:1;", "" },
	{ "single_quotes_literal", "A='x\\n$B'\nB='a\nb'\nC=4\n",
	  "A=x\\n$B@1:1;B=a\nb@2:1;C=4@4:1;", "" },
	{ "empty_value", "A=\nB=\"\"\n", "A=@1:1;B=@2:1;", "" },
	{ "bom", "\xef\xbb\xbf" "A=1\n", "A=1@1:1;", "" },
	{ "compose_list", "environment:\n  - A=1\n  - \"B=two words\"\n  - 'C=it''s'\n  -  D=x # c\n",
	  "A=1@2:5;B=two words@3:6;C=it's@4:6;D=x@5:6;", "" },
	{ "compose_mapping", "environment:\n  A: 1\n  B: \"x\\ty\"\n  C: 'it''s'\n  D: plain # c\n",
	  "A=1@2:3;B=x\ty@3:3;C=it's@4:3;D=plain@5:3;", "" },
	{ "no_value", "A\nB: # nothing\n- C\n", "",
	  "t.env:1:1: warning: A has no value (Compose takes it from the shell's environment); "
	  "ignored\n"
	  "t.env:2:1: warning: B has no value (Compose takes it from the shell's environment); "
	  "ignored\n"
	  "t.env:3:3: warning: C has no value (Compose takes it from the shell's environment); "
	  "ignored\n" },
	{ "set_twice", "A=1\nB=2\nA=3\n", "A=3@3:1;B=2@2:1;",
	  "t.env:3:1: warning: A is set again (first at 1:1); the later value wins\n" },
	{ "interpolation", "A=${B}\nC=\"x$D\"\nE='$F'\nG=10$\n", "A=${B}@1:1$;C=x$D@2:1$;E=$F@3:1;G=10$@4:1;",
	  "t.env:1:1: warning: A: variables ($NAME, ${NAME}) are not expanded\n"
	  "t.env:2:1: warning: C: variables ($NAME, ${NAME}) are not expanded\n" },
	{ "bad_name", "1A=x\n-A=1\nB.C=2\nD=4\n", "D=4@4:1;",
	  "t.env:1:1: error: expected KEY=VALUE (a variable name: letters, digits and _)\n"
	  "t.env:2:1: error: expected KEY=VALUE (a variable name: letters, digits and _)\n"
	  "t.env:3:2: error: expected '=' after B\n" },
	{ "text_after_quote", "A=\"x\" y\nB=1\n", "B=1@2:1;",
	  "t.env:1:7: error: unexpected text after the closing quote\n" },
	{ "unterminated", "A=1\nB=\"never\nC=3\n", "A=1@1:1;",
	  "t.env:2:3: error: unterminated double-quoted value\n" },
	{ "bad_list_item", "- =x\n- 'A=1\n", "",
	  "t.env:1:3: error: expected KEY=VALUE in the list item\n"
	  "t.env:2:3: error: unterminated single-quoted value\n" },
};

START_TEST(test_parse)
{
	struct diags d = { 0 };
	char *got = parsed(parse_cases[_i].text, &d);
	char *msgs = print_diags(&d);
	ck_assert_msg(strcmp(got, parse_cases[_i].want) == 0, "%s: got %s", parse_cases[_i].name, got);
	ck_assert_msg(strcmp(msgs ? msgs : "", parse_cases[_i].diags) == 0, "%s: diags %s",
		      parse_cases[_i].name, msgs);
	free(got);
	free(msgs);
	diags_free(&d);
}
END_TEST

/* The YAML for text; asserts it loads as a config. */
static char *yaml_for(const char *text, struct diags *d, struct config **cfg)
{
	char *y = import_env(text, strlen(text), "t.env", d);
	struct diags cd = { 0 };
	struct config *c = config_load_buffer(y, strlen(y), "out.yaml", &cd);
	ck_assert_msg(c != NULL, "output does not load:\n%s", y);
	diags_free(&cd);
	if (cfg)
		*cfg = c;
	else
		config_free(c);
	return y;
}

START_TEST(test_empty_file_is_upstream_defaults)
{
	struct diags d = { 0 };
	struct config *c;
	char *y = yaml_for("", &d, &c);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(c->engine.image, "ghcr.io/krinkuto11/acestream-http-proxy:latest");
	ck_assert_int_eq(c->engine.preset, PRESET_KRINKUTO11);
	ck_assert_int_eq(c->replicas.min, 1);
	ck_assert_int_eq(c->replicas.max, 20);
	ck_assert_int_eq(c->replicas.min_free, 1);
	ck_assert_uint_eq(c->n_vpns, 0);
	ck_assert_int_eq(c->ports.lo, 19000);
	ck_assert_str_eq(c->api.listen, "0.0.0.0:8000");
	ck_assert_ptr_null(strstr(y, "Not mapped"));
	free(y);
	config_free(c);
	diags_free(&d);
}
END_TEST

/* Secrets and the values of unknown variables never reach the output. */
START_TEST(test_values_not_copied)
{
	struct diags d = { 0 };
	char *y = yaml_for("API_KEY=\"s3cr3t: 'x'\"\nOPENVPN_PASSWORD=hunter2\nWIREGUARD_KEY=abc==\n",
			   &d, NULL);
	ck_assert_ptr_null(strstr(y, "s3cr3t"));
	ck_assert_ptr_null(strstr(y, "hunter2"));
	ck_assert_ptr_null(strstr(y, "abc=="));
	ck_assert_ptr_nonnull(strstr(y, "  # api_key_file: /etc/ace-orchestrator/api_key\n"));
	ck_assert_ptr_nonnull(strstr(y, "#   OPENVPN_PASSWORD (line 2): not a setting of upstream "
					"v1; ignored\n"));
	free(y);
	diags_free(&d);
}
END_TEST

START_TEST(test_vpn_settings)
{
	struct diags d = { 0 };
	struct config *c;
	char *y = yaml_for("VPN_MODE=redundant\nGLUETUN_CONTAINER_NAME=a\nGLUETUN_CONTAINER_NAME_2=b\n"
			   "GLUETUN_PORT_RANGE_1=20000-20009\nGLUETUN_PORT_RANGE_2=20010-20019\n"
			   "GLUETUN_API_PORT=8001\nVPN_UNHEALTHY_RESTART_TIMEOUT_S=0\n"
			   "VPN_RESTART_ENGINES_ON_RECONNECT=yes\nGLUETUN_PORT_CACHE_TTL_S=15\n"
			   "PORT_RANGE_HOST=19000-19999\n", &d, &c);
	ck_assert_uint_eq(c->n_vpns, 2);
	ck_assert_str_eq(c->vpns[1].name, "b");
	ck_assert_int_eq(c->vpns[1].ports.lo, 20010);
	ck_assert_str_eq(c->vpns[1].api, "http://b:8001");
	/* Upstream: 0 restarted at once; here 0 would mean never. */
	ck_assert_int_eq(c->health.vpn_restart_after_ms, 1000);
	/* Upstream: anything but "true" is false. */
	ck_assert(!c->health.restart_engines_on_reconnect);
	ck_assert_int_eq(c->health.port_check_interval_ms, 15000);
	/* The VPN ranges are outside PORT_RANGE_HOST: no global range. */
	ck_assert(!c->has_ports);
	ck_assert_ptr_nonnull(strstr(y, "#   PORT_RANGE_HOST (line 10): the VPN ranges are not "
					"inside it\n"));
	ck_assert_uint_eq(d.n, 0);
	free(y);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_redundant_needs_two_names)
{
	struct diags d = { 0 };
	struct config *c;
	char *y = yaml_for("VPN_MODE=redundant\nGLUETUN_CONTAINER_NAME=a\nGLUETUN_CONTAINER_NAME_2=a\n",
			   &d, &c);
	ck_assert_uint_eq(c->n_vpns, 1);
	char *msgs = print_diags(&d);
	ck_assert_str_eq(msgs, "t.env:1:1: warning: VPN_MODE=redundant needs a "
			       "GLUETUN_CONTAINER_NAME_2 other than GLUETUN_CONTAINER_NAME; writing "
			       "one VPN\n");
	ck_assert_ptr_nonnull(strstr(y, "#   VPN_MODE (line 1): redundant without a distinct second VPN\n"));
	free(msgs);
	free(y);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_invalid_values_warn)
{
	struct diags d = { 0 };
	struct config *c;
	char *y = yaml_for("MIN_REPLICAS=-1\nMAX_REPLICAS=many\nENGINE_VARIANT=nano\n"
			   "ENGINE_MEMORY_LIMIT=1.5g\nPORT_RANGE_HOST=9-1\n", &d, &c);
	ck_assert_int_eq(c->replicas.min, 1);
	ck_assert_int_eq(c->replicas.max, 20);
	ck_assert_int_eq(c->engine.memory_limit, 0);
	ck_assert_uint_eq(diags_errors(&d), 0);
	char *msgs = print_diags(&d);
	ck_assert_str_eq(msgs,
		"t.env:1:1: warning: MIN_REPLICAS: '-1' is not an integer from 0 to 2147483647; "
		"not mapped\n"
		"t.env:2:1: warning: MAX_REPLICAS: 'many' is not an integer from 1 to 2147483647; "
		"not mapped\n"
		"t.env:3:1: warning: ENGINE_VARIANT: 'nano' is not one of krinkuto11-amd64, "
		"jopsis-amd64, jopsis-arm32, jopsis-arm64 (upstream's variants); not mapped\n"
		"t.env:4:1: warning: ENGINE_MEMORY_LIMIT: '1.5g' is not a size like 512m or 2g; "
		"not mapped\n"
		"t.env:5:1: warning: PORT_RANGE_HOST: '9-1' is not a port range LO-HI; not mapped\n");
	ck_assert_ptr_nonnull(strstr(y, "#   ENGINE_VARIANT (line 3): its value is invalid (see the "
					"warning)\n"));
	free(msgs);
	free(y);
	config_free(c);
	diags_free(&d);
}
END_TEST

/* What the written file gets wrong (the user's setup) is a warning. */
START_TEST(test_self_check)
{
	struct diags d = { 0 };
	const char *text = "GLUETUN_CONTAINER_NAME=g\nGLUETUN_API_PORT=19005\n";
	char *y = import_env(text, strlen(text), "t.env", &d);
	char *msgs = print_diags(&d);
	ck_assert_str_eq(msgs, "t.env: warning: the orchestrator.yaml written does not validate: "
			       "27:10: control-server port 19005 of vpn 'g' is inside its published "
			       "ports 19000-19999\n");
	ck_assert_uint_eq(diags_errors(&d), 0);
	free(msgs);
	free(y);
	diags_free(&d);
}
END_TEST

START_TEST(test_presets_from_variants)
{
	static const struct { const char *env, *image; enum engine_preset p; size_t n_cmd; } v[] = {
		{ "ENGINE_VARIANT=krinkuto11-amd64\n", "ghcr.io/krinkuto11/acestream-http-proxy:latest",
		  PRESET_KRINKUTO11, 0 },
		{ "ENGINE_VARIANT=jopsis-amd64\n", "jopsis/acestream:x64", PRESET_JOPSIS_AMD64, 0 },
		{ "ENGINE_VARIANT=jopsis-arm32\n", "jopsis/acestream:arm32-v3.2.13", PRESET_JOPSIS_ARM32, 16 },
		{ "ENGINE_VARIANT=jopsis-arm64\nENGINE_ARM64_VERSION=arm64-v9\n", "jopsis/acestream:arm64-v9",
		  PRESET_JOPSIS_ARM64, 16 },
		{ "TARGET_IMAGE=reg/acestream:1\n", "reg/acestream:1", PRESET_KRINKUTO11, 0 },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		struct diags d = { 0 };
		struct config *c;
		char *y = yaml_for(v[i].env, &d, &c);
		ck_assert_str_eq(c->engine.image, v[i].image);
		ck_assert_int_eq(c->engine.preset, v[i].p);
		ck_assert_uint_eq(c->engine.n_command, v[i].n_cmd);
		ck_assert_uint_eq(d.n, 0);
		free(y);
		config_free(c);
		diags_free(&d);
	}
}
END_TEST

/* Hostile input: output (that loads) or diagnostics, never a crash (ASan). */
static const char *const hostile[] = {
	"\"", "'", "A=\"\\", "- \"", "environment:\n  - ", "\n\n\n=\n", "A=\"\\\"", "\r", "-",
	"export", "export ", "A:", "- 'a''", "GLUETUN_CONTAINER_NAME=\"\"\nVPN_MODE=redundant\n",
	"VPN_MODE=redundant\nGLUETUN_CONTAINER_NAME=x\n", "PORT_RANGE_HOST=65535\nVPN_MODE=redundant\n"
	"GLUETUN_CONTAINER_NAME=a\nGLUETUN_CONTAINER_NAME_2=b\n", "CONTAINER_LABEL==x\n",
	"CONTAINER_LABEL=acestream.x=1\n", "DOCKER_HOST=ssh://x\n",
	/* "export" and blanks up to the end of the text: the key was read one
	 * byte past the buffer (found by fuzz_import_env). */
	"export  ", "S9\nexport  ", "export \t", "A=1\nexport   ",
};

START_TEST(test_hostile)
{
	struct diags d = { 0 };
	/* An exact-size heap copy with no NUL, as the fuzzer passes it: under
	 * ASan a read past the end is a crash, not a read of the terminator. */
	size_t n = strlen(hostile[_i]);
	char *text = xmalloc(n);
	memcpy(text, hostile[_i], n);
	char *y = import_env(text, n, "t.env", &d);
	ck_assert_ptr_nonnull(y);
	ck_assert_ptr_nonnull(strstr(y, "version: 1\n"));
	free(y);
	free(text);
	diags_free(&d);
}
END_TEST

static Suite *import_env_suite(void)
{
	Suite *s = suite_create("import_env");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_parse, 0, ARRAY_LEN(parse_cases));
	tcase_add_test(tc, test_empty_file_is_upstream_defaults);
	tcase_add_test(tc, test_values_not_copied);
	tcase_add_test(tc, test_vpn_settings);
	tcase_add_test(tc, test_redundant_needs_two_names);
	tcase_add_test(tc, test_invalid_values_warn);
	tcase_add_test(tc, test_self_check);
	tcase_add_test(tc, test_presets_from_variants);
	tcase_add_loop_test(tc, test_hostile, 0, ARRAY_LEN(hostile));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(import_env_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
