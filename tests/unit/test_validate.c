/* test_validate.c - one named case per validation rule of SPEC §3: load a
 * YAML string and compare the exact diagnostic lines. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#define HEAD "version: 1\nengine:\n  image: img\n"
#define VPN1 "  - name: g1\n    ports: 19000-19499\n"
/* A readable 0600 key file in the current directory (see main): a checked
 * out file would get the warning for keys readable by others. */
#define SECRET "test_validate.secret"

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
	{ "preset_unknown", HEAD "  preset: jopsis\n",
	  "t.yaml:4:11: error: engine.preset: unknown preset 'jopsis' (one of krinkuto11, "
	  "jopsis-amd64, jopsis-arm32, jopsis-arm64, custom)\n" },
	{ "env_name_with_equals", HEAD "  env:\n    \"A=B\": x\n",
	  "t.yaml:5:5: error: engine.env: 'A=B' is not a variable name (empty or with '=')\n" },
	{ "env_value_not_scalar", HEAD "  env:\n    A: [1]\n",
	  "t.yaml:5:8: error: engine.env.A: expected a string (or ~ to remove it), got a sequence\n" },
	{ "resync_interval_negative", HEAD "docker:\n  resync_interval: -5\n",
	  "t.yaml:5:20: error: docker.resync_interval: invalid duration '-5': must not be negative\n" },
	{ "failover_after_bad", HEAD "health:\n  failover_after: 15 s\n",
	  "t.yaml:5:19: error: health.failover_after: invalid duration '15 s' (expected e.g. 500ms, "
	  "5s, 2m, 1h)\n" },
	{ "recover_after_type", HEAD "health:\n  recover_after: [1]\n",
	  "t.yaml:5:18: error: health.recover_after: expected a string or an integer, got a "
	  "sequence\n" },
	{ "stale_grace_bad", HEAD "api:\n  stale_grace: forever\n",
	  "t.yaml:5:16: error: api.stale_grace: invalid duration 'forever' (expected e.g. 500ms, "
	  "5s, 2m, 1h)\n" },
	{ "per_ip_limit_zero", HEAD "api:\n  per_ip_limit: 0\n",
	  "t.yaml:5:17: error: api.per_ip_limit: must be at least 1, got 0\n" },
	{ "streams_max_per_engine_zero", HEAD "streams:\n  max_per_engine: 0\n",
	  "t.yaml:5:19: error: streams.max_per_engine: must be at least 1, got 0\n" },
	{ "streams_max_total_string", HEAD "streams:\n  max_total: lots\n",
	  "t.yaml:5:14: error: streams.max_total: expected an integer, got a string\n" },
	{ "streams_ttl_bad", HEAD "streams:\n  ttl: 1d\n",
	  "t.yaml:5:8: error: streams.ttl: invalid duration '1d' (expected e.g. 500ms, 5s, 2m, 1h)\n" },
	{ "streams_unknown_key", HEAD "streams:\n  max: 3\n",
	  "t.yaml:5:3: error: unknown key 'max' in streams\n" },
	{ "vpn_basic_needs_password", HEAD "vpns:\n" VPN1 "    api_username: u\n",
	  "t.yaml:7:19: error: vpns[0].api_username: needs api_password_file (Gluetun basic auth "
	  "takes both)\n" },
	{ "vpn_basic_needs_username", HEAD "vpns:\n" VPN1 "    api_password_file: " SECRET "\n",
	  "t.yaml:7:24: error: vpns[0].api_password_file: needs api_username (Gluetun basic auth "
	  "takes both)\n" },
	{ "vpn_auth_exclusive", HEAD "vpns:\n" VPN1 "    api_key_file: " SECRET "\n"
	  "    api_username: u\n    api_password_file: " SECRET "\n",
	  "t.yaml:8:19: error: vpns[0]: api_key_file and api_username/api_password_file are "
	  "exclusive (a Gluetun role has one auth method: apikey or basic)\n" },
	{ "vpn_username_colon", HEAD "vpns:\n" VPN1 "    api_username: \"a:b\"\n"
	  "    api_password_file: " SECRET "\n",
	  "t.yaml:7:19: error: vpns[0].api_username: must not contain ':' or a line break\n" },
	{ "vpn_password_unreadable", HEAD "vpns:\n" VPN1 "    api_username: u\n"
	  "    api_password_file: /nonexistent/pw\n",
	  "t.yaml:8:24: error: vpns[0].api_password_file: cannot read '/nonexistent/pw': No such "
	  "file or directory\n" },
	{ "notify_not_sequence", HEAD "notify: https://ntfy.sh/x\n",
	  "t.yaml:4:9: error: notify: expected a sequence, got a string\n" },
	{ "notify_item_not_mapping", HEAD "notify:\n  - https://ntfy.sh/x\n",
	  "t.yaml:5:5: error: notify[0]: expected a mapping, got a string\n" },
	{ "notify_url_missing", HEAD "notify:\n  - format: text\n",
	  "t.yaml:5:5: error: missing required key 'url' in notify[0]\n" },
	/* The message does not repeat the URL: it may hold a token. */
	{ "notify_url_not_http", HEAD "notify:\n  - url: \"ntfy.sh/secret-topic\"\n",
	  "t.yaml:5:10: error: notify[0].url: not an http:// or https:// URL with a host\n" },
	{ "notify_url_no_host", HEAD "notify:\n  - url: https:///x\n",
	  "t.yaml:5:10: error: notify[0].url: not an http:// or https:// URL with a host\n" },
	{ "notify_event_unknown", HEAD "notify:\n  - url: https://h/x\n    events: [vpn_dwn, boom]\n",
	  "t.yaml:6:14: error: notify[0].events[0]: unknown event 'vpn_dwn'; did you mean "
	  "`vpn_down`?\n"
	  "t.yaml:6:23: error: notify[0].events[1]: unknown event 'boom' (one of vpn_down, vpn_up, "
	  "port_changed, action_failed, config_error)\n" },
	{ "notify_events_empty", HEAD "notify:\n  - url: https://h/x\n    events: []\n",
	  "t.yaml:6:13: error: notify[0].events: an empty list sends nothing; leave the key out for "
	  "every event\n" },
	{ "notify_events_not_list", HEAD "notify:\n  - url: https://h/x\n    events: vpn_down\n",
	  "t.yaml:6:13: error: notify[0].events: expected a sequence of event names, got a string\n" },
	{ "notify_format_unknown", HEAD "notify:\n  - url: https://h/x\n    format: discrod\n",
	  "t.yaml:6:13: error: notify[0].format: unknown format 'discrod'; did you mean "
	  "`discord`?\n" },
	{ "notify_secret_unreadable", HEAD "notify:\n  - url: https://h/x\n"
	  "    secret_file: /nonexistent/hmac\n",
	  "t.yaml:6:18: error: notify[0].secret_file: cannot read '/nonexistent/hmac': No such file "
	  "or directory\n" },
	{ "notify_unknown_key", HEAD "notify:\n  - url: https://h/x\n    event: [vpn_up]\n",
	  "t.yaml:6:5: error: unknown key 'event' in notify[0]; did you mean `events`?\n" },
	/* Docker hosts (issue 11). */
	{ "docker_host_unknown_hint", HEAD "docker_hosts:\n  edge: {host: \"unix:///e.sock\"}\n"
	  "vpns:\n  - {name: g1, ports: 19000-19009, docker: egde}\n",
	  "t.yaml:5:3: warning: docker_hosts.edge: no vpn uses it (its leftover engines are still "
	  "removed)\n"
	  "t.yaml:7:44: error: vpns[0].docker: unknown docker host 'egde'; did you mean `edge`?\n" },
	{ "docker_host_unknown", HEAD "vpns:\n  - {name: g1, ports: 19000-19009, docker: far}\n",
	  "t.yaml:5:44: error: vpns[0].docker: unknown docker host 'far' (declare it under "
	  "docker_hosts, or use `default`)\n" },
	{ "docker_host_default_reserved", HEAD "docker_hosts:\n  default: {host: \"tcp://h:1\"}\n",
	  "t.yaml:5:3: error: docker_hosts: 'default' is the name of the top-level docker; give this "
	  "host another name\n" },
	{ "docker_host_needs_address", HEAD "docker_hosts:\n  b: {}\n",
	  "t.yaml:5:3: warning: docker_hosts: without vpns every engine runs on the default docker "
	  "host\n"
	  "t.yaml:5:6: error: missing required key 'host' in docker_hosts.b\n" },
	{ "docker_tls_on_unix", HEAD "docker:\n  host: unix:///d.sock\n  tls: {ca: a, cert: b, key: c}\n",
	  "t.yaml:6:8: error: docker.tls: tls needs a tcp:// host, not 'unix:///d.sock' (a unix "
	  "socket is protected by its file mode)\n" },
	{ "docker_tls_unreadable", HEAD "docker:\n  host: tcp://h:2376\n  tls: {ca: /nonexistent/ca.pem,"
	  " cert: /nonexistent/cert.pem, key: /nonexistent/key.pem}\n",
	  "t.yaml:6:13: error: docker.tls.ca: cannot read '/nonexistent/ca.pem': No such file or "
	  "directory\n"
	  "t.yaml:6:40: error: docker.tls.cert: cannot read '/nonexistent/cert.pem': No such file or "
	  "directory\n"
	  "t.yaml:6:68: error: docker.tls.key: cannot read '/nonexistent/key.pem': No such file or "
	  "directory\n" },
	{ "docker_tls_not_pem", HEAD "docker:\n  host: tcp://h:2376\n  tls:\n    ca: " TESTDATADIR
	  "/valid/secrets/api_key\n    cert: " TESTDATADIR "/valid/secrets/docker-b/cert.pem\n"
	  "    key: /nonexistent/key.pem\n",
	  "t.yaml:7:9: error: docker.tls.ca: '" TESTDATADIR "/valid/secrets/api_key' is not a PEM "
	  "file (no -----BEGIN line)\n"
	  "t.yaml:9:10: error: docker.tls.key: cannot read '/nonexistent/key.pem': No such file or "
	  "directory\n" },
	{ "docker_tls_incomplete", HEAD "docker:\n  host: tcp://h:2376\n  tls: {ca: x}\n",
	  "t.yaml:6:8: error: missing required key 'cert' in docker.tls\n"
	  "t.yaml:6:8: error: missing required key 'key' in docker.tls\n"
	  "t.yaml:6:13: error: docker.tls.ca: cannot read 'x': No such file or directory\n" },
	{ "docker_same_daemon", HEAD "docker:\n  host: tcp://10.0.0.1:2375\ndocker_hosts:\n"
	  "  b: {host: \"http://10.0.0.1:2375\"}\n",
	  "t.yaml:5:9: warning: docker: host 'tcp://10.0.0.1:2375' is plain tcp without tls: anyone "
	  "who can reach it controls that Docker host\n"
	  "t.yaml:7:3: warning: docker_hosts: without vpns every engine runs on the default docker "
	  "host\n"
	  "t.yaml:7:13: warning: docker_hosts.b: host 'http://10.0.0.1:2375' is plain tcp without "
	  "tls: anyone who can reach it controls that Docker host\n"
	  "t.yaml:7:13: error: docker_hosts.b: 'http://10.0.0.1:2375' is the same daemon as docker "
	  "host 'default'; name each Docker host once\n" },
	{ "docker_name_clash_one_host", HEAD "vpns:\n  - {name: g1, ports: 19000-19009}\n"
	  "  - {name: acestream-19004, ports: 19010-19019}\n",
	  "t.yaml:6:12: error: vpn name 'acestream-19004' is also the name of the engine for port "
	  "19004 of vpn 'g1' on docker host 'default': one of the two containers could not be "
	  "created\n" },
	{ "docker_lease_ttl_short", HEAD "docker:\n  lease_ttl: 2s\n",
	  "t.yaml:5:14: error: docker.lease_ttl: must be at least 3s (it is renewed every third of "
	  "it)\n" },
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

