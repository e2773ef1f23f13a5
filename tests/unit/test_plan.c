/* test_plan.c - unit tests of the pure reconciler (plan.c, memory.c,
 * plan_out.c): one named test per rule of SPEC §5, table-driven where it fits. */
#include "config-auto.h"

#include <check.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_fixtures.h"
#include "util.h"

#define S(f) fx_summary(f)

/* Two VPNs as in the SPEC's redundant example. */
static void two_vpns(struct fx *f)
{
	fx_vpn(f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_vpn(f, "gluetun_2", 19500, 19999, 0, PF_AUTO);
}

/* ---- rule 1: availability ---- */

static const struct {
	bool exists, running;
	enum health_status health;
	bool api_ok;
	bool want;
} avail_cases[] = {
	{ true, true, HEALTH_HEALTHY, true, true },
	{ true, true, HEALTH_HEALTHY, false, true },   /* health check wins */
	{ true, true, HEALTH_STARTING, true, false },  /* starting is not yet */
	{ true, true, HEALTH_UNHEALTHY, true, false },
	{ true, true, HEALTH_NONE, true, true },       /* no health check: api */
	{ true, true, HEALTH_NONE, false, false },
	{ true, false, HEALTH_HEALTHY, true, false },  /* stopped */
	{ false, false, HEALTH_NONE, false, false },   /* missing */
};

START_TEST(rule1_vpn_availability_table)
{
	struct vpn_obs v = { .exists = avail_cases[_i].exists, .running = avail_cases[_i].running,
			     .health = avail_cases[_i].health, .api_ok = avail_cases[_i].api_ok };
	ck_assert_int_eq(plan_vpn_available(&v), avail_cases[_i].want);
}
END_TEST

START_TEST(rule1_starting_vpn_is_not_available)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_STARTING;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(fx_count(&f.plan, ACT_CREATE), 0);
	ck_assert(fx_has_note(&f.plan, "starting"));
	fx_free(&f);
}
END_TEST

START_TEST(rule1_no_healthcheck_vpn_judged_by_api_ok)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	v->health = HEALTH_NONE;
	v->api_ok = true;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19001");
	v->api_ok = false;
	fx_plan(&f, FX_NOW + 1);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

/* ---- rule 2: unavailable VPN ---- */

START_TEST(rule2_unavailable_vpn_engines_left_running_and_hidden)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_UNHEALTHY;
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	memory_probe(&f.mem, "e19000", true);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "2 engines left running"));
	const char *why = NULL;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"), &why));
	ck_assert_str_eq(why, "vpn unavailable");
	fx_vobs(&f, "gluetun")->health = HEALTH_HEALTHY;
	ck_assert(plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"), &why));
	ck_assert_ptr_null(why);
	fx_free(&f);
}
END_TEST

/* Unavailable at t0; plans at t0 + offset (ms). */
static const struct {
	int64_t after_ms;
	int64_t offset_ms;
	bool restart;
} restart_cases[] = {
	{ 60000, 0, false },
	{ 60000, 59999, false },
	{ 60000, 60000, true },
	{ 60000, 3600000, true },
	{ 0, 3600000, false }, /* 0 = never */
};

START_TEST(rule2_restart_after_vpn_restart_after)
{
	struct fx f;
	fx_init(&f);
	f.cfg.health.vpn_restart_after_ms = restart_cases[_i].after_ms;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	fx_plan(&f, FX_NOW + restart_cases[_i].offset_ms);
	ck_assert_int_eq(fx_count(&f.plan, ACT_RESTART_VPN), restart_cases[_i].restart);
	if (restart_cases[_i].restart) {
		ck_assert_str_eq(f.plan.v[0].name, "gluetun");
		ck_assert_str_eq(f.plan.v[0].id, "gluetun-id");
	}
	fx_free(&f);
}
END_TEST

START_TEST(rule2_restart_backoff_doubles_up_to_cap)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_UNHEALTHY;
	int64_t t = FX_NOW;
	fx_plan(&f, t);
	t += 60000;
	/* after 60s, then 120, 240, 480, then capped at 600. */
	const int64_t gaps[] = { 120000, 240000, 480000, 600000, 600000 };
	for (size_t i = 0; i < ARRAY_LEN(gaps); i++) {
		fx_plan(&f, t);
		ck_assert_int_eq(fx_count(&f.plan, ACT_RESTART_VPN), 1);
		memory_vpn_restarted(&f.mem, &f.cfg, "gluetun", t);
		ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->next_restart_allowed_ms, t + gaps[i]);
		fx_plan(&f, t + gaps[i] - 1);
		ck_assert_int_eq(fx_count(&f.plan, ACT_RESTART_VPN), 0);
		ck_assert(fx_has_note(&f.plan, "back-off"));
		t += gaps[i];
	}
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->restarts, 5);
	/* Back to healthy resets the back-off but not the total. */
	fx_vobs(&f, "gluetun")->health = HEALTH_HEALTHY;
	fx_plan(&f, t);
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->backoff_level, 0);
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->next_restart_allowed_ms, 0);
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->restarts, 5);
	fx_free(&f);
}
END_TEST

START_TEST(rule2_no_restart_when_vpn_container_missing)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	v->exists = false;
	v->running = false;
	fx_plan(&f, FX_NOW);
	fx_plan(&f, FX_NOW + 3600000);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "cannot restart"));
	fx_free(&f);
}
END_TEST

/* ---- rule 3: stale namespaces, reconnect ---- */

START_TEST(rule3_stale_restart_when_vpn_restarted)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000)->ns = NS_STALE_RESTART;
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "restart acestream-19000");
	ck_assert_str_eq(f.plan.v[0].id, "e19000");
	ck_assert(strstr(f.plan.v[0].reason, "namespace stale"));
	fx_free(&f);
}
END_TEST

START_TEST(rule3_stale_recreate_uses_new_vpn_id)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19001);
	e->ns = NS_STALE_RECREATE;
	free(e->vpn_id);
	e->vpn_id = xstrdup("old-id");
	fx_engine(&f, "gluetun", 19000);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "recreate acestream-19001");
	const struct engine_spec *s = f.plan.v[0].spec;
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->name, "acestream-19001");
	ck_assert_str_eq(s->network_mode, "container:gluetun-id");
	ck_assert_str_eq(engine_spec_label(s, "acestream.vpn_id"), "gluetun-id");
	ck_assert_int_eq(s->https_port, 45001);
	fx_free(&f);
}
END_TEST

START_TEST(rule3_stale_engines_left_while_vpn_unavailable)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_STARTING;
	fx_engine(&f, "gluetun", 19000)->ns = NS_STALE_RESTART;
	fx_engine(&f, "gluetun", 19001)->ns = NS_STALE_RECREATE;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule3_reconnect_restarts_idle_first)
{
	struct fx f;
	fx_init(&f);
	f.cfg.health.recover_after_ms = 0; /* restarts at once: rule3_flaps_* damps them */
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun", 19002);
	fx_streams(&f, 19000, 1);
	f.cfg.replicas.min = 3;
	v->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	/* Same container ID and StartedAt: Gluetun reconnected internally. */
	v->health = HEALTH_HEALTHY;
	fx_plan(&f, FX_NOW + 5000);
	ck_assert_str_eq(S(&f), "restart acestream-19001, restart acestream-19002, restart acestream-19000");
	/* Only once. */
	fx_plan(&f, FX_NOW + 10000);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule3_reconnect_restart_disabled)
{
	struct fx f;
	fx_init(&f);
	f.cfg.health.restart_engines_on_reconnect = false;
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	v->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	v->health = HEALTH_HEALTHY;
	fx_plan(&f, FX_NOW + 5000);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule3_vpn_container_restart_is_not_a_reconnect)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	v->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	/* The container restarted: observe marks the engines stale instead. */
	v->health = HEALTH_HEALTHY;
	v->started_at_ms = 5000;
	fx_plan(&f, FX_NOW + 5000);
	ck_assert(!memory_vpn(&f.mem, "gluetun")->was_unavailable);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

/* ---- rule 4: target and placement ---- */

