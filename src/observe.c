/* observe.c - builds struct observed (what Docker and Gluetun say now) for the
 * planner, and classifies each engine's network namespace (SPEC §2). */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "gluetun.h"
#include "observe.h"
#include "util.h"

const char *ns_state_str(enum ns_state s)
{
	switch (s) {
	case NS_UNKNOWN: return "unknown";
	case NS_CURRENT: return "current";
	case NS_STALE_RESTART: return "stale-restart";
	case NS_STALE_RECREATE: return "stale-recreate";
	}
	return "unknown";
}

const char *health_status_str(enum health_status h)
{
	switch (h) {
	case HEALTH_NONE: return "none";
	case HEALTH_STARTING: return "starting";
	case HEALTH_HEALTHY: return "healthy";
	case HEALTH_UNHEALTHY: return "unhealthy";
	}
	return "none";
}

enum health_status health_status_parse(const char *s)
{
	if (str_eq(s, "starting"))
		return HEALTH_STARTING;
	if (str_eq(s, "healthy"))
		return HEALTH_HEALTHY;
	if (str_eq(s, "unhealthy"))
		return HEALTH_UNHEALTHY;
	return HEALTH_NONE;
}

void engine_obs_clear(struct engine_obs *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->name);
	free(e->state);
	free(e->vpn);
	free(e->vpn_id);
	free(e->config_hash);
	free(e->network_mode);
	memset(e, 0, sizeof(*e));
}

void vpn_obs_clear(struct vpn_obs *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->id);
	free(v->state);
	free(v->api_error);
	free(v->fwd_ports);
	free(v->public_ip);
	memset(v, 0, sizeof(*v));
}

void observed_free(struct observed *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n_engines; i++)
		engine_obs_clear(&o->engines[i]);
	for (size_t i = 0; i < o->n_vpns; i++)
		vpn_obs_clear(&o->vpns[i]);
	free(o->engines);
	free(o->vpns);
	free(o->docker_error);
	memset(o, 0, sizeof(*o));
}

/* Full IDs normally; a short ID (>= 12 chars, as `docker ps` prints) that
 * prefixes the other also matches, so hand-made labels still work. */
static bool id_match(const char *a, const char *b)
{
	if (!a || !b || !*a || !*b)
		return false;
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	if (la != lb && n < 12)
		return false;
	return strncmp(a, b, n) == 0;
}

enum ns_state observe_classify(const char *engine_network_mode,
			       int64_t engine_started_ms, const char *label_vpn_id,
			       const struct vpn_obs *vpn)
{
	if (!vpn || !vpn->exists || !vpn->id || !*vpn->id)
		return NS_STALE_RECREATE;
	bool inspected = engine_network_mode && *engine_network_mode;
	const char *joined;
	if (inspected) {
		/* Attached to anything but a container namespace (bridge, host):
		 * it never joined the VPN and cannot be fixed by a restart. */
		if (!str_startswith(engine_network_mode, "container:"))
			return NS_STALE_RECREATE;
		joined = engine_network_mode + strlen("container:");
		/* Docker stores the ID, but a mode naming the VPN by name says
		 * nothing about which incarnation: the label does. */
		if (vpn->name && strcmp(joined, vpn->name) == 0)
			joined = label_vpn_id && *label_vpn_id ? label_vpn_id : vpn->id;
	} else if (label_vpn_id && *label_vpn_id) {
		joined = label_vpn_id;
	} else {
		return NS_UNKNOWN;
	}
	if (!id_match(joined, vpn->id))
		return NS_STALE_RECREATE;
	if (engine_started_ms <= 0)
		/* Never started: starting it joins the current namespace. Not
		 * inspected: nothing is known about its start yet. */
		return inspected ? NS_CURRENT : NS_UNKNOWN;
	if (vpn->started_at_ms > 0 && engine_started_ms < vpn->started_at_ms)
		return NS_STALE_RESTART;
	return NS_CURRENT;
}

const struct vpn_obs *observed_vpn(const struct observed *o, const char *name)
{
	if (!o || !name)
		return NULL;
	for (size_t i = 0; i < o->n_vpns; i++)
		if (str_eq(o->vpns[i].name, name))
			return &o->vpns[i];
	return NULL;
}

