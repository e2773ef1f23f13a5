/* hosts_bench.c - a fleet over many Docker hosts, simulated: the planner's
 * time and memory per pass, and the snapshot the API serves (build time,
 * body sizes, renders per second), at 20 hosts x 5 VPNs x 50 engines. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_render.h"
#include "bench_util.h"
#include "lease.h"
#include "metrics.h"
#include "plan.h"
#include "publish.h"
#include "util.h"

#define T0 1800000000000LL /* a wall clock (ms) */
#define DOWN_HOST 1        /* the host that goes away in host_down */

struct dims {
	int hosts, vpns_per_host, engines_per_vpn;
};

struct fleet {
	struct config cfg;
	struct observed obs;
	struct memory mem;
	char hash[17];
	int stride; /* ports per VPN range */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char *fake_id(uint64_t *s)
{
	char buf[65];
	for (int i = 0; i < 4; i++)
		snprintf(buf + 16 * i, 17, "%016" PRIx64, rnd(s));
	return xstrdup(buf);
}

static void add_engine(struct fleet *f, size_t *cap, int vi, int slot, uint64_t *seed)
{
	const struct vpn_decl *d = &f->cfg.vpns[vi];
	const struct vpn_obs *v = &f->obs.vpns[vi];
	grow(&f->obs.engines, cap, f->obs.n_engines + 1, sizeof *f->obs.engines);
	struct engine_obs *e = &f->obs.engines[f->obs.n_engines++];
	memset(e, 0, sizeof *e);
	int port = d->ports.lo + slot;
	e->id = fake_id(seed);
	e->name = xasprintf("acestream-%d", port);
	e->host = xstrdup(f->cfg.docker_hosts[d->docker_idx].name);
	e->state = xstrdup("running");
	e->running = true;
	e->vpn = xstrdup(d->name);
	e->vpn_id = xstrdup(v->id);
	e->forwarded = slot == 0;
	e->http_port = port;
	e->host_port = port;
	e->https_port = f->cfg.engine.https_port_base + slot;
	e->p2p_port = slot == 0 ? v->fwd_port : f->cfg.engine.p2p_port_base + slot;
	e->config_hash = xstrdup(f->hash);
	e->inspected = true;
	e->network_mode = xasprintf("container:%s", v->id);
	e->started_at_ms = T0 - 3600000;
	e->ns = NS_CURRENT;
}

/* A converged fleet: every engine running, attached, probed ok, one in
 * ten busy, one forwarded engine per VPN; VPN i on host i / per-host. */
static void fleet_build(struct fleet *f, const struct dims *dm)
{
	memset(f, 0, sizeof *f);
	struct config *c = &f->cfg;
	config_set_defaults(c);
	c->version = 1;
	free(c->instance);
	c->instance = xstrdup("bench");
	c->docker_host = xstrdup("unix:///var/run/docker.sock");
	c->engine.image = xstrdup("ghcr.io/krinkuto11/acestream-http-proxy:latest");
	int nv = dm->hosts * dm->vpns_per_host, per = dm->engines_per_vpn;
	f->stride = per + per / 4 + 8;
	c->replicas.min = c->replicas.max = nv * per;
	c->docker_hosts = xrealloc(c->docker_hosts, (size_t)dm->hosts * sizeof *c->docker_hosts);
	c->n_docker_hosts = (size_t)dm->hosts;
	c->docker_hosts[0].host = xstrdup(c->docker_host);
	for (int h = 1; h < dm->hosts; h++)
		c->docker_hosts[h] = (struct docker_host_decl){
			.name = xasprintf("h%02d", h), .host = xasprintf("tcp://10.0.0.%d:2376", h) };
	c->n_vpns = (size_t)nv;
	c->vpns = xcalloc((size_t)nv, sizeof *c->vpns);
	f->obs.docker_ok = true;
	f->obs.n_vpns = (size_t)nv;
	f->obs.vpns = xcalloc((size_t)nv, sizeof *f->obs.vpns);
	f->obs.n_hosts = (size_t)dm->hosts;
	f->obs.hosts = xcalloc((size_t)dm->hosts, sizeof *f->obs.hosts);
	for (int h = 0; h < dm->hosts; h++)
		f->obs.hosts[h] = (struct host_obs){ .name = xstrdup(c->docker_hosts[h].name),
						     .address = xstrdup(c->docker_hosts[h].host), .ok = true };
	for (int i = 0; i < nv; i++) {
		struct vpn_decl *d = &c->vpns[i];
		d->name = xasprintf("gluetun-%03d", i);
		d->docker_idx = (size_t)(i / dm->vpns_per_host);
		d->ports = (struct port_range){ 10000 + i * f->stride, 10000 + (i + 1) * f->stride - 1 };
		d->max_engines = f->stride;
		d->host = xasprintf("10.0.0.%zu", d->docker_idx);
		d->api = xasprintf("http://10.0.0.%zu:%d", d->docker_idx, 8000 + i);
		d->port_forwarding = PF_AUTO;
		struct vpn_obs *v = &f->obs.vpns[i];
		v->name = xstrdup(d->name);
		v->host = xstrdup(c->docker_hosts[d->docker_idx].name);
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
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t cap = 0;
	for (int i = 0; i < nv; i++)
		for (int s = 0; s < per; s++)
			add_engine(f, &cap, i, s, &seed);
	/* Docker's order is its own: shuffle. */
	for (size_t i = f->obs.n_engines; i > 1; i--) {
		size_t j = (size_t)(rnd(&seed) % i);
		struct engine_obs t = f->obs.engines[i - 1];
		f->obs.engines[i - 1] = f->obs.engines[j];
		f->obs.engines[j] = t;
	}
	memory_init(&f->mem);
	for (size_t i = 0; i < f->obs.n_engines; i++) {
		memory_probe(&f->mem, f->obs.engines[i].id, true);
		if (i % 10 == 0)
			memory_set_streams(&f->mem, f->obs.engines[i].id, 1);
	}
	memory_observe(&f->mem, c, &f->obs, T0 - 3600000);
}

/* Host DOWN_HOST stops answering (its VPNs host_down, its engines kept). */
static void host_set(struct fleet *f, int host, bool down)
{
	f->obs.hosts[host].ok = !down;
	free(f->obs.hosts[host].error);
	f->obs.hosts[host].error = down ? xstrdup("connect: No route to host") : NULL;
	for (size_t i = 0; i < f->obs.n_vpns; i++)
		if ((int)f->cfg.vpns[i].docker_idx == host)
			f->obs.vpns[i].host_down = down;
}

static void fleet_free(struct fleet *f)
{
	config_clear(&f->cfg);
	observed_free(&f->obs);
	memory_free(&f->mem);
}

struct plan_arg {
	struct fleet *f;
	int64_t now;
};

static void do_plan(void *arg)
{
	struct plan_arg *a = arg;
	struct plan p;
	plan_compute(&a->f->cfg, &a->f->obs, &a->f->mem, a->now, &p);
	plan_free(&p);
}

/* One planner case: median ms per plan_compute, peak RSS growth in one. */
static void plan_case(const char *name, struct fleet *f, int64_t now, double budget)
{
	struct plan p;
	long base = bench_status_kib("VmRSS");
	bool peak_ok = bench_reset_peak();
	size_t actions = plan_compute(&f->cfg, &f->obs, &f->mem, now, &p);
	long peak = peak_ok ? bench_status_kib("VmHWM") - base : -1;
	plan_free(&p);
	struct plan_arg pa = { f, now };
	double ms = bench_median_ms(budget, do_plan, NULL, &pa, NULL);
	printf("plan_%s ms %.3f kib %ld actions %zu\n", name, ms, peak, actions);
}

static size_t json_size(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	size_t n = strlen(s);
	cJSON_free(s);
	cJSON_Delete(j);
	return n;
}

static void do_build(void *arg)
{
	snapshot_free(publish_build(arg));
}

static void do_engines(void *arg)
{
	json_size(api_render_engines(arg, NULL, false));
}

static void do_metrics(void *arg)
{
	free(metrics_render(arg));
}

/* The snapshot of a converged pass: build time and memory, body sizes, and
 * how many times a second each body is rendered from scratch (the API does
 * it once per published snapshot). */
static void snapshot_case(struct fleet *f, double budget)
{
	struct plan p;
	plan_compute(&f->cfg, &f->obs, &f->mem, T0, &p);
	struct lease_report lr = { .role = LEASE_HOLDER, .act_until_ms = T0 + 20000 };
	sbuf_printf(lr.holder, sizeof lr.holder, "bench/1/1/1/1");
	sbuf_printf(lr.why, sizeof lr.why, "this daemon holds the lease");
	struct publish_view v = {
		.cfg = &f->cfg, .config_path = "/etc/ace-orchestrator/orchestrator.yaml",
		.obs = &f->obs, .mem = &f->mem, .plan = &p, .observed_ms = T0, .now_ms = T0,
		.hosts = f->obs.hosts, .n_hosts = f->obs.n_hosts, .lease = &lr,
		.lease_self = lr.holder,
	};
	long base = bench_status_kib("VmRSS");
	bool peak_ok = bench_reset_peak();
	struct snapshot *s = publish_build(&v);
	long peak = peak_ok ? bench_status_kib("VmHWM") - base : -1;
	double build = bench_median_ms(budget, do_build, NULL, &v, NULL);
	printf("snapshot_build ms %.3f kib %ld engines %zu vpns %zu hosts %zu\n", build, peak,
	       s->n_engines, s->n_vpns, s->n_hosts);
	size_t visible = 0;
	for (size_t i = 0; i < s->n_engines; i++)
		visible += s->engines[i].visible;
	char *m = metrics_render(s);
	printf("body_engines bytes %zu visible %zu\n", json_size(api_render_engines(s, NULL, false)),
	       visible);
	printf("body_engines_all bytes %zu\n", json_size(api_render_engines(s, NULL, true)));
	printf("body_vpn_status bytes %zu\n", json_size(api_render_vpn_status(s)));
	printf("body_metrics bytes %zu\n", strlen(m));
	free(m);
	double eng = bench_median_ms(budget, do_engines, NULL, s, NULL);
	double met = bench_median_ms(budget, do_metrics, NULL, s, NULL);
	printf("render_engines ms %.3f per_s %.0f\n", eng, 1000.0 / eng);
	printf("render_metrics ms %.3f per_s %.0f\n", met, 1000.0 / met);
	snapshot_free(s);
	plan_free(&p);
}

static void run(const struct dims *dm, double budget)
{
	struct fleet f;
	fleet_build(&f, dm);
	int total = dm->hosts * dm->vpns_per_host * dm->engines_per_vpn;
	printf("fleet hosts %d vpns_per_host %d engines_per_vpn %d engines %d vpns %d\n", dm->hosts,
	       dm->vpns_per_host, dm->engines_per_vpn, total, dm->hosts * dm->vpns_per_host);
	plan_case("converged", &f, T0, budget);
	if (dm->hosts < 2)
		goto snapshot;
	/* Host DOWN_HOST gone 20 minutes: hidden at once, its share failed over. */
	host_set(&f, DOWN_HOST, true);
	memory_observe(&f.mem, &f.cfg, &f.obs, T0 - 20 * 60000);
	memory_observe(&f.mem, &f.cfg, &f.obs, T0);
	plan_case("host_down", &f, T0, budget);
	/* Back for a minute (past recover_after), the share it lost placed on
	 * the others meanwhile: the surplus goes, make before break. */
	struct plan p;
	plan_compute(&f.cfg, &f.obs, &f.mem, T0, &p);
	uint64_t seed = 42;
	size_t cap = f.obs.n_engines;
	for (size_t i = 0; i < p.n; i++) {
		const struct engine_spec *s = p.v[i].spec;
		if (p.v[i].kind != ACT_CREATE || !s)
			continue;
		const struct vpn_decl *d = config_find_vpn(&f.cfg, s->vpn);
		add_engine(&f, &cap, (int)(d - f.cfg.vpns), s->http_port - d->ports.lo, &seed);
	}
	plan_free(&p);
	host_set(&f, DOWN_HOST, false);
	memory_observe(&f.mem, &f.cfg, &f.obs, T0 + 1000);
	memory_observe(&f.mem, &f.cfg, &f.obs, T0 + 61000);
	plan_case("host_back", &f, T0 + 61000, budget);
snapshot:
	fleet_free(&f);
	fleet_build(&f, dm);
	memory_observe(&f.mem, &f.cfg, &f.obs, T0);
	snapshot_case(&f, budget);
	fleet_free(&f);
}

static void usage(void)
{
	fputs("usage: hosts_bench [--hosts N] [--vpns-per-host N] [--engines-per-vpn N] "
	      "[--budget SECONDS]\n"
	      "  default 20 x 5 x 50; prints one line per figure: NAME KEY VALUE ...\n"
	      "  plan_{converged,host_down,host_back}: ms (median per plan_compute), kib (peak\n"
	      "  RSS growth during one), actions; snapshot_build: ms, kib; body_*: bytes;\n"
	      "  render_*: ms and renders per second from scratch\n", stderr);
}

int main(int argc, char **argv)
{
	struct dims dm = { 20, 5, 50 };
	double budget = 1.0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--hosts") == 0 && v)
			dm.hosts = atoi(argv[++i]);
		else if (strcmp(argv[i], "--vpns-per-host") == 0 && v)
			dm.vpns_per_host = atoi(argv[++i]);
		else if (strcmp(argv[i], "--engines-per-vpn") == 0 && v)
			dm.engines_per_vpn = atoi(argv[++i]);
		else if (strcmp(argv[i], "--budget") == 0 && v)
			budget = atof(argv[++i]);
		else {
			usage();
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (dm.hosts < 1 || dm.vpns_per_host < 1 || dm.engines_per_vpn < 2) {
		usage();
		return 2;
	}
	/* In a child of its own, so that its peak memory is its alone. */
	pid_t pid = fork();
	if (pid == 0) {
		run(&dm, budget);
		fflush(stdout);
		_exit(0);
	}
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
