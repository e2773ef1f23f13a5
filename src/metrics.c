/* metrics.c - renders a snapshot as Prometheus text format 0.0.4; pure:
 * the counters were gathered by the loop, this only formats them. */
#include "config-auto.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "metrics.h"
#include "plan.h"
#include "util.h"

/* Output goes to a struct strbuf (util.h); allocation failure aborts. */
__attribute__((format(printf, 2, 3)))
static void mb_printf(struct strbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		strbuf_add(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	char *big = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_puts(b, big);
	free(big);
}

static void mb_label(struct strbuf *b, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		switch (*p) {
		case '\\': strbuf_add(b, "\\\\", 2); break;
		case '"': strbuf_add(b, "\\\"", 2); break;
		case '\n': strbuf_add(b, "\\n", 2); break;
		default: strbuf_add(b, p, 1);
		}
	}
}

char *metrics_escape_label(const char *v)
{
	struct strbuf b = { 0 };
	strbuf_add(&b, "", 0);
	mb_label(&b, v);
	return b.data;
}

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} */
static void sample1(struct strbuf *b, const char *name, const char *label, const char *val)
{
	mb_printf(b, "%s{%s=\"", name, label);
	mb_label(b, val);
	strbuf_puts(b, "\"} ");
}

/* name{vpn="v"} or, when the fleet spans several Docker hosts,
 * name{vpn="v",docker_host="h"}: one host keeps the series it always had. */
static void sample_vpn(struct strbuf *b, const struct snapshot *s, const char *name,
		       const char *label, const char *vpn, const char *host)
{
	mb_printf(b, "%s{%s=\"", name, label);
	mb_label(b, vpn);
	if (s->multi_host) {
		strbuf_puts(b, "\",docker_host=\"");
		mb_label(b, host ? host : "default");
	}
	strbuf_puts(b, "\"} ");
}

/* The Docker host of a VPN label: the declared VPN's, else that of an
 * engine still naming it. */
static const char *vpn_host(const struct snapshot *s, const char *vpn)
{
	for (size_t i = 0; i < s->n_vpns; i++)
		if (s->vpns[i].name && strcmp(s->vpns[i].name, vpn) == 0)
			return s->vpns[i].docker_host;
	for (size_t i = 0; i < s->n_engines; i++)
		if (s->engines[i].vpn && strcmp(s->engines[i].vpn, vpn) == 0)
			return s->engines[i].docker_host;
	return NULL;
}

/* Prometheus floats: shortest round-trip text; integers stay integers. */
static void mb_double(struct strbuf *b, double v)
{
	mb_printf(b, "%.15g\n", v);
}

/* The label values of the per-VPN families: declared VPNs in order, then
 * any VPN only engines still name (undeclared, being retired), then "" for
 * no-VPN mode; each once. Returns a count; names point into s. */
static size_t vpn_labels(const struct snapshot *s, const char ***out)
{
	const char **v = xcalloc(s->n_vpns + s->n_engines + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < s->n_vpns; i++)
		v[n++] = s->vpns[i].name ? s->vpns[i].name : "";
	for (size_t i = 0; i < s->n_engines; i++) {
		const char *e = s->engines[i].vpn ? s->engines[i].vpn : "";
		size_t j = 0;
		while (j < n && strcmp(v[j], e) != 0)
			j++;
		if (j == n)
			v[n++] = e;
	}
	/* No-VPN mode with no engines yet still shows zeros, not nothing. */
	if (n == 0)
		v[n++] = "";
	*out = v;
	return n;
}

static void render_vpns(struct strbuf *b, const struct snapshot *s)
{
	family(b, "orch_vpn_health_status", "gauge",
	       "1 when the VPN is available (running and healthy), else 0.");
	for (size_t i = 0; i < s->n_vpns; i++) {
		sample_vpn(b, s, "orch_vpn_health_status", "vpn", s->vpns[i].name, s->vpns[i].docker_host);
		strbuf_puts(b, s->vpns[i].connected ? "1\n" : "0\n");
	}
	family(b, "orch_vpn_forwarded_port", "gauge",
	       "Port forwarded by the VPN provider, 0 when none.");
	for (size_t i = 0; i < s->n_vpns; i++) {
		sample_vpn(b, s, "orch_vpn_forwarded_port", "vpn", s->vpns[i].name, s->vpns[i].docker_host);
		mb_printf(b, "%d\n", s->vpns[i].forwarded_port);
	}
	family(b, "orch_vpn_restarts_total", "counter",
	       "Docker restarts of the VPN container issued by the orchestrator.");
	for (size_t i = 0; i < s->n_vpns; i++) {
		sample_vpn(b, s, "orch_vpn_restarts_total", "vpn", s->vpns[i].name, s->vpns[i].docker_host);
		mb_printf(b, "%d\n", s->vpns[i].restarts);
	}
}

