/* util.h - allocation that cannot fail silently, string helpers and the
 * monotonic/wall clocks; shared by every subsystem. */
#ifndef ACE_UTIL_H
#define ACE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Out of memory is a broken invariant for a daemon of a few MB: abort loudly. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte string, always NUL-terminated once anything was added. */
struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};
void strbuf_add(struct strbuf *b, const char *p, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_reset(struct strbuf *b);
void strbuf_free(struct strbuf *b);

/* Grows *v (of *cap elements of size sz) to hold at least need elements. */
void grow(void *vp, size_t *cap, size_t need, size_t sz);

/* Fatal error at start-up or on a broken invariant: prints and exits 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Safe bounded formatting into a fixed buffer (always NUL-terminated). */
void sbuf_printf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool str_eq(const char *a, const char *b); /* NULL-safe */
bool str_startswith(const char *s, const char *prefix);
/* Parses a whole decimal integer in [min,max]; false on any junk. */
bool parse_int(const char *s, long long min, long long max, long long *out);

/* Reads a whole file (at most max bytes); NULL with errno set on failure. */
char *read_file(const char *path, size_t max, size_t *len);

/* Monotonic milliseconds (for timers, back-off) and wall-clock ms since epoch. */
int64_t now_mono_ms(void);
int64_t now_wall_ms(void);
/* RFC 3339 "2026-11-22T04:09:00.123456789Z" -> ms since epoch (fraction
 * truncated, offset applied); -1 if malformed or before 1970, 0 for
 * Docker's zero time "0001-01-01T00:00:00Z". Never reads past the NUL. */
int64_t parse_rfc3339_ms(const char *s);

/* FNV-1a 64 over n bytes, continuing from h (start with FNV1A64_INIT):
 * the cheap, stable content hash of config and file fingerprints. */
#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);

/* Constant-time comparison of two secrets (length leaks, content does not). */
bool secret_eq(const char *a, const char *b);

#endif
