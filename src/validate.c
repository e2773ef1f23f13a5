/* validate.c - semantic checks of orchestrator.yaml: unknown keys, names,
 * port ranges and their overlaps, templates and secrets, all errors at once. */
#include "config-auto.h"

#include <errno.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_priv.h"
#include "util.h"

/* ---- unknown keys ---- */

size_t validate_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if ((la > lb ? la - lb : lb - la) > cap || lb > 64)
		return cap + 1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best;
		row[0] = best = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = diag + (a[i - 1] != b[j - 1]);
			size_t v = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
			row[j] = cost < v ? cost : v;
			diag = up;
			if (row[j] < best)
				best = row[j];
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb] > cap ? cap + 1 : row[lb];
}

void validate_keys(const struct ynode *map, const char *path, const char *const *known,
		   struct diags *d)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		const char *hint = NULL;
		size_t best = 3;
		bool ok = false;
		for (const char *const *kn = known; *kn && !ok; kn++) {
			ok = strcmp(k->str, *kn) == 0;
			/* Short keys are close to everything; demand the typo be
			 * smaller than the key itself. */
			size_t dist = validate_distance(k->str, *kn, 2);
			if (dist < best && dist < strlen(k->str)) {
				best = dist;
				hint = *kn;
			}
		}
		if (ok)
			continue;
		char where[96] = "";
		if (*path)
			sbuf_printf(where, sizeof where, " in %s", path);
		if (hint)
			diags_add(d, DIAG_ERROR, k->pos, "unknown key '%s'%s; did you mean `%s`?",
				  k->str, where, hint);
		else
			diags_add(d, DIAG_ERROR, k->pos, "unknown key '%s'%s", k->str, where);
	}
}

/* ---- names and templates ---- */

/* Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool validate_docker_name(const char *s)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	if (!s || !*s || !strchr(alnum, *s))
		return false;
	return s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] == '\0';
}

static void validate_tmpl(const char *what, const char *s, struct src_pos pos, struct diags *d)
{
	char err[128];
	size_t off;
	if (tmpl_check(s, err, sizeof err, &off) != 0)
		diags_add(d, DIAG_ERROR, pos, "%s: %s", what, err);
}

static void validate_engine(const struct config *c, struct diags *d)
{
	const struct engine_decl *e = &c->engine;
	char what[160];
	for (size_t i = 0; i < e->n_env; i++) {
		sbuf_printf(what, sizeof what, "engine.env.%s", e->env[i].key);
		validate_tmpl(what, e->env[i].val, e->env[i].pos, d);
	}
	for (size_t i = 0; i < e->n_command; i++) {
		sbuf_printf(what, sizeof what, "engine.command[%zu]", i);
		validate_tmpl(what, e->command[i].s, e->command[i].pos, d);
	}
}

/* ---- ports ---- */

/* Port of the control-server URL ("http://gluetun:8000/x" -> 8000); the
 * scheme's default when none is written, 0 when it cannot be told. Parsed
 * by libcurl, which is what will connect to it. */
static int validate_url_port(const char *url)
{
	CURLU *u = curl_url();
	char *port = NULL;
	long n = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && port)
		n = strtol(port, NULL, 10);
	curl_free(port);
	curl_url_cleanup(u);
	return n >= 1 && n <= 65535 ? (int)n : 0;
}

/* Where an internal-range error points: the base when the file sets it,
 * otherwise the VPN range that makes the defaults collide. */
static struct src_pos validate_base_pos(struct src_pos base, const struct vpn_decl *v)
{
	return base.line ? base : v->ports_pos;
}

