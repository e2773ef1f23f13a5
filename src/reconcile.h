/* reconcile.h - one reconcile pass (observe -> remember -> plan -> apply) as
 * a function of explicit inputs; the state it keeps between passes. */
#ifndef ACE_RECONCILE_H
#define ACE_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include <stdatomic.h>

#include "config.h"
#include "ctrl.h"
#include "hosts.h"
#include "observe.h"
#include "plan.h"
#include "snapshot.h"

struct docker;

/*
 * What the reconciler keeps between passes. Touched by one thread at a time:
 * the daemon hands it to its pass thread with each job and does not look at
 * it while the pass runs; the commands (plan, apply) call it directly.
 */
struct reconciler {
	/* Observation clients, one per Docker host of the config; apply
	 * uses its own (one set per worker thread). */
	struct hosts_clients clients;
	int cancel_fd;           /* see docker_set_cancel_fd; -1 = none */
	struct observed obs;     /* last observation */
	bool have_obs;
	struct observed hosts;   /* only .hosts: which answered last pass */
	bool have_hosts;
	struct memory mem;
	/* Containers this reconciler acted upon: their cached inspection is
	 * stale, so the next pass inspects them again. */
	char **touched;
	size_t n_touched, cap_touched;
	int64_t last_full_inspect_ms; /* wall clock; 0 = never */
	/* The control-server reads used by the last pass, per cfg->vpns[i]. */
	struct ctrl_state *ctrl;
	size_t n_ctrl;
	/* Counters of passes and actions, copied into each result. */
	struct snap_metrics metrics;
};

/* Per engine, what the daemon loop knows better than the reconciler: its
 * probe results and its active streams. */
struct pass_live {
	const char *id;
	int streams;
	bool probed;
	bool probe_ok;
	int probe_failures;
};

struct pass_input {
	const struct config *cfg;
	/* Engine IDs touched by Docker events since the last pass. */
	const char *const *dirty;
	size_t n_dirty;
	bool inspect_all;       /* events were lost: inspect every engine */
	/* From the daemon loop; NULL live means "keep what mem has" (commands). */
	const struct pass_live *live;
	size_t n_live;
	/* One per cfg->vpns[i], the daemon's latest reads; NULL: the commands,
	 * which read them in the pass (cached for port_check_interval). */
	const struct ctrl_state *ctrl;
	int demand;             /* extra engines asked for (provision) */
	bool apply;             /* false: plan only */
	/* One daemon per fleet (lease.h): with apply, actions start only
	 * while the wall clock is before *act_until; NULL: no lease. */
	const _Atomic int64_t *act_until;
	const char *created_by; /* label of the containers it creates (apply.h) */
	int64_t now_ms;         /* wall clock of the pass; 0 = read it */
};

struct pass_result {
	struct observed obs;      /* what was observed (a copy) */
	struct memory mem;   /* the memory after the pass (a copy) */
	struct plan plan;
	/* Per plan.v[i], what applying it gave (NULL when nothing was
	 * applied): the loop's history shows each action with its error. */
	struct apply_result *results;
	int n;                    /* actions planned; -1 when Docker failed */
	unsigned failed;          /* actions that failed */
	unsigned n_inspects;      /* engine inspects this pass made */
	int64_t at_ms;            /* wall clock of the observation */
	struct snap_metrics metrics; /* cumulative pass and action counters */
	/* The control-server state each VPN was planned with (some may have
	 * been read during the pass); per cfg->vpns[i]. */
	struct ctrl_state *ctrl;
	size_t n_ctrl;
};

struct reconciler *reconciler_new(void);
void reconciler_free(struct reconciler *r);

/* One pass. out is filled (release it with pass_result_free). Returns out->n. */
int reconciler_pass(struct reconciler *r, const struct pass_input *in, struct pass_result *out);
void pass_result_free(struct pass_result *res);

#endif