START_TEST(rule4_interleaved_placement_over_two_vpns)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19500, "
				"create acestream-19001, create acestream-19501");
	ck_assert_int_eq(f.plan.target, 4);
	for (size_t i = 0; i < f.plan.n; i++)
		ck_assert_int_eq(f.plan.v[i].phase, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_one_vpn_unhealthy_puts_new_engines_on_other)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19500, create acestream-19501, "
				"create acestream-19502, create acestream-19503");
	for (size_t i = 0; i < f.plan.n; i++)
		ck_assert_str_eq(f.plan.v[i].vpn, "gluetun_2");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_both_unavailable_nothing_created_reason)
{
	struct fx f;
	fx_init(&f);
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->health = HEALTH_UNHEALTHY;
	fx_vobs(&f, "gluetun_2")->health = HEALTH_STARTING;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert_ptr_nonnull(f.plan.reason);
	ck_assert(strstr(f.plan.reason, "no VPN available"));
	ck_assert_int_eq(f.plan.capacity, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_range_of_three_has_no_fourth)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 5;
	fx_vpn(&f, "gluetun", 19000, 19002, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun", 19002);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert_int_eq(f.plan.target, 3);
	fx_free(&f);
}
END_TEST

/* T = clamp(max(min, busy + min_free), 0, min(max, capacity)). */
static const struct {
	const char *name;
	int min, max, min_free, busy, max_engines, want;
} target_cases[] = {
	{ "defaults", 2, 20, 1, 0, 10, 2 },
	{ "min_free raises target", 2, 20, 2, 3, 10, 5 },
	{ "max caps target", 2, 4, 2, 4, 10, 4 },
	{ "capacity caps target", 6, 20, 1, 0, 2, 4 },
	{ "zero everything", 0, 20, 0, 0, 10, 0 },
	{ "min above busy+free", 5, 20, 1, 2, 10, 5 },
};

START_TEST(rule4_target_table)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = target_cases[_i].min;
	f.cfg.replicas.max = target_cases[_i].max;
	f.cfg.replicas.min_free = target_cases[_i].min_free;
	fx_vpn(&f, "a", 19000, 19099, target_cases[_i].max_engines, PF_AUTO);
	fx_vpn(&f, "b", 19100, 19199, target_cases[_i].max_engines, PF_AUTO);
	for (int i = 0; i < target_cases[_i].busy; i++) {
		int port = (i % 2 ? 19100 : 19000) + i / 2;
		fx_engine(&f, i % 2 ? "b" : "a", port);
		fx_streams(&f, port, 1);
	}
	fx_plan(&f, FX_NOW);
	ck_assert_msg(f.plan.target == target_cases[_i].want, "%s: target %d, want %d",
		      target_cases[_i].name, f.plan.target, target_cases[_i].want);
	ck_assert_int_eq(f.plan.busy, target_cases[_i].busy);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_min_free_raises_target)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_streams(&f, 19000, 1);
	fx_streams(&f, 19001, 2);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 3);
	ck_assert_str_eq(S(&f), "create acestream-19002");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_max_caps_target)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.max = 2;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_streams(&f, 19000, 1);
	fx_streams(&f, 19001, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 2);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_capacity_caps_target)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 10;
	fx_vpn(&f, "a", 19000, 19099, 2, PF_AUTO);
	fx_vpn(&f, "b", 19100, 19199, 1, PF_AUTO);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.capacity, 3);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19100, create acestream-19001");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_uneven_max_engines_water_filling)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 6;
	fx_vpn(&f, "a", 19000, 19099, 1, PF_AUTO);
	fx_vpn(&f, "b", 19100, 19199, 10, PF_AUTO);
	fx_vpn(&f, "c", 19200, 19299, 10, PF_AUTO);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19100, create acestream-19200, "
				"create acestream-19101, create acestream-19201, create acestream-19102");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_scale_down_removes_idle_highest_first)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	for (int p = 19000; p < 19004; p++)
		fx_engine(&f, "gluetun", p);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19003, remove acestream-19002");
	ck_assert_int_eq(f.plan.v[0].phase, 1);
	ck_assert_int_eq(f.plan.v[0].after, -1);
	fx_free(&f);
}
END_TEST

START_TEST(rule8_busy_engine_protected_from_scale_down)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min_free = 0;
	f.cfg.replicas.min = 1;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	for (int p = 19000; p < 19004; p++)
		fx_engine(&f, "gluetun", p);
	fx_streams(&f, 19003, 1);
	fx_streams(&f, 19002, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 2);
	ck_assert_str_eq(S(&f), "remove acestream-19001, remove acestream-19000");
	/* Everyone busy: nothing can go. */
	fx_streams(&f, 19001, 1);
	fx_streams(&f, 19000, 1);
	f.cfg.replicas.max = 1;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 1);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "active streams"));
	fx_free(&f);
}
END_TEST

START_TEST(rule4_failover_share_moves_to_other_vpn)
{
	struct fx f;
	fx_init(&f);
	f.cfg.health.failover_after_ms = 0; /* no damping: see rule4_damping_* */
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_vobs(&f, "gluetun")->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW + 5000);
	ck_assert_str_eq(S(&f), "create acestream-19502, create acestream-19503");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_return_adds_first_then_removes_surplus)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	/* gluetun came back empty (its engines were removed meanwhile). */
	for (int p = 19500; p < 19504; p++)
		fx_engine(&f, "gluetun_2", p);
	fx_streams(&f, 19503, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 4);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19001, "
				"remove acestream-19502, remove acestream-19501");
	ck_assert_int_eq(f.plan.v[0].phase, 0);
	ck_assert_int_eq(f.plan.v[1].phase, 0);
	ck_assert_int_eq(f.plan.v[2].phase, 1);
	ck_assert_int_eq(f.plan.v[3].phase, 1);
	ck_assert_int_eq(f.plan.v[2].after, -1); /* depends on every create */
	fx_free(&f);
}
END_TEST

START_TEST(rule4_odd_target_does_not_churn)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 3;
	two_vpns(&f);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_lowest_free_port_reused_after_removal)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 3;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19002);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19001");
	ck_assert_int_eq(f.plan.v[0].spec->https_port, 45001);
	ck_assert_int_eq(f.plan.v[0].spec->p2p_port, 50001);
	fx_free(&f);
}
END_TEST

START_TEST(rule4_name_collision_avoided)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	/* Something owned holds the name acestream-19000 with other labels. */
	struct engine_obs *e = fx_engine(&f, "gluetun", 19007);
	free(e->name);
	e->name = xstrdup("acestream-19000");
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19001");
	fx_free(&f);
}
END_TEST

START_TEST(rule4_port_of_engine_being_removed_is_not_free)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	free(e->state);
	e->state = xstrdup("exited");
	e->running = false;
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19000, create acestream-19002");
	ck_assert_int_eq(f.plan.v[0].phase, 0);
	fx_free(&f);
}
END_TEST

/* ---- rule 5: the forwarded engine ---- */

START_TEST(rule5_none_next_created_is_forwarded)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 61234;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000*, create acestream-19001");
	const struct engine_spec *s = f.plan.v[0].spec;
	ck_assert_int_eq(s->p2p_port, 61234);
	ck_assert_int_eq(s->https_port, 45000);
	ck_assert_str_eq(engine_spec_label(s, "acestream.forwarded"), "true");
	ck_assert_str_eq(engine_spec_label(s, "acestream.p2p_port"), "61234");
	ck_assert_int_eq(f.plan.v[1].spec->p2p_port, 50001);
	ck_assert_str_eq(engine_spec_label(f.plan.v[1].spec, "acestream.forwarded"), "false");
	fx_free(&f);
}
END_TEST

START_TEST(rule5_forwarded_replaces_idle_engine)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_streams(&f, 19001, 1);
	v->fwd_port = 61234;
	fx_plan(&f, FX_NOW);
	/* Forwarded created first, then the idle one goes once it exists. */
	ck_assert_str_eq(S(&f), "create acestream-19002*, remove acestream-19000");
	ck_assert_int_eq(f.plan.v[1].phase, 1);
	ck_assert_int_eq(f.plan.v[1].after, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_forwarded_recreated_in_place_when_range_full)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19001, 0, PF_AUTO)->fwd_port = 61234;
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "recreate acestream-19001*");
	ck_assert_int_eq(f.plan.v[0].spec->p2p_port, 61234);
	ck_assert_int_eq(f.plan.v[0].spec->https_port, 45001);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_change_creates_before_removing)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 62000;
	fx_fwd_engine(&f, "gluetun", 19000, 61234);
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19002*, remove acestream-19000");
	ck_assert_int_eq(f.plan.v[0].spec->p2p_port, 62000);
	ck_assert_int_eq(f.plan.v[1].after, 0);
	ck_assert_int_eq(f.plan.v[1].phase, 1);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_change_busy_forwarded_kept)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 62000;
	fx_fwd_engine(&f, "gluetun", 19000, 61234);
	fx_engine(&f, "gluetun", 19001);
	fx_streams(&f, 19000, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19002*");
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_lost_keeps_forwarded_engine)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 0;
	fx_fwd_engine(&f, "gluetun", 19000, 61234);
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_two_forwarded_one_kept)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 61234;
	fx_fwd_engine(&f, "gluetun", 19000, 60000);
	fx_fwd_engine(&f, "gluetun", 19001, 61234);
	fx_plan(&f, FX_NOW);
	/* Keeps the one on the current port; the other goes and a plain
	 * engine takes its place. */
	ck_assert_str_eq(S(&f), "create acestream-19002, remove acestream-19000");
	fx_free(&f);
}
END_TEST

START_TEST(rule5_two_forwarded_keep_lowest_port_when_none_match)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 3;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 0;
	fx_fwd_engine(&f, "gluetun", 19000, 60000);
	fx_fwd_engine(&f, "gluetun", 19001, 60001);
	fx_engine(&f, "gluetun", 19002);
	/* Port lost: both kept. */
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	/* A new port: the lowest one is the keeper (and is replaced for the
	 * port change); the other is an extra. */
	fx_vobs(&f, "gluetun")->fwd_port = 62000;
	fx_plan(&f, FX_NOW + 1);
	ck_assert_str_eq(S(&f), "create acestream-19003*, create acestream-19004, "
				"remove acestream-19001, remove acestream-19000");
	ck_assert_int_eq(f.plan.v[3].after, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_forwarding_off_never_forwards)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_OFF)->fwd_port = 61234;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19001");
	ck_assert_int_eq(f.plan.v[0].spec->p2p_port, 50000);
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_forwarding_off_retires_forwarded_engine)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_OFF)->fwd_port = 61234;
	fx_fwd_engine(&f, "gluetun", 19000, 61234);
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19002, remove acestream-19000");
	fx_free(&f);
}
END_TEST

