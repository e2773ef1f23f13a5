/* test_config.c - unit tests of src/config.c and src/config_dump.c: defaults,
 * positions, loading, diagnostics printing, dump and the engine hash. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

#define IMAGE "ghcr.io/krinkuto11/acestream-http-proxy:latest"

static struct config *load(const char *yaml, struct diags *d)
{
	return config_load_buffer(yaml, strlen(yaml), "t.yaml", d);
}

/* Everything diags_print writes, as one string. */
static char *print_diags(const struct diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diags_print(d, "t.yaml", f);
	fclose(f);
	return buf;
}

static char *dump(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_dump(c, f);
	fclose(f);
	return buf;
}

START_TEST(test_defaults_no_vpn)
{
	struct diags d = { 0 };
	unsetenv("DOCKER_HOST");
	struct config *c = load("version: 1\nengine:\n  image: " IMAGE "\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(c->version, 1);
	ck_assert_str_eq(c->source, "t.yaml");
	ck_assert_str_eq(c->instance, "default");
	ck_assert_str_eq(c->docker_host, "unix:///var/run/docker.sock");
	ck_assert_str_eq(c->engine.image, IMAGE);
	ck_assert_str_eq(c->engine.name_prefix, "acestream");
	ck_assert_int_eq(c->engine.https_port_base, 45000);
	ck_assert_int_eq(c->engine.p2p_port_base, 50000);
	ck_assert_uint_eq(c->engine.n_env, 2);
	ck_assert_str_eq(c->engine.env[0].key, "CONF");
	ck_assert_str_eq(c->engine.env[0].val,
			 "--http-port={http_port}\n--https-port={https_port}\n--bind-all");
	ck_assert_str_eq(c->engine.env[1].key, "P2P_PORT");
	ck_assert_str_eq(c->engine.env[1].val, "{p2p_port}");
	ck_assert_uint_eq(c->engine.n_command, 0);
	ck_assert_uint_eq(c->engine.n_labels, 0);
	ck_assert_int_eq(c->engine.memory_limit, 0);
	ck_assert_str_eq(c->engine.health_path, "/server/api?api_version=3&method=get_status");
	ck_assert_int_eq(c->engine.health_interval_ms, 10000);
	ck_assert_int_eq(c->engine.health_failures, 3);
	ck_assert_int_eq(c->engine.stop_timeout_ms, 10000);
	ck_assert_int_eq(c->replicas.min, 2);
	ck_assert_int_eq(c->replicas.max, 20);
	ck_assert_int_eq(c->replicas.min_free, 1);
	ck_assert_uint_eq(c->n_vpns, 0);
	ck_assert(c->has_ports);
	ck_assert_int_eq(c->ports.lo, 19000);
	ck_assert_int_eq(c->ports.hi, 19999);
	ck_assert_int_eq(c->ports_pos.line, 0);
	ck_assert_str_eq(c->network, "bridge");
	ck_assert_int_eq(c->health.vpn_check_interval_ms, 5000);
	ck_assert_int_eq(c->health.port_check_interval_ms, 10000);
	ck_assert_int_eq(c->health.vpn_restart_after_ms, 60000);
	ck_assert_int_eq(c->health.vpn_restart_backoff_max_ms, 600000);
	ck_assert(c->health.restart_engines_on_reconnect);
	ck_assert_str_eq(c->api.listen, "127.0.0.1:8000");
	ck_assert_ptr_null(c->api.api_key_file);
	ck_assert_ptr_null(c->api.api_key);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_defaults_vpn)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\nengine:\n  image: x\nvpns:\n"
				"  - name: gluetun\n    ports: 19000-19499\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->n_vpns, 1);
	ck_assert_str_eq(c->vpns[0].name, "gluetun");
	ck_assert_int_eq(c->vpns[0].max_engines, 500);
	ck_assert_str_eq(c->vpns[0].host, "gluetun");
	ck_assert_str_eq(c->vpns[0].api, "http://gluetun:8000");
	ck_assert_ptr_null(c->vpns[0].api_key_file);
	ck_assert_int_eq(c->vpns[0].port_forwarding, PF_AUTO);
	/* No global range is invented when VPNs bring their own. */
	ck_assert(!c->has_ports);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_docker_host_env)
{
	struct diags d = { 0 };
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	struct config *c = load("version: 1\nengine:\n  image: x\n", &d);
	ck_assert_str_eq(c->docker_host, "tcp://127.0.0.1:2375");
	config_free(c);
	/* The file wins over the environment. */
	c = load("version: 1\ndocker:\n  host: unix:///run/d.sock\nengine:\n  image: x\n", &d);
	ck_assert_str_eq(c->docker_host, "unix:///run/d.sock");
	config_free(c);
	unsetenv("DOCKER_HOST");
	diags_free(&d);
}
END_TEST

