/* test_config.c - unit tests of src/config.c and src/config_dump.c: defaults,
 * positions, loading, diagnostics printing, dump and the engine hash. */
#include "config-auto.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_json.h"
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

/* The effective env value of key, NULL when the engine gets no such key. */
static const struct kv *env_get(const struct config *c, const char *key)
{
	for (size_t i = 0; i < c->engine.n_env; i++)
		if (strcmp(c->engine.env[i].key, key) == 0)
			return &c->engine.env[i];
	return NULL;
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
	/* SPEC §3's default env, in its order: what the current
	 * acestream-http-proxy entrypoint reads, and CONF for older builds. */
	ck_assert_int_eq(c->engine.preset, PRESET_KRINKUTO11);
	ck_assert_int_eq(c->engine.preset_pos.line, 0);
	ck_assert_uint_eq(c->engine.n_env, 5);
	ck_assert_str_eq(c->engine.env[0].key, "HTTP_PORT");
	ck_assert_str_eq(c->engine.env[0].val, "{http_port}");
	ck_assert_str_eq(c->engine.env[1].key, "HTTPS_PORT");
	ck_assert_str_eq(c->engine.env[1].val, "{https_port}");
	ck_assert_str_eq(c->engine.env[2].key, "BIND_ALL");
	ck_assert_str_eq(c->engine.env[2].val, "true");
	ck_assert_str_eq(c->engine.env[3].key, "P2P_PORT");
	ck_assert_str_eq(c->engine.env[3].val, "{p2p_port}");
	ck_assert_str_eq(c->engine.env[4].key, "CONF");
	ck_assert_str_eq(c->engine.env[4].val,
			 "--http-port={http_port}\n--https-port={https_port}\n--bind-all");
	ck_assert_int_eq(c->engine.env[4].pos.line, 0);
	ck_assert_uint_eq(c->engine.n_env_unset, 0);
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
	/* The keys decided for issues 8-10 (PLAN: their owners implement them). */
	ck_assert_int_eq(c->docker_resync_interval_ms, 60000);
	ck_assert_int_eq(c->health.failover_after_ms, 15000);
	ck_assert_int_eq(c->health.recover_after_ms, 15000);
	ck_assert_int_eq(c->api.stale_grace_ms, 120000);
	ck_assert_int_eq(c->api.per_ip_limit, 32);
	ck_assert_int_eq(c->streams.max_per_engine, 64);
	ck_assert_int_eq(c->streams.max_total, 10000);
	ck_assert_int_eq(c->streams.ttl_ms, 12LL * 3600 * 1000);
	ck_assert_uint_eq(c->n_notify, 0);
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
	/* A key the file adds lands after the preset's, with its position. */
	ck_assert_uint_eq(c->engine.n_env, 6);
	ck_assert_str_eq(c->engine.env[5].key, "A");
	ck_assert_int_eq(c->engine.env[5].pos.line, 6);
	ck_assert_int_eq(c->engine.env[5].pos.col, 8);
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
	struct config *c = load("version: 1\nengine:\n  image: x\n  preset: custom\n  env:\n"
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
	struct config *c = load("version: 1\nengine:\n  image: a\n  preset: custom\n"
				"  env: {X: 1, Y: 2}\n", &d);
	config_engine_hash(c, h1);
	ck_assert_uint_eq(strlen(h1), 16);
	ck_assert_uint_eq(strspn(h1, "0123456789abcdef"), 16);
	/* Pinned: the hash must not change between runs or releases without
	 * a reason, or every engine of every user would be replaced. (With no
	 * preset env this is the value of the releases before presets.) */
	ck_assert_str_eq(h1, "5b5015578bb9f64b");
	config_free(c);
	/* Reordering env and changing what does not shape the container. */
	c = load("version: 1\nengine:\n  image: a\n  preset: custom\n  env: {Y: 2, X: 1}\n"
		 "replicas: {min: 5}\nhealth: {vpn_check_interval: 1s}\n", &d);
	config_engine_hash(c, h2);
	ck_assert_str_eq(h1, h2);
	config_free(c);
	c = load("version: 1\nengine:\n  image: b\n  preset: custom\n  env: {X: 1, Y: 2}\n", &d);
	config_engine_hash(c, h3);
	ck_assert_str_ne(h1, h3);
	config_free(c);
	c = load("version: 1\nengine:\n  image: a\n  preset: custom\n  env: {X: 1, Y: 2}\n"
		 "  memory_limit: 1g\n", &d);
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

/* ---- engine.preset and the env/argv merge ---- */

/* Each preset's contract, as doc/configuration.md lists it. */
static const struct {
	const char *name;
	enum engine_preset p;
	const char *env; /* "K=V;" joined, in order */
	const char *argv; /* items joined by ' ' */
} preset_table[] = {
	{ "krinkuto11", PRESET_KRINKUTO11,
	  "HTTP_PORT={http_port};HTTPS_PORT={https_port};BIND_ALL=true;P2P_PORT={p2p_port};"
	  "CONF=--http-port={http_port}\n--https-port={https_port}\n--bind-all;", "" },
	{ "jopsis-amd64", PRESET_JOPSIS_AMD64,
	  "ACESTREAM_ARGS=--client-console --bind-all --http-port {http_port} "
	  "--https-port {https_port} --port {p2p_port};", "" },
	{ "jopsis-arm32", PRESET_JOPSIS_ARM32, "",
	  "python main.py --bind-all --client-console --live-cache-type memory "
	  "--live-mem-cache-size 104857600 --disable-sentry --log-stdout --http-port {http_port} "
	  "--https-port {https_port} --port {p2p_port}" },
	{ "jopsis-arm64", PRESET_JOPSIS_ARM64, "",
	  "python main.py --bind-all --client-console --live-cache-type memory "
	  "--live-mem-cache-size 104857600 --disable-sentry --log-stdout --http-port {http_port} "
	  "--https-port {https_port} --port {p2p_port}" },
	{ "custom", PRESET_CUSTOM, "", "" },
};

static char *joined_env(const struct config *c)
{
	struct strbuf b = { 0 };
	strbuf_puts(&b, "");
	for (size_t i = 0; i < c->engine.n_env; i++) {
		strbuf_puts(&b, c->engine.env[i].key);
		strbuf_puts(&b, "=");
		strbuf_puts(&b, c->engine.env[i].val);
		strbuf_puts(&b, ";");
	}
	return b.data;
}

static char *joined_argv(const struct config *c)
{
	struct strbuf b = { 0 };
	strbuf_puts(&b, "");
	for (size_t i = 0; i < c->engine.n_command; i++) {
		if (i)
			strbuf_puts(&b, " ");
		strbuf_puts(&b, c->engine.command[i].s);
	}
	return b.data;
}

START_TEST(test_preset_contract)
{
	struct diags d = { 0 };
	char *yaml = xasprintf("version: 1\nengine:\n  image: x\n  preset: %s\n",
			       preset_table[_i].name);
	struct config *c = load(yaml, &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(c->engine.preset, preset_table[_i].p);
	ck_assert_str_eq(engine_preset_str(c->engine.preset), preset_table[_i].name);
	ck_assert_int_eq(c->engine.preset_pos.line, 4);
	char *env = joined_env(c), *argv = joined_argv(c);
	ck_assert_str_eq(env, preset_table[_i].env);
	ck_assert_str_eq(argv, preset_table[_i].argv);
	free(env);
	free(argv);
	free(yaml);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_env_merge)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\n"
				"engine:\n"
				"  image: x\n"
				"  env:\n"
				"    BIND_ALL: \"1\"\n"      /* override: keeps its place */
				"    CONF: ~\n"               /* removed from the preset */
				"    CACHE_LIMIT: 2\n"        /* added after the preset's */
				"    NOT_IN_PRESET: null\n"   /* nothing to remove: warning */
				"    HTTPS_PORT: null\n"
				"    P2P_PORT: \"{p2p_port}\"\n", &d);
	ck_assert_ptr_nonnull(c);
	char *env = joined_env(c);
	ck_assert_str_eq(env, "HTTP_PORT={http_port};BIND_ALL=1;P2P_PORT={p2p_port};CACHE_LIMIT=2;");
	free(env);
	ck_assert_int_eq(env_get(c, "BIND_ALL")->pos.line, 5);
	ck_assert_int_eq(env_get(c, "HTTP_PORT")->pos.line, 0);
	ck_assert_int_eq(env_get(c, "P2P_PORT")->pos.line, 10);
	ck_assert_uint_eq(c->engine.n_env_unset, 2);
	ck_assert_str_eq(c->engine.env_unset[0].key, "CONF");
	ck_assert_str_eq(c->engine.env_unset[1].key, "HTTPS_PORT");
	ck_assert_uint_eq(diags_errors(&d), 0);
	ck_assert_uint_eq(d.n, 1);
	char *out = print_diags(&d);
	ck_assert_str_eq(out, "t.yaml:8:20: warning: engine.env.NOT_IN_PRESET: null removes a "
			      "variable of the preset, but preset 'krinkuto11' sets no NOT_IN_PRESET\n");
	free(out);
	/* The dump shows the removals as null and reads back the same. */
	out = dump(c);
	ck_assert_ptr_nonnull(strstr(out, "    CACHE_LIMIT: \"2\"\n    CONF: null\n"
					  "    HTTPS_PORT: null\n  command: []\n"));
	struct diags d2 = { 0 };
	struct config *again = load(out, &d2);
	ck_assert_ptr_nonnull(again);
	ck_assert_uint_eq(d2.n, 0);
	char *out2 = dump(again);
	ck_assert_str_eq(out2, out);
	char h1[17], h2[17];
	config_engine_hash(c, h1);
	config_engine_hash(again, h2);
	ck_assert_str_eq(h1, h2);
	free(out);
	free(out2);
	config_free(again);
	config_free(c);
	diags_free(&d);
	diags_free(&d2);
}
END_TEST

START_TEST(test_command_replaces_preset_argv)
{
	struct diags d = { 0 };
	/* Absent: the preset's argv. */
	struct config *c = load("version: 1\nengine:\n  image: x\n  preset: jopsis-arm64\n", &d);
	ck_assert_uint_eq(c->engine.n_command, 16);
	ck_assert_int_eq(c->engine.command[0].pos.line, 0);
	config_free(c);
	/* Given: replaces it whole, with file positions. */
	c = load("version: 1\nengine:\n  image: x\n  preset: jopsis-arm64\n"
		 "  command: [--http-port, \"{http_port}\"]\n", &d);
	char *argv = joined_argv(c);
	ck_assert_str_eq(argv, "--http-port {http_port}");
	free(argv);
	ck_assert_int_eq(c->engine.command[1].pos.line, 5);
	config_free(c);
	/* Empty (or null): the image's own CMD. */
	c = load("version: 1\nengine:\n  image: x\n  preset: jopsis-arm32\n  command: []\n", &d);
	ck_assert_uint_eq(c->engine.n_command, 0);
	config_free(c);
	c = load("version: 1\nengine:\n  image: x\n  preset: jopsis-arm32\n  command:\n", &d);
	ck_assert_uint_eq(c->engine.n_command, 0);
	config_free(c);
	/* The preset is read first wherever it is written in the mapping. */
	c = load("version: 1\nengine:\n  command: [a]\n  env: {K: v}\n  image: x\n"
		 "  preset: jopsis-amd64\n", &d);
	argv = joined_argv(c);
	ck_assert_str_eq(argv, "a");
	free(argv);
	ck_assert_uint_eq(c->engine.n_env, 2);
	ck_assert_str_eq(c->engine.env[0].key, "ACESTREAM_ARGS");
	ck_assert_str_eq(c->engine.env[1].key, "K");
	config_free(c);
	ck_assert_uint_eq(d.n, 0);
	diags_free(&d);
}
END_TEST

START_TEST(test_preset_unknown)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\nengine:\n  image: x\n  preset: krinkuto11-amd64\n", &d);
	ck_assert_ptr_null(c);
	char *out = print_diags(&d);
	ck_assert_str_eq(out, "t.yaml:4:11: error: engine.preset: unknown preset 'krinkuto11-amd64'; "
			      "did you mean `krinkuto11`? (one of krinkuto11, jopsis-amd64, "
			      "jopsis-arm32, jopsis-arm64, custom)\n");
	free(out);
	diags_free(&d);
	c = load("version: 1\nengine:\n  image: x\n  preset: nano-ace\n", &d);
	ck_assert_ptr_null(c);
	out = print_diags(&d);
	ck_assert_str_eq(out, "t.yaml:4:11: error: engine.preset: unknown preset 'nano-ace' "
			      "(one of krinkuto11, jopsis-amd64, jopsis-arm32, jopsis-arm64, custom)\n");
	free(out);
	diags_free(&d);
	c = load("version: 1\nengine:\n  image: x\n  preset: [a]\n", &d);
	ck_assert_ptr_null(c);
	diags_free(&d);
}
END_TEST

