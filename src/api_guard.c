/* api_guard.c - per-connection request deadlines, rate-limited warnings and
 * the API's own timer thread (deadlines, provision waits). */
#include "config-auto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api_guard.h"
#include "log.h"
#include "util.h"

#define TICK_BUSY_MS 100
#define TICK_IDLE_MS 500

bool api_ratelimit_take(struct api_ratelimit *r, int64_t now_ms, uint64_t *suppressed)
{
	if (r->window_start_ms == 0 || now_ms - r->window_start_ms >= API_WARN_WINDOW_MS) {
		r->window_start_ms = now_ms;
		r->used = 0;
	}
	if (r->used >= API_WARN_BURST) {
		r->suppressed++;
		return false;
	}
	r->used++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}

struct guard_conn {
	int fd;
	atomic_bool waiting;     /* a request is (being) received */
	atomic_llong since_ms;   /* when the current wait began (monotonic) */
	bool shut;               /* shut down by us; guarded by g->mu */
	char peer[INET6_ADDRSTRLEN + 8];
	struct guard_conn *prev, *next;
};

struct api_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool stop, poked, busy;
	int64_t deadline_ms;
	api_guard_tick_fn tick;
	void *ud;
	struct guard_conn *conns;
	uint64_t deadline_closes;
	pthread_mutex_t warn_mu;
	struct api_ratelimit warn[API_WARN_KINDS];
};

static void peer_text(const struct sockaddr *sa, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

void api_guard_conn_started(struct api_guard *g, void **sockctx, int fd,
			    const struct sockaddr *peer)
{
	struct guard_conn *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	atomic_store(&c->waiting, true);
	atomic_store(&c->since_ms, (long long)now_mono_ms());
	peer_text(peer, c->peer, sizeof c->peer);
	pthread_mutex_lock(&g->mu);
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	pthread_mutex_unlock(&g->mu);
	*sockctx = c;
}

void api_guard_conn_closed(struct api_guard *g, void **sockctx)
{
	struct guard_conn *c = *sockctx;
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->mu);
	free(c);
	*sockctx = NULL;
}

void api_guard_request_begin(void *sockctx)
{
	struct guard_conn *c = sockctx;
	if (c)
		atomic_store(&c->waiting, false);
}

void api_guard_request_end(void *sockctx)
{
	struct guard_conn *c = sockctx;
	if (!c)
		return;
	atomic_store(&c->since_ms, (long long)now_mono_ms());
	atomic_store(&c->waiting, true);
}

const char *api_guard_peer(const void *sockctx)
{
	const struct guard_conn *c = sockctx;
	return c ? c->peer : "";
}

void api_guard_warn(struct api_guard *g, enum api_warn_kind kind, const char *msg,
		    const char *peer, const char *detail)
{
	uint64_t dropped = 0;
	pthread_mutex_lock(&g->warn_mu);
	bool ok = api_ratelimit_take(&g->warn[kind], now_mono_ms(), &dropped);
	pthread_mutex_unlock(&g->warn_mu);
	if (!ok)
		return;
	if (dropped)
		log_warn(msg, "peer", peer, "detail", detail, "suppressed", LOG_INT(dropped));
	else
		log_warn(msg, "peer", peer, "detail", detail);
}

uint64_t api_guard_deadline_closes(struct api_guard *g)
{
	pthread_mutex_lock(&g->mu);
	uint64_t n = g->deadline_closes;
	pthread_mutex_unlock(&g->mu);
	return n;
}

void api_guard_poke(struct api_guard *g, bool busy)
{
	pthread_mutex_lock(&g->mu);
	g->poked = true;
	g->busy = busy;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* Shuts down every connection past its deadline; g->mu held. The fd is
 * still open: libmicrohttpd closes it only after conn_closed unlinked it,
 * which needs g->mu. */
static unsigned enforce_deadlines(struct api_guard *g, int64_t now, char *peer, size_t len)
{
	unsigned n = 0;
	for (struct guard_conn *c = g->conns; c; c = c->next) {
		if (c->shut || !atomic_load(&c->waiting) ||
		    now - (int64_t)atomic_load(&c->since_ms) < g->deadline_ms)
			continue;
		/* libmicrohttpd sees end-of-file and closes it on its own
		 * thread; the fd stays its to close. */
		shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
		if (!n)
			sbuf_printf(peer, len, "%s", c->peer);
		n++;
	}
	g->deadline_closes += n;
	return n;
}

static void *guard_main(void *p)
{
	struct api_guard *g = p;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		if (!g->poked) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ms = g->busy ? TICK_BUSY_MS : TICK_IDLE_MS;
			ts.tv_sec += ms / 1000;
			ts.tv_nsec += (ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			int rc = 0;
			while (!g->stop && !g->poked && rc != ETIMEDOUT)
				rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		}
		g->poked = false;
		if (g->stop)
			break;
		int64_t now = now_mono_ms();
		char peer[INET6_ADDRSTRLEN + 8] = "";
		unsigned closed = g->deadline_ms > 0 ? enforce_deadlines(g, now, peer, sizeof peer) : 0;
		pthread_mutex_unlock(&g->mu);
		if (closed) {
			char detail[96];
			sbuf_printf(detail, sizeof detail, "%u connection%s, deadline %lld ms", closed,
				    closed == 1 ? "" : "s", (long long)g->deadline_ms);
			api_guard_warn(g, API_WARN_DEADLINE,
				       "api: closed connections that did not send a whole request in time",
				       peer, detail);
		}
		if (g->tick)
			g->tick(g->ud, now);
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct api_guard *api_guard_new(int64_t deadline_ms, api_guard_tick_fn tick, void *ud)
{
	struct api_guard *g = xcalloc(1, sizeof *g);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&g->mu, NULL);
	pthread_mutex_init(&g->warn_mu, NULL);
	g->deadline_ms = deadline_ms;
	g->tick = tick;
	g->ud = ud;
	if (pthread_create(&g->thread, NULL, guard_main, g) != 0)
		fatal("api: cannot start the guard thread: %s", strerror(errno));
	return g;
}

void api_guard_stop(struct api_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	bool running = !g->stop;
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (running)
		pthread_join(g->thread, NULL);
}

void api_guard_free(struct api_guard *g)
{
	if (!g)
		return;
	api_guard_stop(g);
	/* Every connection record was freed by conn_closed when
	 * MHD_stop_daemon closed its socket. */
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	pthread_mutex_destroy(&g->warn_mu);
	free(g);
}
