/* test_validate.c - one named case per validation rule of SPEC §3: load a
 * YAML string and compare the exact diagnostic lines. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

#define HEAD "version: 1\nengine:\n  image: img\n"
#define VPN1 "  - name: g1\n    ports: 19000-19499\n"

static const struct {
	const char *name;
	const char *yaml;
	const char *want; /* every line diags_print writes for "t.yaml" */
} cases[] = {
	{ "malformed_tab", "version: 1\nengine:\n\timage: x\n",
	  "t.yaml:3:1: error: invalid YAML: found character that cannot start any token (tabs "
	  "cannot be used for indentation), while scanning for the next token at 3:1\n" },
	{ "malformed_unclosed_quote", "version: 1\nengine:\n  image: \"x\n",
	  "t.yaml:4:1: error: invalid YAML: found unexpected end of stream, while scanning a "
	  "quoted scalar at 3:10\n" },
	{ "type_integer", HEAD "replicas:\n  max: ten\n",
	  "t.yaml:5:8: error: replicas.max: expected an integer, got a string\n" },
	{ "type_mapping", HEAD "health: 5s\n",
	  "t.yaml:4:9: error: health: expected a mapping, got a string\n" },
	{ "type_sequence", HEAD "vpns: g1\n",
	  "t.yaml:4:7: error: vpns: expected a sequence, got a string\n" },
	{ "type_boolean", HEAD "health:\n  restart_engines_on_reconnect: 1\n",
	  "t.yaml:5:33: error: health.restart_engines_on_reconnect: expected a boolean (true or "
	  "false), got an integer\n" },
	{ "type_string", HEAD "instance: [a]\n",
	  "t.yaml:4:11: error: instance: expected a string, got a sequence\n" },
	{ "unknown_key_hint", HEAD "vpns:\n" VPN1 "    max_engine: 3\n",
	  "t.yaml:7:5: error: unknown key 'max_engine' in vpns[0]; did you mean `max_engines`?\n" },
	{ "unknown_key_no_hint", HEAD "colour: blue\n",
	  "t.yaml:4:1: error: unknown key 'colour'\n" },
	{ "missing_version", "engine:\n  image: x\n",
	  "t.yaml:1:1: error: missing required key 'version'\n" },
	{ "missing_engine_image", "version: 1\nengine:\n  name_prefix: a\n",
	  "t.yaml:3:3: error: missing required key 'image' in engine\n" },
	{ "missing_vpn_name", HEAD "vpns:\n  - ports: 19000-19499\n",
	  "t.yaml:5:5: error: missing required key 'name' in vpns[0]\n" },
	{ "missing_vpn_ports", HEAD "vpns:\n  - name: g1\n",
	  "t.yaml:5:5: error: missing required key 'ports' in vpns[0]\n" },
	{ "version_not_1", "version: 3\nengine:\n  image: x\n",
	  "t.yaml:1:10: error: version: unsupported version 3 (only version 1 exists)\n" },
	{ "range_reversed", HEAD "vpns:\n  - name: g1\n    ports: 19999-19000\n",
	  "t.yaml:6:12: error: vpns[0].ports: invalid port range '19999-19000': 19999 is greater "
	  "than 19000\n" },
	{ "range_zero", HEAD "ports: 0-10\n",
	  "t.yaml:4:8: error: ports: invalid port range '0-10': ports must be between 1 and 65535\n" },
	{ "range_too_high", HEAD "ports: 19000-70000\n",
	  "t.yaml:4:8: error: ports: invalid port range '19000-70000': ports must be between 1 "
	  "and 65535\n" },
	{ "range_letters", HEAD "ports: a-b\n",
	  "t.yaml:4:8: error: ports: invalid port range 'a-b' (expected LO-HI or N)\n" },
	{ "range_three_parts", HEAD "ports: 1-2-3\n",
	  "t.yaml:4:8: error: ports: invalid port range '1-2-3' (expected LO-HI or N)\n" },
	{ "range_open", HEAD "ports: 19000-\n",
	  "t.yaml:4:8: error: ports: invalid port range '19000-' (expected LO-HI or N)\n" },
	{ "vpn_overlap", HEAD "vpns:\n" VPN1 "  - name: g2\n    ports: 19400-19999\n",
	  "t.yaml:8:12: error: ports 19400-19999 of vpn 'g2' overlap 19000-19499 of vpn 'g1' on "
	  "19400-19499\n" },
	{ "vpn_outside_global", HEAD "vpns:\n" VPN1 "ports: 19100-19999\n",
	  "t.yaml:6:12: error: ports 19000-19499 of vpn 'g1' are outside the global ports "
	  "19100-19999\n" },
	{ "max_engines_too_big", HEAD "vpns:\n  - name: g1\n    ports: 19000-19001\n    max_engines: 3\n",
	  "t.yaml:7:18: error: vpns[0].max_engines: 3 is more than the 2 ports of 19000-19001\n" },
	{ "max_engines_below_1", HEAD "vpns:\n" VPN1 "    max_engines: 0\n",
	  "t.yaml:7:18: error: vpns[0].max_engines: must be at least 1, got 0\n" },
	{ "replicas_min_gt_max", HEAD "replicas:\n  min: 4\n  max: 3\n  min_free: 0\n",
	  "t.yaml:5:8: error: replicas.min (4) is greater than replicas.max (3)\n" },
	{ "min_free_gt_max", HEAD "replicas:\n  min: 0\n  max: 1\n  min_free: 2\n",
	  "t.yaml:7:13: error: replicas.min_free (2) is greater than replicas.max (1)\n" },
	{ "negative_number", HEAD "replicas:\n  min: -1\n",
	  "t.yaml:5:8: error: replicas.min: must not be negative, got -1\n" },
	{ "duplicate_vpn_name", HEAD "vpns:\n" VPN1 "  - name: g1\n    ports: 19500-19999\n",
	  "t.yaml:7:11: error: duplicate vpn name 'g1' (first at 5:11)\n" },
	{ "vpn_name_not_docker", HEAD "vpns:\n  - name: g/1\n    ports: 19000-19499\n",
	  "t.yaml:5:11: error: vpns[0].name: 'g/1' is not a valid Docker container name "
	  "([a-zA-Z0-9][a-zA-Z0-9_.-]*)\n" },
	{ "https_overlaps_published", "version: 1\nengine:\n  image: x\n  https_port_base: 19400\n"
	  "vpns:\n" VPN1,
	  "t.yaml:4:20: error: https ports 19400-19899 of vpn 'g1' overlap its published ports "
	  "19000-19499 on 19400-19499\n" },
	{ "p2p_overlaps_https", "version: 1\nengine:\n  image: x\n  p2p_port_base: 45499\n"
	  "vpns:\n" VPN1,
	  "t.yaml:4:18: error: p2p ports 45499-45998 of vpn 'g1' overlap its https ports "
	  "45000-45499 on 45499\n" },
	{ "internal_hits_control_port", "version: 1\nengine:\n  image: x\n  p2p_port_base: 7900\n"
	  "vpns:\n" VPN1,
	  "t.yaml:4:18: error: p2p ports 7900-8399 of vpn 'g1' include its control-server port 8000\n" },
	{ "control_port_in_published", HEAD "vpns:\n" VPN1 "    api: http://g1:19001\n",
	  "t.yaml:7:10: error: control-server port 19001 of vpn 'g1' is inside its published "
	  "ports 19000-19499\n" },
	{ "template_unknown", HEAD "  env:\n    A: \"{http_prt}\"\n",
	  "t.yaml:5:8: error: engine.env.A: unknown placeholder '{http_prt}'\n" },
	{ "template_in_command", HEAD "  command: [\"{nme}\"]\n",
	  "t.yaml:4:13: error: engine.command[0]: unknown placeholder '{nme}'\n" },
	{ "api_key_file_unreadable", HEAD "api:\n  api_key_file: /nonexistent/key\n",
	  "t.yaml:5:17: error: api.api_key_file: cannot read '/nonexistent/key': No such file or "
	  "directory\n" },
	{ "bad_duration", HEAD "health:\n  port_check_interval: 10 s\n",
	  "t.yaml:5:24: error: health.port_check_interval: invalid duration '10 s' (expected e.g. "
	  "500ms, 5s, 2m, 1h)\n" },
	{ "bad_size", HEAD "  memory_limit: lots\n",
	  "t.yaml:4:17: error: engine.memory_limit: invalid size 'lots' (expected e.g. 512m, 1g, "
	  "1024k or bytes)\n" },
	{ "port_forwarding_enum", HEAD "vpns:\n" VPN1 "    port_forwarding: true\n",
	  "t.yaml:7:22: error: vpns[0].port_forwarding: must be auto, on or off, got 'true'\n" },
	{ "duplicate_key", HEAD "network: a\nnetwork: b\n",
	  "t.yaml:5:1: error: duplicate key 'network' (first at 4:1)\n" },
	{ "reserved_label", HEAD "  labels:\n    acestream.vpn_id: x\n",
	  "t.yaml:5:5: error: engine.labels: label 'acestream.vpn_id' is in the reserved "
	  "acestream.* namespace\n" },
	{ "alias_rejected", "version: 1\nengine:\n  image: &i x\nnetwork: *i\n",
	  "t.yaml:4:10: error: aliases are not supported (*i)\n" },
	{ "second_document", HEAD "---\nversion: 1\n",
	  "t.yaml:4:1: error: only one YAML document is allowed (found a second one)\n" },
	{ "engine_null_still_needs_image", "version: 1\nengine:\n",
	  "t.yaml:2:8: error: missing required key 'image' in engine\n" },
	{ "empty_string_rejected", HEAD "instance: \"\"\n",
	  "t.yaml:4:11: error: instance: must not be empty\n" },
	{ "docker_host_needs_scheme", HEAD "docker:\n  host: /run/docker.sock\n",
	  "t.yaml:5:9: error: docker.host: '/run/docker.sock' must start with unix://, tcp:// or "
	  "http://\n" },
	{ "api_listen_needs_port", HEAD "api:\n  listen: 127.0.0.1\n",
	  "t.yaml:5:11: error: api.listen: '127.0.0.1' is not HOST:PORT (e.g. 127.0.0.1:8000 or "
	  "[::1]:8000)\n" },
	{ "vpn_api_needs_url", HEAD "vpns:\n" VPN1 "    api: gluetun:8000\n",
	  "t.yaml:7:10: error: vpns[0].api: 'gluetun:8000' is not an http:// or https:// URL\n" },
	{ "all_errors_at_once", "version: 1\nengine:\n  image: x\n  stop_timeout: x\nreplicas:\n"
	  "  max: -2\nvpns:\n  - name: a b\n    ports: 5-1\n",
	  "t.yaml:4:17: error: engine.stop_timeout: invalid duration 'x' (expected e.g. 500ms, 5s, "
	  "2m, 1h)\n"
	  "t.yaml:6:8: error: replicas.max: must not be negative, got -2\n"
	  "t.yaml:8:11: error: vpns[0].name: 'a b' is not a valid Docker container name "
	  "([a-zA-Z0-9][a-zA-Z0-9_.-]*)\n"
	  "t.yaml:9:12: error: vpns[0].ports: invalid port range '5-1': 5 is greater than 1\n" },
};

