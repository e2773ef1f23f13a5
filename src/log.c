/* log.c - logfmt / JSON-lines logging to stderr; transitions, not steady
 * states, are what callers log. Never pass a secret as a field. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "util.h"

static struct {
	enum log_level min;
	bool json;
	FILE *out;
} log_cfg = { LOG_INFO, false, NULL };

static const char *const level_names[] = { "debug", "info", "warn", "error" };

const char *log_level_str(enum log_level l)
{
	return (unsigned)l < ARRAY_LEN(level_names) ? level_names[l] : "info";
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

void log_setup(enum log_level min, bool json, FILE *out)
{
	log_cfg.min = min;
	log_cfg.json = json;
	log_cfg.out = out;
}

const char *log_int_buf(char *buf, long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p >= 0x7f)
			return true;
	return false;
}

static void append_value(struct strbuf *b, const char *v)
{
	if (!needs_quotes(v)) {
		strbuf_puts(b, v);
		return;
	}
	strbuf_add(b, "\"", 1);
	for (const char *p = v; *p; p++) {
		char esc[8];
		const char *s = esc;
		size_t n;
		switch (*p) {
		case '"': s = "\\\""; n = 2; break;
		case '\\': s = "\\\\"; n = 2; break;
		case '\n': s = "\\n"; n = 2; break;
		case '\t': s = "\\t"; n = 2; break;
		case '\r': s = "\\r"; n = 2; break;
		default:
			if ((unsigned char)*p < ' ') {
				n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)*p);
			} else {
				esc[0] = *p;
				n = 1;
			}
		}
		strbuf_add(b, s, n);
	}
	strbuf_add(b, "\"", 1);
}

char *log_format_logfmt(const char *ts, enum log_level lvl, const char *msg,
			const char *const *kv, size_t nkv)
{
	struct strbuf b = { 0 };
	strbuf_puts(&b, "ts=");
	strbuf_puts(&b, ts);
	strbuf_puts(&b, " level=");
	strbuf_puts(&b, log_level_str(lvl));
	strbuf_puts(&b, " msg=");
	append_value(&b, msg);
	for (size_t i = 0; i + 1 < nkv; i += 2) {
		strbuf_puts(&b, " ");
		strbuf_puts(&b, kv[i]);
		strbuf_puts(&b, "=");
		append_value(&b, kv[i + 1] ? kv[i + 1] : "");
	}
	return b.data;
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
	if (lvl < log_cfg.min)
		return;
	FILE *out = log_cfg.out ? log_cfg.out : stderr;
	const char *kv[64];
	size_t nkv = 0;
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		if (nkv + 2 <= ARRAY_LEN(kv)) {
			kv[nkv++] = k;
			kv[nkv++] = v;
		}
	}
	va_end(ap);

	struct timespec now;
	struct tm tm;
	char ts[40];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);

	char *line;
	if (log_cfg.json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "ts", ts);
		cJSON_AddStringToObject(o, "level", log_level_str(lvl));
		cJSON_AddStringToObject(o, "msg", msg);
		for (size_t i = 0; i + 1 < nkv; i += 2)
			cJSON_AddStringToObject(o, kv[i], kv[i + 1] ? kv[i + 1] : "");
		line = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
	} else {
		line = log_format_logfmt(ts, lvl, msg, kv, nkv);
	}
	fprintf(out, "%s\n", line);
	fflush(out);
	free(line);
}
