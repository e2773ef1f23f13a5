/* loop.c - the daemon: an epoll loop that no remote call can stall. It owns
 * the inputs (signals, config edits, Docker events, probes, stream events,
 * control-server reads) and a view of the world it republishes at once;
 * reconcile passes run on a worker thread and come back as messages. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "api.h"
#include "bgpool.h"
#include "cmulti.h"
#include "ctrl.h"
#include "docker.h"
#include "evloop.h"
#include "history.h"
#include "history_view.h"
#include "hosts.h"
#include "log.h"
#include "loop.h"
#include "loop_events.h"
#include "loop_lease.h"
#include "notify.h"
#include "probe.h"
#include "publish.h"
#include "reconcile.h"
#include "service.h"
#include "streams.h"
#include "util.h"
#include "watch.h"

#define DEBOUNCE_MS 200       /* in-place writes may come in several steps */
#define COALESCE_MS 50        /* Docker events arrive in bursts */
#define VERIFY_MS 1000        /* re-check soon after a pass that acted */
#define OVERDUE_MS 15000      /* a pass running this long: the view is stale */
#define STOP_WAIT_MS 600      /* SIGTERM: how long remote calls get to give up */
#define CTRL_THREADS 2
#define CTRL_TIMEOUT_MS 2000
#define DEMAND_TTL_MS (10 * 60 * 1000)

/* The config in force, shared with the passes that still use it. Only the
 * loop thread counts references. */
struct cfgref {
	struct config *c;
	int refs;
};

/* What a Docker event told the loop before a pass could confirm it. Each is
 * applied to the view at once and again on every pass result observed
 * before it (seq > the job's), so a slow pass never undoes it. */
enum ov_kind {
	OV_VPN_HEALTH,  /* health_status of a VPN container */
	OV_VPN_DOWN,    /* a VPN container died or was removed */
	OV_VPN_STARTED, /* a VPN container (re)started: its engines are stale */
	OV_ENGINE_DOWN, /* an engine died or was removed */
};

struct overlay {
	enum ov_kind kind;
	char *key;      /* VPN name or engine ID */
	enum health_status health;
	uint64_t seq;
};

/* One VPN's control server, read off the loop every port_check_interval. */
struct ctrl_slot {
	struct ctrl_state st;
	bool in_flight;
	int64_t next_ms; /* wall clock of the next read */
};

struct loop;

struct pass_job {
	struct loop *l;
	struct cfgref *cfg;
	char **dirty;
	size_t n_dirty;
	bool inspect_all;
	struct pass_live *live;
	size_t n_live;
	struct ctrl_state *ctrl; /* per cfg vpn */
	int demand;
	bool apply;    /* the lease allowed acting when it was sent */
	uint64_t seq;  /* events seen before the job was sent */
	struct pass_result res;
};

struct ctrl_job {
	struct loop *l;
	struct cfgref *cfg;
	size_t i;
	struct vpn_obs vpn;     /* identity of the container it reads against */
	struct ctrl_state prev;
	struct ctrl_state out;
};

struct loop {
	struct evloop *ev;
	struct ev_handler sig;
	struct ev_handler inotify;
	struct ev_timer debounce, pass_timer, tick, probe_tick;
	struct cmulti *cm;
	struct probe *probe;
	int cancel_fd;  /* eventfd written once at stop: remote calls give up */
	bool stop;

	/* Config. */
	char *config_path;
	struct watch *watch;
	struct cfgref *cfg;
	char *last_reload_error;
	uint64_t reloads_ok, reloads_failed;
	int64_t last_reload_success_ms;

	/* Reconcile passes. */
	struct reconciler *r;     /* the pass thread's while a job is out */
	struct bgpool *passes;    /* one thread: passes never overlap */
	struct bgpool *io;        /* control-server reads */
	bool in_flight;
	bool pass_wanted;         /* asked for while one was running */
	int64_t pass_started_mono;
	char **dirty;             /* engine IDs touched by events */
	size_t n_dirty, cap_dirty;
	bool inspect_all_next;
	int demand;
	int64_t demand_until_ms;

	/* The view: last good observation, patched by events. */
	struct observed view;
	bool have_view;
	int64_t view_ms;
	bool failed;              /* the latest pass could not observe Docker */
	int64_t failed_since_ms;  /* wall clock of the first failed pass */
	char *docker_error;
	struct memory mem;   /* the pass's memory + the loop's probes/streams */
	struct plan plan;
	bool have_plan;
	struct snap_metrics pass_metrics;
	uint64_t seq;
	struct overlay *ov;
	size_t n_ov, cap_ov;
	struct ctrl_slot *ctrl;
	size_t n_ctrl;

	/* Docker events, one stream per host (loop_events.c). */
	struct loop_events *events;
	/* Which Docker hosts answered the latest pass (even one that reached
	 * none: the view keeps its last good observation, these say why). */
	struct observed hosts;
	/* One daemon per fleet (loop_lease.c): passes act only while it holds
	 * the lease, and none run while another daemon does. */
	struct loop_lease *lease;

	/* HTTP API and stream events. */
	struct snapshot_store store;
	struct api *api;
	char *api_listen;
	int api_per_ip;           /* the per-IP limit it runs with */
	struct streams streams;
	struct ev_handler streams_wake; /* an engine turned busy/idle, or a provision */
	atomic_int provisions;    /* POST /provision/acestream since the last wake */

	/* Recent history (GET /events, the dashboard) and the webhooks fed
	 * from it. */
	struct history hist;
	struct history_view hview;
	struct notifier *notify;
	/* service: systemd notifications (sd_notify) and the watchdog ping. */
	struct service svc;
	struct ev_timer watchdog;
};

static const struct config *cfg_of(const struct loop *l)
{
	return l->cfg->c;
}

static struct cfgref *cfg_get(struct loop *l)
{
	l->cfg->refs++;
	return l->cfg;
}

static void cfg_put(struct cfgref *r)
{
	if (r && --r->refs == 0) {
		config_free(r->c);
		free(r);
	}
}

/* ---- publishing ---- */

/* Whether the view is the last good one rather than a fresh one, why, and
 * since when (wall clock): api.stale_grace counts from the moment Docker
 * was found failing or a pass became overdue, not from the observation,
 * which a slow Docker may already have made old. */
