/* config.c - orchestrator.yaml -> struct config: typed conversion of the YAML
 * tree with SPEC §3 defaults, diagnostics collection, loading and freeing. */
#include "config-auto.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"
#include "util.h"
#include "yamltree.h"

/* Larger than any sane config; keeps a mistaken `-c /dev/zero` bounded. */
#define CONFIG_MAX_BYTES (4u << 20)

const char *pf_mode_str(enum pf_mode m)
{
	switch (m) {
	case PF_ON: return "on";
	case PF_OFF: return "off";
	default: return "auto";
	}
}

const char *config_default_path(void)
{
	return SYSCONFDIR "/ace-orchestrator/orchestrator.yaml";
}

/* "HOST:PORT" or "[V6]:PORT" with a port in 1..65535. */
static bool config_listen_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	long long port;
	if (!colon || colon == s || !parse_int(colon + 1, 1, 65535, &port))
		return false;
	if (*s == '[')
		return colon[-1] == ']' && colon - s > 2;
	return memchr(s, ':', (size_t)(colon - s)) == NULL;
}

/* ---- sections ---- */

void config_set_defaults(struct config *c)
{
	c->instance = xstrdup("default");
	c->engine.name_prefix = xstrdup("acestream");
	c->engine.https_port_base = 45000;
	c->engine.p2p_port_base = 50000;
	c->engine.health_path = xstrdup("/server/api?api_version=3&method=get_status");
	c->engine.health_interval_ms = 10000;
	c->engine.health_failures = 3;
	c->engine.stop_timeout_ms = 10000;
	config_preset_apply(&c->engine, PRESET_KRINKUTO11);
	c->replicas.min = 2;
	c->replicas.max = 20;
	c->replicas.min_free = 1;
	c->network = xstrdup("bridge");
	c->health.vpn_check_interval_ms = 5000;
	c->health.port_check_interval_ms = 10000;
	c->health.vpn_restart_after_ms = 60000;
	c->health.vpn_restart_backoff_max_ms = 600000;
	c->health.restart_engines_on_reconnect = true;
	c->api.listen = xstrdup("127.0.0.1:8000");
	c->docker_resync_interval_ms = 60000;
	config_docker_defaults(c);
	c->health.failover_after_ms = 15000;
	c->health.recover_after_ms = 15000;
	c->api.stale_grace_ms = 120000;
	c->api.per_ip_limit = 32;
	c->streams.max_per_engine = 64;
	c->streams.max_total = 10000;
	c->streams.ttl_ms = 12 * 3600 * 1000;
}

static void kvs_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

/* engine.preset: the preset's env and argv are the base the rest of the
 * engine section is laid over, so it is read first. */
static void config_engine_preset(const struct conv *cv)
{
	struct engine_decl *e = &cv->c->engine;
	const struct ynode *v = conv_scalar(cv, "preset", "a string", false);
	enum engine_preset p;
	if (!v)
		return;
	if (!config_preset_parse(v->str, &p)) {
		const char *hint = NULL;
		/* Upstream's names carry an architecture (krinkuto11-amd64). */
		for (int i = 0; i <= PRESET_CUSTOM; i++) {
			const char *name = engine_preset_str((enum engine_preset)i);
			if (validate_distance(v->str, name, 2) <= 2 ||
			    (str_startswith(v->str, name) && v->str[strlen(name)] == '-'))
				hint = name;
		}
		if (hint)
			diags_add(cv->d, DIAG_ERROR, v->pos, "engine.preset: unknown preset '%s'; "
				  "did you mean `%s`? (one of %s)", v->str, hint, config_preset_names());
		else
			diags_add(cv->d, DIAG_ERROR, v->pos, "engine.preset: unknown preset '%s' "
				  "(one of %s)", v->str, config_preset_names());
		return;
	}
	config_preset_apply(e, p);
	e->preset_pos = v->pos;
}

/* engine.env is merged over the preset's env key by key; `KEY: ~` removes
 * a key of the preset. Numbers and booleans are taken as written, as
 * Compose does, since `P2P_PORT: 8621` is natural. */
