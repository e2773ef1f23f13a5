/* api_events.c - POST /events/stream_started and stream_ended in both
 * dialects: finds the engine in the snapshot, hands the stream to the hooks. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_int.h"
#include "api_proxy.h"
#include "api_render.h"
#include "util.h"

/* engine.host + engine.port as the proxy used them. acexy sends /engines'
 * host and port, but after provisioning "localhost" and host_http_port
 * (acexy/orchestrator_events.go SelectBestEngine): a published port names
 * one engine on a Docker host, so a port held by exactly one engine is
 * enough when the host is spelled differently. */
static const struct snap_engine *find_by_address(const struct snapshot *s, const char *host,
						 int port)
{
	const struct snap_engine *only = NULL;
	size_t n = 0;
	for (size_t i = 0; i < s->n_engines; i++) {
		const struct snap_engine *e = &s->engines[i];
		if (e->port != port)
			continue;
		if (str_eq(e->host, host))
			return e;
		only = e;
		n++;
	}
	return n == 1 ? only : NULL;
}

/* Upstream's order (app/services/state.py on_stream_started): the
 * container ID, then the address; our container_name in between. */
static const struct snap_engine *find_engine(const struct snapshot *s,
					     const struct api_stream_event *ev, char *what,
					     size_t len)
{
	const struct snap_engine *e = NULL;
	if (ev->container_id[0])
		e = snapshot_find_engine(s, ev->container_id);
	if (!e && ev->container_name[0])
		e = snapshot_find_engine(s, ev->container_name);
	if (!e && ev->engine_host[0])
		e = find_by_address(s, ev->engine_host, ev->engine_port);
	if (ev->container_id[0])
		sbuf_printf(what, len, "%s", ev->container_id);
	else if (ev->container_name[0])
		sbuf_printf(what, len, "%s", ev->container_name);
	else
		sbuf_printf(what, len, "%s:%d", ev->engine_host, ev->engine_port);
	return e && e->id && *e->id ? e : NULL;
}

static char *or_null(const char *s)
{
	return *s ? (char *)s : NULL;
}

static enum MHD_Result serve_started(struct api *a, struct MHD_Connection *c,
				     const struct api_stream_event *ev, struct snapshot *s)
{
	char what[API_MAX_FIELD + 16], err[256] = "";
	if (!ev->container_id[0] && !ev->container_name[0] && !ev->engine_host[0])
		return api_reply_error(c, MHD_HTTP_BAD_REQUEST,
				       "missing container_id, container_name or engine");
	const struct snap_engine *e = find_engine(s, ev, what, sizeof what);
	if (!e) {
		char *msg = xasprintf("unknown engine: %s", what);
		enum MHD_Result ret = api_reply_error(c, MHD_HTTP_NOT_FOUND, msg);
		free(msg);
		return ret;
	}
	/* Borrowed strings: the hook copies what it keeps. */
	struct stream_rec r = {
		.id = (char *)ev->stream_id,
		.engine_id = e->id,
		.key_type = or_null(ev->key_type),
		.key = or_null(ev->key),
		.playback_session_id = or_null(ev->playback_session_id),
		.stat_url = or_null(ev->stat_url),
		.command_url = or_null(ev->command_url),
		.is_live = ev->is_live,
		.started_ms = now_wall_ms(),
	};
	int st = a->hooks.stream_started(a->hooks.ud, e->id, &r, err, sizeof err);
	if (st)
		return api_reply_error(c, api_hook_status(st), err[0] ? err : "stream_started refused");
	/* Ours first (SPEC §7 clients), then upstream's StreamState. */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, "stream_id", ev->stream_id);
	cJSON *sj = api_render_stream(s, &r, false, 0);
	cJSON *it;
	while ((it = sj->child)) {
		cJSON_DetachItemViaPointer(sj, it);
		cJSON_AddItemToObject(o, it->string, it);
	}
	cJSON_Delete(sj);
	return api_reply_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result serve_ended(struct api *a, struct MHD_Connection *c,
				   const struct api_stream_event *ev, struct snapshot *s)
{
	char what[API_MAX_FIELD + 16], err[256] = "";
	const char *engine_id = NULL;
	/* The stream ID decides when given: acexy sends its own container_id
	 * (ACEXY_CONTAINER_ID) with every event, whichever engine served. */
	if (!ev->stream_id[0]) {
		const struct snap_engine *e = find_engine(s, ev, what, sizeof what);
		if (!e) {
			char *msg = xasprintf("unknown engine: %s", what);
			enum MHD_Result ret = api_reply_error(c, MHD_HTTP_NOT_FOUND, msg);
			free(msg);
			return ret;
		}
		engine_id = e->id;
	}
	struct stream_rec ended = { 0 };
	int st = a->hooks.stream_ended(a->hooks.ud, ev->stream_id[0] ? ev->stream_id : NULL,
				       engine_id, &ended, err, sizeof err);
	if (st) {
		stream_rec_clear(&ended);
		return api_reply_error(c, api_hook_status(st), err[0] ? err : "stream_ended refused");
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, "stream_id", ended.id ? ended.id : ev->stream_id);
	/* Upstream's answer: {"updated": bool, "stream": StreamState}. */
	cJSON_AddBoolToObject(o, "updated", true);
	if (ended.id)
		cJSON_AddItemToObject(o, "stream", api_render_stream(s, &ended, true, now_wall_ms()));
	else
		cJSON_AddNullToObject(o, "stream");
	stream_rec_clear(&ended);
	return api_reply_json(c, MHD_HTTP_OK, o);
}

enum MHD_Result api_serve_event(struct api *a, struct MHD_Connection *c, struct api_req *q)
{
	char err[256] = "";
	/* A few kilobytes: off the stack of libmicrohttpd's threads. */
	struct api_stream_event *ev = xmalloc(sizeof *ev);
	enum api_event_kind kind = q->route == R_ENDED ? API_EV_ENDED : API_EV_STARTED;
	enum MHD_Result ret;
	if (api_parse_stream_event(kind, q->body.data ? q->body.data : "", q->body.len, ev, err,
				   sizeof err) < 0) {
		ret = api_reply_bad_body(a, c, q, err);
		free(ev);
		return ret;
	}
	bool have = kind == API_EV_ENDED ? a->hooks.stream_ended != NULL
					 : a->hooks.stream_started != NULL;
	struct snapshot *s = snapshot_get(a->st);
	if (!have)
		ret = api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stream events not accepted");
	else if (!s)
		ret = api_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no observation yet");
	else if (kind == API_EV_ENDED)
		ret = serve_ended(a, c, ev, s);
	else
		ret = serve_started(a, c, ev, s);
	snapshot_put(a->st, s);
	free(ev);
	return ret;
}
