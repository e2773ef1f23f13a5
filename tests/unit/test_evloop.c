/* test_evloop.c - unit tests of the reactor (evloop.c), the thread pool whose
 * results come back as loop messages (bgpool.c) and the curl-multi adapter
 * (cmulti.c) against a local listener. */
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgpool.h"
#include "cmulti.h"
#include "evloop.h"
#include "probe.h"
#include "util.h"

struct fired {
	int n;
	int64_t at[8];
};

static void on_fire(struct ev_timer *t)
{
	struct fired *f = t->ud;
	if (f->n < 8)
		f->at[f->n] = now_mono_ms();
	f->n++;
}

static void run_until(struct evloop *l, const int *n, int want, int64_t ms)
{
	for (int64_t end = now_mono_ms() + ms; *n < want && now_mono_ms() < end;)
		evloop_run_once(l, 10);
}

START_TEST(timer_one_shot_periodic_and_soon)
{
	struct evloop *l = evloop_new();
	struct fired f = { 0 };
	struct ev_timer t;
	ev_timer_init(l, &t, on_fire, &f);
	ck_assert(!ev_timer_armed(&t));
	int64_t t0 = now_mono_ms();
	ev_timer_arm(&t, 30, 0);
	ck_assert(ev_timer_armed(&t));
	run_until(l, &f.n, 1, 2000);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_ge(f.at[0] - t0, 25);
	ck_assert(!ev_timer_armed(&t));
	/* Periodic. */
	ev_timer_arm(&t, 10, 10);
	run_until(l, &f.n, 4, 2000);
	ck_assert_int_ge(f.n, 4);
	ev_timer_arm(&t, -1, 0);
	ck_assert(!ev_timer_armed(&t));
	/* soon() keeps an earlier expiry: a burst of requests gives one. */
	f.n = 0;
	ev_timer_arm(&t, 20, 0);
	ev_timer_soon(&t, 5000);
	ev_timer_soon(&t, 1000);
	run_until(l, &f.n, 1, 2000);
	ck_assert_int_eq(f.n, 1);
	/* ... and brings a later one forward. */
	f.n = 0;
	t0 = now_mono_ms();
	ev_timer_arm(&t, 5000, 0);
	ev_timer_soon(&t, 10);
	run_until(l, &f.n, 1, 2000);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_lt(f.at[0] - t0, 1000);
	ev_timer_close(l, &t);
	evloop_free(l);
}
END_TEST

struct fdrec {
	struct ev_handler h;
	int calls;
	uint32_t last;
};

static void on_fd(struct ev_handler *h, uint32_t events)
{
	struct fdrec *r = (struct fdrec *)h;
	char buf[16];
	if (read(h->fd, buf, sizeof buf) < 0) {
		/* nothing: the test counts calls */
	}
	r->calls++;
	r->last = events;
}

START_TEST(each_fd_its_own_callback)
{
	struct evloop *l = evloop_new();
	int p1[2], p2[2];
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	struct fdrec a = { { p1[0], on_fd }, 0, 0 }, b = { { p2[0], on_fd }, 0, 0 };
	evloop_add(l, &a.h, EPOLLIN);
	evloop_add(l, &b.h, EPOLLIN);
	ck_assert_int_eq(write(p2[1], "x", 1), 1);
	run_until(l, &b.calls, 1, 1000);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_int_eq(b.calls, 1);
	ck_assert(b.last & EPOLLIN);
	evloop_del(l, &b.h);
	ck_assert_int_eq(write(p2[1], "x", 1), 1);
	ck_assert_int_eq(write(p1[1], "y", 1), 1);
	run_until(l, &a.calls, 1, 1000);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(p1[i]);
		close(p2[i]);
	}
	evloop_free(l);
}
END_TEST

/* ---- bgpool ---- */

struct job {
	int id;
	int sleep_ms;
	pthread_t ran_on;
	bool done, ran;
	int *order;
	int *n_order;
};

