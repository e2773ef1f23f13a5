/* bench_util.c - what the in-process benchmarks share: a monotonic clock,
 * the process's memory figures from /proc, and the median time of a call.
 * Only libc: bench/run-plan-bench.sh also builds it against older trees. */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_status_kib(const char *key)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (fp && fgets(line, sizeof line, fp))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (fp)
		fclose(fp);
	return v;
}

bool bench_reset_peak(void)
{
	FILE *fp = fopen("/proc/self/clear_refs", "w");
	if (!fp)
		return false;
	bool ok = fputs("5", fp) >= 0;
	return fclose(fp) == 0 && ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median_ms(double budget_s, void (*fn)(void *), void (*after)(void *), void *arg,
		       size_t *calls)
{
	enum { MAX_SAMPLES = 400 };
	double samples[MAX_SAMPLES];
	size_t n = 0;
	double start = bench_now_s();
	while (n < MAX_SAMPLES && (n < 5 || bench_now_s() - start < budget_s)) {
		double t = bench_now_s();
		fn(arg);
		samples[n++] = (bench_now_s() - t) * 1000.0;
		if (after)
			after(arg);
	}
	qsort(samples, n, sizeof *samples, cmp_double);
	if (calls)
		*calls = n;
	return samples[n / 2];
}
