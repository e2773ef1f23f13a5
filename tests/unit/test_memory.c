/* test_memory.c - unit tests of memory.c, what the daemon remembers between
 * passes for the planner: lookups, flap state, crash slots, forgetting. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_fixtures.h"
#include "util.h"

START_TEST(memory_engine_index_survives_growth_and_forgetting)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19999, 0, PF_AUTO);
	for (int p = 19000; p < 19600; p++) {
		fx_engine(&f, "gluetun", p);
		fx_streams(&f, p, p % 7);
	}
	ck_assert_uint_eq(f.mem.engines.n, 600);
	/* Docker now lists only the even ports. */
	size_t k = 0;
	for (size_t i = 0; i < f.obs.n_engines; i++) {
		if (f.obs.engines[i].http_port % 2)
			engine_obs_clear(&f.obs.engines[i]);
		else
			f.obs.engines[k++] = f.obs.engines[i];
	}
	f.obs.n_engines = k;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW);
	ck_assert_uint_eq(f.mem.engines.n, 300);
	for (int p = 19000; p < 19600; p++) {
		char id[16];
		snprintf(id, sizeof id, "e%d", p);
		const struct memory_engine *m = memory_engine(&f.mem, id);
		if (p % 2) {
			ck_assert_ptr_null(m);
		} else {
			ck_assert_ptr_nonnull(m);
			ck_assert_str_eq(m->id, id);
			ck_assert_int_eq(m->streams, p % 7);
		}
	}
	/* And it grows again past its old size. */
	for (int i = 0; i < 2000; i++) {
		char id[16];
		snprintf(id, sizeof id, "x%d", i);
		memory_probe(&f.mem, id, i % 2);
	}
	ck_assert_int_eq(memory_engine(&f.mem, "x1999")->probe_ok, 1);
	ck_assert_int_eq(memory_engine(&f.mem, "e19598")->streams, 19598 % 7);
	ck_assert_ptr_null(memory_engine(&f.mem, "x2000"));
	fx_free(&f);
}
END_TEST

START_TEST(memory_sets_find_what_was_added_and_forget_it)
{
	struct memory m;
	memory_init(&m);
	char key[32];
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "acestream-%d", 19000 + i);
		memory_backoff(&m, key, 1000 + i, i % 2 ? "boom" : NULL);
	}
	ck_assert_int_eq(memory_backoff_until(&m, "acestream-19299"), 1299);
	ck_assert_str_eq(memory_backoff_find(&m, "acestream-19001")->error, "boom");
	for (int i = 0; i < 300; i += 2) {
		snprintf(key, sizeof key, "acestream-%d", 19000 + i);
		memory_backoff_clear(&m, key);
	}
	ck_assert_uint_eq(m.backoffs.n, 150);
	ck_assert_int_eq(memory_backoff_until(&m, "acestream-19000"), 0);
	ck_assert_int_eq(memory_backoff_until(&m, "acestream-19001"), 1001);
	memory_backoff_clear(&m, "never-added");
	ck_assert_ptr_null(memory_vpn(&m, "gluetun"));
	memory_vpn_get(&m, "gluetun")->restarts = 3;
	ck_assert_int_eq(memory_vpn(&m, "gluetun")->restarts, 3);
	ck_assert_ptr_null(memory_vpn(NULL, "gluetun"));
	ck_assert_ptr_null(memory_engine(&m, "nothing"));
	memory_free(&m);
	memory_free(&m); /* twice is harmless */
}
END_TEST

/* One VPN's flap state, observation by observation (recover_after and
 * failover_after 15 s). */
START_TEST(memory_flap_state_by_observation)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW);
	const struct memory_vpn *m = memory_vpn(&f.mem, "gluetun");
	ck_assert(m->been_available);
	ck_assert_int_eq(m->available_since_ms, FX_NOW);
	/* A short outage: no failover; an internal reconnect owes restarts. */
	v->health = HEALTH_UNHEALTHY;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 1000);
	ck_assert_int_eq(m->available_since_ms, 0);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 15999);
	ck_assert(!m->failed_over);
	v->health = HEALTH_HEALTHY;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 16000);
	ck_assert(m->was_unavailable);
	ck_assert(m->reconnect_pending);
	ck_assert(!m->reconnect_due);
	ck_assert_int_eq(m->available_since_ms, FX_NOW + 16000);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 30999);
	ck_assert(!m->was_unavailable);
	ck_assert(m->reconnect_pending);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 31000);
	ck_assert(m->reconnect_due);
	ck_assert(!m->reconnect_pending);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 32000);
	ck_assert(!m->reconnect_due);
	/* A long outage fails over, even seen only at its two ends. */
	v->health = HEALTH_UNHEALTHY;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 40000);
	v->health = HEALTH_HEALTHY;
	v->started_at_ms = 50000; /* and the container was restarted */
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 60000);
	ck_assert(m->failed_over);
	ck_assert(!m->reconnect_pending); /* rule 3's stale namespaces instead */
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 75000);
	ck_assert(!m->failed_over);
	fx_free(&f);
}
END_TEST