START_TEST(test_positions)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\n"
				"engine:\n"
				"  image: x\n"
				"  https_port_base: 46000\n"
				"  env:\n"
				"    A: \"{http_port}\"\n"
				"  command: [--x, \"{vpn}\"]\n"
				"replicas:\n"
				"  min: 1\n"
				"vpns:\n"
				"  - name: g1\n"
				"    ports: 19000-19009\n"
				"    max_engines: 3\n"
				"    api: http://g1:8000\n"
				"ports: \"19000-19999\"\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->engine.image_pos.line, 3);
	ck_assert_int_eq(c->engine.image_pos.col, 10);
	ck_assert_int_eq(c->engine.https_port_base_pos.line, 4);
	ck_assert_int_eq(c->engine.https_port_base_pos.col, 20);
	ck_assert_int_eq(c->engine.p2p_port_base_pos.line, 0);
	ck_assert_uint_eq(c->engine.n_env, 1);
	ck_assert_int_eq(c->engine.env[0].pos.line, 6);
	ck_assert_int_eq(c->engine.env[0].pos.col, 8);
	ck_assert_uint_eq(c->engine.n_command, 2);
	ck_assert_int_eq(c->engine.command[1].pos.line, 7);
	ck_assert_int_eq(c->engine.command[1].pos.col, 18);
	ck_assert_int_eq(c->replicas.min_pos.line, 9);
	ck_assert_int_eq(c->replicas.max_pos.line, 0);
	ck_assert_int_eq(c->vpns[0].name_pos.line, 11);
	ck_assert_int_eq(c->vpns[0].name_pos.col, 11);
	ck_assert_int_eq(c->vpns[0].ports_pos.line, 12);
	ck_assert_int_eq(c->vpns[0].ports_pos.col, 12);
	ck_assert_int_eq(c->vpns[0].max_engines_pos.line, 13);
	ck_assert_int_eq(c->vpns[0].api_pos.line, 14);
	ck_assert_int_eq(c->ports_pos.line, 15);
	ck_assert_int_eq(c->ports_pos.col, 8);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_api_key_loaded)
{
	struct diags d = { 0 };
	struct config *c = config_load_file(TESTDATADIR "/valid/full.yaml", &d);
	ck_assert_ptr_nonnull(c);
	/* Relative paths are read from the config file's directory; the
	 * trailing newline (and spaces) of the file are not part of the key. */
	ck_assert_str_eq(c->vpns[0].api_key, "s3cret-gluetun-key");
	ck_assert_str_eq(c->api.api_key, "api-key-not-for-printing");
	char *out = dump(c);
	ck_assert_ptr_null(strstr(out, "s3cret"));
	ck_assert_ptr_null(strstr(out, "not-for-printing"));
	ck_assert_ptr_nonnull(strstr(out, "    api_key_file: \"./secrets/gluetun_key\"\n"
					  "    api_key: <redacted>\n"));
	free(out);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_load_file_missing)
{
	struct diags d = { 0 };
	struct config *c = config_load_file("/nonexistent/orchestrator.yaml", &d);
	ck_assert_ptr_null(c);
	char *out = print_diags(&d);
	ck_assert_str_eq(out, "t.yaml: error: cannot read /nonexistent/orchestrator.yaml: "
			      "No such file or directory\n");
	free(out);
	diags_free(&d);
}
END_TEST

