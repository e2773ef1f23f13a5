/* loop.c - the daemon's epoll loop: inotify + debounce, signalfd, timerfds,
 * the Docker events stream; events mark the world dirty, one pass per tick. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "api.h"
#include "docker.h"
#include "log.h"
#include "loop.h"
#include "probe.h"
#include "publish.h"
#include "reconcile.h"
#include "service.h"
#include "streams.h"
#include "util.h"
#include "watch.h"

#define DEBOUNCE_MS 200
#define COALESCE_MS 50     /* Docker events arrive in bursts */
#define VERIFY_MS 1000     /* re-check soon after a pass that acted */
#define EVENTS_RETRY_MIN_MS 1000
#define EVENTS_RETRY_MAX_MS 30000

/* epoll data tags: fds of our own are small fixed tags; curl's sockets are
 * tagged with their fd + TAG_CURL_BASE. */
enum {
	TAG_SIGNAL = 1,
	TAG_WATCH,
	TAG_DEBOUNCE,
	TAG_PASS,
	TAG_TICK,
	TAG_CURL_TIMER,
	TAG_EVENTS_RETRY,
	TAG_STREAMS,
	TAG_PROBE_TICK,
	TAG_PROBE_TIMER,
	TAG_WATCHDOG,
	TAG_CURL_BASE = 1000,         /* + fd: the Docker events stream */
	TAG_PROBE_BASE = 1 << 30,     /* + fd: engine probes */
};

struct loop {
	struct reconciler *r;
	int ep;
	int sig_fd;
	struct watch *watch;
	int debounce_fd;
	int pass_fd;   /* one-shot: run a pass soon */
	int tick_fd;   /* periodic safety-net pass */
	int curl_timer_fd;
	int events_retry_fd;
	struct docker_events *events;
	struct docker *events_docker; /* the events stream's own client */
	int64_t events_retry_ms;
	bool stop;
	/* HTTP API and what feeds it. */
	struct snapshot_store store;
	struct api *api;
	char *api_listen;   /* the address api listens on */
	struct streams streams;
	int streams_fd;     /* eventfd: a stream event arrived */
	struct probe *probe;
	int probe_tick_fd;  /* engine.health.interval */
	int probe_timer_fd; /* curl's timer for the probes */
	struct plan last_plan;
	bool have_plan;
	/* service: systemd notifications (sd_notify) and the watchdog ping. */
	struct service svc;
	int watchdog_fd;
};

static int timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		fatal("timerfd_create: %s", strerror(errno));
	return fd;
}

/* Arms a one-shot (interval 0) or periodic timer; ms < 0 disarms. */
static void timer_arm(int fd, int64_t ms, int64_t interval_ms)
{
	struct itimerspec its = { 0 };
	if (ms >= 0) {
		if (ms == 0)
			ms = 1; /* 0 would disarm */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000;
		its.it_interval.tv_sec = interval_ms / 1000;
		its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
	}
	timerfd_settime(fd, 0, &its, NULL);
}

static void timer_ack(int fd)
{
	uint64_t n;
	while (read(fd, &n, sizeof n) > 0)
		;
}

/* Arms the pass timer unless an earlier expiry is already pending, so a burst
 * of events gives one pass. */
static void pass_soon(struct loop *l, int64_t ms)
{
	struct itimerspec cur;
	timerfd_gettime(l->pass_fd, &cur);
	int64_t left = cur.it_value.tv_sec * 1000 + cur.it_value.tv_nsec / 1000000;
	if (left > 0 && left <= ms)
		return;
	timer_arm(l->pass_fd, ms, 0);
}

static void ep_add(struct loop *l, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		fatal("epoll_ctl add: %s", strerror(errno));
}

/* ---- Docker events stream ---- */

/* Both curl multis (Docker events, probes) ask for their sockets the same
 * way; only the tag that routes readiness back to them differs. */
_Static_assert((int)DOCKER_IO_IN == (int)PROBE_IO_IN && (int)DOCKER_IO_OUT == (int)PROBE_IO_OUT &&
	       (int)DOCKER_IO_ERR == (int)PROBE_IO_ERR, "one set of readiness bits for both multis");

/* what == 0 removes fd; otherwise adds or modifies it. */
static void ep_watch(struct loop *l, int fd, int what, uint64_t tag)
{
	struct epoll_event ev = { .data.u64 = tag + (uint64_t)fd };
	if (!what) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (what & DOCKER_IO_IN)
		ev.events |= EPOLLIN;
	if (what & DOCKER_IO_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) != 0)
		epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void curl_watch(int fd, int what, void *ud)
{
	ep_watch(ud, fd, what, TAG_CURL_BASE);
}

static void curl_timer(long ms, void *ud)
{
	struct loop *l = ud;
	timer_arm(l->curl_timer_fd, ms, 0);
}

