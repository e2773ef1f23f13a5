/* api_fixture.c - hand-built snapshots shared by test_api, test_metrics,
 * metrics_sample and bench/api_bench; every field set on purpose. */
#include "config-auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"
#include "plan.h"
#include "apply.h"
#include "util.h"

static void fixture_engine(struct snap_engine *e, const char *vpn, int port, int slot,
			   const char *id, bool visible)
{
	e->name = xasprintf("acestream-%d", port);
	e->id = xstrdup(id);
	e->host = xstrdup(vpn);
	e->vpn = xstrdup(vpn);
	e->state = xstrdup("running");
	e->ns = xstrdup("current");
	e->port = port;
	e->http_port = port;
	e->https_port = 45000 + slot;
	e->p2p_port = 50000 + slot;
	e->health = xstrdup(visible ? "healthy" : "unknown");
	e->visible = visible;
	e->hidden_reason = visible ? NULL : xstrdup("vpn unavailable");
}

static void fixture_vpn(struct snap_vpn *v, const char *name, const char *id, int lo, int hi)
{
	v->name = xstrdup(name);
	v->container_id = xstrdup(id);
	v->exists = true;
	v->running = true;
	v->port_range = (struct port_range){ lo, hi };
	v->max_engines = hi - lo + 1;
	v->last_check_ms = FIXTURE_NOW_MS;
}

static struct snapshot *fixture_base(void)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->built_ms = FIXTURE_NOW_MS;
	s->config_loaded = true;
	s->docker_ok = true;
	s->config_json = xstrdup("{\"version\":1,\"instance\":\"default\"}");
	memcpy(s->config_hash, "0123456789abcdef", 17);
	s->config_source = xstrdup("/etc/ace-orchestrator/orchestrator.yaml");
	s->last_reload_ms = FIXTURE_NOW_MS;
	s->plan_json = xstrdup("{\"actions\":[],\"target\":2}");
	s->replicas_min = 2;
	s->replicas_max = 4;
	s->min_free = 1;
	return s;
}

struct snapshot *api_fixture_snapshot(void)
{
	struct snapshot *s = fixture_base();
	s->mode = "redundant";
	s->n_vpns = 2;
	s->vpns = xcalloc(2, sizeof *s->vpns);
	struct snap_vpn *g1 = &s->vpns[0], *g2 = &s->vpns[1];
	fixture_vpn(g1, "gluetun1", "1111", 19000, 19499);
	g1->health = xstrdup("healthy");
	g1->connected = true;
	g1->forwarded_port = 45678;
	g1->public_ip = xstrdup("203.0.113.7");
	g1->engines = 2;
	fixture_vpn(g2, "gluetun2", "2222", 19500, 19999);
	g2->health = xstrdup("unhealthy");
	g2->engines = 1;
	g2->unhealthy_since_ms = FIXTURE_NOW_MS - 60000;
	g2->restarts = 2;
	g2->api_error = xstrdup("connection refused");

	s->n_engines = 3;
	s->engines = xcalloc(3, sizeof *s->engines);
	fixture_engine(&s->engines[0], "gluetun1", 19000, 0, FIXTURE_ID0, true);
	s->engines[0].forwarded = true;
	s->engines[0].p2p_port = 45678;
	s->engines[0].streams = 1;
	fixture_engine(&s->engines[1], "gluetun1", 19001, 1, FIXTURE_ID1, true);
	s->engines[1].started_at_ms = FIXTURE_NOW_MS - 3600000;
	fixture_engine(&s->engines[2], "gluetun2", 19500, 0, FIXTURE_ID2, false);

	struct snap_metrics *m = &s->metrics;
	m->reconcile_total = 5;
	/* Cumulative: 3 passes <= 10 ms, 1 more <= 0.5 s, 1 more <= 10 s. */
	static const uint64_t buckets[SNAP_HIST_BUCKETS] = { 2, 3, 3, 3, 3, 3, 4, 4, 4, 5 };
	memcpy(m->duration_buckets, buckets, sizeof buckets);
	m->duration_count = 5;
	m->duration_sum_s = 3.25;
	m->actions[ACT_CREATE][RESULT_OK] = 3;
	m->actions[ACT_RESTART_VPN][RESULT_FAILED] = 1;
	m->reloads_ok = 1;
	m->reloads_failed = 1;
	m->last_reload_success_ms = FIXTURE_NOW_MS + 123;
	return s;
}

struct snapshot *api_fixture_big(size_t n_engines, size_t n_vpns)
{
	struct snapshot *s = fixture_base();
	s->mode = n_vpns > 1 ? "redundant" : n_vpns ? "single" : "none";
	s->n_vpns = n_vpns;
	s->vpns = xcalloc(n_vpns ? n_vpns : 1, sizeof *s->vpns);
	size_t per = n_vpns ? (n_engines + n_vpns - 1) / n_vpns : n_engines;
	for (size_t i = 0; i < n_vpns; i++) {
		char name[32], id[80];
		snprintf(name, sizeof name, "gluetun%zu", i + 1);
		snprintf(id, sizeof id, "%064zx", i + 1);
		int lo = 20000 + (int)(i * per);
		fixture_vpn(&s->vpns[i], name, id, lo, lo + (int)per - 1);
		s->vpns[i].health = xstrdup("healthy");
		s->vpns[i].connected = true;
		s->vpns[i].forwarded_port = 40000 + (int)i;
		s->vpns[i].public_ip = xasprintf("203.0.113.%zu", i + 1);
	}
	s->n_engines = n_engines;
	s->engines = xcalloc(n_engines ? n_engines : 1, sizeof *s->engines);
	for (size_t i = 0; i < n_engines; i++) {
		char id[80], vpn[32] = "";
		size_t v = per ? i / per : 0;
		if (n_vpns)
			snprintf(vpn, sizeof vpn, "gluetun%zu", v + 1);
		snprintf(id, sizeof id, "%064zx", 0x1000 + i);
		fixture_engine(&s->engines[i], vpn, 20000 + (int)i, (int)(i % (per ? per : 1)), id,
			       true);
		s->engines[i].streams = (int)(i % 3 == 0);
		if (n_vpns)
			s->vpns[v].engines++;
	}
	return s;
}

struct snapshot *api_fixture_empty(void)
{
	struct snapshot *s = fixture_base();
	s->mode = "none";
	return s;
}