START_TEST(rule5_port_forwarding_on_without_port_noted)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_ON);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19001");
	ck_assert(fx_has_note(&f.plan, "no forwarded port"));
	fx_free(&f);
}
END_TEST

START_TEST(rule5_forwarded_engine_per_vpn)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->fwd_port = 61000;
	fx_vobs(&f, "gluetun_2")->fwd_port = 62000;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000*, create acestream-19500*, "
				"create acestream-19001, create acestream-19501");
	ck_assert_int_eq(f.plan.v[1].spec->p2p_port, 62000);
	ck_assert_int_eq(f.plan.v[1].spec->https_port, 45000);
	fx_free(&f);
}
END_TEST

/* ---- rule 6: drift ---- */

static void drift(struct fx *f, int port)
{
	char name[32];
	snprintf(name, sizeof name, "acestream-%d", port);
	struct engine_obs *e = fx_find_engine(f, name);
	free(e->config_hash);
	e->config_hash = xstrdup("0123456789abcdef");
}

START_TEST(rule6_drift_idle_first_one_per_vpn)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 3;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	for (int p = 19000; p < 19003; p++) {
		fx_engine(&f, "gluetun", p);
		drift(&f, p);
	}
	fx_streams(&f, 19000, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19003, remove acestream-19001");
	ck_assert_int_eq(f.plan.v[1].after, 0);
	ck_assert(fx_has_note(&f.plan, "drifted"));
	ck_assert_str_eq(engine_spec_label(f.plan.v[0].spec, "acestream.config_hash"), f.hash);
	fx_free(&f);
}
END_TEST

START_TEST(rule6_drift_one_per_vpn_with_two_vpns)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	const int ports[] = { 19000, 19001, 19500, 19501 };
	for (size_t i = 0; i < ARRAY_LEN(ports); i++) {
		fx_engine(&f, i < 2 ? "gluetun" : "gluetun_2", ports[i]);
		drift(&f, ports[i]);
	}
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19002, create acestream-19502, "
				"remove acestream-19000, remove acestream-19500");
	fx_free(&f);
}
END_TEST

START_TEST(rule6_drift_busy_engine_never_replaced)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 1;
	f.cfg.replicas.min_free = 0;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	drift(&f, 19000);
	fx_streams(&f, 19000, 3);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "1 busy"));
	fx_free(&f);
}
END_TEST

START_TEST(rule6_drift_recreated_in_place_when_full)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19001, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	drift(&f, 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "recreate acestream-19001");
	fx_free(&f);
}
END_TEST

START_TEST(rule6_drift_waits_while_vpn_disrupted)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000)->ns = NS_STALE_RESTART;
	fx_engine(&f, "gluetun", 19001);
	drift(&f, 19001);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "restart acestream-19000");
	fx_free(&f);
}
END_TEST

START_TEST(rule6_drift_surplus_removed_without_replacement)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun", 19002);
	drift(&f, 19000);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19000");
	fx_free(&f);
}
END_TEST

/* ---- rule 7: dead, failing, undeclared ---- */

static const struct {
	const char *state;
	bool running;
	bool removed;
} state_cases[] = {
	{ "exited", false, true },
	{ "dead", false, true },
	{ "created", false, true },
	{ "restarting", false, false },
	{ "running", true, false },
};

START_TEST(rule7_exited_engine_removed_and_replaced)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	free(e->state);
	e->state = xstrdup(state_cases[_i].state);
	e->running = state_cases[_i].running;
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	if (state_cases[_i].removed)
		ck_assert_str_eq(S(&f), "remove acestream-19000, create acestream-19002");
	else
		ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule7_probe_failures_remove_engine)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	memory_probe(&f.mem, "e19000", true); /* it fails alone */
	memory_probe(&f.mem, "e19001", false);
	memory_probe(&f.mem, "e19001", false);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	memory_probe(&f.mem, "e19001", false);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19001, create acestream-19002");
	ck_assert(strstr(f.plan.v[0].reason, "3 consecutive probes"));
	const char *why;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19001"), &why));
	ck_assert_str_eq(why, "probe failing");
	/* A success resets the count. */
	memory_probe(&f.mem, "e19001", true);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule7_probe_failures_ignored_while_vpn_down)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->health = HEALTH_UNHEALTHY;
	fx_engine(&f, "gluetun", 19000);
	for (int i = 0; i < 5; i++)
		memory_probe(&f.mem, "e19000", false);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule7_undeclared_vpn_engines_removed)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19600);
	free(e->vpn);
	e->vpn = xstrdup("old_vpn");
	fx_streams(&f, 19600, 2); /* busy or not: its VPN is gone */
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19600");
	ck_assert(strstr(f.plan.v[0].reason, "old_vpn"));
	fx_free(&f);
}
END_TEST

START_TEST(rule7_port_outside_vpn_range_removed)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19700);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-19700, create acestream-19001");
	fx_free(&f);
}
END_TEST

/* ---- rule 9: back-off ---- */

START_TEST(rule9_backoff_skips_action_and_dependents)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	v->fwd_port = 61234;
	memory_backoff(&f.mem, "acestream-19002", FX_NOW + 5000, "image pull failed");
	fx_plan(&f, FX_NOW);
	/* The forwarded create backs off, so the removal it justified waits. */
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "backing off"));
	fx_plan(&f, FX_NOW + 5000);
	ck_assert_str_eq(S(&f), "create acestream-19002*, remove acestream-19001");
	ck_assert_int_eq(f.plan.v[1].after, 0);
	fx_free(&f);
}
END_TEST

/* When no engine of a VPN answers, the probe address or the tunnel is at
 * fault: nothing is removed, and the plan says what to check. */
START_TEST(rule7_probe_failures_of_every_engine_keep_them)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	for (int i = 0; i < 5; i++) {
		memory_probe(&f.mem, "e19000", false);
		memory_probe(&f.mem, "e19001", false);
	}
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert(fx_has_note(&f.plan, "no engine answers its probe"));
	fx_free(&f);
}
END_TEST

/* A container we do not own holds acestream-19002: Docker answered 409, so
 * the next free port is used until that back-off ends. */
START_TEST(rule9_name_taken_create_moves_to_next_free_port)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_OFF);
	fx_engine(&f, "gluetun", 19000);
	f.cfg.replicas.min = 3;
	memory_backoff_fail(&f.mem, "acestream-19001", FX_NOW, 2000, 60000, "HTTP 409: Conflict");
	memory_backoff_name_taken(&f.mem, "acestream-19001");
	fx_plan(&f, FX_NOW + 10);
	ck_assert_str_eq(S(&f), "create acestream-19002, create acestream-19003");
	/* Once the back-off is over, the port is offered again. */
	fx_plan(&f, FX_NOW + 2000);
	ck_assert_str_eq(S(&f), "create acestream-19001, create acestream-19002");
	fx_free(&f);
}
END_TEST

START_TEST(rule9_backoff_wait_doubles_and_is_forgotten)
{
	struct memory m;
	memory_init(&m);
	ck_assert_int_eq((int)memory_backoff_fail(&m, "k", 1000, 2000, 10000, "e"), 2000);
	ck_assert_int_eq((int)memory_backoff_fail(&m, "k", 3000, 2000, 10000, "e"), 4000);
	ck_assert_int_eq((int)memory_backoff_fail(&m, "k", 7000, 2000, 10000, "e"), 8000);
	ck_assert_int_eq((int)memory_backoff_fail(&m, "k", 15000, 2000, 10000, "e"), 10000);
	ck_assert_int_eq((int)memory_backoff_until(&m, "k"), 25000);
	/* Quiet for a whole further wait after it expired: forgotten. */
	struct config cfg = { 0 };
	struct observed obs = { .docker_ok = true };
	memory_observe(&m, &cfg, &obs, 35000);
	ck_assert_int_eq((int)memory_backoff_until(&m, "k"), 0);
	ck_assert_int_eq((int)memory_backoff_fail(&m, "k", 35000, 2000, 10000, "e"), 2000);
	memory_free(&m);
}
END_TEST

/* ---- no-VPN mode ---- */

START_TEST(novpn_mode_ports_and_network)
{
	struct fx f;
	fx_init(&f);
	f.cfg.ports = (struct port_range){ 8000, 8009 };
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-8000, create acestream-8001");
	const struct engine_spec *s = f.plan.v[1].spec;
	ck_assert_str_eq(s->network_mode, "bridge");
	ck_assert(!s->behind_vpn);
	ck_assert_int_eq(s->host_port, 8001);
	ck_assert_int_eq(s->https_port, 45001);
	ck_assert_int_eq(s->p2p_port, 50001);
	ck_assert_str_eq(engine_spec_label(s, "acestream.vpn_container"), "");
	ck_assert_str_eq(engine_spec_label(s, "acestream.forwarded"), "false");
	ck_assert_str_eq(engine_spec_label(s, "host.http_port"), "8001");
	ck_assert_int_eq(f.plan.capacity, 10);
	fx_free(&f);
}
END_TEST