static bool view_stale(const struct loop *l, const char **why, int64_t *since_ms)
{
	if (l->failed) {
		*why = l->docker_error;
		*since_ms = l->failed_since_ms;
		return true;
	}
	int64_t late = now_mono_ms() - l->pass_started_mono - OVERDUE_MS;
	if (l->in_flight && late > 0) {
		*why = "docker is slow: the current pass has been running for over 15s";
		*since_ms = now_wall_ms() - late;
		return true;
	}
	*why = NULL;
	*since_ms = 0;
	return false;
}

static void publish(struct loop *l)
{
	const char *why;
	int64_t stale_since;
	bool stale = view_stale(l, &why, &stale_since);
	struct snap_metrics m = l->pass_metrics;
	m.reloads_ok = l->reloads_ok;
	m.reloads_failed = l->reloads_failed;
	m.last_reload_success_ms = l->last_reload_success_ms;
	m.docker_requests = docker_requests_total();
	/* Whatever changed in the VPNs since the last publication is history
	 * (and maybe a webhook) before it is shown. */
	if (l->have_view && !l->failed)
		history_view_diff(&l->hview, &l->hist, cfg_of(l), &l->view, now_wall_ms());
	struct notify_stats ns;
	notify_get_stats(l->notify, &ns);
	m.notify_sent = ns.sent;
	m.notify_failed_attempts = ns.failed_attempts;
	m.notify_dropped_full = ns.dropped_full;
	m.notify_dropped_gave_up = ns.dropped_gave_up;
	m.notify_queued = ns.queued;
	m.events_total = l->hist.last_seq;
	struct publish_view v = {
		.cfg = cfg_of(l),
		.config_path = l->config_path,
		.last_reload_error = l->last_reload_error,
		.obs = l->have_view ? &l->view : NULL,
		.mem = &l->mem,
		.plan = l->have_plan ? &l->plan : NULL,
		.observed_ms = l->view_ms,
		.stale = stale,
		.stale_since_ms = stale_since,
		.docker_error = why ? why : l->docker_error,
		.now_ms = now_wall_ms(),
		.metrics = m,
		.hosts = l->hosts.hosts,
		.n_hosts = l->hosts.n_hosts,
		.lease = loop_lease_report(l->lease),
		.lease_self = loop_lease_self(l->lease),
	};
	struct snapshot *s = publish_build(&v);
	service_status(&l->svc, s); /* service: systemd STATUS= line */
	snapshot_publish(&l->store, s);
}

/* A webhook was delivered, failed or dropped: /metrics shows it. */
static void notify_changed(void *ud)
{
	publish(ud);
}

/* ---- passes ---- */

static void pass_soon(struct loop *l, int64_t ms)
{
	ev_timer_soon(&l->pass_timer, ms);
}

static void mark_dirty(struct loop *l, const char *id)
{
	for (size_t i = 0; i < l->n_dirty; i++)
		if (strcmp(l->dirty[i], id) == 0)
			return;
	grow(&l->dirty, &l->cap_dirty, l->n_dirty + 1, sizeof *l->dirty);
	l->dirty[l->n_dirty++] = xstrdup(id);
}

/* Stream counts live in the registry the API threads write; the planner and
 * the snapshot read them from the loop's memory. Returns true when an
 * engine's busy state (idle <-> busy) changed, which is what the planner
 * cares about (min_free, rule 8). */
static bool sync_streams(struct loop *l)
{
	bool changed = false;
	/* Streams that never ended (streams.ttl): every pass comes by here. */
	size_t expired = streams_expire(&l->streams, now_mono_ms());
	if (expired)
		log_info("streams forgotten without stream_ended (streams.ttl)", "count",
			 LOG_INT(expired));
	const char **ids = xcalloc(l->view.n_engines ? l->view.n_engines : 1, sizeof *ids);
	for (size_t i = 0; i < l->view.n_engines; i++) {
		const char *id = l->view.engines[i].id;
		ids[i] = id;
		const struct memory_engine *m = memory_engine(&l->mem, id);
		int before = m ? m->streams : 0;
		int now = streams_count(&l->streams, id);
		changed = changed || ((before > 0) != (now > 0));
		memory_set_streams(&l->mem, id, now);
	}
	if (l->have_view && !l->failed)
		streams_retain(&l->streams, ids, l->view.n_engines);
	free(ids);
	return changed;
}

static void pass_work(void *arg)
{
	struct pass_job *j = arg;
	struct pass_input in = {
		.cfg = j->cfg->c,
		.dirty = (const char *const *)j->dirty,
		.n_dirty = j->n_dirty,
		.inspect_all = j->inspect_all,
		.live = j->live,
		.n_live = j->n_live,
		.ctrl = j->ctrl,
		.demand = j->demand,
		.apply = j->apply,
		.act_until = loop_lease_act_until(j->l->lease),
		.created_by = loop_lease_self(j->l->lease),
	};
	reconciler_pass(j->l->r, &in, &j->res);
}

static void job_free(struct pass_job *j)
{
	for (size_t i = 0; i < j->n_dirty; i++)
		free(j->dirty[i]);
	free(j->dirty);
	for (size_t i = 0; i < j->n_live; i++)
		free((char *)j->live[i].id);
	free(j->live);
	for (size_t i = 0; j->ctrl && i < j->cfg->c->n_vpns; i++)
		ctrl_state_clear(&j->ctrl[i]);
	free(j->ctrl);
	pass_result_free(&j->res);
	cfg_put(j->cfg);
	free(j);
}

static void overlay_apply(struct observed *o, const struct overlay *ov)
{
	struct vpn_obs *v = NULL;
	for (size_t i = 0; i < o->n_vpns; i++)
		if (str_eq(o->vpns[i].name, ov->key))
			v = &o->vpns[i];
	switch (ov->kind) {
	case OV_VPN_HEALTH:
		if (v)
			v->health = ov->health;
		break;
	case OV_VPN_DOWN:
		if (v)
			v->running = false;
		break;
	case OV_VPN_STARTED:
		for (size_t i = 0; i < o->n_engines; i++)
			if (str_eq(o->engines[i].vpn, ov->key) && o->engines[i].running)
				o->engines[i].ns = NS_STALE_RESTART;
		break;
	case OV_ENGINE_DOWN:
		for (size_t i = 0; i < o->n_engines; i++)
			if (str_eq(o->engines[i].id, ov->key))
				o->engines[i].running = false;
		break;
	}
}

