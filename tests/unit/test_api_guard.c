/* test_api_guard.c - the API's defences under attack: 300 connections that
 * send their headers a byte at a time cannot lock it out (per-IP limit,
 * whole-request deadline), and warnings about them stay rate-limited. */
#include "config-auto.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "api_client.h"
#include "api_fixture.h"
#include "api_guard.h"
#include "log.h"
#include "util.h"

/* ---- the rate limiter ---- */

START_TEST(ratelimit_burst_then_summary)
{
	struct api_ratelimit r = { 0 };
	uint64_t dropped = 99;
	int64_t t = 1000;
	for (int i = 0; i < API_WARN_BURST; i++) {
		ck_assert(api_ratelimit_take(&r, t + i, &dropped));
		ck_assert_uint_eq(dropped, 0);
	}
	for (int i = 0; i < 1000; i++)
		ck_assert(!api_ratelimit_take(&r, t + 10 + i, &dropped));
	/* The next window's first warning says how many were dropped. */
	ck_assert(api_ratelimit_take(&r, t + API_WARN_WINDOW_MS, &dropped));
	ck_assert_uint_eq(dropped, 1000);
	ck_assert(api_ratelimit_take(&r, t + API_WARN_WINDOW_MS + 1, &dropped));
	ck_assert_uint_eq(dropped, 0);
}
END_TEST

/* ---- slow clients ---- */

#define SLOW_PREFIX "GET /engines HTTP/1.1\r\nHost: x\r\nX-Slow: "

struct slow {
	int fd;
	size_t sent;
	bool closed;
};

/* A client socket from src (any 127/8 address is local on Linux, so each
 * can play a different client address), connected, then non-blocking. */
static int slow_open(int port, const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, src, &a.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&d, sizeof d), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* One more byte of a header that never ends; notes a server close. */
static void slow_step(struct slow *s)
{
	if (s->closed)
		return;
	char c;
	ssize_t n = recv(s->fd, &c, 1, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		s->closed = true;
		return;
	}
	const char *p = SLOW_PREFIX;
	char b = s->sent < strlen(p) ? p[s->sent] : 'a';
	if (send(s->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
		s->sent++;
	else if (errno != EAGAIN && errno != EWOULDBLOCK)
		s->closed = true;
}

static size_t slow_round(struct slow *v, size_t n)
{
	size_t open = 0;
	for (size_t i = 0; i < n; i++) {
		slow_step(&v[i]);
		open += !v[i].closed;
	}
	return open;
}

static void slow_close(struct slow *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(v[i].fd);
}

/* Trickles until at most `want` connections stay open (polling every
 * 20 ms, at most limit_ms); returns how many stayed open. */
static size_t trickle_until(struct slow *v, size_t n, size_t want, int64_t limit_ms)
{
	int64_t end = now_mono_ms() + limit_ms;
	size_t open;
	while ((open = slow_round(v, n)) > want && now_mono_ms() < end)
		usleep(20000);
	return open;
}

static long healthz(int port)
{
	struct http_resp r = http_do(port, "GET", "/healthz", NULL, NULL, 0);
	long code = r.code;
	http_free(&r);
	return code;
}

enum { N_SLOW = 300 };

/* One address, 300 connections: all but api.per_ip_limit are closed at
 * accept, and /healthz from another address answers throughout. The
 * limit's warnings are rate-limited. */
START_TEST(slowloris_one_address)
{
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logbuf, &loglen);
	log_setup(LOG_WARN, false, logf);
	struct test_server sv;
	struct api_opts o = { .per_ip_limit = 32, .deadline_ms = 60000 };
	test_server_start(&sv, &o);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	struct slow *v = xcalloc(N_SLOW, sizeof *v);
	for (size_t i = 0; i < N_SLOW; i++)
		v[i].fd = slow_open(sv.port, "127.0.0.2");
	size_t open = trickle_until(v, N_SLOW, 32, 20000);
	ck_assert_uint_eq(open, 32);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(healthz(sv.port), 200);
		ck_assert_uint_eq(slow_round(v, N_SLOW), 32); /* still held, still trickling */
	}
	slow_close(v, N_SLOW);
	free(v);
	test_server_stop(&sv);
	fclose(logf);
	size_t lines = 0;
	for (const char *p = logbuf; (p = strstr(p, "api: libmicrohttpd")); p++)
		lines++;
	ck_assert_msg(lines <= API_WARN_BURST, "%zu warnings:\n%s", lines, logbuf);
	free(logbuf);
}
END_TEST

