/* plan.c - the pure reconciler: plan_compute applies SPEC §5 to (config,
 * observed, memory, now) and returns ordered actions; no I/O, no clock reads. */
#include "config-auto.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_int.h"
#include "util.h"

void pl_note(struct plan *out, const char *vpn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	grow(&out->notes, &out->cap_notes, out->n_notes + 1, sizeof *out->notes);
	out->notes[out->n_notes].vpn = xstrdup(vpn ? vpn : "");
	out->notes[out->n_notes].text = xvasprintf(fmt, ap);
	out->n_notes++;
	va_end(ap);
}

size_t pl_push(struct pl_list *l, enum action_kind k, int e, int g,
		      struct engine_spec *spec, int dep, char *reason)
{
	grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n] = (struct pl_item){ .kind = k, .e = e, .g = g, .reason = reason,
				       .spec = spec, .dep = dep };
	return l->n++;
}

static void pl_list_free(struct pl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].reason);
		engine_spec_free(l->v[i].spec);
	}
	free(l->v);
}

static const char *health_word(enum health_status h)
{
	switch (h) {
	case HEALTH_NONE: return "none";
	case HEALTH_STARTING: return "starting";
	case HEALTH_HEALTHY: return "healthy";
	case HEALTH_UNHEALTHY: return "unhealthy";
	}
	return "unknown";
}

bool plan_vpn_available(const struct vpn_obs *v)
{
	if (!v || !v->exists || !v->running)
		return false;
	if (v->health == HEALTH_HEALTHY)
		return true;
	/* Without a Docker health check the control server is the only sign
	 * of life; "starting" means Gluetun has not connected yet. */
	return v->health == HEALTH_NONE && v->api_ok;
}

static bool engine_dead_state(const struct engine_obs *o)
{
	/* "restarting", "paused" and "removing" are transitions Docker is
	 * already handling: leave them be. */
	if (!o->state)
		return !o->running;
	return str_eq(o->state, "exited") || str_eq(o->state, "dead") ||
	       str_eq(o->state, "created");
}

static int engine_port(const struct engine_obs *o, bool behind_vpn)
{
	/* Without a VPN the published host port is what the range governs. */
	if (!behind_vpn && o->host_port > 0)
		return o->host_port;
	return o->http_port;
}

bool pl_eng_idle(const struct pl_eng *e)
{
	return e->streams <= 0;
}

/* ---- setup ---- */

static void mark_used(struct pl_group *g, int port)
{
	if (!range_contains(g->range, port))
		return;
	unsigned char *u = &g->used[port - g->range.lo];
	if (!*u) {
		*u = 1;
		g->n_free--;
	}
}

