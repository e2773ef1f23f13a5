/* test_docker.c - unit tests of docker.c/docker_json.c: decoders on JSON
 * captured from Docker 20.10 (API 1.41), and the client against a fake daemon. */
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

#include <pthread.h>
#include <sys/eventfd.h>

#include "cmulti.h"
#include "docker.h"
#include "evloop.h"
#include "util.h"

#ifndef DATADIR
#define DATADIR "tests/unit/data/docker"
#endif

static char *slurp(const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", DATADIR, name);
	char *s = read_file(path, 1 << 20, len);
	ck_assert_msg(s != NULL, "cannot read %s", path);
	free(path);
	return s;
}

#define VPN_ID "9c25cbc5bb645334fe3f150a7b6eae39c4e98f17e324d9e1003a418b6ba948ef"
#define ENGINE_ID "1b07f0284b34eb531d2f1e32094639c0226a103152b24654230deb1dc437be0a"

START_TEST(list_real_sample)
{
	size_t len;
	char *body = slurp("list_1.41.json", &len);
	struct docker_list l;
	char err[128];
	ck_assert_int_eq(docker_parse_list(body, len, &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].id, ENGINE_ID);
	ck_assert_str_eq(l.v[0].name, "cap-engine");
	ck_assert_str_eq(l.v[0].state, "running");
	ck_assert_str_eq(l.v[0].image, "ace-test/engine:latest");
	ck_assert_str_eq(l.v[0].network_mode, "container:" VPN_ID);
	ck_assert_str_eq(docker_kv_get(l.v[0].labels, l.v[0].n_labels, "acestream.orchestrator"), "cap");
	ck_assert_str_eq(docker_kv_get(l.v[0].labels, l.v[0].n_labels, "acestream.http_port"), "29290");
	ck_assert_ptr_null(docker_kv_get(l.v[0].labels, l.v[0].n_labels, "acestream.forwarded"));
	ck_assert_int_eq(l.v[0].created, 1795321630);
	docker_list_free(&l);
	free(body);
}
END_TEST

static const struct {
	const char *json;
	int rc;
	size_t n;
} list_cases[] = {
	{ "[]", 0, 0 },
	{ "{}", -1, 0 },
	{ "", -1, 0 },
	{ "[", -1, 0 },
	{ "null", -1, 0 },
	{ "[1,\"x\",null,{}]", 0, 0 },          /* rows without Id are skipped */
	{ "[{\"Id\":\"\"}]", 0, 0 },
	{ "[{\"Id\":\"abc\"}]", 0, 1 },          /* everything else optional */
	{ "[{\"Id\":\"a\",\"Names\":[],\"Labels\":{\"x\":1,\"y\":\"z\"}}]", 0, 1 },
	{ "[{\"Id\":\"a\",\"Names\":\"/x\",\"State\":7,\"Created\":1e300}]", 0, 1 },
};

START_TEST(list_edge_cases)
{
	struct docker_list l;
	char err[128] = "";
	const char *j = list_cases[_i].json;
	int rc = docker_parse_list(j, strlen(j), &l, err, sizeof(err));
	ck_assert_msg(rc == list_cases[_i].rc, "%s: rc %d", j, rc);
	ck_assert_uint_eq(l.n, list_cases[_i].n);
	if (rc < 0)
		ck_assert_msg(err[0], "no message for %s", j);
	for (size_t k = 0; k < l.n; k++) {
		ck_assert_ptr_nonnull(l.v[k].name);
		ck_assert_ptr_nonnull(l.v[k].state);
		ck_assert_ptr_nonnull(l.v[k].network_mode);
	}
	docker_list_free(&l);
}
END_TEST

