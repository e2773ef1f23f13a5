/* bgpool.c - the worker threads behind bgpool.h: a FIFO under a mutex for
 * work, an inbox under the same mutex for results, an eventfd to wake the loop. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bgpool.h"
#include "evloop.h"
#include "log.h"
#include "util.h"

struct bgjob {
	bg_work_fn work;
	bg_done_fn done;
	void *arg;
	struct bgjob *next;
};

struct bgpool {
	struct bgpool *abandoned_next; /* see bgpool_stop */
	struct evloop *loop;
	struct ev_handler wake; /* eventfd: the inbox has results */
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* work queued, or stopping */
	pthread_cond_t idle;    /* a job finished (bgpool_stop waits on it) */
	struct bgjob *queue, *queue_tail;
	struct bgjob *inbox, *inbox_tail;
	size_t pending;         /* submitted, done not yet called */
	size_t running;         /* being worked on */
	bool stopping;
	pthread_t *threads;
	unsigned n_threads;
};

/* Pools given up on at exit, still used by a thread stuck in a remote call:
 * they stay allocated for the rest of the process, and reachable. */
static struct bgpool *abandoned;
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;

static void push(struct bgjob **head, struct bgjob **tail, struct bgjob *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct bgjob *pop(struct bgjob **head, struct bgjob **tail)
{
	struct bgjob *j = *head;
	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
	}
	return j;
}

static void *thread_main(void *arg)
{
	struct bgpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->queue && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct bgjob *j = pop(&p->queue, &p->queue_tail);
		p->running++;
		pthread_mutex_unlock(&p->mu);
		j->work(j->arg);
		pthread_mutex_lock(&p->mu);
		p->running--;
		push(&p->inbox, &p->inbox_tail, j);
		uint64_t one = 1;
		if (write(p->wake.fd, &one, sizeof one) < 0) {
			/* a saturated counter still leaves the fd readable */
		}
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* On the loop thread: hand every finished job to its done callback. */
static void deliver(struct bgpool *p)
{
	uint64_t n;
	while (read(p->wake.fd, &n, sizeof n) > 0)
		;
	pthread_mutex_lock(&p->mu);
	struct bgjob *list = p->inbox;
	p->inbox = p->inbox_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	while (list) {
		struct bgjob *j = list;
		list = j->next;
		p->pending--;
		j->done(j->arg, true);
		free(j);
	}
}

static void on_wake(struct ev_handler *h, uint32_t events)
{
	deliver((struct bgpool *)((char *)h - offsetof(struct bgpool, wake)));
}

struct bgpool *bgpool_new(struct evloop *l, unsigned nthreads)
{
	struct bgpool *p = xcalloc(1, sizeof *p);
	p->loop = l;
	p->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake.fd < 0)
		fatal("eventfd: %s", strerror(errno));
	p->wake.cb = on_wake;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->threads = xcalloc(nthreads ? nthreads : 1, sizeof *p->threads);
	for (unsigned i = 0; i < (nthreads ? nthreads : 1); i++) {
		int rc = pthread_create(&p->threads[i], NULL, thread_main, p);
		if (rc != 0)
			fatal("pthread_create: %s", strerror(rc));
		p->n_threads++;
	}
	evloop_add(l, &p->wake, EPOLLIN);
	return p;
}

void bgpool_submit(struct bgpool *p, bg_work_fn work, bg_done_fn done, void *arg)
{
	struct bgjob *j = xcalloc(1, sizeof *j);
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->mu);
	push(&p->queue, &p->queue_tail, j);
	p->pending++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

size_t bgpool_pending(const struct bgpool *p)
{
	return p->pending;
}

bool bgpool_stop(struct bgpool *p, int64_t wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	struct bgjob *queued = p->queue;
	p->queue = p->queue_tail = NULL;
	pthread_cond_broadcast(&p->cv);
	while (p->running) {
		if (pthread_cond_timedwait(&p->idle, &p->mu, &until) == ETIMEDOUT)
			break;
	}
	bool stuck = p->running > 0;
	pthread_mutex_unlock(&p->mu);
	while (queued) {
		struct bgjob *j = queued;
		queued = j->next;
		p->pending--;
		j->done(j->arg, false);
		free(j);
	}
	evloop_del(p->loop, &p->wake);
	if (stuck) {
		log_warn("background work still running at exit; not waited for",
			 "threads_busy", LOG_INT(p->running));
		pthread_mutex_lock(&abandoned_mu);
		p->abandoned_next = abandoned;
		abandoned = p;
		pthread_mutex_unlock(&abandoned_mu);
		return false;
	}
	deliver(p);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	close(p->wake.fd);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
	return true;
}