static void overlay_add(struct loop *l, enum ov_kind kind, const char *key, enum health_status h)
{
	struct overlay *ov = NULL;
	for (size_t i = 0; i < l->n_ov && !ov; i++)
		if (l->ov[i].kind == kind && str_eq(l->ov[i].key, key))
			ov = &l->ov[i];
	if (!ov) {
		grow(&l->ov, &l->cap_ov, l->n_ov + 1, sizeof *l->ov);
		ov = &l->ov[l->n_ov++];
		ov->kind = kind;
		ov->key = xstrdup(key);
	}
	ov->health = h;
	ov->seq = l->seq;
	if (l->have_view)
		overlay_apply(&l->view, ov);
}

/* A new observation supersedes what events said before its job was sent. */
static void overlays_after(struct loop *l, uint64_t seq)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n_ov; i++) {
		if (l->ov[i].seq <= seq) {
			free(l->ov[i].key);
			continue;
		}
		overlay_apply(&l->view, &l->ov[i]);
		l->ov[n++] = l->ov[i];
	}
	l->n_ov = n;
}

/* The pass's memory, with the loop's own (newer) probe results and stream
 * counts for the engines it still has. */
static void take_memory(struct loop *l, struct memory *next)
{
	for (size_t i = 0; i < next->engines.n; i++) {
		struct memory_engine *e = next->engines.v[i];
		const struct memory_engine *mine = memory_engine(&l->mem, e->id);
		if (!mine)
			continue;
		e->streams = mine->streams;
		e->probed = mine->probed;
		e->probe_ok = mine->probe_ok;
		e->probe_failures = mine->probe_failures;
	}
	memory_free(&l->mem);
	l->mem = *next;
	memset(next, 0, sizeof *next);
}

static void probe_round(struct loop *l, bool only_unprobed);
static void ctrl_poll(struct loop *l);

/* Which hosts answered, kept apart from the view (see struct loop); with
 * several, each one going away or coming back is history of its own. */
static void hosts_keep(struct loop *l, const struct observed *o)
{
	for (size_t i = 0; o->n_hosts > 1 && i < o->n_hosts; i++) {
		const struct host_obs *h = &o->hosts[i], *was = observed_host(&l->hosts, h->name);
		if (!was || was->ok == h->ok)
			continue;
		struct hist_new hn = { .kind = h->ok ? HIST_DOCKER_UP : HIST_DOCKER_DOWN,
				       .object = h->name, .error = h->error };
		history_add(&l->hist, &hn, now_wall_ms(), "docker host %s (%s) %s", h->name, h->address,
			    h->ok ? "reachable again" : "unreachable: its VPNs are unavailable");
	}
	observed_free(&l->hosts);
	l->hosts.n_hosts = o->n_hosts;
	l->hosts.hosts = xcalloc(o->n_hosts ? o->n_hosts : 1, sizeof *l->hosts.hosts);
	for (size_t i = 0; i < o->n_hosts; i++) {
		const struct host_obs *h = &o->hosts[i];
		l->hosts.hosts[i] = *h;
		l->hosts.hosts[i].name = xstrdup(h->name);
		l->hosts.hosts[i].address = xstrdup(h->address ? h->address : "");
		l->hosts.hosts[i].error = h->error ? xstrdup(h->error) : NULL;
	}
}

/* Each applied action with its result (and Docker's error) as history. */
static void history_actions(struct loop *l, const struct pass_result *res)
{
	for (size_t i = 0; res->results && i < res->plan.n; i++) {
		const struct action *a = &res->plan.v[i];
		const struct apply_result *r = &res->results[i];
		struct hist_new hn = { .object = a->name, .vpn = a->vpn };
		const char *what = action_kind_str(a->kind);
		const char *why = a->reason ? a->reason : "";
		switch (r->result) {
		case RESULT_OK:
			hn.kind = HIST_ACTION_OK;
			history_add(&l->hist, &hn, now_wall_ms(), "%s %s: done (%s)", what, a->name, why);
			break;
		case RESULT_FAILED:
			hn.kind = HIST_ACTION_FAILED;
			hn.error = r->error;
			history_add(&l->hist, &hn, now_wall_ms(), "%s %s failed: %s (%s)", what, a->name,
				    r->error, why);
			break;
		default:
			hn.kind = HIST_ACTION_SKIPPED;
			/* error says why when it was the lease, not a prerequisite. */
			history_add(&l->hist, &hn, now_wall_ms(), "%s %s held back: %s (%s)", what, a->name,
				    r->error[0] ? r->error : "its prerequisite failed", why);
			break;
		}
	}
}