static void job_work(void *arg)
{
	struct job *j = arg;
	struct timespec ts = { j->sleep_ms / 1000, (j->sleep_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	j->ran_on = pthread_self();
}

static void job_done(void *arg, bool ran)
{
	struct job *j = arg;
	j->done = true;
	j->ran = ran;
	j->order[(*j->n_order)++] = j->id;
	/* done runs on the loop thread, never a worker's */
	ck_assert(pthread_equal(pthread_self(), j->ran_on) == 0 || !ran);
}

START_TEST(pool_results_come_back_on_the_loop_in_order)
{
	struct evloop *l = evloop_new();
	struct bgpool *p = bgpool_new(l, 1);
	int order[8], n = 0;
	struct job jobs[5];
	for (int i = 0; i < 5; i++) {
		jobs[i] = (struct job){ .id = i, .sleep_ms = 5, .order = order, .n_order = &n };
		bgpool_submit(p, job_work, job_done, &jobs[i]);
	}
	ck_assert_uint_eq(bgpool_pending(p), 5);
	run_until(l, &n, 5, 5000);
	ck_assert_int_eq(n, 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(order[i], i); /* one thread: submission order */
		ck_assert(jobs[i].ran);
	}
	ck_assert_uint_eq(bgpool_pending(p), 0);
	ck_assert(bgpool_stop(p, 1000));
	evloop_free(l);
}
END_TEST

START_TEST(pool_stop_is_bounded_when_work_is_stuck)
{
	struct evloop *l = evloop_new();
	struct bgpool *p = bgpool_new(l, 1);
	int order[4], n = 0;
	struct job slow = { .id = 1, .sleep_ms = 3000, .order = order, .n_order = &n };
	struct job queued = { .id = 2, .sleep_ms = 0, .order = order, .n_order = &n };
	bgpool_submit(p, job_work, job_done, &slow);
	bgpool_submit(p, job_work, job_done, &queued);
	struct timespec ts = { 0, 50 * 1000000L };
	nanosleep(&ts, NULL); /* the slow job has started */
	int64_t t0 = now_mono_ms();
	ck_assert(!bgpool_stop(p, 200));
	ck_assert_int_lt(now_mono_ms() - t0, 1000);
	/* The queued job was never run, and said so. */
	ck_assert(queued.done);
	ck_assert(!queued.ran);
	ck_assert(!slow.done);
	evloop_free(l);
	/* The stuck thread still holds the pool: let it finish before the
	 * test process moves on. */
	ts.tv_sec = 3;
	nanosleep(&ts, NULL);
}
END_TEST

/* ---- cmulti ---- */

struct server {
	int lfd;
	int port;
	pthread_t th;
	int n;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	for (int i = 0; i < s->n; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		char buf[2048];
		if (read(fd, buf, sizeof buf) < 0) {
			/* answer anyway */
		}
		const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		if (write(fd, r, strlen(r)) < 0) {
			/* the client will see the error */
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s, int n)
{
	s->n = n;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(s->lfd, 16), 0);
	socklen_t len = sizeof sa;
	getsockname(s->lfd, (struct sockaddr *)&sa, &len);
	s->port = ntohs(sa.sin_port);
	pthread_create(&s->th, NULL, serve, s);
}

struct xfer {
	int done;
	CURLcode res[4];
	long code[4];
};

static void xfer_done(CURL *easy, CURLcode res, void *ud)
{
	struct xfer *x = ud;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->code[x->done]);
	x->res[x->done++] = res;
	curl_easy_cleanup(easy);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	return sz * n;
}

START_TEST(multi_transfers_complete_through_the_loop)
{
	struct evloop *l = evloop_new();
	struct cmulti *m = cmulti_new(l);
	struct server s;
	server_start(&s, 3);
	struct xfer x = { 0 };
	char *url = xasprintf("http://127.0.0.1:%d/", s.port);
	for (int i = 0; i < 3; i++) {
		CURL *e = curl_easy_init();
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
		ck_assert_int_eq(cmulti_add(m, e, xfer_done, &x), 0);
	}
	ck_assert_uint_eq(cmulti_running(m), 3);
	run_until(l, &x.done, 3, 5000);
	ck_assert_int_eq(x.done, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(x.res[i], CURLE_OK);
		ck_assert_int_eq(x.code[i], 200);
	}
	ck_assert_uint_eq(cmulti_running(m), 0);
	pthread_join(s.th, NULL);
	close(s.lfd);
	/* A transfer removed before it ends never calls back; one left at
	 * cmulti_free is detached. */
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, "http://127.0.0.1:1/");
	ck_assert_int_eq(cmulti_add(m, e, xfer_done, &x), 0);
	cmulti_remove(m, e);
	ck_assert_uint_eq(cmulti_running(m), 0);
	ck_assert_int_eq(cmulti_add(m, e, xfer_done, &x), 0);
	cmulti_free(m);
	curl_easy_cleanup(e);
	ck_assert_int_eq(x.done, 3);
	free(url);
	evloop_free(l);
}
END_TEST

/* A callback may remove and free another handler whose event is pending in
 * the same epoll batch (libcurl's CURL_POLL_REMOVE in cmulti.c does): that
 * event must be skipped, not dispatched to freed memory (ASan catches it). */
struct pair {
	struct ev_handler h;
	struct evloop *l;
	struct pair *other;
	int *calls;
};

static struct pair *pair_ran;

static void pair_ready(struct ev_handler *h, uint32_t events)
{
	struct pair *p = (struct pair *)h;
	(void)events;
	(*p->calls)++;
	pair_ran = p;
	evloop_del(p->l, &p->other->h);
	free(p->other);
	evloop_del(p->l, h);
}

START_TEST(handler_freed_by_another_in_the_same_batch)
{
	struct evloop *l = evloop_new();
	int a[2], b[2], calls = 0;
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	struct pair *pa = xcalloc(1, sizeof *pa), *pb = xcalloc(1, sizeof *pb);
	*pa = (struct pair){ { a[0], pair_ready }, l, pb, &calls };
	*pb = (struct pair){ { b[0], pair_ready }, l, pa, &calls };
	evloop_add(l, &pa->h, EPOLLIN);
	evloop_add(l, &pb->h, EPOLLIN);
	evloop_run_once(l, 1000); /* both ready in one batch */
	ck_assert_int_eq(calls, 1);
	free(pair_ran);
	ck_assert_int_eq(evloop_run_once(l, 0), 0);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	evloop_free(l);
}
END_TEST


/* ---- probes: a bounded number under way ---- */

struct probe_seen {
	struct probe *p;
	int done, ok;
	size_t max_in_flight;
};

static void on_probe(const char *id, enum probe_outcome r, void *ud)
{
	struct probe_seen *ps = ud;
	ps->done++;
	ps->ok += r == PROBE_OK;
	size_t n = probe_in_flight(ps->p);
	if (n > ps->max_in_flight)
		ps->max_in_flight = n;
}

START_TEST(probes_beyond_the_cap_wait_for_a_slot)
{
	enum { N = 80, CAP = 32 }; /* CAP: PROBE_MAX_IN_FLIGHT in probe.c */
	struct evloop *l = evloop_new();
	struct cmulti *m = cmulti_new(l);
	struct server s;
	server_start(&s, N);
	struct probe_seen ps = { 0 };
	ps.p = probe_new(m, on_probe, &ps);
	char *url = xasprintf("http://127.0.0.1:%d/", s.port);
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "e%d", i);
		probe_start(ps.p, id, url, 5000);
		probe_start(ps.p, id, url, 5000); /* once per engine, waiting or not */
	}
	ck_assert_uint_eq(probe_in_flight(ps.p), CAP);
	ck_assert_uint_eq(probe_waiting(ps.p), N - CAP);
	run_until(l, &ps.done, N, 10000);
	ck_assert_int_eq(ps.done, N);
	ck_assert_int_eq(ps.ok, N);
	ck_assert_uint_le(ps.max_in_flight, CAP);
	ck_assert_uint_eq(probe_in_flight(ps.p), 0);
	ck_assert_uint_eq(probe_waiting(ps.p), 0);
	pthread_join(s.th, NULL);
	close(s.lfd);
	/* Dropped at free, waiting ones too, without a result. */
	for (int i = 0; i < CAP + 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "late%d", i);
		probe_start(ps.p, id, "http://127.0.0.1:1/", 5000);
	}
	ck_assert_uint_eq(probe_waiting(ps.p), 5);
	probe_free(ps.p);
	ck_assert_int_eq(ps.done, N);
	free(url);
	cmulti_free(m);
	evloop_free(l);
}
END_TEST

static Suite *evloop_suite(void)
{
	Suite *s = suite_create("evloop");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, timer_one_shot_periodic_and_soon);
	tcase_add_test(tc, each_fd_its_own_callback);
	tcase_add_test(tc, pool_results_come_back_on_the_loop_in_order);
	tcase_add_test(tc, pool_stop_is_bounded_when_work_is_stuck);
	tcase_add_test(tc, multi_transfers_complete_through_the_loop);
	tcase_add_test(tc, handler_freed_by_another_in_the_same_batch);
	tcase_add_test(tc, probes_beyond_the_cap_wait_for_a_slot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(evloop_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
