/* util.c - allocation, strings, clocks and time parsing shared by every
 * subsystem; nothing here knows about Docker or the config. */
#include "config-auto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		fatal("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatal("bad format string: %s", fmt);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void grow(void *vp, size_t *cap, size_t need, size_t sz)
{
	void **v = vp;
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	*v = xrealloc(*v, n * sz);
	*cap = n;
}

void strbuf_add(struct strbuf *b, const char *p, size_t n)
{
	grow(&b->data, &b->cap, b->len + n + 1, 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void strbuf_free(struct strbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	fputs("ace-orchestrator: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void sbuf_printf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool str_startswith(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool parse_int(const char *s, long long min, long long max, long long *out)
{
	if (!s || !*s)
		return false;
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

char *read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	bool is_stdin = strcmp(path, "-") == 0;
	/* Only regular files: opening a FIFO or a device would block the
	 * daemon's loop on a reload. stdin ("-") is the caller's choice. */
	if (!is_stdin) {
		if (stat(path, &st) != 0)
			return NULL;
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			return NULL;
		}
	}
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n > max) {
			free(buf);
			if (f != stdin)
				fclose(f);
			errno = EFBIG;
			return NULL;
		}
		if (r == 0)
			break;
	}
	int err = ferror(f) ? EIO : 0;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int64_t now_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when s[0..n) are all ASCII digits (never reads past a NUL: the
 * NUL itself fails the test and stops the walk). */
static bool util_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* RFC 3339 (section 5.6) date-time, strictly: "YYYY-MM-DDTHH:MM:SS", an
 * optional fraction of any length, then "Z" or "+HH:MM"/"-HH:MM". The shape
 * is checked byte by byte before anything is read past it, so no input can
 * make the parser read beyond its NUL; glibc's strptime reads the fields and
 * timegm does the calendar arithmetic. */
int64_t parse_rfc3339_ms(const char *s)
{
	if (!s || !util_digits(s, 4) || s[4] != '-' || !util_digits(s + 5, 2) ||
	    s[7] != '-' || !util_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
	    !util_digits(s + 11, 2) || s[13] != ':' || !util_digits(s + 14, 2) ||
	    s[16] != ':' || !util_digits(s + 17, 2))
		return -1;
	/* Fixed-width fields were checked above, so strptime cannot skip blanks
	 * or take a sign; it still refuses month 13, hour 24 and the like. Its
	 * literals are case-sensitive: the lowercase 't' RFC 3339 allows is
	 * normalised in a copy. */
	char head[20];
	memcpy(head, s, 19);
	head[10] = 'T';
	head[19] = '\0';
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end != head + 19)
		return -1;
	const char *p = s + 19;
	int64_t ms = 0;
	if (*p == '.') {
		size_t digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0)
			return -1; /* RFC 3339: a fraction has at least one digit */
		for (; digits < 3; digits++)
			ms *= 10;
	}
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && util_digits(p + 1, 2) && p[3] == ':' &&
		   util_digits(p + 4, 2)) {
		int oh = (p[1] - '0') * 10 + (p[2] - '0');
		int om = (p[4] - '0') * 10 + (p[5] - '0');
		if (oh > 23 || om > 59)
			return -1;
		off = (oh * 60L + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	/* Docker's zero time ("0001-01-01T00:00:00Z", never started): 0. */
	if (tm.tm_year + 1900 <= 1)
		return 0;
	/* A leap second (23:59:60) is the last second of its minute repeated. */
	bool leap = tm.tm_sec == 60;
	if (tm.tm_sec > 60)
		return -1;
	if (leap)
		tm.tm_sec = 59;
	int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
	time_t t = timegm(&tm);
	/* timegm normalises 2026-02-30 to March 2: refuse what moved. */
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_yday == 364))
		return -1;
	if (tm.tm_year != year || tm.tm_mon != mon || tm.tm_mday != mday)
		return -1;
	int64_t ms_total = ((int64_t)t + leap - off) * 1000 + ms;
	/* Before the epoch is no time Docker reports; -1 means "unusable". */
	return ms_total < 0 ? -1 : ms_total;
}

uint64_t fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

bool secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	/* Walk the whole of b so timing depends only on the presented key's length. */
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(b[i] ^ (i < la ? a[i] : 0));
	return diff == 0;
}
