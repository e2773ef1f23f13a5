/* loop_events.c - one Docker events stream per host for the daemon loop:
 * versions asked on the io pool, streams read on the loop's curl multi,
 * each host reconnecting with its own back-off. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "bgpool.h"
#include "cmulti.h"
#include "evloop.h"
#include "hosts.h"
#include "log.h"
#include "loop_events.h"
#include "util.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define HEALTHY_MS 30000 /* a stream up this long resets its back-off */

/* One host's stream. Heap-allocated: a version request on the pool points
 * at it, and it outlives its host's removal until that request is back. */
struct hstream {
	struct loop_events *le;
	char *name;
	char *key;
	struct docker *d;
	struct docker_events *ev;
	struct ev_timer retry;
	int64_t backoff_ms;
	int64_t up_since; /* mono ms; 0 = not up */
	bool job_out;     /* a version request is on the pool */
	bool dropped;     /* no longer wanted: freed when the request is back */
	struct docker_err job_err;
};

struct loop_events {
	struct evloop *ev;
	struct cmulti *cm;
	struct bgpool *io;
	int cancel_fd;
	struct loop_events_cbs cbs;
	struct hstream **v;
	size_t n, cap;
};

static void hstream_free(struct hstream *h)
{
	docker_events_close(h->ev);
	docker_free(h->d);
	ev_timer_close(h->le->ev, &h->retry);
	free(h->name);
	free(h->key);
	free(h);
}

static void schedule_retry(struct hstream *h, const char *why)
{
	int64_t up = h->up_since ? now_mono_ms() - h->up_since : 0;
	/* Only a stream that stayed up a while proves the peer healthy; one
	 * that a 403 or a proxy closes at once keeps backing off. */
	if (up >= HEALTHY_MS || !h->backoff_ms)
		h->backoff_ms = RETRY_MIN_MS;
	else
		h->backoff_ms = h->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : h->backoff_ms * 2;
	h->up_since = 0;
	log_warn("docker events stream unavailable; retrying", "docker_host", h->name,
		 "host", docker_host(h->d), "error", why, "retry_in_ms", LOG_INT(h->backoff_ms));
	ev_timer_arm(&h->retry, h->backoff_ms, 0);
	if (h->le->cbs.ended)
		h->le->cbs.ended(h->name, why, h->le->cbs.ud);
}

static void on_event(const struct docker_event *ev, void *ud)
{
	struct hstream *h = ud;
	h->le->cbs.event(h->name, ev, h->le->cbs.ud);
}

static void on_ended(const struct docker_err *why, void *ud)
{
	schedule_retry(ud, why->msg);
}

/* On the pool: the version, so that opening the stream does not ask it on
 * the loop (a dead tcp host would hold the loop for its connect timeout). */
static void version_work(void *arg)
{
	struct hstream *h = arg;
	memset(&h->job_err, 0, sizeof h->job_err);
	/* After an outage the daemon may have been upgraded. */
	docker_forget_version(h->d);
	docker_negotiate(h->d, &h->job_err);
}

static void version_done(void *arg, bool ran)
{
	struct hstream *h = arg;
	h->job_out = false;
	if (h->dropped) {
		hstream_free(h);
		return;
	}
	if (!ran)
		return; /* the pool stopped: so is the daemon */
	if (!docker_api_version(h->d)[0]) {
		schedule_retry(h, h->job_err.msg[0] ? h->job_err.msg : "version unknown");
		return;
	}
	struct docker_err err = { 0, "" };
	int rc;
	if (!h->ev) {
		struct docker_events_cbs cbs = { on_event, on_ended, h };
		h->ev = docker_events_open(h->d, 0, &cbs, h->le->cm, &err);
		rc = h->ev ? 0 : -1;
	} else {
		rc = docker_events_reconnect(h->ev, &err);
	}
	if (rc != 0) {
		schedule_retry(h, err.msg);
		return;
	}
	h->up_since = now_mono_ms();
}

static void start_open(struct hstream *h)
{
	if (h->job_out || h->dropped)
		return;
	h->job_out = true;
	bgpool_submit(h->le->io, version_work, version_done, h);
}

static void on_retry(struct ev_timer *t)
{
	start_open(t->ud);
}

struct loop_events *loop_events_new(struct evloop *ev, struct cmulti *cm, struct bgpool *io,
				    int cancel_fd, const struct loop_events_cbs *cbs)
{
	struct loop_events *le = xcalloc(1, sizeof *le);
	le->ev = ev;
	le->cm = cm;
	le->io = io;
	le->cancel_fd = cancel_fd;
	le->cbs = *cbs;
	return le;
}

/* Stops following a host: freed now, or when its version request is back. */
static void drop(struct hstream *h)
{
	docker_events_close(h->ev);
	h->ev = NULL;
	ev_timer_arm(&h->retry, -1, 0);
	if (h->job_out)
		h->dropped = true;
	else
		hstream_free(h);
}

void loop_events_sync(struct loop_events *le, const struct config *cfg)
{
	size_t n = cfg->n_docker_hosts;
	struct hstream **next = xcalloc(n ? n : 1, sizeof *next);
	for (size_t i = 0; i < n; i++) {
		struct docker_host_decl decl = hosts_decl(cfg, i);
		char *key = hosts_client_key(&decl);
		for (size_t j = 0; j < le->n && !next[i]; j++) {
			struct hstream *h = le->v[j];
			if (h && str_eq(h->key, key) && str_eq(h->name, decl.name)) {
				next[i] = h;
				le->v[j] = NULL;
			}
		}
		if (next[i]) {
			free(key);
			continue;
		}
		struct docker_err err = { 0, "" };
		struct docker *d = hosts_client(&decl, &err);
		if (!d) {
			/* Validation makes this rare; the passes report the host. */
			log_error("docker events: no client for host", "docker_host", decl.name,
				  "error", err.msg);
			free(key);
			continue;
		}
		docker_set_cancel_fd(d, le->cancel_fd);
		/* The version request is one quick call: bound it tightly. */
		docker_set_timeouts(d, 1000, 2000);
		struct hstream *h = xcalloc(1, sizeof *h);
		h->le = le;
		h->name = xstrdup(decl.name);
		h->key = key;
		h->d = d;
		ev_timer_init(le->ev, &h->retry, on_retry, h);
		next[i] = h;
		start_open(h);
	}
	for (size_t j = 0; j < le->n; j++)
		if (le->v[j])
			drop(le->v[j]);
	free(le->v);
	le->v = next;
	le->n = le->cap = n;
}

bool loop_events_up(const struct loop_events *le, const char *host)
{
	for (size_t i = 0; le && i < le->n; i++)
		if (le->v[i] && str_eq(le->v[i]->name, host))
			return le->v[i]->ev && docker_events_alive(le->v[i]->ev, NULL);
	return false;
}

void loop_events_free(struct loop_events *le)
{
	if (!le)
		return;
	for (size_t i = 0; i < le->n; i++)
		if (le->v[i])
			drop(le->v[i]);
	free(le->v);
	free(le);
}