static void pass_done(void *arg, bool ran)
{
	struct pass_job *j = arg;
	struct loop *l = j->l;
	l->in_flight = false;
	if (!ran || l->stop) {
		job_free(j);
		return;
	}
	struct pass_result *res = &j->res;
	hosts_keep(l, &res->obs);
	if (res->n >= 0) {
		observed_free(&l->view);
		l->view = res->obs;
		memset(&res->obs, 0, sizeof res->obs);
		l->have_view = true;
		l->view_ms = res->at_ms;
		if (l->failed) {
			log_info("docker observed again; serving a fresh view");
			struct hist_new hn = { .kind = HIST_DOCKER_UP, .object = cfg_of(l)->docker_host };
			history_add(&l->hist, &hn, now_wall_ms(), "docker reachable again");
		}
		l->failed = false;
		free(l->docker_error);
		l->docker_error = NULL;
		overlays_after(l, j->seq);
		/* Reads made by the pass itself (a VPN restarted under it). */
		for (size_t i = 0; j->cfg == l->cfg && i < res->n_ctrl && i < l->n_ctrl; i++)
			if (res->ctrl[i].read && res->ctrl[i].read_ms > l->ctrl[i].st.read_ms) {
				ctrl_state_clear(&l->ctrl[i].st);
				ctrl_state_copy(&l->ctrl[i].st, &res->ctrl[i]);
			}
	} else {
		if (!l->failed && l->have_view)
			log_warn("docker unavailable; serving the last good view",
				 "observed_at_ms", LOG_INT(l->view_ms),
				 "grace_ms", LOG_INT(cfg_of(l)->api.stale_grace_ms));
		if (!l->failed) {
			struct hist_new hn = { .kind = HIST_DOCKER_DOWN, .object = cfg_of(l)->docker_host,
					       .error = res->obs.docker_error };
			history_add(&l->hist, &hn, now_wall_ms(), "docker unreachable%s",
				    l->have_view ? "; serving the last good view" : "");
			/* An overdue pass that now failed was stale since it
			 * became overdue. */
			int64_t late = now_mono_ms() - l->pass_started_mono - OVERDUE_MS;
			l->failed_since_ms = now_wall_ms() - (late > 0 ? late : 0);
		}
		l->failed = true;
		free(l->docker_error);
		l->docker_error = xstrdup(res->obs.docker_error ? res->obs.docker_error : "docker error");
		l->inspect_all_next = true;
	}
	take_memory(l, &res->mem);
	sync_streams(l);
	/* The VPN states the pass acted on come before its actions. */
	if (l->have_view && !l->failed)
		history_view_diff(&l->hview, &l->hist, cfg_of(l), &l->view, now_wall_ms());
	history_actions(l, res);
	if (l->have_plan)
		plan_free(&l->plan);
	l->plan = res->plan;
	memset(&res->plan, 0, sizeof res->plan);
	l->have_plan = true;
	l->pass_metrics = res->metrics;
	/* A pass that acted is checked again soon: creates take a moment to
	 * show, and make-before-break removals come on the next pass. */
	if (res->n > 0)
		pass_soon(l, VERIFY_MS);
	if (l->pass_wanted) {
		l->pass_wanted = false;
		pass_soon(l, COALESCE_MS);
	}
	job_free(j);
	publish(l);
	/* New engines are hidden until their first probe: do it now. */
	probe_round(l, true);
	ctrl_poll(l);
}

static void pass_submit(struct loop *l)
{
	struct pass_job *j = xcalloc(1, sizeof *j);
	j->l = l;
	j->cfg = cfg_get(l);
	j->dirty = l->dirty;
	j->n_dirty = l->n_dirty;
	l->dirty = NULL;
	l->n_dirty = l->cap_dirty = 0;
	j->inspect_all = l->inspect_all_next;
	l->inspect_all_next = false;
	sync_streams(l);
	j->n_live = l->mem.engines.n;
	j->live = xcalloc(j->n_live ? j->n_live : 1, sizeof *j->live);
	for (size_t i = 0; i < j->n_live; i++) {
		const struct memory_engine *m = l->mem.engines.v[i];
		j->live[i] = (struct pass_live){ xstrdup(m->id), m->streams, m->probed,
						 m->probe_ok, m->probe_failures };
	}
	size_t nv = cfg_of(l)->n_vpns;
	j->ctrl = xcalloc(nv ? nv : 1, sizeof *j->ctrl);
	for (size_t i = 0; i < nv && i < l->n_ctrl; i++)
		ctrl_state_copy(&j->ctrl[i], &l->ctrl[i].st);
	if (l->demand && now_wall_ms() > l->demand_until_ms)
		l->demand = 0;
	j->demand = l->demand;
	/* Not yet (or no longer) the holder: observe and plan, act on nothing. */
	j->apply = loop_lease_may_act(l->lease, now_wall_ms());
	j->seq = l->seq;
	l->in_flight = true;
	l->pass_started_mono = now_mono_ms();
	bgpool_submit(l->passes, pass_work, pass_done, j);
}

static void on_pass_timer(struct ev_timer *t)
{
	struct loop *l = t->ud;
	if (l->stop)
		return;
	if (l->in_flight) {
		l->pass_wanted = true;
		return;
	}
	/* Another daemon holds the lease: this one neither acts nor reads
	 * Docker (it would only double the load); it waits for the lease. */
	if (loop_lease_report(l->lease)->role == LEASE_STANDBY)
		return;
	pass_submit(l);
}

/* ---- control servers ---- */

static void ctrl_work(void *arg)
{
	struct ctrl_job *c = arg;
	ctrl_read(&c->cfg->c->vpns[c->i], &c->vpn, &c->prev, CTRL_TIMEOUT_MS, now_wall_ms(), &c->out);
}

static int64_t ctrl_interval(const struct config *cfg, const struct vpn_obs *v)
{
	/* Without a Docker health check the control server is the VPN's only
	 * sign of life: read it as often as VPNs are checked. */
	if (v && v->health == HEALTH_NONE)
		return cfg->health.vpn_check_interval_ms;
	return cfg->health.port_check_interval_ms;
}

static void ctrl_done(void *arg, bool ran)
{
	struct ctrl_job *c = arg;
	struct loop *l = c->l;
	if (ran && !l->stop && c->cfg == l->cfg && c->i < l->n_ctrl) {
		struct ctrl_slot *s = &l->ctrl[c->i];
		s->in_flight = false;
		s->next_ms = c->out.read_ms + ctrl_interval(cfg_of(l), &c->vpn);
		bool changed = s->st.api_ok != c->out.api_ok || s->st.fwd_port != c->out.fwd_port ||
			       !str_eq(s->st.vpn_id, c->out.vpn_id);
		ctrl_state_clear(&s->st);
		s->st = c->out;
		memset(&c->out, 0, sizeof c->out);
		struct vpn_obs *v = l->have_view ? (struct vpn_obs *)observed_vpn(&l->view, cfg_of(l)->vpns[c->i].name) : NULL;
		if (v && ctrl_matches(&s->st, v)) {
			ctrl_to_vpn_obs(&s->st, v);
			publish(l);
		}
		if (changed)
			pass_soon(l, COALESCE_MS);
	}
	ctrl_state_clear(&c->prev);
	ctrl_state_clear(&c->out);
	free(c->vpn.id);
	cfg_put(c->cfg);
	free(c);
}

/* Starts the reads that are due, one per VPN at a time: a hung control
 * server holds one io thread for its timeout, never the loop or a pass. */
