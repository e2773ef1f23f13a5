/* loop_lease.h - the lease (lease.h) as the daemon loop runs it: rounds on a
 * thread of their own, the role they found, and the deadline apply obeys. */
#ifndef ACE_LOOP_LEASE_H
#define ACE_LOOP_LEASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "lease.h"

struct evloop;
struct loop_lease;

struct loop_lease_cbs {
	/* The role changed (acquired, lost, stood by) or a round failed; read
	 * loop_lease_report. Runs on the loop thread. */
	void (*changed)(void *ud);
	void *ud;
};

struct loop_lease *loop_lease_new(struct evloop *ev, const struct loop_lease_cbs *cbs);
/* The config in force: instance, lease_ttl, the default host and the images
 * to make the lease from. A change of instance or host releases the old
 * lease before the next round takes the new one. Runs a round soon. */
void loop_lease_config(struct loop_lease *ll, const struct config *cfg);
/* The last round's report (role UNKNOWN before the first). */
const struct lease_report *loop_lease_report(const struct loop_lease *ll);
/* Whether this daemon may act now (holder, lease confirmed). */
bool loop_lease_may_act(const struct loop_lease *ll, int64_t now_ms);
/* What apply checks before each action: lowered to 0 the moment the lease
 * is lost, so a pass in flight starts nothing more. */
const _Atomic int64_t *loop_lease_act_until(const struct loop_lease *ll);
/* This daemon's holder id (the created_by label of what it creates). */
const char *loop_lease_self(const struct loop_lease *ll);
/* Stops the rounds and releases the lease (a clean exit: the next daemon
 * takes over at once), waiting at most wait_ms. */
void loop_lease_stop(struct loop_lease *ll, int64_t wait_ms);

#endif
