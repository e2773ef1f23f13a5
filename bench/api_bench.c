/* api_bench.c - the HTTP API serving a synthetic fleet (1,000 engines over 2
 * VPNs by default) until SIGINT/SIGTERM or --seconds; driven by wrk. */
#include "config-auto.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "api_fixture.h"
#include "api_render.h"
#include "metrics.h"
#include "log.h"
#include "util.h"

/* What one cache miss costs: rendering /engines and /metrics from scratch
 * (the server does it once per published snapshot). Microseconds each. */
static void measure_render(struct snapshot_store *st, struct streams *reg, double *engines_us,
			   double *metrics_us)
{
	enum { ROUNDS = 50 };
	struct snapshot *s = snapshot_get(st);
	struct streams_view *v = streams_view_new(reg, now_mono_ms());
	int64_t t0 = now_mono_ms();
	for (int i = 0; i < ROUNDS; i++) {
		cJSON *j = api_render_engines(s, v, false);
		char *out = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		free(out);
	}
	int64_t t1 = now_mono_ms();
	struct metrics_live live = { .streams = v };
	for (int i = 0; i < ROUNDS; i++)
		free(metrics_render_live(s, &live));
	int64_t t2 = now_mono_ms();
	streams_view_free(v);
	snapshot_put(st, s);
	*engines_us = (double)(t1 - t0) * 1000.0 / ROUNDS;
	*metrics_us = (double)(t2 - t1) * 1000.0 / ROUNDS;
}

static void usage(void)
{
	fputs("usage: api_bench [--listen HOST:PORT] [--engines N] [--vpns N] [--seconds N]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:0";
	long long engines = 1000, vpns = 2, seconds = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(argv[i], "--listen") == 0)
			listen = v;
		else if (strcmp(argv[i], "--engines") == 0 && parse_int(v, 0, 60000, &engines))
			;
		else if (strcmp(argv[i], "--vpns") == 0 && parse_int(v, 0, 64, &vpns))
			;
		else if (strcmp(argv[i], "--seconds") == 0 && parse_int(v, 0, 86400, &seconds))
			;
		else
			usage();
		i++;
	}
	log_setup(LOG_WARN, false, stderr);
	/* Signals are taken synchronously: no handler, no global flag. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct snapshot_store st;
	snapshot_store_init(&st);
	struct snapshot *fleet = api_fixture_big((size_t)engines, (size_t)vpns);
	/* A stream on every third engine, as the fixture counts them, so
	 * /engines renders stream lists from the registry like the daemon. */
	struct streams reg;
	streams_init(&reg, -1);
	for (size_t i = 0; i < fleet->n_engines; i++) {
		if (!fleet->engines[i].streams)
			continue;
		char id[32];
		snprintf(id, sizeof id, "bench-%zu", i);
		struct stream_rec r = { .id = id };
		streams_start(&reg, fleet->engines[i].id, &r, now_mono_ms(), now_wall_ms());
	}
	snapshot_publish(&st, fleet);
	char err[256];
	struct api_opts opts = { .streams = &reg };
	struct api *a = api_start_opts(listen, &st, NULL, &opts, err, sizeof err);
	if (!a) {
		fprintf(stderr, "api_bench: %s\n", err);
		return 1;
	}
	double eus, mus;
	measure_render(&st, &reg, &eus, &mus);
	printf("listening %d engines=%lld vpns=%lld render_engines_us=%.0f render_metrics_us=%.0f\n",
	       api_port(a), engines, vpns, eus, mus);
	fflush(stdout);
	struct timespec ts = { seconds ? (time_t)seconds : 86400 * 365, 0 };
	int sig;
	do
		sig = sigtimedwait(&set, NULL, &ts);
	while (sig < 0 && errno == EINTR);
	api_stop(a);
	snapshot_store_destroy(&st);
	streams_destroy(&reg);
	return 0;
}