START_TEST(novpn_mode_capacity_is_ports_size)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 9;
	f.cfg.ports = (struct port_range){ 8000, 8002 };
	fx_engine(&f, "", 8000);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(f.plan.target, 3);
	ck_assert_str_eq(S(&f), "create acestream-8001, create acestream-8002");
	fx_free(&f);
}
END_TEST

START_TEST(novpn_mode_engine_with_vpn_label_removed)
{
	struct fx f;
	fx_init(&f);
	f.cfg.ports = (struct port_range){ 8000, 8009 };
	fx_engine(&f, "", 8000);
	fx_engine(&f, "", 8001);
	struct engine_obs *e = fx_engine(&f, "", 8002);
	free(e->vpn);
	e->vpn = xstrdup("gluetun");
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "remove acestream-8002");
	fx_free(&f);
}
END_TEST

/* ---- whole plans ---- */

START_TEST(converged_fleet_gives_empty_plan)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->fwd_port = 61000;
	fx_fwd_engine(&f, "gluetun", 19000, 61000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "");
	ck_assert_ptr_null(f.plan.reason);
	fx_free(&f);
}
END_TEST

START_TEST(converged_after_applying_plan)
{
	/* Feeding the created specs back as observed engines converges. */
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 5;
	two_vpns(&f);
	fx_vobs(&f, "gluetun_2")->fwd_port = 62000;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 5);
	struct plan p = f.plan;
	plan_init(&f.plan);
	for (size_t i = 0; i < p.n; i++) {
		const struct engine_spec *s = p.v[i].spec;
		fx_fwd_engine(&f, s->vpn, s->http_port, s->forwarded ? s->p2p_port : 0);
	}
	plan_free(&p);
	fx_plan(&f, FX_NOW + 1000);
	ck_assert_str_eq(S(&f), "");
	fx_free(&f);
}
END_TEST

START_TEST(docker_not_ok_gives_empty_plan_with_reason)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	f.obs.docker_ok = false;
	f.obs.docker_error = xstrdup("connect: no such file");
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	ck_assert_ptr_nonnull(f.plan.reason);
	ck_assert(strstr(f.plan.reason, "no such file"));
	fx_free(&f);
}
END_TEST

static char *plan_json_string(const struct plan *p)
{
	cJSON *j = plan_to_json(p);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

START_TEST(deterministic_same_inputs_same_plan)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 6;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->fwd_port = 61000;
	fx_engine(&f, "gluetun_2", 19502);
	fx_engine(&f, "gluetun", 19003);
	drift(&f, 19003);
	fx_plan(&f, FX_NOW);
	char *a = plan_json_string(&f.plan);
	struct plan again;
	plan_compute(&f.cfg, &f.obs, &f.mem, FX_NOW, &again);
	char *b = plan_json_string(&again);
	ck_assert_str_eq(a, b);
	/* And the observed order of engines does not matter. */
	struct engine_obs t = f.obs.engines[0];
	f.obs.engines[0] = f.obs.engines[1];
	f.obs.engines[1] = t;
	struct plan swapped;
	plan_compute(&f.cfg, &f.obs, &f.mem, FX_NOW, &swapped);
	char *c = plan_json_string(&swapped);
	ck_assert_str_eq(a, c);
	free(a);
	free(b);
	free(c);
	plan_free(&again);
	plan_free(&swapped);
	fx_free(&f);
}
END_TEST

START_TEST(spec_env_and_cmd_templates_expanded)
{
	struct fx f;
	fx_init(&f);
	/* CONF and P2P_PORT are the default env. */
	fx_env(&f, "WHO", "{name}@{vpn} fwd={forwarded} {{literal}}");
	fx_cmd(&f, "--port={http_port}");
	fx_vpn(&f, "gluetun", 19500, 19999, 0, PF_AUTO)->fwd_port = 61234;
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 2);
	const struct engine_spec *s = f.plan.v[0].spec;
	ck_assert_str_eq(engine_spec_env(s, "CONF"), "--http-port=19500\n--https-port=45000\n--bind-all");
	ck_assert_str_eq(engine_spec_env(s, "P2P_PORT"), "61234");
	ck_assert_str_eq(engine_spec_env(s, "WHO"), "acestream-19500@gluetun fwd=true {literal}");
	ck_assert_int_eq((int)s->n_cmd, 1);
	ck_assert_str_eq(s->cmd[0], "--port=19500");
	s = f.plan.v[1].spec;
	ck_assert_str_eq(engine_spec_env(s, "CONF"), "--http-port=19501\n--https-port=45001\n--bind-all");
	ck_assert_str_eq(engine_spec_env(s, "P2P_PORT"), "50001");
	fx_free(&f);
}
END_TEST

START_TEST(spec_labels_content)
{
	struct fx f;
	fx_init(&f);
	fx_label(&f, "com.example.team", "media");
	fx_label(&f, "acestream.orchestrator", "forged");
	f.cfg.engine.memory_limit = 1LL << 30;
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_plan(&f, FX_NOW);
	const struct engine_spec *s = f.plan.v[1].spec;
	static const char *const want[][2] = {
		{ "acestream.config_hash", NULL },
		{ "acestream.forwarded", "false" },
		{ "acestream.http_port", "19001" },
		{ "acestream.https_port", "45001" },
		{ "acestream.orchestrator", "test" },
		{ "acestream.p2p_port", "50001" },
		{ "acestream.vpn_container", "gluetun" },
		{ "acestream.vpn_id", "gluetun-id" },
		{ "com.example.team", "media" },
		{ "host.http_port", "19001" },
	};
	ck_assert_int_eq((int)s->n_labels, (int)ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		ck_assert_str_eq(s->labels[i].key, want[i][0]);
		ck_assert_str_eq(s->labels[i].val, want[i][1] ? want[i][1] : f.hash);
	}
	ck_assert_str_eq(s->name, "acestream-19001");
	ck_assert_str_eq(s->image, f.cfg.engine.image);
	ck_assert_str_eq(s->network_mode, "container:gluetun-id");
	ck_assert_int_eq(s->memory_limit, 1LL << 30);
	ck_assert_int_eq(s->stop_timeout_ms, 10000);
	ck_assert_int_eq(s->slot, 1);
	fx_free(&f);
}
END_TEST

START_TEST(plan_text_and_json_output)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO)->fwd_port = 61234;
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_plan(&f, FX_NOW);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	plan_format_text(&f.plan, out);
	fclose(out);
	ck_assert_msg(strstr(buf, "Plan: 2 actions") != NULL, "%s", buf);
	ck_assert(strstr(buf, "create      acestream-19002 vpn=gluetun http=19002 https=45002 p2p=61234 forwarded"));
	ck_assert(strstr(buf, "remove      acestream-19001 vpn=gluetun after=1"));
	free(buf);

	cJSON *j = plan_to_json(&f.plan);
	cJSON *acts = cJSON_GetObjectItem(j, "actions");
	ck_assert_int_eq(cJSON_GetArraySize(acts), 2);
	cJSON *a0 = cJSON_GetArrayItem(acts, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(a0, "action")->valuestring, "create");
	cJSON *spec = cJSON_GetObjectItem(a0, "spec");
	ck_assert_int_eq(cJSON_GetObjectItem(spec, "p2p_port")->valueint, 61234);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(spec, "forwarded")));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "labels"), "acestream.http_port")->valuestring,
			 "19002");
	cJSON *a1 = cJSON_GetArrayItem(acts, 1);
	ck_assert_int_eq(cJSON_GetObjectItem(a1, "after")->valueint, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(a1, "id")->valuestring, "e19001");
	cJSON_Delete(j);

	/* Empty plan. */
	plan_free(&f.plan);
	plan_init(&f.plan);
	buf = NULL;
	out = open_memstream(&buf, &len);
	plan_format_text(&f.plan, out);
	fclose(out);
	ck_assert(strstr(buf, "No changes"));
	free(buf);
	fx_free(&f);
}
END_TEST

START_TEST(action_kind_names)
{
	ck_assert_str_eq(action_kind_str(ACT_CREATE), "create");
	ck_assert_str_eq(action_kind_str(ACT_START), "start");
	ck_assert_str_eq(action_kind_str(ACT_RESTART), "restart");
	ck_assert_str_eq(action_kind_str(ACT_REMOVE), "remove");
	ck_assert_str_eq(action_kind_str(ACT_RECREATE), "recreate");
	ck_assert_str_eq(action_kind_str(ACT_RESTART_VPN), "restart_vpn");
	ck_assert_str_eq(action_kind_str((enum action_kind)99), "unknown");
}
END_TEST

/* ---- memory ---- */

START_TEST(memory_observe_tracks_outage_and_forgets_gone)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_streams(&f, 19000, 2);
	memory_set_streams(&f.mem, "gone", 1);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW);
	ck_assert_ptr_null(memory_engine(&f.mem, "gone"));
	ck_assert_int_eq(memory_engine(&f.mem, "e19000")->streams, 2);
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->unavailable_since_ms, 0);
	v->health = HEALTH_UNHEALTHY;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 1);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 2);
	ck_assert_int_eq(memory_vpn(&f.mem, "gluetun")->unavailable_since_ms, FX_NOW + 1);
	/* Docker down: memory untouched. */
	f.obs.docker_ok = false;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 3);
	ck_assert_ptr_nonnull(memory_engine(&f.mem, "e19000"));
	f.obs.docker_ok = true;
	v->health = HEALTH_HEALTHY;
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 4);
	ck_assert(memory_vpn(&f.mem, "gluetun")->was_unavailable);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 5);
	ck_assert(!memory_vpn(&f.mem, "gluetun")->was_unavailable);
	/* Back-offs expire. */
	memory_backoff(&f.mem, "x", FX_NOW + 10, NULL);
	ck_assert_int_eq(memory_backoff_until(&f.mem, "x"), FX_NOW + 10);
	memory_observe(&f.mem, &f.cfg, &f.obs, FX_NOW + 10);
	ck_assert_int_eq(memory_backoff_until(&f.mem, "x"), 0);
	fx_free(&f);
}
END_TEST

