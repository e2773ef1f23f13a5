/* evloop.h - the epoll reactor every event source of the daemon plugs into:
 * each fd carries its own callback (epoll_data.ptr), timers are timerfds. */
#ifndef ACE_EVLOOP_H
#define ACE_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evloop;

/* An fd in the loop. cb gets the epoll event bits (EPOLLIN, EPOLLOUT,
 * EPOLLERR, EPOLLHUP). The handler must stay at a fixed address while it is
 * registered; it is usually embedded in its owner's struct. */
struct ev_handler {
	int fd;
	void (*cb)(struct ev_handler *h, uint32_t events);
};

/* A timerfd with a callback; ud is the caller's. */
struct ev_timer {
	struct ev_handler h;
	void (*fire)(struct ev_timer *t);
	void *ud;
};

struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);

/* Adds, changes or removes h->fd (events: EPOLLIN | EPOLLOUT ...). add on an
 * fd already present modifies it. del is harmless on an fd already closed. */
void evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events);
void evloop_del(struct evloop *l, struct ev_handler *h);

/* Waits up to timeout_ms (-1: forever) and dispatches what is ready.
 * Returns the number of handlers called, -1 on a fatal epoll error. */
int evloop_run_once(struct evloop *l, int timeout_ms);

/* Timers. ev_timer_init creates the timerfd and registers it. arm: first
 * expiry after ms (0 = as soon as possible), then every interval_ms (0 =
 * one-shot); ms < 0 disarms. soon: arms unless an earlier expiry is already
 * pending, so a burst of requests gives one expiry. */
void ev_timer_init(struct evloop *l, struct ev_timer *t, void (*fire)(struct ev_timer *), void *ud);
void ev_timer_arm(struct ev_timer *t, int64_t ms, int64_t interval_ms);
void ev_timer_soon(struct ev_timer *t, int64_t ms);
bool ev_timer_armed(const struct ev_timer *t);
void ev_timer_close(struct evloop *l, struct ev_timer *t);

#endif
