/* probe.h - engine health probes (engine.health): HTTP GETs on the loop's
 * curl multi adapter (cmulti.h), never blocking it. */
#ifndef ACE_PROBE_H
#define ACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmulti;

/* How a probe ended. PROBE_LATE: the daemon itself could not run the
 * probe in time (its loop was held up), so nothing is known of the engine
 * and the result must not count as a failure. */
enum probe_outcome { PROBE_OK, PROBE_FAILED, PROBE_LATE };

typedef void (*probe_done_cb)(const char *engine_id, enum probe_outcome r, void *ud);

struct probe;

struct probe *probe_new(struct cmulti *cm, probe_done_cb cb, void *ud);
/* Requests under way are dropped without a result. */
void probe_free(struct probe *p);
/* Starts GET url for engine_id unless one is already in flight or waiting
 * for it; beyond PROBE_MAX_IN_FLIGHT (probe.c) under way it waits for a
 * slot, and its timeout counts from its start. OK: the engine answered 200
 * within timeout_ms. */
void probe_start(struct probe *p, const char *engine_id, const char *url, long timeout_ms);
size_t probe_in_flight(const struct probe *p);
size_t probe_waiting(const struct probe *p);

#endif
