/* test_observe_hosts.c - observe_fleet against fake Docker daemons on unix
 * sockets (one per host): each host's objects come from its own daemon, the
 * hosts are observed at the same time, and a host that does not answer keeps
 * its last view, marked, without delaying or hiding the others. */
#include "config-auto.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "docker.h"
#include "hosts.h"
#include "observe.h"
#include "util.h"

/* A fake host: a forked process that answers list and inspect for one VPN
 * and one engine of it, and logs every request line. */
struct fake {
	pid_t pid;
	char sock[108];
	char log[128];
};

static void reply(int fd, const char *status, const char *body)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, strlen(body));
	if (write(fd, hdr, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		_exit(3);
}

static bool file_has(const char *path, const char *needle)
{
	size_t len;
	char *s = read_file(path, 1 << 20, &len);
	bool r = s && strstr(s, needle);
	free(s);
	return r;
}

/* vpn/engine: the names it answers for; wait_log/wait_for: do not answer
 * the list before that other fake logged that request (a host that is
 * slow until another host has been fully observed). */
static void serve(int lfd, const char *log, const char *vpn, const char *engine,
		  const char *wait_log, const char *wait_for)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(0);
		char req[8192];
		size_t n = 0;
		while (n < sizeof req - 1) {
			ssize_t r = read(fd, req + n, sizeof req - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		char *eol = strstr(req, "\r\n");
		if (eol)
			*eol = '\0';
		FILE *lf = fopen(log, "a");
		if (lf) {
			fprintf(lf, "%s\n", req);
			fclose(lf);
		}
		char path[160];
		char *body = NULL;
		if (strstr(req, " /version ")) {
			reply(fd, "200 OK", "{\"ApiVersion\":\"1.41\"}");
		} else if (strstr(req, "/containers/json?")) {
			for (int i = 0; wait_log && i < 800 && !file_has(wait_log, wait_for); i++) {
				struct timespec ts = { 0, 10000000 };
				nanosleep(&ts, NULL);
			}
			body = xasprintf("[{\"Id\":\"%s-id\",\"Names\":[\"/%s\"],\"Image\":\"img\","
					 "\"State\":\"running\",\"Labels\":{\"acestream.orchestrator\":\"unit\","
					 "\"acestream.vpn_container\":\"%s\",\"acestream.vpn_id\":\"%s-id\","
					 "\"acestream.http_port\":\"%s\"},\"HostConfig\":{\"NetworkMode\":"
					 "\"container:%s-id\"}}]", engine, engine, vpn, vpn,
					 strrchr(engine, '-') + 1, vpn);
			reply(fd, "200 OK", body);
		} else if (snprintf(path, sizeof path, "/containers/%s/json", vpn) > 0 && strstr(req, path)) {
			body = xasprintf("{\"Id\":\"%s-id\",\"Name\":\"/%s\",\"Config\":{\"Image\":\"gluetun\"},"
					 "\"State\":{\"Status\":\"running\",\"Running\":true,\"StartedAt\":"
					 "\"2026-01-01T00:00:00Z\",\"Health\":{\"Status\":\"healthy\"}},"
					 "\"HostConfig\":{\"NetworkMode\":\"bridge\"}}", vpn, vpn);
			reply(fd, "200 OK", body);
		} else if (snprintf(path, sizeof path, "/containers/%s-id/json", engine) > 0 && strstr(req, path)) {
			body = xasprintf("{\"Id\":\"%s-id\",\"Name\":\"/%s\",\"Config\":{\"Image\":\"img\"},"
					 "\"State\":{\"Status\":\"running\",\"Running\":true,\"StartedAt\":"
					 "\"2026-01-01T00:01:00Z\"},\"HostConfig\":{\"NetworkMode\":"
					 "\"container:%s-id\"}}", engine, engine, vpn);
			reply(fd, "200 OK", body);
		} else {
			reply(fd, "404 Not Found", "{\"message\":\"No such container\"}");
		}
		free(body);
		shutdown(fd, SHUT_WR);
		struct timeval tv = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		while (read(fd, req, sizeof req) > 0)
			;
		close(fd);
	}
}

static void fake_start(struct fake *f, const char *tag, const char *vpn, const char *engine,
		       const char *wait_log, const char *wait_for)
{
	snprintf(f->sock, sizeof f->sock, "/tmp/ace-obs-%s-%d.sock", tag, (int)getpid());
	snprintf(f->log, sizeof f->log, "/tmp/ace-obs-%s-%d.log", tag, (int)getpid());
	unlink(f->sock);
	unlink(f->log);
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		serve(lfd, f->log, vpn, engine, wait_log, wait_for);
		_exit(0);
	}
	close(lfd);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	unlink(f->sock);
	unlink(f->log);
}