/* The hash covers what the container gets, not how the file said it: the
 * default preset and `custom` with the same env written out are one engine. */
START_TEST(test_hash_covers_effective_values)
{
	struct diags d = { 0 };
	char h1[17], h2[17], h3[17];
	struct config *c = load("version: 1\nengine:\n  image: a\n", &d);
	config_engine_hash(c, h1);
	config_free(c);
	c = load("version: 1\nengine:\n  image: a\n  preset: custom\n  env:\n"
		 "    HTTP_PORT: \"{http_port}\"\n    HTTPS_PORT: \"{https_port}\"\n"
		 "    BIND_ALL: \"true\"\n    P2P_PORT: \"{p2p_port}\"\n"
		 "    CONF: \"--http-port={http_port}\\n--https-port={https_port}\\n--bind-all\"\n", &d);
	config_engine_hash(c, h2);
	config_free(c);
	ck_assert_str_eq(h1, h2);
	/* Removing a preset key changes what the engine gets. */
	c = load("version: 1\nengine:\n  image: a\n  env: {CONF: ~}\n", &d);
	config_engine_hash(c, h3);
	config_free(c);
	ck_assert_str_ne(h1, h3);
	ck_assert_uint_eq(d.n, 0);
	diags_free(&d);
}
END_TEST