static void groups_init(struct pl *c)
{
	const struct config *cfg = c->cfg;
	c->ng = cfg->n_vpns ? cfg->n_vpns : 1;
	c->g = xcalloc(c->ng, sizeof *c->g);
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		if (cfg->n_vpns) {
			const struct vpn_decl *d = &cfg->vpns[i];
			g->name = d->name;
			g->vo = observed_vpn(c->obs, d->name);
			g->id = g->vo && g->vo->id ? g->vo->id : "";
			g->range = d->ports;
			g->max = d->max_engines > 0 ? d->max_engines : range_size(d->ports);
			g->available = plan_vpn_available(g->vo);
			g->pf = d->port_forwarding;
			if (g->pf != PF_OFF && g->vo && g->vo->fwd_port > 0)
				g->fwd = g->vo->fwd_port;
		} else {
			g->name = "";
			g->id = "";
			g->range = cfg->ports;
			g->max = range_size(cfg->ports);
			g->available = true;
			g->pf = PF_OFF;
		}
		if (g->max > range_size(g->range))
			g->max = range_size(g->range);
		g->n_free = range_size(g->range);
		g->used = xcalloc((size_t)g->n_free, 1);
	}
	/* A port is free only if no owned container holds it, whatever its
	 * state, label or VPN: names are {prefix}-{port} and must stay unique. */
	const char *prefix = cfg->engine.name_prefix ? cfg->engine.name_prefix : "acestream";
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < c->obs->n_engines; i++) {
		const struct engine_obs *o = &c->obs->engines[i];
		long long np = 0;
		bool named = o->name && strncmp(o->name, prefix, plen) == 0 &&
			     o->name[plen] == '-' && parse_int(o->name + plen + 1, 1, 65535, &np);
		for (size_t k = 0; k < c->ng; k++) {
			mark_used(&c->g[k], o->http_port);
			mark_used(&c->g[k], o->host_port);
			if (named)
				mark_used(&c->g[k], (int)np);
		}
	}
	/* A port whose create Docker refused for its name (a container we do
	 * not own holds {prefix}-{port}) is not offered while that back-off
	 * lasts: the fleet reaches its target on the next free port instead of
	 * stalling. Other failures (image missing...) keep the port: moving on
	 * would only fail again elsewhere. */
	for (size_t i = 0; c->mem && i < c->mem->n_backoffs; i++) {
		const struct memory_backoff *b = &c->mem->backoffs[i];
		long long np = 0;
		if (!b->name_taken || b->until_ms <= c->now || strncmp(b->key, prefix, plen) != 0 ||
		    b->key[plen] != '-' || !parse_int(b->key + plen + 1, 1, 65535, &np))
			continue;
		for (size_t k = 0; k < c->ng; k++)
			mark_used(&c->g[k], (int)np);
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

static void engines_init(struct pl *c)
{
	const struct config *cfg = c->cfg;
	c->ne = c->obs->n_engines;
	c->e = xcalloc(c->ne ? c->ne : 1, sizeof *c->e);
	c->ord = xcalloc(c->ne ? c->ne : 1, sizeof *c->ord);
	for (size_t i = 0; i < c->ne; i++) {
		struct pl_eng *e = &c->e[i];
		e->o = &c->obs->engines[i];
		e->g = -1;
		const char *v = e->o->vpn ? e->o->vpn : "";
		if (cfg->n_vpns) {
			const struct vpn_decl *d = config_find_vpn(cfg, v);
			if (d)
				e->g = (int)(d - cfg->vpns);
		} else if (!*v) {
			e->g = 0;
		}
		const struct memory_engine *m = memory_engine(c->mem, e->o->id);
		e->streams = m ? m->streams : 0;
		e->drift = !str_eq(e->o->config_hash, c->hash);
		c->ord[i] = i;
	}
	/* Insertion sort keeps this free of qsort_r portability questions;
	 * fleets are tens of engines. */
	for (size_t i = 1; i < c->ne; i++)
		for (size_t j = i; j > 0 && eng_cmp(&c->ord[j - 1], &c->ord[j], c) > 0; j--) {
			size_t t = c->ord[j];
			c->ord[j] = c->ord[j - 1];
			c->ord[j - 1] = t;
		}
}

/* ---- rules ---- */

/* Rule 7 by state and ownership: dead engines, undeclared VPNs, engines whose
 * port left their VPN's range (unreachable after a range edit). */
static void rule_dead(struct pl *c)
{
	for (size_t k = 0; k < c->ne; k++) {
		size_t i = c->ord[k];
		struct pl_eng *e = &c->e[i];
		const struct engine_obs *o = e->o;
		char *why = NULL;
		if (e->g < 0) {
			if (c->cfg->n_vpns && !(o->vpn && *o->vpn))
				why = xstrdup("engine without a VPN while VPNs are declared");
			else if (c->cfg->n_vpns)
				why = xasprintf("vpn '%s' is no longer declared", o->vpn);
			else
				why = xasprintf("vpn '%s' is no longer declared (no-VPN mode)",
						o->vpn ? o->vpn : "");
		} else if (engine_dead_state(o)) {
			why = xasprintf("engine %s (state %s)", o->state ? o->state : "stopped",
					o->state ? o->state : "unknown");
		} else if (!range_contains(c->g[e->g].range, engine_port(o, c->cfg->n_vpns > 0))) {
			why = xasprintf("port %d is outside the range of vpn %s",
					engine_port(o, c->cfg->n_vpns > 0), c->g[e->g].name[0] ? c->g[e->g].name : "(ports)");
		}
		if (!why)
			continue;
		e->dead = true;
		pl_push(&c->dead, ACT_REMOVE, (int)i, e->g, NULL, -1, why);
	}
}

struct engine_spec *pl_spec_for(struct pl *c, const struct pl_group *g, int port,
				    bool forwarded, int p2p)
{
	return plan_engine_spec(c->cfg, g->name, g->id, g->range, port, forwarded, p2p, c->hash);
}

/* Rule 2: unavailable VPNs get nothing new; after vpn_restart_after one
 * restart, then exponential back-off (armed by memory_vpn_restarted). */
static void rule_vpn_down(struct pl *c)
{
	const struct config *cfg = c->cfg;
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		if (g->available || !g->name[0])
			continue;
		int n = 0;
		for (size_t k = 0; k < c->ne; k++)
			n += c->e[k].g == (int)i && !c->e[k].dead;
		const char *st = !g->vo || !g->vo->exists ? "missing"
			: !g->vo->running ? (g->vo->state ? g->vo->state : "not running")
			: health_word(g->vo->health);
		pl_note(c->out, g->name, "unavailable (%s): nothing placed on it; %d engine%s left running, hidden",
			st, n, n == 1 ? "" : "s");
		if (!g->vo || !g->vo->exists) {
			pl_note(c->out, g->name, "container does not exist: cannot restart it");
			continue;
		}
		if (cfg->health.vpn_restart_after_ms <= 0)
			continue;
		const struct memory_vpn *vm = memory_vpn(c->mem, g->name);
		if (!vm || vm->unavailable_since_ms == 0)
			continue;
		int64_t down = c->now - vm->unavailable_since_ms;
		if (down < cfg->health.vpn_restart_after_ms)
			continue;
		if (vm->next_restart_allowed_ms && c->now < vm->next_restart_allowed_ms) {
			pl_note(c->out, g->name, "restart back-off: next restart in %llds",
				(long long)((vm->next_restart_allowed_ms - c->now + 999) / 1000));
			continue;
		}
		pl_push(&c->vpn_restarts, ACT_RESTART_VPN, -1, (int)i, NULL, -1,
			xasprintf("vpn %s unavailable (%s) for %llds; restart #%d",
				  g->name, st, (long long)(down / 1000), vm->backoff_level + 1));
	}
}

