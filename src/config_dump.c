/* config_dump.c - the effective config printed back as YAML (secrets
 * redacted) and the engine config hash written to acestream.config_hash. */
#include "config-auto.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "util.h"

/* Plain YAML is kept only for strings that cannot be read back as anything
 * else: a conservative character set, no leading indicator, and not a word
 * or number the core schema would resolve to another type. */
static bool dump_plain_ok(const char *s)
{
	static const char *const words[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL",
		"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
		"off", "Off", "OFF",
	};
	if (!*s || strchr("-.:/?@`!&*%|>'\"#{}[],", *s) || strchr("0123456789+", *s))
		return false;
	if (s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@+-")])
		return false;
	if (strstr(s, ": ") || s[strlen(s) - 1] == ':')
		return false;
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (strcmp(s, words[i]) == 0)
			return false;
	return true;
}

void config_dump_str(FILE *out, const char *s)
{
	if (!s)
		s = "";
	if (dump_plain_ok(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void dump_kv(FILE *out, const char *indent, const char *key, const char *val)
{
	fprintf(out, "%s%s: ", indent, key);
	config_dump_str(out, val);
	fputc('\n', out);
}

static void dump_dur(FILE *out, const char *indent, const char *key, int64_t ms)
{
	char buf[32];
	fprintf(out, "%s%s: %s\n", indent, key, duration_fmt(ms, buf, sizeof buf));
}

static const char *dump_size(int64_t b, char *buf, size_t len)
{
	if (b == 0)
		sbuf_printf(buf, len, "0");
	else if (b % (1LL << 30) == 0)
		sbuf_printf(buf, len, "%" PRId64 "g", b >> 30);
	else if (b % (1LL << 20) == 0)
		sbuf_printf(buf, len, "%" PRId64 "m", b >> 20);
	else if (b % (1LL << 10) == 0)
		sbuf_printf(buf, len, "%" PRId64 "k", b >> 10);
	else
		sbuf_printf(buf, len, "%" PRId64, b);
	return buf;
}

static void dump_map(FILE *out, const char *indent, const char *key, const struct kv *v, size_t n)
{
	if (!n) {
		fprintf(out, "%s%s: {}\n", indent, key);
		return;
	}
	fprintf(out, "%s%s:\n", indent, key);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s  ", indent);
		config_dump_str(out, v[i].key);
		fputs(": ", out);
		config_dump_str(out, v[i].val);
		fputc('\n', out);
	}
}

/* The effective env (preset merged with engine.env); keys the file removed
 * from the preset follow as `null`, so the dump reads back the same. */
static void dump_env(FILE *out, const struct engine_decl *e)
{
	if (!e->n_env_unset) {
		dump_map(out, "  ", "env", e->env, e->n_env);
		return;
	}
	fputs("  env:\n", out);
	for (size_t i = 0; i < e->n_env; i++) {
		fputs("    ", out);
		config_dump_str(out, e->env[i].key);
		fputs(": ", out);
		config_dump_str(out, e->env[i].val);
		fputc('\n', out);
	}
	for (size_t i = 0; i < e->n_env_unset; i++) {
		fputs("    ", out);
		config_dump_str(out, e->env_unset[i].key);
		fputs(": null\n", out);
	}
}

static void dump_engine(const struct engine_decl *e, FILE *out)
{
	char buf[32];
	fputs("engine:\n", out);
	dump_kv(out, "  ", "image", e->image);
	dump_kv(out, "  ", "preset", engine_preset_str(e->preset));
	dump_kv(out, "  ", "name_prefix", e->name_prefix);
	fprintf(out, "  https_port_base: %d\n  p2p_port_base: %d\n", e->https_port_base,
		e->p2p_port_base);
	dump_env(out, e);
	if (!e->n_command) {
		fputs("  command: []\n", out);
	} else {
		fputs("  command:\n", out);
		for (size_t i = 0; i < e->n_command; i++) {
			fputs("    - ", out);
			config_dump_str(out, e->command[i].s);
			fputc('\n', out);
		}
	}
	dump_map(out, "  ", "labels", e->labels, e->n_labels);
	/* 0 means "no limit" and reads back as such. */
	fprintf(out, "  memory_limit: %s\n", dump_size(e->memory_limit, buf, sizeof buf));
	fputs("  health:\n", out);
	dump_kv(out, "    ", "path", e->health_path);
	dump_dur(out, "    ", "interval", e->health_interval_ms);
	fprintf(out, "    failures: %d\n", e->health_failures);
	dump_dur(out, "  ", "stop_timeout", e->stop_timeout_ms);
}

/* Webhook URLs are shown up to the host only (their token is the rest). */
static void dump_notify(const struct config *c, FILE *out)
{
	char url[512];
	fputs(c->n_notify ? "notify:\n" : "notify: []\n", out);
	for (size_t i = 0; i < c->n_notify; i++) {
		const struct notify_decl *n = &c->notify[i];
		dump_kv(out, "  - ", "url", config_url_redacted(n->url, url, sizeof url));
		fputs("    events: [", out);
		for (unsigned b = 1, first = 1; b & NOTIFY_ALL_EVENTS; b <<= 1) {
			if (!(n->events & b))
				continue;
			fprintf(out, "%s%s", first ? "" : ", ", notify_event_str(b));
			first = 0;
		}
		fputs("]\n", out);
		dump_kv(out, "    ", "format", notify_format_str(n->format));
		if (n->secret_file) {
			dump_kv(out, "    ", "secret_file", n->secret_file);
			fputs("    secret: <redacted>\n", out);
		}
	}
}

/* A Docker host's address and TLS files (as written: the dump reads back). */
static void dump_host(FILE *out, const char *indent, const struct docker_host_decl *h)
{
	char in2[16];
	dump_kv(out, indent, "host", h->host);
	if (!h->tls_on)
		return;
	fprintf(out, "%stls:\n", indent);
	sbuf_printf(in2, sizeof in2, "%s  ", indent);
	dump_kv(out, in2, "ca", h->tls.ca);
	dump_kv(out, in2, "cert", h->tls.cert);
	dump_kv(out, in2, "key", h->tls.key);
}

static void dump_docker(const struct config *c, FILE *out)
{
	fputs("docker:\n", out);
	if (c->n_docker_hosts)
		dump_host(out, "  ", &c->docker_hosts[0]);
	else
		dump_kv(out, "  ", "host", c->docker_host);
	dump_dur(out, "  ", "resync_interval", c->docker_resync_interval_ms);
	dump_dur(out, "  ", "lease_ttl", c->docker_lease_ttl_ms);
	if (c->n_docker_hosts <= 1)
		return;
	fputs("docker_hosts:\n", out);
	for (size_t i = 1; i < c->n_docker_hosts; i++) {
		fputs("  ", out);
		config_dump_str(out, c->docker_hosts[i].name);
		fputs(":\n", out);
		dump_host(out, "    ", &c->docker_hosts[i]);
	}
}

void config_dump(const struct config *c, FILE *out)
{
	char buf[32];
	fprintf(out, "version: %d\n", c->version);
	dump_kv(out, "", "instance", c->instance);
	dump_docker(c, out);
	dump_engine(&c->engine, out);
	fprintf(out, "replicas:\n  min: %d\n  max: %d\n  min_free: %d\n", c->replicas.min,
		c->replicas.max, c->replicas.min_free);
	fputs(c->n_vpns ? "vpns:\n" : "vpns: []\n", out);
	for (size_t i = 0; i < c->n_vpns; i++) {
		const struct vpn_decl *v = &c->vpns[i];
		dump_kv(out, "  - ", "name", v->name);
		const struct docker_host_decl *dh = config_vpn_docker(c, v);
		dump_kv(out, "    ", "docker", dh ? dh->name : DOCKER_HOST_DEFAULT);
		fprintf(out, "    ports: %s\n", range_fmt(v->ports, buf, sizeof buf));
		fprintf(out, "    max_engines: %d\n", v->max_engines);
		dump_kv(out, "    ", "host", v->host);
		dump_kv(out, "    ", "api", v->api);
		if (v->api_key_file) {
			dump_kv(out, "    ", "api_key_file", v->api_key_file);
			fputs("    api_key: <redacted>\n", out);
		}
		if (v->api_username)
			dump_kv(out, "    ", "api_username", v->api_username);
		if (v->api_password_file) {
			dump_kv(out, "    ", "api_password_file", v->api_password_file);
			fputs("    api_password: <redacted>\n", out);
		}
		/* Quoted: YAML 1.1 readers (PyYAML) would take plain on/off for booleans. */
		dump_kv(out, "    ", "port_forwarding", pf_mode_str(v->port_forwarding));
	}
	if (c->has_ports)
		fprintf(out, "ports: %s\n", range_fmt(c->ports, buf, sizeof buf));
	dump_kv(out, "", "network", c->network);
	fputs("health:\n", out);
	dump_dur(out, "  ", "vpn_check_interval", c->health.vpn_check_interval_ms);
	dump_dur(out, "  ", "port_check_interval", c->health.port_check_interval_ms);
	dump_dur(out, "  ", "vpn_restart_after", c->health.vpn_restart_after_ms);
	dump_dur(out, "  ", "vpn_restart_backoff_max", c->health.vpn_restart_backoff_max_ms);
	fprintf(out, "  restart_engines_on_reconnect: %s\n",
		c->health.restart_engines_on_reconnect ? "true" : "false");
	dump_dur(out, "  ", "failover_after", c->health.failover_after_ms);
	dump_dur(out, "  ", "recover_after", c->health.recover_after_ms);
	fputs("api:\n", out);
	dump_kv(out, "  ", "listen", c->api.listen);
	if (c->api.api_key_file) {
		dump_kv(out, "  ", "api_key_file", c->api.api_key_file);
		fputs("  api_key: <redacted>\n", out);
	}
	dump_dur(out, "  ", "stale_grace", c->api.stale_grace_ms);
	fprintf(out, "  per_ip_limit: %d\n", c->api.per_ip_limit);
	fprintf(out, "streams:\n  max_per_engine: %d\n  max_total: %d\n", c->streams.max_per_engine,
		c->streams.max_total);
	dump_dur(out, "  ", "ttl", c->streams.ttl_ms);
	dump_notify(c, out);
}

/* ---- engine hash ---- */

struct hash {
	uint64_t h;
};

static void hash_bytes(struct hash *hs, const void *p, size_t n)
{
	hs->h = fnv1a64(hs->h, p, n);
}

/* "tag=LEN:VALUE;" - the length prefix keeps fields from running into each
 * other ("ab"+"c" must not hash like "a"+"bc"). */
static void hash_field(struct hash *hs, const char *tag, const char *val)
{
	char len[24];
	val = val ? val : "";
	sbuf_printf(len, sizeof len, "=%zu:", strlen(val));
	hash_bytes(hs, tag, strlen(tag));
	hash_bytes(hs, len, strlen(len));
	hash_bytes(hs, val, strlen(val));
	hash_bytes(hs, ";", 1);
}

static void hash_int(struct hash *hs, const char *tag, long long v)
{
	char buf[24];
	sbuf_printf(buf, sizeof buf, "%lld", v);
	hash_field(hs, tag, buf);
}

static int hash_kv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct kv *const *)a)->key, (*(const struct kv *const *)b)->key);
}

