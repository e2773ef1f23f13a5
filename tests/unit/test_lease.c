/* test_lease.c - the lease's pure parts, table by table: holder identities,
 * "is that holder a gone process of this machine", container names, what a
 * list shows, and the decision (acquire, renew, wait, take over, lost). */
#include "config-auto.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lease.h"
#include "util.h"

#define TTL 30000
#define NOW 1800000000000LL
#define ME "node1/100/5000/4026531836/1a2b3c4d"
#define OTHER "node2/200/7000/4026531836/99887766"

/* ---- identity ---- */

static const struct {
	const char *id;
	bool ok;
} parse_cases[] = {
	{ ME, true },
	{ "h/1/0/0/b", true },
	{ "node1/100/5000/4026531836", false },      /* four fields */
	{ "/100/5000/4026531836/1a2b3c4d", false },  /* no host */
	{ "node1/x/5000/4026531836/1a2b3c4d", false },
	{ "node1/100/-5/4026531836/1a2b3c4d", false },
	{ "node1/100/5000/4026531836/", false },     /* no boot */
	{ "", false },
	{ NULL, false },
};

START_TEST(self_parse_table)
{
	struct lease_self s;
	int rc = lease_self_parse(parse_cases[_i].id, &s);
	ck_assert_msg((rc == 0) == parse_cases[_i].ok, "%s", parse_cases[_i].id ? parse_cases[_i].id : "NULL");
	if (rc == 0) {
		struct lease_self again = s;
		lease_self_format(&again);
		ck_assert_str_eq(again.id, parse_cases[_i].id);
	}
}
END_TEST

START_TEST(self_of_this_process)
{
	struct lease_self s, p;
	lease_self_init(&s);
	ck_assert_int_eq(lease_self_parse(s.id, &p), 0);
	ck_assert_int_eq(p.pid, (long)getpid());
	ck_assert(p.start > 0);
	ck_assert_uint_eq(p.start, lease_proc_start(p.pid));
	ck_assert(!lease_holder_gone(&s, s.id, lease_proc_start));
}
END_TEST

/* proc_start of a machine where PID 100 (us) and 300 (started at 9000)
 * run; everything else is gone. */
static unsigned long long fake_start(long pid)
{
	return pid == 100 ? 5000 : pid == 300 ? 9000 : 0;
}

static const struct {
	const char *what;
	const char *holder;
	bool gone;
} gone_cases[] = {
	{ "this very process", ME, false },
	{ "a process of this machine that exited", "node1/250/4000/4026531836/1a2b3c4d", true },
	{ "a live process of this machine", "node1/300/9000/4026531836/1a2b3c4d", false },
	{ "a PID reused by a younger process", "node1/300/8000/4026531836/1a2b3c4d", true },
	{ "another machine (its PIDs mean nothing here)", "node2/250/4000/4026531836/1a2b3c4d", false },
	{ "before a reboot (another boot id)", "node1/250/4000/4026531836/ffffffff", false },
	{ "another PID namespace (a container)", "node1/1/10/4026532000/1a2b3c4d", false },
	{ "not a holder id", "someone", false },
};

START_TEST(holder_gone_table)
{
	struct lease_self me;
	ck_assert_int_eq(lease_self_parse(ME, &me), 0);
	ck_assert_msg(lease_holder_gone(&me, gone_cases[_i].holder, fake_start) == gone_cases[_i].gone,
		      "%s", gone_cases[_i].what);
}
END_TEST

/* ---- names ---- */

START_TEST(names)
{
	char a[300], b[300];
	lease_lock_name("fleet-1", a, sizeof a);
	ck_assert_str_eq(a, "ace-orchestrator-lease.fleet-1");
	/* Characters Docker refuses become '_', and a hash keeps two such
	 * instances apart. */
	lease_lock_name("my fleet", a, sizeof a);
	lease_lock_name("my/fleet", b, sizeof b);
	ck_assert(str_startswith(a, "ace-orchestrator-lease.my_fleet-"));
	ck_assert(str_startswith(b, "ace-orchestrator-lease.my_fleet-"));
	ck_assert_str_ne(a, b);
	lease_lock_name("", a, sizeof a);
	ck_assert(str_startswith(a, "ace-orchestrator-lease.-"));

	int64_t ms = 0;
	lease_beat_name("ace-orchestrator-lease.f", 1234567, a, sizeof a);
	ck_assert_str_eq(a, "ace-orchestrator-lease.f.beat.1234567");
	ck_assert_int_eq(lease_beat_parse("ace-orchestrator-lease.f", a, &ms), 0);
	ck_assert_int_eq(ms, 1234567);
	ck_assert_int_eq(lease_beat_parse("ace-orchestrator-lease.g", a, &ms), -1);
	ck_assert_int_eq(lease_beat_parse("ace-orchestrator-lease.f", "ace-orchestrator-lease.f.beat.12x", &ms), -1);
	ck_assert_int_eq(lease_beat_parse("ace-orchestrator-lease.f", "ace-orchestrator-lease.f", &ms), -1);
}
END_TEST

