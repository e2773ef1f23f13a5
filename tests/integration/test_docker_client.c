/* test_docker_client.c - docker.c against the real daemon: engines in a VPN's
 * namespace, label listing, health transitions, events, errors. Ports 292xx. */
#include "config-auto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cmulti.h"
#include "docker.h"
#include "evloop.h"
#include "itest.h"
#include "util.h"

#define GLUETUN_IMAGE "ace-test/gluetun:latest"
#define ENGINE_IMAGE "ace-test/engine:latest"

static struct docker *client(void)
{
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(itest_docker_host(), &err);
	ck_assert_msg(d != NULL, "%s", err.msg);
	return d;
}

/* A stand-in Gluetun publishing its control server on an ephemeral port and
 * the engines' range with identical host and container ports. */
static char *run_vpn(const char *name, const char *range, const char *env)
{
	char *id = itest_sh_out("docker run -d --name %s %s -p 127.0.0.1::8000 %s%s%s %s %s",
				name, itest_labels(), range ? "-p 127.0.0.1:" : "",
				range ? range : "", range ? "" : "", env ? env : "", GLUETUN_IMAGE);
	ck_assert_msg(id != NULL, "docker run %s failed", name);
	return id;
}

/* Creates (our client) an engine with the given ports in mode. */
static int create_engine(struct docker *d, const char *name, const char *instance,
			 const char *mode, int http, int cport, int hport, char *id,
			 size_t idlen, struct docker_err *err)
{
	/* What ace-test/engine:latest reads, like the real image's entrypoint. */
	char http_env[32], https_env[32], p2p[32], hp[16];
	snprintf(http_env, sizeof(http_env), "HTTP_PORT=%d", http);
	snprintf(https_env, sizeof(https_env), "HTTPS_PORT=%d", 45000 + http % 100);
	snprintf(p2p, sizeof(p2p), "P2P_PORT=%d", 50000 + http % 100);
	snprintf(hp, sizeof(hp), "%d", http);
	const char *env[] = { http_env, https_env, "BIND_ALL=true", p2p };
	const char *labels[] = {
		"acestream.orchestrator", instance, "acestream.test", "1",
		"acestream.test.run", itest_tag(), "acestream.http_port", hp,
	};
	struct docker_create_spec s = {
		.name = name, .image = ENGINE_IMAGE, .env = env, .n_env = ARRAY_LEN(env),
		.labels = labels, .n_labels = 4, .network_mode = mode,
		.memory_bytes = 64 << 20, .stop_timeout_s = 2,
		.container_port = cport, .host_port = hport, .host_ip = "127.0.0.1",
	};
	return docker_create(d, &s, id, idlen, err);
}

