/* apply.h - executes a plan against Docker: independent actions a few at a
 * time, make-before-break removals only after their creates, per-action results. */
#ifndef ACE_APPLY_H
#define ACE_APPLY_H

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

#define APPLY_MAX_PARALLEL 4

/*
 * Runs every action of p against the Docker daemon at docker_host, up to
 * APPLY_MAX_PARALLEL at a time within a phase (each worker has its own
 * client). results must hold p->n entries. Failures never stop the rest;
 * each one is logged with the object and the reason. When mem is given,
 * failed objects are put in back-off (doubling from 2 s up to 5 min, keyed as
 * plan.h says) and succeeded ones cleared; VPN restarts are recorded.
 * cancel_fd: Docker calls give up once it is readable (-1: never).
 */
void apply_run(const struct config *cfg, const struct plan *p,
	       struct memory *mem, int64_t now_ms, int cancel_fd,
	       struct apply_result *results, struct apply_stats *stats);

#endif
