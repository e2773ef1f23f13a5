/* config_json.c - the effective config rendered as JSON (GET /config);
 * mirrors config_dump's YAML so both views agree, secrets never included. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>

#include "config_json.h"
#include "config_priv.h"
#include "range.h"
#include "util.h"

#define REDACTED "<redacted>"

static void add_str(cJSON *o, const char *key, const char *v)
{
	cJSON_AddStringToObject(o, key, v ? v : "");
}

static void add_dur(cJSON *o, const char *key, int64_t ms)
{
	char buf[32];
	cJSON_AddStringToObject(o, key, duration_fmt(ms, buf, sizeof buf));
}

static void add_range(cJSON *o, const char *key, struct port_range r)
{
	char buf[32];
	cJSON_AddStringToObject(o, key, range_fmt(r, buf, sizeof buf));
}

/* The same suffixes size_parse reads back; 0 (no limit) stays "0". */
static void add_size(cJSON *o, const char *key, int64_t b)
{
	char buf[32];
	if (b == 0)
		sbuf_printf(buf, sizeof buf, "0");
	else if (b % (1LL << 30) == 0)
		sbuf_printf(buf, sizeof buf, "%" PRId64 "g", b >> 30);
	else if (b % (1LL << 20) == 0)
		sbuf_printf(buf, sizeof buf, "%" PRId64 "m", b >> 20);
	else if (b % (1LL << 10) == 0)
		sbuf_printf(buf, sizeof buf, "%" PRId64 "k", b >> 10);
	else
		sbuf_printf(buf, sizeof buf, "%" PRId64, b);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *add_map(cJSON *o, const char *key, const struct kv *v, size_t n)
{
	cJSON *m = cJSON_AddObjectToObject(o, key);
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(m, v[i].key ? v[i].key : "", v[i].val ? v[i].val : "");
	return m;
}

static void add_engine(cJSON *root, const struct engine_decl *e)
{
	cJSON *o = cJSON_AddObjectToObject(root, "engine");
	add_str(o, "image", e->image);
	add_str(o, "preset", engine_preset_str(e->preset));
	add_str(o, "name_prefix", e->name_prefix);
	cJSON_AddNumberToObject(o, "https_port_base", e->https_port_base);
	cJSON_AddNumberToObject(o, "p2p_port_base", e->p2p_port_base);
	/* Effective env; preset keys the file removed are null, as in the YAML. */
	cJSON *env = add_map(o, "env", e->env, e->n_env);
	for (size_t i = 0; i < e->n_env_unset; i++)
		cJSON_AddNullToObject(env, e->env_unset[i].key ? e->env_unset[i].key : "");
	cJSON *cmd = cJSON_AddArrayToObject(o, "command");
	for (size_t i = 0; i < e->n_command; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(e->command[i].s ? e->command[i].s : ""));
	add_map(o, "labels", e->labels, e->n_labels);
	add_size(o, "memory_limit", e->memory_limit);
	cJSON *h = cJSON_AddObjectToObject(o, "health");
	add_str(h, "path", e->health_path);
	add_dur(h, "interval", e->health_interval_ms);
	cJSON_AddNumberToObject(h, "failures", e->health_failures);
	add_dur(o, "stop_timeout", e->stop_timeout_ms);
}

/* A Docker host: its address and the paths of its TLS files (not their
 * contents: the key is a secret, the certificates say nothing useful here). */
static void add_host(cJSON *o, const struct docker_host_decl *h)
{
	add_str(o, "host", h->host);
	if (!h->tls_on)
		return;
	cJSON *t = cJSON_AddObjectToObject(o, "tls");
	add_str(t, "ca", h->tls.ca);
	add_str(t, "cert", h->tls.cert);
	add_str(t, "key", h->tls.key);
}

static void add_vpns(cJSON *root, const struct config *c)
{
	cJSON *a = cJSON_AddArrayToObject(root, "vpns");
	for (size_t i = 0; i < c->n_vpns; i++) {
		const struct vpn_decl *v = &c->vpns[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "name", v->name);
		const struct docker_host_decl *dh = config_vpn_docker(c, v);
		add_str(o, "docker", dh ? dh->name : DOCKER_HOST_DEFAULT);
		add_range(o, "ports", v->ports);
		cJSON_AddNumberToObject(o, "max_engines", v->max_engines);
		add_str(o, "host", v->host);
		add_str(o, "api", v->api);
		if (v->api_key_file) {
			add_str(o, "api_key_file", v->api_key_file);
			cJSON_AddStringToObject(o, "api_key", REDACTED);
		}
		if (v->api_username)
			add_str(o, "api_username", v->api_username);
		if (v->api_password_file) {
			add_str(o, "api_password_file", v->api_password_file);
			cJSON_AddStringToObject(o, "api_password", REDACTED);
		}
		add_str(o, "port_forwarding", pf_mode_str(v->port_forwarding));
		cJSON_AddItemToArray(a, o);
	}
}

/* Webhook URLs up to the host only, as in the YAML dump. */
static void add_notify(cJSON *root, const struct config *c)
{
	char url[512];
	cJSON *a = cJSON_AddArrayToObject(root, "notify");
	for (size_t i = 0; i < c->n_notify; i++) {
		const struct notify_decl *n = &c->notify[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "url", config_url_redacted(n->url, url, sizeof url));
		cJSON *ev = cJSON_AddArrayToObject(o, "events");
		for (unsigned b = 1; b & NOTIFY_ALL_EVENTS; b <<= 1)
			if (n->events & b)
				cJSON_AddItemToArray(ev, cJSON_CreateString(notify_event_str(b)));
		add_str(o, "format", notify_format_str(n->format));
		if (n->secret_file) {
			add_str(o, "secret_file", n->secret_file);
			cJSON_AddStringToObject(o, "secret", REDACTED);
		}
		cJSON_AddItemToArray(a, o);
	}
}

cJSON *config_to_json(const struct config *c)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", c->version);
	add_str(root, "instance", c->instance);
	cJSON *docker = cJSON_AddObjectToObject(root, "docker");
	if (c->n_docker_hosts)
		add_host(docker, &c->docker_hosts[0]);
	else
		add_str(docker, "host", c->docker_host);
	add_dur(docker, "resync_interval", c->docker_resync_interval_ms);
	add_dur(docker, "lease_ttl", c->docker_lease_ttl_ms);
	cJSON *hosts = cJSON_AddObjectToObject(root, "docker_hosts");
	for (size_t i = 1; i < c->n_docker_hosts; i++)
		add_host(cJSON_AddObjectToObject(hosts, c->docker_hosts[i].name), &c->docker_hosts[i]);
	add_engine(root, &c->engine);
	cJSON *r = cJSON_AddObjectToObject(root, "replicas");
	cJSON_AddNumberToObject(r, "min", c->replicas.min);
	cJSON_AddNumberToObject(r, "max", c->replicas.max);
	cJSON_AddNumberToObject(r, "min_free", c->replicas.min_free);
	add_vpns(root, c);
	if (c->has_ports)
		add_range(root, "ports", c->ports);
	add_str(root, "network", c->network);
	cJSON *h = cJSON_AddObjectToObject(root, "health");
	add_dur(h, "vpn_check_interval", c->health.vpn_check_interval_ms);
	add_dur(h, "port_check_interval", c->health.port_check_interval_ms);
	add_dur(h, "vpn_restart_after", c->health.vpn_restart_after_ms);
	add_dur(h, "vpn_restart_backoff_max", c->health.vpn_restart_backoff_max_ms);
	cJSON_AddBoolToObject(h, "restart_engines_on_reconnect",
			      c->health.restart_engines_on_reconnect);
	add_dur(h, "failover_after", c->health.failover_after_ms);
	add_dur(h, "recover_after", c->health.recover_after_ms);
	cJSON *api = cJSON_AddObjectToObject(root, "api");
	add_str(api, "listen", c->api.listen);
	if (c->api.api_key_file) {
		add_str(api, "api_key_file", c->api.api_key_file);
		cJSON_AddStringToObject(api, "api_key", REDACTED);
	}
	add_dur(api, "stale_grace", c->api.stale_grace_ms);
	cJSON_AddNumberToObject(api, "per_ip_limit", c->api.per_ip_limit);
	cJSON *st = cJSON_AddObjectToObject(root, "streams");
	cJSON_AddNumberToObject(st, "max_per_engine", c->streams.max_per_engine);
	cJSON_AddNumberToObject(st, "max_total", c->streams.max_total);
	add_dur(st, "ttl", c->streams.ttl_ms);
	add_notify(root, c);
	return root;
}