START_TEST(inspect_real_gluetun)
{
	size_t len;
	char *body = slurp("inspect_gluetun_1.41.json", &len);
	struct docker_inspect in;
	char err[128];
	ck_assert_int_eq(docker_parse_inspect(body, len, &in, err, sizeof(err)), 0);
	ck_assert_str_eq(in.id, VPN_ID);
	ck_assert_str_eq(in.name, "cap-gluetun");
	ck_assert_str_eq(in.status, "running");
	ck_assert(in.running);
	ck_assert_str_eq(in.health, "healthy");
	ck_assert_int_eq(in.failing_streak, 0);
	ck_assert_int_eq(in.started_at_ms, parse_rfc3339_ms("2026-11-22T04:27:08.397Z"));
	ck_assert_int_eq(in.finished_at_ms, 0);
	ck_assert_str_eq(in.network_mode, "default");
	ck_assert_str_eq(in.image, "ace-test/gluetun:latest");
	docker_inspect_free(&in);
	free(body);
}
END_TEST

START_TEST(inspect_real_engine)
{
	size_t len;
	char *body = slurp("inspect_engine_1.41.json", &len);
	struct docker_inspect in;
	char err[128];
	ck_assert_int_eq(docker_parse_inspect(body, len, &in, err, sizeof(err)), 0);
	ck_assert_str_eq(in.id, ENGINE_ID);
	ck_assert_str_eq(in.network_mode, "container:" VPN_ID);
	ck_assert_ptr_null(in.health); /* no HEALTHCHECK in the image */
	ck_assert_int_eq(in.started_at_ms, parse_rfc3339_ms("2026-11-22T04:27:10.507Z"));
	ck_assert_str_eq(docker_kv_get(in.labels, in.n_labels, "acestream.vpn_container"), "cap-gluetun");
	docker_inspect_free(&in);
	free(body);
}
END_TEST

static const struct {
	const char *json;
	int rc;
	const char *health;
	bool running;
} inspect_cases[] = {
	{ "[]", -1, NULL, false },
	{ "{}", -1, NULL, false },
	{ "{\"Id\":5}", -1, NULL, false },
	{ "{\"Id\":\"x\"}", 0, NULL, false },
	{ "{\"Id\":\"x\",\"State\":{\"Running\":true,\"Health\":{\"Status\":\"starting\"}}}", 0, "starting", true },
	{ "{\"Id\":\"x\",\"State\":{\"StartedAt\":\"bogus\",\"ExitCode\":1e40}}", 0, NULL, false },
	{ "{\"Id\":\"x\",\"State\":{\"Health\":{\"Status\":null,\"FailingStreak\":-5}}}", 0, NULL, false },
	{ "{\"Id\":\"x\",\"State\":[],\"HostConfig\":\"y\",\"Config\":{\"Labels\":null}}", 0, NULL, false },
};

START_TEST(inspect_edge_cases)
{
	struct docker_inspect in;
	char err[128] = "";
	const char *j = inspect_cases[_i].json;
	int rc = docker_parse_inspect(j, strlen(j), &in, err, sizeof(err));
	ck_assert_msg(rc == inspect_cases[_i].rc, "%s: rc %d", j, rc);
	if (rc == 0) {
		if (inspect_cases[_i].health)
			ck_assert_str_eq(in.health, inspect_cases[_i].health);
		else
			ck_assert_ptr_null(in.health);
		ck_assert(in.running == inspect_cases[_i].running);
		ck_assert_ptr_nonnull(in.network_mode);
		ck_assert_int_ge(in.started_at_ms, 0);
	} else {
		ck_assert_ptr_null(in.id);
	}
	docker_inspect_free(&in);
}
END_TEST