START_TEST(engine_in_vpn_namespace_and_list_by_label)
{
	struct docker *d = client();
	struct docker_err err = { 0, "" };
	char *vpn = xasprintf("%s-vpn", itest_tag());
	char *instance = xasprintf("%s-inst", itest_tag());
	char *engine = xasprintf("%s-engine-29201", itest_tag());
	char *vpn_id = run_vpn(vpn, "29200-29203:29200-29203", NULL);
	struct docker_inspect vi;
	ck_assert_int_eq(docker_inspect(d, vpn, &vi, &err), 0);
	ck_assert_str_eq(vi.id, vpn_id);
	char *mode = xasprintf("container:%s", vi.id);
	docker_inspect_free(&vi);

	char id[80];
	ck_assert_msg(create_engine(d, engine, instance, mode, 29201, 0, 0, id, sizeof(id), &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(docker_start(d, id, &err), 0);
	ck_assert_int_eq(docker_start(d, id, &err), 0); /* already started: 304 is fine */
	ck_assert(itest_wait_http("http://127.0.0.1:29201/fixture/info", 10000));
	char *body = NULL;
	ck_assert_int_eq(itest_http("GET", "http://127.0.0.1:29201/fixture/info", NULL, NULL, &body), 200);
	ck_assert_msg(strstr(body, "\"http_port\":29201"), "%s", body);
	ck_assert_msg(strstr(body, "\"p2p_port\":50001"), "%s", body);
	free(body);

	struct docker_inspect in;
	ck_assert_int_eq(docker_inspect(d, engine, &in, &err), 0);
	ck_assert_str_eq(in.id, id);
	ck_assert_str_eq(in.network_mode, mode);
	ck_assert(in.running);
	ck_assert_int_gt(in.started_at_ms, 0);
	ck_assert_str_eq(docker_kv_get(in.labels, in.n_labels, "acestream.orchestrator"), instance);
	docker_inspect_free(&in);

	/* Look-alikes the label filter must not return. */
	ck_assert_int_eq(itest_sh("docker create --name %s-engine-29202 %s %s >/dev/null",
				  itest_tag(), itest_labels(), ENGINE_IMAGE), 0);
	ck_assert_int_eq(itest_sh("docker create --name %s-other %s -l acestream.orchestrator=%s-x %s >/dev/null",
				  itest_tag(), itest_labels(), instance, ENGINE_IMAGE), 0);
	char *label = xasprintf("acestream.orchestrator=%s", instance);
	struct docker_list l;
	ck_assert_int_eq(docker_list(d, label, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].id, id);
	ck_assert_str_eq(l.v[0].name, engine);
	ck_assert_str_eq(l.v[0].state, "running");
	docker_list_free(&l);

	ck_assert_int_eq(docker_stop(d, id, 2, &err), 0);
	ck_assert_int_eq(docker_inspect(d, id, &in, &err), 0);
	ck_assert(!in.running);
	ck_assert_str_eq(in.status, "exited");
	docker_inspect_free(&in);
	ck_assert_int_eq(docker_list(d, label, &l, &err), 0); /* all=1: stopped too */
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].state, "exited");
	docker_list_free(&l);
	ck_assert_int_eq(docker_restart(d, id, 2, &err), 0);
	ck_assert(itest_wait_http("http://127.0.0.1:29201/fixture/info", 10000));

	/* Same name again: Docker's conflict message comes back as a value. */
	char id2[80];
	ck_assert_int_eq(create_engine(d, engine, instance, mode, 29201, 0, 0, id2, sizeof(id2), &err), -1);
	ck_assert_int_eq(err.http_status, 409);
	ck_assert_msg(strstr(err.msg, "already in use"), "%s", err.msg);

	ck_assert_int_eq(docker_remove(d, id, &err), 0);
	ck_assert_int_eq(docker_inspect(d, id, &in, &err), -1);
	ck_assert(docker_err_not_found(&err));
	ck_assert_msg(strstr(err.msg, "No such container"), "%s", err.msg);
	ck_assert_int_eq(docker_remove(d, id, &err), -1);
	ck_assert(docker_err_not_found(&err));
	free(label);
	free(mode);
	free(vpn_id);
	free(engine);
	free(instance);
	free(vpn);
	docker_free(d);
}
END_TEST