static void config_engine_env(const struct conv *cv)
{
	struct engine_decl *e = &cv->c->engine;
	const struct ynode *m = conv_child(cv, "env", YN_MAP);
	if (!m)
		return;
	struct conv sub = { cv->d, m, "engine.env", cv->c };
	for (size_t i = 0; i < m->n; i++) {
		const struct ypair *p = &m->pairs[i];
		if (p->dup || p->val->alias)
			continue;
		/* Docker passes env as "KEY=VALUE" strings. */
		if (!*p->key->str || strchr(p->key->str, '=')) {
			diags_add(cv->d, DIAG_ERROR, p->key->pos, "engine.env: '%s' is not a variable "
				  "name (empty or with '=')", p->key->str);
			continue;
		}
		if (p->val->kind == YN_SCALAR && p->val->type == YS_NULL) {
			if (!config_env_unset(e, p->key->str, p->val->pos))
				diags_add(cv->d, DIAG_WARNING, p->val->pos, "engine.env.%s: null removes "
					  "a variable of the preset, but preset '%s' sets no %s",
					  p->key->str, engine_preset_str(e->preset), p->key->str);
			continue;
		}
		if (!conv_scalar(&sub, p->key->str, "a string (or ~ to remove it)", true))
			continue;
		config_env_set(e, p->key->str, p->val->str, p->val->pos);
	}
}

/* engine.command, when present (even empty), replaces the preset's argv:
 * `command: []` is how to run the image's own CMD under an argv preset. */
static void config_engine_command(const struct conv *cv)
{
	struct engine_decl *e = &cv->c->engine;
	const struct ynode *v = ytree_get(cv->map, "command");
	if (!v)
		return;
	if (!(v->kind == YN_SCALAR && v->type == YS_NULL) && v->kind != YN_SEQ) {
		conv_type_error(cv, "command", v, "a sequence");
		return;
	}
	for (size_t i = 0; i < e->n_command; i++)
		free(e->command[i].s);
	free(e->command);
	e->command = NULL;
	e->n_command = 0;
	if (v->kind != YN_SEQ || v->n == 0)
		return;
	e->command = xcalloc(v->n, sizeof *e->command);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (it->alias)
			continue;
		if (it->kind != YN_SCALAR || it->type == YS_NULL) {
			diags_add(cv->d, DIAG_ERROR, it->pos, "engine.command[%zu]: expected a string, "
				  "got %s", i, ytree_kind_str(it));
			continue;
		}
		e->command[e->n_command++] = (struct pstr){ xstrdup(it->str), it->pos };
	}
}

static void config_engine(struct config *c, const struct conv *root)
{
	static const char *const keys[] = {
		"image", "preset", "name_prefix", "https_port_base", "p2p_port_base", "env",
		"command", "labels", "memory_limit", "health", "stop_timeout", NULL,
	};
	static const char *const health_keys[] = { "path", "interval", "failures", NULL };
	struct engine_decl *e = &c->engine;
	const struct ynode *m = conv_child(root, "engine", YN_MAP);
	if (!m) {
		const struct ynode *v = ytree_get(root->map, "engine");
		/* `engine:` with nothing under it still lacks its image. */
		if (v && v->kind == YN_SCALAR && v->type == YS_NULL)
			diags_add(root->d, DIAG_ERROR, v->pos, "missing required key 'image' in engine");
		else
			conv_required(root, "engine");
		return;
	}
	struct conv cv = { root->d, m, "engine", c };
	validate_keys(m, "engine", keys, root->d);
	conv_required(&cv, "image");
	conv_str(&cv, "image", &e->image, &e->image_pos);
	struct src_pos prefix_pos = { 0, 0 };
	conv_str(&cv, "name_prefix", &e->name_prefix, &prefix_pos);
	if (prefix_pos.line && !validate_docker_name(e->name_prefix))
		diags_add(root->d, DIAG_ERROR, prefix_pos, "engine.name_prefix: '%s' is not a valid "
			  "Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", e->name_prefix);
	conv_int(&cv, "https_port_base", 1, 65535, &e->https_port_base, &e->https_port_base_pos);
	conv_int(&cv, "p2p_port_base", 1, 65535, &e->p2p_port_base, &e->p2p_port_base_pos);
	config_engine_preset(&cv);
	config_engine_env(&cv);
	conv_kvs(&cv, "labels", &e->labels, &e->n_labels, true);
	config_engine_command(&cv);
	conv_unit(&cv, "memory_limit", &e->memory_limit, false, size_parse);
	conv_unit(&cv, "stop_timeout", &e->stop_timeout_ms, false, duration_parse);
	const struct ynode *h = conv_child(&cv, "health", YN_MAP);
	if (h) {
		struct conv hc = { root->d, h, "engine.health", c };
		validate_keys(h, "engine.health", health_keys, root->d);
		conv_str(&hc, "path", &e->health_path, NULL);
		conv_unit(&hc, "interval", &e->health_interval_ms, true, duration_parse);
		conv_int(&hc, "failures", 1, INT_MAX, &e->health_failures, NULL);
	}
}