/* Env and labels are sets to Docker: sorted, so reordering the YAML does
 * not replace every engine. */
static void hash_kvs(struct hash *hs, const char *tag, const struct kv *v, size_t n)
{
	const struct kv **sorted = xcalloc(n, sizeof *sorted);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &v[i];
	qsort(sorted, n, sizeof *sorted, hash_kv_cmp);
	hash_int(hs, tag, (long long)n);
	for (size_t i = 0; i < n; i++) {
		hash_field(hs, "k", sorted[i]->key);
		hash_field(hs, "v", sorted[i]->val);
	}
	free(sorted);
}

/* Included: image, name_prefix, https/p2p port bases, env (sorted, as
 * templates), command (in order), labels (sorted), memory_limit,
 * stop_timeout, and network when there are no VPNs (it is unused
 * otherwise). Not included: health probing, replicas, VPN settings and
 * instance - they change how the daemon treats engines, not the containers,
 * and the per-engine ports are labels of their own. FNV-1a 64 is enough: this
 * detects drift, it does not defend against anyone. */
void config_engine_hash(const struct config *c, char out[17])
{
	const struct engine_decl *e = &c->engine;
	struct hash hs = { FNV1A64_INIT };
	hash_field(&hs, "v", "1");
	hash_field(&hs, "image", e->image);
	hash_field(&hs, "name_prefix", e->name_prefix);
	hash_int(&hs, "https_port_base", e->https_port_base);
	hash_int(&hs, "p2p_port_base", e->p2p_port_base);
	hash_kvs(&hs, "env", e->env, e->n_env);
	hash_int(&hs, "command", (long long)e->n_command);
	for (size_t i = 0; i < e->n_command; i++)
		hash_field(&hs, "arg", e->command[i].s);
	hash_kvs(&hs, "labels", e->labels, e->n_labels);
	hash_int(&hs, "memory_limit", e->memory_limit);
	hash_int(&hs, "stop_timeout_ms", e->stop_timeout_ms);
	if (!c->n_vpns)
		hash_field(&hs, "network", c->network);
	snprintf(out, 17, "%016" PRIx64, hs.h);
}