/* Three hosts: default (VPN g1), b (VPN g2), gone (VPN g3, no daemon). */
static void fleet_config(struct config *c, const struct fake *a, const struct fake *b)
{
	config_set_defaults(c);
	free(c->instance);
	c->instance = xstrdup("unit");
	c->docker_hosts = xrealloc(c->docker_hosts, 3 * sizeof *c->docker_hosts);
	c->n_docker_hosts = 3;
	c->docker_hosts[0].host = xasprintf("unix://%s", a->sock);
	c->docker_hosts[1] = (struct docker_host_decl){ .name = xstrdup("b"),
							.host = xasprintf("unix://%s", b->sock) };
	c->docker_hosts[2] = (struct docker_host_decl){ .name = xstrdup("gone"),
							.host = xstrdup("unix:///nonexistent/gone.sock") };
	c->docker_host = xstrdup(c->docker_hosts[0].host);
	c->vpns = xcalloc(3, sizeof *c->vpns);
	c->n_vpns = 3;
	const char *names[] = { "g1", "g2", "g3" };
	for (size_t i = 0; i < 3; i++)
		c->vpns[i] = (struct vpn_decl){ .name = xstrdup(names[i]), .docker_idx = i,
						.ports = { 19000 + 100 * (int)i, 19099 + 100 * (int)i } };
}

static struct docker **clients(const struct config *c, struct docker_err *errs)
{
	struct docker **d = xcalloc(c->n_docker_hosts, sizeof *d);
	for (size_t i = 0; i < c->n_docker_hosts; i++) {
		d[i] = docker_new(c->docker_hosts[i].host, &errs[i]);
		docker_set_timeouts(d[i], 1000, 4000);
	}
	return d;
}

/* What host "gone" showed last time: its VPN and one engine. */
static void prev_view(struct observed *p)
{
	memset(p, 0, sizeof *p);
	p->docker_ok = true;
	p->n_vpns = 1;
	p->vpns = xcalloc(1, sizeof *p->vpns);
	p->vpns[0] = (struct vpn_obs){ .name = xstrdup("g3"), .host = xstrdup("gone"), .exists = true,
				       .id = xstrdup("g3-id"), .running = true, .state = xstrdup("running"),
				       .health = HEALTH_HEALTHY, .started_at_ms = 5 };
	p->n_engines = 1;
	p->engines = xcalloc(1, sizeof *p->engines);
	p->engines[0] = (struct engine_obs){ .id = xstrdup("e3-id"), .name = xstrdup("acestream-19200"),
					     .host = xstrdup("gone"), .state = xstrdup("running"),
					     .running = true, .vpn = xstrdup("g3"), .vpn_id = xstrdup("g3-id"),
					     .http_port = 19200, .inspected = true, .ns = NS_CURRENT };
}

/* The default host answers its list only once host b has been observed to
 * its last request: observed one after the other, the default host would
 * time out; observed at the same time, both answer. Host "gone" has no
 * daemon: its last view stays, marked, and costs the others nothing. */
START_TEST(fleet_hosts_observed_at_once_dead_host_kept)
{
	struct fake a, b;
	fake_start(&b, "b", "g2", "acestream-19100", NULL, NULL);
	fake_start(&a, "a", "g1", "acestream-19000", b.log, "/containers/acestream-19100-id/json");
	struct config cfg = { 0 };
	fleet_config(&cfg, &a, &b);
	struct docker_err errs[3] = { { 0, "" } };
	struct docker **d = clients(&cfg, errs);
	struct observed prev, o;
	prev_view(&prev);
	unsigned inspects = 0;
	struct observe_opts opts = { .inspect_all = true, .n_engine_inspects = &inspects };

	ck_assert_int_eq(observe_fleet(d, errs, &cfg, &prev, &opts, &o), 0);
	ck_assert(o.docker_ok);
	ck_assert_uint_eq(o.n_hosts, 3);
	ck_assert(o.hosts[0].ok);
	ck_assert_msg(o.hosts[1].ok, "%s", o.hosts[1].error ? o.hosts[1].error : "");
	ck_assert(!o.hosts[2].ok);
	ck_assert_msg(strstr(o.hosts[2].error, "gone.sock"), "%s", o.hosts[2].error);
	ck_assert_str_eq(o.hosts[2].address, "unix:///nonexistent/gone.sock");
	/* Each VPN from its own host, in config order. */
	ck_assert_uint_eq(o.n_vpns, 3);
	ck_assert(o.vpns[0].exists && o.vpns[0].running && !o.vpns[0].host_down);
	ck_assert_str_eq(o.vpns[0].host, "default");
	ck_assert_str_eq(o.vpns[1].id, "g2-id");
	ck_assert_str_eq(o.vpns[1].host, "b");
	ck_assert(o.vpns[2].host_down);
	ck_assert_str_eq(o.vpns[2].id, "g3-id");
	ck_assert_msg(strstr(o.vpns[2].api_error, "docker host gone unreachable"), "%s", o.vpns[2].api_error);
	ck_assert(!observed_host_ok(&o, "gone"));
	ck_assert(observed_host_ok(&o, "b"));
	/* Engines: one per live host, inspected there; gone's as last seen. */
	ck_assert_uint_eq(o.n_engines, 3);
	ck_assert_uint_eq(inspects, 2);
	for (size_t i = 0; i < o.n_engines; i++) {
		const struct engine_obs *e = &o.engines[i];
		if (str_eq(e->name, "acestream-19000"))
			ck_assert_str_eq(e->host, "default");
		else if (str_eq(e->name, "acestream-19100"))
			ck_assert_str_eq(e->host, "b");
		else
			ck_assert_str_eq(e->host, "gone");
		ck_assert_int_eq(e->ns, NS_CURRENT);
	}
	ck_assert_msg(strstr(o.docker_error, "docker host gone unreachable"), "%s", o.docker_error);
	/* No host was asked about another's containers. */
	ck_assert(!file_has(a.log, "g2") && !file_has(a.log, "19100"));
	ck_assert(!file_has(b.log, "g1") && !file_has(b.log, "19000"));

	/* A copy keeps the hosts. */
	struct observed c;
	observed_copy(&c, &o);
	ck_assert_uint_eq(c.n_hosts, 3);
	ck_assert_str_eq(c.hosts[2].error, o.hosts[2].error);
	observed_free(&c);
	observed_free(&o);

	/* No host answering at all: docker_ok false, the hosts still named. */
	fake_stop(&a);
	fake_stop(&b);
	ck_assert_int_eq(observe_fleet(d, errs, &cfg, &prev, &opts, &o), -1);
	ck_assert(!o.docker_ok);
	ck_assert_uint_eq(o.n_hosts, 3);
	ck_assert(!o.hosts[0].ok && !o.hosts[1].ok);
	ck_assert_uint_eq(o.n_engines, 0);
	observed_free(&o);

	observed_free(&prev);
	for (size_t i = 0; i < 3; i++)
		docker_free(d[i]);
	free(d);
	config_clear(&cfg);
}
END_TEST