static void validate_internal(const struct config *c, const struct vpn_decl *v, struct diags *d)
{
	const struct engine_decl *e = &c->engine;
	int size = range_size(v->ports);
	struct port_range https = { e->https_port_base, e->https_port_base + size - 1 };
	struct port_range p2p = { e->p2p_port_base, e->p2p_port_base + size - 1 };
	struct port_range shared;
	struct src_pos hpos = validate_base_pos(e->https_port_base_pos, v);
	struct src_pos ppos = validate_base_pos(e->p2p_port_base_pos, v);
	char a[16], b[16], s[16];
	int api_port = validate_url_port(v->api);

	if (https.hi > 65535) {
		diags_add(d, DIAG_ERROR, hpos, "https ports of vpn '%s' (https_port_base %d + %d slots) "
			  "go past 65535", v->name, e->https_port_base, size);
		https.hi = 65535;
	}
	if (p2p.hi > 65535) {
		diags_add(d, DIAG_ERROR, ppos, "p2p ports of vpn '%s' (p2p_port_base %d + %d slots) "
			  "go past 65535", v->name, e->p2p_port_base, size);
		p2p.hi = 65535;
	}
	if (range_overlap(https, v->ports, &shared))
		diags_add(d, DIAG_ERROR, hpos, "https ports %s of vpn '%s' overlap its published "
			  "ports %s on %s", range_fmt(https, a, sizeof a), v->name,
			  range_fmt(v->ports, b, sizeof b), range_fmt(shared, s, sizeof s));
	if (range_overlap(p2p, v->ports, &shared))
		diags_add(d, DIAG_ERROR, ppos, "p2p ports %s of vpn '%s' overlap its published "
			  "ports %s on %s", range_fmt(p2p, a, sizeof a), v->name,
			  range_fmt(v->ports, b, sizeof b), range_fmt(shared, s, sizeof s));
	if (range_overlap(p2p, https, &shared))
		diags_add(d, DIAG_ERROR, ppos, "p2p ports %s of vpn '%s' overlap its https ports %s on %s",
			  range_fmt(p2p, a, sizeof a), v->name, range_fmt(https, b, sizeof b),
			  range_fmt(shared, s, sizeof s));
	/* Engines share the VPN's network namespace, so its control server's
	 * port is taken for all of them. */
	struct src_pos apos = v->api_pos.line ? v->api_pos : v->ports_pos;
	if (api_port && range_contains(v->ports, api_port))
		diags_add(d, DIAG_ERROR, apos, "control-server port %d of vpn '%s' is inside its "
			  "published ports %s", api_port, v->name, range_fmt(v->ports, a, sizeof a));
	if (api_port && range_contains(https, api_port))
		diags_add(d, DIAG_ERROR, hpos, "https ports %s of vpn '%s' include its control-server "
			  "port %d", range_fmt(https, a, sizeof a), v->name, api_port);
	if (api_port && range_contains(p2p, api_port))
		diags_add(d, DIAG_ERROR, ppos, "p2p ports %s of vpn '%s' include its control-server "
			  "port %d", range_fmt(p2p, a, sizeof a), v->name, api_port);
}

static void validate_vpns(const struct config *c, struct diags *d)
{
	char a[16], b[16], s[16];
	long long capacity = 0;
	bool capacity_known = true;
	for (size_t i = 0; i < c->n_vpns; i++) {
		const struct vpn_decl *v = &c->vpns[i];
		bool ports_ok = v->ports.lo > 0;
		if (v->name && !validate_docker_name(v->name))
			diags_add(d, DIAG_ERROR, v->name_pos, "vpns[%zu].name: '%s' is not a valid Docker "
				  "container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", i, v->name);
		for (size_t j = 0; v->name && j < i; j++) {
			if (str_eq(c->vpns[j].name, v->name)) {
				diags_add(d, DIAG_ERROR, v->name_pos, "duplicate vpn name '%s' "
					  "(first at %d:%d)", v->name, c->vpns[j].name_pos.line,
					  c->vpns[j].name_pos.col);
				break;
			}
		}
		capacity += v->max_engines;
		if (!ports_ok) {
			capacity_known = false;
			continue;
		}
		if (v->max_engines > range_size(v->ports))
			diags_add(d, DIAG_ERROR, v->max_engines_pos, "vpns[%zu].max_engines: %d is more "
				  "than the %d ports of %s", i, v->max_engines, range_size(v->ports),
				  range_fmt(v->ports, a, sizeof a));
		if (c->has_ports && c->ports.lo > 0 &&
		    (v->ports.lo < c->ports.lo || v->ports.hi > c->ports.hi))
			diags_add(d, DIAG_ERROR, v->ports_pos, "ports %s of vpn '%s' are outside the "
				  "global ports %s", range_fmt(v->ports, a, sizeof a), v->name,
				  range_fmt(c->ports, b, sizeof b));
		/* One error per pair, at the later VPN: that is usually the edit. */
		for (size_t j = 0; j < i; j++) {
			struct port_range shared;
			const struct vpn_decl *w = &c->vpns[j];
			if (w->ports.lo > 0 && range_overlap(v->ports, w->ports, &shared))
				diags_add(d, DIAG_ERROR, v->ports_pos, "ports %s of vpn '%s' overlap %s "
					  "of vpn '%s' on %s", range_fmt(v->ports, a, sizeof a),
					  v->name, range_fmt(w->ports, b, sizeof b), w->name,
					  range_fmt(shared, s, sizeof s));
		}
		validate_internal(c, v, d);
	}
	/* With a broken range the sum means nothing; the range error says enough. */
	if (c->n_vpns && capacity_known && capacity < c->replicas.min) {
		struct src_pos pos = c->replicas.min_pos.line ? c->replicas.min_pos : c->vpns[0].name_pos;
		diags_add(d, DIAG_WARNING, pos, "replicas.min is %d but the vpns can hold only %lld "
			  "engines in total (sum of max_engines)", c->replicas.min, capacity);
	}
}

/* ---- secrets ---- */

/* Loads one api_key_file; a relative path is taken from the config file's
 * directory so the file works wherever the daemon is started. The contents
 * never reach a message, only the path and the reason. */
