/* bench_util.h - what the in-process benchmarks share: a monotonic clock,
 * the process's memory figures from /proc, and the median time of a call. */
#ifndef ACE_BENCH_UTIL_H
#define ACE_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Monotonic time in seconds. */
double bench_now_s(void);
/* kB value of a "Name:  N kB" line of /proc/self/status, -1 if absent. */
long bench_status_kib(const char *key);
/* Resets VmHWM to the current RSS (Linux >= 4.0); false when refused. */
bool bench_reset_peak(void);
/* Median ms per call of fn(arg), called for budget_s seconds (at least 5
 * calls, at most 400); after(arg), when not NULL, runs untimed after each
 * call (to free what it made); *calls, when not NULL, gets how many ran. */
double bench_median_ms(double budget_s, void (*fn)(void *), void (*after)(void *), void *arg,
		       size_t *calls);

#endif
