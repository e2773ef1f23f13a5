/* service.h - what the daemon tells its service manager (systemd's sd_notify):
 * readiness, reloads, a one-line status and watchdog keep-alives. */
#ifndef ACE_SERVICE_H
#define ACE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

struct snapshot;

/* Per-daemon notification state (no globals: tests make their own). Without
 * libsystemd at build time, or with no NOTIFY_SOCKET at run time, every call
 * is a cheap no-op. */
struct service {
	int64_t watchdog_ms; /* WatchdogSec= of the unit, 0 when off */
	char *last_status;   /* STATUS= last sent, to send only changes */
};

/* Reads the watchdog setting from the environment (WATCHDOG_USEC/PID). */
void service_init(struct service *s);
void service_destroy(struct service *s);

/* True when the build has libsystemd (sd_notify is real). */
bool service_available(void);

/* READY=1: start-up done (API listening, first config in force), or a
 * reload finished. */
void service_ready(struct service *s);
/* RELOADING=1 (with MONOTONIC_USEC): a SIGHUP reload starts. */
void service_reloading(struct service *s);
/* STOPPING=1: shutdown began. */
void service_stopping(struct service *s);

/* How often to call service_watchdog(): half of WatchdogSec, as
 * sd_watchdog_enabled(3) advises; 0 when there is no watchdog. */
int64_t service_watchdog_interval_ms(const struct service *s);
/* WATCHDOG=1: the loop is alive. */
void service_watchdog(struct service *s);

/* STATUS=: engines and VPNs of the snapshot the API is about to serve,
 * sent only when the text changed. */
void service_status(struct service *s, const struct snapshot *snap);

/* The STATUS= text for a snapshot (caller frees); exposed for tests. */
char *service_status_text(const struct snapshot *snap);

#endif