START_TEST(visibility_reasons)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	const char *why = NULL;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, e, &why));
	ck_assert_str_eq(why, "not probed yet");
	memory_probe(&f.mem, "e19000", true);
	ck_assert(plan_engine_visible(&f.cfg, &f.obs, &f.mem, e, &why));
	e->ns = NS_STALE_RESTART;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, e, &why));
	ck_assert_str_eq(why, "network namespace stale");
	e->ns = NS_CURRENT;
	free(e->vpn);
	e->vpn = xstrdup("other");
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, e, &why));
	ck_assert_str_eq(why, "vpn not declared");
	fx_free(&f);
}
END_TEST

/* ---- flap damping (issue 8: health.failover_after, recover_after) ---- */

/* Applies a plan to the observed world as Docker would (every action
 * succeeds), so that a simulation can run pass after pass. */
static void sim_apply(struct fx *f, int64_t now)
{
	for (size_t a = 0; a < f->plan.n; a++) {
		const struct action *act = &f->plan.v[a];
		const struct engine_spec *s = act->spec;
		struct engine_obs *e = act->id ? NULL : NULL;
		for (size_t i = 0; act->id && i < f->obs.n_engines; i++)
			if (str_eq(f->obs.engines[i].id, act->id))
				e = &f->obs.engines[i];
		switch (act->kind) {
		case ACT_RESTART:
		case ACT_START:
			if (e) {
				free(e->state);
				e->state = xstrdup("running");
				e->running = true;
				e->started_at_ms = now;
				e->ns = NS_CURRENT;
			}
			break;
		case ACT_REMOVE:
		case ACT_RECREATE:
			if (e) {
				engine_obs_clear(e);
				*e = f->obs.engines[--f->obs.n_engines];
			}
			if (act->kind == ACT_REMOVE)
				break;
			/* fall through */
		case ACT_CREATE:
			fx_fwd_engine(f, s->vpn, s->http_port, s->forwarded ? s->p2p_port : 0)->started_at_ms = now;
			break;
		case ACT_RESTART_VPN:
			break;
		}
	}
}

/* One VPN of two goes unhealthy at t0: its engines are hidden at once, but
 * its share moves to the other VPN only after failover_after. */
static const struct {
	int64_t offset_ms;
	int creates;
} failover_cases[] = {
	{ 0, 0 },
	{ 5000, 0 },
	{ 14999, 0 },
	{ 15000, 2 },
	{ 40000, 2 },
};

START_TEST(rule4_damping_share_moves_after_failover_after)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	memory_probe(&f.mem, "e19000", true);
	fx_plan(&f, FX_NOW - 1000);
	ck_assert_int_eq((int)f.plan.n, 0);
	fx_vobs(&f, "gluetun")->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	const char *why;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"), &why));
	ck_assert_str_eq(why, "vpn unavailable");
	fx_plan(&f, FX_NOW + failover_cases[_i].offset_ms);
	ck_assert_int_eq(fx_count(&f.plan, ACT_CREATE), failover_cases[_i].creates);
	ck_assert_int_eq(fx_count(&f.plan, ACT_REMOVE), 0);
	ck_assert_int_eq(f.plan.target, 4);
	for (size_t i = 0; i < f.plan.n; i++)
		ck_assert_str_eq(f.plan.v[i].vpn, "gluetun_2");
	if (!failover_cases[_i].creates)
		ck_assert(fx_has_note(&f.plan, "its share stays with it"));
	fx_free(&f);
}
END_TEST

START_TEST(rule4_damping_vpn_never_available_holds_no_share)
{
	/* A boot: Gluetun still connecting when the daemon starts. Until a
	 * VPN has been seen available it has no share to hold. */
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->health = HEALTH_STARTING;
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19500, create acestream-19501, "
				"create acestream-19502, create acestream-19503");
	ck_assert(!fx_has_note(&f.plan, "its share stays with it"));
	sim_apply(&f, FX_NOW);
	/* It connects: its share comes back at once (it never failed over),
	 * make before break. */
	fx_vobs(&f, "gluetun")->health = HEALTH_HEALTHY;
	fx_plan(&f, FX_NOW + 8000);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19001, "
				"remove acestream-19503, remove acestream-19502");
	ck_assert_int_eq(f.plan.v[2].phase, 1);
	fx_free(&f);
}
END_TEST

/* A VPN that failed over gets its share back only once it has stayed
 * available for recover_after; then make before break as rule 4 says. */
START_TEST(rule4_damping_share_returns_after_recover_after)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	fx_plan(&f, FX_NOW);
	struct vpn_obs *v = fx_vobs(&f, "gluetun");
	v->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW + 1000);
	fx_plan(&f, FX_NOW + 20000);
	ck_assert_str_eq(S(&f), "create acestream-19502, create acestream-19503");
	sim_apply(&f, FX_NOW + 20000);
	fx_plan(&f, FX_NOW + 25000);
	ck_assert_str_eq(S(&f), "");
	/* Back at t1 (a container restart, so no reconnect restarts). */
	int64_t t1 = FX_NOW + 30000;
	v->health = HEALTH_HEALTHY;
	v->started_at_ms = 29000;
	fx_plan(&f, t1);
	ck_assert_str_eq(S(&f), "");
	ck_assert(fx_has_note(&f.plan, "its share returns once it has stayed available 15s"));
	fx_plan(&f, t1 + 14999);
	ck_assert_str_eq(S(&f), "");
	fx_plan(&f, t1 + 15000);
	ck_assert_str_eq(S(&f), "remove acestream-19503, remove acestream-19502");
	ck_assert_int_eq(f.plan.v[0].phase, 1);
	ck_assert(!memory_vpn(&f.mem, "gluetun")->failed_over);
	fx_free(&f);
}
END_TEST

/* Issue 8's measurement: 10 flaps of 2 s down / 2 s up of one VPN (an
 * internal Gluetun reconnect each time), a pass every 500 ms, every plan
 * applied. Damped: at most one restart per engine of that VPN, no create
 * or remove. Case 1 turns damping off to show the same simulation does see
 * the churn the damping removes. */
START_TEST(rule3_flaps_restart_each_engine_once)
{
	bool damped = _i == 0;
	struct fx f;
	fx_init(&f);
	if (!damped) {
		f.cfg.health.failover_after_ms = 0;
		f.cfg.health.recover_after_ms = 0;
	}
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	fx_engine(&f, "gluetun_2", 19500);
	fx_engine(&f, "gluetun_2", 19501);
	int creates = 0, removes = 0, restarts[2] = { 0, 0 }, other = 0;
	bool hidden_pending = false;
	int64_t t = FX_NOW;
	for (int step = 0; step < 164; step++, t += 500) {
		/* Up for 2 s, 10 flaps (2 s down, 2 s up) over 40 s, then 40 s
		 * of calm. */
		bool up = step < 4 || step >= 84 || ((step - 4) / 4) % 2 == 1;
		fx_vobs(&f, "gluetun")->health = up ? HEALTH_HEALTHY : HEALTH_UNHEALTHY;
		fx_plan(&f, t);
		for (size_t a = 0; a < f.plan.n; a++) {
			const struct action *act = &f.plan.v[a];
			creates += act->kind == ACT_CREATE || act->kind == ACT_RECREATE;
			removes += act->kind == ACT_REMOVE || act->kind == ACT_RECREATE;
			if (act->kind == ACT_RESTART && str_eq(act->name, "acestream-19000"))
				restarts[0]++;
			else if (act->kind == ACT_RESTART && str_eq(act->name, "acestream-19001"))
				restarts[1]++;
			else if (act->kind == ACT_RESTART)
				other++;
		}
		const char *why = NULL;
		struct engine_obs *e = fx_find_engine(&f, "acestream-19000");
		if (up && e && !plan_engine_visible(&f.cfg, &f.obs, &f.mem, e, &why) &&
		    strstr(why, "restart pending"))
			hidden_pending = true;
		sim_apply(&f, t);
	}
	if (damped) {
		ck_assert_int_eq(creates, 0);
		ck_assert_int_eq(removes, 0);
		ck_assert_int_eq(restarts[0], 1);
		ck_assert_int_eq(restarts[1], 1);
		ck_assert(hidden_pending);
	} else {
		ck_assert_int_gt(creates, 0);
		ck_assert_int_gt(removes, 0);
		ck_assert_int_gt(restarts[0], 1);
	}
	ck_assert_int_eq(other, 0);
	fx_free(&f);
}
END_TEST

