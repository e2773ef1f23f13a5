/* log.h - structured logging to stderr as logfmt (default) or JSON lines:
 * ts=... level=info msg="..." key=value ... */
#ifndef ACE_LOG_H
#define ACE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

const char *log_level_str(enum log_level l);
int log_level_parse(const char *s, enum log_level *out);

/* Process-wide settings: the only global the logger keeps, set once in main. */
void log_setup(enum log_level min, bool json, FILE *out);

/* Fields follow msg as "key", "value" pairs and end with NULL. Values are
 * quoted when they need it; a NULL value prints as an empty string. */
void log_kv(enum log_level lvl, const char *msg, ...) __attribute__((sentinel));

/* Formats an integer for a field: log_kv(LOG_INFO, "x", "port", LOG_INT(p), NULL). */
#define LOG_INT(v) log_int_buf((char[24]){0}, (long long)(v))
const char *log_int_buf(char *buf, long long v);

#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, NULL)
#define log_info(...) log_kv(LOG_INFO, __VA_ARGS__, NULL)
#define log_warn(...) log_kv(LOG_WARN, __VA_ARGS__, NULL)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, NULL)

/* Renders one logfmt line into a malloc'd string (no newline); for tests. */
char *log_format_logfmt(const char *ts, enum log_level lvl, const char *msg,
			const char *const *kv, size_t nkv);

#endif