static struct engine_obs *exited(struct fx *f, int port, int64_t started, int64_t finished, int code)
{
	char name[32];
	snprintf(name, sizeof name, "acestream-%d", port);
	struct engine_obs *e = fx_find_engine(f, name);
	if (!e)
		e = fx_engine(f, "gluetun", port);
	free(e->state);
	e->state = xstrdup("exited");
	e->running = false;
	e->started_at_ms = started;
	e->finished_at_ms = finished;
	e->exit_code = code;
	return e;
}

START_TEST(memory_crash_slot_counts_each_exit_once)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	int64_t t = FX_NOW;
	exited(&f, 19000, t - 3000, t - 1000, 3);
	exited(&f, 19001, t - 3600000, t - 1000, 0); /* ran an hour: no crash */
	memory_observe(&f.mem, &f.cfg, &f.obs, t);
	memory_observe(&f.mem, &f.cfg, &f.obs, t + 1000); /* the same exit again */
	const struct memory_slot *sl = memory_slot(&f.mem, "acestream-19000");
	ck_assert_ptr_nonnull(sl);
	ck_assert_ptr_null(memory_slot(&f.mem, "acestream-19001"));
	ck_assert_int_eq(sl->crashes, 1);
	ck_assert_int_eq(sl->exit_code, 3);
	ck_assert_int_eq(sl->ran_ms, 2000);
	ck_assert_int_eq(sl->next_attempt_ms, t + MEMORY_CRASH_BACKOFF_MIN_MS);
	/* Re-created, crashes again: twice the wait, from when it is seen. */
	exited(&f, 19000, t + 20000, t + 21000, 3);
	memory_observe(&f.mem, &f.cfg, &f.obs, t + 22000);
	ck_assert_int_eq(sl->crashes, 2);
	ck_assert_int_eq(sl->next_attempt_ms, t + 22000 + 2 * MEMORY_CRASH_BACKOFF_MIN_MS);
	/* The wait stops doubling at the cap. */
	for (int i = 0; i < 10; i++) {
		int64_t s0 = t + 100000 * (i + 1);
		exited(&f, 19000, s0, s0 + 500, 3);
		memory_observe(&f.mem, &f.cfg, &f.obs, s0 + 1000);
	}
	ck_assert_int_eq(sl->wait_ms, MEMORY_CRASH_BACKOFF_MAX_MS);
	/* Running for the whole window forgets the slot. */
	struct engine_obs *e = exited(&f, 19000, t + 2000000, 0, 0);
	free(e->state);
	e->state = xstrdup("running");
	e->running = true;
	memory_observe(&f.mem, &f.cfg, &f.obs, t + 2000000);
	ck_assert_ptr_nonnull(memory_slot(&f.mem, "acestream-19000"));
	memory_observe(&f.mem, &f.cfg, &f.obs, t + 2000000 + MEMORY_CRASH_WINDOW_MS);
	ck_assert_ptr_null(memory_slot(&f.mem, "acestream-19000"));
	fx_free(&f);
}
END_TEST

START_TEST(memory_copy_is_deep_with_its_own_indexes)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	for (int p = 19000; p < 19100; p++) {
		fx_engine(&f, "gluetun", p);
		fx_streams(&f, p, p % 3);
	}
	struct engine_obs *e = fx_find_engine(&f, "acestream-19005");
	free(e->state);
	e->state = xstrdup("exited");
	e->running = false;
	e->started_at_ms = FX_NOW - 3000;
	e->finished_at_ms = FX_NOW - 1000;
	e->exit_code = 2;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW);
	memory_vpn_restarted(&f.mem, &f.cfg, "gluetun", FX_NOW);
	memory_backoff(&f.mem, "acestream-19100", FX_NOW + 5000, "boom");
	f.mem.demand = 3;
	struct memory c;
	memory_copy(&c, &f.mem);
	memory_free(&f.mem); /* nothing in the copy may point into it */
	memory_init(&f.mem);
	ck_assert_int_eq(c.demand, 3);
	ck_assert_uint_eq(c.engines.n, 100);
	for (int p = 19000; p < 19100; p++) {
		char id[16];
		snprintf(id, sizeof id, "e%d", p);
		ck_assert_int_eq(memory_engine(&c, id)->streams, p % 3);
	}
	ck_assert_int_eq(memory_vpn(&c, "gluetun")->restarts, 1);
	ck_assert_str_eq(memory_backoff_find(&c, "acestream-19100")->error, "boom");
	ck_assert_int_eq(memory_slot(&c, "acestream-19005")->exit_code, 2);
	/* And it lives on as a memory of its own. */
	memory_probe(&c, "new", true);
	memory_observe(&c, &f.cfg, &f.obs, FX_NOW + 1000);
	ck_assert_ptr_null(memory_engine(&c, "new"));
	ck_assert_ptr_nonnull(memory_engine(&c, "e19099"));
	memory_free(&c);
	fx_free(&f);
}
END_TEST

static Suite *memory_suite(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("memory");
	tcase_add_test(tc, memory_engine_index_survives_growth_and_forgetting);
	tcase_add_test(tc, memory_sets_find_what_was_added_and_forget_it);
	tcase_add_test(tc, memory_flap_state_by_observation);
	tcase_add_test(tc, memory_crash_slot_counts_each_exit_once);
	tcase_add_test(tc, memory_copy_is_deep_with_its_own_indexes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(memory_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
