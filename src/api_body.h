/* api_body.h - parsers of the HTTP API's POST bodies: stream events in our
 * dialect (SPEC §7) and in upstream's (krinkuto11), and provision requests. */
#ifndef ACE_API_BODY_H
#define ACE_API_BODY_H

#include <stdbool.h>
#include <stddef.h>

/* Largest POST body accepted; stream events are a few hundred bytes. */
#define API_MAX_BODY (64 * 1024)
/* Longest ID, name, host, session ID or reason accepted (Docker IDs are 64
 * hex; acexy's stream IDs are "KEY|PLAYBACK_SESSION_ID"). */
#define API_MAX_FIELD 256
/* Longest stream key or engine URL (stat_url, command_url; a magnet link). */
#define API_MAX_URL 1024
/* A stream ID built as "KEY|PLAYBACK_SESSION_ID" when none is given. */
#define API_MAX_STREAM_ID (API_MAX_URL + 1 + API_MAX_FIELD)

enum api_event_kind {
	API_EV_STARTED, /* POST /events/stream_started */
	API_EV_ENDED,   /* POST /events/stream_ended */
};

/* A parsed stream event, either dialect. Absent strings are "", an absent
 * engine.port is 0.
 *   ours:     {"container_id"|"container_name", "stream_id"}
 *   upstream: {"container_id"?, "engine":{"host","port"},
 *              "stream":{"key_type","key"},
 *              "session":{"playback_session_id","stat_url","command_url","is_live"},
 *              "labels":{"stream_id", ...}}        (stream_started)
 *             {"container_id"?, "stream_id"?, "reason"?} (stream_ended)
 * (krinkuto11/acestream-orchestrator app/models/schemas.py; acexy sends
 * them from acexy/orchestrator_events.go.) */
struct api_stream_event {
	char container_id[API_MAX_FIELD + 1];
	char container_name[API_MAX_FIELD + 1];
	/* stream_id, else labels.stream_id, else "KEY|PLAYBACK_SESSION_ID"
	 * (upstream's rule), else "". */
	char stream_id[API_MAX_STREAM_ID + 1];
	char engine_host[API_MAX_FIELD + 1];
	int engine_port;
	char key_type[16]; /* content_id, infohash, url or magnet */
	char key[API_MAX_URL + 1];
	char playback_session_id[API_MAX_FIELD + 1];
	char stat_url[API_MAX_URL + 1];
	char command_url[API_MAX_URL + 1];
	bool is_live;      /* session.is_live: 0/1 or a boolean */
	char reason[API_MAX_FIELD + 1];
};

/* Parses a stream event body: a JSON object; known keys must have their
 * types (strings non-empty and within the limits above, engine.port
 * 1-65535, key_type one of upstream's four); unknown keys are ignored.
 * stream_started needs a stream ID (from any of the three sources);
 * stream_ended needs stream_id or an engine (container_id or
 * container_name). Which engine is meant is the caller's lookup. Returns
 * 0, or -1 with a client-facing message in err. Never reads past len. */
int api_parse_stream_event(enum api_event_kind kind, const char *body, size_t len,
			   struct api_stream_event *out, char *err, size_t errlen);

/* POST /provision/acestream: upstream's AceProvisionRequest
 * {"image","labels","env","host_port"}, all optional (acexy sends
 * {"labels":{},"env":{}}); an empty body is an empty request. The config
 * decides image, env and ports, so set values are only reported back as
 * ignored. */
struct api_provision_req {
	bool image, labels, env, host_port; /* given with a non-empty value */
};

int api_parse_provision(const char *body, size_t len, struct api_provision_req *out,
			char *err, size_t errlen);

#endif