START_TEST(no_vpn_mode_publishes_http_port)
{
	struct docker *d = client();
	struct docker_err err = { 0, "" };
	char *engine = xasprintf("%s-bridge-29205", itest_tag());
	char id[80];
	ck_assert_msg(create_engine(d, engine, "novpn", "bridge", 29205, 29205, 29205, id,
				    sizeof(id), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(docker_start(d, id, &err), 0);
	ck_assert(itest_wait_http("http://127.0.0.1:29205/fixture/info", 10000));
	struct docker_inspect in;
	ck_assert_int_eq(docker_inspect(d, id, &in, &err), 0);
	ck_assert_str_eq(in.network_mode, "bridge");
	docker_inspect_free(&in);
	free(engine);
	docker_free(d);
}
END_TEST

START_TEST(health_transitions)
{
	struct docker *d = client();
	char *vpn = xasprintf("%s-health", itest_tag());
	free(run_vpn(vpn, NULL, "-e START_DELAY=30"));
	ck_assert(itest_wait_health(d, vpn, "starting", 3000));
	int port = itest_published_port(vpn, 8000);
	ck_assert_int_gt(port, 0);
	char *url = xasprintf("http://127.0.0.1:%d/test/health", port);
	ck_assert_int_eq(itest_http("PUT", url, "{\"healthy\":true}", NULL, NULL), 200);
	ck_assert_msg(itest_wait_health(d, vpn, "healthy", 10000), "never healthy");
	ck_assert_int_eq(itest_http("PUT", url, "{\"healthy\":false}", NULL, NULL), 200);
	ck_assert_msg(itest_wait_health(d, vpn, "unhealthy", 10000), "never unhealthy");
	ck_assert_int_eq(itest_http("PUT", url, "{\"healthy\":true}", NULL, NULL), 200);
	ck_assert_msg(itest_wait_health(d, vpn, "healthy", 10000), "never healthy again");
	free(url);
	free(vpn);
	docker_free(d);
}
END_TEST

/* ---- events on the daemon's reactor (evloop + cmulti) ------------------ */

struct watcher {
	int n_health;
	int n_die;
	const char *want_id;
};

static void on_event(const struct docker_event *e, void *ud)
{
	struct watcher *w = ud;
	if (!w || !str_eq(e->id, w->want_id))
		return;
	if (str_eq(e->action, "health_status") && str_eq(e->health, "healthy"))
		w->n_health++;
	if (str_eq(e->action, "die"))
		w->n_die++;
}

static void run_loop(struct evloop *l, struct docker_events *ev, int ms, int *until)
{
	int64_t end = now_mono_ms() + ms;
	while (now_mono_ms() < end && !*until && docker_events_alive(ev, NULL))
		evloop_run_once(l, 100);
}

START_TEST(events_stream_on_epoll)
{
	struct docker *d = client();
	struct docker_err err = { 0, "" };
	struct evloop *l = evloop_new();
	struct cmulti *cm = cmulti_new(l);
	struct watcher w = { 0 };
	struct docker_events_cbs cbs = { on_event, NULL, &w };
	struct docker_events *ev = docker_events_open(d, 0, &cbs, cm, &err);
	ck_assert_msg(ev != NULL, "%s", err.msg);
	int zero = 0;
	run_loop(l, ev, 300, &zero); /* connected before the container starts */
	char *vpn = xasprintf("%s-events", itest_tag());
	char *id = run_vpn(vpn, NULL, NULL);
	w.want_id = id;
	run_loop(l, ev, 15000, &w.n_health);
	ck_assert_msg(w.n_health >= 1, "no health_status: healthy event");
	ck_assert_int_eq(itest_sh("docker kill %s >/dev/null", vpn), 0);
	run_loop(l, ev, 10000, &w.n_die);
	ck_assert_msg(w.n_die == 1, "die events: %d", w.n_die);
	ck_assert(docker_events_alive(ev, &err));
	ck_assert_int_gt(docker_events_last_ns(ev), 0);

	/* A reconnect resumes after the last event: nothing replayed. */
	ck_assert_int_eq(docker_events_reconnect(ev, &err), 0);
	run_loop(l, ev, 1500, &zero);
	ck_assert_int_eq(w.n_die, 1);
	docker_events_close(ev);
	cmulti_free(cm);
	evloop_free(l);
	free(id);
	free(vpn);
	docker_free(d);
}
END_TEST

START_TEST(unreachable_daemon)
{
	const char *hosts[] = { "unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1" };
	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		struct docker_err err = { 0, "" };
		struct docker *d = docker_new(hosts[i], &err);
		ck_assert_ptr_nonnull(d);
		struct docker_list l;
		struct docker_inspect in;
		char id[80];
		struct docker_create_spec s = { .name = "x", .image = ENGINE_IMAGE };
		ck_assert_int_eq(docker_list(d, "a=b", &l, &err), -1);
		ck_assert_int_eq(err.http_status, 0);
		ck_assert_msg(strstr(err.msg, hosts[i]), "%s", err.msg);
		ck_assert_int_eq(docker_inspect(d, "x", &in, &err), -1);
		ck_assert(!docker_err_not_found(&err));
		ck_assert_int_eq(docker_create(d, &s, id, sizeof(id), &err), -1);
		ck_assert_int_eq(docker_start(d, "x", &err), -1);
		ck_assert_int_eq(docker_restart(d, "x", 1, &err), -1);
		ck_assert_int_eq(docker_remove(d, "x", &err), -1);
		struct evloop *ev = evloop_new();
		struct cmulti *cm = cmulti_new(ev);
		struct docker_events_cbs cbs = { on_event, NULL, NULL };
		ck_assert_ptr_null(docker_events_open(d, 0, &cbs, cm, &err));
		ck_assert(err.msg[0]);
		cmulti_free(cm);
		evloop_free(ev);
		docker_free(d);
	}
}
END_TEST

int main(void)
{
	itest_init("docker");
	Suite *s = suite_create("docker_client");
	TCase *tc = tcase_create("real_daemon");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, engine_in_vpn_namespace_and_list_by_label);
	tcase_add_test(tc, no_vpn_mode_publishes_http_port);
	tcase_add_test(tc, health_transitions);
	tcase_add_test(tc, events_stream_on_epoll);
	tcase_add_test(tc, unreachable_daemon);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	itest_cleanup(); /* also after failures: Check ran the tests in children */
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