/* ---- the keys of issues 8-10 ---- */

static char *secret_file(const char *content)
{
	char *path = xstrdup("/tmp/test_config_secret.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path; /* mkstemp makes it 0600 */
}

START_TEST(test_new_keys_parsed)
{
	struct diags d = { 0 };
	char *pw = secret_file("hunter2\n"), *hmac = secret_file("hmac-key\n");
	char *y = xasprintf("version: 1\n"
			    "docker: {resync_interval: 0}\n"
			    "engine: {image: x}\n"
			    "vpns:\n"
			    "  - name: g\n"
			    "    ports: 19000-19009\n"
			    "    api_username: orch\n"
			    "    api_password_file: %s\n"
			    "health: {failover_after: 0, recover_after: 1m}\n"
			    "api: {stale_grace: 0, per_ip_limit: 5}\n"
			    "streams: {max_per_engine: 2, max_total: 9, ttl: 30m}\n"
			    "notify:\n"
			    "  - url: https://ntfy.sh/topic\n"
			    "  - url: https://u:p@hooks.example/x?token=T\n"
			    "    events: [port_changed, config_error, port_changed]\n"
			    "    format: discord\n"
			    "    secret_file: %s\n", pw, hmac);
	struct config *c = load(y, &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(c->docker_resync_interval_ms, 0);
	ck_assert_str_eq(c->vpns[0].api_username, "orch");
	ck_assert_int_eq(c->vpns[0].api_username_pos.line, 7);
	ck_assert_str_eq(c->vpns[0].api_password, "hunter2");
	ck_assert_int_eq(c->health.failover_after_ms, 0);
	ck_assert_int_eq(c->health.recover_after_ms, 60000);
	ck_assert_int_eq(c->api.stale_grace_ms, 0);
	ck_assert_int_eq(c->api.per_ip_limit, 5);
	ck_assert_int_eq(c->streams.max_per_engine, 2);
	ck_assert_int_eq(c->streams.max_total, 9);
	ck_assert_int_eq(c->streams.ttl_ms, 1800000);
	ck_assert_uint_eq(c->n_notify, 2);
	ck_assert_str_eq(c->notify[0].url, "https://ntfy.sh/topic");
	ck_assert_uint_eq(c->notify[0].events, NOTIFY_ALL_EVENTS);
	ck_assert_int_eq(c->notify[0].format, NOTIFY_JSON);
	ck_assert_ptr_null(c->notify[0].secret);
	ck_assert_uint_eq(c->notify[1].events, NOTIFY_PORT_CHANGED | NOTIFY_CONFIG_ERROR);
	ck_assert_int_eq(c->notify[1].format, NOTIFY_DISCORD);
	ck_assert_str_eq(c->notify[1].secret, "hmac-key");
	ck_assert_int_eq(c->notify[1].url_pos.line, 14);

	/* Dump and JSON: secrets and URL tokens never shown. */
	char *out = dump(c);
	cJSON *j = config_to_json(c);
	char *js = cJSON_PrintUnformatted(j);
	const char *leaks[] = { "hunter2", "hmac-key", "topic", "token", "u:p", "/x" };
	for (size_t i = 0; i < ARRAY_LEN(leaks); i++) {
		ck_assert_msg(!strstr(out, leaks[i]), "dump shows %s", leaks[i]);
		ck_assert_msg(!strstr(js, leaks[i]), "JSON shows %s", leaks[i]);
	}
	ck_assert_ptr_nonnull(strstr(out, "notify:\n  - url: \"https://ntfy.sh/<redacted>\"\n"
					  "    events: [vpn_down, vpn_up, port_changed, action_failed, "
					  "config_error]\n    format: json\n"
					  "  - url: \"https://hooks.example/<redacted>\"\n"
					  "    events: [port_changed, config_error]\n    format: discord\n"));
	ck_assert_ptr_nonnull(strstr(out, "    api_username: orch\n    api_password_file: "));
	ck_assert_ptr_nonnull(strstr(out, "    api_password: <redacted>\n"));
	ck_assert_ptr_nonnull(strstr(out, "streams:\n  max_per_engine: 2\n  max_total: 9\n"
					  "  ttl: 30m\n"));
	ck_assert_ptr_nonnull(strstr(out, "  failover_after: 0s\n  recover_after: 1m\n"));
	ck_assert_ptr_nonnull(strstr(out, "  stale_grace: 0s\n  per_ip_limit: 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "  resync_interval: 0s\n"));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "docker"),
					     "resync_interval")->valuestring, "0s");
	const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vpns"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(v, "api_username")->valuestring, "orch");
	ck_assert_str_eq(cJSON_GetObjectItem(v, "api_password")->valuestring, "<redacted>");
	const cJSON *h = cJSON_GetObjectItem(j, "health");
	ck_assert_str_eq(cJSON_GetObjectItem(h, "recover_after")->valuestring, "1m");
	const cJSON *api = cJSON_GetObjectItem(j, "api");
	ck_assert_str_eq(cJSON_GetObjectItem(api, "stale_grace")->valuestring, "0s");
	ck_assert_int_eq(cJSON_GetObjectItem(api, "per_ip_limit")->valueint, 5);
	const cJSON *st = cJSON_GetObjectItem(j, "streams");
	ck_assert_int_eq(cJSON_GetObjectItem(st, "max_total")->valueint, 9);
	ck_assert_str_eq(cJSON_GetObjectItem(st, "ttl")->valuestring, "30m");
	const cJSON *n1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "notify"), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(n1, "url")->valuestring, "https://hooks.example/<redacted>");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(n1, "events")), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(n1, "format")->valuestring, "discord");
	ck_assert_str_eq(cJSON_GetObjectItem(n1, "secret")->valuestring, "<redacted>");
	free(js);
	cJSON_Delete(j);
	free(out);
	config_free(c);
	diags_free(&d);
	unlink(pw);
	unlink(hmac);
	free(pw);
	free(hmac);
	free(y);
}
END_TEST

