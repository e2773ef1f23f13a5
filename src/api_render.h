/* api_render.h - the pure half of the HTTP API: snapshot -> JSON bodies of
 * SPEC §7 and the auth decision, all testable without a socket. */
#ifndef ACE_API_RENDER_H
#define ACE_API_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "streams.h"

struct cJSON;

/* POST authorisation: 200 when key is NULL (open) or one of the headers
 * carries it, 401 when neither header is present (or Authorization is not
 * "Bearer ..."), 403 when a key is given and wrong. Constant time in the key. */
int api_check_auth(const char *key, const char *authorization, const char *x_api_key);

/* "2026-11-22T04:09:00Z" (UTC, second precision) into buf (>= 21 bytes);
 * returns buf. */
const char *api_fmt_time(int64_t ms, char *buf, size_t len);
/* o[key] = v, or null when v is NULL. */
void api_add_str_or_null(struct cJSON *o, const char *key, const char *v);
/* o[key] = RFC 3339 time of ms (wall), or null when ms <= 0. */
void api_add_time_or_null(struct cJSON *o, const char *key, int64_t ms);
/* Active streams of e: from v, or the snapshot's count when v is NULL. */
size_t api_engine_streams(const struct streams_view *v, const struct snap_engine *e);

/* The bodies of SPEC §7. Each returns a cJSON tree the caller deletes.
 * v is the stream registry's view (the live stream lists); NULL falls back
 * to the snapshot's counts with empty lists. */
/* GET /engines: visible engines (all = false) or every engine with
 * "visible" and "hidden_reason" (GET /engines?all=1). Each item carries
 * SPEC §7's fields, "streams" as the list of active stream IDs,
 * "stream_count", and the fields of acexy's engineState we have data for
 * (acexy/orchestrator_events.go): health_status, labels, first_seen,
 * last_seen, last_stream_usage (times RFC 3339 or null, never "": Go's
 * time.Time rejects ""). */
struct cJSON *api_render_engines(const struct snapshot *s, const struct streams_view *v, bool all);
/* GET /engines/{name}: the /engines object plus visible, hidden_reason,
 * state (Docker), namespace (ns_state_str), http_port, probe_failures. */
struct cJSON *api_render_engine(const struct snapshot *s, const struct streams_view *v,
				const struct snap_engine *e);
struct cJSON *api_render_vpn_status(const struct snapshot *s);
struct cJSON *api_render_config(const struct snapshot *s);
/* {"status":"ok"} or {"status":"not ready","reason":...}; *ready tells which. */
struct cJSON *api_render_readyz(const struct snapshot *s, bool *ready);

/* api.listen: "HOST:PORT", "[IPV6]:PORT" or ":PORT" (all IPv4 interfaces,
 * host "0.0.0.0"); PORT 0..65535 (0 = any free port). Returns 0, or -1
 * with a message in err. */
int api_parse_listen(const char *listen, char *host, size_t hostlen, int *port,
		     char *err, size_t errlen);

/* {"error": msg} serialised; malloc'd. */
char *api_error_body(const char *msg);

#endif