static void on_docker_event(const struct docker_event *ev, void *ud)
{
	struct loop *l = ud;
	log_debug("docker event", "action", ev->action, "container", ev->name,
		  "health", ev->health);
	if (ev->id)
		reconciler_mark_dirty(l->r, ev->id);
	pass_soon(l, COALESCE_MS);
}

static void events_open(struct loop *l)
{
	struct docker_events_io io = { curl_watch, curl_timer, l };
	struct docker_err err = { 0 };
	if (!l->events_docker)
		l->events_docker = docker_new(l->r->cfg->docker_host, &err);
	if (l->events_docker && !l->events)
		l->events = docker_events_open(l->events_docker, 0, on_docker_event, l, &io, &err);
	else if (l->events)
		docker_events_reconnect(l->events, &err);
	if (l->events && docker_events_alive(l->events, &err)) {
		l->events_retry_ms = 0;
		return;
	}
	l->events_retry_ms = l->events_retry_ms ? l->events_retry_ms * 2 : EVENTS_RETRY_MIN_MS;
	if (l->events_retry_ms > EVENTS_RETRY_MAX_MS)
		l->events_retry_ms = EVENTS_RETRY_MAX_MS;
	log_warn("docker events stream unavailable; retrying", "host", l->r->cfg->docker_host,
		 "error", err.msg, "retry_in_ms", LOG_INT(l->events_retry_ms));
	timer_arm(l->events_retry_fd, l->events_retry_ms, 0);
}

static void events_check(struct loop *l)
{
	struct docker_err err = { 0 };
	if (!l->events || docker_events_alive(l->events, &err))
		return;
	log_warn("docker events stream ended", "error", err.msg);
	/* Something may have happened while it was down: look again. */
	pass_soon(l, 0);
	events_open(l);
}

static void events_close(struct loop *l)
{
	if (l->events)
		docker_events_close(l->events);
	l->events = NULL;
	docker_free(l->events_docker);
	l->events_docker = NULL;
}

/* ---- what the API serves ---- */

static void publish(struct loop *l)
{
	struct snapshot *s = publish_build(l->r, l->have_plan ? &l->last_plan : NULL);
	service_status(&l->svc, s); /* service: systemd STATUS= line */
	snapshot_publish(&l->store, s);
}

/* Stream counts live in the registry the API thread writes; the planner
 * reads them from its memory, refreshed here before use. */
static void sync_streams(struct loop *l)
{
	struct reconciler *r = l->r;
	const char **ids = xcalloc(r->obs.n_engines, sizeof *ids);
	for (size_t i = 0; i < r->obs.n_engines; i++) {
		const char *id = r->obs.engines[i].id;
		ids[i] = id;
		plan_memory_set_streams(&r->mem, id, streams_count(&l->streams, id));
	}
	if (r->have_obs && r->obs.docker_ok)
		streams_retain(&l->streams, ids, r->obs.n_engines);
	free(ids);
}

static int hook_stream_started(void *ud, const char *engine_id, const char *stream_id,
			       char *err, size_t errlen)
{
	struct loop *l = ud;
	streams_start(&l->streams, engine_id, stream_id);
	return 0;
}

static int hook_stream_ended(void *ud, const char *stream_id, char *err, size_t errlen)
{
	struct loop *l = ud;
	if (streams_end(&l->streams, stream_id) != 0) {
		sbuf_printf(err, errlen, "unknown stream");
		return -1;
	}
	return 0;
}

/* (Re)starts the API when its address changed; a failure to listen is
 * logged and retried on the next reload, the reconciler goes on. */
static void api_ensure(struct loop *l)
{
	const char *want = l->r->cfg->api.listen;
	if (l->api && str_eq(l->api_listen, want))
		return;
	api_stop(l->api);
	l->api = NULL;
	free(l->api_listen);
	l->api_listen = NULL;
	struct api_hooks hooks = { hook_stream_started, hook_stream_ended, l };
	char err[256];
	l->api = api_start(want, &l->store, &hooks, err, sizeof err);
	if (!l->api) {
		log_error("HTTP API not started", "listen", want, "error", err);
		return;
	}
	l->api_listen = xstrdup(want);
}

/* ---- engine probes ---- */

static void probe_watch(int fd, int what, void *ud)
{
	ep_watch(ud, fd, what, TAG_PROBE_BASE);
}

static void probe_timer(long ms, void *ud)
{
	struct loop *l = ud;
	timer_arm(l->probe_timer_fd, ms, 0);
}

