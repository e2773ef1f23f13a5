/* publish.h - builds the API's snapshot from the loop's view of the world
 * (last good observation, memory, plan); the loop publishes it. */
#ifndef ACE_PUBLISH_H
#define ACE_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "lease.h"
#include "observe.h"
#include "plan.h"
#include "snapshot.h"

struct publish_view {
	const struct config *cfg;
	const char *config_path;
	const char *last_reload_error; /* NULL after a good reload */
	const struct observed *obs;    /* last good observation, NULL before one */
	const struct memory *mem;
	const struct plan *plan;       /* the latest pass's, or NULL */
	int64_t observed_ms;           /* wall clock of obs */
	/* Docker failed on the latest pass (or a pass is overdue): obs is the
	 * last good view, served until api.stale_grace after stale_since_ms. */
	bool stale;
	int64_t stale_since_ms;        /* wall clock: when it became stale */
	const char *docker_error;      /* why, when stale */
	int64_t now_ms;                /* wall clock */
	struct snap_metrics metrics;
	/* Which Docker hosts answered the latest pass (NULL/0: unknown). */
	const struct host_obs *hosts;
	size_t n_hosts;
	/* The lease's last round (NULL: no lease, e.g. tests) and this
	 * daemon's holder id. A standby daemon shows no fleet of its own. */
	const struct lease_report *lease;
	const char *lease_self;
};

struct snapshot *publish_build(const struct publish_view *v);

#endif