START_TEST(test_rule)
{
	struct diags d = { 0 };
	char *out = NULL;
	size_t len = 0;
	struct config *c = config_load_buffer(cases[_i].yaml, strlen(cases[_i].yaml), "t.yaml", &d);
	FILE *f = open_memstream(&out, &len);
	diags_print(&d, "t.yaml", f);
	fclose(f);
	ck_assert_msg(c == NULL, "%s: accepted", cases[_i].name);
	ck_assert_msg(strcmp(out, cases[_i].want) == 0, "%s:\n got: %s want: %s", cases[_i].name,
		      out, cases[_i].want);
	free(out);
	diags_free(&d);
}
END_TEST

/* The only warning: the config is still accepted. */
START_TEST(test_warning_capacity)
{
	struct diags d = { 0 };
	const char *y = HEAD "replicas:\n  min: 5\nvpns:\n  - name: g1\n    ports: 19000-19001\n";
	struct config *c = config_load_buffer(y, strlen(y), "t.yaml", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.v[0].level, DIAG_WARNING);
	ck_assert_str_eq(d.v[0].msg, "replicas.min is 5 but the vpns can hold only 2 engines in "
				     "total (sum of max_engines)");
	ck_assert_int_eq(d.v[0].pos.line, 5);
	config_free(c);
	diags_free(&d);
}
END_TEST

/* The file name in an unreadable-key message is the path, never the key. */
START_TEST(test_secret_not_printed)
{
	struct diags d = { 0 };
	const char *y = HEAD "api:\n  api_key_file: " TESTDATADIR "/valid/secrets/api_key\n"
		"  listen: 1\n";
	struct config *c = config_load_buffer(y, strlen(y), "t.yaml", &d);
	ck_assert_ptr_null(c);
	for (size_t i = 0; i < d.n; i++)
		ck_assert_ptr_null(strstr(d.v[i].msg, "not-for-printing"));
	diags_free(&d);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_rule, 0, ARRAY_LEN(cases));
	tcase_add_test(tc, test_warning_capacity);
	tcase_add_test(tc, test_secret_not_printed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
