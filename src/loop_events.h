/* loop_events.h - the daemon's Docker events: one stream per Docker host on
 * the loop's curl multi, each reconnecting with its own back-off, with the
 * API version asked off the loop so that a dead host never stalls it. */
#ifndef ACE_LOOP_EVENTS_H
#define ACE_LOOP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "docker.h"

struct evloop;
struct cmulti;
struct bgpool;
struct loop_events;

struct loop_events_cbs {
	/* One event of host (its name as in config.docker_hosts). */
	void (*event)(const char *host, const struct docker_event *ev, void *ud);
	/* A host's stream ended or could not be opened: events were maybe
	 * lost there. why: Docker's or curl's words. */
	void (*ended)(const char *host, const char *why, void *ud);
	void *ud;
};

/* io: the pool the version requests run on (bounded by the client's
 * timeouts); cancel_fd: as docker_set_cancel_fd. */
struct loop_events *loop_events_new(struct evloop *ev, struct cmulti *cm, struct bgpool *io,
				    int cancel_fd, const struct loop_events_cbs *cbs);
/* One stream per host of cfg: a host whose address and TLS files did not
 * change keeps its stream; new ones open, dropped ones close. */
void loop_events_sync(struct loop_events *le, const struct config *cfg);
/* Whether host's stream is up now (false while it reconnects). */
bool loop_events_up(const struct loop_events *le, const char *host);
/* Closes every stream. Version requests still on the pool finish there and
 * are dropped (they own their client). */
void loop_events_free(struct loop_events *le);

#endif