static void probe_done(const char *id, bool ok, void *ud)
{
	struct loop *l = ud;
	struct reconciler *r = l->r;
	const struct plan_engine_mem *before = plan_memory_engine(&r->mem, id);
	bool was_ok = before && before->probed && before->probe_ok;
	bool first = !before || !before->probed;
	plan_memory_probe(&r->mem, id, ok);
	const struct plan_engine_mem *m = plan_memory_engine(&r->mem, id);
	if (ok != was_ok || first) {
		const char *name = id;
		for (size_t i = 0; i < r->obs.n_engines; i++)
			if (str_eq(r->obs.engines[i].id, id))
				name = r->obs.engines[i].name;
		log_kv(ok ? LOG_INFO : LOG_WARN, ok ? "engine probe passing" : "engine probe failing",
		       "engine", name, NULL);
		publish(l);
	}
	/* Enough failures make the engine a candidate for replacement. */
	if (!ok && m && m->probe_failures >= r->cfg->engine.health_failures)
		pass_soon(l, COALESCE_MS);
}

/* Probes every running engine whose namespace is attached, at the address
 * clients use (the VPN's host and the published port). */
static void probe_round(struct loop *l, bool only_unprobed)
{
	struct reconciler *r = l->r;
	const struct config *c = r->cfg;
	long timeout = (long)(c->engine.health_interval_ms < 5000 ? c->engine.health_interval_ms : 5000);
	for (size_t i = 0; i < r->obs.n_engines; i++) {
		const struct engine_obs *e = &r->obs.engines[i];
		if (!e->running || e->ns == NS_STALE_RESTART || e->ns == NS_STALE_RECREATE)
			continue;
		const char *host = e->name;
		if (c->n_vpns) {
			const struct vpn_decl *d = config_find_vpn(c, e->vpn);
			if (!d)
				continue;
			host = d->host;
		}
		const struct plan_engine_mem *m = plan_memory_engine(&r->mem, e->id);
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

/* ---- config reload ---- */

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
	int64_t t = tick_interval_ms(l->r->cfg);
	timer_arm(l->tick_fd, t, t);
	t = l->r->cfg->engine.health_interval_ms;
	timer_arm(l->probe_tick_fd, t, t);
	api_ensure(l);
	pass_soon(l, 0);
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
		log_error("config file unreadable; keeping the config in force",
			  "file", l->r->config_path, "error", strerror(errno));
		return;
	}
	if (rc == 0)
		return;
	const char *old_host = l->r->cfg->docker_host;
	char *host = xstrdup(old_host);
	if (reconciler_reload(l->r, buf, len) == 0) {
		if (!str_eq(host, l->r->cfg->docker_host))
			events_close(l); /* reopened below against the new host */
		if (!l->events)
			events_open(l);
		config_in_force(l);
	}
	/* /config shows the reload error (or its absence) at once. */
	publish(l);
	free(host);
	free(buf);
}

/* ---- the loop ---- */

static void handle_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sig_fd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading config", "file", l->r->config_path);
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

static void run_pass(struct loop *l)
{
	struct plan p;
	sync_streams(l);
	int n = reconciler_pass(l->r, true, &p);
	/* A pass that acted is checked again soon: creates take a moment to
	 * show, and make-before-break removals come on the next pass. */
	if (n > 0)
		pass_soon(l, VERIFY_MS);
	if (l->have_plan)
		plan_free(&l->last_plan);
	l->last_plan = p;
	l->have_plan = true;
	publish(l);
	/* New engines are hidden until their first probe: do it now. */
	probe_round(l, true);
}

