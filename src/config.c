/* config.c - orchestrator.yaml -> struct config: typed conversion of the YAML
 * tree with SPEC §3 defaults, diagnostics collection, loading and freeing. */
#include "config-auto.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"
#include "util.h"
#include "yamltree.h"

/* Larger than any sane config; keeps a mistaken `-c /dev/zero` bounded. */
#define CONFIG_MAX_BYTES (4u << 20)

/* ---- diagnostics ---- */

void diags_add(struct diags *d, enum diag_level lvl, struct src_pos pos, const char *fmt, ...)
{
	va_list ap;
	grow(&d->v, &d->cap, d->n + 1, sizeof *d->v);
	va_start(ap, fmt);
	d->v[d->n++] = (struct diag){ .level = lvl, .pos = pos, .msg = xvasprintf(fmt, ap) };
	va_end(ap);
}

size_t diags_errors(const struct diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].level == DIAG_ERROR;
	return n;
}

static int diags_cmp(const void *pa, const void *pb)
{
	const struct diag *a = *(const struct diag *const *)pa;
	const struct diag *b = *(const struct diag *const *)pb;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	/* Same position: keep the order they were found in (qsort is not stable). */
	return a < b ? -1 : a > b;
}

void diags_print(const struct diags *d, const char *file, FILE *out)
{
	if (!d->n)
		return;
	const struct diag **sorted = xcalloc(d->n, sizeof *sorted);
	for (size_t i = 0; i < d->n; i++)
		sorted[i] = &d->v[i];
	qsort(sorted, d->n, sizeof *sorted, diags_cmp);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = sorted[i];
		const char *lvl = g->level == DIAG_ERROR ? "error" : "warning";
		/* Position 0 means "the file as a whole" (e.g. it cannot be read). */
		if (g->pos.line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", file, g->pos.line, g->pos.col, lvl, g->msg);
		else
			fprintf(out, "%s: %s: %s\n", file, lvl, g->msg);
	}
	free(sorted);
}

void diags_free(struct diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	*d = (struct diags){ 0 };
}

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

/* ---- typed getters: each reports its own type error at the value ---- */

struct conv {
	struct diags *d;
	const struct ynode *map; /* the mapping being read */
	const char *path;        /* its dotted location, "" at the top */
};

/* Full dotted name of key in the current mapping, for messages. */
static const char *conv_name(const struct conv *cv, const char *key, char *buf, size_t len)
{
	if (*cv->path)
		sbuf_printf(buf, len, "%s.%s", cv->path, key);
	else
		sbuf_printf(buf, len, "%s", key);
	return buf;
}

static void conv_type_error(const struct conv *cv, const char *key, const struct ynode *v,
			    const char *want)
{
	char name[128];
	diags_add(cv->d, DIAG_ERROR, v->pos, "%s: expected %s, got %s",
		  conv_name(cv, key, name, sizeof name), want, ytree_kind_str(v));
}

/* Returns the scalar text of key, or NULL when absent or of another type. */
static const struct ynode *conv_scalar(const struct conv *cv, const char *key, const char *want,
				       bool any_scalar)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v)
		return NULL;
	bool ok = v->kind == YN_SCALAR && v->type != YS_NULL &&
		  (any_scalar || v->type == YS_STR);
	if (!ok) {
		conv_type_error(cv, key, v, want);
		return NULL;
	}
	return v;
}

static void conv_str(const struct conv *cv, const char *key, char **out, struct src_pos *pos)
{
	char name[128];
	const struct ynode *v = conv_scalar(cv, key, "a string", false);
	if (!v)
		return;
	/* No string key of the format means anything when empty (names,
	 * addresses, paths): an empty one is a mistake, not a default. */
	if (!*v->str) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must not be empty",
			  conv_name(cv, key, name, sizeof name));
		return;
	}
	free(*out);
	*out = xstrdup(v->str);
	if (pos)
		*pos = v->pos;
}

