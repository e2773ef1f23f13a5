/* lease_docker.c - the lease's Docker calls (blocking, off the event loop):
 * one round of list, decide, act, and the release on a clean exit. */
#include "config-auto.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "util.h"

void lease_init(struct lease *l, const char *instance, int64_t ttl_ms)
{
	memset(l, 0, sizeof *l);
	lease_self_init(&l->self);
	sbuf_printf(l->instance, sizeof l->instance, "%s", instance ? instance : "default");
	lease_lock_name(l->instance, l->lock, sizeof l->lock);
	l->ttl_ms = ttl_ms;
}

/* A created, never started container of the lease, from the first image
 * the host has. Returns 0 with its ID, or -1 with Docker's answer in err
 * (409: the name is taken). */
static int make_container(struct lease *l, struct docker *d, const char *name, const char *role,
			  int64_t now, const char *const *images, size_t n_images, char *id, size_t idlen,
			  struct docker_err *err)
{
	char since[24];
	sbuf_printf(since, sizeof since, "%" PRId64, now);
	const char *labels[] = {
		LEASE_LABEL, l->instance, LEASE_ROLE_LABEL, role, LEASE_HOLDER_LABEL, l->self.id,
		LEASE_SINCE_LABEL, since,
	};
	/* Never run: the command only says what it is to whoever looks. */
	const char *cmd[] = { "ace-orchestrator-lease" };
	struct docker_create_spec s = {
		.name = name, .cmd = cmd, .n_cmd = 1, .labels = labels,
		.n_labels = ARRAY_LEN(labels) / 2, .network_mode = "none",
	};
	memset(err, 0, sizeof *err);
	sbuf_printf(err->msg, sizeof err->msg, "no image to create the lease container from: "
		    "engine.image is not on the default docker host and no VPN container runs there");
	for (size_t i = 0; i < n_images; i++) {
		char *img = NULL;
		if (str_startswith(images[i], "container:")) {
			struct docker_inspect in;
			struct docker_err ie = { 0, "" };
			if (docker_inspect(d, images[i] + 10, &in, &ie) != 0)
				continue;
			img = in.image ? xstrdup(in.image) : NULL;
			docker_inspect_free(&in);
		} else {
			img = xstrdup(images[i]);
		}
		if (!img)
			continue;
		s.image = img;
		struct docker_err ce = { 0, "" };
		int rc = docker_create(d, &s, id, idlen, &ce);
		free(img);
		if (rc == 0)
			return 0;
		*err = ce;
		/* Only a missing image moves on to the next candidate. */
		if (!(ce.http_status == 404 && strstr(ce.msg, "image")))
			return -1;
	}
	return -1;
}

/* Our beat carries the renewal's time in its name: renamed when it exists,
 * made when it does not (first round, or a contender removed it). */
static int beat(struct lease *l, struct docker *d, const struct lease_seen *seen, int64_t now,
		const char *const *images, size_t n_images, struct docker_err *err)
{
	char name[360];
	lease_beat_name(l->lock, now, name, sizeof name);
	const char *have = seen && seen->beat && str_eq(seen->holder, l->self.id) ? seen->beat_id
			 : l->beat_id[0] ? l->beat_id : NULL;
	if (have) {
		if (docker_rename(d, have, name, err) == 0) {
			sbuf_printf(l->beat_id, sizeof l->beat_id, "%s", have);
			return 0;
		}
		/* Renamed twice within one millisecond: that is a renewal too. */
		if (err->http_status == 409)
			return 0;
		if (!docker_err_not_found(err))
			return -1;
	}
	l->beat_id[0] = '\0';
	return make_container(l, d, name, "beat", now, images, n_images, l->beat_id,
			      sizeof l->beat_id, err);
}

/* Removes what a takeover clears away: the dead lock, its beat, stale
 * beats. A container already gone is fine. */
static void clear_old(struct docker *d, const struct lease_seen *seen)
{
	struct docker_err e = { 0, "" };
	if (seen->lock)
		docker_remove_unstarted(d, seen->lock_id, &e);
	if (seen->beat)
		docker_remove_unstarted(d, seen->beat_id, &e);
	for (size_t i = 0; i < seen->n_stale; i++)
		docker_remove_unstarted(d, seen->stale[i], &e);
}

static void report_holder(struct lease *l, int64_t now, struct lease_report *out)
{
	int64_t renew = lease_renew_ms(l->ttl_ms);
	l->holding = true;
	l->renewed_ms = now;
	out->role = LEASE_HOLDER;
	out->ok = true;
	out->act_until_ms = now + l->ttl_ms - renew;
	out->next_ms = now + renew;
	sbuf_printf(out->holder, sizeof out->holder, "%s", l->self.id);
}

/* The lock is someone else's now (or was taken while we tried). */
static void report_standby(struct lease *l, struct lease_report *out)
{
	l->holding = false;
	l->lock_id[0] = '\0';
	l->beat_id[0] = '\0';
	out->role = LEASE_STANDBY;
	out->act_until_ms = 0;
}

