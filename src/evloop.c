/* evloop.c - the epoll reactor: handlers found through epoll_data.ptr (no
 * central switch), timers on timerfd. Single-threaded by design. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "util.h"

struct evloop {
	int ep;
	/* The batch being dispatched: evloop_del forgets a handler's pending
	 * events there, since one callback may remove and free another
	 * handler of the same batch (libcurl's CURL_POLL_REMOVE in cmulti.c). */
	struct epoll_event *batch;
	int batch_n;
};

struct evloop *evloop_new(void)
{
	struct evloop *l = xcalloc(1, sizeof *l);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		fatal("epoll_create1: %s", strerror(errno));
	return l;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	close(l->ep);
	free(l);
}

void evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, h->fd, &ev) == 0)
		return;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, h->fd, &ev) != 0)
		log_error("epoll_ctl add failed", "fd", LOG_INT(h->fd), "error", strerror(errno));
}

void evloop_del(struct evloop *l, struct ev_handler *h)
{
	epoll_ctl(l->ep, EPOLL_CTL_DEL, h->fd, NULL);
	for (int i = 0; i < l->batch_n; i++)
		if (l->batch[i].data.ptr == h)
			l->batch[i].data.ptr = NULL;
}

int evloop_run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(l->ep, evs, (int)ARRAY_LEN(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	l->batch = evs;
	l->batch_n = n;
	for (int i = 0; i < n; i++) {
		struct ev_handler *h = evs[i].data.ptr;
		if (h)
			h->cb(h, evs[i].events);
	}
	l->batch = NULL;
	l->batch_n = 0;
	return n;
}

static void timer_ready(struct ev_handler *h, uint32_t events)
{
	struct ev_timer *t = (struct ev_timer *)h;
	uint64_t n;
	/* Read first: fire() may re-arm it. */
	while (read(t->h.fd, &n, sizeof n) > 0)
		;
	t->fire(t);
}

void ev_timer_init(struct evloop *l, struct ev_timer *t, void (*fire)(struct ev_timer *), void *ud)
{
	t->h.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->h.fd < 0)
		fatal("timerfd_create: %s", strerror(errno));
	t->h.cb = timer_ready;
	t->fire = fire;
	t->ud = ud;
	evloop_add(l, &t->h, EPOLLIN);
}

void ev_timer_arm(struct ev_timer *t, int64_t ms, int64_t interval_ms)
{
	struct itimerspec its = { 0 };
	if (ms >= 0) {
		if (ms == 0)
			ms = 1; /* 0 would disarm */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000;
		its.it_interval.tv_sec = interval_ms / 1000;
		its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
	}
	timerfd_settime(t->h.fd, 0, &its, NULL);
}

static int64_t timer_left_ms(const struct ev_timer *t)
{
	struct itimerspec cur;
	if (timerfd_gettime(t->h.fd, &cur) != 0)
		return 0;
	return cur.it_value.tv_sec * 1000 + cur.it_value.tv_nsec / 1000000 +
	       (cur.it_value.tv_nsec % 1000000 ? 1 : 0);
}

void ev_timer_soon(struct ev_timer *t, int64_t ms)
{
	int64_t left = timer_left_ms(t);
	if (left > 0 && left <= ms)
		return;
	ev_timer_arm(t, ms, 0);
}

bool ev_timer_armed(const struct ev_timer *t)
{
	return timer_left_ms(t) > 0;
}

void ev_timer_close(struct evloop *l, struct ev_timer *t)
{
	if (t->h.fd < 0)
		return;
	evloop_del(l, &t->h);
	close(t->h.fd);
	t->h.fd = -1;
}