static void config_vpn(struct vpn_decl *v, const struct conv *cv)
{
	static const char *const keys[] = {
		"name", "ports", "max_engines", "host", "api", "api_key_file", "api_username",
		"api_password_file", "port_forwarding", "docker", NULL,
	};
	bool has_ports = false;
	validate_keys(cv->map, cv->path, keys, cv->d);
	conv_required(cv, "name");
	conv_required(cv, "ports");
	conv_str(cv, "name", &v->name, &v->name_pos);
	conv_range(cv, "ports", &v->ports, &v->ports_pos, &has_ports);
	v->max_engines = v->ports.lo ? range_size(v->ports) : 0;
	conv_int(cv, "max_engines", 1, INT_MAX, &v->max_engines, &v->max_engines_pos);
	conv_str(cv, "host", &v->host, NULL);
	conv_str(cv, "api", &v->api, &v->api_pos);
	if (v->api && !str_startswith(v->api, "http://") && !str_startswith(v->api, "https://"))
		diags_add(cv->d, DIAG_ERROR, v->api_pos, "%s.api: '%s' is not an http:// or https:// URL",
			  cv->path, v->api);
	conv_str(cv, "api_key_file", &v->api_key_file, &v->api_key_file_pos);
	conv_str(cv, "api_username", &v->api_username, &v->api_username_pos);
	conv_str(cv, "api_password_file", &v->api_password_file, &v->api_password_file_pos);
	config_docker_vpn(cv, v);
	const char *name = v->name ? v->name : "";
	if (!v->host)
		v->host = xstrdup(name);
	if (!v->api)
		v->api = xasprintf("http://%s:8000", name);
	const struct ynode *pf = conv_scalar(cv, "port_forwarding", "a string", true);
	if (pf) {
		if (strcmp(pf->str, "auto") == 0)
			v->port_forwarding = PF_AUTO;
		else if (strcmp(pf->str, "on") == 0)
			v->port_forwarding = PF_ON;
		else if (strcmp(pf->str, "off") == 0)
			v->port_forwarding = PF_OFF;
		else
			diags_add(cv->d, DIAG_ERROR, pf->pos,
				  "%s.port_forwarding: must be auto, on or off, got '%s'",
				  cv->path, pf->str);
	}
}

