/* range.h - small value parsers shared by the config and the planner:
 * port ranges ("LO-HI"), durations ("500ms", "2m"), sizes ("1g") and templates. */
#ifndef ACE_RANGE_H
#define ACE_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port_range {
	int lo;
	int hi;
};

/* "LO-HI" or "N", 1 <= LO <= HI <= 65535. Returns 0, or -1 with a message
 * (without position) in err. */
int range_parse(const char *s, struct port_range *out, char *err, size_t errlen);
static inline int range_size(struct port_range r) { return r.hi - r.lo + 1; }
static inline bool range_contains(struct port_range r, int p) { return p >= r.lo && p <= r.hi; }
/* Returns true and the shared part when a and b overlap. */
bool range_overlap(struct port_range a, struct port_range b, struct port_range *shared);
/* Formats "LO-HI" (or "N" when LO == HI) into buf. */
const char *range_fmt(struct port_range r, char *buf, size_t len);

/* "500ms", "5s", "2m", "1h", or a bare integer of seconds -> milliseconds. */
int duration_parse(const char *s, int64_t *ms, char *err, size_t errlen);
/* Formats ms the shortest exact way ("1m30s" style is not used: "90s"). */
const char *duration_fmt(int64_t ms, char *buf, size_t len);

/* "512m", "1g", "1024k", "1048576" (bytes) -> bytes. */
int size_parse(const char *s, int64_t *bytes, char *err, size_t errlen);

/* Template placeholders. */
struct tmpl_vars {
	int http_port;
	int https_port;
	int p2p_port;
	const char *name;
	const char *vpn;
	bool forwarded;
};

/* Checks that every {placeholder} is known and braces are balanced.
 * Returns 0, or -1 with the offending placeholder in err and its byte offset
 * in *off. */
int tmpl_check(const char *tmpl, char *err, size_t errlen, size_t *off);
/* Expands a checked template; returns a malloc'd string (NULL on bad template). */
char *tmpl_expand(const char *tmpl, const struct tmpl_vars *v);

#endif
