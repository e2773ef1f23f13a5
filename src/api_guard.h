/* api_guard.h - the HTTP API's defences and clock: a deadline for each
 * request to arrive, rate-limited warnings, and the thread that runs them. */
#ifndef ACE_API_GUARD_H
#define ACE_API_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- rate-limited warnings ---- */

/* At most API_WARN_BURST warnings of one kind per API_WARN_WINDOW_MS; the
 * next allowed one reports how many were dropped. A flood of malformed
 * requests must not become a flood of log lines. */
#define API_WARN_BURST 5
#define API_WARN_WINDOW_MS 60000

struct api_ratelimit {
	int64_t window_start_ms;
	unsigned used;
	uint64_t suppressed;
};

/* true when a warning may be logged at now_ms; then *suppressed is the
 * number dropped since the last allowed one (and the count restarts). */
bool api_ratelimit_take(struct api_ratelimit *r, int64_t now_ms, uint64_t *suppressed);

/* ---- the guard ---- */

struct api_guard;

/* Called from the guard's thread every period (100 ms while api_guard_busy
 * says so, else 500 ms) and after api_guard_poke. */
typedef void (*api_guard_tick_fn)(void *ud, int64_t now_mono_ms);

/* deadline_ms: how long a connection may take to deliver a whole request
 * (headers and body), counted from its accept or the end of its previous
 * request; past it the socket is shut down, however slowly bytes still
 * trickle in (libmicrohttpd's own timeout restarts on every byte). */
struct api_guard *api_guard_new(int64_t deadline_ms, api_guard_tick_fn tick, void *ud);
/* Stops and joins the thread (no more ticks or deadlines). */
void api_guard_stop(struct api_guard *g);
/* Frees the guard; after MHD_stop_daemon, whose connection-closed
 * notifications still use it. NULL is a no-op. */
void api_guard_free(struct api_guard *g);

/* libmicrohttpd's connection notifications (MHD_OPTION_NOTIFY_CONNECTION):
 * *sockctx becomes the guard's record of the socket. The record is
 * unlinked in conn_closed, which libmicrohttpd calls before it closes the
 * fd, so the guard never shuts down a reused descriptor. */
void api_guard_conn_started(struct api_guard *g, void **sockctx, int fd,
			    const struct sockaddr *peer);
void api_guard_conn_closed(struct api_guard *g, void **sockctx);
/* The whole request arrived (the deadline stops) / its response is done
 * (the deadline for the next request starts). sockctx may be NULL. */
void api_guard_request_begin(void *sockctx);
void api_guard_request_end(void *sockctx);
/* The client's address as text ("" when unknown). */
const char *api_guard_peer(const void *sockctx);

/* Run the tick now, and every 100 ms while busy. */
void api_guard_poke(struct api_guard *g, bool busy);
/* Connections shut down for missing the deadline, since the start. */
uint64_t api_guard_deadline_closes(struct api_guard *g);

/* Logs a warning about a client (msg, "peer", peer, "detail", detail)
 * unless the guard's rate limit for kind drops it. */
enum api_warn_kind { API_WARN_MALFORMED = 0, API_WARN_DEADLINE, API_WARN_MHD, API_WARN_KINDS };
void api_guard_warn(struct api_guard *g, enum api_warn_kind kind, const char *msg,
		    const char *peer, const char *detail);

#endif