/* Rule 3 (and rule 7's probe failures, which a stale namespace explains). */
static void rule_stale(struct pl *c)
{
	const struct config *cfg = c->cfg;
	for (size_t gi = 0; gi < c->ng; gi++) {
		struct pl_group *g = &c->g[gi];
		if (!g->available)
			continue;
		const struct memory_vpn *vm = memory_vpn(c->mem, g->name);
		bool reconnect = g->name[0] && cfg->health.restart_engines_on_reconnect &&
				 vm && vm->was_unavailable;
		/* Idle engines first: pass 0 handles idle, pass 1 busy. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = 0; k < c->ne; k++) {
				size_t i = c->ord[k];
				struct pl_eng *e = &c->e[i];
				if (e->g != (int)gi || e->dead || e->acted || pl_eng_idle(e) != (pass == 0))
					continue;
				if (g->name[0] && e->o->ns == NS_STALE_RESTART) {
					pl_push(&c->restarts, ACT_RESTART, (int)i, (int)gi, NULL, -1,
						xasprintf("vpn %s restarted; namespace stale", g->name));
				} else if (g->name[0] && e->o->ns == NS_STALE_RECREATE) {
					bool fw = e->o->forwarded && g->pf != PF_OFF;
					int p2p = fw ? (g->fwd ? g->fwd : e->o->p2p_port) : 0;
					pl_push(&c->recreates, ACT_RECREATE, (int)i, (int)gi,
						pl_spec_for(c, g, e->o->http_port, fw, p2p), -1,
						xasprintf("vpn %s re-created (id %.12s); engine must join the new container",
							  g->name, g->id));
				} else if (reconnect) {
					pl_push(&c->restarts, ACT_RESTART, (int)i, (int)gi, NULL, -1,
						xasprintf("vpn %s reconnected; restarting its engines%s",
							  g->name, pass ? " (busy)" : ""));
				} else {
					continue;
				}
				e->acted = true;
				g->disrupted = true;
			}
		int fails = cfg->engine.health_failures;
		/* An engine is condemned by its probes only when it fails alone:
		 * if no engine of this VPN answers, the probe address (`host`)
		 * or the tunnel is at fault, and replacing engines would churn
		 * without fixing anything. */
		bool some_ok = false;
		int n_failing = 0;
		for (size_t i = 0; i < c->ne; i++) {
			const struct pl_eng *e = &c->e[i];
			const struct memory_engine *m = e->g == (int)gi && !e->dead ?
				memory_engine(c->mem, e->o->id) : NULL;
			if (m && m->probed && m->probe_ok)
				some_ok = true;
			else if (m && fails > 0 && m->probe_failures >= fails)
				n_failing++;
		}
		if (!some_ok && n_failing > 0) {
			pl_note(c->out, g->name, "no engine answers its probe: check the VPN's "
				"`host` and published ports; engines kept");
			continue;
		}
		for (size_t k = 0; k < c->ne && fails > 0; k++) {
			size_t i = c->ord[k];
			struct pl_eng *e = &c->e[i];
			if (e->g != (int)gi || e->dead || e->acted)
				continue;
			const struct memory_engine *m = memory_engine(c->mem, e->o->id);
			if (!m || m->probe_failures < fails)
				continue;
			e->dead = true;
			pl_push(&c->dead, ACT_REMOVE, (int)i, (int)gi, NULL, -1,
				xasprintf("failed %d consecutive probes", m->probe_failures));
		}
	}
}

