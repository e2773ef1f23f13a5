/* test_service.c - unit tests of service.c: the sd_notify datagrams a test
 * socket receives, the watchdog interval, and the STATUS= text. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "service.h"
#include "snapshot.h"
#include "util.h"

/* A datagram socket standing in for systemd's NOTIFY_SOCKET. */
static int sock = -1;
static char sock_path[108];

static void setup(void)
{
	sbuf_printf(sock_path, sizeof sock_path, "%s/ace-notify-%ld.sock",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	unlink(sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sock, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
	setenv("NOTIFY_SOCKET", sock_path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void teardown(void)
{
	close(sock);
	unlink(sock_path);
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram, or "" when none is waiting. */
static const char *next_msg(void)
{
	static char buf[512];
	ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		n = 0;
	}
	buf[n] = 0;
	return buf;
}

/* A snapshot with `serving` visible engines out of `engines`, and `up` of
 * `vpns` VPNs available. */
static struct snapshot *snap_new(size_t engines, size_t serving, size_t vpns, size_t up)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->docker_ok = true;
	s->n_engines = engines;
	s->engines = xcalloc(engines ? engines : 1, sizeof *s->engines);
	for (size_t i = 0; i < serving; i++)
		s->engines[i].visible = true;
	s->n_vpns = vpns;
	s->vpns = xcalloc(vpns ? vpns : 1, sizeof *s->vpns);
	for (size_t i = 0; i < up; i++)
		s->vpns[i].connected = true;
	return s;
}

static void snap_free(struct snapshot *s)
{
	free(s->engines);
	free(s->vpns);
	free(s->last_reload_error);
	free(s);
}

START_TEST(status_text_counts_serving_engines_and_vpns_up)
{
	struct snapshot *s = snap_new(4, 3, 2, 1);
	char *t = service_status_text(s);
	ck_assert_str_eq(t, "3 of 4 engines serving, 1 of 2 VPNs up");
	free(t);
	snap_free(s);

	s = snap_new(1, 1, 1, 1);
	t = service_status_text(s);
	ck_assert_str_eq(t, "1 of 1 engine serving, 1 of 1 VPN up");
	free(t);
	snap_free(s);

	s = snap_new(2, 2, 0, 0);
	t = service_status_text(s);
	ck_assert_str_eq(t, "2 of 2 engines serving, no VPN");
	free(t);
	snap_free(s);
}
END_TEST

START_TEST(status_text_puts_docker_and_reload_errors_first_and_last)
{
	struct snapshot *s = snap_new(2, 0, 1, 0);
	s->docker_ok = false;
	s->last_reload_error = xstrdup("orchestrator.yaml:3:1: error: x");
	char *t = service_status_text(s);
	ck_assert_str_eq(t, "Docker unreachable; 0 of 2 engines serving, 0 of 1 VPN up; last config reload failed");
	free(t);
	snap_free(s);
	/* A view kept through a Docker failure (api.stale_grace) says so. */
	s = snap_new(2, 2, 1, 1);
	s->docker_ok = false;
	s->stale = true;
	t = service_status_text(s);
	ck_assert_str_eq(t, "Docker failing, last good view; 2 of 2 engines serving, 1 of 1 VPN up");
	free(t);
	snap_free(s);
	t = service_status_text(NULL);
	ck_assert_str_eq(t, "starting");
	free(t);
}
END_TEST

#ifdef HAVE_LIBSYSTEMD
START_TEST(ready_reloading_stopping_reach_the_notify_socket)
{
	struct service svc;
	service_init(&svc);
	ck_assert(service_available());
	service_ready(&svc);
	ck_assert_str_eq(next_msg(), "READY=1");
	service_reloading(&svc);
	const char *m = next_msg();
	ck_assert_msg(str_startswith(m, "RELOADING=1\nMONOTONIC_USEC="), "got '%s'", m);
	long long usec = atoll(m + strlen("RELOADING=1\nMONOTONIC_USEC="));
	ck_assert_int_gt(usec, 0);
	service_ready(&svc);
	ck_assert_str_eq(next_msg(), "READY=1");
	service_stopping(&svc);
	ck_assert_str_eq(next_msg(), "STOPPING=1");
	ck_assert_str_eq(next_msg(), "");
	service_destroy(&svc);
}
END_TEST

START_TEST(status_is_sent_only_when_it_changes)
{
	struct service svc;
	service_init(&svc);
	struct snapshot *s = snap_new(2, 1, 1, 1);
	service_status(&svc, s);
	ck_assert_str_eq(next_msg(), "STATUS=1 of 2 engines serving, 1 of 1 VPN up");
	service_status(&svc, s);
	ck_assert_str_eq(next_msg(), "");
	s->engines[1].visible = true;
	service_status(&svc, s);
	ck_assert_str_eq(next_msg(), "STATUS=2 of 2 engines serving, 1 of 1 VPN up");
	snap_free(s);
	service_destroy(&svc);
}
END_TEST

START_TEST(watchdog_interval_is_half_of_watchdog_usec_for_this_pid)
{
	char pid[32];
	sbuf_printf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	struct service svc;
	service_init(&svc);
	ck_assert_int_eq(service_watchdog_interval_ms(&svc), 2000);
	service_watchdog(&svc);
	ck_assert_str_eq(next_msg(), "WATCHDOG=1");
	service_destroy(&svc);

	/* WATCHDOG_PID names another process: the watchdog is not ours. */
	sbuf_printf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	service_init(&svc);
	ck_assert_int_eq(service_watchdog_interval_ms(&svc), 0);
	service_watchdog(&svc);
	ck_assert_str_eq(next_msg(), "");
	service_destroy(&svc);
}
END_TEST
#else
START_TEST(without_libsystemd_nothing_is_sent)
{
	setenv("WATCHDOG_USEC", "4000000", 1);
	struct service svc;
	service_init(&svc);
	ck_assert(!service_available());
	ck_assert_int_eq(service_watchdog_interval_ms(&svc), 0);
	service_ready(&svc);
	service_reloading(&svc);
	service_watchdog(&svc);
	struct snapshot *s = snap_new(1, 1, 0, 0);
	service_status(&svc, s);
	snap_free(s);
	ck_assert_str_eq(next_msg(), "");
	service_destroy(&svc);
}
END_TEST
#endif

START_TEST(no_notify_socket_is_harmless)
{
	unsetenv("NOTIFY_SOCKET");
	struct service svc;
	service_init(&svc);
	service_ready(&svc);
	service_reloading(&svc);
	service_stopping(&svc);
	struct snapshot *s = snap_new(1, 1, 0, 0);
	service_status(&svc, s);
	snap_free(s);
	ck_assert_str_eq(next_msg(), "");
	service_destroy(&svc);
}
END_TEST

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, status_text_counts_serving_engines_and_vpns_up);
	tcase_add_test(tc, status_text_puts_docker_and_reload_errors_first_and_last);
#ifdef HAVE_LIBSYSTEMD
	tcase_add_test(tc, ready_reloading_stopping_reach_the_notify_socket);
	tcase_add_test(tc, status_is_sent_only_when_it_changes);
	tcase_add_test(tc, watchdog_interval_is_half_of_watchdog_usec_for_this_pid);
#else
	tcase_add_test(tc, without_libsystemd_nothing_is_sent);
#endif
	tcase_add_test(tc, no_notify_socket_is_harmless);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(service_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
