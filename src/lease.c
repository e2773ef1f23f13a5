/* lease.c - one daemon per fleet: the holder's identity, what the default
 * host shows of the lease, the decision (pure), and the Docker calls that
 * take, renew, take over and release it (see lease.h for the protocol). */
#include "config-auto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"
#include "log.h"
#include "util.h"

/* ---- identity ---- */

void lease_self_format(struct lease_self *s)
{
	sbuf_printf(s->id, sizeof s->id, "%s/%ld/%llu/%llu/%s", s->host, s->pid, s->start, s->pidns,
		    s->boot);
}

/* Field 22 of /proc/PID/stat (starttime), read after the command name,
 * which may itself hold spaces and parentheses. */
unsigned long long lease_proc_start(long pid)
{
	char path[64];
	sbuf_printf(path, sizeof path, "/proc/%ld/stat", pid);
	size_t len = 0;
	char *s = read_file(path, 4096, &len);
	if (!s)
		return 0;
	unsigned long long start = 0;
	const char *p = strrchr(s, ')');
	/* After ") ": field 3 (state) is the first; starttime is field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	free(s);
	return start;
}

void lease_self_init(struct lease_self *s)
{
	memset(s, 0, sizeof *s);
	if (gethostname(s->host, sizeof s->host - 1) != 0 || !s->host[0])
		sbuf_printf(s->host, sizeof s->host, "unknown");
	/* '/' separates the fields; a host name never has one, but be sure. */
	for (char *c = s->host; *c; c++)
		if (*c == '/')
			*c = '_';
	s->pid = (long)getpid();
	s->start = lease_proc_start(s->pid);
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) == 0)
		s->pidns = (unsigned long long)st.st_ino;
	size_t len = 0;
	char *boot = read_file("/proc/sys/kernel/random/boot_id", 64, &len);
	sbuf_printf(s->boot, sizeof s->boot, "%.8s", boot ? boot : "unknown");
	free(boot);
	lease_self_format(s);
}

int lease_self_parse(const char *id, struct lease_self *out)
{
	memset(out, 0, sizeof *out);
	if (!id)
		return -1;
	const char *f[5];
	size_t n[5];
	const char *p = id;
	for (int i = 0; i < 5; i++) {
		const char *slash = i < 4 ? strchr(p, '/') : p + strlen(p);
		if (!slash)
			return -1;
		f[i] = p;
		n[i] = (size_t)(slash - p);
		p = slash + 1;
	}
	char num[32];
	long long v[3];
	for (int i = 1; i <= 3; i++) {
		if (n[i] == 0 || n[i] >= sizeof num)
			return -1;
		memcpy(num, f[i], n[i]);
		num[n[i]] = '\0';
		if (!parse_int(num, 0, INT64_MAX, &v[i - 1]))
			return -1;
	}
	if (n[0] == 0 || n[0] >= sizeof out->host || n[4] == 0 || n[4] >= sizeof out->boot)
		return -1;
	memcpy(out->host, f[0], n[0]);
	memcpy(out->boot, f[4], n[4]);
	out->pid = (long)v[0];
	out->start = (unsigned long long)v[1];
	out->pidns = (unsigned long long)v[2];
	sbuf_printf(out->id, sizeof out->id, "%s", id);
	return 0;
}

bool lease_holder_gone(const struct lease_self *me, const char *holder_id,
		       unsigned long long (*proc_start)(long pid))
{
	struct lease_self h;
	if (lease_self_parse(holder_id, &h) != 0)
		return false;
	/* Another machine, another boot or another PID namespace: its PIDs
	 * mean nothing here. */
	if (!str_eq(h.host, me->host) || !str_eq(h.boot, me->boot) || h.pidns != me->pidns)
		return false;
	if (h.pid == me->pid && h.start == me->start)
		return false; /* that is us */
	unsigned long long start = proc_start(h.pid);
	/* No such process, or the PID now belongs to a younger one. */
	return start == 0 || start != h.start;
}

/* ---- names ---- */

