/* plan_fixtures.c - builders for planner tests: configs and observations
 * assembled in C so the planner is tested without the YAML parser or Docker. */
#include "config-auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_fixtures.h"
#include "util.h"

/* Fixture misuse is a broken test, not a failed assertion of the planner. */
#define ck_fx_assert(c) do { if (!(c)) fatal("plan_fixtures: %s", #c); } while (0)

static char fx_sum[8192];

void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	struct config *c = &f->cfg;
	/* SPEC §3's defaults as the parser applies them, then what a test
	 * file would have to say: version, image, and the no-VPN range. */
	config_set_defaults(c);
	c->version = 1;
	free(c->instance);
	c->instance = xstrdup("test");
	c->docker_host = xstrdup("unix:///var/run/docker.sock");
	c->engine.image = xstrdup("ghcr.io/krinkuto11/acestream-http-proxy:latest");
	c->ports = (struct port_range){ 19000, 19999 };
	f->obs.docker_ok = true;
	memory_init(&f->mem);
	plan_init(&f->plan);
	fx_rehash(f);
}

void fx_rehash(struct fx *f)
{
	config_engine_hash(&f->cfg, f->hash);
}

void fx_free(struct fx *f)
{
	config_clear(&f->cfg);
	observed_free(&f->obs);
	memory_free(&f->mem);
	plan_free(&f->plan);
}

struct vpn_obs *fx_vpn(struct fx *f, const char *name, int lo, int hi, int max_engines,
		       enum pf_mode pf)
{
	struct config *c = &f->cfg;
	c->vpns = xrealloc(c->vpns, (c->n_vpns + 1) * sizeof *c->vpns);
	struct vpn_decl *d = &c->vpns[c->n_vpns++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->ports = (struct port_range){ lo, hi };
	d->max_engines = max_engines ? max_engines : hi - lo + 1;
	d->host = xstrdup(name);
	d->api = xasprintf("http://%s:8000", name);
	d->port_forwarding = pf;

	f->obs.vpns = xrealloc(f->obs.vpns, (f->obs.n_vpns + 1) * sizeof *f->obs.vpns);
	struct vpn_obs *v = &f->obs.vpns[f->obs.n_vpns++];
	memset(v, 0, sizeof *v);
	v->name = xstrdup(name);
	v->exists = true;
	v->id = xasprintf("%s-id", name);
	v->running = true;
	v->state = xstrdup("running");
	v->health = HEALTH_HEALTHY;
	v->started_at_ms = 1000;
	v->api_ok = true;
	/* The hash covers the network only without VPNs. */
	fx_rehash(f);
	return v;
}

struct vpn_obs *fx_vobs(struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->obs.n_vpns; i++)
		if (str_eq(f->obs.vpns[i].name, name))
			return &f->obs.vpns[i];
	return NULL;
}

static void kv_add(struct kv **v, size_t *n, const char *key, const char *val)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].val = xstrdup(val);
	(*n)++;
}

void fx_env(struct fx *f, const char *key, const char *val)
{
	kv_add(&f->cfg.engine.env, &f->cfg.engine.n_env, key, val);
	fx_rehash(f);
}

void fx_label(struct fx *f, const char *key, const char *val)
{
	kv_add(&f->cfg.engine.labels, &f->cfg.engine.n_labels, key, val);
	fx_rehash(f);
}

void fx_cmd(struct fx *f, const char *arg)
{
	struct engine_decl *e = &f->cfg.engine;
	e->command = xrealloc(e->command, (e->n_command + 1) * sizeof *e->command);
	memset(&e->command[e->n_command], 0, sizeof *e->command);
	e->command[e->n_command++].s = xstrdup(arg);
	fx_rehash(f);
}

static const struct vpn_decl *decl(struct fx *f, const char *vpn)
{
	for (size_t i = 0; i < f->cfg.n_vpns; i++)
		if (str_eq(f->cfg.vpns[i].name, vpn))
			return &f->cfg.vpns[i];
	return NULL;
}

struct engine_obs *fx_fwd_engine(struct fx *f, const char *vpn, int http_port, int p2p)
{
	f->obs.engines = xrealloc(f->obs.engines, (f->obs.n_engines + 1) * sizeof *f->obs.engines);
	struct engine_obs *e = &f->obs.engines[f->obs.n_engines++];
	memset(e, 0, sizeof *e);
	const struct vpn_decl *d = vpn && *vpn ? decl(f, vpn) : NULL;
	int lo = d ? d->ports.lo : f->cfg.ports.lo;
	const struct vpn_obs *vo = vpn && *vpn ? fx_vobs(f, vpn) : NULL;
	e->id = xasprintf("e%d", http_port);
	e->name = xasprintf("acestream-%d", http_port);
	e->state = xstrdup("running");
	e->running = true;
	e->vpn = xstrdup(vpn ? vpn : "");
	e->vpn_id = xstrdup(vo && vo->id ? vo->id : "");
	e->forwarded = p2p > 0;
	e->http_port = http_port;
	e->host_port = http_port;
	e->https_port = f->cfg.engine.https_port_base + (http_port - lo);
	e->p2p_port = p2p > 0 ? p2p : f->cfg.engine.p2p_port_base + (http_port - lo);
	e->config_hash = xstrdup(f->hash);
	e->inspected = true;
	e->network_mode = vo ? xasprintf("container:%s", vo->id) : xstrdup(f->cfg.network);
	e->started_at_ms = 2000;
	e->ns = vo ? NS_CURRENT : NS_UNKNOWN;
	/* Engines live on their VPN's Docker host. */
	if (vo && vo->host)
		e->host = xstrdup(vo->host);
	return e;
}