/* A temporary key file of the given mode; returns its path (free it). */
static char *key_file(mode_t mode)
{
	char *path = xstrdup("/tmp/test_validate_key.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "k3y\n", 4), 4);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Warning: a secret readable by group or others (the config is accepted). */
START_TEST(test_warning_secret_mode)
{
	static const struct { mode_t mode; const char *who; } cases_mode[] = {
		{ 0600, NULL }, { 0400, NULL }, { 0640, "group" }, { 0604, "others" },
		{ 0644, "group and others" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases_mode); i++) {
		struct diags d = { 0 };
		char *path = key_file(cases_mode[i].mode);
		char *y = xasprintf(HEAD "vpns:\n" VPN1 "    api_username: u\n"
				    "    api_password_file: %s\n", path);
		struct config *c = config_load_buffer(y, strlen(y), "t.yaml", &d);
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->vpns[0].api_password, "k3y");
		if (!cases_mode[i].who) {
			ck_assert_uint_eq(d.n, 0);
		} else {
			char *want = xasprintf("vpns[0].api_password_file: '%s' is readable by %s "
					       "(mode %04o); chmod 600 it", path, cases_mode[i].who,
					       (unsigned)cases_mode[i].mode);
			ck_assert_uint_eq(d.n, 1);
			ck_assert_int_eq(d.v[0].level, DIAG_WARNING);
			ck_assert_int_eq(d.v[0].pos.line, 8);
			ck_assert_str_eq(d.v[0].msg, want);
			free(want);
		}
		config_free(c);
		diags_free(&d);
		unlink(path);
		free(path);
		free(y);
	}
}
END_TEST

/* Warning: POST endpoints open (no api.api_key_file) on a non-loopback
 * address; loopback addresses and a key file silence it. */
START_TEST(test_warning_post_open)
{
	static const struct { const char *listen; bool warn; } cases_listen[] = {
		{ "0.0.0.0:8000", true }, { "\"[::]:8000\"", true }, { "192.168.1.2:80", true },
		{ "myhost:8000", true }, { "127.0.0.1:8000", false }, { "127.1.2.3:9", false },
		{ "\"[::1]:8000\"", false }, { "localhost:8000", false }, { "127.0.0.1.nip.io:80", true },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases_listen); i++) {
		struct diags d = { 0 };
		char *y = xasprintf(HEAD "api:\n  listen: %s\n", cases_listen[i].listen);
		struct config *c = config_load_buffer(y, strlen(y), "t.yaml", &d);
		ck_assert_ptr_nonnull(c);
		ck_assert_msg(d.n == (cases_listen[i].warn ? 1u : 0u), "%s: %zu diags",
			      cases_listen[i].listen, d.n);
		if (cases_listen[i].warn) {
			ck_assert_int_eq(d.v[0].level, DIAG_WARNING);
			ck_assert_int_eq(d.v[0].pos.line, 5);
			ck_assert_int_eq(d.v[0].pos.col, 11);
			ck_assert_ptr_nonnull(strstr(d.v[0].msg, "is not a loopback address and "
						      "api.api_key_file is not set"));
		}
		config_free(c);
		diags_free(&d);
		free(y);
	}
	/* With a key file the endpoints are protected: no warning. */
	struct diags d = { 0 };
	char *path = key_file(0600);
	char *y = xasprintf(HEAD "api:\n  listen: 0.0.0.0:8000\n  api_key_file: %s\n", path);
	struct config *c = config_load_buffer(y, strlen(y), "t.yaml", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 0);
	config_free(c);
	diags_free(&d);
	unlink(path);
	free(path);
	free(y);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_rule, 0, ARRAY_LEN(cases));
	tcase_add_test(tc, test_warning_capacity);
	tcase_add_test(tc, test_secret_not_printed);
	tcase_add_test(tc, test_warning_secret_mode);
	tcase_add_test(tc, test_warning_post_open);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	FILE *f = fopen(SECRET, "w");
	if (!f || fputs("s3cret\n", f) < 0 || fclose(f) != 0 || chmod(SECRET, 0600) != 0) {
		perror(SECRET);
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(validate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(SECRET);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
