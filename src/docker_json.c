/* docker_json.c - pure decoders of Docker Engine API answers (list, inspect,
 * events, version) into the plain structs of docker.h; no I/O, fuzzed. */
#include "config-auto.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "util.h"

const char *docker_kv_get(const struct docker_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].val;
	return NULL;
}

static void kv_free(struct docker_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

/* A string member, duplicated; NULL when absent or not a string. */
static char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

static char *jstr_or_empty(const cJSON *o, const char *key)
{
	char *s = jstr(o, key);
	return s ? s : xstrdup("");
}

/* A number member clamped into int64; def when absent or not a number. */
static int64_t jint(const cJSON *o, const char *key, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || isnan(v->valuedouble))
		return def;
	/* Beyond 2^53 a double has lost precision anyway; clamp to avoid UB. */
	if (v->valuedouble >= 9.2e18)
		return INT64_MAX;
	if (v->valuedouble <= -9.2e18)
		return INT64_MIN;
	return (int64_t)v->valuedouble;
}

static bool jbool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A {"k":"v",...} object: string values only, others skipped. */
static void jkv(const cJSON *o, struct docker_kv **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!cJSON_IsObject(o))
		return;
	for (const cJSON *c = o->child; c; c = c->next) {
		if (!c->string || !cJSON_IsString(c) || !c->valuestring)
			continue;
		grow(out, &cap, *n + 1, sizeof(**out));
		(*out)[*n].key = xstrdup(c->string);
		(*out)[*n].val = xstrdup(c->valuestring);
		(*n)++;
	}
}

/* Docker names carry a leading '/' for historical reasons. */
static char *strip_slash(char *s)
{
	if (s && s[0] == '/')
		memmove(s, s + 1, strlen(s));
	return s;
}

static int64_t jtime_ms(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v) || !v->valuestring)
		return 0;
	int64_t t = parse_rfc3339_ms(v->valuestring);
	return t < 0 ? 0 : t;
}

static cJSON *parse(const char *body, size_t len, char *err, size_t errlen)
{
	cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (!root)
		sbuf_printf(err, errlen, "invalid JSON");
	return root;
}

void docker_list_free(struct docker_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct docker_container *c = &l->v[i];
		free(c->id);
		free(c->name);
		free(c->image);
		free(c->state);
		free(c->status);
		free(c->network_mode);
		kv_free(c->labels, c->n_labels);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int docker_parse_list(const char *body, size_t len, struct docker_list *out,
		      char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = parse(body, len, err, errlen);
	if (!root)
		return -1;
	if (!cJSON_IsArray(root)) {
		sbuf_printf(err, errlen, "container list is not an array");
		goto fail;
	}
	size_t cap = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "Id");
		if (!cJSON_IsString(id) || !id->valuestring || !*id->valuestring)
			continue; /* nothing can be done with a container without ID */
		grow(&out->v, &cap, out->n + 1, sizeof(*out->v));
		struct docker_container *c = &out->v[out->n++];
		memset(c, 0, sizeof(*c));
		c->id = xstrdup(id->valuestring);
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(it, "Names");
		const cJSON *first = cJSON_IsArray(names) ? cJSON_GetArrayItem(names, 0) : NULL;
		c->name = strip_slash(xstrdup(cJSON_IsString(first) && first->valuestring ?
					      first->valuestring : ""));
		c->image = jstr_or_empty(it, "Image");
		c->state = jstr_or_empty(it, "State");
		c->status = jstr_or_empty(it, "Status");
		c->created = jint(it, "Created", 0);
		const cJSON *hc = cJSON_GetObjectItemCaseSensitive(it, "HostConfig");
		c->network_mode = jstr_or_empty(hc, "NetworkMode");
		jkv(cJSON_GetObjectItemCaseSensitive(it, "Labels"), &c->labels, &c->n_labels);
	}
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	docker_list_free(out);
	return -1;
}

void docker_inspect_free(struct docker_inspect *i)
{
	if (!i)
		return;
	free(i->id);
	free(i->name);
	free(i->image);
	free(i->status);
	free(i->health);
	free(i->network_mode);
	kv_free(i->labels, i->n_labels);
	memset(i, 0, sizeof(*i));
}

int docker_parse_inspect(const char *body, size_t len, struct docker_inspect *out,
			 char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = parse(body, len, err, errlen);
	if (!root)
		return -1;
	if (!cJSON_IsObject(root)) {
		sbuf_printf(err, errlen, "inspect answer is not an object");
		goto fail;
	}
	out->id = jstr(root, "Id");
	if (!out->id || !*out->id) {
		sbuf_printf(err, errlen, "inspect answer has no Id");
		goto fail;
	}
	out->name = strip_slash(jstr_or_empty(root, "Name"));
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "Config");
	out->image = jstr_or_empty(cfg, "Image");
	jkv(cJSON_GetObjectItemCaseSensitive(cfg, "Labels"), &out->labels, &out->n_labels);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "State");
	out->status = jstr_or_empty(st, "Status");
	out->running = jbool(st, "Running");
	out->restarting = jbool(st, "Restarting");
	int64_t ec = jint(st, "ExitCode", 0);
	out->exit_code = ec < -1000000 || ec > 1000000 ? -1 : (int)ec;
	out->started_at_ms = jtime_ms(st, "StartedAt");
	out->finished_at_ms = jtime_ms(st, "FinishedAt");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(st, "Health");
	if (cJSON_IsObject(h)) {
		out->health = jstr(h, "Status");
		int64_t fs = jint(h, "FailingStreak", 0);
		out->failing_streak = fs < 0 || fs > 1000000 ? 0 : (int)fs;
	}
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(root, "HostConfig");
	out->network_mode = jstr_or_empty(hc, "NetworkMode");
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	docker_inspect_free(out);
	return -1;
}