static void ctrl_poll(struct loop *l)
{
	const struct config *cfg = cfg_of(l);
	int64_t now = now_wall_ms();
	for (size_t i = 0; i < l->n_ctrl && l->have_view; i++) {
		struct ctrl_slot *s = &l->ctrl[i];
		const struct vpn_obs *v = observed_vpn(&l->view, cfg->vpns[i].name);
		/* A VPN whose Docker host does not answer keeps its last view
		 * and the reason that says so. */
		if (s->in_flight || !v || !v->running || v->host_down)
			continue;
		if (ctrl_matches(&s->st, v) && now < s->next_ms)
			continue;
		struct ctrl_job *c = xcalloc(1, sizeof *c);
		c->l = l;
		c->cfg = cfg_get(l);
		c->i = i;
		c->vpn.id = v->id ? xstrdup(v->id) : NULL;
		c->vpn.exists = v->exists;
		c->vpn.started_at_ms = v->started_at_ms;
		c->vpn.health = v->health;
		ctrl_state_copy(&c->prev, &s->st);
		s->in_flight = true;
		bgpool_submit(l->io, ctrl_work, ctrl_done, c);
	}
}

static void ctrl_reset(struct loop *l)
{
	for (size_t i = 0; i < l->n_ctrl; i++)
		ctrl_state_clear(&l->ctrl[i].st);
	free(l->ctrl);
	l->n_ctrl = cfg_of(l)->n_vpns;
	l->ctrl = xcalloc(l->n_ctrl ? l->n_ctrl : 1, sizeof *l->ctrl);
}

/* ---- Docker events ---- */

/* The declared VPN an event is about: by name on its own host, or by the
 * container ID last seen for it. */
static const struct vpn_decl *vpn_of_event(const struct loop *l, const char *host,
					   const struct docker_event *ev)
{
	const struct config *cfg = cfg_of(l);
	for (size_t i = 0; i < cfg->n_vpns; i++) {
		const struct docker_host_decl *h = config_vpn_docker(cfg, &cfg->vpns[i]);
		bool here = !h || str_eq(h->name, host);
		if (here && str_eq(cfg->vpns[i].name, ev->name))
			return &cfg->vpns[i];
		const struct vpn_obs *v = l->have_view ? observed_vpn(&l->view, cfg->vpns[i].name) : NULL;
		if (v && v->id && ev->id && str_eq(v->id, ev->id))
			return &cfg->vpns[i];
	}
	return NULL;
}

static void on_docker_event(const char *host, const struct docker_event *ev, void *ud)
{
	struct loop *l = ud;
	log_debug("docker event", "docker_host", host, "action", ev->action, "container", ev->name,
		  "health", ev->health);
	l->seq++;
	const struct vpn_decl *vpn = vpn_of_event(l, host, ev);
	bool patched = false;
	if (vpn) {
		if (str_eq(ev->action, "health_status") && ev->health) {
			overlay_add(l, OV_VPN_HEALTH, vpn->name, health_status_parse(ev->health));
			patched = true;
		} else if (str_eq(ev->action, "die") || str_eq(ev->action, "destroy")) {
			overlay_add(l, OV_VPN_DOWN, vpn->name, HEALTH_NONE);
			patched = true;
		} else if (str_eq(ev->action, "start") || str_eq(ev->action, "restart")) {
			overlay_add(l, OV_VPN_STARTED, vpn->name, HEALTH_NONE);
			patched = true;
		}
	} else if (ev->id) {
		mark_dirty(l, ev->id);
		bool ours = false;
		for (size_t i = 0; l->have_view && i < l->view.n_engines && !ours; i++)
			ours = str_eq(l->view.engines[i].id, ev->id);
		if (ours && (str_eq(ev->action, "die") || str_eq(ev->action, "destroy"))) {
			overlay_add(l, OV_ENGINE_DOWN, ev->id, HEALTH_NONE);
			patched = true;
		}
	}
	/* Hiding what just failed must not wait for a pass (which may be busy
	 * for seconds): republish the patched view now. */
	if (patched)
		publish(l);
	pass_soon(l, COALESCE_MS);
}

/* A host's stream ended: something may have happened there meanwhile. */
static void on_events_ended(const char *host, const char *why, void *ud)
{
	struct loop *l = ud;
	(void)host;
	(void)why;
	if (l->stop)
		return;
	l->inspect_all_next = true;
	pass_soon(l, 0);
}

/* The lease changed hands (or could not be checked): act, stand by, or
 * say why not. */
static void on_lease_changed(void *ud)
{
	struct loop *l = ud;
	if (l->stop)
		return;
	if (loop_lease_report(l->lease)->role == LEASE_HOLDER) {
		/* Whatever the other daemon did meanwhile: look at everything. */
		l->inspect_all_next = true;
		pass_soon(l, 0);
	}
	publish(l);
}

/* ---- probes ---- */

static const char *engine_name(const struct loop *l, const char *id)
{
	for (size_t i = 0; i < l->view.n_engines; i++)
		if (str_eq(l->view.engines[i].id, id))
			return l->view.engines[i].name;
	return id;
}

static void probe_done(const char *id, enum probe_outcome r, void *ud)
{
	struct loop *l = ud;
	if (r == PROBE_LATE) {
		log_debug("engine probe not run in time; not counted", "engine", engine_name(l, id));
		return;
	}
	bool ok = r == PROBE_OK;
	const struct memory_engine *before = memory_engine(&l->mem, id);
	bool was_ok = before && before->probed && before->probe_ok;
	bool first = !before || !before->probed;
	memory_probe(&l->mem, id, ok);
	const struct memory_engine *m = memory_engine(&l->mem, id);
	if (ok != was_ok || first) {
		log_kv(ok ? LOG_INFO : LOG_WARN, ok ? "engine probe passing" : "engine probe failing",
		       "engine", engine_name(l, id), NULL);
		publish(l);
	}
	/* Enough failures make the engine a candidate for replacement. */
	if (!ok && m && m->probe_failures >= cfg_of(l)->engine.health_failures)
		pass_soon(l, COALESCE_MS);
}

/* Probes every running engine whose namespace is attached, at the address
 * clients use (the VPN's host and the published port). */