/* The preset and the effective env are in GET /config too. */
START_TEST(test_json_preset_env)
{
	struct diags d = { 0 };
	struct config *c = load("version: 1\nengine:\n  image: x\n  env: {CONF: ~, X: 1}\n", &d);
	cJSON *j = config_to_json(c);
	const cJSON *e = cJSON_GetObjectItem(j, "engine");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "preset")->valuestring, "krinkuto11");
	const cJSON *env = cJSON_GetObjectItem(e, "env");
	ck_assert_str_eq(cJSON_GetObjectItem(env, "HTTP_PORT")->valuestring, "{http_port}");
	ck_assert_str_eq(cJSON_GetObjectItem(env, "X")->valuestring, "1");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(env, "CONF")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "command")), 0);
	cJSON_Delete(j);
	config_free(c);
	c = load("version: 1\nengine:\n  image: x\n  preset: jopsis-arm32\n", &d);
	j = config_to_json(c);
	e = cJSON_GetObjectItem(j, "engine");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "command")), 16);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "env")), 0);
	cJSON_Delete(j);
	config_free(c);
	diags_free(&d);
}
END_TEST

START_TEST(test_url_redacted)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "https://ntfy.sh", "https://ntfy.sh" },
		{ "https://ntfy.sh/", "https://ntfy.sh" },
		{ "https://ntfy.sh/topic", "https://ntfy.sh/<redacted>" },
		{ "http://gotify:8080?token=x", "http://gotify:8080/<redacted>" },
		{ "https://user:pw@host", "https://host/<redacted>" },
		{ "ftp://x/y", "<redacted>" },
		{ "https://", "<redacted>" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char buf[128];
		struct diags d = { 0 };
		char *y = xasprintf("version: 1\nengine: {image: x}\nnotify:\n  - url: \"%s\"\n",
				    cases[i].in);
		struct config *c = load(y, &d);
		bool valid = strcmp(cases[i].out, "<redacted>") != 0;
		ck_assert_msg(valid == (c != NULL), "%s", cases[i].in);
		if (c) {
			char *out = dump(c);
			snprintf(buf, sizeof buf, "  - url: \"%s\"\n", cases[i].out);
			char *plain = xasprintf("  - url: %s\n", cases[i].out);
			ck_assert_msg(strstr(out, buf) || strstr(out, plain), "%s -> %s", cases[i].in, out);
			free(plain);
			free(out);
		}
		config_free(c);
		diags_free(&d);
		free(y);
	}
}
END_TEST

