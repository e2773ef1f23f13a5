/* plan_bench.c - times plan_compute (the pure reconciler) and its peak memory
 * on synthetic fleets: 2/10/50 VPNs x 100/1,000/10,000 engines, converged or not. */
#include "config-auto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "plan.h"
#include "util.h"

/* bench/run-plan-bench.sh also compiles this file against an older tree
 * (main by default) whose planner memory was still struct plan_memory in
 * plan.h; the same source then measures both in the same way. */
#ifdef PLAN_BENCH_OLD_API
#define memory plan_memory
#define memory_init plan_memory_init
#define memory_free plan_memory_free
#define memory_observe plan_memory_observe
#define memory_probe plan_memory_probe
#define memory_set_streams plan_memory_set_streams
#define TREE_NAME "main"
#else
#define TREE_NAME "this"
#endif

#define T0 1800000000000LL /* a wall clock (ms) */

struct fleet {
	struct config cfg;
	struct observed obs;
	struct memory mem;
	char hash[17];
};

/* xorshift64: a fixed sequence, so both trees see the same fleet. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A Docker-like ID: 64 hex digits. */
static char *fake_id(uint64_t *s)
{
	char buf[65];
	for (int i = 0; i < 4; i++)
		snprintf(buf + 16 * i, 17, "%016" PRIx64, rnd(s));
	return xstrdup(buf);
}

/*
 * The fleets (see fleets[] below). Converged: every engine running,
 * attached, current hash, probed ok, one in ten busy, one forwarded engine
 * per VPN on its VPN's port; the plan is empty. Work: the same fleet where
 * one engine in ten drifted, one in twenty exited, VPN 0's forwarded port
 * changed, VPN 1 has been unhealthy for 20 minutes (restart due, its share
 * moved) and the target is 10 % higher.
 */
