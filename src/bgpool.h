/* bgpool.h - slow work off the event loop: a few threads run jobs, and each
 * finished job comes back to the loop thread as a message (eventfd + inbox). */
#ifndef ACE_BGPOOL_H
#define ACE_BGPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct bgpool;

/* work runs on a pool thread and must touch nothing the loop owns; done runs
 * on the loop thread afterwards (ran == false: the pool stopped before the
 * job could start; free it there). */
typedef void (*bg_work_fn)(void *arg);
typedef void (*bg_done_fn)(void *arg, bool ran);

/* nthreads >= 1; jobs start in submission order. */
struct bgpool *bgpool_new(struct evloop *l, unsigned nthreads);
void bgpool_submit(struct bgpool *p, bg_work_fn work, bg_done_fn done, void *arg);
/* Jobs submitted whose done has not run yet. */
size_t bgpool_pending(const struct bgpool *p);

/* Stops the pool: queued jobs get done(arg, false) now; jobs still running
 * are waited for up to wait_ms (their done runs here too). Returns true when
 * every thread was joined and the pool freed; false when a thread is still
 * stuck in a remote call, in which case the pool is left to the process's
 * exit (it is unusable from now on). */
bool bgpool_stop(struct bgpool *p, int64_t wait_ms);

#endif