/* ---- ordering and output ---- */

static void emit(struct plan *out, const struct pl *c, struct pl_item *it,
		 int phase, int after)
{
	grow(&out->v, &out->cap, out->n + 1, sizeof *out->v);
	struct action *a = &out->v[out->n++];
	memset(a, 0, sizeof *a);
	a->kind = it->kind;
	a->phase = phase;
	a->after = after;
	a->reason = xstrdup(it->reason ? it->reason : "");
	if (it->kind == ACT_RESTART_VPN) {
		a->name = xstrdup(c->g[it->g].name);
		a->id = c->g[it->g].id[0] ? xstrdup(c->g[it->g].id) : NULL;
		a->vpn = xstrdup(c->g[it->g].name);
		return;
	}
	if (it->e >= 0) {
		const struct engine_obs *o = c->e[it->e].o;
		a->name = xstrdup(o->name ? o->name : "");
		a->id = o->id ? xstrdup(o->id) : NULL;
		a->vpn = xstrdup(o->vpn ? o->vpn : "");
	} else {
		a->name = xstrdup(it->spec->name);
		a->vpn = xstrdup(it->spec->vpn);
	}
	if (it->spec) {
		/* The plan owns the spec from here. */
		a->spec = it->spec;
		it->spec = NULL;
	}
}

static void emit_all(struct pl *c)
{
	struct plan *out = c->out;
	struct pl_list *p0[] = { &c->vpn_restarts, &c->dead, &c->restarts, &c->recreates };
	for (size_t l = 0; l < ARRAY_LEN(p0); l++)
		for (size_t i = 0; i < p0[l]->n; i++)
			emit(out, c, &p0[l]->v[i], 0, -1);
	/* Creates interleaved across VPNs in declaration order (rule 4). */
	int *at = xcalloc(c->creates.n ? c->creates.n : 1, sizeof *at);
	size_t done = 0;
	for (size_t round = 0; done < c->creates.n; round++)
		for (size_t gi = 0; gi < c->ng; gi++) {
			size_t seen = 0;
			for (size_t i = 0; i < c->creates.n; i++) {
				if (c->creates.v[i].g != (int)gi)
					continue;
				if (seen++ != round)
					continue;
				at[i] = (int)out->n;
				emit(out, c, &c->creates.v[i], 0, -1);
				done++;
				break;
			}
		}
	for (size_t i = 0; i < c->removes.n; i++) {
		int dep = c->removes.v[i].dep;
		emit(out, c, &c->removes.v[i], 1, dep >= 0 ? at[dep] : -1);
	}
	free(at);
}

