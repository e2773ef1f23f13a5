/* plan_setup.c - the planner's working state for one pass: groups (VPNs,
 * their port ranges and slots), engines joined with memory, their order. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_int.h"
#include "util.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pl_name *)a)->name, ((const struct pl_name *)b)->name);
}

/* The group whose range holds a port: VPN ranges are disjoint (validate.c),
 * so one entry per port of the span they cover answers it directly. */
static struct pl_group *group_of_port(struct pl *c, int port)
{
	if (port < c->span_lo || port - c->span_lo >= c->span_n)
		return NULL;
	int g = c->port_group[port - c->span_lo];
	return g ? &c->g[g - 1] : NULL;
}

/* hint: the group most likely to hold the port (the engine's own), or NULL. */
static void mark_used(struct pl *c, struct pl_group *hint, int port)
{
	struct pl_group *g = hint && range_contains(hint->range, port) ? hint : group_of_port(c, port);
	if (!g)
		return;
	unsigned char *u = &g->used[port - g->range.lo];
	if (!*u) {
		*u = 1;
		g->n_free--;
	}
}

/* The observation of declared VPN i: observe_build keeps config order. */
static const struct vpn_obs *obs_vpn(const struct pl *c, size_t i)
{
	const char *name = c->cfg->vpns[i].name;
	if (i < c->obs->n_vpns && str_eq(c->obs->vpns[i].name, name))
		return &c->obs->vpns[i];
	return observed_vpn(c->obs, name);
}

/* The port an engine's name says it has ({prefix}-{port}), 0 when none.
 * Called for every engine on every pass, hence digits read by hand rather
 * than through strtoll. */
static int name_port(const char *name, const char *prefix, size_t plen)
{
	if (!name || strncmp(name, prefix, plen) != 0 || name[plen] != '-')
		return 0;
	const char *d = name + plen + 1;
	int v = 0, n = 0;
	for (; *d >= '0' && *d <= '9' && n < 6; d++, n++)
		v = v * 10 + (*d - '0');
	if (*d || n == 0 || n > 5 || name[plen + 1] == '0' || v < 1 || v > 65535)
		return 0;
	return v;
}

static void groups_init(struct pl *c)
{
	const struct config *cfg = c->cfg;
	c->ng = cfg->n_vpns ? cfg->n_vpns : 1;
	c->g = xcalloc(c->ng, sizeof *c->g);
	c->names = xcalloc(c->ng, sizeof *c->names);
	size_t ports = 0;
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		if (cfg->n_vpns) {
			const struct vpn_decl *d = &cfg->vpns[i];
			g->name = d->name;
			g->vo = obs_vpn(c, i);
			g->id = g->vo && g->vo->id ? g->vo->id : "";
			g->range = d->ports;
			g->max = d->max_engines > 0 ? d->max_engines : range_size(d->ports);
			g->available = plan_vpn_available(g->vo);
			const struct docker_host_decl *dh = config_vpn_docker(cfg, d);
			g->host = dh ? dh->name : DOCKER_HOST_DEFAULT;
			g->host_down = g->vo && g->vo->host_down;
			g->pf = d->port_forwarding;
			if (g->pf != PF_OFF && g->vo && g->vo->fwd_port > 0)
				g->fwd = g->vo->fwd_port;
		} else {
			g->name = "";
			g->id = "";
			g->host = DOCKER_HOST_DEFAULT;
			g->range = cfg->ports;
			g->max = range_size(cfg->ports);
			g->available = true;
			g->pf = PF_OFF;
		}
		if (g->max > range_size(g->range))
			g->max = range_size(g->range);
		g->n_free = range_size(g->range);
		g->next_port = g->range.lo;
		ports += (size_t)g->n_free;
		c->names[i] = (struct pl_name){ g->name, (int)i };
	}
	int span_hi = 0;
	c->span_lo = 65536;
	for (size_t i = 0; i < c->ng; i++) {
		if (c->g[i].range.lo < c->span_lo)
			c->span_lo = c->g[i].range.lo;
		if (c->g[i].range.hi > span_hi)
			span_hi = c->g[i].range.hi;
	}
	c->span_n = span_hi >= c->span_lo ? span_hi - c->span_lo + 1 : 0;
	c->port_group = xcalloc(c->span_n ? (size_t)c->span_n : 1, sizeof *c->port_group);
	for (size_t i = 0; i < c->ng; i++)
		for (int p = c->g[i].range.lo; p <= c->g[i].range.hi; p++)
			if (!c->port_group[p - c->span_lo])
				c->port_group[p - c->span_lo] = (unsigned short)(i + 1);
	qsort(c->names, c->ng, sizeof *c->names, name_cmp);
	/* One allocation each for every group's port flags and slot table. */
	c->used = xcalloc(ports ? ports : 1, 1);
	c->slots = xcalloc(ports ? ports : 1, sizeof *c->slots);
	size_t off = 0;
	for (size_t i = 0; i < c->ng; i++) {
		c->g[i].used = c->used + off;
		c->g[i].slot = c->slots + off;
		off += (size_t)range_size(c->g[i].range);
	}
	/* A port whose create Docker refused for its name (a container we do
	 * not own holds {prefix}-{port}) is not offered while that back-off
	 * lasts: the fleet reaches its target on the next free port instead of
	 * stalling. Other failures (image missing...) keep the port: moving on
	 * would only fail again elsewhere. */
	const char *prefix = cfg->engine.name_prefix ? cfg->engine.name_prefix : "acestream";
	size_t plen = strlen(prefix);
	for (size_t i = 0; c->mem && i < c->mem->backoffs.n; i++) {
		const struct memory_backoff *b = c->mem->backoffs.v[i];
		int np = b->name_taken && b->until_ms > c->now ? name_port(b->key, prefix, plen) : 0;
		if (np)
			mark_used(c, NULL, np);
	}
}