START_TEST(rule3_reconnect_restart_waits_for_recover_after)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19000);
	fx_engine(&f, "gluetun", 19001);
	memory_probe(&f.mem, "e19000", true);
	v->health = HEALTH_UNHEALTHY;
	fx_plan(&f, FX_NOW);
	v->health = HEALTH_HEALTHY;
	fx_plan(&f, FX_NOW + 3000);
	ck_assert_str_eq(S(&f), "");
	ck_assert(fx_has_note(&f.plan, "restarted once it has stayed available 15s (in 15s)"));
	const char *why;
	ck_assert(!plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"), &why));
	ck_assert(strstr(why, "restart pending"));
	fx_plan(&f, FX_NOW + 17999);
	ck_assert_str_eq(S(&f), "");
	fx_plan(&f, FX_NOW + 18000);
	ck_assert_str_eq(S(&f), "restart acestream-19000, restart acestream-19001");
	fx_plan(&f, FX_NOW + 18500);
	ck_assert_str_eq(S(&f), "");
	ck_assert(plan_engine_visible(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"), &why));
	fx_free(&f);
}
END_TEST

/* ---- exited engines: host reboot, dockerd restart (issue 8 item 4) ---- */

static void set_exited(struct engine_obs *e, int64_t started, int64_t finished, int code)
{
	free(e->state);
	e->state = xstrdup("exited");
	e->running = false;
	e->started_at_ms = started;
	e->finished_at_ms = finished;
	e->exit_code = code;
}

START_TEST(reboot_exited_engine_left_while_vpn_not_running)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	v->running = false;
	free(v->state);
	v->state = xstrdup("exited");
	set_exited(fx_engine(&f, "gluetun", 19000), 2000, 3600000, 255);
	set_exited(fx_engine(&f, "gluetun", 19001), 2000, 3600000, 255);
	fx_plan(&f, FX_NOW);
	fx_plan(&f, FX_NOW + 3600000); /* even much later: the VPN is what is missing */
	ck_assert_int_eq(fx_count(&f.plan, ACT_REMOVE), 0);
	ck_assert_int_eq(fx_count(&f.plan, ACT_START), 0);
	ck_assert_int_eq(fx_count(&f.plan, ACT_CREATE), 0);
	ck_assert(fx_has_note(&f.plan, "2 exited engines left until the VPN is available"));
	fx_free(&f);
}
END_TEST

/* An exited engine of an available VPN, by how its namespace stands (as
 * observe_classify finds it) and its config hash. */
static const struct {
	const char *name;
	int64_t vpn_started; /* the engine started at 2000 */
	const char *vpn_id;  /* gluetun-id is the label's */
	bool drift;
	const char *want;
} exited_cases[] = {
	{ "stopped with its vpn", 50000, "gluetun-id", false, "start acestream-19000" },
	{ "stopped with its vpn, drifted", 50000, "gluetun-id", true, "recreate acestream-19000" },
	{ "vpn re-created meanwhile", 50000, "gluetun-new", false, "recreate acestream-19000" },
	{ "stopped on its own", 1000, "gluetun-id", false,
	  "remove acestream-19000, create acestream-19002" },
};

START_TEST(reboot_exited_engine_by_namespace_table)
{
	struct fx f;
	fx_init(&f);
	struct vpn_obs *v = fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	v->started_at_ms = exited_cases[_i].vpn_started;
	free(v->id);
	v->id = xstrdup(exited_cases[_i].vpn_id);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	free(e->vpn_id);
	e->vpn_id = xstrdup("gluetun-id");
	free(e->network_mode);
	e->network_mode = xstrdup("container:gluetun-id");
	set_exited(e, 2000, 3600000, 0); /* ran an hour: no crash */
	e->ns = observe_classify(e->network_mode, e->started_at_ms, e->vpn_id, v);
	if (exited_cases[_i].drift)
		drift(&f, 19000);
	fx_engine(&f, "gluetun", 19001)->ns =
		str_eq(v->id, "gluetun-id") ? NS_CURRENT : NS_STALE_RECREATE;
	fx_plan(&f, FX_NOW);
	const char *got = S(&f);
	/* 19001's own re-create (VPN re-created) comes with the third case. */
	ck_assert_msg(strncmp(got, exited_cases[_i].want, strlen(exited_cases[_i].want)) == 0,
		      "%s: %s", exited_cases[_i].name, got);
	int i = fx_index(&f.plan, f.plan.v[0].kind, "acestream-19000");
	ck_assert_int_eq(i, 0);
	if (f.plan.v[0].kind == ACT_START) {
		ck_assert_str_eq(f.plan.v[0].id, "e19000");
		ck_assert(strstr(f.plan.v[0].reason, "host reboot or dockerd restart"));
	}
	if (f.plan.v[0].kind == ACT_RECREATE) {
		char *mode = xasprintf("container:%s", v->id);
		ck_assert_str_eq(f.plan.v[0].spec->network_mode, mode);
		free(mode);
		ck_assert_str_eq(engine_spec_label(f.plan.v[0].spec, "acestream.vpn_id"), v->id);
		ck_assert_str_eq(engine_spec_label(f.plan.v[0].spec, "acestream.config_hash"), f.hash);
	}
	fx_free(&f);
}
END_TEST

/* The whole of a host reboot: every container stopped; the VPNs come back
 * first (restart policy), not healthy yet, then healthy; engines are
 * started, none created or removed. */
START_TEST(reboot_fleet_started_once_vpns_are_back)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 4;
	two_vpns(&f);
	const int ports[] = { 19000, 19001, 19500, 19501 };
	for (size_t i = 0; i < ARRAY_LEN(ports); i++)
		fx_engine(&f, i < 2 ? "gluetun" : "gluetun_2", ports[i]);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq((int)f.plan.n, 0);
	/* Down: VPNs and engines exited. */
	for (size_t i = 0; i < f.obs.n_vpns; i++) {
		struct vpn_obs *v = &f.obs.vpns[i];
		v->running = false;
		v->health = HEALTH_UNHEALTHY;
	}
	for (size_t i = 0; i < f.obs.n_engines; i++)
		set_exited(&f.obs.engines[i], 2000, 7200000, 0);
	fx_plan(&f, FX_NOW + 1000);
	ck_assert_int_eq((int)f.plan.n, 0);
	/* VPN containers started again (new StartedAt), Gluetun connecting. */
	for (size_t i = 0; i < f.obs.n_vpns; i++) {
		f.obs.vpns[i].running = true;
		f.obs.vpns[i].health = HEALTH_STARTING;
		f.obs.vpns[i].started_at_ms = 8000000;
	}
	for (size_t i = 0; i < f.obs.n_engines; i++) {
		struct engine_obs *e = &f.obs.engines[i];
		e->ns = observe_classify(e->network_mode, e->started_at_ms, e->vpn_id, fx_vobs(&f, e->vpn));
		ck_assert_int_eq(e->ns, NS_STALE_RESTART);
	}
	fx_plan(&f, FX_NOW + 20000);
	ck_assert_int_eq((int)f.plan.n, 0);
	for (size_t i = 0; i < f.obs.n_vpns; i++)
		f.obs.vpns[i].health = HEALTH_HEALTHY;
	fx_plan(&f, FX_NOW + 30000);
	ck_assert_str_eq(S(&f), "start acestream-19000, start acestream-19001, "
				"start acestream-19500, start acestream-19501");
	sim_apply(&f, FX_NOW + 30000);
	fx_plan(&f, FX_NOW + 35000);
	ck_assert_str_eq(S(&f), "");
	fx_free(&f);
}
END_TEST

/* dockerd restarted seconds after the engines started: they exited well
 * inside the crash window, but their VPN started after them, which
 * explains the exit. They are started again, not treated as a crash loop
 * (found by scenario_dockerd_restart). */
START_TEST(reboot_soon_after_start_is_no_crash_loop)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	f.cfg.replicas.min = 1;
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "");
	/* Down one second after the engine started, exit code 0 (SIGTERM). */
	f.obs.vpns[0].running = false;
	set_exited(e, FX_NOW - 1000, FX_NOW, 0);
	fx_plan(&f, FX_NOW + 500);
	ck_assert_str_eq(S(&f), "");
	f.obs.vpns[0].running = true;
	f.obs.vpns[0].health = HEALTH_HEALTHY;
	f.obs.vpns[0].started_at_ms = FX_NOW + 2000;
	e->ns = observe_classify(e->network_mode, e->started_at_ms, e->vpn_id, fx_vobs(&f, e->vpn));
	ck_assert_int_eq(e->ns, NS_STALE_RESTART);
	fx_plan(&f, FX_NOW + 3000);
	ck_assert_str_eq(S(&f), "start acestream-19000");
	fx_free(&f);
}
END_TEST

/* ---- crash loops (issue 9 item 4) ---- */

/* An engine whose image ignores our env: it exits 2 s after every start.
 * A pass every second for fifteen minutes, every plan applied; the slot is
 * re-created with a doubling back-off and the fleet never spills onto new
 * ports. */
