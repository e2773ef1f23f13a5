/* loop.h - the daemon's single-threaded epoll loop: config watch with
 * debounce, signals, Docker events, timers; events only mark the world dirty. */
#ifndef ACE_LOOP_H
#define ACE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct reconciler;

/* Runs the daemon until SIGTERM/SIGINT: returns the exit status (0 on a
 * clean stop). Engines are never stopped on exit. */
int loop_run(struct reconciler *r);

#endif
