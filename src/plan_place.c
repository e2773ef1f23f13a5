/* plan_place.c - placement rules of the reconciler: the serving target and
 * its spread (4), the forwarded engine (5), drift (6), busy engines (8). */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_int.h"
#include "util.h"

/* SPEC §3: an engine's HTTP port is the lowest free port of its range. */
static int take_port(struct pl_group *g)
{
	/* Ports only get taken during a pass, so the search resumes where the
	 * last one stopped. */
	for (int p = g->next_port; p <= g->range.hi; p++) {
		if (g->used[p - g->range.lo])
			continue;
		g->used[p - g->range.lo] = 1;
		g->n_free--;
		g->next_port = p + 1;
		return p;
	}
	g->next_port = g->range.hi + 1;
	return 0;
}

/* The share of group i at water level L: its busy engines, or L within
 * its max_engines. */
static int level_share(const struct pl_group *g, int level)
{
	int s = level < g->max ? level : g->max;
	return s > g->busy ? s : g->busy;
}

/* Whether rule 4 spreads the target over this VPN: available, or briefly
 * unavailable and still holding its share (flap damping). */
static bool placing(const struct pl_group *g)
{
	return g->mode == MODE_ACTIVE || g->mode == MODE_HELD;
}

static long level_sum(const struct pl *c, int level)
{
	long sum = 0;
	for (size_t i = 0; i < c->ng; i++)
		if (placing(&c->g[i]))
			sum += level_share(&c->g[i], level);
	return sum;
}

/* Order of the VPNs that get one engine more than the level: the one that
 * already has more engines first, then declaration order. */
static int tie_cmp(const void *a, const void *b, void *arg)
{
	const struct pl *c = arg;
	int x = *(const int *)a, y = *(const int *)b;
	if (c->g[x].alive != c->g[y].alive)
		return c->g[x].alive > c->g[y].alive ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Rule 4's spread, as if engines were handed out one at a time to the VPN
 * with the smallest share (busy engines are a floor; ties go to the VPN that
 * already has more engines, so an odd target does not make two VPNs trade
 * an engine every pass), but computed per level: the highest level L whose
 * total fits in t, then one more for the first VPNs in tie order.
 */
static void pl_spread(struct pl *c, int t)
{
	int top = 0;
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		g->share = placing(g) ? g->busy : 0;
		if (placing(g) && g->max > top)
			top = g->max;
	}
	if (level_sum(c, 0) >= t)
		return;
	if (level_sum(c, top) <= t) {
		for (size_t i = 0; i < c->ng; i++)
			if (placing(&c->g[i]))
				c->g[i].share = level_share(&c->g[i], top);
		return;
	}
	int lo = 0, hi = top; /* level_sum(lo) < t... <= t, level_sum(hi) > t */
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		if (level_sum(c, mid) <= t)
			lo = mid;
		else
			hi = mid;
	}
	long rem = t - level_sum(c, lo);
	int *next = xcalloc(c->ng, sizeof *next);
	size_t n = 0;
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		if (!placing(g))
			continue;
		g->share = level_share(g, lo);
		if (level_share(g, lo + 1) > g->share)
			next[n++] = (int)i;
	}
	qsort_r(next, n, sizeof *next, tie_cmp, c);
	for (size_t k = 0; k < n && (long)k < rem; k++)
		c->g[next[k]].share++;
	free(next);
}

/* Rule 4: T, raised by provision demand (memory.demand), and its spread
 * (pl_spread). */
