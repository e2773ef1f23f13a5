/* test_observe.c - unit tests of observe.c: namespace classification
 * (SPEC §2, every case), health names, and the builder without a daemon. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "observe.h"
#include "util.h"

#define VPN_ID "9c25cbc5bb645334fe3f150a7b6eae39c4e98f17e324d9e1003a418b6ba948ef"
#define OLD_ID "4f1d2b8e0c9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
#define T0 1795320540000LL /* VPN StartedAt */

enum vpn_kind { V_OK, V_GONE, V_NULL, V_NOSTART };

static const struct {
	const char *what;
	const char *mode;
	int64_t started;
	const char *label_id;
	enum vpn_kind vpn;
	enum ns_state want;
} ns_cases[] = {
	{ "joined current VPN after it started", "container:" VPN_ID, T0 + 5, VPN_ID, V_OK, NS_CURRENT },
	{ "started in the same ms as the VPN", "container:" VPN_ID, T0, VPN_ID, V_OK, NS_CURRENT },
	{ "VPN restarted after the engine", "container:" VPN_ID, T0 - 1, VPN_ID, V_OK, NS_STALE_RESTART },
	{ "VPN restarted, label stale but mode names it", "container:" VPN_ID, T0 - 1, OLD_ID, V_OK, NS_STALE_RESTART },
	{ "VPN re-created (new ID)", "container:" OLD_ID, T0 + 5, OLD_ID, V_OK, NS_STALE_RECREATE },
	{ "VPN re-created, engine started before", "container:" OLD_ID, T0 - 5, OLD_ID, V_OK, NS_STALE_RECREATE },
	{ "VPN gone", "container:" VPN_ID, T0 + 5, VPN_ID, V_GONE, NS_STALE_RECREATE },
	{ "VPN not declared", "container:" VPN_ID, T0 + 5, VPN_ID, V_NULL, NS_STALE_RECREATE },
	{ "engine on a bridge network", "bridge", T0 + 5, VPN_ID, V_OK, NS_STALE_RECREATE },
	{ "engine on the default network", "default", T0 + 5, VPN_ID, V_OK, NS_STALE_RECREATE },
	{ "short ID in NetworkMode", "container:9c25cbc5bb64", T0 + 5, VPN_ID, V_OK, NS_CURRENT },
	{ "too short an ID prefix", "container:9c25", T0 + 5, VPN_ID, V_OK, NS_STALE_RECREATE },
	{ "mode names the VPN, label current", "container:gluetun", T0 + 5, VPN_ID, V_OK, NS_CURRENT },
	{ "mode names the VPN, label old", "container:gluetun", T0 + 5, OLD_ID, V_OK, NS_STALE_RECREATE },
	{ "mode names the VPN, restarted", "container:gluetun", T0 - 5, VPN_ID, V_OK, NS_STALE_RESTART },
	{ "created, never started", "container:" VPN_ID, 0, VPN_ID, V_OK, NS_CURRENT },
	{ "VPN StartedAt unknown", "container:" VPN_ID, T0 - 5, VPN_ID, V_NOSTART, NS_CURRENT },
	{ "not inspected, label matches, times known", NULL, T0 + 5, VPN_ID, V_OK, NS_CURRENT },
	{ "not inspected, label matches, restarted", "", T0 - 5, VPN_ID, V_OK, NS_STALE_RESTART },
	{ "not inspected, label matches, no time", NULL, 0, VPN_ID, V_OK, NS_UNKNOWN },
	{ "not inspected, label names old VPN", NULL, 0, OLD_ID, V_OK, NS_STALE_RECREATE },
	{ "not inspected, no label", NULL, 0, NULL, V_OK, NS_UNKNOWN },
	{ "not inspected, empty label", NULL, T0 + 5, "", V_OK, NS_UNKNOWN },
};

