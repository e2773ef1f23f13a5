/* lease.h - one daemon per fleet: a lease that every daemon of an instance
 * sees through the default Docker host itself, and who holds it.
 *
 * The lock is a container that is created and never started, named after
 * the instance ({LEASE_PREFIX}{instance}): Docker refuses a second container
 * of that name, so creating it is the mutual exclusion. Its holder renews
 * by renaming a second created-only container, its beat, whose name carries
 * the time of the renewal (one atomic call). A daemon that finds the lock
 * held by another waits; it takes over only once that holder's beat is
 * older than lease_ttl plus one renewal interval (a third of lease_ttl), or
 * at once when the holder was a process of this very machine that is gone
 * (kill -9, crash). A holder acts only while its last renewal is younger
 * than lease_ttl minus one interval, so between the last moment it may act
 * and the first moment a contender may, two intervals pass: room for an
 * action in flight and for clocks a little apart. A holder that finds the
 * lock taken by another steps down at once. Released (both containers
 * removed) on a clean exit, so a successor need not wait.
 */
#ifndef ACE_LEASE_H
#define ACE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "docker.h"

#define LEASE_PREFIX "ace-orchestrator-lease."
#define LEASE_LABEL "acestream.lease"               /* = instance, on both */
#define LEASE_ROLE_LABEL "acestream.lease.role"     /* "lock" or "beat" */
#define LEASE_HOLDER_LABEL "acestream.lease.holder" /* lease_self.id */
#define LEASE_SINCE_LABEL "acestream.lease.since"   /* lock: ms it was taken */

/* ---- who: the holder's identity (pure parts) ---- */

/* This process as written on the lease: host name, PID, its start time in
 * clock ticks since boot, the inode of its PID namespace and the boot ID,
 * "HOST/PID/START/PIDNS/BOOT". Together they tell "the process that wrote
 * this is gone" from "it is another machine's" without asking anyone. */
struct lease_self {
	char id[256];
	char host[128];
	long pid;
	unsigned long long start;
	unsigned long long pidns;
	char boot[40];
};

/* Reads this process's identity from the kernel (/proc). */
void lease_self_init(struct lease_self *s);
/* Writes s->id from the other fields. */
void lease_self_format(struct lease_self *s);
/* Parses an id; -1 when it is not one (then nothing can be known of it). */
int lease_self_parse(const char *id, struct lease_self *out);

/* Whether the holder named by id is a process of this machine (same host
 * name, boot and PID namespace) that no longer runs: proc_start(pid) gives
 * the start time of a live PID, 0 when there is none. Another machine's
 * holder is never "gone": only its lease's age can tell. */
bool lease_holder_gone(const struct lease_self *me, const char *holder_id,
		       unsigned long long (*proc_start)(long pid));
/* proc_start for this machine, from /proc/PID/stat. */
unsigned long long lease_proc_start(long pid);

/* ---- what the default host shows (pure) ---- */

/* The lock container's name for an instance (Docker's name characters;
 * anything else in the instance becomes '_' and a hash keeps it unique). */
void lease_lock_name(const char *instance, char *out, size_t len);
/* A beat's name: "{lock}.beat.{ms}"; -1 when name is not a beat of lock. */
void lease_beat_name(const char *lock, int64_t ms, char *out, size_t len);
int lease_beat_parse(const char *lock, const char *name, int64_t *ms);

struct lease_seen {
	bool lock;             /* the lock container exists */
	char lock_id[80];
	char holder[256];      /* its holder, "" when unknown */
	int64_t since_ms;      /* when it was taken */
	bool beat;             /* the holder's beat */
	char beat_id[80];
	int64_t beat_ms;       /* time of its last renewal */
	/* The freshest beat of another holder than the lock's (a renewal
	 * while the lock is gone: its holder is alive). */
	bool other_beat;
	char other_holder[256];
	int64_t other_beat_ms;
	/* Every beat not the lock holder's: removed by whoever takes over. */
	char (*stale)[80];
	size_t n_stale;
};
void lease_seen_free(struct lease_seen *s);
/* From one `list` filtered on LEASE_LABEL=instance. */
void lease_seen_parse(const struct docker_list *l, const char *lock_name, struct lease_seen *out);

/* ---- what to do (pure) ---- */

enum lease_step {
	LEASE_ACQUIRE,  /* no lock, nobody renewing: create it */
	LEASE_TAKEOVER, /* the holder's lease ran out (or it is gone): remove, create */
	LEASE_RENEW,    /* ours: rename our beat */
	LEASE_RECLAIM,  /* ours, but the lock vanished (removed by hand?): create it again */
	LEASE_WAIT,     /* another holder is alive: stand by */
	LEASE_LOST,     /* we held it and another does now: step down at once */
};
const char *lease_step_str(enum lease_step s);

struct lease_input {
	const struct lease_seen *seen;
	const char *self;   /* our holder id */
	bool holding;       /* we believe we hold it */
	bool holder_gone;   /* lease_holder_gone() of the lock's holder */
	int64_t now_ms;     /* wall clock */
	int64_t ttl_ms;     /* docker.lease_ttl */
};

struct lease_decision {
	enum lease_step step;
	int64_t next_ms;    /* when to look again (wall clock) */
	char why[320];      /* for logs, /readyz and /plan */
};

void lease_decide(const struct lease_input *in, struct lease_decision *out);
/* Renewal interval: a third of the lease. */
int64_t lease_renew_ms(int64_t ttl_ms);

/* ---- the Docker side (blocking; run off the event loop) ---- */

enum lease_role { LEASE_UNKNOWN = 0, LEASE_HOLDER, LEASE_STANDBY };
const char *lease_role_str(enum lease_role r);

struct lease {
	struct lease_self self;
	char instance[256];
	char lock[300];          /* lock container name */
	bool holding;
	char lock_id[80];
	char beat_id[80];
	int64_t renewed_ms;      /* wall clock of our last confirmed renewal */
	int64_t ttl_ms;
};

struct lease_report {
	enum lease_role role;
	enum lease_step step;
	bool ok;                 /* Docker answered and the step went through */
	char holder[256];        /* the lock's holder as seen ("" none) */
	int64_t since_ms;        /* since when it holds it */
	char why[320];           /* decision or error, for logs and the API */
	int64_t act_until_ms;    /* holder: may act before this (wall clock) */
	int64_t next_ms;         /* when to run lease_run again */
};

void lease_init(struct lease *l, const char *instance, int64_t ttl_ms);
/* One round against the default host: list, decide, act. images: what to
 * make its containers from, in order of preference: image references, or
 * "container:NAME" for the image that container runs (lease_images); the
 * first one the host has is used (a missing image is skipped, never
 * pulled). */
void lease_run(struct lease *l, struct docker *d, const char *const *images, size_t n_images,
	       int64_t now_ms, struct lease_report *out);
/* A clean exit: our lock and beat go, so a successor takes over at once.
 * Only containers we know to be ours are removed (by ID). */
void lease_release(struct lease *l, struct docker *d);

/* The images lease_run may use for cfg: engine.image, then
 * "container:NAME" for each VPN on the default host. Free with
 * lease_images_free. */
char **lease_images(const struct config *cfg, size_t *n);
void lease_images_free(char **v, size_t n);

#endif