static void render_engines(struct strbuf *b, const struct snapshot *s,
			   const struct streams_view *v)
{
	const char **labels;
	size_t n = vpn_labels(s, &labels);
	family(b, "orch_engines_total", "gauge",
	       "Owned engine containers by VPN; state is visible (offered by GET /engines) or hidden.");
	for (size_t i = 0; i < n; i++) {
		size_t vis = 0, hid = 0;
		for (size_t j = 0; j < s->n_engines; j++) {
			const char *e = s->engines[j].vpn ? s->engines[j].vpn : "";
			if (strcmp(e, labels[i]) == 0)
				*(s->engines[j].visible ? &vis : &hid) += 1;
		}
		for (int k = 0; k < 2; k++) {
			strbuf_puts(b, "orch_engines_total{vpn_container=\"");
			mb_label(b, labels[i]);
			if (s->multi_host) {
				strbuf_puts(b, "\",docker_host=\"");
				mb_label(b, vpn_host(s, labels[i]) ? vpn_host(s, labels[i]) : "default");
			}
			mb_printf(b, "\",state=\"%s\"} %zu\n", k ? "hidden" : "visible", k ? hid : vis);
		}
	}
	family(b, "orch_streams_active", "gauge",
	       "Active streams reported through POST /events, by VPN.");
	for (size_t i = 0; i < n; i++) {
		long long streams = 0;
		for (size_t j = 0; j < s->n_engines; j++) {
			const char *e = s->engines[j].vpn ? s->engines[j].vpn : "";
			if (strcmp(e, labels[i]) == 0)
				streams += v ? (long long)streams_view_count(v, s->engines[j].id)
					     : s->engines[j].streams;
		}
		sample_vpn(b, s, "orch_streams_active", "vpn_container", labels[i], vpn_host(s, labels[i]));
		mb_printf(b, "%lld\n", streams);
	}
	free(labels);
}