/* Expected decoding of each line of events_1.41.ndjson, in order. */
static const struct {
	const char *action;
	const char *health;
	const char *name;
	const char *id_prefix;
} event_lines[] = {
	{ "start", NULL, "cap-gluetun", "9c25cbc5bb64" },
	{ "health_status", "unhealthy", "acetest-fix-28893-gluetun", "c005bdf01981" },
	{ "health_status", "healthy", "cap-gluetun", "9c25cbc5bb64" },
	{ "die", NULL, "acetest-fix-28893-engine2", "8fa51821c665" },
	{ "start", NULL, "cap-engine", "1b07f0284b34" },
	{ "restart", NULL, "acetest-fix-28893-gluetun", "c005bdf01981" },
	{ "destroy", NULL, "acetest-fix-28893-gluetun", "c005bdf01981" },
	{ "health_status", "unhealthy", "cap-gluetun", "9c25cbc5bb64" },
	{ "die", NULL, "cap-gluetun", "9c25cbc5bb64" },
	{ "start", NULL, "cap-gluetun", "9c25cbc5bb64" },
	{ "restart", NULL, "cap-gluetun", "9c25cbc5bb64" },
	{ "die", NULL, "cap-engine", "1b07f0284b34" },
	{ "die", NULL, "cap-gluetun", "9c25cbc5bb64" },
};

START_TEST(events_real_sample)
{
	size_t len;
	char *body = slurp("events_1.41.ndjson", &len);
	char *save = NULL;
	size_t i = 0;
	int64_t last = 0;
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		ck_assert_uint_lt(i, ARRAY_LEN(event_lines));
		struct docker_event e;
		char err[128];
		ck_assert_int_eq(docker_parse_event(line, strlen(line), &e, err, sizeof(err)), 0);
		ck_assert_str_eq(e.type, "container");
		ck_assert_str_eq(e.action, event_lines[i].action);
		if (event_lines[i].health)
			ck_assert_str_eq(e.health, event_lines[i].health);
		else
			ck_assert_ptr_null(e.health);
		ck_assert_str_eq(e.name, event_lines[i].name);
		ck_assert(str_startswith(e.id, event_lines[i].id_prefix));
		ck_assert_int_gt(e.time_ns, 1795321600LL * 1000000000LL);
		ck_assert_ptr_nonnull(docker_kv_get(e.attrs, e.n_attrs, "image"));
		if (strcmp(e.action, "die") == 0)
			ck_assert_ptr_nonnull(docker_kv_get(e.attrs, e.n_attrs, "exitCode"));
		ck_assert_int_gt(e.time_ns, last);
		/* Exact to the nanosecond (a double would round it). */
		char want[32];
		snprintf(want, sizeof(want), "\"timeNano\":%lld}", (long long)e.time_ns);
		ck_assert_msg(strstr(line, want), "%s not in line", want);
		last = e.time_ns;
		docker_event_free(&e);
	}
	ck_assert_uint_eq(i, ARRAY_LEN(event_lines));
	free(body);
}
END_TEST

static const struct {
	const char *json;
	int rc;
	const char *action;
	int64_t time_ns;
} event_cases[] = {
	{ "", -1, NULL, 0 },
	{ "[]", -1, NULL, 0 },
	{ "{}", -1, NULL, 0 },
	{ "{\"status\":\"die\",\"id\":\"abc\",\"time\":12}", 0, "die", 12000000000LL },
	{ "{\"Action\":\"health_status:healthy\",\"Actor\":{}}", 0, "health_status", 0 },
	{ "{\"Action\":\"exec_start: sh\",\"time\":1e30}", 0, "exec_start: sh", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":-1,\"time\":-1}", 0, "start", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":1795321628309337494}", 0, "start", 1795321628309337494LL },
	{ "{\"Action\":\"start\",\"x\":\"\\\"timeNano\\\":5\",\"timeNano\":1795321628309337494}", 0, "start", 1795321628309337494LL },
	/* A timeNano that does not fit in int64 is no time (falls back to
	 * "time"): kept as INT64_MAX it made every later event a duplicate. */
	{ "{\"Action\":\"start\",\"timeNano\":99999999999999999999999}", 0, "start", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":99999999999999999999999,\"time\":12}", 0, "start",
	  12000000000LL },
	{ "{\"Action\":\"start\",\"timeNano\":1e400,\"time\":1e400}", 0, "start", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":-1e400}", 0, "start", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":9223372036854775807}", 0, "start", 0 },
	{ "{\"Action\":\"start\",\"timeNano\":9100000000000000001}", 0, "start",
	  9100000000000000001LL },
	/* 19 and 20 digits under the same key, nested, ahead of the real one:
	 * the text scan once overflowed a signed integer on them (UBSan). */
	{ "{\"Action\":\"start\",\"x\":{\"timeNano\":9999999999999999999},"
	  "\"timeNano\":1795321628309337494}", 0, "start", 1795321628309337494LL },
	{ "{\"Action\":\"start\",\"x\":{\"timeNano\":99999999999999999999},"
	  "\"timeNano\":1795321628309337494}", 0, "start", 1795321628309337494LL },
	{ "{\"Action\":\"start\",\"x\":{\"timeNano\":9223372036854775808},"
	  "\"timeNano\":9.1e18}", 0, "start", 9100000000000000000LL },
};