START_TEST(crash_loop_recreated_with_backoff_per_slot)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19001);
	int64_t t = FX_NOW;
	set_exited(fx_engine(&f, "gluetun", 19000), t - 5000, t - 3000, 1);
	int64_t recreated_at[16];
	int n = 0, others = 0;
	bool noted = false, hidden = false;
	for (; t < FX_NOW + 900000; t += 1000) {
		struct engine_obs *e = fx_find_engine(&f, "acestream-19000");
		if (e && e->running && t - e->started_at_ms >= 2000)
			set_exited(e, e->started_at_ms, e->started_at_ms + 2000, 1);
		fx_plan(&f, t);
		for (size_t a = 0; a < f.plan.n; a++) {
			if (f.plan.v[a].kind == ACT_RECREATE && str_eq(f.plan.v[a].name, "acestream-19000")) {
				ck_assert(strstr(f.plan.v[a].reason, "crash loop: exited 2s after starting (exit code 1)"));
				ck_assert_int_lt(n, (int)ARRAY_LEN(recreated_at));
				recreated_at[n++] = t;
			} else {
				others++;
			}
		}
		if (fx_has_note(&f.plan, "acestream-19000 exited 2s after starting (exit code 1)"))
			noted = true;
		char why[256];
		e = fx_find_engine(&f, "acestream-19000");
		if (!plan_engine_visible_at(&f.cfg, &f.obs, &f.mem, e, t, why, sizeof why) &&
		    strstr(why, "crash loop") && strstr(why, "next attempt in"))
			hidden = true;
		sim_apply(&f, t);
	}
	/* Waits 10, 20, 40, 80, 160, 300 s after each exit (seen 2 s after
	 * the start, on the pass after it). */
	const int64_t waits[] = { 10000, 20000, 40000, 80000, 160000, 300000 };
	ck_assert_int_ge(n, (int)ARRAY_LEN(waits));
	for (int i = 1; i < (int)ARRAY_LEN(waits); i++)
		ck_assert_msg(recreated_at[i] - recreated_at[i - 1] == 2000 + waits[i],
			      "attempt %d after %lld ms", i, (long long)(recreated_at[i] - recreated_at[i - 1]));
	ck_assert_int_eq(n, 6); /* in fifteen minutes; one every few passes without back-off */
	ck_assert_int_eq(others, 0);
	ck_assert(noted);
	ck_assert(hidden);
	fx_free(&f);
}
END_TEST

START_TEST(crash_loop_forgotten_once_the_engine_runs)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19001);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19000);
	set_exited(e, FX_NOW - 5000, FX_NOW - 3000, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_int_eq(memory_slot(&f.mem, "acestream-19000")->crashes, 1);
	fx_plan(&f, FX_NOW + 10000);
	ck_assert_str_eq(S(&f), "recreate acestream-19000");
	sim_apply(&f, FX_NOW + 10000);
	fx_plan(&f, FX_NOW + 11000);
	ck_assert_ptr_nonnull(memory_slot(&f.mem, "acestream-19000"));
	fx_plan(&f, FX_NOW + 71000);
	ck_assert_ptr_null(memory_slot(&f.mem, "acestream-19000"));
	/* A later exit after a long run is plain rule 7 again. */
	e = fx_find_engine(&f, "acestream-19000");
	set_exited(e, e->started_at_ms, FX_NOW + 80000, 137);
	fx_plan(&f, FX_NOW + 81000);
	ck_assert_str_eq(S(&f), "remove acestream-19000, create acestream-19002");
	fx_free(&f);
}
END_TEST

START_TEST(crash_loop_create_on_vanished_slot_waits)
{
	struct fx f;
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_engine(&f, "gluetun", 19001);
	set_exited(fx_engine(&f, "gluetun", 19000), FX_NOW - 5000, FX_NOW - 3000, 1);
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "");
	/* Someone removes it by hand: the slot is free, its back-off is not. */
	engine_obs_clear(&f.obs.engines[1]);
	f.obs.n_engines = 1;
	fx_plan(&f, FX_NOW + 5000);
	ck_assert_str_eq(S(&f), "");
	ck_assert(fx_has_note(&f.plan, "create acestream-19000 skipped: the last engine in this slot exited"));
	fx_plan(&f, FX_NOW + 10000);
	ck_assert_str_eq(S(&f), "create acestream-19000");
	fx_free(&f);
}
END_TEST

/* ---- provision demand (POST /provision/acestream) ---- */

/* T = clamp(max(min, busy + min_free + demand), 0, min(max, capacity)). */
static const struct {
	const char *name;
	int min, max, min_free, busy, demand, max_engines, want;
	const char *note;
} demand_cases[] = {
	{ "no demand", 2, 20, 1, 0, 0, 10, 2, NULL },
	{ "below min", 4, 20, 1, 0, 2, 10, 4, "provision demand of 2: target 4" },
	{ "raises target", 2, 20, 1, 3, 2, 10, 6, "target 6 = max(min 2, 3 busy + 1 min_free + 2)" },
	{ "capped by max", 2, 5, 1, 3, 4, 10, 5, "capped by replicas.max" },
	{ "capped by capacity", 2, 20, 1, 3, 30, 4, 8, "capped by the capacity of the VPNs" },
};

START_TEST(rule4_provision_demand_table)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = demand_cases[_i].min;
	f.cfg.replicas.max = demand_cases[_i].max;
	f.cfg.replicas.min_free = demand_cases[_i].min_free;
	fx_vpn(&f, "a", 19000, 19099, demand_cases[_i].max_engines, PF_OFF);
	fx_vpn(&f, "b", 19100, 19199, demand_cases[_i].max_engines, PF_OFF);
	for (int i = 0; i < demand_cases[_i].busy; i++) {
		int port = (i % 2 ? 19100 : 19000) + i / 2;
		fx_engine(&f, i % 2 ? "b" : "a", port);
		fx_streams(&f, port, 1);
	}
	f.mem.demand = demand_cases[_i].demand;
	fx_plan(&f, FX_NOW);
	ck_assert_msg(f.plan.target == demand_cases[_i].want, "%s: target %d, want %d",
		      demand_cases[_i].name, f.plan.target, demand_cases[_i].want);
	ck_assert_int_eq(fx_count(&f.plan, ACT_CREATE), demand_cases[_i].want - demand_cases[_i].busy);
	if (demand_cases[_i].note)
		ck_assert_msg(fx_has_note(&f.plan, demand_cases[_i].note), "%s: no note \"%s\"",
			      demand_cases[_i].name, demand_cases[_i].note);
	else
		ck_assert(!fx_has_note(&f.plan, "provision demand"));
	fx_free(&f);
}
END_TEST

/* ---- scale: the same plans, linear work (issue 9) ---- */

static uint64_t test_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Rule 4's spread as it was first written: one engine at a time to the
 * available VPN with the smallest share (ties: more engines, then
 * declaration order). The planner computes it per level instead. */
static void spread_one_at_a_time(const int *max, const int *busy, const bool *avail, int n,
				 int t, int *share)
{
	int sum = 0;
	for (int i = 0; i < n; i++) {
		share[i] = avail[i] ? busy[i] : 0;
		sum += share[i];
	}
	while (sum < t) {
		int best = -1;
		for (int i = 0; i < n; i++) {
			if (!avail[i] || share[i] >= max[i])
				continue;
			if (best < 0 || share[i] < share[best] ||
			    (share[i] == share[best] && busy[i] > busy[best]))
				best = i;
		}
		if (best < 0)
			break;
		share[best]++;
		sum++;
	}
}

START_TEST(rule4_spread_matches_one_at_a_time)
{
	/* _i seeds one random fleet of busy engines (no idle ones, so the
	 * plan only creates): creates per VPN must be share - busy. */
	uint64_t seed = ((uint64_t)_i + 1) * 0x9e3779b97f4a7c15ULL;
	for (int w = 0; w < 8; w++) /* nearby seeds start alike */
		test_rnd(&seed);
	struct fx f;
	fx_init(&f);
	f.cfg.health.failover_after_ms = 0;
	int n = 1 + (int)(test_rnd(&seed) % 6);
	int max[6], busy[6], share[6];
	bool avail[6];
	char name[6][8];
	for (int i = 0; i < n; i++) {
		snprintf(name[i], sizeof name[i], "v%d", i);
		max[i] = 1 + (int)(test_rnd(&seed) % 6);
		busy[i] = (int)(test_rnd(&seed) % 5);
		avail[i] = test_rnd(&seed) % 5 != 0;
		struct vpn_obs *v = fx_vpn(&f, name[i], 19000 + 100 * i, 19099 + 100 * i, max[i], PF_OFF);
		if (!avail[i])
			v->health = HEALTH_UNHEALTHY;
		for (int b = 0; b < busy[i]; b++) {
			fx_engine(&f, name[i], 19000 + 100 * i + b);
			fx_streams(&f, 19000 + 100 * i + b, 1);
		}
	}
	f.cfg.replicas.min = (int)(test_rnd(&seed) % 20);
	f.cfg.replicas.min_free = (int)(test_rnd(&seed) % 4);
	f.cfg.replicas.max = 1 + (int)(test_rnd(&seed) % 30);
	fx_plan(&f, FX_NOW);
	spread_one_at_a_time(max, busy, avail, n, f.plan.target, share);
	for (int i = 0; i < n; i++) {
		int creates = 0;
		for (size_t a = 0; a < f.plan.n; a++)
			creates += f.plan.v[a].kind == ACT_CREATE && str_eq(f.plan.v[a].vpn, name[i]);
		int want = avail[i] && share[i] > busy[i] ? share[i] - busy[i] : 0;
		ck_assert_msg(creates == want, "case %d vpn %s: %d creates, want %d (target %d)", _i,
			      name[i], creates, want, f.plan.target);
	}
	ck_assert_int_eq(fx_count(&f.plan, ACT_REMOVE), 0);
	fx_free(&f);
}
END_TEST