static const struct engine_obs *find_engine(const struct observed *o, const char *id)
{
	if (!o)
		return NULL;
	for (size_t i = 0; i < o->n_engines; i++)
		if (str_eq(o->engines[i].id, id))
			return &o->engines[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int label_int(const struct docker_container *c, const char *key)
{
	long long v;
	const char *s = docker_kv_get(c->labels, c->n_labels, key);
	return s && parse_int(s, 0, 65535, &v) ? (int)v : 0;
}

static const char *label_str(const struct docker_container *c, const char *key)
{
	const char *s = docker_kv_get(c->labels, c->n_labels, key);
	return s ? s : "";
}

/* The VPN moved under its engines: restarted (StartedAt) or re-created (ID). */
static bool vpn_moved(const struct vpn_obs *now, const struct vpn_obs *before)
{
	if (!now || !before)
		return now != before;
	return now->exists != before->exists || !str_eq(now->id, before->id) ||
	       now->started_at_ms != before->started_at_ms;
}

static void copy_ports(struct vpn_obs *v, const struct vpn_obs *p)
{
	v->api_ok = p->api_ok;
	v->api_error = dup_or_null(p->api_error);
	v->fwd_port = p->fwd_port;
	v->n_fwd_ports = p->n_fwd_ports;
	if (p->n_fwd_ports) {
		v->fwd_ports = xcalloc(p->n_fwd_ports, sizeof(int));
		memcpy(v->fwd_ports, p->fwd_ports, p->n_fwd_ports * sizeof(int));
	}
	v->public_ip = dup_or_null(p->public_ip);
	v->ports_read_ms = p->ports_read_ms;
}

/* Asks the control server. On failure the last known ports stay (a timeout
 * must not look like "port lost" and churn the forwarded engine); api_ok
 * tells the planner the answer is not fresh. "No port yet" (Gluetun answers
 * port 0 while its VPN reconnects) is an answer: no forwarded port, api_ok.
 * The public IP is informative: its failure is reported in api_error but
 * does not make fresh ports stale. */
static void read_control(struct vpn_obs *v, const struct vpn_decl *decl,
			 const struct vpn_obs *p, const struct observe_opts *opts,
			 int64_t now_ms)
{
	char *url = decl->api ? xstrdup(decl->api) : xasprintf("http://%s:8000", decl->name);
	struct gluetun *g = gluetun_new(url, decl->api_key, opts ? opts->gluetun_timeout_ms : 0);
	char err[512] = "";
	enum gluetun_result r = GLUETUN_OK;
	gluetun_set_basic_auth(g, decl->api_username, decl->api_password);
	if (opts && opts->n_gluetun_reads)
		(*opts->n_gluetun_reads)++;
	if (decl->port_forwarding != PF_OFF) {
		int *ports;
		size_t n;
		r = gluetun_forwarded_ports(g, &ports, &n, err, sizeof(err));
		if (r == GLUETUN_OK) {
			v->fwd_ports = ports;
			v->n_fwd_ports = n;
			v->fwd_port = ports[0];
		} else if (r == GLUETUN_NO_PORT) {
			r = GLUETUN_OK;
		}
	}
	v->api_ok = r == GLUETUN_OK;
	if (r == GLUETUN_OK) {
		char *ip;
		if (gluetun_public_ip(g, &ip, err, sizeof(err)) == GLUETUN_OK)
			v->public_ip = ip;
		else
			v->api_error = xstrdup(err);
	} else {
		v->api_error = xstrdup(err);
		if (p && p->n_fwd_ports) {
			v->fwd_port = p->fwd_port;
			v->n_fwd_ports = p->n_fwd_ports;
			v->fwd_ports = xcalloc(p->n_fwd_ports, sizeof(int));
			memcpy(v->fwd_ports, p->fwd_ports, p->n_fwd_ports * sizeof(int));
		}
	}
	if (p && !v->public_ip)
		v->public_ip = dup_or_null(p->public_ip);
	v->ports_read_ms = now_ms;
	gluetun_free(g);
	free(url);
}

/* Returns -1 on a Docker error other than "no such container". */
static int observe_vpn(struct docker *d, const struct config *cfg, size_t i,
		       const struct observed *prev, const struct observe_opts *opts,
		       int64_t now_ms, struct observed *out, struct docker_err *err)
{
	const struct vpn_decl *decl = &cfg->vpns[i];
	struct vpn_obs *v = &out->vpns[i];
	struct docker_inspect in;
	if (docker_inspect(d, decl->name, &in, err) < 0) {
		if (!docker_err_not_found(err))
			return -1;
		v->api_error = xstrdup("vpn container not found");
		return 0;
	}
	v->exists = true;
	v->id = xstrdup(in.id);
	v->running = in.running;
	v->state = xstrdup(in.status);
	v->health = health_status_parse(in.health);
	v->started_at_ms = in.started_at_ms;
	docker_inspect_free(&in);
	if (!v->running) {
		v->api_error = xstrdup("vpn container not running");
		return 0;
	}
	const struct vpn_obs *p = observed_vpn(prev, decl->name);
	bool fresh = p && p->running && !vpn_moved(v, p) && p->ports_read_ms &&
		     now_ms - p->ports_read_ms < cfg->health.port_check_interval_ms;
	if (fresh)
		copy_ports(v, p);
	else
		read_control(v, decl, p, opts, now_ms);
	return 0;
}

static bool is_dirty(const struct observe_opts *opts, const char *id)
{
	if (!opts)
		return false;
	if (opts->inspect_all)
		return true;
	for (size_t i = 0; i < opts->n_dirty; i++)
		if (id_match(opts->dirty_ids[i], id))
			return true;
	return false;
}

/* Returns 1 when the engine was kept, 0 when it vanished meanwhile, -1 on a
 * Docker error. */
static int observe_engine(struct docker *d, const struct docker_container *c,
			  const struct observed *prev, const struct observe_opts *opts,
			  struct observed *out, struct engine_obs *e, struct docker_err *err)
{
	memset(e, 0, sizeof(*e));
	e->id = xstrdup(c->id);
	e->name = xstrdup(c->name);
	e->state = xstrdup(c->state);
	e->running = strcmp(c->state, "running") == 0;
	e->vpn = xstrdup(label_str(c, "acestream.vpn_container"));
	e->vpn_id = xstrdup(label_str(c, "acestream.vpn_id"));
	e->forwarded = strcmp(label_str(c, "acestream.forwarded"), "true") == 0;
	e->http_port = label_int(c, "acestream.http_port");
	e->https_port = label_int(c, "acestream.https_port");
	e->p2p_port = label_int(c, "acestream.p2p_port");
	e->host_port = label_int(c, "host.http_port");
	e->config_hash = xstrdup(label_str(c, "acestream.config_hash"));

	const struct vpn_obs *vpn = *e->vpn ? observed_vpn(out, e->vpn) : NULL;
	const struct engine_obs *pe = find_engine(prev, c->id);
	bool need = !pe || !pe->inspected || is_dirty(opts, c->id) ||
		    !str_eq(pe->state, c->state) ||
		    (*e->vpn && vpn_moved(vpn, observed_vpn(prev, e->vpn)));
	if (need) {
		struct docker_inspect in;
		if (opts && opts->n_engine_inspects)
			(*opts->n_engine_inspects)++;
		if (docker_inspect(d, c->id, &in, err) < 0) {
			engine_obs_clear(e);
			return docker_err_not_found(err) ? 0 : -1;
		}
		e->inspected = true;
		e->network_mode = xstrdup(in.network_mode);
		e->started_at_ms = in.started_at_ms;
		/* The state may have moved between the list and the inspect. */
		free(e->state);
		e->state = xstrdup(in.status);
		e->running = in.running;
		docker_inspect_free(&in);
	} else {
		e->inspected = true;
		e->network_mode = dup_or_null(pe->network_mode);
		e->started_at_ms = pe->started_at_ms;
	}
	if (*e->vpn)
		e->ns = observe_classify(e->network_mode, e->started_at_ms, e->vpn_id, vpn);
	return 1;
}

static int docker_failed(struct observed *out, const struct docker_err *err)
{
	for (size_t i = 0; i < out->n_engines; i++)
		engine_obs_clear(&out->engines[i]);
	free(out->engines);
	out->engines = NULL;
	out->n_engines = 0;
	/* Half-read VPNs would look "gone" to the planner: keep names only. */
	for (size_t i = 0; i < out->n_vpns; i++) {
		char *name = out->vpns[i].name;
		out->vpns[i].name = NULL;
		vpn_obs_clear(&out->vpns[i]);
		out->vpns[i].name = name;
	}
	out->docker_ok = false;
	out->docker_error = xstrdup(err->msg[0] ? err->msg : "docker error");
	return -1;
}

int observe_build(struct docker *d, const struct config *cfg, const struct observed *prev,
		  const char *const *dirty_ids, size_t n_dirty, int64_t now_ms,
		  struct observed *out)
{
	struct observe_opts opts = { .dirty_ids = dirty_ids, .n_dirty = n_dirty };
	return observe_build_opts(d, cfg, prev, &opts, now_ms, out);
}

int observe_build_opts(struct docker *d, const struct config *cfg,
		       const struct observed *prev, const struct observe_opts *opts,
		       int64_t now_ms, struct observed *out)
{
	struct docker_err err = { 0, "" };
	struct docker_list list = { 0 };
	memset(out, 0, sizeof(*out));
	out->n_vpns = cfg->n_vpns;
	out->vpns = xcalloc(cfg->n_vpns, sizeof(*out->vpns));
	for (size_t i = 0; i < cfg->n_vpns; i++)
		out->vpns[i].name = xstrdup(cfg->vpns[i].name);

	char *label = xasprintf("acestream.orchestrator=%s", cfg->instance);
	int rc = docker_list(d, label, &list, &err);
	free(label);
	if (rc < 0)
		return docker_failed(out, &err);
	/* VPNs first: deciding which engines need an inspect compares them. */
	for (size_t i = 0; i < cfg->n_vpns; i++)
		if (observe_vpn(d, cfg, i, prev, opts, now_ms, out, &err) < 0)
			goto fail;
	out->engines = xcalloc(list.n, sizeof(*out->engines));
	for (size_t i = 0; i < list.n; i++) {
		rc = observe_engine(d, &list.v[i], prev, opts, out,
				    &out->engines[out->n_engines], &err);
		if (rc < 0)
			goto fail;
		out->n_engines += (size_t)rc;
	}
	docker_list_free(&list);
	out->docker_ok = true;
	return 0;
fail:
	docker_list_free(&list);
	return docker_failed(out, &err);
}