START_TEST(event_edge_cases)
{
	struct docker_event e;
	char err[128] = "";
	const char *j = event_cases[_i].json;
	int rc = docker_parse_event(j, strlen(j), &e, err, sizeof(err));
	ck_assert_msg(rc == event_cases[_i].rc, "%s: rc %d", j, rc);
	if (rc == 0) {
		ck_assert_str_eq(e.action, event_cases[_i].action);
		ck_assert_int_eq(e.time_ns, event_cases[_i].time_ns);
		ck_assert_ptr_nonnull(e.id);
		ck_assert_ptr_nonnull(e.name);
	}
	docker_event_free(&e);
}
END_TEST

static const struct {
	const char *json;
	int rc;
	const char *ver;
} version_cases[] = {
	{ "{\"ApiVersion\":\"1.41\"}", 0, "1.41" },
	{ "{\"ApiVersion\":\"1.43\"}", 0, "1.43" },
	{ "{\"ApiVersion\":\"1.47\"}", 0, "1.43" },
	{ "{\"ApiVersion\":\"2.1\"}", 0, "1.43" },
	{ "{\"ApiVersion\":\"1.12\"}", -1, NULL },
	{ "{\"ApiVersion\":\"1.41x\"}", -1, NULL },
	{ "{\"ApiVersion\":141}", -1, NULL },
	{ "{}", -1, NULL },
	{ "nope", -1, NULL },
};

START_TEST(version_negotiation)
{
	char ver[16] = "", err[128] = "";
	const char *j = version_cases[_i].json;
	int rc = docker_parse_version(j, strlen(j), ver, sizeof(ver), err, sizeof(err));
	ck_assert_msg(rc == version_cases[_i].rc, "%s: rc %d", j, rc);
	if (rc == 0)
		ck_assert_str_eq(ver, version_cases[_i].ver);
}
END_TEST

START_TEST(version_real_sample)
{
	size_t len;
	char *body = slurp("version_20.10.json", &len);
	char ver[16], err[128];
	ck_assert_int_eq(docker_parse_version(body, len, ver, sizeof(ver), err, sizeof(err)), 0);
	ck_assert_str_eq(ver, "1.41");
	free(body);
}
END_TEST

static const struct {
	const char *host;
	bool ok;
} host_cases[] = {
	{ "unix:///var/run/docker.sock", true },
	{ "tcp://127.0.0.1:2375", true },
	{ "http://localhost:2375", true },
	{ NULL, true }, /* the default socket */
	{ "unix://", false },
	{ "tcp://", false },
	{ "tcp://[::1]:2375", true },
	{ "tcp://host:notaport", false },
	{ "tcp://a b:1", false },
	{ "ssh://user@host", false },
	{ "/var/run/docker.sock", false },
};

START_TEST(host_forms)
{
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host_cases[_i].host, &err);
	ck_assert_msg((d != NULL) == host_cases[_i].ok, "%s", host_cases[_i].host);
	if (!d)
		ck_assert_msg(err.msg[0], "no message for %s", host_cases[_i].host);
	docker_free(d);
}
END_TEST

/* ---- a fake daemon on a unix socket ----------------------------------- */