const char *plan_backoff_key(const struct action *a)
{
	if (a->kind == ACT_CREATE || a->kind == ACT_RESTART_VPN || !a->id)
		return a->name;
	return a->id;
}

/* Rule 9: objects still backing off are skipped, with whatever depends on
 * them; a skipped create also holds back the phase-1 removals it justifies. */
static void filter_backoff(struct pl *c)
{
	struct plan *out = c->out;
	if (!c->mem || !c->mem->n_backoffs || !out->n)
		return;
	bool *drop = xcalloc(out->n, sizeof *drop);
	bool create_dropped = false;
	for (size_t i = 0; i < out->n; i++) {
		int64_t until = memory_backoff_until(c->mem, plan_backoff_key(&out->v[i]));
		if (until > c->now) {
			drop[i] = true;
			create_dropped = create_dropped || out->v[i].kind == ACT_CREATE;
			pl_note(out, out->v[i].vpn, "%s %s skipped: backing off for %llds more",
				action_kind_str(out->v[i].kind), out->v[i].name,
				(long long)((until - c->now + 999) / 1000));
		}
	}
	for (size_t i = 0; i < out->n; i++) {
		const struct action *a = &out->v[i];
		if (a->phase > 0 && ((a->after >= 0 && drop[a->after]) || (a->after < 0 && create_dropped)))
			drop[i] = true;
	}
	int *map = xcalloc(out->n, sizeof *map);
	size_t n = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct action *a = &out->v[i];
		if (drop[i]) {
			free(a->name);
			free(a->id);
			free(a->vpn);
			free(a->reason);
			engine_spec_free(a->spec);
			map[i] = -1;
			continue;
		}
		map[i] = (int)n;
		if (a->after >= 0)
			a->after = map[a->after];
		out->v[n++] = *a;
	}
	out->n = n;
	free(map);
	free(drop);
}

size_t plan_compute(const struct config *cfg, const struct observed *obs,
		    const struct memory *mem, int64_t now_ms, struct plan *out)
{
	plan_init(out);
	if (!obs || !obs->docker_ok) {
		out->reason = xasprintf("docker unavailable: %s",
					obs && obs->docker_error ? obs->docker_error : "no observation");
		return 0;
	}
	struct pl c = { .cfg = cfg, .obs = obs, .mem = mem, .now = now_ms, .out = out };
	config_engine_hash(cfg, c.hash);
	groups_init(&c);
	engines_init(&c);

	rule_dead(&c);
	rule_vpn_down(&c);
	rule_stale(&c);
	pl_rule_target(&c);
	for (size_t gi = 0; gi < c.ng; gi++)
		if (c.g[gi].available)
			pl_rule_group(&c, (int)gi);
	emit_all(&c);
	filter_backoff(&c);

	pl_list_free(&c.vpn_restarts);
	pl_list_free(&c.dead);
	pl_list_free(&c.restarts);
	pl_list_free(&c.recreates);
	pl_list_free(&c.creates);
	pl_list_free(&c.removes);
	for (size_t i = 0; i < c.ng; i++)
		free(c.g[i].used);
	free(c.g);
	free(c.e);
	free(c.ord);
	return out->n;
}

bool plan_engine_visible(const struct config *cfg, const struct observed *obs,
			 const struct memory *mem, const struct engine_obs *e,
			 const char **why)
{
	const char *w = NULL;
	const char *v = e->vpn ? e->vpn : "";
	bool declared = cfg->n_vpns ? config_find_vpn(cfg, v) != NULL : !*v;
	const struct memory_engine *m = memory_engine(mem, e->id);
	if (!declared)
		w = "vpn not declared";
	else if (*v && !plan_vpn_available(observed_vpn(obs, v)))
		w = "vpn unavailable";
	else if (!e->running || (e->state && !str_eq(e->state, "running")))
		w = "not running";
	else if (e->ns == NS_STALE_RESTART || e->ns == NS_STALE_RECREATE)
		w = "network namespace stale";
	else if (!m || !m->probed)
		w = "not probed yet";
	else if (!m->probe_ok)
		w = "probe failing";
	if (why)
		*why = w;
	return w == NULL;
}