/* A host whose client could not even be made is down with that reason. */
START_TEST(fleet_client_missing_is_host_down)
{
	struct fake a, b;
	fake_start(&a, "a2", "g1", "acestream-19000", NULL, NULL);
	fake_start(&b, "b2", "g2", "acestream-19100", NULL, NULL);
	struct config cfg = { 0 };
	fleet_config(&cfg, &a, &b);
	struct docker_err errs[3] = { { 0, "" } };
	struct docker **d = clients(&cfg, errs);
	docker_free(d[1]);
	d[1] = NULL;
	sbuf_printf(errs[1].msg, sizeof errs[1].msg, "docker host tcp://x: bad certificate file");
	struct observed o;
	ck_assert_int_eq(observe_fleet(d, errs, &cfg, NULL, NULL, &o), 0);
	ck_assert(!o.hosts[1].ok);
	ck_assert_str_eq(o.hosts[1].error, "docker host tcp://x: bad certificate file");
	ck_assert(o.vpns[1].host_down);
	ck_assert(!o.vpns[1].exists); /* never seen: nothing to keep */
	ck_assert(o.hosts[0].ok);
	ck_assert_uint_eq(o.n_engines, 1);
	observed_free(&o);
	fake_stop(&a);
	fake_stop(&b);
	for (size_t i = 0; i < 3; i++)
		docker_free(d[i]);
	free(d);
	config_clear(&cfg);
}
END_TEST

/* What each TLS failure of curl means for a Docker host set up as Docker
 * documents it. */
static const struct {
	const char *err;
	const char *hint; /* a piece of it, NULL: none */
} hint_cases[] = {
	{ "SSL certificate problem: unable to get local issuer certificate", "tls.ca is not the CA" },
	{ "OpenSSL SSL_read: error:0A000412:SSL routines::sslv3 alert bad certificate",
	  "does not accept tls.cert" },
	{ "error:0A000418:SSL routines::tlsv1 alert unknown ca", "does not accept tls.cert" },
	{ "SSL: no alternative certificate subject name matches target host name 'localhost'",
	  "does not name this address" },
	{ "OpenSSL SSL_connect: SSL_ERROR_SYSCALL", "TLS handshake failed" },
	{ "Failed to connect to 127.0.0.1 port 1: Connection refused", NULL },
	{ NULL, NULL },
};

START_TEST(tls_hints)
{
	const char *h = hosts_tls_hint(hint_cases[_i].err);
	if (!hint_cases[_i].hint)
		ck_assert_ptr_null(h);
	else
		ck_assert_msg(h && strstr(h, hint_cases[_i].hint), "%s -> %s", hint_cases[_i].err, h ? h : "NULL");
}
END_TEST

static Suite *hosts_suite(void)
{
	Suite *s = suite_create("observe_hosts");
	TCase *tc = tcase_create("fleet");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fleet_hosts_observed_at_once_dead_host_kept);
	tcase_add_test(tc, fleet_client_missing_is_host_down);
	tcase_add_loop_test(tc, tls_hints, 0, (int)ARRAY_LEN(hint_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	docker_global_init();
	SRunner *sr = srunner_create(hosts_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
