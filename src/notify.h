/* notify.h - webhooks (notify[]): history entries worth telling become POSTs
 * in the target's format, signed when asked, sent off the loop with retries. */
#ifndef ACE_NOTIFY_H
#define ACE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "history.h"

struct evloop;
struct cmulti;

/* ---- formats and signature (notify_format.c; pure) ---- */

/* The notify[].events bit an entry is sent for; 0 when it is not sent (a
 * VPN available at start-up is no recovery). */
unsigned notify_event_of(const struct hist_entry *e);

struct notify_msg {
	char *body;
	size_t len;
	const char *content_type; /* static */
	char *title;              /* "ace-orchestrator INSTANCE: vpn_down" */
	const char *priority;     /* ntfy's Priority header for text: "high", "default" */
	const char *tags;         /* ntfy's Tags header for text */
};
/* The body of entry e (event bit ev) in format f. */
void notify_render(enum notify_format f, const struct hist_entry *e, unsigned ev,
		   const char *instance, struct notify_msg *out);
void notify_msg_free(struct notify_msg *m);

#define NOTIFY_SIG_LEN (7 + 64 + 1) /* "sha256=" + hex + NUL */
/* "sha256=HEX" of HMAC-SHA256(key, body), OpenSSL's libcrypto. 0, or -1
 * when libcrypto fails (out is then ""). */
int notify_signature(const char *key, const void *body, size_t len, char out[NOTIFY_SIG_LEN]);

/* ---- delivery (notify.c) ---- */

struct notify_stats {
	uint64_t sent;            /* delivered (2xx) */
	uint64_t failed_attempts; /* attempts that got an error or a non-2xx */
	uint64_t dropped_full;    /* queue full: the oldest went */
	uint64_t dropped_gave_up; /* out of attempts, or refused for good (4xx) */
	uint64_t queued;          /* waiting now */
};

#define NOTIFY_QUEUE_MAX 256
#define NOTIFY_MAX_ATTEMPTS 10
#define NOTIFY_BACKOFF_MIN_MS 1000
#define NOTIFY_BACKOFF_MAX_MS (5 * 60 * 1000)
#define NOTIFY_TIMEOUT_MS 10000

struct notifier;

/* Transfers run on cm (the loop's curl multi); the timer for retries on ev.
 * changed(ud) is called on the loop thread when a transfer ended (never
 * from inside notify_offer, so it may publish, and publishing may offer). */
struct notifier *notify_new(struct evloop *ev, struct cmulti *cm,
			    void (*changed)(void *ud), void *ud);
/* Transfers still running are abandoned; queued messages are lost. */
void notify_free(struct notifier *n);
/* Takes the targets of cfg (copied): used for the entries offered from now
 * on; messages already queued keep the target they were made for. */
void notify_configure(struct notifier *n, const struct config *cfg);
/* Queues e for every target that wants it. A history listener. */
void notify_offer(const struct hist_entry *e, void *notifier);
void notify_get_stats(const struct notifier *n, struct notify_stats *out);

#endif
