/* config_docker.c - the Docker hosts of the fleet: `docker:` (the default
 * host), `docker_hosts:` and their TLS files, DOCKER_* fill-ins, and what
 * cannot work across hosts (unknown names, one daemon named twice, ...). */
#include "config-auto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_priv.h"
#include "util.h"

/* Shortest lease the daemon accepts: it renews every third of it, and a
 * renewal is two Docker calls that must fit in that third. */
#define LEASE_TTL_MIN_MS 3000

static void tls_clear(struct docker_tls *t)
{
	free(t->ca);
	free(t->cert);
	free(t->key);
	free(t->ca_path);
	free(t->cert_path);
	free(t->key_path);
	memset(t, 0, sizeof *t);
}

void config_docker_clear(struct config *c)
{
	for (size_t i = 0; i < c->n_docker_hosts; i++) {
		free(c->docker_hosts[i].name);
		free(c->docker_hosts[i].host);
		tls_clear(&c->docker_hosts[i].tls);
	}
	free(c->docker_hosts);
	c->docker_hosts = NULL;
	c->n_docker_hosts = 0;
}

void config_docker_defaults(struct config *c)
{
	c->docker_hosts = xcalloc(1, sizeof *c->docker_hosts);
	c->docker_hosts[0].name = xstrdup(DOCKER_HOST_DEFAULT);
	c->n_docker_hosts = 1;
	c->docker_lease_ttl_ms = 30000;
}

const struct docker_host_decl *config_find_docker_host(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_docker_hosts; i++)
		if (str_eq(c->docker_hosts[i].name, name))
			return &c->docker_hosts[i];
	return NULL;
}

const struct docker_host_decl *config_vpn_docker(const struct config *c, const struct vpn_decl *v)
{
	if (!c || !c->n_docker_hosts)
		return NULL;
	size_t i = v && v->docker_idx < c->n_docker_hosts ? v->docker_idx : 0;
	return &c->docker_hosts[i];
}

/* `host:` of a Docker host: one of the schemes docker.c speaks. */
static void read_address(const struct conv *cv, struct docker_host_decl *h)
{
	char name[128];
	conv_str(cv, "host", &h->host, &h->host_pos);
	if (h->host_pos.line && !str_startswith(h->host, "unix://") &&
	    !str_startswith(h->host, "tcp://") && !str_startswith(h->host, "http://"))
		diags_add(cv->d, DIAG_ERROR, h->host_pos, "%s: '%s' must start with unix://, "
			  "tcp:// or http://", conv_name(cv, "host", name, sizeof name), h->host);
}

/* `tls: {ca, cert, key}`: all three, as `dockerd --tlsverify` wants them. */
static void read_tls(const struct conv *cv, struct docker_host_decl *h)
{
	static const char *const keys[] = { "ca", "cert", "key", NULL };
	const struct ynode *v = ytree_get(cv->map, "tls");
	const struct ynode *m = conv_child(cv, "tls", YN_MAP);
	char path[128];
	if (!v)
		return;
	if (!m) {
		if (v->kind == YN_SCALAR && v->type == YS_NULL)
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: needs ca, cert and key",
				  conv_name(cv, "tls", path, sizeof path));
		return;
	}
	conv_name(cv, "tls", path, sizeof path);
	struct conv sub = { cv->d, m, path, cv->c };
	validate_keys(m, path, keys, cv->d);
	for (size_t i = 0; keys[i]; i++)
		conv_required(&sub, keys[i]);
	h->tls_on = true;
	h->tls.pos = v->pos;
	conv_str(&sub, "ca", &h->tls.ca, &h->tls.ca_pos);
	conv_str(&sub, "cert", &h->tls.cert, &h->tls.cert_pos);
	conv_str(&sub, "key", &h->tls.key, &h->tls.key_pos);
}

/* `docker:` - the default host and the daemon-wide Docker settings. */
static void read_docker(const struct conv *root)
{
	static const char *const keys[] = { "host", "tls", "resync_interval", "lease_ttl", NULL };
	struct config *c = root->c;
	const struct ynode *m = conv_child(root, "docker", YN_MAP);
	if (!m)
		return;
	struct conv sub = { root->d, m, "docker", c };
	struct docker_host_decl *h = &c->docker_hosts[0];
	validate_keys(m, "docker", keys, root->d);
	read_address(&sub, h);
	read_tls(&sub, h);
	conv_unit(&sub, "resync_interval", &c->docker_resync_interval_ms, false, duration_parse);
	int64_t ttl = c->docker_lease_ttl_ms;
	conv_unit(&sub, "lease_ttl", &ttl, true, duration_parse);
	if (ttl != c->docker_lease_ttl_ms && ttl < LEASE_TTL_MIN_MS)
		diags_add(root->d, DIAG_ERROR, ytree_get(m, "lease_ttl")->pos, "docker.lease_ttl: "
			  "must be at least 3s (it is renewed every third of it)");
	else
		c->docker_lease_ttl_ms = ttl;
}