static void probe_round(struct loop *l, bool only_unprobed)
{
	const struct config *c = cfg_of(l);
	long timeout = (long)(c->engine.health_interval_ms < 5000 ? c->engine.health_interval_ms : 5000);
	for (size_t i = 0; l->have_view && i < l->view.n_engines; i++) {
		const struct engine_obs *e = &l->view.engines[i];
		if (!e->running || e->ns == NS_STALE_RESTART || e->ns == NS_STALE_RECREATE)
			continue;
		const char *host = e->name;
		if (c->n_vpns) {
			const struct vpn_decl *d = config_find_vpn(c, e->vpn);
			if (!d)
				continue;
			host = d->host;
		}
		const struct memory_engine *m = memory_engine(&l->mem, e->id);
		if (only_unprobed && m && m->probed)
			continue;
		int port = e->host_port ? e->host_port : e->http_port;
		bool v6 = strchr(host, ':') != NULL;
		char *url = xasprintf("http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
				      c->engine.health_path);
		probe_start(l->probe, e->id, url, timeout);
		free(url);
	}
}

static void on_probe_tick(struct ev_timer *t)
{
	probe_round(t->ud, false);
}

/* ---- stream events and provision requests (from the API threads) ---- */

/* These run on the API's threads: they touch only the registry (its own
 * lock), an atomic and the eventfd. */
static int hook_stream_started(void *ud, const char *engine_id, const struct stream_rec *s,
			       char *err, size_t errlen)
{
	struct loop *l = ud;
	switch (streams_start(&l->streams, engine_id, s, now_mono_ms(), s->started_ms)) {
	case STREAMS_OK:
		return 0;
	case STREAMS_FULL_ENGINE:
		sbuf_printf(err, errlen, "engine %s is at streams.max_per_engine", engine_id);
		return 429;
	case STREAMS_FULL_TOTAL:
		sbuf_printf(err, errlen, "streams.max_total reached");
		return 429;
	default:
		sbuf_printf(err, errlen, "stream not recorded");
		return 500;
	}
}

static int hook_stream_ended(void *ud, const char *stream_id, const char *engine_id,
			     struct stream_rec *ended, char *err, size_t errlen)
{
	struct loop *l = ud;
	if (streams_end(&l->streams, stream_id, engine_id, ended) != STREAMS_OK) {
		sbuf_printf(err, errlen, stream_id ? "unknown stream" : "no active stream on that engine");
		return 404;
	}
	return 0;
}

/* Queued for the loop, which raises its demand (on_streams). */
static int hook_provision(void *ud, char *err, size_t errlen)
{
	struct loop *l = ud;
	(void)err;
	(void)errlen;
	atomic_fetch_add(&l->provisions, 1);
	uint64_t one = 1;
	if (write(l->streams_wake.fd, &one, sizeof one) < 0) {
		/* A saturated counter leaves the fd readable anyway. */
	}
	return 0;
}

/* Engines with a stream, as the loop's memory last saw them. */
static int busy_engines(const struct loop *l)
{
	int n = 0;
	for (size_t i = 0; i < l->view.n_engines; i++) {
		const struct memory_engine *m = memory_engine(&l->mem, l->view.engines[i].id);
		n += m && m->streams > 0;
	}
	return n;
}

static void on_streams(struct ev_handler *h, uint32_t events)
{
	struct loop *l = (struct loop *)((char *)h - offsetof(struct loop, streams_wake));
	uint64_t n;
	while (read(h->fd, &n, sizeof n) > 0)
		;
	/* The registry wakes us only when an engine turns busy or idle; the
	 * stream lists themselves the API reads from it directly. */
	int busy_before = busy_engines(l);
	bool busy_changed = sync_streams(l);
	publish(l);
	/* Demand stands for streams about to start: each engine that turns
	 * busy spends one (busy + demand, the target, stays the same), so an
	 * answered request does not keep an extra engine for DEMAND_TTL_MS. */
	int started = busy_engines(l) - busy_before;
	if (started > 0 && l->demand > 0)
		l->demand = started >= l->demand ? 0 : l->demand - started;
	/* Provision requests: one more serving engine each, within
	 * replicas.max (the planner adds demand to busy + min_free). */
	int asked = atomic_exchange(&l->provisions, 0);
	if (asked > 0) {
		int max = cfg_of(l)->replicas.max;
		l->demand = l->demand + asked > max ? max : l->demand + asked;
		l->demand_until_ms = now_wall_ms() + DEMAND_TTL_MS;
		log_info("provision requested: demand raised", "demand", LOG_INT(l->demand));
	}
	/* Busy engines change the target (min_free); a stream moving between
	 * two busy engines does not. */
	if (busy_changed || asked > 0)
		pass_soon(l, COALESCE_MS);
}

/* (Re)starts the API when its address changed; a failure to listen is
 * logged and retried on the next reload, the reconciler goes on. */
static void api_ensure(struct loop *l)
{
	const struct config *c = cfg_of(l);
	const char *want = c->api.listen;
	struct streams_limits lim = { c->streams.max_per_engine, c->streams.max_total,
				      c->streams.ttl_ms };
	streams_set_limits(&l->streams, &lim);
	if (l->api && str_eq(l->api_listen, want) && l->api_per_ip == c->api.per_ip_limit)
		return;
	api_stop(l->api);
	l->api = NULL;
	free(l->api_listen);
	l->api_listen = NULL;
	struct api_hooks hooks = { hook_stream_started, hook_stream_ended, hook_provision, l };
	struct api_opts opts = { .streams = &l->streams, .per_ip_limit = c->api.per_ip_limit,
				 .history = &l->hist };
	char err[256];
	l->api = api_start_opts(want, &l->store, &hooks, &opts, err, sizeof err);
	if (!l->api) {
		log_error("HTTP API not started", "listen", want, "error", err);
		return;
	}
	l->api_listen = xstrdup(want);
	l->api_per_ip = c->api.per_ip_limit;
}

/* ---- config ---- */

static int64_t tick_interval_ms(const struct config *c)
{
	int64_t ms = c->health.vpn_check_interval_ms;
	if (c->health.port_check_interval_ms > 0 && c->health.port_check_interval_ms < ms)
		ms = c->health.port_check_interval_ms;
	return ms > 100 ? ms : 100;
}

/* What follows from the config in force: the periodic timers, the API's
 * address, a pass with it. At start-up and after every good reload. */
static void config_in_force(struct loop *l)
{
	int64_t t = tick_interval_ms(cfg_of(l));
	ev_timer_arm(&l->tick, t, t);
	t = cfg_of(l)->engine.health_interval_ms;
	ev_timer_arm(&l->probe_tick, t, t);
	api_ensure(l);
	pass_soon(l, 0);
}