static void fleet_build(struct fleet *f, int n_vpns, int n_engines, bool work, bool sorted,
			bool with_memory)
{
	memset(f, 0, sizeof *f);
	struct config *c = &f->cfg;
	config_set_defaults(c);
	c->version = 1;
	free(c->instance);
	c->instance = xstrdup("bench");
	c->docker_host = xstrdup("unix:///var/run/docker.sock");
	c->engine.image = xstrdup("ghcr.io/krinkuto11/acestream-http-proxy:latest");
	int per = n_engines / n_vpns;
	int stride = per + per / 4 + 8;
	c->replicas.min = work ? n_engines + n_engines / 10 : n_engines;
	c->replicas.max = c->replicas.min;
	c->n_vpns = (size_t)n_vpns;
	c->vpns = xcalloc((size_t)n_vpns, sizeof *c->vpns);
	f->obs.docker_ok = true;
	f->obs.n_vpns = (size_t)n_vpns;
	f->obs.vpns = xcalloc((size_t)n_vpns, sizeof *f->obs.vpns);
	for (int i = 0; i < n_vpns; i++) {
		struct vpn_decl *d = &c->vpns[i];
		d->name = xasprintf("gluetun-%02d", i);
		d->ports = (struct port_range){ 10000 + i * stride, 10000 + (i + 1) * stride - 1 };
		d->max_engines = stride;
		d->host = xstrdup(d->name);
		d->api = xasprintf("http://%s:8000", d->name);
		d->port_forwarding = PF_AUTO;
		struct vpn_obs *v = &f->obs.vpns[i];
		v->name = xstrdup(d->name);
		v->exists = true;
		v->id = xasprintf("%064d", i + 1);
		v->running = true;
		v->state = xstrdup("running");
		v->health = HEALTH_HEALTHY;
		v->started_at_ms = T0 - 86400000;
		v->api_ok = true;
		v->fwd_port = 60000 + i;
	}
	config_engine_hash(c, f->hash);

	/* Docker lists containers in its own order, not ours, and observe_build
	 * allocates each engine's strings in list order: shuffle the list, then
	 * build the engines in that order, as the daemon would. */
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t total = (size_t)(per * n_vpns);
	size_t *order = xcalloc(total ? total : 1, sizeof *order);
	for (size_t k = 0; k < total; k++)
		order[k] = k;
	for (size_t i = total; sorted ? 0 : i > 1; i--) {
		size_t j = (size_t)(rnd(&seed) % i);
		size_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	f->obs.n_engines = total;
	f->obs.engines = xcalloc(total ? total : 1, sizeof *f->obs.engines);
	for (size_t k = 0; k < total; k++) {
		size_t x = order[k];
		int i = (int)x / per, s = (int)x % per;
		const struct vpn_decl *d = &c->vpns[i];
		const struct vpn_obs *v = &f->obs.vpns[i];
		struct engine_obs *e = &f->obs.engines[k];
		int port = d->ports.lo + s;
		e->id = fake_id(&seed);
		e->name = xasprintf("acestream-%d", port);
		e->state = xstrdup("running");
		e->running = true;
		e->vpn = xstrdup(d->name);
		e->vpn_id = xstrdup(v->id);
		e->forwarded = s == 0;
		e->http_port = port;
		e->host_port = port;
		e->https_port = c->engine.https_port_base + s;
		e->p2p_port = s == 0 ? v->fwd_port : c->engine.p2p_port_base + s;
		e->config_hash = xstrdup(f->hash);
		e->inspected = true;
		e->network_mode = xasprintf("container:%s", v->id);
		e->started_at_ms = T0 - 3600000;
		e->ns = NS_CURRENT;
		if (work && x % 10 == 5) {
			free(e->config_hash);
			e->config_hash = xstrdup("0000000000000000");
		}
		if (work && x % 20 == 3 && s != 0) {
			free(e->state);
			e->state = xstrdup("exited");
			e->running = false;
		}
	}
	free(order);

	memory_init(&f->mem);
	for (size_t i = 0; with_memory && i < f->obs.n_engines; i++) {
		memory_probe(&f->mem, f->obs.engines[i].id, true);
		if (i % 10 == 0)
			memory_set_streams(&f->mem, f->obs.engines[i].id, 1);
	}
	if (work) {
		f->obs.vpns[0].fwd_port = 61000;
		f->obs.vpns[1].health = HEALTH_UNHEALTHY;
		memory_observe(&f->mem, c, &f->obs, T0 - 20 * 60000);
	}
	memory_observe(&f->mem, c, &f->obs, T0);
}

static void fleet_free(struct fleet *f)
{
	config_clear(&f->cfg);
	observed_free(&f->obs);
	memory_free(&f->mem);
}

/* One case, in a child process so that its peak memory is its own. Prints
 * "case NAME vpns V engines N ms MEDIAN peak_kib K actions A". */
static const struct fleet_kind {
	const char *name;
	bool work, sorted, memory;
} fleets[] = {
	/* Converged, as a daemon sees it on the pass after it started: no
	 * memory of streams or probes yet, engines listed in port order: the
	 * setup of issue 9's "5.4 ms at 50 x 10,000". */
	{ "fresh", false, true, false },
	/* Converged, as the running daemon sees it: memory for every engine
	 * (the loop syncs stream counts for all), Docker's order. */
	{ "converged", false, false, true },
	{ "work", true, false, true },
};

struct case_arg {
	struct fleet *f;
	struct plan p;
};

static void case_plan(void *arg)
{
	struct case_arg *a = arg;
	plan_compute(&a->f->cfg, &a->f->obs, &a->f->mem, T0, &a->p);
}

static void case_free(void *arg)
{
	plan_free(&((struct case_arg *)arg)->p);
}

static void run_case(const struct fleet_kind *k, int vpns, int engines, double budget_s)
{
	const char *name = k->name;
	struct fleet f;
	fleet_build(&f, vpns, engines, k->work, k->sorted, k->memory);
	struct plan p;
	long base = bench_status_kib("VmRSS");
	long peak = -1;
	bool peak_ok = bench_reset_peak();
	size_t actions = plan_compute(&f.cfg, &f.obs, &f.mem, T0, &p);
	plan_free(&p);
	if (peak_ok)
		peak = bench_status_kib("VmHWM") - base;

	/* Timed: plan_compute alone; freeing the plan is not. */
	struct case_arg a = { .f = &f };
	size_t n;
	double ms = bench_median_ms(budget_s, case_plan, case_free, &a, &n);
	printf("case %s vpns %d engines %d ms %.4f peak_kib %ld actions %zu samples %zu\n", name,
	       vpns, engines, ms, peak < 0 ? -1L : peak, actions, n);
	fflush(stdout);
	fleet_free(&f);
}

static void usage(void)
{
	fprintf(stderr, "usage: plan_bench [--quick] [--budget SECONDS] [--fleet fresh|converged|work]\n"
		"                  [--only VPNS ENGINES]\n"
		"  prints one line per case: case FLEET vpns V engines N ms MEDIAN_MS_PER_CALL\n"
		"  peak_kib PEAK_RSS_GROWTH_DURING_ONE_CALL actions N samples N\n");
}

int main(int argc, char **argv)
{
	static const int vpn_counts[] = { 2, 10, 50 };
	static const int engine_counts[] = { 100, 1000, 10000 };
	double budget = 1.0;
	int only_v = 0, only_n = 0;
	const char *only_fleet = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			budget = 0.2;
		} else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
			budget = atof(argv[++i]);
		} else if (strcmp(argv[i], "--fleet") == 0 && i + 1 < argc) {
			only_fleet = argv[++i];
		} else if (strcmp(argv[i], "--only") == 0 && i + 2 < argc) {
			only_v = atoi(argv[++i]);
			only_n = atoi(argv[++i]);
		} else {
			usage();
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	printf("tree %s\n", TREE_NAME);
	fflush(stdout);
	for (size_t w = 0; w < ARRAY_LEN(fleets); w++)
		for (size_t i = 0; i < ARRAY_LEN(vpn_counts); i++)
			for (size_t j = 0; j < ARRAY_LEN(engine_counts); j++) {
				if ((only_v && (vpn_counts[i] != only_v || engine_counts[j] != only_n)) ||
				    (only_fleet && strcmp(only_fleet, fleets[w].name) != 0))
					continue;
				pid_t pid = fork();
				if (pid < 0) {
					perror("fork");
					return 1;
				}
				if (pid == 0) {
					run_case(&fleets[w], vpn_counts[i], engine_counts[j], budget);
					_exit(0);
				}
				int st;
				if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
					fprintf(stderr, "case %d x %d failed\n", vpn_counts[i], engine_counts[j]);
					return 1;
				}
			}
	return 0;
}
