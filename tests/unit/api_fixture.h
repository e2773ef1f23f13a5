/* api_fixture.h - hand-built snapshots for the API and metrics tests, the
 * promtool sample and the benchmark: known values, no Docker involved. */
#ifndef ACE_API_FIXTURE_H
#define ACE_API_FIXTURE_H

#include <stddef.h>

#include "snapshot.h"

/* 2026-11-22T04:09:00Z, the fixture's clock. */
#define FIXTURE_NOW_MS 1795320540000LL
#define FIXTURE_ID0 "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000"
#define FIXTURE_ID1 "bbbbbbbbbbbb1111111111111111111111111111111111111111111111111111"
#define FIXTURE_ID2 "cccccccccccc2222222222222222222222222222222222222222222222222222"

/* Redundant mode: gluetun1 available (forwarded port 45678) with two
 * visible engines, gluetun2 unhealthy with one hidden engine; replicas
 * min 2, max 4, min_free 1; engine 0 counts 1 stream, engine 1 started
 * an hour before the fixture's clock. refs = 1. */
struct snapshot *api_fixture_snapshot(void);

/* n engines spread over n_vpns VPNs (all visible), for the benchmark. */
struct snapshot *api_fixture_big(size_t n_engines, size_t n_vpns);

/* Empty no-VPN snapshot: mode none, no engines. */
struct snapshot *api_fixture_empty(void);

#endif