/* Engines that do not sit in their own slot (two on one port, a port out
 * of range, an undeclared VPN) are ordered by a sort, the rest by their
 * slot; whatever Docker's list order, the plan is the same. */
START_TEST(order_independent_of_docker_list_order)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 7;
	two_vpns(&f);
	fx_vobs(&f, "gluetun")->fwd_port = 61000;
	fx_engine(&f, "gluetun", 19003);
	fx_engine(&f, "gluetun", 19001);
	drift(&f, 19001);
	struct engine_obs *e = fx_engine(&f, "gluetun", 19002);
	free(e->name);
	e->name = xstrdup("acestream-19002b"); /* a second engine on 19002 */
	fx_engine(&f, "gluetun", 19002);
	fx_engine(&f, "gluetun_2", 19700);     /* out of its range */
	fx_engine(&f, "gluetun_2", 19500);
	e = fx_engine(&f, "gluetun_2", 19501);
	free(e->vpn);
	e->vpn = xstrdup("old_vpn");
	fx_engine(&f, "gluetun", 18999);       /* below its range */
	fx_plan(&f, FX_NOW);
	char *want = plan_json_string(&f.plan);
	size_t n = f.obs.n_engines;
	for (size_t rot = 1; rot <= n; rot++) {
		/* Rotations, then the reversed list. */
		struct engine_obs *v = xcalloc(n, sizeof *v);
		for (size_t i = 0; i < n; i++)
			v[i] = rot < n ? f.obs.engines[(i + rot) % n] : f.obs.engines[n - 1 - i];
		struct observed o = f.obs;
		o.engines = v;
		struct plan p;
		plan_compute(&f.cfg, &o, &f.mem, FX_NOW, &p);
		char *got = plan_json_string(&p);
		ck_assert_msg(strcmp(got, want) == 0, "order %zu:\n%s\nwant\n%s", rot, got, want);
		free(got);
		plan_free(&p);
		free(v);
	}
	free(want);
	fx_free(&f);
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, rule1_vpn_availability_table, 0, (int)ARRAY_LEN(avail_cases));
	tcase_add_test(tc, rule1_starting_vpn_is_not_available);
	tcase_add_test(tc, rule1_no_healthcheck_vpn_judged_by_api_ok);
	tcase_add_test(tc, rule2_unavailable_vpn_engines_left_running_and_hidden);
	tcase_add_loop_test(tc, rule2_restart_after_vpn_restart_after, 0, (int)ARRAY_LEN(restart_cases));
	tcase_add_test(tc, rule2_restart_backoff_doubles_up_to_cap);
	tcase_add_test(tc, rule2_no_restart_when_vpn_container_missing);
	tcase_add_test(tc, rule3_stale_restart_when_vpn_restarted);
	tcase_add_test(tc, rule3_stale_recreate_uses_new_vpn_id);
	tcase_add_test(tc, rule3_stale_engines_left_while_vpn_unavailable);
	tcase_add_test(tc, rule3_reconnect_restarts_idle_first);
	tcase_add_test(tc, rule3_reconnect_restart_disabled);
	tcase_add_test(tc, rule3_vpn_container_restart_is_not_a_reconnect);
	tcase_add_test(tc, rule4_interleaved_placement_over_two_vpns);
	tcase_add_test(tc, rule4_one_vpn_unhealthy_puts_new_engines_on_other);
	tcase_add_test(tc, rule4_both_unavailable_nothing_created_reason);
	tcase_add_test(tc, rule4_range_of_three_has_no_fourth);
	tcase_add_loop_test(tc, rule4_target_table, 0, (int)ARRAY_LEN(target_cases));
	tcase_add_test(tc, rule4_min_free_raises_target);
	tcase_add_test(tc, rule4_max_caps_target);
	tcase_add_test(tc, rule4_capacity_caps_target);
	tcase_add_test(tc, rule4_uneven_max_engines_water_filling);
	tcase_add_test(tc, rule4_scale_down_removes_idle_highest_first);
	tcase_add_test(tc, rule8_busy_engine_protected_from_scale_down);
	tcase_add_test(tc, rule4_failover_share_moves_to_other_vpn);
	tcase_add_test(tc, rule4_return_adds_first_then_removes_surplus);
	tcase_add_test(tc, rule4_odd_target_does_not_churn);
	tcase_add_test(tc, rule4_lowest_free_port_reused_after_removal);
	tcase_add_test(tc, rule4_name_collision_avoided);
	tcase_add_test(tc, rule4_port_of_engine_being_removed_is_not_free);
	tcase_add_test(tc, rule5_none_next_created_is_forwarded);
	tcase_add_test(tc, rule5_forwarded_replaces_idle_engine);
	tcase_add_test(tc, rule5_forwarded_recreated_in_place_when_range_full);
	tcase_add_test(tc, rule5_port_change_creates_before_removing);
	tcase_add_test(tc, rule5_port_change_busy_forwarded_kept);
	tcase_add_test(tc, rule5_port_lost_keeps_forwarded_engine);
	tcase_add_test(tc, rule5_two_forwarded_one_kept);
	tcase_add_test(tc, rule5_two_forwarded_keep_lowest_port_when_none_match);
	tcase_add_test(tc, rule5_port_forwarding_off_never_forwards);
	tcase_add_test(tc, rule5_port_forwarding_off_retires_forwarded_engine);
	tcase_add_test(tc, rule5_port_forwarding_on_without_port_noted);
	tcase_add_test(tc, rule5_forwarded_engine_per_vpn);
	tcase_add_test(tc, rule6_drift_idle_first_one_per_vpn);
	tcase_add_test(tc, rule6_drift_one_per_vpn_with_two_vpns);
	tcase_add_test(tc, rule6_drift_busy_engine_never_replaced);
	tcase_add_test(tc, rule6_drift_recreated_in_place_when_full);
	tcase_add_test(tc, rule6_drift_waits_while_vpn_disrupted);
	tcase_add_test(tc, rule6_drift_surplus_removed_without_replacement);
	tcase_add_loop_test(tc, rule7_exited_engine_removed_and_replaced, 0, (int)ARRAY_LEN(state_cases));
	tcase_add_test(tc, rule7_probe_failures_remove_engine);
	tcase_add_test(tc, rule7_probe_failures_ignored_while_vpn_down);
	tcase_add_test(tc, rule7_undeclared_vpn_engines_removed);
	tcase_add_test(tc, rule7_port_outside_vpn_range_removed);
	tcase_add_test(tc, rule9_backoff_skips_action_and_dependents);
	tcase_add_test(tc, rule9_name_taken_create_moves_to_next_free_port);
	tcase_add_test(tc, rule7_probe_failures_of_every_engine_keep_them);
	tcase_add_test(tc, rule9_backoff_wait_doubles_and_is_forgotten);
	suite_add_tcase(s, tc);

	tc = tcase_create("whole");
	tcase_add_test(tc, novpn_mode_ports_and_network);
	tcase_add_test(tc, novpn_mode_capacity_is_ports_size);
	tcase_add_test(tc, novpn_mode_engine_with_vpn_label_removed);
	tcase_add_test(tc, converged_fleet_gives_empty_plan);
	tcase_add_test(tc, converged_after_applying_plan);
	tcase_add_test(tc, docker_not_ok_gives_empty_plan_with_reason);
	tcase_add_test(tc, deterministic_same_inputs_same_plan);
	tcase_add_test(tc, spec_env_and_cmd_templates_expanded);
	tcase_add_test(tc, spec_labels_content);
	tcase_add_test(tc, plan_text_and_json_output);
	tcase_add_test(tc, action_kind_names);
	tcase_add_test(tc, memory_observe_tracks_outage_and_forgets_gone);
	tcase_add_test(tc, visibility_reasons);
	tcase_add_loop_test(tc, rule4_spread_matches_one_at_a_time, 0, 60);
	tcase_add_loop_test(tc, rule4_damping_share_moves_after_failover_after, 0,
			    (int)ARRAY_LEN(failover_cases));
	tcase_add_test(tc, rule4_damping_vpn_never_available_holds_no_share);
	tcase_add_test(tc, rule4_damping_share_returns_after_recover_after);
	tcase_add_loop_test(tc, rule3_flaps_restart_each_engine_once, 0, 2);
	tcase_add_test(tc, rule3_reconnect_restart_waits_for_recover_after);
	tcase_add_test(tc, reboot_exited_engine_left_while_vpn_not_running);
	tcase_add_loop_test(tc, reboot_exited_engine_by_namespace_table, 0, (int)ARRAY_LEN(exited_cases));
	tcase_add_test(tc, reboot_fleet_started_once_vpns_are_back);
	tcase_add_test(tc, reboot_soon_after_start_is_no_crash_loop);
	tcase_add_test(tc, crash_loop_recreated_with_backoff_per_slot);
	tcase_add_test(tc, crash_loop_forgotten_once_the_engine_runs);
	tcase_add_test(tc, crash_loop_create_on_vanished_slot_waits);
	tcase_add_loop_test(tc, rule4_provision_demand_table, 0, (int)ARRAY_LEN(demand_cases));
	tcase_add_test(tc, order_independent_of_docker_list_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
