/* apply.h - executes a plan against Docker: independent actions a few at a
 * time, make-before-break removals only after their creates, per-action results. */
#ifndef ACE_APPLY_H
#define ACE_APPLY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "plan.h"

enum action_result {
	RESULT_PENDING = 0,
	RESULT_OK,
	RESULT_FAILED,
	RESULT_SKIPPED, /* a prerequisite failed: make-before-break held back */
};
const char *action_result_str(enum action_result r);

struct apply_result {
	enum action_result result;
	char error[256]; /* Docker's message, when failed */
	char id[72];     /* new container ID (creates) */
	bool name_conflict; /* create refused: the name is taken (HTTP 409) */
};

struct apply_stats {
	size_t ok, failed, skipped;
};

/* Independent actions under way at once. Docker on a 2-CPU host created
 * and started 40 engines fastest at 8-16 concurrent clients; at 4 the
 * daemon took 1.21x the raw client's best, at 8 1.07x
 * (bench/run-core-bench.sh, converge rows). */
#define APPLY_MAX_PARALLEL 8

/* The label on every container apply creates: which daemon (lease holder,
 * lease.h) created it, so `docker events` tells two daemons apart. */
#define APPLY_CREATED_BY_LABEL "acestream.created_by"

struct apply_ctx {
	const struct config *cfg;
	int cancel_fd;       /* Docker calls give up once it is readable (-1: never) */
	/* One daemon per fleet (lease.h): an action starts only while the
	 * wall clock is before *act_until (ms); the loop lowers it to 0 when
	 * the lease is lost. NULL: no lease (tests). */
	const _Atomic int64_t *act_until;
	const char *created_by; /* APPLY_CREATED_BY_LABEL's value; NULL: none */
};

/*
 * Runs every action of p, each against its Docker host (action.host; the
 * new container of a re-create on spec->docker_host), up to
 * APPLY_MAX_PARALLEL at a time within a phase (each worker has its own
 * clients). results must hold p->n entries. Failures never stop the rest;
 * each one is logged with the object, its host and the reason. When mem is
 * given, failed objects are put in back-off (doubling from 2 s up to 5 min,
 * keyed as plan.h says) and succeeded ones cleared; VPN restarts are
 * recorded. Actions not started because the lease ran out are RESULT_SKIPPED
 * with the reason in error.
 */
void apply_run(const struct apply_ctx *cx, const struct plan *p, struct memory *mem,
	       int64_t now_ms, struct apply_result *results, struct apply_stats *stats);

#endif
