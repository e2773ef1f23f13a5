/* http.h - the little libcurl plumbing shared by the Docker and Gluetun
 * clients: a bounded response buffer and status/error helpers. */
#ifndef ACE_HTTP_H
#define ACE_HTTP_H

#include <stddef.h>

#include "util.h"

/* Responses larger than this are refused: a misbehaving remote must not be
 * able to make the daemon grow without bound. */
#define HTTP_MAX_BODY (16u << 20)

/* CURLOPT_WRITEFUNCTION for a struct strbuf (util.h) as CURLOPT_WRITEDATA,
 * refusing bodies over HTTP_MAX_BODY. */
size_t http_buf_write(char *ptr, size_t size, size_t nmemb, void *ud);
/* CURLOPT_WRITEFUNCTION for a caller that needs only the status code: the
 * body is dropped as it comes. */
size_t http_discard(char *ptr, size_t size, size_t nmemb, void *ud);

/* Copies at most max bytes of a body into dst as printable text (for error
 * messages), stopping at the first newline. */
void http_snippet(char *dst, size_t dstlen, const char *body, size_t len);

#endif
