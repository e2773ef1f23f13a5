/* cmulti.h - one libcurl multi handle driven by the epoll reactor: curl's
 * sockets and timer live in the evloop, each transfer reports when done. */
#ifndef ACE_CMULTI_H
#define ACE_CMULTI_H

#include <curl/curl.h>
#include <stddef.h>

#include "evloop.h"

struct cmulti;

/* Called on the loop thread once a transfer is over (the easy handle has
 * already been removed from the multi; the callee owns it again and may
 * clean it up or add it back). */
typedef void (*cmulti_done_fn)(CURL *easy, CURLcode result, void *ud);

struct cmulti *cmulti_new(struct evloop *l);
/* Transfers still under way are removed without their callback. */
void cmulti_free(struct cmulti *m);

/* Starts a prepared easy handle. Uses CURLOPT_PRIVATE. 0, or -1 when curl
 * refuses it (the callback is then never called). */
int cmulti_add(struct cmulti *m, CURL *easy, cmulti_done_fn done, void *ud);
/* Stops a transfer without calling its callback; the caller keeps easy. */
void cmulti_remove(struct cmulti *m, CURL *easy);
size_t cmulti_running(const struct cmulti *m);

#endif
