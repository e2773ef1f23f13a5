/* api_render.h - the pure half of the HTTP API: snapshot -> JSON bodies,
 * request-body parsing and the auth decision, all testable without a socket. */
#ifndef ACE_API_RENDER_H
#define ACE_API_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct cJSON;

/* Largest POST body accepted; stream events are a few dozen bytes. */
#define API_MAX_BODY (64 * 1024)
/* Longest ID/name/stream_id accepted in an event (Docker IDs are 64 hex). */
#define API_MAX_FIELD 256

/* A parsed POST /events/... body. Absent fields are "". */
struct api_stream_event {
	char container_id[API_MAX_FIELD + 1];
	char container_name[API_MAX_FIELD + 1];
	char stream_id[API_MAX_FIELD + 1];
};

/* Parses {"container_id"|"container_name", "stream_id"}: a JSON object whose
 * known keys hold non-empty strings of at most API_MAX_FIELD bytes, with a
 * non-empty stream_id; unknown keys are ignored. Whether an engine is named
 * is the caller's check (stream_ended needs none). Returns 0, or -1 with a
 * client-facing message in err. Never reads past len. */
int api_parse_stream_event(const char *body, size_t len, struct api_stream_event *out,
			   char *err, size_t errlen);

/* POST authorisation: 200 when key is NULL (open) or one of the headers
 * carries it, 401 when neither header is present (or Authorization is not
 * "Bearer ..."), 403 when a key is given and wrong. Constant time in the key. */
int api_check_auth(const char *key, const char *authorization, const char *x_api_key);

/* "2026-11-22T04:09:00Z" (UTC, second precision) into buf (>= 21 bytes);
 * returns buf. */
const char *api_fmt_time(int64_t ms, char *buf, size_t len);

/* The bodies of SPEC §7. Each returns a cJSON tree the caller deletes. */
/* GET /engines: visible engines (all = false) or every engine with
 * "visible" and "hidden_reason" (GET /engines?all=1). */
struct cJSON *api_render_engines(const struct snapshot *s, bool all);
/* GET /engines/{name}: the /engines object plus visible, hidden_reason,
 * state (Docker), namespace (ns_state_str), http_port, probe_failures. */
struct cJSON *api_render_engine(const struct snapshot *s, const struct snap_engine *e);
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