void pl_rule_target(struct pl *c)
{
	const struct config *cfg = c->cfg;
	int busy = 0, cap = 0, navail = 0, cap_avail = 0;
	for (size_t i = 0; i < c->ne; i++) {
		struct pl_eng *e = &c->e[i];
		if (e->g < 0 || e->dead || (e->away && c->g[e->g].available))
			continue;
		c->g[e->g].alive++;
		if (!pl_eng_idle(e))
			c->g[e->g].busy++;
	}
	for (size_t i = 0; i < c->ng; i++) {
		if (placing(&c->g[i])) {
			busy += c->g[i].busy;
			cap += c->g[i].max;
		}
		navail += c->g[i].available;
		cap_avail += c->g[i].available ? c->g[i].max : 0;
	}
	int demand = c->mem && c->mem->demand > 0 ? c->mem->demand : 0;
	int t = cfg->replicas.min;
	if (busy + cfg->replicas.min_free + demand > t)
		t = busy + cfg->replicas.min_free + demand;
	int want = t;
	int hi = cfg->replicas.max < cap ? cfg->replicas.max : cap;
	if (t > hi)
		t = hi;
	if (t < 0)
		t = 0;
	if (demand)
		pl_note(c->out, "", "provision demand of %d: target %d = max(min %d, %d busy + %d min_free + %d)%s",
			demand, t, cfg->replicas.min, busy, cfg->replicas.min_free, demand,
			want <= t ? "" : hi == cfg->replicas.max ? ", capped by replicas.max"
							       : ", capped by the capacity of the VPNs");
	c->out->target = t;
	c->out->busy = busy;
	/* What can be placed now; T also counts the VPNs that hold their share. */
	c->out->capacity = cap_avail;
	if (cfg->n_vpns && navail == 0)
		c->out->reason = xstrdup("no VPN available: nothing can be created");
	if (busy > t)
		pl_note(c->out, "", "%d engines have active streams, above the target of %d: kept",
			busy, t);

	pl_spread(c, t);
}

static void pl_remove(struct pl *c, int i, int dep, char *reason)
{
	c->e[i].removing = true;
	pl_push(&c->removes, ACT_REMOVE, i, c->e[i].g, NULL, dep, reason);
}

/* Creates one engine in g; returns its index in the creates list or -1 when
 * the range has no free port left. */
static int pl_create(struct pl *c, int gi, bool fw, char *reason)
{
	struct pl_group *g = &c->g[gi];
	int port = take_port(g);
	if (!port) {
		pl_note(c->out, g->name, "no free port in %d-%d for a new engine", g->range.lo, g->range.hi);
		free(reason);
		return -1;
	}
	g->n_creates++;
	return (int)pl_push(&c->creates, ACT_CREATE, -1, gi,
			    pl_spec_for(c, g, port, fw, fw ? g->fwd : 0), -1, reason);
}

/* Make before break when there is a free port and max_engines allows one
 * more for a moment; otherwise re-create in place (same slot). */
static void pl_replace(struct pl *c, int gi, int i, int present, bool fw, const char *why)
{
	struct pl_group *g = &c->g[gi];
	struct pl_eng *e = &c->e[i];
	g->replacing++;
	if (g->n_free > 0 && present + 1 <= g->max) {
		int ci = pl_create(c, gi, fw, xasprintf("replaces %s: %s", e->o->name, why));
		if (ci >= 0) {
			pl_remove(c, i, ci, xasprintf("%s (replacement created first)", why));
			return;
		}
	}
	e->acted = true;
	pl_push(&c->recreates, ACT_RECREATE, i, gi,
		pl_spec_for(c, g, e->o->http_port, fw, fw ? g->fwd : 0), -1,
		xasprintf("%s (re-created in place: no room for a replacement)", why));
}

/* Removal preference when a VPN has more than its share: exited ones left
 * waiting, drifted engines (they would be replaced anyway), plain ones,
 * then forwarded ones last. */
static int surplus_class(const struct pl_eng *e)
{
	if (e->waiting) /* exited, serving nothing */
		return 0;
	if (e->drift && !e->o->forwarded)
		return 0;
	if (!e->o->forwarded)
		return 1;
	if (e->fw_stale || e->fw_extra)
		return 2;
	return 3;
}

/* ---- rules 4, 5, 6 and 8 for one available group: one step each ---- */

/* Rule 5: which forwarded engine stays (the one on the current port, else
 * the lowest), which are extras, whether the keeper's port went stale. */