/* Logs each diagnostic as its own line, GCC-style location in the message,
 * so a bad edit is found from the daemon log alone. Returns the first error. */
static char *log_diags(const struct diags *d, const char *file)
{
	char *first = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		char *line = xasprintf("%s:%d:%d: %s: %s", file, g->pos.line, g->pos.col,
				       g->level == DIAG_ERROR ? "error" : "warning", g->msg);
		log_kv(g->level == DIAG_ERROR ? LOG_ERROR : LOG_WARN, "config diagnostic",
		       "diag", line, NULL);
		if (!first && g->level == DIAG_ERROR)
			first = line;
		else
			free(line);
	}
	return first;
}

/* Whether two configs reach different Docker hosts (or the same ones
 * differently): then everything is inspected again. */
static bool hosts_differ(const struct config *a, const struct config *b)
{
	if (a->n_docker_hosts != b->n_docker_hosts)
		return true;
	bool differ = false;
	for (size_t i = 0; i < a->n_docker_hosts && !differ; i++) {
		struct docker_host_decl ha = hosts_decl(a, i), hb = hosts_decl(b, i);
		char *ka = hosts_client_key(&ha), *kb = hosts_client_key(&hb);
		differ = !str_eq(ka, kb) || !str_eq(ha.name, hb.name);
		free(ka);
		free(kb);
	}
	return differ;
}

/* Parses buf as the new config. Valid: swapped in. Invalid: every diagnostic
 * logged with file:line:col and the old config stays: a bad edit never stops
 * an engine. */
static void reload_buffer(struct loop *l, const char *buf, size_t len)
{
	struct diags d = { 0 };
	struct config *c = config_load_buffer(buf, len, l->config_path, &d);
	char *first = log_diags(&d, l->config_path);
	size_t nerr = diags_errors(&d);
	diags_free(&d);
	if (!c) {
		log_error("config invalid; keeping the last valid config", "file", l->config_path,
			  "errors", LOG_INT(nerr));
		free(l->last_reload_error);
		l->last_reload_error = first ? first : xstrdup("invalid config");
		l->reloads_failed++;
		struct hist_new hn = { .kind = HIST_CONFIG_REJECTED, .object = l->config_path,
				       .error = l->last_reload_error };
		history_add(&l->hist, &hn, now_wall_ms(),
			    "config rejected (%zu error%s); the last valid config stays in force",
			    nerr, nerr == 1 ? "" : "s");
		return;
	}
	free(first);
	log_info("config reloaded", "file", l->config_path, "instance", c->instance,
		 "vpns", LOG_INT(c->n_vpns), "min", LOG_INT(c->replicas.min),
		 "max", LOG_INT(c->replicas.max));
	bool new_hosts = hosts_differ(c, cfg_of(l));
	struct cfgref *r = xcalloc(1, sizeof *r);
	r->c = c;
	r->refs = 1;
	cfg_put(l->cfg);
	l->cfg = r;
	free(l->last_reload_error);
	l->last_reload_error = NULL;
	l->reloads_ok++;
	l->last_reload_success_ms = now_wall_ms();
	notify_configure(l->notify, c);
	struct hist_new hn = { .kind = HIST_CONFIG_RELOADED, .object = l->config_path };
	history_add(&l->hist, &hn, now_wall_ms(), "config reloaded (hash of the new config in force: "
		    "see GET /config)");
	ctrl_reset(l);
	loop_events_sync(l->events, cfg_of(l));
	loop_lease_config(l->lease, cfg_of(l));
	if (new_hosts)
		l->inspect_all_next = true;
	config_in_force(l);
}

/* force (SIGHUP): reload even when the bytes did not change. */
static void reload(struct loop *l, bool force)
{
	char *buf = NULL;
	size_t len = 0;
	if (force)
		watch_forget(l->watch);
	int rc = watch_read_if_changed(l->watch, &buf, &len);
	if (rc < 0) {
		const char *why = strerror(errno);
		log_error("config file unreadable; keeping the config in force",
			  "file", l->config_path, "error", why);
		struct hist_new hn = { .kind = HIST_CONFIG_REJECTED, .object = l->config_path,
				       .error = why };
		history_add(&l->hist, &hn, now_wall_ms(),
			    "config file unreadable; the last valid config stays in force");
		publish(l);
		return;
	}
	if (rc == 0)
		return;
	reload_buffer(l, buf, len);
	free(buf);
	/* /config shows the reload error (or its absence) at once. */
	publish(l);
}

static void on_debounce(struct ev_timer *t)
{
	reload(t->ud, false);
}

static void on_inotify(struct ev_handler *h, uint32_t events)
{
	struct loop *l = (struct loop *)((char *)h - offsetof(struct loop, inotify));
	switch (watch_drain(l->watch)) {
	case WATCH_RENAMED:
		/* An atomic replacement is complete: act on it now. */
		ev_timer_arm(&l->debounce, -1, 0);
		reload(l, false);
		break;
	case WATCH_WRITTEN:
		ev_timer_arm(&l->debounce, DEBOUNCE_MS, 0);
		break;
	case WATCH_NONE:
		break;
	}
}

/* ---- signals, tick ---- */

static void on_signal(struct ev_handler *h, uint32_t events)
{
	struct loop *l = (struct loop *)((char *)h - offsetof(struct loop, sig));
	struct signalfd_siginfo si;
	while (read(h->fd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading config", "file", l->config_path);
			service_reloading(&l->svc); /* service: systemctl reload waits for READY */
			reload(l, true);
			service_ready(&l->svc);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping; engines keep running", "signal",
				 si.ssi_signo == SIGTERM ? "TERM" : "INT");
			l->stop = true;
			service_stopping(&l->svc); /* service */
			break;
		}
	}
}

static void on_tick(struct ev_timer *t)
{
	struct loop *l = t->ud;
	/* The safety net: events are hints, a periodic observation the truth. */
	pass_soon(l, 0);
	ctrl_poll(l);
	const char *why;
	int64_t since;
	if (l->in_flight && view_stale(l, &why, &since))
		publish(l); /* the view just became stale: say so */
	if (l->demand && now_wall_ms() > l->demand_until_ms)
		l->demand = 0;
}