/* docker_hosts (issue 11): parsed in file order after the default host,
 * each VPN indexed to its host, the TLS files resolved against the config
 * directory; dump and JSON name them. */
START_TEST(test_docker_hosts_parsed)
{
	struct diags d = { 0 };
	unsetenv("DOCKER_HOST");
	struct config *c = config_load_file(TESTDATADIR "/valid/two-hosts.yaml", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->n_docker_hosts, 2);
	ck_assert_str_eq(c->docker_hosts[0].name, "default");
	ck_assert_str_eq(c->docker_hosts[0].host, "unix:///var/run/docker.sock");
	ck_assert(!c->docker_hosts[0].tls_on);
	ck_assert_str_eq(c->docker_hosts[1].name, "b");
	ck_assert_str_eq(c->docker_hosts[1].host, "tcp://192.0.2.20:2376");
	ck_assert(c->docker_hosts[1].tls_on);
	ck_assert_str_eq(c->docker_hosts[1].tls.cert, "secrets/docker-b/cert.pem");
	ck_assert_str_eq(c->docker_hosts[1].tls.cert_path,
			 TESTDATADIR "/valid/secrets/docker-b/cert.pem");
	ck_assert_int_eq(c->docker_hosts[1].tls.key_pos.line, 14);
	ck_assert_int_eq(c->docker_lease_ttl_ms, 15000);
	ck_assert_uint_eq(c->vpns[0].docker_idx, 0);
	ck_assert_uint_eq(c->vpns[1].docker_idx, 1);
	ck_assert_str_eq(config_vpn_docker(c, &c->vpns[2])->name, "b");
	ck_assert_ptr_eq(config_find_docker_host(c, "default"), &c->docker_hosts[0]);
	ck_assert_ptr_null(config_find_docker_host(c, "c"));
	cJSON *j = config_to_json(c);
	const cJSON *b = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "docker_hosts"), "b");
	ck_assert_str_eq(cJSON_GetObjectItem(b, "host")->valuestring, "tcp://192.0.2.20:2376");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "tls"), "key")->valuestring,
			 "secrets/docker-b/key.pem");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vpns"), 1),
					     "docker")->valuestring, "b");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "docker"), "lease_ttl")->valuestring,
			 "15s");
	cJSON_Delete(j);
	config_free(c);
	diags_free(&d);
}
END_TEST

