/* probe.h - engine health probes (engine.health): HTTP GETs on libcurl's
 * multi interface, driven by the daemon's epoll loop, never blocking it. */
#ifndef ACE_PROBE_H
#define ACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum { PROBE_IO_IN = 1, PROBE_IO_OUT = 2, PROBE_IO_ERR = 4 };

/* Same contract as the Docker events stream (docker.h): watch(fd, what)
 * adds/modifies (what != 0) or removes (what == 0) fd in epoll; timer(ms)
 * arms the one curl timer (-1 disarms). */
struct probe_io {
	void (*watch)(int fd, int what, void *ud);
	void (*timer)(long timeout_ms, void *ud);
	void *ud;
};

/* ok: the engine answered 200 within the timeout. */
typedef void (*probe_done_cb)(const char *engine_id, bool ok, void *ud);

struct probe;

struct probe *probe_new(const struct probe_io *io, probe_done_cb cb, void *ud);
void probe_free(struct probe *p);
/* Starts GET url for engine_id unless one is already in flight for it. */
void probe_start(struct probe *p, const char *engine_id, const char *url, long timeout_ms);
void probe_on_fd(struct probe *p, int fd, int what);
void probe_on_timeout(struct probe *p);
size_t probe_in_flight(const struct probe *p);

#endif