/* ---- what a list shows ---- */

static void add(struct docker_list *l, const char *id, const char *name, const char *holder,
		const char *since, int64_t created)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	struct docker_container *c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	c->id = xstrdup(id);
	c->name = xstrdup(name);
	c->state = xstrdup("created");
	c->created = created;
	c->labels = xcalloc(2, sizeof *c->labels);
	if (holder)
		c->labels[c->n_labels++] = (struct docker_kv){ xstrdup(LEASE_HOLDER_LABEL), xstrdup(holder) };
	if (since)
		c->labels[c->n_labels++] = (struct docker_kv){ xstrdup(LEASE_SINCE_LABEL), xstrdup(since) };
}

#define LOCK "ace-orchestrator-lease.f"

START_TEST(seen_from_list)
{
	struct docker_list l = { 0 };
	add(&l, "b1", LOCK ".beat.1000", OTHER, NULL, 0);
	add(&l, "lk", LOCK, OTHER, "500", 0);
	add(&l, "b2", LOCK ".beat.2000", OTHER, NULL, 0);   /* the holder's freshest */
	add(&l, "b3", LOCK ".beat.3000", ME, NULL, 0);      /* someone else's */
	add(&l, "zz", "unrelated", OTHER, NULL, 0);
	struct lease_seen s;
	lease_seen_parse(&l, LOCK, &s);
	ck_assert(s.lock);
	ck_assert_str_eq(s.lock_id, "lk");
	ck_assert_str_eq(s.holder, OTHER);
	ck_assert_int_eq(s.since_ms, 500);
	ck_assert(s.beat);
	ck_assert_str_eq(s.beat_id, "b2");
	ck_assert_int_eq(s.beat_ms, 2000);
	ck_assert(s.other_beat);
	ck_assert_str_eq(s.other_holder, ME);
	ck_assert_int_eq(s.other_beat_ms, 3000);
	/* b1 (older beat of the holder) and b3 go on a takeover. */
	ck_assert_uint_eq(s.n_stale, 2);
	ck_assert(str_eq(s.stale[0], "b1") || str_eq(s.stale[1], "b1"));
	ck_assert(str_eq(s.stale[0], "b3") || str_eq(s.stale[1], "b3"));
	lease_seen_free(&s);
	docker_list_free(&l);

	/* No since label: Docker's creation time stands in. */
	memset(&l, 0, sizeof l);
	add(&l, "lk", LOCK, OTHER, NULL, 1700000000);
	lease_seen_parse(&l, LOCK, &s);
	ck_assert_int_eq(s.since_ms, 1700000000000LL);
	ck_assert(!s.beat && !s.other_beat);
	lease_seen_free(&s);
	docker_list_free(&l);
}
END_TEST

/* ---- the decision ---- */

enum lk { NO_LOCK, LOCK_MINE, LOCK_OTHER };

static const struct decide_case {
	const char *what;
	enum lk lock;
	int64_t beat_age;   /* of the lock holder's beat; -1: none */
	int64_t since_age;  /* of the lock */
	int64_t other_age;  /* a beat of another holder; -1: none */
	bool holding;
	bool gone;
	enum lease_step want;
	int64_t next;       /* want next_ms - NOW, -1: do not check */
	const char *why;    /* a piece of the explanation */
} decide_cases[] = {
	{ "fresh start, nobody", NO_LOCK, -1, 0, -1, false, false, LEASE_ACQUIRE, 10000,
	  "no other daemon holds the lease" },
	{ "ours: renew", LOCK_MINE, 5000, 60000, -1, true, false, LEASE_RENEW, 10000, "holds the lease" },
	{ "ours, after a restart of our own knowledge", LOCK_MINE, 5000, 60000, -1, false, false,
	  LEASE_RENEW, 10000, NULL },
	{ "taken from us: step down", LOCK_OTHER, 1000, 1000, -1, true, false, LEASE_LOST, -1,
	  "lease taken by pid 200 on node2" },
	{ "taken from us, even by a gone holder", LOCK_OTHER, 1000, 1000, -1, true, true, LEASE_LOST, -1, NULL },
	{ "our lock removed by hand: take it again", NO_LOCK, -1, 0, -1, true, false, LEASE_RECLAIM, -1, NULL },
	{ "held, renewed 5s ago: wait", LOCK_OTHER, 5000, 90000, -1, false, false, LEASE_WAIT, 10000,
	  "another daemon holds the lease: pid 200 on node2 (renewed 5s ago" },
	{ "held, 35s: wait out the last interval", LOCK_OTHER, 35000, 90000, -1, false, false,
	  LEASE_WAIT, 5000, NULL },
	{ "held, renewed ttl ago: still not", LOCK_OTHER, 30000, 90000, -1, false, false, LEASE_WAIT, 10000, NULL },
	{ "held, ttl + interval: take over", LOCK_OTHER, 40000, 90000, -1, false, false, LEASE_TAKEOVER, -1,
	  "last renewed 40s ago (lease_ttl 30s + 10s)" },
	{ "held, no beat, lock young: wait", LOCK_OTHER, -1, 20000, -1, false, false, LEASE_WAIT, 10000, NULL },
	{ "held, no beat, lock old: take over", LOCK_OTHER, -1, 41000, -1, false, false, LEASE_TAKEOVER, -1, NULL },
	{ "holder's process gone here: at once", LOCK_OTHER, 1000, 1000, -1, false, true, LEASE_TAKEOVER, -1,
	  "is no longer running" },
	{ "holder clock ahead (beat in the future)", LOCK_OTHER, -5000, 90000, -1, false, false,
	  LEASE_WAIT, 10000, NULL },
	{ "no lock, but a beat renewed 3s ago", NO_LOCK, -1, 0, 3000, false, false, LEASE_WAIT, 10000,
	  "renewed one 3s ago" },
	{ "no lock, a beat 38s old", NO_LOCK, -1, 0, 38000, false, false, LEASE_WAIT, 2000, NULL },
	{ "no lock, a dead beat", NO_LOCK, -1, 0, 45000, false, false, LEASE_ACQUIRE, -1, NULL },
};

