/* ctrl.c - reads of Gluetun control servers into struct ctrl_state, and
 * their hand-over to the observation the planner reads. */
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"
#include "gluetun.h"
#include "observe.h"
#include "util.h"

void ctrl_state_clear(struct ctrl_state *s)
{
	if (!s)
		return;
	free(s->api_error);
	free(s->fwd_ports);
	free(s->public_ip);
	free(s->vpn_id);
	memset(s, 0, sizeof *s);
}

bool ctrl_matches(const struct ctrl_state *s, const struct vpn_obs *v)
{
	return s && s->read && v && v->exists && str_eq(s->vpn_id, v->id) &&
	       s->vpn_started_ms == v->started_at_ms;
}

static int *dup_ports(const int *v, size_t n)
{
	if (!n)
		return NULL;
	int *r = xcalloc(n, sizeof *r);
	memcpy(r, v, n * sizeof *r);
	return r;
}

void ctrl_state_copy(struct ctrl_state *dst, const struct ctrl_state *src)
{
	*dst = *src;
	dst->api_error = src->api_error ? xstrdup(src->api_error) : NULL;
	dst->fwd_ports = dup_ports(src->fwd_ports, src->n_fwd_ports);
	dst->public_ip = src->public_ip ? xstrdup(src->public_ip) : NULL;
	dst->vpn_id = src->vpn_id ? xstrdup(src->vpn_id) : NULL;
}

void ctrl_read(const struct vpn_decl *decl, const struct vpn_obs *v,
	       const struct ctrl_state *prev, long timeout_ms, int64_t now_ms,
	       struct ctrl_state *out)
{
	memset(out, 0, sizeof *out);
	out->vpn_id = v && v->id ? xstrdup(v->id) : NULL;
	out->vpn_started_ms = v ? v->started_at_ms : 0;
	if (prev && !ctrl_matches(prev, v))
		prev = NULL;
	int64_t t0 = now_mono_ms();
	char *url = decl->api ? xstrdup(decl->api) : xasprintf("http://%s:8000", decl->name);
	struct gluetun *g = gluetun_new(url, decl->api_key, timeout_ms);
	char err[512] = "";
	enum gluetun_result r = GLUETUN_OK;
	gluetun_set_basic_auth(g, decl->api_username, decl->api_password);
	if (decl->port_forwarding != PF_OFF) {
		int *ports;
		size_t n;
		r = gluetun_forwarded_ports(g, &ports, &n, err, sizeof err);
		if (r == GLUETUN_OK) {
			out->fwd_ports = ports;
			out->n_fwd_ports = n;
			out->fwd_port = ports[0];
		} else if (r == GLUETUN_NO_PORT) {
			/* Port 0 while Gluetun reconnects its VPN: an answer
			 * ("no port yet"), not an error. */
			r = GLUETUN_OK;
		}
	}
	out->read = true;
	/* The public IP is informative: its failure shows in api_error but
	 * does not make freshly read ports stale. */
	out->api_ok = r == GLUETUN_OK;
	if (r == GLUETUN_OK) {
		char *ip;
		if (gluetun_public_ip(g, &ip, err, sizeof err) == GLUETUN_OK)
			out->public_ip = ip;
		else
			out->api_error = xstrdup(err);
	}
	if (!out->api_ok) {
		out->api_error = xstrdup(err[0] ? err : gluetun_result_str(r));
		if (prev && !out->n_fwd_ports && prev->n_fwd_ports) {
			out->fwd_port = prev->fwd_port;
			out->n_fwd_ports = prev->n_fwd_ports;
			out->fwd_ports = dup_ports(prev->fwd_ports, prev->n_fwd_ports);
		}
	}
	if (prev && !out->public_ip && prev->public_ip)
		out->public_ip = xstrdup(prev->public_ip);
	out->read_ms = now_ms;
	out->took_ms = now_mono_ms() - t0;
	gluetun_free(g);
	free(url);
}

void ctrl_to_vpn_obs(const struct ctrl_state *s, struct vpn_obs *v)
{
	free(v->api_error);
	free(v->fwd_ports);
	free(v->public_ip);
	v->api_ok = s->api_ok;
	v->api_error = s->api_error ? xstrdup(s->api_error) : NULL;
	v->fwd_port = s->fwd_port;
	v->n_fwd_ports = s->n_fwd_ports;
	v->fwd_ports = dup_ports(s->fwd_ports, s->n_fwd_ports);
	v->public_ip = s->public_ip ? xstrdup(s->public_ip) : NULL;
	v->ports_read_ms = s->read_ms;
}