/* `docker_hosts: {NAME: {host, tls}}` - the other hosts, named once. */
static void read_hosts(const struct conv *root)
{
	static const char *const keys[] = { "host", "tls", NULL };
	struct config *c = root->c;
	const struct ynode *m = conv_child(root, "docker_hosts", YN_MAP);
	if (!m)
		return;
	c->docker_hosts = xrealloc(c->docker_hosts, (1 + m->n) * sizeof *c->docker_hosts);
	for (size_t i = 0; i < m->n; i++) {
		const struct ypair *p = &m->pairs[i];
		char path[160];
		if (p->dup || p->val->alias)
			continue;
		sbuf_printf(path, sizeof path, "docker_hosts.%s", p->key->str);
		if (p->val->kind != YN_MAP) {
			diags_add(root->d, DIAG_ERROR, p->val->pos, "%s: expected a mapping with host "
				  "(and tls), got %s", path, ytree_kind_str(p->val));
			continue;
		}
		if (str_eq(p->key->str, DOCKER_HOST_DEFAULT)) {
			diags_add(root->d, DIAG_ERROR, p->key->pos, "docker_hosts: '%s' is the name of "
				  "the top-level docker; give this host another name", p->key->str);
			continue;
		}
		if (!validate_docker_name(p->key->str)) {
			diags_add(root->d, DIAG_ERROR, p->key->pos, "docker_hosts: '%s' is not a valid "
				  "host name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", p->key->str);
			continue;
		}
		struct docker_host_decl *h = &c->docker_hosts[c->n_docker_hosts++];
		memset(h, 0, sizeof *h);
		h->name = xstrdup(p->key->str);
		h->name_pos = p->key->pos;
		struct conv sub = { root->d, p->val, path, c };
		validate_keys(p->val, path, keys, root->d);
		conv_required(&sub, "host");
		read_address(&sub, h);
		read_tls(&sub, h);
	}
}

/* The default host from the environment, as the docker CLI reads it, when
 * the file has no docker.host: the file is the declared truth, the
 * environment a convenience. DOCKER_TLS_VERIFY (any non-empty value) turns
 * TLS on with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default
 * ~/.docker), but only for an address that came from DOCKER_HOST too. */
static void fill_from_env(struct config *c)
{
	struct docker_host_decl *h = &c->docker_hosts[0];
	if (h->host)
		return;
	const char *env = getenv("DOCKER_HOST");
	if (!env || !*env) {
		h->host = xstrdup("unix:///var/run/docker.sock");
		return;
	}
	h->host = xstrdup(env);
	h->from_env = true;
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	if (h->tls_on || !verify || !*verify)
		return;
	const char *dir = getenv("DOCKER_CERT_PATH");
	const char *home = getenv("HOME");
	char *d = dir && *dir ? xstrdup(dir) : xasprintf("%s/.docker", home ? home : "");
	h->tls_on = true;
	h->tls.ca = xasprintf("%s/ca.pem", d);
	h->tls.cert = xasprintf("%s/cert.pem", d);
	h->tls.key = xasprintf("%s/key.pem", d);
	free(d);
}

void config_docker_read(const struct conv *root)
{
	read_docker(root);
	read_hosts(root);
	fill_from_env(root->c);
	free(root->c->docker_host);
	root->c->docker_host = xstrdup(root->c->docker_hosts[0].host);
}

/* vpns[i].docker: a name of docker_hosts (or "default"). */
void config_docker_vpn(const struct conv *cv, struct vpn_decl *v)
{
	conv_str(cv, "docker", &v->docker, &v->docker_pos);
}

/* ---- validation ---- */

/* "tcp://HOST:PORT" of two entries naming one daemon: compared as written,
 * minus the scheme (http:// and tcp:// are the same thing to docker.c) and a
 * trailing slash. */
