/* publish.h - builds the API's snapshot from the reconciler's state after a
 * pass; the loop publishes it in a snapshot_store. */
#ifndef ACE_PUBLISH_H
#define ACE_PUBLISH_H

#include "plan.h"
#include "reconcile.h"
#include "snapshot.h"

/* p: the plan of the last pass (for GET /plan), or NULL. */
struct snapshot *publish_build(const struct reconciler *r, const struct plan *p);

#endif
