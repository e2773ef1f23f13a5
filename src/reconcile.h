/* reconcile.h - one reconcile pass (observe -> remember -> plan -> apply)
 * and the state the commands keep between passes; no event loop here. */
#ifndef ACE_RECONCILE_H
#define ACE_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "observe.h"
#include "plan.h"
#include "snapshot.h"

struct docker;

struct reconciler {
	char *config_path;
	struct config *cfg;      /* the config in force (last valid one) */
	struct docker *docker;   /* for observation; apply uses its own */
	char *docker_host;       /* cfg->docker_host the client was made for */
	struct observed obs;     /* last observation */
	bool have_obs;
	struct memory mem;
	/* Engine IDs touched by Docker events since the last pass. */
	char **dirty;
	size_t n_dirty, cap_dirty;
	/* Bookkeeping for logs, /config and metrics. */
	int64_t last_pass_ms;     /* wall clock of the last pass */
	char *last_reload_error;  /* NULL after a good reload */
	/* Cumulative, copied into each snapshot; last_reload_success_ms is
	 * also when the config in force was loaded. */
	struct snap_metrics metrics;
};

/* Loads the config at path (diagnostics printed to stderr); NULL when
 * invalid. */
struct reconciler *reconciler_new(const char *config_path);
void reconciler_free(struct reconciler *r);

/* Parses buf as the new config. Valid: swapped in, returns 0. Invalid: every
 * diagnostic logged with file:line:col, the old config stays, returns -1. */
int reconciler_reload(struct reconciler *r, const char *buf, size_t len);

/* Marks an engine as touched by a Docker event (inspected next pass). */
void reconciler_mark_dirty(struct reconciler *r, const char *id);

/* One pass. With apply=false only computes the plan (the `plan` command).
 * out receives the plan that was computed (caller frees with plan_free).
 * Returns the number of actions planned, or -1 when Docker could not be
 * observed (out->reason says why). */
int reconciler_pass(struct reconciler *r, bool apply, struct plan *out);

#endif