static int eng_cmp(const void *a, const void *b, void *arg)
{
	const struct pl *c = arg;
	const struct pl_eng *x = &c->e[*(const size_t *)a], *y = &c->e[*(const size_t *)b];
	/* Undeclared VPNs sort last; ports ascending; names break ties. */
	unsigned gx = (unsigned)x->g, gy = (unsigned)y->g;
	if (gx != gy)
		return gx < gy ? -1 : 1;
	if (x->o->http_port != y->o->http_port)
		return x->o->http_port < y->o->http_port ? -1 : 1;
	int r = strcmp(x->o->name ? x->o->name : "", y->o->name ? y->o->name : "");
	if (r)
		return r;
	return strcmp(x->o->id ? x->o->id : "", y->o->id ? y->o->id : "");
}

/* The group of an engine's VPN label, -1 when not declared. Its port
 * almost always names the group already (its VPN's range): one string
 * comparison confirms it instead of a search by name. */
static int engine_group(struct pl *c, const struct engine_obs *o)
{
	const char *v = o->vpn ? o->vpn : "";
	if (!c->cfg->n_vpns)
		return *v ? -1 : 0;
	const struct pl_group *byport = group_of_port(c, o->http_port);
	if (byport && strcmp(byport->name, v) == 0)
		return (int)(byport - c->g);
	const struct pl_name key = { v, 0 };
	const struct pl_name *n = bsearch(&key, c->names, c->ng, sizeof *c->names, name_cmp);
	return n ? n->g : -1;
}

/*
 * c->ord: engines by (group, http_port, name, id), whatever Docker's order.
 * An engine's port is its slot in its group's range (SPEC §3), so the slot
 * tables put almost every engine in place in one walk; the rest (two
 * engines on one port, ports out of range, undeclared VPNs) are sorted with
 * qsort_r and merged in. Each group's engines end up contiguous.
 */
static void engines_order(struct pl *c)
{
	size_t *rest = xcalloc(c->ne ? c->ne : 1, sizeof *rest);
	size_t n_rest = 0;
	for (size_t i = 0; i < c->ne; i++) {
		const struct pl_eng *e = &c->e[i];
		struct pl_group *g = e->g >= 0 ? &c->g[e->g] : NULL;
		int port = e->o->http_port;
		if (g && range_contains(g->range, port) && !g->slot[port - g->range.lo])
			g->slot[port - g->range.lo] = (int)i + 1;
		else
			rest[n_rest++] = i;
	}
	qsort_r(rest, n_rest, sizeof *rest, eng_cmp, c);
	size_t k = 0, r = 0;
	for (size_t gi = 0; gi < c->ng; gi++) {
		struct pl_group *g = &c->g[gi];
		g->first = k;
		int size = range_size(g->range);
		for (int p = 0; p < size; p++) {
			if (!g->slot[p])
				continue;
			size_t i = (size_t)g->slot[p] - 1;
			while (r < n_rest && eng_cmp(&rest[r], &i, c) < 0)
				c->ord[k++] = rest[r++];
			c->ord[k++] = i;
		}
		while (r < n_rest && c->e[rest[r]].g == (int)gi)
			c->ord[k++] = rest[r++];
		g->n_eng = k - g->first;
	}
	while (r < n_rest)
		c->ord[k++] = rest[r++];
	free(rest);
}

static void engines_init(struct pl *c)
{
	/* Usually every host answered: then no engine needs its host looked up. */
	bool hosts_down = false;
	for (size_t h = 0; h < c->obs->n_hosts; h++)
		hosts_down = hosts_down || !c->obs->hosts[h].ok;
	const char *prefix = c->cfg->engine.name_prefix ? c->cfg->engine.name_prefix : "acestream";
	size_t plen = strlen(prefix);
	c->ne = c->obs->n_engines;
	c->e = xcalloc(c->ne ? c->ne : 1, sizeof *c->e);
	c->ord = xcalloc(c->ne ? c->ne : 1, sizeof *c->ord);
	for (size_t i = 0; i < c->ne; i++) {
		struct pl_eng *e = &c->e[i];
		e->o = &c->obs->engines[i];
		e->g = engine_group(c, e->o);
		e->m = memory_engine(c->mem, e->o->id);
		e->streams = e->m ? e->m->streams : 0;
		e->drift = !str_eq(e->o->config_hash, c->hash);
		/* Issue 11: an engine on a host that did not answer is its last
		 * view; no rule may act on it. Its ports stay taken below. */
		e->away = hosts_down && !observed_host_ok(c->obs, e->o->host);
		e->acted = e->away;
		/* A port is free only if no owned container holds it, whatever
		 * its state, label or VPN: names are {prefix}-{port} and must
		 * stay unique. */
		const struct engine_obs *o = e->o;
		struct pl_group *own = e->g >= 0 ? &c->g[e->g] : NULL;
		mark_used(c, own, o->http_port);
		if (o->host_port != o->http_port)
			mark_used(c, own, o->host_port);
		int np = name_port(o->name, prefix, plen);
		if (np && np != o->http_port && np != o->host_port)
			mark_used(c, own, np);
	}
	engines_order(c);
}

/* Everything rules need before they run: groups, then engines (which
 * mark their ports in their groups) in slot order. */
void pl_setup(struct pl *c)
{
	groups_init(c);
	engines_init(c);
}

void pl_setup_free(struct pl *c)
{
	free(c->used);
	free(c->slots);
	free(c->port_group);
	free(c->names);
	free(c->g);
	free(c->e);
	free(c->ord);
}
