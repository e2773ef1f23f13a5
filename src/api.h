/* api.h - the HTTP API of SPEC §7 on libmicrohttpd: answers from the
 * published snapshot only, never from Docker; POSTs go to the loop. */
#ifndef ACE_API_H
#define ACE_API_H

#include <stddef.h>

#include "snapshot.h"

/* Called from the API thread; must be thread-safe (the loop owns the state,
 * these only queue). engine_id is the full container ID found in the
 * snapshot. Return 0, or -1 with a message in err. */
struct api_hooks {
	int (*stream_started)(void *ud, const char *engine_id, const char *stream_id,
			      char *err, size_t errlen);
	int (*stream_ended)(void *ud, const char *stream_id, char *err, size_t errlen);
	void *ud;
};

struct api;

/* listen: "HOST:PORT" ("127.0.0.1:8000", "[::1]:8000", "0.0.0.0:8000").
 * Returns NULL with a message in err when it cannot listen. */
struct api *api_start(const char *listen, struct snapshot_store *st,
		      const struct api_hooks *hooks, char *err, size_t errlen);
/* Stops serving and releases everything api_start took (including a cached
 * snapshot reference: call it before snapshot_store_destroy). NULL is a no-op. */
void api_stop(struct api *a);
/* The bound TCP port (useful with "HOST:0"). */
int api_port(const struct api *a);

#endif
