/* api_body.c - POST body parsers of the HTTP API over cJSON: both stream
 * event dialects and provision requests; strict types, bounded sizes, no I/O. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api_body.h"
#include "util.h"

/* Parses body as one JSON value with nothing but whitespace after it. The
 * body is not NUL-terminated: the length-bounded parser never reads past
 * len. NULL with a message in err. */
static cJSON *parse_json(const char *body, size_t len, bool empty_ok, char *err, size_t errlen)
{
	if (!body || len == 0) {
		if (empty_ok)
			return cJSON_CreateObject();
		sbuf_printf(err, errlen, "empty body: a JSON object is required");
		return NULL;
	}
	if (len > API_MAX_BODY) {
		sbuf_printf(err, errlen, "body larger than %d bytes", API_MAX_BODY);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root) {
		sbuf_printf(err, errlen, "malformed JSON");
		return NULL;
	}
	while (end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
		end++;
	if (end && (size_t)(end - body) < len && *end != '\0') {
		sbuf_printf(err, errlen, "malformed JSON: trailing data");
		cJSON_Delete(root);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		sbuf_printf(err, errlen, "body must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* A member that is absent or null counts as absent. */
static const cJSON *member(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return v && !cJSON_IsNull(v) ? v : NULL;
}

/* Copies the string member `key` of o (named `path` in messages) into dst
 * (max bytes, dst has max + 1). Absent leaves dst "". */
static int take_str(const cJSON *o, const char *key, const char *path, char *dst, size_t max,
		    char *err, size_t errlen)
{
	const cJSON *v = member(o, key);
	dst[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring) {
		sbuf_printf(err, errlen, "%s must be a string", path);
		return -1;
	}
	size_t n = strlen(v->valuestring);
	if (n == 0) {
		sbuf_printf(err, errlen, "%s must not be empty", path);
		return -1;
	}
	if (n > max) {
		sbuf_printf(err, errlen, "%s longer than %zu bytes", path, max);
		return -1;
	}
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* An object member, or NULL when absent; -1 when it is something else. */
static int take_obj(const cJSON *o, const char *key, const cJSON **out, char *err, size_t errlen)
{
	const cJSON *v = member(o, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v)) {
		sbuf_printf(err, errlen, "%s must be an object", key);
		return -1;
	}
	*out = v;
	return 0;
}

/* Whole numbers only: JSON has one number type, our ports are integers. */
static bool whole(const cJSON *v, double lo, double hi, int *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return false;
	*out = (int)v->valuedouble;
	return true;
}

/* labels: an object of strings (upstream's Dict[str, str]). */
static int check_string_map(const cJSON *m, const char *name, bool *nonempty, char *err,
			    size_t errlen)
{
	const cJSON *it;
	size_t n = 0;
	cJSON_ArrayForEach(it, m) {
		if (!cJSON_IsString(it)) {
			sbuf_printf(err, errlen, "%s values must be strings", name);
			return -1;
		}
		n++;
	}
	if (nonempty)
		*nonempty = n > 0;
	return 0;
}

static int parse_engine(const cJSON *root, struct api_stream_event *out, char *err, size_t errlen)
{
	const cJSON *eng;
	if (take_obj(root, "engine", &eng, err, errlen) < 0)
		return -1;
	if (!eng)
		return 0;
	if (take_str(eng, "host", "engine.host", out->engine_host, API_MAX_FIELD, err, errlen) < 0)
		return -1;
	const cJSON *port = member(eng, "port");
	if (port && !whole(port, 1, 65535, &out->engine_port)) {
		sbuf_printf(err, errlen, "engine.port must be an integer 1-65535");
		return -1;
	}
	if (!out->engine_host[0] || !out->engine_port) {
		sbuf_printf(err, errlen, "engine needs host and port");
		return -1;
	}
	return 0;
}

static int parse_stream_key(const cJSON *root, struct api_stream_event *out, char *err,
			    size_t errlen)
{
	static const char *const types[] = { "content_id", "infohash", "url", "magnet" };
	const cJSON *st;
	if (take_obj(root, "stream", &st, err, errlen) < 0)
		return -1;
	if (!st)
		return 0;
	if (take_str(st, "key_type", "stream.key_type", out->key_type, sizeof out->key_type - 1,
		     err, errlen) < 0) {
		sbuf_printf(err, errlen, "stream.key_type must be content_id, infohash, url or magnet");
		return -1;
	}
	if (out->key_type[0]) {
		bool known = false;
		for (size_t i = 0; i < ARRAY_LEN(types) && !known; i++)
			known = strcmp(out->key_type, types[i]) == 0;
		if (!known) {
			sbuf_printf(err, errlen,
				    "stream.key_type must be content_id, infohash, url or magnet");
			return -1;
		}
	}
	return take_str(st, "key", "stream.key", out->key, API_MAX_URL, err, errlen);
}

static int parse_session(const cJSON *root, struct api_stream_event *out, char *err,
			 size_t errlen)
{
	const cJSON *se;
	if (take_obj(root, "session", &se, err, errlen) < 0)
		return -1;
	if (!se)
		return 0;
	if (take_str(se, "playback_session_id", "session.playback_session_id",
		     out->playback_session_id, API_MAX_FIELD, err, errlen) < 0 ||
	    take_str(se, "stat_url", "session.stat_url", out->stat_url, API_MAX_URL, err, errlen) < 0 ||
	    take_str(se, "command_url", "session.command_url", out->command_url, API_MAX_URL, err,
		     errlen) < 0)
		return -1;
	const cJSON *live = member(se, "is_live");
	int n = 0;
	if (cJSON_IsBool(live)) {
		out->is_live = cJSON_IsTrue(live);
	} else if (live) {
		/* acexy sends 1 (orchestrator_events.go EmitStarted). */
		if (!whole(live, 0, 1, &n)) {
			sbuf_printf(err, errlen, "session.is_live must be 0, 1 or a boolean");
			return -1;
		}
		out->is_live = n == 1;
	}
	return 0;
}

static int parse_labels(const cJSON *root, char *label_id, char *err, size_t errlen)
{
	const cJSON *labels;
	label_id[0] = '\0';
	if (take_obj(root, "labels", &labels, err, errlen) < 0)
		return -1;
	if (!labels)
		return 0;
	if (check_string_map(labels, "labels", NULL, err, errlen) < 0)
		return -1;
	return take_str(labels, "stream_id", "labels.stream_id", label_id, API_MAX_FIELD, err,
			errlen);
}

int api_parse_stream_event(enum api_event_kind kind, const char *body, size_t len,
			   struct api_stream_event *out, char *err, size_t errlen)
{
	char label_id[API_MAX_FIELD + 1];
	char own_id[API_MAX_FIELD + 1];
	memset(out, 0, sizeof *out);
	cJSON *root = parse_json(body, len, false, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	if (take_str(root, "container_id", "container_id", out->container_id, API_MAX_FIELD, err,
		     errlen) < 0 ||
	    take_str(root, "container_name", "container_name", out->container_name, API_MAX_FIELD,
		     err, errlen) < 0 ||
	    take_str(root, "stream_id", "stream_id", own_id, API_MAX_FIELD, err, errlen) < 0 ||
	    take_str(root, "reason", "reason", out->reason, API_MAX_FIELD, err, errlen) < 0 ||
	    parse_engine(root, out, err, errlen) < 0 || parse_stream_key(root, out, err, errlen) < 0 ||
	    parse_session(root, out, err, errlen) < 0 || parse_labels(root, label_id, err, errlen) < 0)
		goto out;
	/* Upstream's order (app/services/state.py on_stream_started). */
	if (own_id[0])
		sbuf_printf(out->stream_id, sizeof out->stream_id, "%s", own_id);
	else if (label_id[0])
		sbuf_printf(out->stream_id, sizeof out->stream_id, "%s", label_id);
	else if (kind == API_EV_STARTED && out->key[0] && out->playback_session_id[0])
		sbuf_printf(out->stream_id, sizeof out->stream_id, "%s|%s", out->key,
			    out->playback_session_id);
	if (kind == API_EV_STARTED && !out->stream_id[0]) {
		sbuf_printf(err, errlen, "missing stream_id");
		goto out;
	}
	if (kind == API_EV_ENDED && !out->stream_id[0] && !out->container_id[0] &&
	    !out->container_name[0]) {
		sbuf_printf(err, errlen, "missing stream_id (or container_id)");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int api_parse_provision(const char *body, size_t len, struct api_provision_req *out,
			char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = parse_json(body, len, true, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	char image[API_MAX_URL + 1];
	const cJSON *labels, *env;
	if (take_str(root, "image", "image", image, API_MAX_URL, err, errlen) < 0 ||
	    take_obj(root, "labels", &labels, err, errlen) < 0 ||
	    take_obj(root, "env", &env, err, errlen) < 0)
		goto out;
	out->image = image[0] != '\0';
	if ((labels && check_string_map(labels, "labels", &out->labels, err, errlen) < 0) ||
	    (env && check_string_map(env, "env", &out->env, err, errlen) < 0))
		goto out;
	const cJSON *hp = member(root, "host_port");
	int port;
	if (hp && !whole(hp, 1, 65535, &port)) {
		sbuf_printf(err, errlen, "host_port must be an integer 1-65535 or null");
		goto out;
	}
	out->host_port = hp != NULL;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}