/* 300 connections from ten addresses (under the per-IP limit): all held,
 * /healthz still answers, and every one is shut down at the deadline
 * although it keeps sending. */
START_TEST(slowloris_many_addresses_deadline)
{
	struct test_server sv;
	struct api_opts o = { .per_ip_limit = 32, .deadline_ms = 1000 };
	test_server_start(&sv, &o);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	struct slow *v = xcalloc(N_SLOW, sizeof *v);
	char src[32];
	for (size_t i = 0; i < N_SLOW; i++) {
		snprintf(src, sizeof src, "127.0.0.%zu", 2 + i / 30);
		v[i].fd = slow_open(sv.port, src);
	}
	ck_assert_int_eq(healthz(sv.port), 200);
	ck_assert_uint_eq(trickle_until(v, N_SLOW, 0, 30000), 0);
	for (size_t i = 0; i < N_SLOW; i++)
		ck_assert_uint_gt(v[i].sent, 0);
	ck_assert_int_eq(healthz(sv.port), 200);
	struct http_resp r = http_do(sv.port, "GET", "/metrics", NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "orch_api_deadline_closes_total 300\n"));
	http_free(&r);
	slow_close(v, N_SLOW);
	free(v);
	test_server_stop(&sv);
}
END_TEST

/* Every connection slot taken by slow clients: the deadline hands them
 * back, and the API answers again without anyone disconnecting. */
START_TEST(slowloris_all_slots_recovered)
{
	struct test_server sv;
	struct api_opts o = { .per_ip_limit = 32, .conn_limit = 64, .deadline_ms = 1000 };
	test_server_start(&sv, &o);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	struct slow *v = xcalloc(N_SLOW, sizeof *v);
	char src[32];
	for (size_t i = 0; i < N_SLOW; i++) {
		snprintf(src, sizeof src, "127.0.0.%zu", 2 + i / 30);
		v[i].fd = slow_open(sv.port, src);
	}
	ck_assert_uint_eq(trickle_until(v, N_SLOW, 0, 30000), 0);
	ck_assert_int_eq(healthz(sv.port), 200);
	/* A keep-alive request/response works as before. */
	http_expect(sv.port, "GET", "/engines/acestream-19000", NULL, NULL, 200, NULL);
	slow_close(v, N_SLOW);
	free(v);
	test_server_stop(&sv);
}
END_TEST

/* A POST whose body trickles is held to the same deadline. */
START_TEST(slow_body_deadline)
{
	struct test_server sv;
	struct api_opts o = { .deadline_ms = 1000 };
	test_server_start(&sv, &o);
	snapshot_publish(&sv.st, api_fixture_snapshot());
	int fd = slow_open(sv.port, "127.0.0.1");
	const char *h = "POST /events/stream_started HTTP/1.1\r\nHost: x\r\n"
			"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{";
	ck_assert_int_eq(send(fd, h, strlen(h), MSG_NOSIGNAL), (ssize_t)strlen(h));
	struct slow s = { .fd = fd, .sent = 1000 };
	int64_t t0 = now_mono_ms();
	while (!s.closed && now_mono_ms() - t0 < 20000) {
		slow_step(&s); /* one ' '... into the body every 20 ms */
		usleep(20000);
	}
	ck_assert(s.closed);
	close(fd);
	test_server_stop(&sv);
}
END_TEST

static Suite *guard_suite(void)
{
	Suite *s = suite_create("api_guard");
	TCase *tc = tcase_create("ratelimit");
	tcase_add_test(tc, ratelimit_burst_then_summary);
	suite_add_tcase(s, tc);
	tc = tcase_create("slow clients");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, slowloris_one_address);
	tcase_add_test(tc, slowloris_many_addresses_deadline);
	tcase_add_test(tc, slowloris_all_slots_recovered);
	tcase_add_test(tc, slow_body_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* 300 client and 300 server sockets in one process. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
		rl.rlim_cur = 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(guard_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