static char *address_key(const char *host)
{
	const char *p = strstr(host, "://");
	bool unix_sock = str_startswith(host, "unix://");
	char *k = xasprintf("%s%s", unix_sock ? "unix:" : "tcp:", p ? p + 3 : host);
	size_t n = strlen(k);
	while (n > 0 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

/* Where a host's message points: its address, else its name, else tls. */
static struct src_pos host_pos(const struct docker_host_decl *h)
{
	if (h->host_pos.line)
		return h->host_pos;
	return h->name_pos.line ? h->name_pos : h->tls.pos;
}

/* Reads one TLS file far enough to know libcurl can: readable, PEM. Its
 * contents are never printed (the key is a secret). */
static char *tls_file(const char *written, struct src_pos pos, const char *what, bool secret,
		      const char *basedir, struct diags *d)
{
	char *full = written[0] == '/' || !basedir ? xstrdup(written)
						   : xasprintf("%s/%s", basedir, written);
	size_t len = 0;
	char *buf = read_file(full, 1u << 20, &len);
	if (!buf) {
		diags_add(d, DIAG_ERROR, pos, "%s: cannot read '%s': %s", what, written, strerror(errno));
		return full;
	}
	/* Docker's files are PEM; a DER file or a swapped path fails later
	 * with an obscure TLS error, so say it now. */
	if (!memmem(buf, len, "-----BEGIN ", 11))
		diags_add(d, DIAG_ERROR, pos, "%s: '%s' is not a PEM file (no -----BEGIN line)",
			  what, written);
	free(buf);
	struct stat st;
	if (secret && stat(full, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		diags_add(d, DIAG_WARNING, pos, "%s: '%s' is readable by %s (mode %04o); chmod 600 it",
			  what, written, (st.st_mode & S_IROTH) ? "others" : "group",
			  (unsigned)(st.st_mode & 07777));
	return full;
}

static void validate_host(struct docker_host_decl *h, const char *basedir, struct diags *d)
{
	char what[160];
	const char *where = h->from_env ? "DOCKER_HOST" : NULL;
	char base[140];
	if (str_eq(h->name, DOCKER_HOST_DEFAULT))
		sbuf_printf(base, sizeof base, "docker");
	else
		sbuf_printf(base, sizeof base, "docker_hosts.%s", h->name);
	if (!h->tls_on) {
		/* Anyone who reaches a plain tcp socket owns the host. */
		if (h->host && (str_startswith(h->host, "tcp://") || str_startswith(h->host, "http://")) &&
		    !strstr(h->host, "://127.") && !strstr(h->host, "://localhost") &&
		    !strstr(h->host, "://[::1]"))
			diags_add(d, DIAG_WARNING, host_pos(h), "%s: %s '%s' is plain tcp without tls: "
				  "anyone who can reach it controls that Docker host", base,
				  where ? where : "host", h->host);
		return;
	}
	if (h->host && !str_startswith(h->host, "tcp://")) {
		diags_add(d, DIAG_ERROR, h->tls.pos.line ? h->tls.pos : host_pos(h), "%s.tls: tls needs "
			  "a tcp:// host, not '%s' (a unix socket is protected by its file mode)", base,
			  h->host);
		return;
	}
	/* From DOCKER_CERT_PATH the positions are 0:0; the message names it. */
	const char *src = h->from_env ? " (DOCKER_CERT_PATH)" : "";
	sbuf_printf(what, sizeof what, "%s.tls.ca%s", base, src);
	if (h->tls.ca)
		h->tls.ca_path = tls_file(h->tls.ca, h->tls.ca_pos, what, false, basedir, d);
	sbuf_printf(what, sizeof what, "%s.tls.cert%s", base, src);
	if (h->tls.cert)
		h->tls.cert_path = tls_file(h->tls.cert, h->tls.cert_pos, what, false, basedir, d);
	sbuf_printf(what, sizeof what, "%s.tls.key%s", base, src);
	if (h->tls.key)
		h->tls.key_path = tls_file(h->tls.key, h->tls.key_pos, what, true, basedir, d);
}

/* The docker_hosts name closest to a misspelt one, NULL when none is. */
static const char *host_hint(const struct config *c, const char *name)
{
	const char *hint = NULL;
	size_t best = 3;
	for (size_t i = 0; i < c->n_docker_hosts; i++) {
		size_t dist = validate_distance(name, c->docker_hosts[i].name, 2);
		if (dist < best && dist < strlen(name)) {
			best = dist;
			hint = c->docker_hosts[i].name;
		}
	}
	return hint;
}

/* The port an engine named {prefix}-{port} would have, 0 when name is not
 * such a name. */
static int slot_port(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	long long port;
	if (!name || strncmp(name, prefix, n) != 0 || name[n] != '-')
		return 0;
	return parse_int(name + n + 1, 1, 65535, &port) && name[n + 1] != '0' ? (int)port : 0;
}

/* Each VPN's host exists; the names of one host's containers cannot clash:
 * a VPN container named like an engine slot of a VPN on the same host. */
static void validate_vpn_hosts(struct config *c, struct diags *d)
{
	bool *used = xcalloc(c->n_docker_hosts, sizeof *used);
	used[0] = true; /* the lease lives there, and no-VPN engines */
	for (size_t i = 0; i < c->n_vpns; i++) {
		struct vpn_decl *v = &c->vpns[i];
		v->docker_idx = 0;
		if (v->docker) {
			const struct docker_host_decl *h = config_find_docker_host(c, v->docker);
			if (!h) {
				const char *hint = host_hint(c, v->docker);
				if (hint)
					diags_add(d, DIAG_ERROR, v->docker_pos, "vpns[%zu].docker: unknown "
						  "docker host '%s'; did you mean `%s`?", i, v->docker, hint);
				else
					diags_add(d, DIAG_ERROR, v->docker_pos, "vpns[%zu].docker: unknown "
						  "docker host '%s' (declare it under docker_hosts, or use "
						  "`default`)", i, v->docker);
				continue;
			}
			v->docker_idx = (size_t)(h - c->docker_hosts);
		}
		used[v->docker_idx] = true;
		/* Its control server and engines are reached from here: a name
		 * only resolves on the daemon's own Docker network. */
		const struct docker_host_decl *h = &c->docker_hosts[v->docker_idx];
		if (v->docker_idx != 0 && v->name && str_eq(v->host, v->name) &&
		    h->host && !str_startswith(h->host, "unix://"))
			diags_add(d, DIAG_WARNING, v->docker_pos, "vpns[%zu] is on docker host '%s' (%s): "
				  "set its `host` and `api` to addresses that reach that machine from "
				  "here (the defaults use the container name '%s')", i, h->name, h->host,
				  v->name);
	}
	const char *prefix = c->engine.name_prefix ? c->engine.name_prefix : "acestream";
	for (size_t i = 0; i < c->n_vpns; i++) {
		const struct vpn_decl *v = &c->vpns[i];
		int port = slot_port(v->name, prefix);
		for (size_t j = 0; port && j < c->n_vpns; j++) {
			const struct vpn_decl *w = &c->vpns[j];
			if (w->docker_idx == v->docker_idx && w->ports.lo && range_contains(w->ports, port))
				diags_add(d, DIAG_ERROR, v->name_pos, "vpn name '%s' is also the name of the "
					  "engine for port %d of vpn '%s' on docker host '%s': one of the two "
					  "containers could not be created", v->name, port, w->name,
					  c->docker_hosts[v->docker_idx].name);
		}
	}
	for (size_t i = 1; i < c->n_docker_hosts; i++)
		if (!used[i] && c->n_vpns)
			diags_add(d, DIAG_WARNING, c->docker_hosts[i].name_pos, "docker_hosts.%s: no vpn "
				  "uses it (its leftover engines are still removed)",
				  c->docker_hosts[i].name);
	free(used);
}

void config_docker_validate(struct config *c, const char *basedir, struct diags *d)
{
	for (size_t i = 0; i < c->n_docker_hosts; i++)
		validate_host(&c->docker_hosts[i], basedir, d);
	/* One daemon under two names would list every engine twice. */
	for (size_t i = 0; i < c->n_docker_hosts; i++) {
		const struct docker_host_decl *h = &c->docker_hosts[i];
		if (!h->host)
			continue;
		char *ki = address_key(h->host);
		for (size_t j = 0; j < i; j++) {
			const struct docker_host_decl *o = &c->docker_hosts[j];
			char *kj = o->host ? address_key(o->host) : NULL;
			if (kj && strcmp(ki, kj) == 0)
				diags_add(d, DIAG_ERROR, host_pos(h), "docker_hosts.%s: '%s' is the same "
					  "daemon as docker host '%s'; name each Docker host once",
					  h->name, h->host, o->name);
			free(kj);
		}
		free(ki);
	}
	validate_vpn_hosts(c, d);
	if (c->n_vpns == 0 && c->n_docker_hosts > 1)
		diags_add(d, DIAG_WARNING, c->docker_hosts[1].name_pos, "docker_hosts: without vpns "
			  "every engine runs on the default docker host");
}