static void render_reconcile(struct strbuf *b, const struct snap_metrics *m)
{
	family(b, "orch_reconcile_total", "counter", "Reconcile passes run.");
	mb_printf(b, "orch_reconcile_total %" PRIu64 "\n", m->reconcile_total);
	family(b, "orch_reconcile_duration_seconds", "histogram",
	       "Duration of reconcile passes (observe, plan, apply).");
	for (size_t i = 0; i < SNAP_HIST_BUCKETS; i++)
		mb_printf(b, "orch_reconcile_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			  snap_hist_bounds[i], m->duration_buckets[i]);
	mb_printf(b, "orch_reconcile_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
		  m->duration_count);
	strbuf_puts(b, "orch_reconcile_duration_seconds_sum ");
	mb_double(b, m->duration_sum_s);
	mb_printf(b, "orch_reconcile_duration_seconds_count %" PRIu64 "\n", m->duration_count);

	family(b, "orch_actions_total", "counter", "Actions applied, by kind and result.");
	for (int k = 0; k < SNAP_ACTION_KINDS; k++)
		/* RESULT_PENDING is never a final outcome: not exported. */
		for (int r = RESULT_OK; r < SNAP_ACTION_RESULTS; r++)
			mb_printf(b, "orch_actions_total{action=\"%s\",result=\"%s\"} %" PRIu64 "\n",
				  action_kind_str((enum action_kind)k),
				  action_result_str((enum action_result)r), m->actions[k][r]);

	family(b, "orch_config_reloads_total", "counter",
	       "Config reloads, by result (a failure keeps the previous config).");
	mb_printf(b, "orch_config_reloads_total{result=\"success\"} %" PRIu64 "\n", m->reloads_ok);
	mb_printf(b, "orch_config_reloads_total{result=\"failure\"} %" PRIu64 "\n",
		  m->reloads_failed);
	family(b, "orch_config_last_reload_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful config load.");
	int64_t ms = m->last_reload_success_ms > 0 ? m->last_reload_success_ms : 0;
	mb_printf(b, "orch_config_last_reload_success_timestamp_seconds %" PRId64 ".%03d\n",
		  ms / 1000, (int)(ms % 1000));
	family(b, "orch_docker_requests_total", "counter",
	       "Requests sent to the Docker Engine API (every call, events streams included).");
	mb_printf(b, "orch_docker_requests_total %" PRIu64 "\n", m->docker_requests);
	family(b, "orch_events_total", "counter",
	       "Entries recorded in the recent history (GET /events).");
	mb_printf(b, "orch_events_total %" PRIu64 "\n", m->events_total);
	family(b, "orch_notify_sent_total", "counter", "Webhook messages delivered (2xx).");
	mb_printf(b, "orch_notify_sent_total %" PRIu64 "\n", m->notify_sent);
	family(b, "orch_notify_failed_attempts_total", "counter",
	       "Webhook attempts that failed (error or non-2xx answer); each is retried with "
	       "back-off unless it was dropped.");
	mb_printf(b, "orch_notify_failed_attempts_total %" PRIu64 "\n", m->notify_failed_attempts);
	family(b, "orch_notify_dropped_total", "counter",
	       "Webhook messages never delivered: queue_full (the oldest made room), gave_up "
	       "(out of attempts, or refused with a 4xx).");
	mb_printf(b, "orch_notify_dropped_total{reason=\"queue_full\"} %" PRIu64 "\n",
		  m->notify_dropped_full);
	mb_printf(b, "orch_notify_dropped_total{reason=\"gave_up\"} %" PRIu64 "\n",
		  m->notify_dropped_gave_up);
	family(b, "orch_notify_queued", "gauge", "Webhook messages waiting to be delivered.");
	mb_printf(b, "orch_notify_queued %" PRIu64 "\n", m->notify_queued);
}

/* Families that exist whether or not a registry is attached, so that
 * dashboards never see a series appear late. */
static void render_live(struct strbuf *b, const struct metrics_live *l)
{
	const struct streams_view *v = l ? l->streams : NULL;
	family(b, "orch_streams_rejected_total", "counter",
	       "stream_started events refused with 429, by the cap that refused them "
	       "(streams.max_per_engine, streams.max_total).");
	mb_printf(b, "orch_streams_rejected_total{reason=\"max_per_engine\"} %" PRIu64 "\n",
		  v ? v->rejected_engine : 0);
	mb_printf(b, "orch_streams_rejected_total{reason=\"max_total\"} %" PRIu64 "\n",
		  v ? v->rejected_total : 0);
	family(b, "orch_streams_expired_total", "counter",
	       "Streams forgotten after streams.ttl without a stream_ended.");
	mb_printf(b, "orch_streams_expired_total %" PRIu64 "\n", v ? v->expired : 0);
	family(b, "orch_provision_requests_total", "counter",
	       "POST /provision/acestream answers: ok (an engine), blocked (refused at once), "
	       "timeout (no idle engine within the wait).");
	mb_printf(b, "orch_provision_requests_total{result=\"ok\"} %" PRIu64 "\n",
		  l ? l->provision_ok : 0);
	mb_printf(b, "orch_provision_requests_total{result=\"blocked\"} %" PRIu64 "\n",
		  l ? l->provision_blocked : 0);
	mb_printf(b, "orch_provision_requests_total{result=\"timeout\"} %" PRIu64 "\n",
		  l ? l->provision_timeout : 0);
	family(b, "orch_api_deadline_closes_total", "counter",
	       "API connections shut down for not sending a whole request in time.");
	mb_printf(b, "orch_api_deadline_closes_total %" PRIu64 "\n", l ? l->deadline_closes : 0);
}

char *metrics_render(const struct snapshot *s)
{
	return metrics_render_live(s, NULL);
}

char *metrics_render_live(const struct snapshot *s, const struct metrics_live *live)
{
	struct strbuf b = { 0 };
	strbuf_add(&b, "", 0);
	family(&b, "orch_docker_up", "gauge", "1 when the last pass reached the Docker daemon.");
	mb_printf(&b, "orch_docker_up %d\n", s->docker_ok ? 1 : 0);
	family(&b, "orch_view_stale", "gauge",
	       "1 while Docker fails and the API serves the last good observation.");
	mb_printf(&b, "orch_view_stale %d\n", s->stale ? 1 : 0);
	family(&b, "orch_view_observed_timestamp_seconds", "gauge",
	       "When the observation the API serves was made (0: none yet).");
	mb_printf(&b, "orch_view_observed_timestamp_seconds %.3f\n", (double)s->observed_ms / 1000.0);
	family(&b, "orch_config_loaded", "gauge", "1 when a valid config is in force.");
	mb_printf(&b, "orch_config_loaded %d\n", s->config_loaded ? 1 : 0);
	family(&b, "orch_docker_host_up", "gauge",
	       "1 when the Docker host answered the latest pass, by host (config name).");
	for (size_t i = 0; i < s->n_hosts; i++) {
		sample1(&b, "orch_docker_host_up", "docker_host", s->hosts[i].name);
		strbuf_puts(&b, s->hosts[i].ok ? "1\n" : "0\n");
	}
	family(&b, "orch_lease_holder", "gauge",
	       "1 while this daemon holds the fleet's lease and acts; 0 standing by or unsure.");
	mb_printf(&b, "orch_lease_holder %d\n", s->lease.role && strcmp(s->lease.role, "holder") == 0);
	render_vpns(&b, s);
	render_engines(&b, s, live ? live->streams : NULL);
	render_reconcile(&b, &s->metrics);
	render_live(&b, live);
	return b.data;
}