void lease_lock_name(const char *instance, char *out, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	char clean[200];
	size_t n = 0;
	bool changed = false;
	for (const char *c = instance ? instance : ""; *c && n < sizeof clean - 1; c++) {
		bool good = strchr(ok, *c) != NULL;
		clean[n++] = good ? *c : '_';
		changed = changed || !good;
	}
	clean[n] = '\0';
	changed = changed || (instance && strlen(instance) != n) || n == 0;
	if (!changed) {
		sbuf_printf(out, len, "%s%s", LEASE_PREFIX, clean);
		return;
	}
	/* Two instances that clean up alike must not share a lock. */
	uint64_t h = fnv1a64(FNV1A64_INIT, instance ? instance : "", instance ? strlen(instance) : 0);
	sbuf_printf(out, len, "%s%s-%08" PRIx64, LEASE_PREFIX, clean, h & 0xffffffffu);
}

void lease_beat_name(const char *lock, int64_t ms, char *out, size_t len)
{
	sbuf_printf(out, len, "%s.beat.%" PRId64, lock, ms);
}

int lease_beat_parse(const char *lock, const char *name, int64_t *ms)
{
	size_t n = strlen(lock);
	long long v;
	if (!name || strncmp(name, lock, n) != 0 || strncmp(name + n, ".beat.", 6) != 0)
		return -1;
	if (!parse_int(name + n + 6, 0, INT64_MAX, &v))
		return -1;
	*ms = v;
	return 0;
}

/* ---- what the host shows ---- */

void lease_seen_free(struct lease_seen *s)
{
	free(s->stale);
	memset(s, 0, sizeof *s);
}

void lease_seen_parse(const struct docker_list *l, const char *lock_name, struct lease_seen *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < l->n; i++) {
		const struct docker_container *c = &l->v[i];
		if (!str_eq(c->name, lock_name))
			continue;
		const char *holder = docker_kv_get(c->labels, c->n_labels, LEASE_HOLDER_LABEL);
		const char *since = docker_kv_get(c->labels, c->n_labels, LEASE_SINCE_LABEL);
		long long v;
		out->lock = true;
		sbuf_printf(out->lock_id, sizeof out->lock_id, "%s", c->id);
		sbuf_printf(out->holder, sizeof out->holder, "%s", holder ? holder : "");
		/* Docker's own creation time when the label is missing (a
		 * number from outside: kept in range before scaling it). */
		int64_t created = c->created > 0 && c->created < INT64_MAX / 1000 ? c->created * 1000 : 0;
		out->since_ms = since && parse_int(since, 0, INT64_MAX, &v) ? v : created;
	}
	size_t cap = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct docker_container *c = &l->v[i];
		int64_t ms;
		if (lease_beat_parse(lock_name, c->name, &ms) != 0)
			continue;
		const char *holder = docker_kv_get(c->labels, c->n_labels, LEASE_HOLDER_LABEL);
		if (out->lock && str_eq(holder, out->holder)) {
			/* The freshest of the holder's (a crash mid-rename may
			 * leave two). */
			if (!out->beat || ms > out->beat_ms) {
				if (out->beat) {
					grow(&out->stale, &cap, out->n_stale + 1, sizeof *out->stale);
					sbuf_printf(out->stale[out->n_stale++], sizeof *out->stale, "%s", out->beat_id);
				}
				out->beat = true;
				out->beat_ms = ms;
				sbuf_printf(out->beat_id, sizeof out->beat_id, "%s", c->id);
				continue;
			}
		} else if (!out->other_beat || ms > out->other_beat_ms) {
			out->other_beat = true;
			out->other_beat_ms = ms;
			sbuf_printf(out->other_holder, sizeof out->other_holder, "%s", holder ? holder : "");
		}
		grow(&out->stale, &cap, out->n_stale + 1, sizeof *out->stale);
		sbuf_printf(out->stale[out->n_stale++], sizeof *out->stale, "%s", c->id);
	}
}

/* ---- the decision ---- */

const char *lease_step_str(enum lease_step s)
{
	switch (s) {
	case LEASE_ACQUIRE: return "acquire";
	case LEASE_TAKEOVER: return "takeover";
	case LEASE_RENEW: return "renew";
	case LEASE_RECLAIM: return "reclaim";
	case LEASE_WAIT: return "wait";
	case LEASE_LOST: return "lost";
	}
	return "?";
}

int64_t lease_renew_ms(int64_t ttl_ms)
{
	return ttl_ms / 3 > 0 ? ttl_ms / 3 : 1;
}