void docker_event_free(struct docker_event *e)
{
	if (!e)
		return;
	free(e->type);
	free(e->action);
	free(e->health);
	free(e->id);
	free(e->name);
	kv_free(e->attrs, e->n_attrs);
	memset(e, 0, sizeof(*e));
}

/* timeNano is ~1.8e18, beyond a double's 2^53: read its digits from the text
 * so that since= and duplicate skipping work to the nanosecond. An escaped
 * quote inside a string cannot produce the unescaped pattern, but a nested
 * object can hold any number under that key: a run of digits that does not
 * fit in int64 is skipped, never accumulated (signed overflow is UB). */
static int64_t exact_time_ns(const char *body, size_t len, int64_t approx)
{
	static const char pat[] = "\"timeNano\":";
	size_t pl = sizeof(pat) - 1;
	for (size_t i = 0; i + pl < len; i++) {
		if (memcmp(body + i, pat, pl) != 0)
			continue;
		int64_t v = 0;
		size_t j = i + pl, digits = 0;
		bool fits = true;
		for (; j < len && body[j] >= '0' && body[j] <= '9'; j++, digits++) {
			int d = body[j] - '0';
			if (v > (INT64_MAX - d) / 10)
				fits = false;
			else if (fits)
				v = v * 10 + d;
		}
		if (digits && fits && v - approx < 100000 && approx - v < 100000)
			return v;
	}
	return approx;
}

int docker_parse_event(const char *body, size_t len, struct docker_event *out,
		       char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = parse(body, len, err, errlen);
	if (!root)
		return -1;
	if (!cJSON_IsObject(root)) {
		sbuf_printf(err, errlen, "event is not an object");
		goto fail;
	}
	out->type = jstr_or_empty(root, "Type");
	char *action = jstr(root, "Action");
	if (!action)
		action = jstr(root, "status"); /* pre-1.22 form */
	if (!action) {
		sbuf_printf(err, errlen, "event has no Action");
		goto fail;
	}
	/* "health_status: healthy" -> action "health_status", health "healthy". */
	char *colon = strchr(action, ':');
	if (colon && str_startswith(action, "health_status")) {
		const char *h = colon + 1;
		while (*h == ' ')
			h++;
		out->health = xstrdup(h);
		*colon = '\0';
	}
	out->action = action;
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(root, "Actor");
	out->id = jstr(actor, "ID");
	if (!out->id)
		out->id = jstr(root, "id");
	if (!out->id)
		out->id = xstrdup("");
	jkv(cJSON_GetObjectItemCaseSensitive(actor, "Attributes"), &out->attrs, &out->n_attrs);
	const char *name = docker_kv_get(out->attrs, out->n_attrs, "name");
	out->name = xstrdup(name ? name : "");
	/* A time that does not fit (jint clamps it to INT64_MAX) is no time at
	 * all: kept, it would make every later event look already delivered. */
	int64_t tn = jint(root, "timeNano", 0);
	if (tn > 0 && tn < INT64_MAX)
		tn = exact_time_ns(body, len, tn);
	else
		tn = 0;
	if (tn <= 0) {
		int64_t t = jint(root, "time", 0);
		tn = t > 0 && t < INT64_MAX / 1000000000 ? t * 1000000000 : 0;
	}
	out->time_ns = tn;
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	docker_event_free(out);
	return -1;
}

int docker_parse_version(const char *body, size_t len, char *ver, size_t verlen,
			 char *err, size_t errlen)
{
	int rc = -1;
	cJSON *root = parse(body, len, err, errlen);
	if (!root)
		return -1;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "ApiVersion");
	int major, minor, n = 0;
	if (!cJSON_IsString(v) || !v->valuestring ||
	    sscanf(v->valuestring, "%3d.%3d%n", &major, &minor, &n) != 2 ||
	    v->valuestring[n] != '\0' || major < 1 || minor < 0) {
		sbuf_printf(err, errlen, "no usable ApiVersion in /version");
		goto out;
	}
	if (major > DOCKER_API_MAX_MAJOR ||
	    (major == DOCKER_API_MAX_MAJOR && minor > DOCKER_API_MAX_MINOR)) {
		major = DOCKER_API_MAX_MAJOR;
		minor = DOCKER_API_MAX_MINOR;
	}
	/* 1.24 introduced everything we use (filters as JSON, StopTimeout 1.25). */
	if (major == 1 && minor < 25) {
		sbuf_printf(err, errlen, "Docker API %d.%d is too old (need 1.25)", major, minor);
		goto out;
	}
	sbuf_printf(ver, verlen, "%d.%d", major, minor);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
