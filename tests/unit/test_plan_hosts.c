/* test_plan_hosts.c - the planner over several Docker hosts (issue 11): a
 * host that does not answer, its return, actions carrying their host, and a
 * VPN that moved between hosts. Named cases, on the plan fixtures. */
#include "config-auto.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_fixtures.h"
#include "util.h"

#define S(f) fx_summary(f)

/* gluetun (19000-) on the default host, gluetun_2 (19500-) on host b, two
 * engines each, everything observed once at FX_NOW - 60s. */
static void two_hosts(struct fx *f)
{
	f->cfg.replicas.min = 4;
	f->cfg.health.vpn_restart_after_ms = 10000;
	fx_host(f, "b");
	fx_vpn(f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_vpn(f, "gluetun_2", 19500, 19999, 0, PF_AUTO);
	fx_vpn_host(f, "gluetun_2", "b");
	fx_engine(f, "gluetun", 19000);
	fx_engine(f, "gluetun", 19001);
	fx_engine(f, "gluetun_2", 19500);
	fx_engine(f, "gluetun_2", 19501);
	for (size_t i = 0; i < f->obs.n_engines; i++)
		memory_probe(&f->mem, f->obs.engines[i].id, true);
	fx_plan(f, FX_NOW - 60000);
}

/* What the planner applied, as the next observation would show it. */
static void sim_apply(struct fx *f)
{
	for (size_t a = 0; a < f->plan.n; a++) {
		const struct action *act = &f->plan.v[a];
		if (act->kind == ACT_CREATE) {
			fx_engine(f, act->spec->vpn, act->spec->http_port);
			continue;
		}
		for (size_t i = 0; act->kind == ACT_REMOVE && i < f->obs.n_engines; i++) {
			if (!str_eq(f->obs.engines[i].id, act->id))
				continue;
			engine_obs_clear(&f->obs.engines[i]);
			f->obs.engines[i] = f->obs.engines[--f->obs.n_engines];
			break;
		}
	}
}

static void assert_nothing_on(const struct fx *f, const char *host)
{
	for (size_t i = 0; i < f->plan.n; i++) {
		const struct action *a = &f->plan.v[i];
		ck_assert_msg(!str_eq(a->host, host), "action %s %s on unreachable host %s",
			      action_kind_str(a->kind), a->name, host);
		ck_assert(!a->spec || !str_eq(a->spec->docker_host, host));
	}
}

/* Host b stops answering: its VPN is unavailable, its engines are hidden
 * with a reason naming the host, and nothing is done there, whatever its
 * last view says (an exited engine, a drifted one, one failing its probes,
 * a VPN unavailable past vpn_restart_after). Its share moves to the default
 * host's VPN after failover_after, and only there is anything created. */
START_TEST(hosts_unreachable_hides_engines_and_acts_on_nothing)
{
	struct fx f;
	fx_init(&f);
	two_hosts(&f);
	ck_assert_str_eq(S(&f), "");
	struct engine_obs *ex = fx_find_engine(&f, "acestream-19501");
	free(ex->state);
	ex->state = xstrdup("exited");
	ex->running = false;
	free(fx_find_engine(&f, "acestream-19500")->config_hash);
	fx_find_engine(&f, "acestream-19500")->config_hash = xstrdup("0000000000000000");
	for (int i = 0; i < 5; i++)
		memory_probe(&f.mem, "e19500", false);
	fx_host_down(&f, "b", true);

	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "");
	ck_assert(fx_has_note(&f.plan, "docker host b unreachable (connect: Connection refused)"));
	ck_assert(fx_has_note(&f.plan, "its docker host b does not answer; 2 engines kept, hidden"));
	char why[256];
	ck_assert(!plan_engine_visible_at(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19500"),
					  FX_NOW, why, sizeof why));
	ck_assert_str_eq(why, "docker host b unreachable: connect: Connection refused");
	ck_assert(plan_engine_visible_at(&f.cfg, &f.obs, &f.mem, fx_find_engine(&f, "acestream-19000"),
					 FX_NOW, why, sizeof why));

	/* Past failover_after and vpn_restart_after: the share moves to the
	 * default host, and still nothing on b (no restart_vpn, no removal). */
	fx_plan(&f, FX_NOW + 20000);
	ck_assert_str_eq(S(&f), "create acestream-19002, create acestream-19003");
	assert_nothing_on(&f, "b");
	for (size_t i = 0; i < f.plan.n; i++) {
		ck_assert_str_eq(f.plan.v[i].host, "default");
		ck_assert_str_eq(f.plan.v[i].spec->docker_host, "default");
	}
	ck_assert_int_eq(f.plan.target, 4);
	fx_free(&f);
}
END_TEST

/* b answers again with the same containers: no reconnect restarts (the
 * outage was the host's, not Gluetun's), and after recover_after its share
 * comes back make before break: the surplus on the default host goes. */