static bool conv_llong(const struct conv *cv, const char *key, long long min, long long max,
		       long long *out, struct src_pos *pos)
{
	char name[128];
	const struct ynode *v = ytree_get(cv->map, key);
	long long n;
	if (!v)
		return false;
	if (v->kind != YN_SCALAR || v->type != YS_INT) {
		conv_type_error(cv, key, v, "an integer");
		return false;
	}
	conv_name(cv, key, name, sizeof name);
	if (!parse_int(v->str, LLONG_MIN, LLONG_MAX, &n) || n < min || n > max) {
		if (min == 0 && v->str[0] == '-')
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must not be negative, got %s",
				  name, v->str);
		else if (max == INT_MAX)
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be at least %lld, got %s",
				  name, min, v->str);
		else
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be between %lld and %lld, got %s",
				  name, min, max, v->str);
		return false;
	}
	*out = n;
	if (pos)
		*pos = v->pos;
	return true;
}

static void conv_int(const struct conv *cv, const char *key, int min, int max, int *out,
		     struct src_pos *pos)
{
	long long n;
	if (conv_llong(cv, key, min, max, &n, pos))
		*out = (int)n;
}

static void conv_bool(const struct conv *cv, const char *key, bool *out)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v)
		return;
	if (v->kind != YN_SCALAR || v->type != YS_BOOL) {
		conv_type_error(cv, key, v, "a boolean (true or false)");
		return;
	}
	*out = v->str[0] == 't' || v->str[0] == 'T';
}

/* Durations and sizes: a string with a unit, or a bare integer. */
static void conv_unit(const struct conv *cv, const char *key, int64_t *out, bool positive,
		      int (*parse)(const char *, int64_t *, char *, size_t))
{
	char name[128], err[160];
	int64_t n;
	const struct ynode *v = conv_scalar(cv, key, "a string or an integer", true);
	if (!v)
		return;
	conv_name(cv, key, name, sizeof name);
	if (v->type != YS_STR && v->type != YS_INT) {
		conv_type_error(cv, key, v, "a string or an integer");
		return;
	}
	if (parse(v->str, &n, err, sizeof err) != 0) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: %s", name, err);
		return;
	}
	if (positive && n == 0) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be greater than 0", name);
		return;
	}
	*out = n;
}

static void conv_range(const struct conv *cv, const char *key, struct port_range *out,
		       struct src_pos *pos, bool *present)
{
	char name[128], err[160];
	const struct ynode *v = conv_scalar(cv, key, "a port range string (LO-HI)", true);
	if (!v)
		return;
	*present = true;
	*pos = v->pos;
	if (v->type != YS_STR && v->type != YS_INT) {
		conv_type_error(cv, key, v, "a port range string (LO-HI)");
		return;
	}
	if (range_parse(v->str, out, err, sizeof err) != 0)
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: %s", conv_name(cv, key, name, sizeof name), err);
}

/* A nested mapping or sequence; null counts as empty, absent as NULL. */
static const struct ynode *conv_child(const struct conv *cv, const char *key, enum ynode_kind kind)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v || (v->kind == YN_SCALAR && v->type == YS_NULL))
		return NULL;
	if (v->kind != kind) {
		conv_type_error(cv, key, v, kind == YN_MAP ? "a mapping" : "a sequence");
		return NULL;
	}
	return v;
}

static void conv_required(const struct conv *cv, const char *key)
{
	if (ytree_has(cv->map, key))
		return;
	if (*cv->path)
		diags_add(cv->d, DIAG_ERROR, cv->map->pos, "missing required key '%s' in %s",
			  key, cv->path);
	else
		diags_add(cv->d, DIAG_ERROR, cv->map->pos, "missing required key '%s'", key);
}

/* engine.env / engine.labels: string -> scalar. Numbers and booleans are
 * taken as written, as Compose does, since `P2P_PORT: 8621` is natural. */