struct fake {
	pid_t pid;
	char sock[108];
	char log[128];
};

static void fake_reply(int fd, const char *status, const char *body)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, strlen(body));
	if (write(fd, hdr, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		_exit(3);
}

/* Chunk size of the events stream: small, so that events straddle chunk
 * (and read) boundaries. */
static size_t fake_chunk = 7;

/* The events stream: chunked, split every fake_chunk bytes. */
static void fake_events(int fd, const char *body)
{
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
	if (write(fd, hdr, strlen(hdr)) < 0)
		_exit(3);
	size_t len = strlen(body);
	for (size_t o = 0; o < len; o += fake_chunk) {
		size_t n = len - o < fake_chunk ? len - o : fake_chunk;
		char c[16];
		int k = snprintf(c, sizeof(c), "%zx\r\n", n);
		if (write(fd, c, (size_t)k) < 0 || write(fd, body + o, n) < 0 || write(fd, "\r\n", 2) < 0)
			_exit(3);
		/* Pause now and then so that reads see partial lines. */
		struct timespec ts = { 0, 1000000 };
		if (o % (fake_chunk * 100) == 0)
			nanosleep(&ts, NULL);
	}
	if (write(fd, "0\r\n\r\n", 5) < 0)
		_exit(3);
}

static void fake_serve(int lfd, const char *logpath, const char *events)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(0);
		char req[8192];
		size_t n = 0;
		while (n < sizeof(req) - 1) {
			ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
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
		FILE *lf = fopen(logpath, "a");
		if (lf) {
			fprintf(lf, "%s\n", req);
			fclose(lf);
		}
		if (strstr(req, " /version "))
			fake_reply(fd, "200 OK", "{\"ApiVersion\":\"1.41\",\"Version\":\"20.10.24\"}");
		else if (strstr(req, "/events?"))
			fake_events(fd, events);
		else if (strstr(req, "/containers/hang/json"))
			pause(); /* a Docker that never answers */
		else if (strstr(req, "/containers/missing/json"))
			fake_reply(fd, "404 Not Found", "{\"message\":\"No such container: missing\"}");
		else if (strstr(req, "/containers/json?"))
			fake_reply(fd, "200 OK", "[]");
		else if (strstr(req, "/containers/create?"))
			fake_reply(fd, "409 Conflict", "{\"message\":\"Conflict. The container name \\\"/x\\\" is already in use\"}");
		else if (strstr(req, "/restart?"))
			fake_reply(fd, "500 Internal Server Error", "not json at all");
		else
			fake_reply(fd, "204 No Content", "");
		/* Lingering close: a close with unread input resets the peer
		 * before it has read the answer. */
		shutdown(fd, SHUT_WR);
		struct timeval tv = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (read(fd, req, sizeof(req)) > 0)
			;
		close(fd);
	}
}

static void fake_start(struct fake *f, const char *events)
{
	snprintf(f->sock, sizeof(f->sock), "/tmp/ace-fake-docker-%d.sock", (int)getpid());
	snprintf(f->log, sizeof(f->log), "/tmp/ace-fake-docker-%d.log", (int)getpid());
	unlink(f->sock);
	unlink(f->log);
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		fake_serve(lfd, f->log, events);
		_exit(0);
	}
	close(lfd);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL); /* a SIGTERM handler may be inherited from Check */
	waitpid(f->pid, NULL, 0);
	unlink(f->sock);
	unlink(f->log);
}

static bool log_has(const struct fake *f, const char *needle)
{
	size_t len;
	char *s = read_file(f->log, 1 << 20, &len);
	bool r = s && strstr(s, needle);
	free(s);
	return r;
}

