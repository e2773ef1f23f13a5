/* range.c - small value parsers shared by the config and the planner: port
 * ranges, durations, sizes and the {placeholder} templates of engine env/argv. */
#include "config-auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"
#include "util.h"

/* Parses a run of decimal digits at *p into *v (capped so it cannot overflow);
 * false when there is no digit. Leaves *p after the digits. */
static bool range_num(const char **p, long long *v)
{
	const char *s = *p;
	long long n = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		if (n < 1000000000LL)
			n = n * 10 + (*s - '0');
	*p = s;
	*v = n;
	return true;
}

int range_parse(const char *s, struct port_range *out, char *err, size_t errlen)
{
	long long lo, hi;
	const char *p = s;
	if (!s || !*s) {
		sbuf_printf(err, errlen, "empty port range (expected LO-HI or N)");
		return -1;
	}
	if (!range_num(&p, &lo))
		goto syntax;
	hi = lo;
	if (*p == '-') {
		p++;
		if (!range_num(&p, &hi))
			goto syntax;
	}
	if (*p)
		goto syntax;
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
		sbuf_printf(err, errlen, "invalid port range '%s': ports must be between 1 and 65535", s);
		return -1;
	}
	if (lo > hi) {
		sbuf_printf(err, errlen, "invalid port range '%s': %lld is greater than %lld", s, lo, hi);
		return -1;
	}
	out->lo = (int)lo;
	out->hi = (int)hi;
	return 0;
syntax:
	sbuf_printf(err, errlen, "invalid port range '%s' (expected LO-HI or N)", s);
	return -1;
}

bool range_overlap(struct port_range a, struct port_range b, struct port_range *shared)
{
	int lo = a.lo > b.lo ? a.lo : b.lo;
	int hi = a.hi < b.hi ? a.hi : b.hi;
	if (lo > hi)
		return false;
	if (shared) {
		shared->lo = lo;
		shared->hi = hi;
	}
	return true;
}

const char *range_fmt(struct port_range r, char *buf, size_t len)
{
	if (r.lo == r.hi)
		sbuf_printf(buf, len, "%d", r.lo);
	else
		sbuf_printf(buf, len, "%d-%d", r.lo, r.hi);
	return buf;
}

/* Parses "<digits><suffix>" where suffix is looked up in units; the value
 * times the unit's multiplier must fit below limit. */
struct range_unit {
	const char *suffix;
	int64_t mult;
};

static int range_scaled(const char *s, const struct range_unit *units, size_t n_units,
			int64_t limit, int64_t *out)
{
	const char *p = s;
	int64_t v = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (limit - (*p - '0')) / 10)
			return -2;
		v = v * 10 + (*p - '0');
	}
	for (size_t i = 0; i < n_units; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v > limit / units[i].mult)
			return -2;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

/* A year is far beyond any interval the daemon would honour; refusing more
 * keeps every later "now + interval" addition clear of overflow. */
#define DURATION_MAX_MS (366LL * 24 * 3600 * 1000)

int duration_parse(const char *s, int64_t *ms, char *err, size_t errlen)
{
	static const struct range_unit units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	int rc = range_scaled(s, units, ARRAY_LEN(units), DURATION_MAX_MS, ms);
	if (rc == -2)
		sbuf_printf(err, errlen, "duration '%s' is too long (at most 366 days)", s);
	else if (rc < 0 && s && *s == '-')
		sbuf_printf(err, errlen, "invalid duration '%s': must not be negative", s);
	else if (rc < 0)
		sbuf_printf(err, errlen, "invalid duration '%s' (expected e.g. 500ms, 5s, 2m, 1h)",
			    s ? s : "");
	return rc < 0 ? -1 : 0;
}