/* "pid 123 on host x" out of a holder id, for people. */
static const char *holder_words(const char *id, char *buf, size_t len)
{
	struct lease_self h;
	if (lease_self_parse(id, &h) == 0)
		sbuf_printf(buf, len, "pid %ld on %s", h.pid, h.host);
	else
		sbuf_printf(buf, len, "%s", id && *id ? id : "an unknown daemon");
	return buf;
}

void lease_decide(const struct lease_input *in, struct lease_decision *out)
{
	const struct lease_seen *s = in->seen;
	int64_t renew = lease_renew_ms(in->ttl_ms), now = in->now_ms;
	/* A lease is dead once it has not been renewed for its ttl and one
	 * more interval: the holder stopped acting an interval before its
	 * ttl, so two intervals separate its last action from ours. */
	int64_t dead_after = in->ttl_ms + renew;
	char who[300];
	memset(out, 0, sizeof *out);
	out->next_ms = now + renew;
	if (s->lock && str_eq(s->holder, in->self)) {
		out->step = LEASE_RENEW;
		sbuf_printf(out->why, sizeof out->why, "this daemon holds the lease");
		return;
	}
	if (s->lock && in->holding) {
		out->step = LEASE_LOST;
		sbuf_printf(out->why, sizeof out->why, "lease taken by %s",
			    holder_words(s->holder, who, sizeof who));
		return;
	}
	if (!s->lock) {
		if (in->holding) {
			out->step = LEASE_RECLAIM;
			sbuf_printf(out->why, sizeof out->why, "the lease container was removed; taken again");
			return;
		}
		int64_t age = now - s->other_beat_ms;
		if (s->other_beat && age < dead_after) {
			out->step = LEASE_WAIT;
			out->next_ms = now + (dead_after - age < renew ? dead_after - age : renew);
			sbuf_printf(out->why, sizeof out->why, "no lease, but %s renewed one %llds ago: "
				    "waiting until it is %llds old", holder_words(s->other_holder, who, sizeof who),
				    (long long)(age / 1000), (long long)(dead_after / 1000));
			return;
		}
		out->step = LEASE_ACQUIRE;
		sbuf_printf(out->why, sizeof out->why, "no other daemon holds the lease");
		return;
	}
	holder_words(s->holder, who, sizeof who);
	if (in->holder_gone) {
		out->step = LEASE_TAKEOVER;
		sbuf_printf(out->why, sizeof out->why, "the holder, %s, is no longer running", who);
		return;
	}
	int64_t last = s->beat ? s->beat_ms : s->since_ms;
	int64_t age = now - last;
	if (age >= dead_after) {
		out->step = LEASE_TAKEOVER;
		sbuf_printf(out->why, sizeof out->why, "the lease of %s was last renewed %llds ago "
			    "(lease_ttl %llds + %llds)", who, (long long)(age / 1000),
			    (long long)(in->ttl_ms / 1000), (long long)(renew / 1000));
		return;
	}
	out->step = LEASE_WAIT;
	int64_t left = dead_after - age;
	out->next_ms = now + (left < renew ? left : renew);
	sbuf_printf(out->why, sizeof out->why, "another daemon holds the lease: %s (renewed %llds ago; "
		    "taken over if not renewed for %llds)", who, (long long)(age > 0 ? age / 1000 : 0),
		    (long long)(dead_after / 1000));
}

const char *lease_role_str(enum lease_role r)
{
	switch (r) {
	case LEASE_HOLDER: return "holder";
	case LEASE_STANDBY: return "standby";
	case LEASE_UNKNOWN: return "unknown";
	}
	return "unknown";
}

/* ---- images ---- */

char **lease_images(const struct config *cfg, size_t *n)
{
	char **v = xcalloc(cfg->n_vpns + 1, sizeof *v);
	*n = 0;
	if (cfg->engine.image)
		v[(*n)++] = xstrdup(cfg->engine.image);
	for (size_t i = 0; i < cfg->n_vpns; i++)
		if (cfg->vpns[i].docker_idx == 0 && cfg->vpns[i].name)
			v[(*n)++] = xasprintf("container:%s", cfg->vpns[i].name);
	return v;
}

void lease_images_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
