/* observe.c - builds struct observed (what Docker and Gluetun say now) for the
 * planner, and classifies each engine's network namespace (SPEC §2). */
#include "config-auto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "hosts.h"
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
	free(e->host);
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
	free(v->host);
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
	for (size_t i = 0; i < o->n_hosts; i++) {
		free(o->hosts[i].name);
		free(o->hosts[i].address);
		free(o->hosts[i].error);
	}
	free(o->hosts);
	free(o->engines);
	free(o->vpns);
	free(o->docker_error);
	memset(o, 0, sizeof(*o));
}

const struct host_obs *observed_host(const struct observed *o, const char *host)
{
	if (!o)
		return NULL;
	if (!host || !*host)
		host = "default";
	for (size_t i = 0; i < o->n_hosts; i++)
		if (str_eq(o->hosts[i].name, host))
			return &o->hosts[i];
	return NULL;
}

bool observed_host_ok(const struct observed *o, const char *host)
{
	const struct host_obs *h = observed_host(o, host);
	return !h || h->ok;
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

/* The previous pass's engines by ID, for the "inspect again?" question
 * asked of every listed engine: a sorted array, not a scan per engine. */
struct prev_index {
	const struct engine_obs **v;
	size_t n;
};

static int prev_cmp(const void *a, const void *b)
{
	const struct engine_obs *x = *(const struct engine_obs *const *)a;
	const struct engine_obs *y = *(const struct engine_obs *const *)b;
	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static void prev_index_build(struct prev_index *ix, const struct observed *prev)
{
	ix->n = prev ? prev->n_engines : 0;
	ix->v = xcalloc(ix->n ? ix->n : 1, sizeof *ix->v);
	for (size_t i = 0; i < ix->n; i++)
		ix->v[i] = &prev->engines[i];
	qsort(ix->v, ix->n, sizeof *ix->v, prev_cmp);
}

static const struct engine_obs *find_engine(const struct prev_index *ix, const char *id)
{
	struct engine_obs key = { .id = (char *)id };
	const struct engine_obs *kp = &key;
	const struct engine_obs **r = ix->n ? bsearch(&kp, ix->v, ix->n, sizeof *ix->v, prev_cmp) : NULL;
	return r ? *r : NULL;
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

/* Copies the observation of a VPN (or an engine) from the previous pass: a
 * failed inspect keeps the last good view instead of erasing the object. */
static void vpn_obs_copy(struct vpn_obs *dst, const struct vpn_obs *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->host = dup_or_null(src->host);
	dst->id = dup_or_null(src->id);
	dst->state = dup_or_null(src->state);
	dst->api_error = dup_or_null(src->api_error);
	dst->public_ip = dup_or_null(src->public_ip);
	dst->fwd_ports = NULL;
	if (src->n_fwd_ports) {
		dst->fwd_ports = xcalloc(src->n_fwd_ports, sizeof(int));
		memcpy(dst->fwd_ports, src->fwd_ports, src->n_fwd_ports * sizeof(int));
	}
}

static void engine_obs_copy(struct engine_obs *dst, const struct engine_obs *src)
{
	*dst = *src;
	dst->id = dup_or_null(src->id);
	dst->name = dup_or_null(src->name);
	dst->host = dup_or_null(src->host);
	dst->state = dup_or_null(src->state);
	dst->vpn = dup_or_null(src->vpn);
	dst->vpn_id = dup_or_null(src->vpn_id);
	dst->config_hash = dup_or_null(src->config_hash);
	dst->network_mode = dup_or_null(src->network_mode);
}

void observed_copy(struct observed *dst, const struct observed *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->docker_ok = src->docker_ok;
	dst->docker_error = dup_or_null(src->docker_error);
	dst->n_errors = src->n_errors;
	dst->n_engines = src->n_engines;
	dst->engines = xcalloc(src->n_engines ? src->n_engines : 1, sizeof(*dst->engines));
	for (size_t i = 0; i < src->n_engines; i++)
		engine_obs_copy(&dst->engines[i], &src->engines[i]);
	dst->n_vpns = src->n_vpns;
	dst->vpns = xcalloc(src->n_vpns ? src->n_vpns : 1, sizeof(*dst->vpns));
	for (size_t i = 0; i < src->n_vpns; i++)
		vpn_obs_copy(&dst->vpns[i], &src->vpns[i]);
	dst->n_hosts = src->n_hosts;
	dst->hosts = src->n_hosts ? xcalloc(src->n_hosts, sizeof(*dst->hosts)) : NULL;
	for (size_t i = 0; i < src->n_hosts; i++) {
		dst->hosts[i] = src->hosts[i];
		dst->hosts[i].name = dup_or_null(src->hosts[i].name);
		dst->hosts[i].address = dup_or_null(src->hosts[i].address);
		dst->hosts[i].error = dup_or_null(src->hosts[i].error);
	}
}

/* A failure that does not invalidate the whole observation: counted, and
 * the first one kept for logs and /readyz. */
static void partial_error(struct observed *out, const struct docker_err *err)
{
	if (!out->n_errors++)
		out->docker_error = xstrdup(err->msg[0] ? err->msg : "docker error");
}

/* The VPN container as Docker sees it; its control server is read
 * elsewhere (ctrl.c). A failed inspect keeps the previous view. */
static void observe_vpn(struct docker *d, const struct config *cfg, size_t i,
			const struct observed *prev, struct observed *out)
{
	const struct vpn_decl *decl = &cfg->vpns[i];
	struct vpn_obs *v = &out->vpns[i];
	struct docker_inspect in;
	struct docker_err err = { 0, "" };
	if (docker_inspect(d, decl->name, &in, &err) < 0) {
		if (docker_err_not_found(&err)) {
			v->api_error = xstrdup("vpn container not found");
			return;
		}
		partial_error(out, &err);
		const struct vpn_obs *p = observed_vpn(prev, decl->name);
		if (p) {
			vpn_obs_clear(v);
			vpn_obs_copy(v, p);
		}
		return;
	}
	v->exists = true;
	v->id = xstrdup(in.id);
	v->running = in.running;
	v->state = xstrdup(in.status);
	v->health = health_status_parse(in.health);
	v->started_at_ms = in.started_at_ms;
	docker_inspect_free(&in);
	if (!v->running)
		v->api_error = xstrdup("vpn container not running");
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
			  const struct observed *prev, const struct prev_index *ix,
			  const struct observe_opts *opts, struct observed *out,
			  struct engine_obs *e)
{
	struct docker_err errbuf = { 0, "" }, *err = &errbuf;
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
	const struct engine_obs *pe = find_engine(ix, c->id);
	bool need = !pe || !pe->inspected || is_dirty(opts, c->id) ||
		    !str_eq(pe->state, c->state) ||
		    (*e->vpn && vpn_moved(vpn, observed_vpn(prev, e->vpn)));
	if (need) {
		struct docker_inspect in;
		if (opts && opts->n_engine_inspects)
			(*opts->n_engine_inspects)++;
		if (docker_inspect(d, c->id, &in, err) < 0) {
			if (docker_err_not_found(err)) {
				engine_obs_clear(e);
				return 0;
			}
			/* Keep what was known: one slow or failing inspect must not
			 * take a running engine out of the view. */
			partial_error(out, err);
			if (pe) {
				engine_obs_clear(e);
				engine_obs_copy(e, pe);
			}
			if (*e->vpn)
				e->ns = observe_classify(e->network_mode, e->started_at_ms, e->vpn_id, vpn);
			return 1;
		}
		e->inspected = true;
		e->network_mode = xstrdup(in.network_mode);
		e->started_at_ms = in.started_at_ms;
		e->finished_at_ms = in.finished_at_ms;
		e->exit_code = in.exit_code;
		/* The state may have moved between the list and the inspect. */
		free(e->state);
		e->state = xstrdup(in.status);
		e->running = in.running;
		docker_inspect_free(&in);
	} else {
		e->inspected = true;
		e->network_mode = dup_or_null(pe->network_mode);
		e->started_at_ms = pe->started_at_ms;
		e->finished_at_ms = pe->finished_at_ms;
		e->exit_code = pe->exit_code;
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

/* One host's part of the observation: its list, the declared VPNs that live
 * on it (host_idx; SIZE_MAX: every VPN, for a fleet on one Docker), and
 * inspects of its engines when needed. out->vpns names every declared VPN
 * (those of other hosts stay unobserved) so engines classify against the
 * VPN of their label; an engine whose VPN lives elsewhere is stale. */
static int observe_part(struct docker *d, const struct config *cfg, size_t host_idx,
			const struct observed *prev, const struct prev_index *ix,
			const struct observe_opts *opts, struct observed *out)
{
	struct docker_err err = { 0, "" };
	struct docker_list list = { 0 };
	memset(out, 0, sizeof(*out));
	out->n_vpns = cfg->n_vpns;
	out->vpns = xcalloc(cfg->n_vpns ? cfg->n_vpns : 1, sizeof(*out->vpns));
	for (size_t i = 0; i < cfg->n_vpns; i++)
		out->vpns[i].name = xstrdup(cfg->vpns[i].name);

	char *label = xasprintf("acestream.orchestrator=%s", cfg->instance);
	int rc = docker_list(d, label, &list, &err);
	free(label);
	if (rc < 0)
		return docker_failed(out, &err);
	/* VPNs first: deciding which engines need an inspect compares them. */
	for (size_t i = 0; i < cfg->n_vpns; i++)
		if (host_idx == SIZE_MAX || cfg->vpns[i].docker_idx == host_idx)
			observe_vpn(d, cfg, i, prev, out);
	out->engines = xcalloc(list.n ? list.n : 1, sizeof(*out->engines));
	for (size_t i = 0; i < list.n; i++)
		out->n_engines += (size_t)observe_engine(d, &list.v[i], prev, ix, opts, out,
							 &out->engines[out->n_engines]);
	docker_list_free(&list);
	out->docker_ok = true;
	return 0;
}

int observe_build(struct docker *d, const struct config *cfg, const struct observed *prev,
		  const struct observe_opts *opts, struct observed *out)
{
	struct prev_index ix;
	prev_index_build(&ix, prev);
	int rc = observe_part(d, cfg, SIZE_MAX, prev, &ix, opts, out);
	free(ix.v);
	return rc;
}

/* ---- the fleet: every host at once ---- */

struct part {
	struct docker *d;
	const struct docker_err *client_err;
	const struct config *cfg;
	size_t host;
	const struct observed *prev;
	const struct prev_index *ix;
	struct observe_opts opts; /* the caller's, with this part's counter */
	unsigned inspects;
	struct observed out;
	int rc;
};

static void *part_run(void *arg)
{
	struct part *p = arg;
	if (!p->d) {
		memset(&p->out, 0, sizeof p->out);
		p->rc = docker_failed(&p->out, p->client_err);
		return NULL;
	}
	p->rc = observe_part(p->d, p->cfg, p->host, p->prev, p->ix, &p->opts, &p->out);
	return NULL;
}

/* Moves the observation of VPN i out of its host's part. */
static void take_vpn(struct observed *out, size_t i, struct part *p, const char *host)
{
	vpn_obs_clear(&out->vpns[i]);
	out->vpns[i] = p->out.vpns[i];
	memset(&p->out.vpns[i], 0, sizeof p->out.vpns[i]);
	/* A failed inspect kept the last view, with its host name. */
	free(out->vpns[i].host);
	out->vpns[i].host = xstrdup(host);
}

/* A VPN on a host that did not answer: its last view, unavailable. */
static void keep_vpn(struct observed *out, size_t i, const struct config *cfg,
		     const struct observed *prev, const char *host, const char *error)
{
	const struct vpn_obs *pv = observed_vpn(prev, cfg->vpns[i].name);
	struct vpn_obs *v = &out->vpns[i];
	vpn_obs_clear(v);
	if (pv) {
		vpn_obs_copy(v, pv);
	} else {
		v->name = xstrdup(cfg->vpns[i].name);
	}
	free(v->host);
	v->host = xstrdup(host);
	v->host_down = true;
	free(v->api_error);
	v->api_error = xasprintf("docker host %s unreachable: %s", host, error);
}

static void engines_push(struct observed *out, size_t *cap, struct engine_obs *e)
{
	grow(&out->engines, cap, out->n_engines + 1, sizeof *out->engines);
	out->engines[out->n_engines++] = *e;
}

int observe_fleet(struct docker *const *clients, const struct docker_err *client_errs,
		  const struct config *cfg, const struct observed *prev,
		  const struct observe_opts *opts, struct observed *out)
{
	size_t nh = cfg->n_docker_hosts;
	struct part *parts = xcalloc(nh ? nh : 1, sizeof *parts);
	pthread_t *th = xcalloc(nh ? nh : 1, sizeof *th);
	bool *started = xcalloc(nh ? nh : 1, sizeof *started);
	struct prev_index ix;
	prev_index_build(&ix, prev);
	for (size_t h = 0; h < nh; h++) {
		struct part *p = &parts[h];
		*p = (struct part){ .d = clients[h], .client_err = &client_errs[h], .cfg = cfg,
				    .host = h, .prev = prev, .ix = &ix };
		if (opts)
			p->opts = *opts;
		p->opts.n_engine_inspects = &p->inspects;
		/* One host alone needs no thread; a failed create runs it here. */
		started[h] = nh > 1 && pthread_create(&th[h], NULL, part_run, p) == 0;
		if (!started[h])
			part_run(p);
	}
	for (size_t h = 0; h < nh; h++)
		if (started[h])
			pthread_join(th[h], NULL);

	memset(out, 0, sizeof(*out));
	out->n_vpns = cfg->n_vpns;
	out->vpns = xcalloc(cfg->n_vpns ? cfg->n_vpns : 1, sizeof *out->vpns);
	out->n_hosts = nh;
	out->hosts = xcalloc(nh ? nh : 1, sizeof *out->hosts);
	size_t cap = 0;
	for (size_t h = 0; h < nh; h++) {
		struct part *p = &parts[h];
		const char *name = cfg->docker_hosts[h].name;
		struct host_obs *ho = &out->hosts[h];
		ho->name = xstrdup(name);
		ho->address = xstrdup(cfg->docker_hosts[h].host ? cfg->docker_hosts[h].host : "");
		ho->ok = p->rc == 0;
		ho->n_errors = p->out.n_errors;
		if (opts && opts->n_engine_inspects)
			*opts->n_engine_inspects += p->inspects;
		if (!ho->ok) {
			const char *why = p->out.docker_error ? p->out.docker_error : "docker error";
			const char *hint = cfg->docker_hosts[h].tls_on ? hosts_tls_hint(why) : NULL;
			ho->error = hint ? xasprintf("%s (%s)", why, hint) : xstrdup(why);
			for (size_t i = 0; i < cfg->n_vpns; i++)
				if (cfg->vpns[i].docker_idx == h)
					keep_vpn(out, i, cfg, prev, name, ho->error);
			/* Its engines as last seen: hidden, never removed, never
			 * replaced under the same name elsewhere. */
			for (size_t i = 0; prev && i < prev->n_engines; i++) {
				const struct engine_obs *pe = &prev->engines[i];
				if (!str_eq(pe->host ? pe->host : DOCKER_HOST_DEFAULT, name))
					continue;
				struct engine_obs e;
				engine_obs_copy(&e, pe);
				engines_push(out, &cap, &e);
			}
			continue;
		}
		out->docker_ok = true;
		out->n_errors += p->out.n_errors;
		if (p->out.docker_error && !out->docker_error)
			out->docker_error = xstrdup(p->out.docker_error);
		for (size_t i = 0; i < cfg->n_vpns; i++)
			if (cfg->vpns[i].docker_idx == h)
				take_vpn(out, i, p, name);
		for (size_t i = 0; i < p->out.n_engines; i++) {
			struct engine_obs *e = &p->out.engines[i];
			free(e->host);
			e->host = xstrdup(name);
			engines_push(out, &cap, e);
			memset(e, 0, sizeof *e);
		}
	}
	/* A host that did not answer is the first thing logs and /readyz say;
	 * with none answering, the default host's error is the pass's. */
	for (size_t h = 0; h < nh; h++) {
		if (out->hosts[h].ok)
			continue;
		char *why = xasprintf("docker host %s unreachable: %s", out->hosts[h].name,
				      out->hosts[h].error);
		free(out->docker_error);
		out->docker_error = why;
		break;
	}
	if (!out->engines)
		out->engines = xcalloc(1, sizeof *out->engines);
	for (size_t h = 0; h < nh; h++)
		observed_free(&parts[h].out);
	free(ix.v);
	free(parts);
	free(th);
	free(started);
	if (!out->docker_ok) {
		/* Nothing answered: as observe_build does, names only, so the
		 * planner sees no half-read VPN. */
		struct docker_err e = { 0, "" };
		sbuf_printf(e.msg, sizeof e.msg, "%s", nh && out->hosts[0].error ? out->hosts[0].error
						       : "no docker host");
		struct host_obs *hosts = out->hosts;
		size_t n = out->n_hosts;
		out->hosts = NULL;
		out->n_hosts = 0;
		free(out->docker_error);
		out->docker_error = NULL;
		for (size_t i = 0; i < out->n_vpns; i++) {
			free(out->vpns[i].host);
			out->vpns[i].host = NULL;
		}
		docker_failed(out, &e);
		out->hosts = hosts;
		out->n_hosts = n;
		return -1;
	}
	return 0;
}