START_TEST(hosts_return_rebalances_make_before_break)
{
	struct fx f;
	fx_init(&f);
	two_hosts(&f);
	fx_host_down(&f, "b", true);
	fx_plan(&f, FX_NOW);
	fx_plan(&f, FX_NOW + 20000);
	sim_apply(&f);
	fx_plan(&f, FX_NOW + 21000);
	ck_assert_str_eq(S(&f), "");

	int64_t t1 = FX_NOW + 30000;
	fx_host_down(&f, "b", false);
	fx_plan(&f, t1);
	ck_assert_str_eq(S(&f), "");
	ck_assert(!fx_has_note(&f.plan, "reconnected"));
	ck_assert(fx_has_note(&f.plan, "its share returns once it has stayed available"));
	fx_plan(&f, t1 + 15000);
	ck_assert_str_eq(S(&f), "remove acestream-19003, remove acestream-19002");
	ck_assert_int_eq(fx_count(&f.plan, ACT_RESTART), 0);
	for (size_t i = 0; i < f.plan.n; i++) {
		ck_assert_int_eq(f.plan.v[i].phase, 1);
		ck_assert_str_eq(f.plan.v[i].host, "default");
	}
	fx_free(&f);
}
END_TEST

/* Creates go to their VPN's host; the text names the host of every action
 * when the fleet has several, and JSON always does. */
START_TEST(hosts_actions_carry_their_host)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 2;
	fx_host(&f, "b");
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_vpn(&f, "gluetun_2", 19500, 19999, 0, PF_AUTO);
	fx_vpn_host(&f, "gluetun_2", "b");
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "create acestream-19000, create acestream-19500");
	ck_assert_str_eq(f.plan.v[0].host, "default");
	ck_assert_str_eq(f.plan.v[1].host, "b");
	ck_assert_str_eq(f.plan.v[1].spec->docker_host, "b");
	ck_assert(f.plan.multi_host);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	plan_format_text(&f.plan, out);
	fclose(out);
	ck_assert_msg(strstr(text, "create      acestream-19500 vpn=gluetun_2 host=b http=19500"), "%s", text);
	free(text);
	cJSON *j = plan_to_json(&f.plan);
	const cJSON *a1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "actions"), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(a1, "docker_host")->valuestring, "b");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(a1, "spec"), "docker_host")->valuestring, "b");
	cJSON_Delete(j);
	fx_free(&f);

	/* One host: the text stays as it was. */
	fx_init(&f);
	fx_vpn(&f, "gluetun", 19000, 19499, 0, PF_AUTO);
	fx_plan(&f, FX_NOW);
	ck_assert(!f.plan.multi_host);
	out = open_memstream(&text, &len);
	plan_format_text(&f.plan, out);
	fclose(out);
	ck_assert_ptr_null(strstr(text, "host="));
	free(text);
	fx_free(&f);
}
END_TEST

/* gluetun_2 moved from the default host to b in the config: its engine on
 * the default host cannot join the VPN on b (observe classifies it
 * stale-recreate), so it is re-created: removed where it is, created on b. */
START_TEST(hosts_vpn_moved_recreates_on_new_host)
{
	struct fx f;
	fx_init(&f);
	f.cfg.replicas.min = 1;
	fx_host(&f, "b");
	fx_vpn(&f, "gluetun_2", 19500, 19999, 0, PF_AUTO);
	struct engine_obs *e = fx_engine(&f, "gluetun_2", 19500);
	e->ns = NS_STALE_RECREATE;
	fx_vpn_host(&f, "gluetun_2", "b");
	free(fx_vobs(&f, "gluetun_2")->id);
	fx_vobs(&f, "gluetun_2")->id = xstrdup("gluetun_2-on-b");
	fx_plan(&f, FX_NOW);
	ck_assert_str_eq(S(&f), "recreate acestream-19500");
	ck_assert_str_eq(f.plan.v[0].host, "default");
	ck_assert_str_eq(f.plan.v[0].spec->docker_host, "b");
	ck_assert_str_eq(f.plan.v[0].spec->network_mode, "container:gluetun_2-on-b");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	plan_format_text(&f.plan, out);
	fclose(out);
	ck_assert_msg(strstr(text, "host=default new_host=b"), "%s", text);
	free(text);

	/* ...but not while the default host, where it lives, does not answer:
	 * it is left as last seen, and it serves nothing on b, so b fills its
	 * share with a new engine on another port. */
	fx_host_down(&f, "default", true);
	fx_plan(&f, FX_NOW + 1000);
	ck_assert_str_eq(S(&f), "create acestream-19501");
	ck_assert_str_eq(f.plan.v[0].host, "b");
	fx_free(&f);
}
END_TEST

static Suite *hosts_suite(void)
{
	Suite *s = suite_create("plan_hosts");
	TCase *tc = tcase_create("hosts");
	tcase_add_test(tc, hosts_unreachable_hides_engines_and_acts_on_nothing);
	tcase_add_test(tc, hosts_return_rebalances_make_before_break);
	tcase_add_test(tc, hosts_actions_carry_their_host);
	tcase_add_test(tc, hosts_vpn_moved_recreates_on_new_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hosts_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