/* examples/two-hosts.yaml as shipped: box2's VPNs on box2, its TLS files
 * found next to the example, the dump reading back the same. */
START_TEST(test_example_two_hosts)
{
	struct diags d = { 0 };
	unsetenv("DOCKER_HOST");
	struct config *c = config_load_file(TESTDATADIR "/../../examples/two-hosts.yaml", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(diags_errors(&d), 0);
	ck_assert_uint_eq(c->n_docker_hosts, 2);
	ck_assert_str_eq(c->docker_hosts[1].name, "box2");
	ck_assert_str_eq(config_vpn_docker(c, config_find_vpn(c, "gluetun1"))->name, "default");
	ck_assert_str_eq(config_vpn_docker(c, config_find_vpn(c, "gluetun2"))->name, "box2");
	ck_assert_str_eq(config_vpn_docker(c, config_find_vpn(c, "gluetun3"))->name, "box2");
	ck_assert(str_startswith(c->docker_hosts[1].tls.ca_path, TESTDATADIR "/../../examples/"));
	char *out = dump(c);
	struct diags d2 = { 0 };
	struct config *again = config_load_buffer(out, strlen(out), TESTDATADIR "/../../examples/x.yaml", &d2);
	ck_assert_ptr_nonnull(again);
	char *out2 = dump(again);
	ck_assert_str_eq(out2, out);
	free(out);
	free(out2);
	config_free(again);
	config_free(c);
	diags_free(&d);
	diags_free(&d2);
}
END_TEST

/* DOCKER_TLS_VERIFY and DOCKER_CERT_PATH fill in TLS only together with a
 * DOCKER_HOST that fills in an absent docker.host, as the docker CLI does. */
START_TEST(test_docker_tls_env)
{
	struct diags d = { 0 };
	setenv("DOCKER_HOST", "tcp://192.0.2.9:2376", 1);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", TESTDATADIR "/valid/secrets/docker-b", 1);
	struct config *c = load("version: 1\nengine:\n  image: x\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert(c->docker_hosts[0].from_env);
	ck_assert(c->docker_hosts[0].tls_on);
	ck_assert_str_eq(c->docker_hosts[0].tls.ca, TESTDATADIR "/valid/secrets/docker-b/ca.pem");
	ck_assert_str_eq(c->docker_hosts[0].tls.key_path, TESTDATADIR "/valid/secrets/docker-b/key.pem");
	config_free(c);
	diags_free(&d);
	/* The file names its host: the environment says nothing. */
	c = load("version: 1\ndocker:\n  host: tcp://127.0.0.1:2375\nengine:\n  image: x\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert(!c->docker_hosts[0].tls_on);
	ck_assert(!c->docker_hosts[0].from_env);
	config_free(c);
	diags_free(&d);
	/* Missing files under DOCKER_CERT_PATH are errors that name it. */
	setenv("DOCKER_CERT_PATH", "/nonexistent", 1);
	c = load("version: 1\nengine:\n  image: x\n", &d);
	ck_assert_ptr_null(c);
	char *out = print_diags(&d);
	ck_assert_ptr_nonnull(strstr(out, "t.yaml: error: docker.tls.ca (DOCKER_CERT_PATH): cannot "
					  "read '/nonexistent/ca.pem'"));
	free(out);
	diags_free(&d);
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
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
	tcase_add_loop_test(tc, test_preset_contract, 0, ARRAY_LEN(preset_table));
	tcase_add_test(tc, test_env_merge);
	tcase_add_test(tc, test_command_replaces_preset_argv);
	tcase_add_test(tc, test_preset_unknown);
	tcase_add_test(tc, test_hash_covers_effective_values);
	tcase_add_test(tc, test_new_keys_parsed);
	tcase_add_test(tc, test_json_preset_env);
	tcase_add_test(tc, test_url_redacted);
	tcase_add_test(tc, test_docker_hosts_parsed);
	tcase_add_test(tc, test_docker_tls_env);
	tcase_add_test(tc, test_example_two_hosts);
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
