/* history_view.h - what changed in the loop's view of the VPNs since it was
 * last published, written to the history as transitions (never steady states). */
#ifndef ACE_HISTORY_VIEW_H
#define ACE_HISTORY_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "history.h"
#include "observe.h"

/* What was last reported of one declared VPN. */
struct hv_vpn {
	char *name;
	bool seen;          /* observed at least once */
	bool available;
	char *id;
	int64_t started_at_ms;
	bool port_known;    /* the control server answered once */
	int fwd_port;
	bool api_failing;
};

struct history_view {
	struct hv_vpn *v;
	size_t n;
};

void history_view_free(struct history_view *hv);

/* Compares obs (the view about to be published) with what was reported and
 * records each difference: availability, restart, re-creation, forwarded
 * port, control-server errors appearing and clearing. VPNs no longer
 * declared are forgotten silently. */
void history_view_diff(struct history_view *hv, struct history *h, const struct config *cfg,
		       const struct observed *obs, int64_t now_ms);

#endif
