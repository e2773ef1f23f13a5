/* metrics.h - Prometheus text exposition (format 0.0.4) of a snapshot:
 * one pure function, so the exact output is unit-tested line by line. */
#ifndef ACE_METRICS_H
#define ACE_METRICS_H

#include <stddef.h>

#include "snapshot.h"
#include "streams.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Every family has # HELP and # TYPE, label values are escaped (\\, \", \n).
 * Families (see bench/README.md and the README for their meaning):
 *   orch_docker_up, orch_config_loaded                        gauges
 *   orch_docker_host_up{docker_host} 1 = answered the latest pass
 *   orch_lease_holder  1 = this daemon holds the fleet's lease and acts
 *   With several Docker hosts the per-VPN families below also carry
 *   docker_host (one host keeps the series it always had).
 *   orch_vpn_health_status{vpn} 1 = available (SPEC §5 rule 1)
 *   orch_vpn_forwarded_port{vpn} 0 = none
 *   orch_vpn_restarts_total{vpn}                              counter
 *   orch_engines_total{vpn_container,state}  state = visible | hidden
 *       (hidden = exists but not offered by GET /engines, whatever the
 *       reason; the Docker state is in GET /engines?all=1), both always
 *       present per VPN so dashboards never see a series vanish;
 *       vpn_container="" in no-VPN mode
 *   orch_streams_active{vpn_container}
 *   orch_reconcile_total, orch_reconcile_duration_seconds (histogram)
 *   orch_actions_total{action,result}  result = ok | failed | skipped
 *   orch_config_reloads_total{result}  result = success | failure
 *   orch_config_last_reload_success_timestamp_seconds
 *   orch_streams_rejected_total{reason} reason = max_per_engine | max_total
 *   orch_streams_expired_total, orch_provision_requests_total{result},
 *   orch_api_deadline_closes_total                             counters
 * Returns a malloc'd string.
 */
char *metrics_render(const struct snapshot *s);

/* What the API knows beyond the snapshot: the stream registry's view (the
 * per-VPN stream counts come from it when set) and its own counters. */
struct metrics_live {
	const struct streams_view *streams;
	uint64_t provision_ok, provision_blocked, provision_timeout;
	uint64_t deadline_closes;
};

/* metrics_render with live data; live may be NULL (zeros). */
char *metrics_render_live(const struct snapshot *s, const struct metrics_live *live);

/* v escaped as a label value (no quotes), malloc'd; for
 * tests and anyone building label sets by hand. */
char *metrics_escape_label(const char *v);

#endif