int loop_run(struct reconciler *r)
{
	struct loop l = { .r = r };
	char err[256];
	service_init(&l.svc); /* service: reads WATCHDOG_USEC */

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (l.sig_fd < 0 || l.ep < 0)
		fatal("signalfd/epoll: %s", strerror(errno));

	l.watch = watch_new(r->config_path, err, sizeof err);
	if (!l.watch)
		fatal("%s", err);
	/* Prime the content hash with the file as loaded at start-up. */
	char *buf = NULL;
	size_t len;
	if (watch_read_if_changed(l.watch, &buf, &len) > 0)
		free(buf);

	snapshot_store_init(&l.store);
	l.streams_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l.streams_fd < 0)
		fatal("eventfd: %s", strerror(errno));
	streams_init(&l.streams, l.streams_fd);
	struct probe_io pio = { probe_watch, probe_timer, &l };
	l.probe = probe_new(&pio, probe_done, &l);
	l.probe_tick_fd = timer_new();
	l.probe_timer_fd = timer_new();
	l.debounce_fd = timer_new();
	l.pass_fd = timer_new();
	l.tick_fd = timer_new();
	l.curl_timer_fd = timer_new();
	l.events_retry_fd = timer_new();
	ep_add(&l, l.sig_fd, EPOLLIN, TAG_SIGNAL);
	ep_add(&l, watch_fd(l.watch), EPOLLIN, TAG_WATCH);
	ep_add(&l, l.debounce_fd, EPOLLIN, TAG_DEBOUNCE);
	ep_add(&l, l.pass_fd, EPOLLIN, TAG_PASS);
	ep_add(&l, l.tick_fd, EPOLLIN, TAG_TICK);
	ep_add(&l, l.curl_timer_fd, EPOLLIN, TAG_CURL_TIMER);
	ep_add(&l, l.events_retry_fd, EPOLLIN, TAG_EVENTS_RETRY);
	ep_add(&l, l.streams_fd, EPOLLIN, TAG_STREAMS);
	ep_add(&l, l.probe_tick_fd, EPOLLIN, TAG_PROBE_TICK);
	ep_add(&l, l.probe_timer_fd, EPOLLIN, TAG_PROBE_TIMER);
	/* service: WATCHDOG=1 every WatchdogSec/2 while the loop turns. */
	l.watchdog_fd = timer_new();
	ep_add(&l, l.watchdog_fd, EPOLLIN, TAG_WATCHDOG);
	int64_t wd = service_watchdog_interval_ms(&l.svc);
	if (wd > 0)
		timer_arm(l.watchdog_fd, wd, wd);

	log_info("daemon started", "config", r->config_path, "instance", r->cfg->instance,
		 "docker", r->cfg->docker_host, "vpns", LOG_INT(r->cfg->n_vpns));
	events_open(&l);
	publish(&l); /* /healthz and /readyz answer before the first pass */
	config_in_force(&l);
	service_ready(&l.svc); /* service: the API listens, the config is in force */

	while (!l.stop) {
		struct epoll_event evs[32];
		int n = epoll_wait(l.ep, evs, (int)ARRAY_LEN(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait: %s", strerror(errno));
		}
		bool do_pass = false;
		for (int i = 0; i < n && !l.stop; i++) {
			uint64_t tag = evs[i].data.u64;
			switch (tag) {
			case TAG_SIGNAL:
				handle_signal(&l);
				break;
			case TAG_WATCH:
				if (watch_drain(l.watch))
					timer_arm(l.debounce_fd, DEBOUNCE_MS, 0);
				break;
			case TAG_DEBOUNCE:
				timer_ack(l.debounce_fd);
				reload(&l, false);
				break;
			case TAG_PASS:
			case TAG_TICK:
				timer_ack(tag == TAG_PASS ? l.pass_fd : l.tick_fd);
				do_pass = true;
				break;
			case TAG_CURL_TIMER:
				timer_ack(l.curl_timer_fd);
				if (l.events)
					docker_events_on_timeout(l.events);
				events_check(&l);
				break;
			case TAG_EVENTS_RETRY:
				timer_ack(l.events_retry_fd);
				events_open(&l);
				break;
			case TAG_STREAMS:
				timer_ack(l.streams_fd); /* an eventfd reads like a timerfd */
				sync_streams(&l);
				publish(&l);
				/* Busy engines change the target (min_free). */
				pass_soon(&l, COALESCE_MS);
				break;
			case TAG_PROBE_TICK:
				timer_ack(l.probe_tick_fd);
				probe_round(&l, false);
				break;
			case TAG_PROBE_TIMER:
				timer_ack(l.probe_timer_fd);
				probe_on_timeout(l.probe);
				break;
			case TAG_WATCHDOG:
				timer_ack(l.watchdog_fd);
				service_watchdog(&l.svc); /* service */
				break;
			default: {
				int what = 0;
				if (evs[i].events & EPOLLIN)
					what |= DOCKER_IO_IN;
				if (evs[i].events & EPOLLOUT)
					what |= DOCKER_IO_OUT;
				if (evs[i].events & (EPOLLERR | EPOLLHUP))
					what |= DOCKER_IO_ERR;
				if (tag >= TAG_PROBE_BASE) {
					probe_on_fd(l.probe, (int)(tag - TAG_PROBE_BASE), what);
					break;
				}
				if (l.events)
					docker_events_on_fd(l.events, (int)(tag - TAG_CURL_BASE), what);
				events_check(&l);
			}
			}
		}
		/* One pass per tick, however many wake-ups asked for it. */
		if (do_pass && !l.stop)
			run_pass(&l);
	}

	/* The API thread reads the store: stop it before tearing down. */
	api_stop(l.api);
	free(l.api_listen);
	snapshot_store_destroy(&l.store);
	probe_free(l.probe);
	streams_destroy(&l.streams);
	close(l.streams_fd);
	close(l.probe_tick_fd);
	close(l.probe_timer_fd);
	if (l.have_plan)
		plan_free(&l.last_plan);
	events_close(&l);
	watch_free(l.watch);
	close(l.debounce_fd);
	close(l.pass_fd);
	close(l.tick_fd);
	close(l.curl_timer_fd);
	close(l.events_retry_fd);
	close(l.sig_fd);
	close(l.watchdog_fd);
	service_destroy(&l.svc);
	close(l.ep);
	return 0;
}