void lease_run(struct lease *l, struct docker *d, const char *const *images, size_t n_images,
	       int64_t now, struct lease_report *out)
{
	int64_t renew = lease_renew_ms(l->ttl_ms);
	memset(out, 0, sizeof *out);
	struct docker_err err = { 0, "" };
	struct docker_list list = { 0 };
	char *label = xasprintf("%s=%s", LEASE_LABEL, l->instance);
	int rc = docker_list(d, label, &list, &err);
	free(label);
	if (rc != 0) {
		/* Unknown: a holder keeps acting until its renewals run out;
		 * a retry comes soon so one failure does not cost that. */
		out->role = l->holding ? LEASE_HOLDER : LEASE_UNKNOWN;
		out->act_until_ms = l->holding ? l->renewed_ms + l->ttl_ms - renew : 0;
		out->next_ms = now + (renew / 3 > 500 ? renew / 3 : 500);
		out->step = l->holding ? LEASE_RENEW : LEASE_WAIT;
		sbuf_printf(out->why, sizeof out->why, "lease not checked: %s", err.msg);
		if (l->holding)
			sbuf_printf(out->holder, sizeof out->holder, "%s", l->self.id);
		return;
	}
	struct lease_seen seen;
	lease_seen_parse(&list, l->lock, &seen);
	docker_list_free(&list);
	bool gone = seen.lock && !str_eq(seen.holder, l->self.id) &&
		    lease_holder_gone(&l->self, seen.holder, lease_proc_start);
	struct lease_input in = { &seen, l->self.id, l->holding, gone, now, l->ttl_ms };
	struct lease_decision dec;
	lease_decide(&in, &dec);
	out->step = dec.step;
	out->next_ms = dec.next_ms;
	out->since_ms = seen.since_ms;
	sbuf_printf(out->why, sizeof out->why, "%s", dec.why);
	sbuf_printf(out->holder, sizeof out->holder, "%s", seen.holder);
	switch (dec.step) {
	case LEASE_WAIT:
		report_standby(l, out);
		out->ok = true;
		break;
	case LEASE_LOST:
		report_standby(l, out);
		out->ok = true;
		break;
	case LEASE_RENEW:
		sbuf_printf(l->lock_id, sizeof l->lock_id, "%s", seen.lock_id);
		if (beat(l, d, &seen, now, images, n_images, &err) != 0) {
			/* Not renewed: still ours until the last renewal runs out. */
			out->role = l->holding ? LEASE_HOLDER : LEASE_UNKNOWN;
			out->act_until_ms = l->holding ? l->renewed_ms + l->ttl_ms - renew : 0;
			out->next_ms = now + (renew / 3 > 500 ? renew / 3 : 500);
			sbuf_printf(out->why, sizeof out->why, "lease not renewed: %s", err.msg);
			break;
		}
		out->since_ms = seen.since_ms;
		report_holder(l, now, out);
		break;
	case LEASE_TAKEOVER:
	case LEASE_ACQUIRE:
	case LEASE_RECLAIM:
		if (dec.step == LEASE_TAKEOVER)
			clear_old(d, &seen);
		else if (dec.step == LEASE_ACQUIRE)
			for (size_t i = 0; i < seen.n_stale; i++) {
				struct docker_err e = { 0, "" };
				docker_remove_unstarted(d, seen.stale[i], &e);
			}
		if (make_container(l, d, l->lock, "lock", now, images, n_images, l->lock_id,
				   sizeof l->lock_id, &err) != 0) {
			report_standby(l, out);
			out->ok = err.http_status == 409;
			out->step = err.http_status == 409 ? LEASE_WAIT : dec.step;
			out->next_ms = now + (err.http_status == 409 ? 0 : renew / 3 > 500 ? renew / 3 : 500);
			out->role = err.http_status == 409 ? LEASE_STANDBY : LEASE_UNKNOWN;
			sbuf_printf(out->why, sizeof out->why, "%s", err.http_status == 409
				    ? "another daemon took the lease at the same moment"
				    : err.msg);
			break;
		}
		out->since_ms = now;
		if (beat(l, d, NULL, now, images, n_images, &err) != 0) {
			/* The lock is ours: act on it; the beat comes next round
			 * (until then the lock's own time stands for it). */
			sbuf_printf(out->why, sizeof out->why, "%s; its heartbeat not yet made: %s",
				    dec.why, err.msg);
		}
		report_holder(l, now, out);
		break;
	}
	lease_seen_free(&seen);
}

void lease_release(struct lease *l, struct docker *d)
{
	if (!l->holding)
		return;
	struct docker_err e = { 0, "" };
	if (l->beat_id[0])
		docker_remove_unstarted(d, l->beat_id, &e);
	if (l->lock_id[0])
		docker_remove_unstarted(d, l->lock_id, &e);
	l->holding = false;
	l->lock_id[0] = l->beat_id[0] = '\0';
}