static char *validate_secret(const char *path, struct src_pos pos, const char *what,
			     const char *basedir, struct diags *d)
{
	char *full = path[0] == '/' || !basedir ? xstrdup(path) : xasprintf("%s/%s", basedir, path);
	size_t len = 0;
	char *key = read_file(full, 64 * 1024, &len);
	if (!key) {
		diags_add(d, DIAG_ERROR, pos, "%s: cannot read '%s': %s", what, path, strerror(errno));
		goto out;
	}
	while (len > 0 && strchr(" \t\r\n", key[len - 1]))
		key[--len] = '\0';
	if (len == 0 || strlen(key) != len) {
		diags_add(d, DIAG_ERROR, pos, "%s: '%s' is empty or not a text key", what, path);
		free(key);
		key = NULL;
		goto out;
	}
	/* A warning, not an error: Docker and Kubernetes secrets are often
	 * mounted 0444/0644, and refusing them would stop the fleet. */
	struct stat st;
	if (stat(full, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		diags_add(d, DIAG_WARNING, pos, "%s: '%s' is readable by %s (mode %04o); "
			  "chmod 600 it", what, path,
			  (st.st_mode & S_IROTH) ? (st.st_mode & S_IRGRP) ? "group and others" : "others"
						 : "group",
			  (unsigned)(st.st_mode & 07777));
out:
	free(full);
	return key;
}

/* Gluetun's roles (config.toml) have one auth method each: apikey or basic. */
static void validate_vpn_auth(const struct vpn_decl *v, size_t i, struct diags *d)
{
	if (v->api_username && !v->api_password_file)
		diags_add(d, DIAG_ERROR, v->api_username_pos, "vpns[%zu].api_username: needs "
			  "api_password_file (Gluetun basic auth takes both)", i);
	if (v->api_password_file && !v->api_username)
		diags_add(d, DIAG_ERROR, v->api_password_file_pos, "vpns[%zu].api_password_file: "
			  "needs api_username (Gluetun basic auth takes both)", i);
	if (v->api_key_file && (v->api_username || v->api_password_file)) {
		struct src_pos pos = v->api_username ? v->api_username_pos : v->api_password_file_pos;
		diags_add(d, DIAG_ERROR, pos, "vpns[%zu]: api_key_file and api_username/"
			  "api_password_file are exclusive (a Gluetun role has one auth method: "
			  "apikey or basic)", i);
	}
	/* RFC 7617: the user-id of basic auth cannot contain a colon. */
	if (v->api_username && strpbrk(v->api_username, ":\r\n"))
		diags_add(d, DIAG_ERROR, v->api_username_pos, "vpns[%zu].api_username: must not "
			  "contain ':' or a line break", i);
}

/* 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
static bool validate_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
	if (n == 5 && strncmp(listen, "[::1]", 5) == 0)
		return true;
	if (n == 9 && strncasecmp(listen, "localhost", 9) == 0)
		return true;
	if (n < 4 || strncmp(listen, "127.", 4) != 0)
		return false;
	return strspn(listen, "0123456789.") >= n;
}

/* Secrets of the VPNs' control servers and of the webhooks. */
static void validate_secrets(struct config *c, const char *basedir, struct diags *d)
{
	char what[64];
	for (size_t i = 0; i < c->n_vpns; i++) {
		struct vpn_decl *v = &c->vpns[i];
		validate_vpn_auth(v, i, d);
		sbuf_printf(what, sizeof what, "vpns[%zu].api_key_file", i);
		if (v->api_key_file)
			v->api_key = validate_secret(v->api_key_file, v->api_key_file_pos, what, basedir, d);
		sbuf_printf(what, sizeof what, "vpns[%zu].api_password_file", i);
		if (v->api_password_file)
			v->api_password = validate_secret(v->api_password_file,
							  v->api_password_file_pos, what, basedir, d);
	}
	for (size_t i = 0; i < c->n_notify; i++) {
		struct notify_decl *n = &c->notify[i];
		sbuf_printf(what, sizeof what, "notify[%zu].secret_file", i);
		if (n->secret_file)
			n->secret = validate_secret(n->secret_file, n->secret_file_pos, what, basedir, d);
	}
	if (c->api.api_key_file)
		c->api.api_key = validate_secret(c->api.api_key_file, c->api.api_key_file_pos,
						 "api.api_key_file", basedir, d);
	else if (c->api.listen && !validate_loopback(c->api.listen))
		diags_add(d, DIAG_WARNING, c->api.listen_pos, "api.listen: '%s' is not a loopback "
			  "address and api.api_key_file is not set: anyone who reaches it can POST "
			  "stream events and provisioning requests", c->api.listen);
}

void validate_config(struct config *c, const char *basedir, struct diags *d)
{
	validate_engine(c, d);
	validate_vpns(c, d);
	if (c->replicas.min > c->replicas.max) {
		struct src_pos pos = c->replicas.min_pos.line ? c->replicas.min_pos : c->replicas.max_pos;
		diags_add(d, DIAG_ERROR, pos, "replicas.min (%d) is greater than replicas.max (%d)",
			  c->replicas.min, c->replicas.max);
	}
	if (c->replicas.min_free > c->replicas.max) {
		struct src_pos pos = c->replicas.min_free_pos.line ? c->replicas.min_free_pos
								   : c->replicas.max_pos;
		diags_add(d, DIAG_ERROR, pos, "replicas.min_free (%d) is greater than replicas.max (%d)",
			  c->replicas.min_free, c->replicas.max);
	}
	validate_secrets(c, basedir, d);
	config_docker_validate(c, basedir, d);
}
