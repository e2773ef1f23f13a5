/* test_observe.c - the observation of a pass against the real daemon:
 * labels, VPN health, the forwarded-port cache of the commands, inspects only
 * when needed, and stale-restart / stale-recreate. Ports 294xx. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "docker.h"
#include "itest.h"
#include "observe.h"
#include "reconcile.h"
#include "util.h"

#define VPN_RUN "docker run -d --name %s %s -p 127.0.0.1:%d:8000 -p 127.0.0.1:29400-29403:29400-29403 " \
		"-e FORWARDED_PORT=51400 ace-test/gluetun:latest >/dev/null"

struct world {
	struct docker *d;
	struct reconciler *r;
	char *vpn;
	int ctrl;
	char *api;
	struct config cfg;
	char engine_id[80];
	unsigned inspects;
	const char *const *dirty;
	size_t n_dirty;
};

static void pick_ctrl_port(struct world *w)
{
	/* Fixed within 294xx so a re-created VPN keeps the same control URL. */
	w->ctrl = 29410;
}

static void setup_world(struct world *w)
{
	memset(w, 0, sizeof(*w));
	struct docker_err err = { 0, "" };
	w->d = docker_new(itest_docker_host(), &err);
	ck_assert_ptr_nonnull(w->d);
	w->vpn = xasprintf("%s-vpn", itest_tag());
	pick_ctrl_port(w);
	ck_assert_int_eq(itest_sh(VPN_RUN, w->vpn, itest_labels(), w->ctrl), 0);
	ck_assert(itest_wait_health(w->d, w->vpn, "healthy", 15000));
	w->api = xasprintf("http://127.0.0.1:%d", w->ctrl);
	/* The parser's defaults, as a file that sets only this would get. */
	config_set_defaults(&w->cfg);
	free(w->cfg.instance);
	w->cfg.instance = xstrdup(itest_tag());
	w->cfg.engine.image = xstrdup("ace-test/engine:latest");
	w->cfg.docker_host = xstrdup(itest_docker_host());
	w->cfg.docker_resync_interval_ms = 0; /* inspects only when needed */
	w->cfg.vpns = xcalloc(1, sizeof *w->cfg.vpns);
	w->cfg.n_vpns = 1;
	w->cfg.vpns[0] = (struct vpn_decl){ .name = xstrdup(w->vpn), .api = xstrdup(w->api),
					    .host = xstrdup("127.0.0.1"), .port_forwarding = PF_AUTO,
					    .ports = { 29400, 29403 }, .max_engines = 4 };
	w->cfg.health.port_check_interval_ms = 10000;
	w->r = reconciler_new();

	struct docker_inspect vi;
	ck_assert_int_eq(docker_inspect(w->d, w->vpn, &vi, &err), 0);
	char *mode = xasprintf("container:%s", vi.id);
	/* What ace-test/engine:latest reads, like the real image's entrypoint. */
	const char *env[] = { "HTTP_PORT=29400", "HTTPS_PORT=45000", "BIND_ALL=true", "P2P_PORT=51400" };
	const char *labels[] = {
		"acestream.orchestrator", itest_tag(), "acestream.test", "1",
		"acestream.test.run", itest_tag(), "acestream.vpn_container", w->vpn,
		"acestream.vpn_id", vi.id, "acestream.forwarded", "true",
		"acestream.http_port", "29400", "acestream.https_port", "45000",
		"acestream.p2p_port", "51400", "host.http_port", "29400",
		"acestream.config_hash", "0123456789abcdef",
	};
	char *name = xasprintf("%s-29400", itest_tag());
	struct docker_create_spec s = {
		.name = name, .image = "ace-test/engine:latest", .env = env, .n_env = ARRAY_LEN(env),
		.labels = labels, .n_labels = ARRAY_LEN(labels) / 2, .network_mode = mode,
		.stop_timeout_s = 2,
	};
	ck_assert_msg(docker_create(w->d, &s, w->engine_id, sizeof(w->engine_id), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(docker_start(w->d, w->engine_id, &err), 0);
	ck_assert(itest_wait_http("http://127.0.0.1:29400/fixture/info", 10000));
	docker_inspect_free(&vi);
	free(mode);
	free(name);
}

static void teardown_world(struct world *w)
{
	reconciler_free(w->r);
	config_clear(&w->cfg);
	docker_free(w->d);
	free(w->vpn);
	free(w->api);
}

/* One pass that only plans (what `plan` does); o receives its observation. */
static void pass(struct world *w, struct observed *o, int64_t now)
{
	struct pass_input in = { .cfg = &w->cfg, .dirty = w->dirty, .n_dirty = w->n_dirty,
				 .now_ms = now };
	struct pass_result res;
	ck_assert_int_ge(reconciler_pass(w->r, &in, &res), 0);
	ck_assert(res.obs.docker_ok);
	w->inspects = res.n_inspects;
	observed_free(o);
	observed_copy(o, &res.obs);
	pass_result_free(&res);
}

START_TEST(observes_labels_health_ports_and_caches)
{
	struct world w;
	setup_world(&w);
	struct observed o = { 0 };
	pass(&w, &o, 1000);
	ck_assert_uint_eq(o.n_vpns, 1);
	const struct vpn_obs *v = &o.vpns[0];
	ck_assert(v->exists && v->running);
	ck_assert_int_eq(v->health, HEALTH_HEALTHY);
	ck_assert(v->api_ok);
	ck_assert_int_eq(v->fwd_port, 51400);
	ck_assert_str_eq(v->public_ip, "203.0.113.10");
	ck_assert_int_eq(v->ports_read_ms, 1000);
	ck_assert_uint_eq(o.n_engines, 1);
	const struct engine_obs *e = &o.engines[0];
	ck_assert_str_eq(e->id, w.engine_id);
	ck_assert(e->running && e->forwarded && e->inspected);
	ck_assert_str_eq(e->vpn, w.vpn);
	ck_assert_str_eq(e->vpn_id, v->id);
	ck_assert_int_eq(e->http_port, 29400);
	ck_assert_int_eq(e->https_port, 45000);
	ck_assert_int_eq(e->p2p_port, 51400);
	ck_assert_int_eq(e->host_port, 29400);
	ck_assert_str_eq(e->config_hash, "0123456789abcdef");
	ck_assert_int_eq(e->ns, NS_CURRENT);
	ck_assert_uint_eq(w.inspects, 1);

	/* Converged: no engine inspect, ports from the cache. */
	char *put = xasprintf("%s/v1/portforward", w.api);
	ck_assert_int_eq(itest_http("PUT", put, "{\"ports\":[51401]}", NULL, NULL), 200);
	pass(&w, &o, 5000);
	ck_assert_uint_eq(w.inspects, 0);
	ck_assert_int_eq(o.vpns[0].ports_read_ms, 1000); /* not read again */
	ck_assert_int_eq(o.vpns[0].fwd_port, 51400);
	ck_assert_int_eq(o.engines[0].ns, NS_CURRENT);
	/* Cache expired: the new port is read. */
	pass(&w, &o, 11000);
	ck_assert_int_eq(o.vpns[0].fwd_port, 51401);
	ck_assert_int_eq(o.vpns[0].ports_read_ms, 11000);
	/* An event marked the engine dirty: inspected again. */
	const char *dirty[] = { w.engine_id };
	w.dirty = dirty;
	w.n_dirty = 1;
	pass(&w, &o, 12000);
	ck_assert_uint_eq(w.inspects, 1);
	w.n_dirty = 0;

	/* Unhealthy VPN is reported as such. */
	char *h = xasprintf("%s/test/health", w.api);
	ck_assert_int_eq(itest_http("PUT", h, "{\"healthy\":false}", NULL, NULL), 200);
	ck_assert(itest_wait_health(w.d, w.vpn, "unhealthy", 10000));
	pass(&w, &o, 13000);
	ck_assert_int_eq(o.vpns[0].health, HEALTH_UNHEALTHY);
	free(h);
	free(put);
	observed_free(&o);
	teardown_world(&w);
}
END_TEST

START_TEST(vpn_restart_then_recreate)
{
	struct world w;
	setup_world(&w);
	struct observed o = { 0 };
	pass(&w, &o, 1000);
	ck_assert_int_eq(o.engines[0].ns, NS_CURRENT);
	char *old_id = xstrdup(o.vpns[0].id);

	ck_assert_int_eq(itest_sh("docker restart -t 1 %s >/dev/null", w.vpn), 0);
	pass(&w, &o, 2000);
	ck_assert_str_eq(o.vpns[0].id, old_id);
	ck_assert_uint_eq(w.inspects, 1); /* its VPN's StartedAt moved */
	ck_assert_int_eq(o.vpns[0].ports_read_ms, 2000); /* and the port cache was dropped */
	ck_assert_int_eq(o.engines[0].ns, NS_STALE_RESTART);
	struct docker_err err = { 0, "" };
	ck_assert_int_eq(docker_restart(w.d, w.engine_id, 2, &err), 0);
	const char *dirty[] = { w.engine_id };
	w.dirty = dirty; /* the loop would see a restart event */
	w.n_dirty = 1;
	pass(&w, &o, 3000);
	w.n_dirty = 0;
	ck_assert_int_eq(o.engines[0].ns, NS_CURRENT);

	ck_assert_int_eq(itest_sh("docker rm -f %s >/dev/null", w.vpn), 0);
	pass(&w, &o, 4000);
	ck_assert(!o.vpns[0].exists);
	ck_assert(!o.vpns[0].api_ok);
	ck_assert_int_eq(o.engines[0].ns, NS_STALE_RECREATE);

	ck_assert_int_eq(itest_sh(VPN_RUN, w.vpn, itest_labels(), w.ctrl), 0);
	pass(&w, &o, 5000);
	ck_assert(o.vpns[0].exists);
	ck_assert_str_ne(o.vpns[0].id, old_id);
	ck_assert_int_eq(o.engines[0].ns, NS_STALE_RECREATE);
	free(old_id);
	observed_free(&o);
	teardown_world(&w);
}
END_TEST

START_TEST(unreachable_docker_and_gluetun)
{
	struct vpn_decl decl = { .name = "nope", .api = "http://127.0.0.1:1" };
	struct config cfg = { .instance = "x", .vpns = &decl, .n_vpns = 1 };
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new("tcp://127.0.0.1:1", &err);
	struct observed o;
	ck_assert_int_eq(observe_build(d, &cfg, NULL, NULL, &o), -1);
	ck_assert(!o.docker_ok);
	ck_assert_msg(strstr(o.docker_error, "127.0.0.1:1"), "%s", o.docker_error);
	observed_free(&o);
	docker_free(d);
	/* A declared VPN that does not exist is not a Docker failure. */
	d = docker_new(itest_docker_host(), &err);
	ck_assert_int_eq(observe_build(d, &cfg, NULL, NULL, &o), 0);
	ck_assert(o.docker_ok);
	ck_assert(!o.vpns[0].exists);
	ck_assert_uint_eq(o.n_engines, 0);
	observed_free(&o);
	docker_free(d);
}
END_TEST

int main(void)
{
	itest_init("observe");
	Suite *s = suite_create("observe_real");
	TCase *tc = tcase_create("real_daemon");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, observes_labels_health_ports_and_caches);
	tcase_add_test(tc, vpn_restart_then_recreate);
	tcase_add_test(tc, unreachable_docker_and_gluetun);
	/* Each test leaves its containers; remove them before the next. */
	tcase_add_checked_fixture(tc, NULL, itest_cleanup);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	itest_cleanup();
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