static void conv_kvs(const struct conv *cv, const char *key, struct kv **out, size_t *n,
		     bool labels)
{
	const struct ynode *m = conv_child(cv, key, YN_MAP);
	char path[128];
	if (!m)
		return;
	conv_name(cv, key, path, sizeof path);
	struct conv sub = { cv->d, m, path };
	*out = xcalloc(m->n, sizeof **out);
	for (size_t i = 0; i < m->n; i++) {
		const struct ypair *p = &m->pairs[i];
		if (p->dup || p->val->alias)
			continue;
		if (labels && str_startswith(p->key->str, "acestream.")) {
			diags_add(cv->d, DIAG_ERROR, p->key->pos,
				  "%s: label '%s' is in the reserved acestream.* namespace",
				  path, p->key->str);
			continue;
		}
		if (!conv_scalar(&sub, p->key->str, "a string", true))
			continue;
		(*out)[*n] = (struct kv){ xstrdup(p->key->str), xstrdup(p->val->str), p->val->pos };
		(*n)++;
	}
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
	static const struct kv env[] = {
		{ "CONF", "--http-port={http_port}\n--https-port={https_port}\n--bind-all", { 0, 0 } },
		{ "P2P_PORT", "{p2p_port}", { 0, 0 } },
	};
	c->instance = xstrdup("default");
	c->engine.name_prefix = xstrdup("acestream");
	c->engine.https_port_base = 45000;
	c->engine.p2p_port_base = 50000;
	c->engine.health_path = xstrdup("/server/api?api_version=3&method=get_status");
	c->engine.health_interval_ms = 10000;
	c->engine.health_failures = 3;
	c->engine.stop_timeout_ms = 10000;
	c->engine.env = xcalloc(ARRAY_LEN(env), sizeof *c->engine.env);
	for (size_t i = 0; i < ARRAY_LEN(env); i++)
		c->engine.env[i] = (struct kv){ xstrdup(env[i].key), xstrdup(env[i].val), { 0, 0 } };
	c->engine.n_env = ARRAY_LEN(env);
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
}

static void kvs_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

