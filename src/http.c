/* http.c - bounded response buffers for the libcurl clients (docker.c,
 * gluetun.c); no network code lives here. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

void http_buf_append(struct http_buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

size_t http_buf_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct http_buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > HTTP_MAX_BODY)
		return 0; /* curl turns this into CURLE_WRITE_ERROR */
	http_buf_append(b, ptr, n);
	return n;
}

void http_buf_reset(struct http_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void http_buf_free(struct http_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void http_snippet(char *dst, size_t dstlen, const char *body, size_t len)
{
	size_t o = 0;
	if (!dstlen)
		return;
	for (size_t i = 0; i < len && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\n' || c == '\r')
			break;
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
}