static void config_sections(struct config *c, const struct conv *cv)
{
	static const char *const keys[] = {
		"version", "instance", "docker", "docker_hosts", "engine", "replicas", "vpns", "ports",
		"network", "health", "api", "streams", "notify", NULL,
	};
	static const char *const replica_keys[] = { "min", "max", "min_free", NULL };
	static const char *const health_keys[] = {
		"vpn_check_interval", "port_check_interval", "vpn_restart_after",
		"vpn_restart_backoff_max", "restart_engines_on_reconnect", "failover_after",
		"recover_after", NULL,
	};
	static const char *const api_keys[] = {
		"listen", "api_key_file", "stale_grace", "per_ip_limit", NULL,
	};
	static const char *const streams_keys[] = { "max_per_engine", "max_total", "ttl", NULL };
	const struct ynode *m;
	long long version;

	validate_keys(cv->map, "", keys, cv->d);
	conv_required(cv, "version");
	if (conv_llong(cv, "version", LLONG_MIN, LLONG_MAX, &version, NULL)) {
		c->version = (int)version;
		if (version != 1)
			diags_add(cv->d, DIAG_ERROR, ytree_get(cv->map, "version")->pos,
				  "version: unsupported version %lld (only version 1 exists)", version);
	}
	conv_str(cv, "instance", &c->instance, NULL);
	config_docker_read(cv);
	config_engine(c, cv);
	if ((m = conv_child(cv, "replicas", YN_MAP))) {
		struct conv sub = { cv->d, m, "replicas", cv->c };
		validate_keys(m, "replicas", replica_keys, cv->d);
		conv_int(&sub, "min", 0, INT_MAX, &c->replicas.min, &c->replicas.min_pos);
		conv_int(&sub, "max", 0, INT_MAX, &c->replicas.max, &c->replicas.max_pos);
		conv_int(&sub, "min_free", 0, INT_MAX, &c->replicas.min_free, &c->replicas.min_free_pos);
	}
	if ((m = conv_child(cv, "vpns", YN_SEQ))) {
		c->vpns = xcalloc(m->n, sizeof *c->vpns);
		for (size_t i = 0; i < m->n; i++) {
			const struct ynode *it = m->items[i];
			char path[32];
			if (it->alias)
				continue;
			sbuf_printf(path, sizeof path, "vpns[%zu]", i);
			if (it->kind != YN_MAP) {
				diags_add(cv->d, DIAG_ERROR, it->pos, "%s: expected a mapping, got %s",
					  path, ytree_kind_str(it));
				continue;
			}
			struct conv sub = { cv->d, it, path, cv->c };
			config_vpn(&c->vpns[c->n_vpns++], &sub);
		}
	}
	conv_range(cv, "ports", &c->ports, &c->ports_pos, &c->has_ports);
	if (!c->has_ports && c->n_vpns == 0) {
		c->has_ports = true;
		c->ports = (struct port_range){ 19000, 19999 };
	}
	conv_str(cv, "network", &c->network, NULL);
	if ((m = conv_child(cv, "health", YN_MAP))) {
		struct conv sub = { cv->d, m, "health", cv->c };
		validate_keys(m, "health", health_keys, cv->d);
		conv_unit(&sub, "vpn_check_interval", &c->health.vpn_check_interval_ms, true, duration_parse);
		conv_unit(&sub, "port_check_interval", &c->health.port_check_interval_ms, true, duration_parse);
		conv_unit(&sub, "vpn_restart_after", &c->health.vpn_restart_after_ms, false, duration_parse);
		conv_unit(&sub, "vpn_restart_backoff_max", &c->health.vpn_restart_backoff_max_ms, true,
			  duration_parse);
		conv_bool(&sub, "restart_engines_on_reconnect", &c->health.restart_engines_on_reconnect);
		conv_unit(&sub, "failover_after", &c->health.failover_after_ms, false, duration_parse);
		conv_unit(&sub, "recover_after", &c->health.recover_after_ms, false, duration_parse);
	}
	if ((m = conv_child(cv, "api", YN_MAP))) {
		struct conv sub = { cv->d, m, "api", cv->c };
		validate_keys(m, "api", api_keys, cv->d);
		struct src_pos lpos = { 0, 0 };
		conv_str(&sub, "listen", &c->api.listen, &lpos);
		if (lpos.line && !config_listen_ok(c->api.listen))
			diags_add(cv->d, DIAG_ERROR, lpos, "api.listen: '%s' is not HOST:PORT "
				  "(e.g. 127.0.0.1:8000 or [::1]:8000)", c->api.listen);
		else
			c->api.listen_pos = lpos;
		conv_str(&sub, "api_key_file", &c->api.api_key_file, &c->api.api_key_file_pos);
		conv_unit(&sub, "stale_grace", &c->api.stale_grace_ms, false, duration_parse);
		conv_int(&sub, "per_ip_limit", 1, INT_MAX, &c->api.per_ip_limit, NULL);
	}
	if ((m = conv_child(cv, "streams", YN_MAP))) {
		struct conv sub = { cv->d, m, "streams", cv->c };
		validate_keys(m, "streams", streams_keys, cv->d);
		conv_int(&sub, "max_per_engine", 1, INT_MAX, &c->streams.max_per_engine, NULL);
		conv_int(&sub, "max_total", 1, INT_MAX, &c->streams.max_total, NULL);
		conv_unit(&sub, "ttl", &c->streams.ttl_ms, false, duration_parse);
	}
	config_notify(cv);
}