START_TEST(client_against_fake_daemon)
{
	struct fake f;
	fake_start(&f, "");
	char *host = xasprintf("unix://%s", f.sock);
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host, &err);
	ck_assert_ptr_nonnull(d);

	struct docker_list l;
	ck_assert_int_eq(docker_list(d, "acestream.orchestrator=t 1", &l, &err), 0);
	ck_assert_uint_eq(l.n, 0);
	docker_list_free(&l);
	ck_assert_str_eq(docker_api_version(d), "1.41");
	/* {"label":["acestream.orchestrator=t 1"]}, URL-encoded, versioned. */
	ck_assert(log_has(&f, "GET /v1.41/containers/json?all=1&filters="
			  "%7B%22label%22%3A%5B%22acestream.orchestrator%3Dt%201%22%5D%7D HTTP"));

	struct docker_inspect in;
	ck_assert_int_eq(docker_inspect(d, "missing", &in, &err), -1);
	ck_assert(docker_err_not_found(&err));
	ck_assert_msg(strstr(err.msg, "No such container: missing"), "%s", err.msg);
	docker_inspect_free(&in);

	char id[80];
	const char *labels[] = { "acestream.orchestrator", "t" };
	struct docker_create_spec s = { .name = "x", .image = "img", .labels = labels, .n_labels = 1 };
	ck_assert_int_eq(docker_create(d, &s, id, sizeof(id), &err), -1);
	ck_assert_int_eq(err.http_status, 409);
	ck_assert_msg(strstr(err.msg, "already in use"), "%s", err.msg);

	ck_assert_int_eq(docker_restart(d, "abc", 1, &err), -1);
	ck_assert_int_eq(err.http_status, 500);
	ck_assert_msg(strstr(err.msg, "not json at all"), "%s", err.msg);
	ck_assert(log_has(&f, "POST /v1.41/containers/abc/restart?t=1 HTTP"));

	/* Under load (about 1 run in 40) this fake's socket gets reset before
	 * the answer is read; never seen with dockerd. What is checked here is
	 * the request line and the status mapping, so a transport error
	 * (http_status 0) is retried. */
	int rc = -1;
	for (int i = 0; i < 3 && rc < 0; i++)
		if ((rc = docker_start(d, "abc", &err)) < 0)
			ck_assert_msg(err.http_status == 0, "%s", err.msg);
	ck_assert_msg(rc == 0, "%s", err.msg);
	rc = -1;
	for (int i = 0; i < 3 && rc < 0; i++)
		if ((rc = docker_stop(d, "abc", 3, &err)) < 0)
			ck_assert_msg(err.http_status == 0, "%s", err.msg);
	ck_assert_msg(rc == 0, "%s", err.msg);
	rc = -1;
	for (int i = 0; i < 3 && rc < 0; i++)
		if ((rc = docker_remove(d, "abc", &err)) < 0)
			ck_assert_msg(err.http_status == 0, "%s", err.msg);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert(log_has(&f, "POST /v1.41/containers/abc/stop?t=3 HTTP"));
	ck_assert(log_has(&f, "DELETE /v1.41/containers/abc?force=1&v=1 HTTP"));
	docker_free(d);
	free(host);
	fake_stop(&f);
}
END_TEST

struct seen {
	int n;
	char actions[32][32];
};

static void on_event(const struct docker_event *e, void *ud)
{
	struct seen *s = ud;
	if (s->n < 32)
		snprintf(s->actions[s->n], sizeof(s->actions[0]), "%s%s%s", e->action,
			 e->health ? ":" : "", e->health ? e->health : "");
	s->n++;
}

struct events_run {
	struct seen seen;
	struct docker_err end;
	int ended;
};

static void on_ev(const struct docker_event *e, void *ud)
{
	on_event(e, &((struct events_run *)ud)->seen);
}

static void on_ended(const struct docker_err *why, void *ud)
{
	struct events_run *r = ud;
	r->end = *why;
	r->ended++;
}

/* Runs the loop until the stream ended (or 10 s passed). */
static void pump(struct evloop *l, struct events_run *r, int ended)
{
	for (int64_t end = now_mono_ms() + 10000; r->ended < ended && now_mono_ms() < end;)
		evloop_run_once(l, 20);
}