static void config_engine(struct config *c, const struct conv *root)
{
	static const char *const keys[] = {
		"image", "name_prefix", "https_port_base", "p2p_port_base", "env", "command",
		"labels", "memory_limit", "health", "stop_timeout", NULL,
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
	struct conv cv = { root->d, m, "engine" };
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
	if (ytree_get(m, "env")) {
		/* A declared env replaces the default one entirely. */
		kvs_free(e->env, e->n_env);
		e->env = NULL;
		e->n_env = 0;
		conv_kvs(&cv, "env", &e->env, &e->n_env, false);
	}
	conv_kvs(&cv, "labels", &e->labels, &e->n_labels, true);
	const struct ynode *cmd = conv_child(&cv, "command", YN_SEQ);
	if (cmd) {
		e->command = xcalloc(cmd->n, sizeof *e->command);
		for (size_t i = 0; i < cmd->n; i++) {
			const struct ynode *it = cmd->items[i];
			if (it->alias)
				continue;
			if (it->kind != YN_SCALAR || it->type == YS_NULL) {
				diags_add(root->d, DIAG_ERROR, it->pos,
					  "engine.command[%zu]: expected a string, got %s", i,
					  ytree_kind_str(it));
				continue;
			}
			e->command[e->n_command++] = (struct pstr){ xstrdup(it->str), it->pos };
		}
	}
	conv_unit(&cv, "memory_limit", &e->memory_limit, false, size_parse);
	conv_unit(&cv, "stop_timeout", &e->stop_timeout_ms, false, duration_parse);
	const struct ynode *h = conv_child(&cv, "health", YN_MAP);
	if (h) {
		struct conv hc = { root->d, h, "engine.health" };
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
		"api_password_file", "port_forwarding", NULL,
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
		"version", "instance", "docker", "engine", "replicas", "vpns", "ports",
		"network", "health", "api", NULL,
	};
	static const char *const docker_keys[] = { "host", NULL };
	static const char *const replica_keys[] = { "min", "max", "min_free", NULL };
	static const char *const health_keys[] = {
		"vpn_check_interval", "port_check_interval", "vpn_restart_after",
		"vpn_restart_backoff_max", "restart_engines_on_reconnect", NULL,
	};
	static const char *const api_keys[] = { "listen", "api_key_file", NULL };
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
	if ((m = conv_child(cv, "docker", YN_MAP))) {
		struct conv sub = { cv->d, m, "docker" };
		validate_keys(m, "docker", docker_keys, cv->d);
		struct src_pos hpos = { 0, 0 };
		conv_str(&sub, "host", &c->docker_host, &hpos);
		if (hpos.line && !str_startswith(c->docker_host, "unix://") &&
		    !str_startswith(c->docker_host, "tcp://") && !str_startswith(c->docker_host, "http://"))
			diags_add(cv->d, DIAG_ERROR, hpos, "docker.host: '%s' must start with unix://, "
				  "tcp:// or http://", c->docker_host);
	}
	config_engine(c, cv);
	if ((m = conv_child(cv, "replicas", YN_MAP))) {
		struct conv sub = { cv->d, m, "replicas" };
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
			struct conv sub = { cv->d, it, path };
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
		struct conv sub = { cv->d, m, "health" };
		validate_keys(m, "health", health_keys, cv->d);
		conv_unit(&sub, "vpn_check_interval", &c->health.vpn_check_interval_ms, true, duration_parse);
		conv_unit(&sub, "port_check_interval", &c->health.port_check_interval_ms, true, duration_parse);
		conv_unit(&sub, "vpn_restart_after", &c->health.vpn_restart_after_ms, false, duration_parse);
		conv_unit(&sub, "vpn_restart_backoff_max", &c->health.vpn_restart_backoff_max_ms, true,
			  duration_parse);
		conv_bool(&sub, "restart_engines_on_reconnect", &c->health.restart_engines_on_reconnect);
	}
	if ((m = conv_child(cv, "api", YN_MAP))) {
		struct conv sub = { cv->d, m, "api" };
		validate_keys(m, "api", api_keys, cv->d);
		struct src_pos lpos = { 0, 0 };
		conv_str(&sub, "listen", &c->api.listen, &lpos);
		if (lpos.line && !config_listen_ok(c->api.listen))
			diags_add(cv->d, DIAG_ERROR, lpos, "api.listen: '%s' is not HOST:PORT "
				  "(e.g. 127.0.0.1:8000 or [::1]:8000)", c->api.listen);
		conv_str(&sub, "api_key_file", &c->api.api_key_file, &c->api.api_key_file_pos);
	}
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
	struct conv cv = { d, root, "" };
	config_sections(c, &cv);
	if (!c->docker_host) {
		/* DOCKER_HOST only fills in for an absent docker.host: the file
		 * is the declared truth, the environment a convenience. */
		const char *env = getenv("DOCKER_HOST");
		c->docker_host = xstrdup(env && *env ? env : "unix:///var/run/docker.sock");
	}
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
	free(c->engine.image);
	free(c->engine.name_prefix);
	kvs_free(c->engine.env, c->engine.n_env);
	for (size_t i = 0; i < c->engine.n_command; i++)
		free(c->engine.command[i].s);
	free(c->engine.command);
	kvs_free(c->engine.labels, c->engine.n_labels);
	free(c->engine.health_path);
	for (size_t i = 0; i < c->n_vpns; i++) {
		struct vpn_decl *v = &c->vpns[i];
		free(v->name);
		free(v->host);
		free(v->api);
		free(v->api_key_file);
		free(v->api_key);
		free(v->api_username);
		free(v->api_password_file);
		free(v->api_password);
	}
	free(c->vpns);
	free(c->network);
	free(c->api.listen);
	free(c->api.api_key_file);
	free(c->api.api_key);
	memset(c, 0, sizeof *c);
}
