/* loop_lease.c - the daemon's side of the lease: a round (lease_run) on a
 * thread of its own every renewal interval, its report back on the loop,
 * the act-until deadline apply reads, and the release at a clean exit. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "bgpool.h"
#include "evloop.h"
#include "hosts.h"
#include "log.h"
#include "loop_lease.h"
#include "util.h"

/* What a round is made for: the instance, the lease's ttl, the default
 * host and the images to make the lease's containers from. Owned copies:
 * a round outlives the config it was started with. */
struct target {
	char *instance;
	int64_t ttl_ms;
	struct docker_host_decl host;
	char *key;
	char **images;
	size_t n_images;
};

struct loop_lease {
	struct evloop *ev;
	struct loop_lease_cbs cbs;
	struct bgpool *pool;  /* one thread: rounds never overlap */
	struct ev_timer timer;
	_Atomic int64_t act_until;
	struct lease_report report; /* the loop's copy of the last round */
	struct lease_self self;
	bool job_out;
	bool again;           /* the config changed while a round was out */
	struct target *want;  /* the config in force */
	/* The round's own, touched only by the round while one is out. */
	struct target *job_target;
	struct target *cur;   /* what lease and d were made for */
	struct lease lease;
	struct docker *d;
	struct lease_report job_report;
};