/* The observation's host list follows the config's (as observe_fleet's). */
static void fx_hosts_sync(struct fx *f)
{
	const struct config *c = &f->cfg;
	struct host_obs *h = xcalloc(c->n_docker_hosts, sizeof *h);
	for (size_t i = 0; i < c->n_docker_hosts; i++) {
		const struct host_obs *old = observed_host(&f->obs, c->docker_hosts[i].name);
		h[i].name = xstrdup(c->docker_hosts[i].name);
		h[i].address = xstrdup(c->docker_hosts[i].host ? c->docker_hosts[i].host : "");
		h[i].ok = old ? old->ok : true;
		h[i].error = old && old->error ? xstrdup(old->error) : NULL;
	}
	for (size_t i = 0; i < f->obs.n_hosts; i++) {
		free(f->obs.hosts[i].name);
		free(f->obs.hosts[i].address);
		free(f->obs.hosts[i].error);
	}
	free(f->obs.hosts);
	f->obs.hosts = h;
	f->obs.n_hosts = c->n_docker_hosts;
}

void fx_host(struct fx *f, const char *name)
{
	struct config *c = &f->cfg;
	c->docker_hosts = xrealloc(c->docker_hosts, (c->n_docker_hosts + 1) * sizeof *c->docker_hosts);
	struct docker_host_decl *h = &c->docker_hosts[c->n_docker_hosts++];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	h->host = xasprintf("tcp://%s.example:2376", name);
	fx_hosts_sync(f);
}

void fx_vpn_host(struct fx *f, const char *vpn, const char *host)
{
	const struct docker_host_decl *h = config_find_docker_host(&f->cfg, host);
	ck_fx_assert(h != NULL);
	for (size_t i = 0; i < f->cfg.n_vpns; i++)
		if (str_eq(f->cfg.vpns[i].name, vpn))
			f->cfg.vpns[i].docker_idx = (size_t)(h - f->cfg.docker_hosts);
	struct vpn_obs *v = fx_vobs(f, vpn);
	free(v->host);
	v->host = xstrdup(host);
}

void fx_host_down(struct fx *f, const char *host, bool down)
{
	fx_hosts_sync(f);
	for (size_t i = 0; i < f->obs.n_hosts; i++) {
		struct host_obs *h = &f->obs.hosts[i];
		if (!str_eq(h->name, host))
			continue;
		h->ok = !down;
		free(h->error);
		h->error = down ? xstrdup("connect: Connection refused") : NULL;
	}
	for (size_t i = 0; i < f->obs.n_vpns; i++)
		if (str_eq(f->obs.vpns[i].host ? f->obs.vpns[i].host : "default", host))
			f->obs.vpns[i].host_down = down;
}

struct engine_obs *fx_engine(struct fx *f, const char *vpn, int http_port)
{
	return fx_fwd_engine(f, vpn, http_port, 0);
}

struct engine_obs *fx_find_engine(struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->obs.n_engines; i++)
		if (str_eq(f->obs.engines[i].name, name))
			return &f->obs.engines[i];
	return NULL;
}

void fx_streams(struct fx *f, int http_port, int streams)
{
	char id[16];
	snprintf(id, sizeof id, "e%d", http_port);
	memory_set_streams(&f->mem, id, streams);
}

size_t fx_plan(struct fx *f, int64_t now)
{
	plan_free(&f->plan);
	memory_observe(&f->mem, &f->cfg, &f->obs, now);
	return plan_compute(&f->cfg, &f->obs, &f->mem, now, &f->plan);
}

const char *fx_summary(struct fx *f)
{
	size_t off = 0;
	fx_sum[0] = '\0';
	for (size_t i = 0; i < f->plan.n && off < sizeof fx_sum; i++) {
		const struct action *a = &f->plan.v[i];
		int n = snprintf(fx_sum + off, sizeof fx_sum - off, "%s%s %s%s", i ? ", " : "",
				 action_kind_str(a->kind), a->name,
				 a->spec && a->spec->forwarded ? "*" : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return fx_sum;
}

int fx_count(const struct plan *p, enum action_kind k)
{
	int n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->v[i].kind == k;
	return n;
}

int fx_index(const struct plan *p, enum action_kind k, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].kind == k && str_eq(p->v[i].name, name))
			return (int)i;
	return -1;
}

bool fx_has_note(const struct plan *p, const char *needle)
{
	for (size_t i = 0; i < p->n_notes; i++)
		if (strstr(p->notes[i].text, needle))
			return true;
	if (p->reason && strstr(p->reason, needle))
		return true;
	return false;
}
