/* http.c - bounded response buffers for the libcurl clients (docker.c,
 * gluetun.c); no network code lives here. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

size_t http_buf_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct strbuf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > HTTP_MAX_BODY)
		return 0; /* curl turns this into CURLE_WRITE_ERROR */
	strbuf_add(b, ptr, n);
	return n;
}

size_t http_discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
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