START_TEST(decide_table)
{
	struct lease_seen s = { 0 };
	const struct decide_case *c = &decide_cases[_i];
	if (c->lock != NO_LOCK) {
		s.lock = true;
		sbuf_printf(s.holder, sizeof s.holder, "%s", c->lock == LOCK_MINE ? ME : OTHER);
		s.since_ms = NOW - c->since_age;
	}
	if (c->beat_age >= 0 || (c->lock != NO_LOCK && c->beat_age < -1)) {
		s.beat = true;
		s.beat_ms = NOW - c->beat_age;
	}
	if (c->other_age >= 0) {
		s.other_beat = true;
		s.other_beat_ms = NOW - c->other_age;
		sbuf_printf(s.other_holder, sizeof s.other_holder, "%s", OTHER);
	}
	struct lease_input in = { &s, ME, c->holding, c->gone, NOW, TTL };
	struct lease_decision d;
	lease_decide(&in, &d);
	ck_assert_msg(d.step == c->want, "%s: got %s, want %s", c->what, lease_step_str(d.step),
		      lease_step_str(c->want));
	if (c->next >= 0)
		ck_assert_msg(d.next_ms - NOW == c->next, "%s: next in %lld", c->what,
			      (long long)(d.next_ms - NOW));
	if (c->why)
		ck_assert_msg(strstr(d.why, c->why), "%s: why '%s'", c->what, d.why);
}
END_TEST

/* The windows line up: a holder stops acting (last renewal + ttl - one
 * interval) two intervals before any contender may take over (last
 * renewal + ttl + one interval). */
START_TEST(windows_leave_two_intervals)
{
	int64_t renew = lease_renew_ms(TTL);
	ck_assert_int_eq(renew, 10000);
	struct lease_seen s = { .lock = true, .beat = true, .beat_ms = NOW };
	sbuf_printf(s.holder, sizeof s.holder, "%s", OTHER);
	int64_t holder_stops = NOW + TTL - renew;
	struct lease_decision d;
	for (int64_t t = NOW; t < NOW + 2 * TTL; t += 100) {
		struct lease_input in = { &s, ME, false, false, t, TTL };
		lease_decide(&in, &d);
		if (d.step == LEASE_TAKEOVER) {
			ck_assert_int_eq(t - holder_stops, 2 * renew);
			return;
		}
	}
	ck_abort_msg("never taken over");
}
END_TEST

START_TEST(images_of_config)
{
	struct config c = { 0 };
	struct vpn_decl v[3] = { { .name = "g1" }, { .name = "g2", .docker_idx = 1 }, { .name = "g3" } };
	c.engine.image = "engine:1";
	c.vpns = v;
	c.n_vpns = 3;
	size_t n;
	char **im = lease_images(&c, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(im[0], "engine:1");
	ck_assert_str_eq(im[1], "container:g1");
	ck_assert_str_eq(im[2], "container:g3");
	lease_images_free(im, n);
}
END_TEST

static Suite *lease_suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("pure");
	tcase_add_loop_test(tc, self_parse_table, 0, (int)ARRAY_LEN(parse_cases));
	tcase_add_test(tc, self_of_this_process);
	tcase_add_loop_test(tc, holder_gone_table, 0, (int)ARRAY_LEN(gone_cases));
	tcase_add_test(tc, names);
	tcase_add_test(tc, seen_from_list);
	tcase_add_loop_test(tc, decide_table, 0, (int)ARRAY_LEN(decide_cases));
	tcase_add_test(tc, windows_leave_two_intervals);
	tcase_add_test(tc, images_of_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lease_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
