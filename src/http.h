/* http.h - the little libcurl plumbing shared by the Docker and Gluetun
 * clients: a bounded response buffer and status/error helpers. */
#ifndef ACE_HTTP_H
#define ACE_HTTP_H

#include <stddef.h>

/* Responses larger than this are refused: a misbehaving remote must not be
 * able to make the daemon grow without bound. */
#define HTTP_MAX_BODY (16u << 20)

struct http_buf {
	char *data; /* always NUL-terminated once anything was written */
	size_t len;
	size_t cap;
};

/* CURLOPT_WRITEFUNCTION for a struct http_buf (CURLOPT_WRITEDATA). */
size_t http_buf_write(char *ptr, size_t size, size_t nmemb, void *ud);
void http_buf_append(struct http_buf *b, const char *p, size_t n);
void http_buf_reset(struct http_buf *b);
void http_buf_free(struct http_buf *b);

/* Copies at most max bytes of a body into dst as printable text (for error
 * messages), stopping at the first newline. */
void http_snippet(char *dst, size_t dstlen, const char *body, size_t len);

#endif