START_TEST(events_split_across_chunks)
{
	size_t len;
	char *body = slurp("events_1.41.ndjson", &len);
	/* A garbled line and a blank one in the middle must be skipped. */
	char *events = xasprintf("%s\n{oops\n\n", body);
	struct fake f;
	fake_start(&f, events);
	char *host = xasprintf("unix://%s", f.sock);
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host, &err);
	struct evloop *l = evloop_new();
	struct cmulti *cm = cmulti_new(l);
	struct events_run run = { 0 };
	struct docker_events_cbs cbs = { on_ev, on_ended, &run };
	struct docker_events *ev = docker_events_open(d, 0, &cbs, cm, &err);
	ck_assert_msg(ev != NULL, "%s", err.msg);
	pump(l, &run, 1);
	ck_assert_int_eq(run.ended, 1);
	ck_assert(!docker_events_alive(ev, &err));
	ck_assert_int_eq(err.http_status, 200); /* closed by the daemon, cleanly */
	ck_assert_int_eq(run.end.http_status, 200);
	ck_assert_int_eq(run.seen.n, (int)ARRAY_LEN(event_lines));
	ck_assert_str_eq(run.seen.actions[2], "health_status:healthy");
	ck_assert_str_eq(run.seen.actions[3], "die");
	ck_assert(log_has(&f, "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D"));
	int64_t last = docker_events_last_ns(ev);
	ck_assert_int_gt(last, 1795321600LL * 1000000000LL);

	/* Reconnect replays from the last event: nothing is delivered twice. */
	ck_assert_int_eq(docker_events_reconnect(ev, &err), 0);
	pump(l, &run, 2);
	ck_assert_int_eq(run.ended, 2);
	ck_assert_int_eq(run.seen.n, (int)ARRAY_LEN(event_lines));
	char since[64];
	snprintf(since, sizeof(since), "&since=%lld.%09lld HTTP", (long long)(last / 1000000000),
		 (long long)(last % 1000000000));
	ck_assert_msg(log_has(&f, since), "no %s", since);
	docker_events_close(ev);
	cmulti_free(cm);
	evloop_free(l);
	docker_free(d);
	free(host);
	free(events);
	free(body);
	fake_stop(&f);
}
END_TEST

/* A line longer than DOCKER_EVENT_LINE_MAX (here 20 MiB with no newline for
 * most of it) is dropped, the events around it are delivered, and the
 * buffer never holds more than the cap. */
START_TEST(events_overlong_line_dropped)
{
	size_t len;
	char *body = slurp("events_1.41.ndjson", &len);
	size_t big = 20u << 20;
	char *events = xmalloc(len + big + len + 4);
	memcpy(events, body, len);
	memset(events + len, 'x', big);
	events[len + big] = '\n';
	memcpy(events + len + big + 1, body, len);
	events[len + big + 1 + len] = '\0';
	fake_chunk = 64 * 1024;
	struct fake f;
	fake_start(&f, events);
	fake_chunk = 7;
	char *host = xasprintf("unix://%s", f.sock);
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host, &err);
	struct evloop *l = evloop_new();
	struct cmulti *cm = cmulti_new(l);
	struct events_run run = { 0 };
	struct docker_events_cbs cbs = { on_ev, on_ended, &run };
	struct docker_events *ev = docker_events_open(d, 0, &cbs, cm, &err);
	ck_assert_msg(ev != NULL, "%s", err.msg);
	pump(l, &run, 1);
	ck_assert_int_eq(run.ended, 1);
	/* The first copy's events; the second copy repeats the same
	 * timestamps, so since-dedup drops it: what matters is that the
	 * stream survived the long line to read it. */
	ck_assert_int_eq(run.seen.n, (int)ARRAY_LEN(event_lines));
	ck_assert_int_eq(run.end.http_status, 200);
	docker_events_close(ev);
	cmulti_free(cm);
	evloop_free(l);
	docker_free(d);
	free(host);
	free(events);
	free(body);
	fake_stop(&f);
}
END_TEST