const char *duration_fmt(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		sbuf_printf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		sbuf_printf(buf, len, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		sbuf_printf(buf, len, "%llds", (long long)(ms / 1000));
	else
		sbuf_printf(buf, len, "%lldms", (long long)ms);
	return buf;
}

/* 1 TiB: no engine needs more, and it keeps the byte count far from overflow. */
#define SIZE_MAX_BYTES (1LL << 40)

int size_parse(const char *s, int64_t *bytes, char *err, size_t errlen)
{
	/* Docker's own suffixes, either case; a bare number is bytes. */
	static const struct range_unit units[] = {
		{ "", 1 }, { "b", 1 }, { "B", 1 },
		{ "k", 1LL << 10 }, { "K", 1LL << 10 },
		{ "m", 1LL << 20 }, { "M", 1LL << 20 },
		{ "g", 1LL << 30 }, { "G", 1LL << 30 },
	};
	int rc = range_scaled(s, units, ARRAY_LEN(units), SIZE_MAX_BYTES, bytes);
	if (rc == -2)
		sbuf_printf(err, errlen, "size '%s' is too large (at most 1024g)", s);
	else if (rc < 0 && s && *s == '-')
		sbuf_printf(err, errlen, "invalid size '%s': must not be negative", s);
	else if (rc < 0)
		sbuf_printf(err, errlen, "invalid size '%s' (expected e.g. 512m, 1g, 1024k or bytes)",
			    s ? s : "");
	return rc < 0 ? -1 : 0;
}

/* Template syntax, Python str.format style so literal braces stay possible:
 * "{name}" is a placeholder, "{{" is a literal "{", "}}" a literal "}", and a
 * lone "}" is an error (it is almost always a typo of a placeholder). */
static const char *const tmpl_names[] = {
	"http_port", "https_port", "p2p_port", "name", "vpn", "forwarded",
};

static int tmpl_lookup(const char *p, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(tmpl_names); i++)
		if (strlen(tmpl_names[i]) == n && memcmp(tmpl_names[i], p, n) == 0)
			return (int)i;
	return -1;
}

/* Walks tmpl; for each literal run or placeholder calls emit (when not NULL).
 * Returns 0, or -1 with err/off describing the first problem. */
static int tmpl_walk(const char *tmpl, char *err, size_t errlen, size_t *off,
		     void (*emit)(void *ctx, const char *s, size_t n, int var), void *ctx)
{
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			if (emit)
				emit(ctx, "{", 1, -1);
			p += 2;
		} else if (p[0] == '}' && p[1] == '}') {
			if (emit)
				emit(ctx, "}", 1, -1);
			p += 2;
		} else if (*p == '}') {
			sbuf_printf(err, errlen, "single '}' (write '}}' for a literal brace)");
			goto fail;
		} else if (*p == '{') {
			const char *end = strchr(p + 1, '}');
			if (!end) {
				sbuf_printf(err, errlen, "unclosed '{' (write '{{' for a literal brace)");
				goto fail;
			}
			int var = tmpl_lookup(p + 1, (size_t)(end - p - 1));
			if (var < 0) {
				sbuf_printf(err, errlen, "unknown placeholder '%.*s'",
					    (int)(end - p + 1), p);
				goto fail;
			}
			if (emit)
				emit(ctx, NULL, 0, var);
			p = end + 1;
		} else {
			size_t n = strcspn(p, "{}");
			if (emit)
				emit(ctx, p, n, -1);
			p += n;
		}
	}
	return 0;
fail:
	if (off)
		*off = (size_t)(p - tmpl);
	return -1;
}

int tmpl_check(const char *tmpl, char *err, size_t errlen, size_t *off)
{
	return tmpl_walk(tmpl, err, errlen, off, NULL, NULL);
}

struct tmpl_out {
	const struct tmpl_vars *v;
	char *buf;
	size_t n, cap;
};

static void tmpl_emit(void *ctx, const char *s, size_t n, int var)
{
	struct tmpl_out *o = ctx;
	char num[16];
	if (var >= 0) {
		const struct tmpl_vars *v = o->v;
		switch (var) {
		case 0: snprintf(num, sizeof num, "%d", v->http_port); s = num; break;
		case 1: snprintf(num, sizeof num, "%d", v->https_port); s = num; break;
		case 2: snprintf(num, sizeof num, "%d", v->p2p_port); s = num; break;
		case 3: s = v->name ? v->name : ""; break;
		case 4: s = v->vpn ? v->vpn : ""; break;
		default: s = v->forwarded ? "true" : "false"; break;
		}
		n = strlen(s);
	}
	grow(&o->buf, &o->cap, o->n + n + 1, 1);
	memcpy(o->buf + o->n, s, n);
	o->n += n;
	o->buf[o->n] = '\0';
}

char *tmpl_expand(const char *tmpl, const struct tmpl_vars *v)
{
	struct tmpl_out o = { .v = v };
	char err[8];
	if (tmpl_walk(tmpl, err, sizeof err, NULL, tmpl_emit, &o) != 0) {
		free(o.buf);
		return NULL;
	}
	if (!o.buf)
		return xstrdup("");
	return o.buf;
}