static void target_free(struct target *t)
{
	if (!t)
		return;
	free(t->instance);
	free(t->host.name);
	free(t->host.host);
	free(t->host.tls.ca_path);
	free(t->host.tls.cert_path);
	free(t->host.tls.key_path);
	free(t->key);
	lease_images_free(t->images, t->n_images);
	free(t);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct target *target_copy(const struct target *s)
{
	struct target *t = xcalloc(1, sizeof *t);
	t->instance = xstrdup(s->instance);
	t->ttl_ms = s->ttl_ms;
	t->host.name = dup_or_null(s->host.name);
	t->host.host = dup_or_null(s->host.host);
	t->host.tls_on = s->host.tls_on;
	t->host.tls.ca_path = dup_or_null(s->host.tls.ca_path);
	t->host.tls.cert_path = dup_or_null(s->host.tls.cert_path);
	t->host.tls.key_path = dup_or_null(s->host.tls.key_path);
	t->key = xstrdup(s->key);
	t->images = xcalloc(s->n_images + 1, sizeof *t->images);
	for (size_t i = 0; i < s->n_images; i++)
		t->images[i] = xstrdup(s->images[i]);
	t->n_images = s->n_images;
	return t;
}

static struct target *target_of(const struct config *cfg)
{
	struct target t = { 0 };
	struct docker_host_decl h = hosts_decl(cfg, 0);
	t.instance = cfg->instance;
	t.ttl_ms = cfg->docker_lease_ttl_ms > 0 ? cfg->docker_lease_ttl_ms : 30000;
	t.host = h;
	/* Resolved paths only: hosts_client falls back to them. */
	t.host.tls.ca_path = h.tls.ca_path ? h.tls.ca_path : h.tls.ca;
	t.host.tls.cert_path = h.tls.cert_path ? h.tls.cert_path : h.tls.cert;
	t.host.tls.key_path = h.tls.key_path ? h.tls.key_path : h.tls.key;
	t.key = hosts_client_key(&h);
	t.images = lease_images(cfg, &t.n_images);
	struct target *r = target_copy(&t);
	free(t.key);
	lease_images_free(t.images, t.n_images);
	return r;
}

/* ---- a round, on the lease's thread ---- */

static void round_work(void *arg)
{
	struct loop_lease *ll = arg;
	struct target *t = ll->job_target;
	struct target *c = ll->cur;
	bool new_host = !c || !str_eq(c->key, t->key);
	bool new_lease = !c || new_host || !str_eq(c->instance, t->instance);
	if (c && new_lease && ll->d)
		lease_release(&ll->lease, ll->d); /* the old lease goes first */
	if (new_host) {
		docker_free(ll->d);
		struct docker_err err = { 0, "" };
		ll->d = hosts_client(&t->host, &err);
		if (ll->d)
			docker_set_timeouts(ll->d, 2000, 5000);
	}
	if (new_lease)
		lease_init(&ll->lease, t->instance, t->ttl_ms);
	ll->lease.ttl_ms = t->ttl_ms;
	target_free(ll->cur);
	ll->cur = target_copy(t);
	int64_t now = now_wall_ms();
	if (!ll->d) {
		memset(&ll->job_report, 0, sizeof ll->job_report);
		ll->job_report.next_ms = now + 5000;
		sbuf_printf(ll->job_report.why, sizeof ll->job_report.why,
			    "lease not checked: no client for the default docker host %s", t->host.host);
		return;
	}
	lease_run(&ll->lease, ll->d, (const char *const *)t->images, t->n_images, now, &ll->job_report);
}

static void round_start(struct loop_lease *ll);

/* Transitions, not steady states. */
static void log_report(const struct lease_report *was, const struct lease_report *now)
{
	if (now->role == was->role && (now->role != LEASE_UNKNOWN || str_eq(now->why, was->why)) &&
	    (now->role != LEASE_STANDBY || str_eq(now->holder, was->holder)))
		return;
	switch (now->role) {
	case LEASE_HOLDER:
		log_info("lease held: this daemon acts on the fleet", "step", lease_step_str(now->step),
			 "why", now->why);
		break;
	case LEASE_STANDBY:
		if (was->role == LEASE_HOLDER)
			log_error("lease lost: stepping down at once", "why", now->why);
		else
			log_warn("standing by: another daemon holds the lease; this one will not act",
				 "holder", now->holder, "why", now->why);
		break;
	case LEASE_UNKNOWN:
		log_warn("lease unknown: not acting until it is confirmed", "why", now->why);
		break;
	}
}

static void round_done(void *arg, bool ran)
{
	struct loop_lease *ll = arg;
	ll->job_out = false;
	target_free(ll->job_target);
	ll->job_target = NULL;
	if (!ran)
		return;
	struct lease_report was = ll->report;
	ll->report = ll->job_report;
	const struct lease_report *r = &ll->report;
	atomic_store(&ll->act_until, r->role == LEASE_HOLDER ? r->act_until_ms : 0);
	log_report(&was, r);
	if (was.role != r->role || (r->role != LEASE_HOLDER && !str_eq(was.why, r->why)))
		ll->cbs.changed(ll->cbs.ud);
	if (ll->again) {
		ll->again = false;
		round_start(ll);
		return;
	}
	int64_t wait = r->next_ms - now_wall_ms();
	ev_timer_arm(&ll->timer, wait > 0 ? wait : 0, 0);
}

static void round_start(struct loop_lease *ll)
{
	if (ll->job_out || !ll->want) {
		ll->again = ll->job_out;
		return;
	}
	ll->job_out = true;
	ll->job_target = target_copy(ll->want);
	bgpool_submit(ll->pool, round_work, round_done, ll);
}

static void on_timer(struct ev_timer *t)
{
	round_start(t->ud);
}

/* ---- the loop's side ---- */

struct loop_lease *loop_lease_new(struct evloop *ev, const struct loop_lease_cbs *cbs)
{
	struct loop_lease *ll = xcalloc(1, sizeof *ll);
	ll->ev = ev;
	ll->cbs = *cbs;
	ll->pool = bgpool_new(ev, 1);
	ev_timer_init(ev, &ll->timer, on_timer, ll);
	lease_self_init(&ll->self);
	atomic_store(&ll->act_until, 0);
	sbuf_printf(ll->report.why, sizeof ll->report.why, "lease not checked yet");
	return ll;
}

void loop_lease_config(struct loop_lease *ll, const struct config *cfg)
{
	target_free(ll->want);
	ll->want = target_of(cfg);
	round_start(ll);
}

const struct lease_report *loop_lease_report(const struct loop_lease *ll)
{
	return &ll->report;
}

bool loop_lease_may_act(const struct loop_lease *ll, int64_t now_ms)
{
	return ll->report.role == LEASE_HOLDER && now_ms < atomic_load(&ll->act_until);
}

const _Atomic int64_t *loop_lease_act_until(const struct loop_lease *ll)
{
	return &ll->act_until;
}

const char *loop_lease_self(const struct loop_lease *ll)
{
	return ll->self.id;
}

void loop_lease_stop(struct loop_lease *ll, int64_t wait_ms)
{
	if (!ll)
		return;
	atomic_store(&ll->act_until, 0);
	ev_timer_close(ll->ev, &ll->timer);
	bool idle = bgpool_stop(ll->pool, wait_ms);
	/* A round stuck in a call still uses the lease: leave it, the next
	 * daemon takes over once it expires. */
	if (idle && ll->lease.holding && ll->d) {
		/* Two removals of containers that never ran, within the
		 * second SIGTERM has (a hung Docker: the lease then expires). */
		docker_set_timeouts(ll->d, 150, 350);
		lease_release(&ll->lease, ll->d);
		log_info("lease released", "instance", ll->lease.instance);
	}
	if (!idle)
		return; /* the round still points at ll: leave it to the exit */
	docker_free(ll->d);
	target_free(ll->cur);
	target_free(ll->want);
	target_free(ll->job_target);
	free(ll);
}