static void *cancel_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000 };
	nanosleep(&ts, NULL);
	uint64_t one = 1;
	if (write(*(int *)arg, &one, sizeof one) < 0)
		abort();
	return NULL;
}

/* A call to a Docker that never answers gives up as soon as the cancel fd
 * is written (SIGTERM must not wait out a 10 s timeout). */
START_TEST(blocking_call_cancelled)
{
	struct fake f;
	fake_start(&f, "");
	char *host = xasprintf("unix://%s", f.sock);
	struct docker_err err = { 0, "" };
	struct docker *d = docker_new(host, &err);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	docker_set_cancel_fd(d, efd);
	ck_assert_int_eq(docker_negotiate(d, &err), 0);
	pthread_t th;
	pthread_create(&th, NULL, cancel_later, &efd);
	int64_t t0 = now_mono_ms();
	struct docker_inspect in;
	ck_assert_int_eq(docker_inspect(d, "hang", &in, &err), -1);
	int64_t took = now_mono_ms() - t0;
	pthread_join(th, NULL);
	ck_assert_msg(strstr(err.msg, "cancelled"), "%s", err.msg);
	ck_assert_msg(took < 2000, "took %lld ms", (long long)took);
	/* Once cancelled, every later call fails at once. */
	struct docker_list list;
	ck_assert_int_eq(docker_list(d, NULL, &list, &err), -1);
	ck_assert_msg(strstr(err.msg, "cancelled"), "%s", err.msg);
	close(efd);
	docker_free(d);
	free(host);
	fake_stop(&f);
}
END_TEST

START_TEST(unreachable_daemon_is_an_error_value)
{
	const char *hosts[] = { "unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1" };
	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		struct docker_err err = { 0, "" };
		struct docker *d = docker_new(hosts[i], &err);
		ck_assert_ptr_nonnull(d);
		struct docker_list l;
		ck_assert_int_eq(docker_list(d, "a=b", &l, &err), -1);
		ck_assert_int_eq(err.http_status, 0);
		ck_assert_msg(strstr(err.msg, hosts[i]), "%s", err.msg);
		struct evloop *loop = evloop_new();
		struct cmulti *cm = cmulti_new(loop);
		struct docker_events_cbs cbs = { on_ev, on_ended, NULL };
		struct docker_events *ev = docker_events_open(d, 0, &cbs, cm, &err);
		ck_assert_ptr_null(ev);
		cmulti_free(cm);
		evloop_free(loop);
		docker_free(d);
	}
}
END_TEST

static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *tc = tcase_create("decoders");
	tcase_add_test(tc, list_real_sample);
	tcase_add_loop_test(tc, list_edge_cases, 0, (int)ARRAY_LEN(list_cases));
	tcase_add_test(tc, inspect_real_gluetun);
	tcase_add_test(tc, inspect_real_engine);
	tcase_add_loop_test(tc, inspect_edge_cases, 0, (int)ARRAY_LEN(inspect_cases));
	tcase_add_test(tc, events_real_sample);
	tcase_add_loop_test(tc, event_edge_cases, 0, (int)ARRAY_LEN(event_cases));
	tcase_add_loop_test(tc, version_negotiation, 0, (int)ARRAY_LEN(version_cases));
	tcase_add_test(tc, version_real_sample);
	tcase_add_loop_test(tc, host_forms, 0, (int)ARRAY_LEN(host_cases));
	suite_add_tcase(s, tc);
	TCase *tn = tcase_create("client");
	tcase_set_timeout(tn, 30);
	tcase_add_test(tn, client_against_fake_daemon);
	tcase_add_test(tn, events_split_across_chunks);
	tcase_add_test(tn, events_overlong_line_dropped);
	tcase_add_test(tn, blocking_call_cancelled);
	tcase_add_test(tn, unreachable_daemon_is_an_error_value);
	suite_add_tcase(s, tn);
	return s;
}

int main(void)
{
	docker_global_init();
	SRunner *sr = srunner_create(docker_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	docker_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