START_TEST(test_diags_sorted)
{
	struct diags d = { 0 };
	diags_add(&d, DIAG_ERROR, (struct src_pos){ 9, 2 }, "late");
	diags_add(&d, DIAG_WARNING, (struct src_pos){ 3, 7 }, "warn %d", 1);
	diags_add(&d, DIAG_ERROR, (struct src_pos){ 3, 5 }, "early");
	diags_add(&d, DIAG_ERROR, (struct src_pos){ 3, 5 }, "same place, second");
	ck_assert_uint_eq(diags_errors(&d), 3);
	char *out = print_diags(&d);
	ck_assert_str_eq(out, "t.yaml:3:5: error: early\n"
			      "t.yaml:3:5: error: same place, second\n"
			      "t.yaml:3:7: warning: warn 1\n"
			      "t.yaml:9:2: error: late\n");
	free(out);
	diags_free(&d);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_dump_minimal_golden)
{
	struct diags d = { 0 };
	unsetenv("DOCKER_HOST");
	struct config *c = config_load_file(TESTDATADIR "/valid/minimal.yaml", &d);
	ck_assert_ptr_nonnull(c);
	char *out = dump(c);
	char *want = read_file(TESTDATADIR "/valid/minimal.ok", 1 << 20, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_str_eq(out, want);
	/* The dump is itself a valid config that dumps the same way. */
	struct config *again = load(out, &d);
	ck_assert_ptr_nonnull(again);
	char *out2 = dump(again);
	ck_assert_str_eq(out2, out);
	free(out);
	free(out2);
	free(want);
	config_free(again);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_dump_quoting)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\nengine:\n  image: x\n  env:\n"
				"    A: 'say \"hi\"\\n'\n    B: \"yes\"\n    C: \"8\"\n    D: plain-text\n", &d);
	ck_assert_ptr_nonnull(c);
	char *out = dump(c);
	ck_assert_ptr_nonnull(strstr(out, "  env:\n    A: \"say \\\"hi\\\"\\\\n\"\n    B: \"yes\"\n"
					  "    C: \"8\"\n    D: plain-text\n"));
	free(out);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_engine_hash)
{
	struct diags d = { 0 };
	char h1[17], h2[17], h3[17], h4[17];
	struct config *c = load("version: 1\nengine:\n  image: a\n  env: {X: 1, Y: 2}\n", &d);
	config_engine_hash(c, h1);
	ck_assert_uint_eq(strlen(h1), 16);
	ck_assert_uint_eq(strspn(h1, "0123456789abcdef"), 16);
	/* Pinned: the hash must not change between runs or releases without
	 * a reason, or every engine of every user would be replaced. */
	ck_assert_str_eq(h1, "5b5015578bb9f64b");
	config_free(c);
	/* Reordering env and changing what does not shape the container. */
	c = load("version: 1\nengine:\n  image: a\n  env: {Y: 2, X: 1}\n"
		 "replicas: {min: 5}\nhealth: {vpn_check_interval: 1s}\n", &d);
	config_engine_hash(c, h2);
	ck_assert_str_eq(h1, h2);
	config_free(c);
	c = load("version: 1\nengine:\n  image: b\n  env: {X: 1, Y: 2}\n", &d);
	config_engine_hash(c, h3);
	ck_assert_str_ne(h1, h3);
	config_free(c);
	c = load("version: 1\nengine:\n  image: a\n  env: {X: 1, Y: 2}\n  memory_limit: 1g\n", &d);
	config_engine_hash(c, h4);
	ck_assert_str_ne(h1, h4);
	config_free(c);
	ck_assert_uint_eq(d.n, 0);
	diags_free(&d);
}
END_TEST

START_TEST(test_misc)
{
	ck_assert(str_startswith(config_default_path(), SYSCONFDIR));
	const char *p = config_default_path();
	const char *tail = "/ace-orchestrator/orchestrator.yaml";
	ck_assert_str_eq(p + strlen(p) - strlen(tail), tail);
	ck_assert_str_eq(pf_mode_str(PF_AUTO), "auto");
	ck_assert_str_eq(pf_mode_str(PF_ON), "on");
	ck_assert_str_eq(pf_mode_str(PF_OFF), "off");
	config_free(NULL);
	diags_free(NULL);
}
END_TEST

/* Hostile or broken input: an error, never a crash or a leak (ASan). */
static const char *const broken[] = {
	"", "\t", "[", "{a: [1, 2}", "- a\n- b\n", "\"unclosed", "a: &x [*x]\n",
	"version: 1\nversion: 1\n", "? [a]\n: b\n", "version: !!str 1\n",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
	"version: 1\nengine: {image: x}\nvpns: [{name: a, ports: 1-1}, 7, [], {}]\n",
	"version: 1\nengine:\n  image: x\n  env: {A: [1], B: ~, C: *u}\n",
	"\xff\xfe\x00",
};

START_TEST(test_broken_input)
{
	struct diags d = { 0 };
	const char *s = broken[_i];
	size_t len = _i == ARRAY_LEN(broken) - 1 ? 3 : strlen(s);
	struct config *c = config_load_buffer(s, len, "t.yaml", &d);
	ck_assert_ptr_null(c);
	ck_assert_uint_ge(diags_errors(&d), 1);
	diags_free(&d);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_defaults_no_vpn);
	tcase_add_test(tc, test_defaults_vpn);
	tcase_add_test(tc, test_docker_host_env);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_api_key_loaded);
	tcase_add_test(tc, test_load_file_missing);
	tcase_add_test(tc, test_diags_sorted);
	tcase_add_test(tc, test_dump_minimal_golden);
	tcase_add_test(tc, test_dump_quoting);
	tcase_add_test(tc, test_engine_hash);
	tcase_add_test(tc, test_misc);
	tcase_add_loop_test(tc, test_broken_input, 0, ARRAY_LEN(broken));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