START_TEST(classify)
{
	struct vpn_obs v = {
		.name = "gluetun", .exists = true, .id = VPN_ID, .running = true,
		.health = HEALTH_HEALTHY, .started_at_ms = T0,
	};
	const struct vpn_obs *vp = &v;
	switch (ns_cases[_i].vpn) {
	case V_OK: break;
	case V_GONE: v.exists = false; v.id = NULL; break;
	case V_NULL: vp = NULL; break;
	case V_NOSTART: v.started_at_ms = 0; break;
	}
	enum ns_state got = observe_classify(ns_cases[_i].mode, ns_cases[_i].started,
					     ns_cases[_i].label_id, vp);
	ck_assert_msg(got == ns_cases[_i].want, "%s: got %s, want %s", ns_cases[_i].what,
		      ns_state_str(got), ns_state_str(ns_cases[_i].want));
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(ns_state_str(NS_UNKNOWN), "unknown");
	ck_assert_str_eq(ns_state_str(NS_CURRENT), "current");
	ck_assert_str_eq(ns_state_str(NS_STALE_RESTART), "stale-restart");
	ck_assert_str_eq(ns_state_str(NS_STALE_RECREATE), "stale-recreate");
	static const char *h[] = { "none", "starting", "healthy", "unhealthy" };
	for (int i = 0; i < 4; i++) {
		ck_assert_str_eq(health_status_str((enum health_status)i), h[i]);
		ck_assert_int_eq(health_status_parse(h[i]), i);
	}
	ck_assert_int_eq(health_status_parse(NULL), HEALTH_NONE);
	ck_assert_int_eq(health_status_parse(""), HEALTH_NONE);
	ck_assert_int_eq(health_status_parse("Healthy"), HEALTH_NONE);
}
END_TEST

START_TEST(free_is_safe)
{
	struct observed o = { 0 };
	observed_free(&o);
	observed_free(NULL);
	o.n_engines = 1;
	o.engines = xcalloc(1, sizeof(*o.engines));
	o.engines[0].id = xstrdup("x");
	o.engines[0].network_mode = xstrdup("container:y");
	o.n_vpns = 1;
	o.vpns = xcalloc(1, sizeof(*o.vpns));
	o.vpns[0].name = xstrdup("g");
	o.vpns[0].fwd_ports = xcalloc(2, sizeof(int));
	o.vpns[0].api_error = xstrdup("e");
	o.docker_error = xstrdup("d");
	observed_free(&o);
	ck_assert_ptr_null(o.engines);
	ck_assert_uint_eq(o.n_vpns, 0);
}
END_TEST

START_TEST(docker_unreachable)
{
	struct vpn_decl vpns[2] = {
		{ .name = "gluetun", .api = "http://127.0.0.1:1" },
		{ .name = "gluetun2" },
	};
	struct config cfg = { .instance = "unit", .vpns = vpns, .n_vpns = 2 };
	cfg.health.port_check_interval_ms = 10000;
	const char *hosts[] = { "unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1" };
	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		struct docker_err err = { 0, "" };
		struct docker *d = docker_new(hosts[i], &err);
		struct observed o;
		ck_assert_int_eq(observe_build(d, &cfg, NULL, NULL, &o), -1);
		ck_assert(!o.docker_ok);
		ck_assert_ptr_nonnull(o.docker_error);
		ck_assert_msg(strstr(o.docker_error, hosts[i]), "%s", o.docker_error);
		ck_assert_uint_eq(o.n_engines, 0);
		ck_assert_uint_eq(o.n_vpns, 2);
		ck_assert_str_eq(o.vpns[1].name, "gluetun2");
		ck_assert(!o.vpns[0].exists);
		observed_free(&o);
		docker_free(d);
	}
}
END_TEST

static Suite *observe_suite(void)
{
	Suite *s = suite_create("observe");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, classify, 0, (int)ARRAY_LEN(ns_cases));
	tcase_add_test(tc, names);
	tcase_add_test(tc, free_is_safe);
	tcase_add_test(tc, docker_unreachable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	docker_global_init();
	SRunner *sr = srunner_create(observe_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