static void step_fw_keeper(struct pl *c, struct pl_group *g)
{
	int p = g->fwd;
	g->keeper = -1;
	if (g->name[0] && g->pf == PF_ON && p == 0)
		pl_note(c->out, g->name, "port_forwarding is on but the VPN reports no forwarded port");
	PL_FOR_GROUP(c, g, k, i) {
		struct pl_eng *e = &c->e[i];
		if (!g->name[0] || e->dead || !e->o->forwarded)
			continue;
		if (g->pf == PF_OFF) {
			e->fw_extra = true;
			continue;
		}
		if (p == 0)
			continue; /* port lost: keep what runs until one comes back */
		if (g->keeper < 0 || (c->e[g->keeper].o->p2p_port != p && e->o->p2p_port == p))
			g->keeper = (int)i;
	}
	if (p == 0 || g->pf == PF_OFF || g->keeper < 0)
		return;
	PL_FOR_GROUP(c, g, k, i) {
		struct pl_eng *e = &c->e[i];
		if (e->dead || !e->o->forwarded)
			continue;
		if ((int)i == g->keeper) {
			e->fw_keep = true;
			e->fw_stale = e->o->p2p_port != p && !e->acted;
		} else {
			e->fw_extra = true;
		}
	}
}

/* Rule 5: extra forwarded engines go (idle ones); a busy one waits. */
static void step_fw_extras(struct pl *c, struct pl_group *g)
{
	PL_FOR_GROUP(c, g, k, i) {
		struct pl_eng *e = &c->e[i];
		if (e->dead || e->acted || !e->fw_extra)
			continue;
		if (!pl_eng_idle(e)) {
			pl_note(c->out, g->name, "%s: extra forwarded engine kept while it has streams", e->o->name);
			continue;
		}
		pl_remove(c, (int)i, -1, g->pf == PF_OFF
			    ? xasprintf("port forwarding is off on vpn %s; forwarded engine retired", g->name)
			    : xasprintf("vpn %s has %s as its forwarded engine; only one is kept",
					g->name, c->e[g->keeper].o->name));
		g->present--;
	}
}

/* Rules 4 and 8: scale down / rebalance to the share, idle engines only, by
 * surplus_class, highest port first. Then what rule 4 still has to create. */
static void step_surplus(struct pl *c, struct pl_group *g)
{
	for (int cls = 0; cls < 4 && g->present > g->share; cls++)
		PL_FOR_GROUP_REV(c, g, k, i) {
			struct pl_eng *e = &c->e[i];
			if (g->present <= g->share)
				break;
			if (e->dead || (e->acted && !e->waiting) || e->removing || !pl_eng_idle(e) ||
			    surplus_class(e) != cls || (e->fw_keep && !e->fw_stale))
				continue;
			pl_remove(c, (int)i, -1,
				  xasprintf("surplus: %s has %d engines for a share of %d",
					    g->name[0] ? g->name : "the fleet", g->present, g->share));
			g->present--;
		}
	if (g->present > g->share)
		pl_note(c->out, g->name, "%d engine%s above its share of %d kept: active streams",
			g->present - g->share, g->present - g->share == 1 ? "" : "s", g->share);
	g->fill = g->share > g->present ? g->share - g->present : 0;
}

/* Rule 5: the VPN forwards a port and no engine uses it (yet). */
static bool fw_wanted(const struct pl *c, const struct pl_group *g)
{
	return g->fwd > 0 && g->pf != PF_OFF && !g->fw_done &&
	       (g->keeper < 0 || c->e[g->keeper].removing || c->e[g->keeper].fw_stale);
}

/* Rule 5: port changed P -> P': a new forwarded engine before the old one
 * goes (it comes first, so it takes the lowest free port). */
static void step_fw_port_changed(struct pl *c, struct pl_group *g)
{
	if (!fw_wanted(c, g) || g->keeper < 0 || !c->e[g->keeper].fw_stale ||
	    c->e[g->keeper].removing)
		return;
	g->fw_done = true;
	struct pl_eng *old = &c->e[g->keeper];
	char *why = xasprintf("forwarded port of vpn %s changed %d -> %d", g->name, old->o->p2p_port, g->fwd);
	if (pl_eng_idle(old)) {
		pl_replace(c, (int)(g - c->g), g->keeper, g->present + g->fill, true, why);
		free(why);
		return;
	}
	/* Its streams keep it alive; the new engine makes it an extra that
	 * goes once idle. */
	if (g->fill == 0 && g->present + 1 > g->max) {
		pl_note(c->out, g->name, "%s keeps the old forwarded port while it has streams: no room for a new one",
			old->o->name);
		free(why);
	} else if (pl_create(c, (int)(g - c->g), true, why) >= 0 && g->fill > 0) {
		g->fill--;
	}
}

