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
	if (!v || !v->exists || !v->running || v->host_down)
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

/* Whole seconds, rounded up: "in 0s" would read as "now". */
static long long secs_up(int64_t ms)
{
	return (long long)((ms + 999) / 1000);
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
		if (e->acted)
			continue; /* an exited engine rule_exited took care of */
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

/* ---- exited engines: host reboot, dockerd restart, crash loops ---- */

/* The crash memory knows about this very exit (issue 9). */
static bool crash_recorded(const struct memory_slot *sl, const struct engine_obs *o)
{
	return sl && sl->crashes > 0 && o->finished_at_ms && sl->finished_at_ms == o->finished_at_ms;
}

enum exited_fate {
	EXITED_WAIT_VPN,       /* its VPN is not available: it could not join it */
	EXITED_WAIT_CRASH,     /* it crashed right after starting: back-off */
	EXITED_RECREATE_CRASH, /* ... and the back-off has passed */
	EXITED_RECREATE_VPN,   /* its VPN was re-created since: join the new one */
	EXITED_RECREATE_DRIFT, /* stopped with its VPN, but its config changed */
	EXITED_START,          /* stopped with its VPN (reboot, dockerd restart) */
	EXITED_REMOVE,         /* stopped on its own while its VPN ran: rule 7 */
};

/* SPEC §2 and rule 7 for an exited engine, as a table. An engine stopped
 * with its VPN when the VPN started after it did (its namespace is stale):
 * a host reboot or dockerd restart; docker start re-joins the VPN's current
 * namespace, docker start on a re-created VPN's engine cannot. */
static enum exited_fate exited_fate(const struct pl *c, const struct pl_group *g,
				    const struct pl_eng *e, const struct memory_slot *sl)
{
	if (!g->available)
		return EXITED_WAIT_VPN;
	/* A VPN that (re)started after the engine explains the exit, however
	 * soon after its own start it came: a dockerd restart stops engines
	 * seconds after they started, and that is no crash loop. */
	if (g->name[0] && e->o->ns == NS_STALE_RECREATE)
		return EXITED_RECREATE_VPN;
	if (g->name[0] && e->o->ns == NS_STALE_RESTART)
		return e->drift ? EXITED_RECREATE_DRIFT : EXITED_START;
	if (crash_recorded(sl, e->o))
		return c->now < sl->next_attempt_ms ? EXITED_WAIT_CRASH : EXITED_RECREATE_CRASH;
	return EXITED_REMOVE;
}

static void exited_recreate(struct pl *c, struct pl_group *g, size_t i, char *why)
{
	const struct engine_obs *o = c->e[i].o;
	bool fw = o->forwarded && g->pf != PF_OFF;
	int p2p = fw ? (g->fwd ? g->fwd : o->p2p_port) : 0;
	pl_push(&c->recreates, ACT_RECREATE, (int)i, (int)(g - c->g),
		pl_spec_for(c, g, o->http_port, fw, p2p), -1, why);
}

/* Exited engines of declared VPNs, in their range (rule_dead handles the
 * rest, and the engines this leaves to rule 7). Engines kept exited still
 * count in their VPN's share: a crash loop must not spill onto new ports. */
static void rule_exited(struct pl *c)
{
	for (size_t gi = 0; gi < c->ng; gi++) {
		struct pl_group *g = &c->g[gi];
		int waiting_vpn = 0;
		PL_FOR_GROUP(c, g, k, i) {
			struct pl_eng *e = &c->e[i];
			const struct engine_obs *o = e->o;
			if (!o->state || !str_eq(o->state, "exited") ||
			    !range_contains(g->range, engine_port(o, c->cfg->n_vpns > 0)))
				continue;
			const struct memory_slot *sl = memory_slot(c->mem, o->name);
			switch (exited_fate(c, g, e, sl)) {
			case EXITED_WAIT_VPN:
				waiting_vpn++;
				e->waiting = e->acted = true;
				break;
			case EXITED_WAIT_CRASH:
				e->waiting = e->acted = true;
				pl_note(c->out, g->name, "%s exited %llds after starting (exit code %d), %d time%s "
					"in a row: re-created in %llds", o->name, (long long)(sl->ran_ms / 1000),
					sl->exit_code, sl->crashes, sl->crashes == 1 ? "" : "s",
					secs_up(sl->next_attempt_ms - c->now));
				break;
			case EXITED_RECREATE_CRASH:
				e->acted = true;
				exited_recreate(c, g, i, xasprintf("crash loop: exited %llds after starting (exit code %d), "
								   "%d time%s in a row; re-created after a %llds back-off",
								   (long long)(sl->ran_ms / 1000), sl->exit_code, sl->crashes,
								   sl->crashes == 1 ? "" : "s", secs_up(sl->wait_ms)));
				break;
			case EXITED_RECREATE_VPN:
				e->acted = true;
				exited_recreate(c, g, i, xasprintf("exited; vpn %s was re-created (id %.12s): "
								   "re-created to join the new container", g->name, g->id));
				break;
			case EXITED_RECREATE_DRIFT:
				e->acted = true;
				exited_recreate(c, g, i, xasprintf("stopped with vpn %s, and its configuration changed: "
								   "re-created", g->name));
				break;
			case EXITED_START:
				e->acted = true;
				pl_push(&c->starts, ACT_START, (int)i, (int)gi, NULL, -1,
					xasprintf("stopped with vpn %s, which has started since (host reboot or "
						  "dockerd restart): started to join it", g->name));
				break;
			case EXITED_REMOVE:
				break;
			}
		}
		if (waiting_vpn)
			pl_note(c->out, g->name, "%d exited engine%s left until the VPN is available: an engine cannot "
				"join a container that is not running", waiting_vpn, waiting_vpn == 1 ? "" : "s");
	}
}

struct engine_spec *pl_spec_for(struct pl *c, const struct pl_group *g, int port,
				    bool forwarded, int p2p)
{
	return plan_engine_spec(c->cfg, g->name, g->id, g->range, port, forwarded, p2p, c->hash);
}

/* Docker hosts that did not answer (issue 11): their engines are left as
 * last seen, touched by no rule (away), and the plan says so once per host. */
static void rule_hosts_down(struct pl *c)
{
	for (size_t h = 0; c->obs->hosts && h < c->obs->n_hosts; h++) {
		const struct host_obs *ho = &c->obs->hosts[h];
		if (ho->ok)
			continue;
		int n = 0;
		for (size_t i = 0; i < c->ne; i++)
			n += c->e[i].away && str_eq(c->e[i].o->host ? c->e[i].o->host : DOCKER_HOST_DEFAULT,
						    ho->name);
		pl_note(c->out, "", "docker host %s unreachable (%s): its VPNs are unavailable; %d "
			"engine%s kept as last seen, hidden; nothing is done there until it answers",
			ho->name, ho->error ? ho->error : "no answer", n, n == 1 ? "" : "s");
	}
}

/* Flap damping (issue 8): each VPN's mode in rule 4. Gluetun's internal
 * reconnects make health flap; hiding engines stays immediate (rule 1),
 * moving shares and restarting engines wait for the state to hold. */
static void rule_damping(struct pl *c)
{
	const struct config *cfg = c->cfg;
	int64_t fail_after = cfg->health.failover_after_ms, recover = cfg->health.recover_after_ms;
	for (size_t i = 0; i < c->ng; i++) {
		struct pl_group *g = &c->g[i];
		if (!g->name[0])
			continue;
		const struct memory_vpn *vm = memory_vpn(c->mem, g->name);
		if (g->available) {
			int64_t up = vm && vm->available_since_ms ? c->now - vm->available_since_ms : 0;
			if (vm && vm->failed_over && up < recover) {
				g->mode = MODE_RECOVERING;
				pl_note(c->out, g->name, "available again for %llds after failing over: its share "
					"returns once it has stayed available %llds (in %llds)",
					(long long)(up / 1000), secs_up(recover), secs_up(recover - up));
			}
			if (vm && vm->reconnect_pending && cfg->health.restart_engines_on_reconnect)
				pl_note(c->out, g->name, "reconnected: its engines are restarted once it has stayed "
					"available %llds (in %llds), hidden until then",
					secs_up(recover), secs_up(recover - up));
			continue;
		}
		/* A VPN never seen available since the daemon started has no
		 * share to hold: the others serve the whole target at once. */
		int64_t down = vm && vm->unavailable_since_ms ? c->now - vm->unavailable_since_ms : -1;
		if (vm && vm->been_available && !vm->failed_over && down >= 0 && down < fail_after) {
			g->mode = MODE_HELD;
			pl_note(c->out, g->name, "its share stays with it for now: unavailable for %llds, "
				"moved to the other VPNs after %llds (in %llds)",
				(long long)(down / 1000), secs_up(fail_after), secs_up(fail_after - down));
		} else {
			g->mode = MODE_FAILED;
		}
	}
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
		PL_FOR_GROUP(c, g, k, e)
			n += !c->e[e].dead;
		const char *st = !g->vo || !g->vo->exists ? "missing"
			: !g->vo->running ? (g->vo->state ? g->vo->state : "not running")
			: health_word(g->vo->health);
		if (g->host_down) {
			pl_note(c->out, g->name, "unavailable: its docker host %s does not answer; %d "
				"engine%s kept, hidden", g->host, n, n == 1 ? "" : "s");
			continue;
		}
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

/* Rule 3 for one engine of an available VPN, as a table: stale namespace
 * after a VPN restart -> restart; VPN re-created -> re-create; VPN back from
 * an internal reconnect -> restart (restart_engines_on_reconnect). Returns
 * false when the engine needs nothing. */
static bool reattach_step(struct pl *c, struct pl_group *g, size_t i, bool reconnect)
{
	const struct pl_eng *e = &c->e[i];
	int gi = (int)(g - c->g);
	if (!g->name[0])
		return false;
	switch (e->o->ns) {
	case NS_STALE_RESTART:
		pl_push(&c->restarts, ACT_RESTART, (int)i, gi, NULL, -1,
			xasprintf("vpn %s restarted; namespace stale", g->name));
		return true;
	case NS_STALE_RECREATE: {
		bool fw = e->o->forwarded && g->pf != PF_OFF;
		int p2p = fw ? (g->fwd ? g->fwd : e->o->p2p_port) : 0;
		pl_push(&c->recreates, ACT_RECREATE, (int)i, gi,
			pl_spec_for(c, g, e->o->http_port, fw, p2p), -1,
			xasprintf("vpn %s re-created (id %.12s); engine must join the new container",
				  g->name, g->id));
		return true;
	}
	case NS_UNKNOWN:
	case NS_CURRENT:
		break;
	}
	if (!reconnect)
		return false;
	pl_push(&c->restarts, ACT_RESTART, (int)i, gi, NULL, -1,
		xasprintf("vpn %s reconnected; restarting its engines%s", g->name,
			  pl_eng_idle(e) ? "" : " (busy)"));
	return true;
}

/* Rule 3: engines of available VPNs re-join them, idle ones first. */
static void rule_reattach(struct pl *c)
{
	for (size_t gi = 0; gi < c->ng; gi++) {
		struct pl_group *g = &c->g[gi];
		if (!g->available)
			continue;
		const struct memory_vpn *vm = memory_vpn(c->mem, g->name);
		/* Once per recovery, when it has held (rule_damping). */
		bool reconnect = g->name[0] && c->cfg->health.restart_engines_on_reconnect &&
				 vm && vm->reconnect_due;
		for (int pass = 0; pass < 2; pass++)
			PL_FOR_GROUP(c, g, k, i) {
				struct pl_eng *e = &c->e[i];
				if (e->dead || e->acted || pl_eng_idle(e) != (pass == 0))
					continue;
				if (reattach_step(c, g, i, reconnect)) {
					e->acted = true;
					g->disrupted = true;
				}
			}
	}
}

/* Rule 7: engine.health.failures consecutive failed probes, counted only on
 * available VPNs (a tunnel outage fails every probe) and only for engines
 * that rule 3 left alone (a stale namespace explains failures). An engine
 * is condemned only when it fails alone: if no engine of its VPN answers,
 * the probe address (`host`) or the tunnel is at fault, and replacing
 * engines would churn without fixing anything. */
static void rule_probe_failures(struct pl *c)
{
	int fails = c->cfg->engine.health_failures;
	if (fails <= 0)
		return;
	for (size_t gi = 0; gi < c->ng; gi++) {
		struct pl_group *g = &c->g[gi];
		if (!g->available)
			continue;
		bool some_ok = false;
		int n_failing = 0;
		PL_FOR_GROUP(c, g, k, i) {
			const struct pl_eng *e = &c->e[i];
			if (e->dead || !e->m)
				continue;
			if (e->m->probed && e->m->probe_ok)
				some_ok = true;
			else if (e->m->probe_failures >= fails)
				n_failing++;
		}
		if (!some_ok && n_failing > 0) {
			pl_note(c->out, g->name, "no engine answers its probe: check the VPN's "
				"`host` and published ports; engines kept");
			continue;
		}
		PL_FOR_GROUP(c, g, k, i) {
			struct pl_eng *e = &c->e[i];
			if (e->dead || e->acted || !e->m || e->m->probe_failures < fails)
				continue;
			e->dead = true;
			pl_push(&c->dead, ACT_REMOVE, (int)i, (int)gi, NULL, -1,
				xasprintf("failed %d consecutive probes", e->m->probe_failures));
		}
	}
}

static void rule_groups(struct pl *c)
{
	for (size_t gi = 0; gi < c->ng; gi++)
		if (c->g[gi].available && c->g[gi].mode == MODE_ACTIVE)
			pl_rule_group(c, (int)gi);
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
		a->host = xstrdup(c->g[it->g].host);
		return;
	}
	if (it->e >= 0) {
		const struct engine_obs *o = c->e[it->e].o;
		a->name = xstrdup(o->name ? o->name : "");
		a->id = o->id ? xstrdup(o->id) : NULL;
		a->vpn = xstrdup(o->vpn ? o->vpn : "");
		a->host = xstrdup(o->host && *o->host ? o->host : DOCKER_HOST_DEFAULT);
	} else {
		a->name = xstrdup(it->spec->name);
		a->vpn = xstrdup(it->spec->vpn);
		a->host = xstrdup(it->spec->docker_host);
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
	struct pl_list *p0[] = { &c->vpn_restarts, &c->dead, &c->starts, &c->restarts, &c->recreates };
	for (size_t l = 0; l < ARRAY_LEN(p0); l++)
		for (size_t i = 0; i < p0[l]->n; i++)
			emit(out, c, &p0[l]->v[i], 0, -1);
	/* Creates interleaved across VPNs in declaration order (rule 4): one
	 * per VPN per round, each VPN's in the order they were planned. */
	size_t nc = c->creates.n;
	int *at = xcalloc(nc ? nc : 1, sizeof *at);
	size_t *start = xcalloc(c->ng + 1, sizeof *start);
	size_t *byg = xcalloc(nc ? nc : 1, sizeof *byg);
	for (size_t i = 0; i < nc; i++)
		start[c->creates.v[i].g + 1]++;
	for (size_t gi = 0; gi < c->ng; gi++)
		start[gi + 1] += start[gi];
	size_t *fill = xcalloc(c->ng, sizeof *fill);
	for (size_t i = 0; i < nc; i++) {
		size_t gi = (size_t)c->creates.v[i].g;
		byg[start[gi] + fill[gi]++] = i;
	}
	/* Groups that still have creates, in declaration order. */
	size_t *live = xcalloc(c->ng, sizeof *live), n_live = 0;
	for (size_t gi = 0; gi < c->ng; gi++)
		if (fill[gi])
			live[n_live++] = gi;
	for (size_t round = 0; n_live; round++) {
		size_t kept = 0;
		for (size_t j = 0; j < n_live; j++) {
			size_t gi = live[j], i = byg[start[gi] + round];
			at[i] = (int)out->n;
			emit(out, c, &c->creates.v[i], 0, -1);
			if (round + 1 < fill[gi])
				live[kept++] = gi;
		}
		n_live = kept;
	}
	free(live);
	free(fill);
	free(byg);
	free(start);
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

/* Whether an action would touch a Docker host that did not answer: the
 * container's own, or where a re-create or create puts the new one. */
static bool action_host_down(const struct pl *c, const struct action *a)
{
	return !observed_host_ok(c->obs, a->host) ||
	       (a->spec && !observed_host_ok(c->obs, a->spec->docker_host));
}

/* Rule 9: objects still backing off are skipped, with whatever depends on
 * them; a skipped create also holds back the phase-1 removals it justifies.
 * So is everything on a Docker host that does not answer (the rules leave
 * its objects alone already; this is the guarantee). */
static void filter_backoff(struct pl *c)
{
	struct plan *out = c->out;
	bool hosts_down = false;
	for (size_t h = 0; h < c->obs->n_hosts; h++)
		hosts_down = hosts_down || !c->obs->hosts[h].ok;
	if ((!hosts_down && (!c->mem || (!c->mem->backoffs.n && !c->mem->slots.n))) || !out->n)
		return;
	bool *drop = xcalloc(out->n, sizeof *drop);
	bool create_dropped = false;
	for (size_t i = 0; i < out->n; i++) {
		if (hosts_down && action_host_down(c, &out->v[i])) {
			drop[i] = true;
			create_dropped = create_dropped || out->v[i].kind == ACT_CREATE;
			pl_note(out, out->v[i].vpn, "%s %s held: docker host %s does not answer",
				action_kind_str(out->v[i].kind), out->v[i].name,
				!observed_host_ok(c->obs, out->v[i].host) ? out->v[i].host
									  : out->v[i].spec->docker_host);
			continue;
		}
		int64_t until = memory_backoff_until(c->mem, plan_backoff_key(&out->v[i]));
		/* A create on a slot whose last engine crashed right after
		 * starting waits for that slot's back-off too. */
		const struct memory_slot *sl = out->v[i].kind == ACT_CREATE ?
			memory_slot(c->mem, out->v[i].name) : NULL;
		if (sl && sl->next_attempt_ms > until && sl->next_attempt_ms > c->now) {
			drop[i] = create_dropped = true;
			pl_note(out, out->v[i].vpn, "create %s skipped: the last engine in this slot exited "
				"right after starting (exit code %d), %d time%s in a row; next attempt in %llds",
				out->v[i].name, sl->exit_code, sl->crashes, sl->crashes == 1 ? "" : "s",
				secs_up(sl->next_attempt_ms - c->now));
			continue;
		}
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
			free(a->host);
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
	out->multi_host = cfg->n_docker_hosts > 1;
	config_engine_hash(cfg, c.hash);
	pl_setup(&c);

	/* SPEC §5, in the order each rule needs the decisions of the ones
	 * before it (rule 9 filters the result). */
	static void (*const rules[])(struct pl *) = {
		rule_hosts_down,     /* 1, 9: hosts that do not answer */
		rule_damping,        /* 1, 4: flap damping, each VPN's mode */
		rule_exited,         /* §2, 7: exited engines (reboots, crash loops) */
		rule_dead,           /* 7: dead, undeclared VPN, port off its range */
		rule_vpn_down,       /* 1, 2: unavailable VPNs, their restarts */
		rule_reattach,       /* 3: stale namespaces, reconnects */
		rule_probe_failures, /* 7: failing probes */
		pl_rule_target,      /* 4: target and shares */
		rule_groups,         /* 4, 5, 6, 8: per available VPN */
	};
	for (size_t r = 0; r < ARRAY_LEN(rules); r++)
		rules[r](&c);
	emit_all(&c);
	filter_backoff(&c);

	pl_list_free(&c.vpn_restarts);
	pl_list_free(&c.dead);
	pl_list_free(&c.starts);
	pl_list_free(&c.restarts);
	pl_list_free(&c.recreates);
	pl_list_free(&c.creates);
	pl_list_free(&c.removes);
	pl_setup_free(&c);
	return out->n;
}

/* Its engines owe a reconnect restart (rule 3, damped). */
static bool vpn_reconnect_pending(const struct memory *mem, const char *vpn)
{
	const struct memory_vpn *vm = memory_vpn(mem, vpn);
	return vm && (vm->reconnect_pending || vm->reconnect_due);
}

/* Whether any Docker host did not answer: only then is an engine's own
 * host worth looking up (by name), which the API does for every engine. */
static bool hosts_down(const struct observed *obs)
{
	for (size_t h = 0; obs && h < obs->n_hosts; h++)
		if (!obs->hosts[h].ok)
			return true;
	return false;
}

/* Why an engine is hidden (static text), NULL when visible; *slot gets its
 * crash record when that is the reason. */
static const char *hidden_reason(const struct config *cfg, const struct observed *obs,
				 const struct memory *mem, const struct engine_obs *e,
				 const struct memory_slot **slot)
{
	const char *v = e->vpn ? e->vpn : "";
	bool declared = cfg->n_vpns ? config_find_vpn(cfg, v) != NULL : !*v;
	const struct memory_engine *m = memory_engine(mem, e->id);
	*slot = NULL;
	if (hosts_down(obs) && !observed_host_ok(obs, e->host))
		return "docker host unreachable";
	if (!declared)
		return "vpn not declared";
	if (*v && !plan_vpn_available(observed_vpn(obs, v)))
		return "vpn unavailable";
	if (!e->running || (e->state && !str_eq(e->state, "running"))) {
		const struct memory_slot *sl = memory_slot(mem, e->name);
		if (e->state && str_eq(e->state, "exited") && crash_recorded(sl, e)) {
			*slot = sl;
			return "crash loop: exited right after starting; re-created after a back-off";
		}
		return "not running";
	}
	if (e->ns == NS_STALE_RESTART || e->ns == NS_STALE_RECREATE)
		return "network namespace stale";
	if (*v && cfg->health.restart_engines_on_reconnect && vpn_reconnect_pending(mem, v))
		return "vpn reconnected: restart pending until it stays available (health.recover_after)";
	if (!m || !m->probed)
		return "not probed yet";
	if (!m->probe_ok)
		return "probe failing";
	return NULL;
}

bool plan_engine_visible(const struct config *cfg, const struct observed *obs,
			 const struct memory *mem, const struct engine_obs *e,
			 const char **why)
{
	const struct memory_slot *sl;
	const char *w = hidden_reason(cfg, obs, mem, e, &sl);
	if (why)
		*why = w;
	return w == NULL;
}

bool plan_engine_visible_at(const struct config *cfg, const struct observed *obs,
			    const struct memory *mem, const struct engine_obs *e,
			    int64_t now_ms, char *why, size_t len)
{
	const struct memory_slot *sl;
	const char *w = hidden_reason(cfg, obs, mem, e, &sl);
	if (!w) {
		sbuf_printf(why, len, "%s", "");
		return true;
	}
	if (!sl && hosts_down(obs) && !observed_host_ok(obs, e->host)) {
		const struct host_obs *h = observed_host(obs, e->host);
		sbuf_printf(why, len, "docker host %s unreachable: %s", h->name,
			    h->error ? h->error : "no answer");
		return false;
	}
	if (!sl) {
		sbuf_printf(why, len, "%s", w);
		return false;
	}
	int64_t wait = sl->next_attempt_ms - now_ms;
	if (wait > 0)
		sbuf_printf(why, len, "crash loop: exited %llds after starting (exit code %d), %d time%s "
			    "in a row; next attempt in %llds", (long long)(sl->ran_ms / 1000), sl->exit_code,
			    sl->crashes, sl->crashes == 1 ? "" : "s", secs_up(wait));
	else
		sbuf_printf(why, len, "crash loop: exited %llds after starting (exit code %d), %d time%s "
			    "in a row; re-created on the next pass", (long long)(sl->ran_ms / 1000),
			    sl->exit_code, sl->crashes, sl->crashes == 1 ? "" : "s");
	return false;
}