/* ---- load / free ---- */

static char *config_basedir(const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	if (!slash || str_eq(name, "-"))
		return NULL;
	if (slash == name)
		return xstrdup("/");
	return xstrndup(name, (size_t)(slash - name));
}

struct config *config_load_buffer(const char *buf, size_t len, const char *name, struct diags *d)
{
	size_t errors_before = diags_errors(d);
	struct config *c = xcalloc(1, sizeof *c);
	struct ynode *root = ytree_parse(buf, len, d);
	char *basedir = NULL;

	c->source = xstrdup(name ? name : "-");
	config_set_defaults(c);
	if (!root)
		goto fail;
	if (root->kind != YN_MAP) {
		diags_add(d, DIAG_ERROR, root->pos, "expected a mapping at the top level, got %s",
			  ytree_kind_str(root));
		goto fail;
	}
	struct conv cv = { d, root, "", c };
	config_sections(c, &cv);
	basedir = config_basedir(name);
	validate_config(c, basedir, d);
	if (diags_errors(d) > errors_before)
		goto fail;
	free(basedir);
	ytree_free(root);
	return c;
fail:
	free(basedir);
	ytree_free(root);
	config_free(c);
	return NULL;
}

struct config *config_load_file(const char *path, struct diags *d)
{
	size_t len = 0;
	char *buf = read_file(path, CONFIG_MAX_BYTES, &len);
	if (!buf) {
		diags_add(d, DIAG_ERROR, (struct src_pos){ 0, 0 }, "cannot read %s: %s",
			  str_eq(path, "-") ? "standard input" : path, strerror(errno));
		return NULL;
	}
	struct config *c = config_load_buffer(buf, len, path, d);
	free(buf);
	return c;
}

const struct vpn_decl *config_find_vpn(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_vpns; i++)
		if (str_eq(c->vpns[i].name, name))
			return &c->vpns[i];
	return NULL;
}

void config_free(struct config *c)
{
	config_clear(c);
	free(c);
}

void config_clear(struct config *c)
{
	if (!c)
		return;
	free(c->source);
	free(c->instance);
	free(c->docker_host);
	config_docker_clear(c);
	free(c->engine.image);
	free(c->engine.name_prefix);
	kvs_free(c->engine.env, c->engine.n_env);
	kvs_free(c->engine.env_unset, c->engine.n_env_unset);
	for (size_t i = 0; i < c->engine.n_command; i++)
		free(c->engine.command[i].s);
	free(c->engine.command);
	kvs_free(c->engine.labels, c->engine.n_labels);
	free(c->engine.health_path);
	for (size_t i = 0; i < c->n_vpns; i++) {
		struct vpn_decl *v = &c->vpns[i];
		free(v->name);
		free(v->docker);
		free(v->host);
		free(v->api);
		free(v->api_key_file);
		free(v->api_key);
		free(v->api_username);
		free(v->api_password_file);
		free(v->api_password);
	}
	free(c->vpns);
	for (size_t i = 0; i < c->n_notify; i++) {
		free(c->notify[i].url);
		free(c->notify[i].secret_file);
		free(c->notify[i].secret);
	}
	free(c->notify);
	free(c->network);
	free(c->api.listen);
	free(c->api.api_key_file);
	free(c->api.api_key);
	memset(c, 0, sizeof *c);
}