/* Rule 5: none -> the next engine created is the forwarded one, or, with
 * nothing to create, an idle engine (drifted first) is replaced by one. */
static void step_fw_missing(struct pl *c, struct pl_group *g)
{
	if (!fw_wanted(c, g))
		return;
	g->fw_done = true;
	int gi = (int)(g - c->g);
	if (g->fill > 0) {
		if (pl_create(c, gi, true, xasprintf("vpn %s forwards port %d and has no forwarded engine",
						     g->name, g->fwd)) >= 0)
			g->fill--;
		return;
	}
	int pick = -1;
	PL_FOR_GROUP_REV(c, g, k, i) {
		struct pl_eng *e = &c->e[i];
		if (e->dead || e->acted || e->removing || !pl_eng_idle(e) || e->o->forwarded)
			continue;
		if (pick < 0 || (e->drift && !c->e[pick].drift))
			pick = (int)i;
	}
	if (pick < 0) {
		pl_note(c->out, g->name, "forwarded port %d unused: no idle engine to replace", g->fwd);
		return;
	}
	char *why = xasprintf("vpn %s forwards port %d: an idle engine becomes the forwarded one",
			      g->name, g->fwd);
	pl_replace(c, gi, pick, g->present, true, why);
	free(why);
}

/* Rule 4: create up to the share. */
static void step_fill(struct pl *c, struct pl_group *g)
{
	for (; g->fill > 0; g->fill--)
		if (pl_create(c, (int)(g - c->g), false,
			      xasprintf("target: %s has %d engines for a share of %d",
					g->name[0] ? g->name : "the fleet", g->share - g->fill, g->share)) < 0)
			break;
}

/* Rule 6: one drifted idle engine per VPN per pass, when nothing else on
 * this VPN is already being restarted or replaced. */
static void step_drift(struct pl *c, struct pl_group *g)
{
	int gi = (int)(g - c->g);
	int drifted = 0, busy_drifted = 0, pick = -1;
	PL_FOR_GROUP(c, g, k, i) {
		struct pl_eng *e = &c->e[i];
		if (e->dead || e->acted || e->removing || !e->drift)
			continue;
		drifted++;
		if (!pl_eng_idle(e))
			busy_drifted++;
		else if (pick < 0 && !(e->o->forwarded && g->fwd == 0 && g->pf != PF_OFF))
			pick = (int)i;
	}
	if (pick >= 0 && !g->disrupted && g->replacing == 0) {
		struct pl_eng *e = &c->e[pick];
		char *why = xasprintf("configuration changed (hash %.16s -> %s)",
				      e->o->config_hash ? e->o->config_hash : "none", c->hash);
		if (e->fw_keep) {
			/* Two engines cannot share the forwarded P2P port inside
			 * one namespace: this one can only be re-created. */
			e->acted = true;
			g->replacing++;
			pl_push(&c->recreates, ACT_RECREATE, pick, gi,
				pl_spec_for(c, g, e->o->http_port, true, g->fwd), -1, why);
		} else {
			pl_replace(c, gi, pick, g->n_creates + g->present, false, why);
			free(why);
		}
		drifted--;
	}
	if (drifted > 0)
		pl_note(c->out, g->name, "%d drifted engine%s left for later passes (%d busy)",
			drifted, drifted == 1 ? "" : "s", busy_drifted);
}

/* Rules 4, 5, 6 and 8 for one available group, in this order: each step
 * sees what the ones before it decided. */
void pl_rule_group(struct pl *c, int gi)
{
	static void (*const steps[])(struct pl *, struct pl_group *) = {
		step_fw_keeper,       /* 5: which forwarded engine stays */
		step_fw_extras,       /* 5: extra forwarded engines retire */
		step_surplus,         /* 4, 8: down to the share, idle engines only */
		step_fw_port_changed, /* 5: P -> P', new engine before the old goes */
		step_fw_missing,      /* 5: none: created first, or an idle one replaced */
		step_fill,            /* 4: up to the share */
		step_drift,           /* 6: one drifted idle engine per pass */
	};
	struct pl_group *g = &c->g[gi];
	g->present = g->alive;
	for (size_t i = 0; i < ARRAY_LEN(steps); i++)
		steps[i](c, g);
}