/* service: WATCHDOG=1 every WatchdogSec/2 while the loop turns. */
static void on_watchdog(struct ev_timer *t)
{
	struct loop *l = t->ud;
	service_watchdog(&l->svc);
}

/* ---- setup and teardown ---- */

static void setup(struct loop *l)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->ev = evloop_new();
	l->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->cancel_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->streams_wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->sig.fd < 0 || l->cancel_fd < 0 || l->streams_wake.fd < 0)
		fatal("signalfd/eventfd: %s", strerror(errno));
	l->sig.cb = on_signal;
	evloop_add(l->ev, &l->sig, EPOLLIN);

	char err[256];
	l->watch = watch_new(l->config_path, err, sizeof err);
	if (!l->watch)
		fatal("%s", err);
	/* Prime the content hash with the file as loaded at start-up. */
	char *buf = NULL;
	size_t len;
	if (watch_read_if_changed(l->watch, &buf, &len) > 0)
		free(buf);
	l->inotify.fd = watch_fd(l->watch);
	l->inotify.cb = on_inotify;
	evloop_add(l->ev, &l->inotify, EPOLLIN);

	snapshot_store_init(&l->store);
	streams_init(&l->streams, l->streams_wake.fd);
	l->streams_wake.cb = on_streams;
	evloop_add(l->ev, &l->streams_wake, EPOLLIN);
	l->cm = cmulti_new(l->ev);
	l->probe = probe_new(l->cm, probe_done, l);
	history_init(&l->hist, HISTORY_CAP, now_wall_ms());
	l->notify = notify_new(l->ev, l->cm, notify_changed, l);
	notify_configure(l->notify, cfg_of(l));
	history_set_listener(&l->hist, notify_offer, l->notify);
	ev_timer_init(l->ev, &l->debounce, on_debounce, l);
	ev_timer_init(l->ev, &l->pass_timer, on_pass_timer, l);
	ev_timer_init(l->ev, &l->tick, on_tick, l);
	ev_timer_init(l->ev, &l->probe_tick, on_probe_tick, l);
	service_init(&l->svc); /* service: reads WATCHDOG_USEC */
	ev_timer_init(l->ev, &l->watchdog, on_watchdog, l);
	int64_t wd = service_watchdog_interval_ms(&l->svc);
	if (wd > 0)
		ev_timer_arm(&l->watchdog, wd, wd);
	l->r = reconciler_new();
	l->r->cancel_fd = l->cancel_fd;
	memory_init(&l->mem);
	l->passes = bgpool_new(l->ev, 1);
	l->io = bgpool_new(l->ev, CTRL_THREADS);
	ctrl_reset(l);
	struct loop_events_cbs ecbs = { on_docker_event, on_events_ended, l };
	l->events = loop_events_new(l->ev, l->cm, l->io, l->cancel_fd, &ecbs);
	struct loop_lease_cbs lcbs = { on_lease_changed, l };
	l->lease = loop_lease_new(l->ev, &lcbs);
}

static void teardown(struct loop *l)
{
	/* Whatever is still talking to Docker or Gluetun gives up now. */
	uint64_t one = 1;
	if (write(l->cancel_fd, &one, sizeof one) < 0) {
		/* nothing better to do: the pools are waited for with a bound */
	}
	api_stop(l->api);
	free(l->api_listen);
	bool passes_done = bgpool_stop(l->passes, STOP_WAIT_MS);
	/* No pass acts any more: the next daemon may take over at once. */
	loop_lease_stop(l->lease, STOP_WAIT_MS);
	bool io_done = bgpool_stop(l->io, 100);
	if (passes_done)
		reconciler_free(l->r);
	probe_free(l->probe);
	notify_free(l->notify);
	loop_events_free(l->events);
	observed_free(&l->hosts);
	cmulti_free(l->cm);
	history_view_free(&l->hview);
	history_destroy(&l->hist);
	snapshot_store_destroy(&l->store);
	streams_destroy(&l->streams);
	for (size_t i = 0; i < l->n_ov; i++)
		free(l->ov[i].key);
	free(l->ov);
	for (size_t i = 0; i < l->n_dirty; i++)
		free(l->dirty[i]);
	free(l->dirty);
	observed_free(&l->view);
	memory_free(&l->mem);
	if (l->have_plan)
		plan_free(&l->plan);
	for (size_t i = 0; i < l->n_ctrl; i++)
		ctrl_state_clear(&l->ctrl[i].st);
	free(l->ctrl);
	free(l->docker_error);
	free(l->last_reload_error);
	watch_free(l->watch);
	ev_timer_close(l->ev, &l->debounce);
	ev_timer_close(l->ev, &l->pass_timer);
	ev_timer_close(l->ev, &l->tick);
	ev_timer_close(l->ev, &l->probe_tick);
	ev_timer_close(l->ev, &l->watchdog);
	service_destroy(&l->svc);
	close(l->sig.fd);
	close(l->streams_wake.fd);
	/* A thread still stuck in a remote call keeps these: the process is
	 * about to exit anyway. */
	if (passes_done && io_done) {
		close(l->cancel_fd);
		cfg_put(l->cfg);
	}
	evloop_free(l->ev);
}

int loop_run(const char *config_path, struct config *cfg)
{
	struct loop l = { 0 };
	l.config_path = xstrdup(config_path);
	l.cfg = xcalloc(1, sizeof *l.cfg);
	l.cfg->c = cfg;
	l.cfg->refs = 1;
	l.reloads_ok = 1;
	l.last_reload_success_ms = now_wall_ms();
	setup(&l);

	log_info("daemon started", "config", config_path, "instance", cfg->instance,
		 "docker", cfg->docker_host, "docker_hosts", LOG_INT(cfg->n_docker_hosts),
		 "vpns", LOG_INT(cfg->n_vpns));
	loop_events_sync(l.events, cfg);
	loop_lease_config(l.lease, cfg);
	publish(&l); /* /healthz and /readyz answer before the first pass */
	config_in_force(&l);
	service_ready(&l.svc); /* service: the API listens, the config is in force */

	while (!l.stop) {
		if (evloop_run_once(l.ev, -1) < 0)
			fatal("epoll_wait: %s", strerror(errno));
	}
	teardown(&l);
	free(l.config_path);
	return 0;
}
