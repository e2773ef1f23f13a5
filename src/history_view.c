/* history_view.c - turns changes of the loop's VPN view (Docker events,
 * passes, control-server reads) into history entries, once each. */
#include <stdlib.h>
#include <string.h>

#include "history_view.h"
#include "plan.h"
#include "util.h"

static void hv_clear(struct hv_vpn *s)
{
	free(s->name);
	free(s->id);
	memset(s, 0, sizeof *s);
}

void history_view_free(struct history_view *hv)
{
	for (size_t i = 0; i < hv->n; i++)
		hv_clear(&hv->v[i]);
	free(hv->v);
	hv->v = NULL;
	hv->n = 0;
}

/* The remembered states, reordered (and trimmed) to the declared VPNs. */
static void hv_align(struct history_view *hv, const struct config *cfg)
{
	struct hv_vpn *next = xcalloc(cfg->n_vpns ? cfg->n_vpns : 1, sizeof *next);
	for (size_t i = 0; i < cfg->n_vpns; i++) {
		for (size_t k = 0; k < hv->n; k++) {
			if (hv->v[k].name && str_eq(hv->v[k].name, cfg->vpns[i].name)) {
				next[i] = hv->v[k];
				memset(&hv->v[k], 0, sizeof hv->v[k]);
				break;
			}
		}
		if (!next[i].name)
			next[i].name = xstrdup(cfg->vpns[i].name);
	}
	history_view_free(hv);
	hv->v = next;
	hv->n = cfg->n_vpns;
}

static const char *why_unavailable(const struct vpn_obs *v)
{
	if (!v->exists)
		return "container missing";
	if (!v->running)
		return "container not running";
	if (v->health == HEALTH_NONE)
		return "control server not answering";
	return health_status_str(v->health);
}

static void diff_one(struct hv_vpn *s, struct history *h, const struct vpn_obs *v, bool pf,
		     int64_t now)
{
	bool avail = plan_vpn_available(v);
	struct hist_new n = { .object = s->name, .vpn = s->name, .initial = !s->seen };
	if (!s->seen || avail != s->available) {
		n.kind = avail ? HIST_VPN_AVAILABLE : HIST_VPN_UNAVAILABLE;
		if (avail)
			history_add(h, &n, now, "vpn %s available", s->name);
		else
			history_add(h, &n, now, "vpn %s unavailable: %s", s->name, why_unavailable(v));
	}
	n.initial = false;
	if (s->seen && s->id && v->exists && v->id && !str_eq(s->id, v->id)) {
		n.kind = HIST_VPN_RECREATED;
		history_add(h, &n, now, "vpn %s re-created (container %.12s -> %.12s)", s->name,
			    s->id, v->id);
	} else if (s->seen && s->id && v->exists && s->started_at_ms && v->started_at_ms &&
		   v->started_at_ms != s->started_at_ms) {
		n.kind = HIST_VPN_RESTARTED;
		history_add(h, &n, now, "vpn %s container restarted", s->name);
	}
	/* A port is news once the control server has answered: the 0 before
	 * the first read at start-up is not a change. */
	if (pf && v->api_ok && s->port_known && v->fwd_port != s->fwd_port) {
		n.kind = HIST_PORT_CHANGED;
		n.from_port = s->fwd_port;
		n.to_port = v->fwd_port;
		if (v->fwd_port && s->fwd_port)
			history_add(h, &n, now, "vpn %s forwarded port changed %d -> %d", s->name,
				    s->fwd_port, v->fwd_port);
		else if (v->fwd_port)
			history_add(h, &n, now, "vpn %s forwarded port now %d", s->name, v->fwd_port);
		else
			history_add(h, &n, now, "vpn %s forwarded port lost (was %d)", s->name,
				    s->fwd_port);
		n.from_port = n.to_port = 0;
	}
	bool failing = v->running && v->api_error != NULL;
	if (failing != s->api_failing && (failing || s->api_failing)) {
		n.kind = failing ? HIST_CONTROL_ERROR : HIST_CONTROL_OK;
		n.error = failing ? v->api_error : NULL;
		if (failing)
			history_add(h, &n, now, "vpn %s control server error: %s", s->name, v->api_error);
		else
			history_add(h, &n, now, "vpn %s control server answers again", s->name);
		n.error = NULL;
	}
	s->seen = true;
	s->available = avail;
	if (v->exists && v->id && !str_eq(s->id, v->id)) {
		free(s->id);
		s->id = xstrdup(v->id);
	}
	if (v->exists && v->started_at_ms)
		s->started_at_ms = v->started_at_ms;
	if (v->api_ok) {
		s->port_known = true;
		s->fwd_port = v->fwd_port;
	}
	s->api_failing = failing;
}

void history_view_diff(struct history_view *hv, struct history *h, const struct config *cfg,
		       const struct observed *obs, int64_t now_ms)
{
	if (!obs)
		return;
	bool aligned = hv->n == cfg->n_vpns;
	for (size_t i = 0; aligned && i < hv->n; i++)
		aligned = str_eq(hv->v[i].name, cfg->vpns[i].name);
	if (!aligned)
		hv_align(hv, cfg);
	for (size_t i = 0; i < hv->n; i++) {
		const struct vpn_obs *v = observed_vpn(obs, hv->v[i].name);
		if (v)
			diff_one(&hv->v[i], h, v, cfg->vpns[i].port_forwarding != PF_OFF, now_ms);
	}
}
