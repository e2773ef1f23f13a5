/* history.c - the bounded ring of recent events behind GET /events: the loop
 * appends, API threads copy out what came after a sequence number. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "util.h"

static const char *const kind_names[HIST_KINDS] = {
	[HIST_VPN_AVAILABLE] = "vpn_available",
	[HIST_VPN_UNAVAILABLE] = "vpn_unavailable",
	[HIST_VPN_RESTARTED] = "vpn_restarted",
	[HIST_VPN_RECREATED] = "vpn_recreated",
	[HIST_PORT_CHANGED] = "port_changed",
	[HIST_CONTROL_ERROR] = "control_error",
	[HIST_CONTROL_OK] = "control_ok",
	[HIST_ACTION_OK] = "action_ok",
	[HIST_ACTION_FAILED] = "action_failed",
	[HIST_ACTION_SKIPPED] = "action_skipped",
	[HIST_CONFIG_RELOADED] = "config_reloaded",
	[HIST_CONFIG_REJECTED] = "config_rejected",
	[HIST_DOCKER_DOWN] = "docker_unreachable",
	[HIST_DOCKER_UP] = "docker_reachable",
};

const char *hist_kind_str(enum hist_kind k)
{
	return (unsigned)k < HIST_KINDS ? kind_names[k] : "?";
}

void history_init(struct history *h, size_t cap, int64_t now_ms)
{
	memset(h, 0, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	h->cap = cap ? cap : 1;
	h->ring = xcalloc(h->cap, sizeof *h->ring);
	h->boot_ms = now_ms;
}

static void entry_clear(struct hist_entry *e)
{
	free(e->object);
	free(e->vpn);
	free(e->message);
	free(e->error);
	memset(e, 0, sizeof *e);
}

void history_destroy(struct history *h)
{
	if (!h->ring)
		return;
	for (size_t i = 0; i < h->cap; i++)
		entry_clear(&h->ring[i]);
	free(h->ring);
	h->ring = NULL;
	pthread_mutex_destroy(&h->mu);
}

void history_set_listener(struct history *h, hist_listener_fn fn, void *ud)
{
	h->listener = fn;
	h->listener_ud = ud;
}

uint64_t history_add(struct history *h, const struct hist_new *n, int64_t ts_ms,
		     const char *fmt, ...)
{
	/* Built outside the lock: readers never wait on a formatter. */
	struct hist_entry e = { 0 };
	va_list ap;
	va_start(ap, fmt);
	e.message = xvasprintf(fmt, ap);
	va_end(ap);
	e.ts_ms = ts_ms;
	e.kind = n->kind;
	e.object = xstrdup(n->object ? n->object : "");
	e.vpn = n->vpn && *n->vpn ? xstrdup(n->vpn) : NULL;
	e.error = n->error && *n->error ? xstrdup(n->error) : NULL;
	e.from_port = n->from_port;
	e.to_port = n->to_port;
	e.initial = n->initial;

	pthread_mutex_lock(&h->mu);
	e.seq = ++h->last_seq;
	struct hist_entry old;
	size_t slot;
	if (h->n == h->cap) {
		slot = h->head;
		h->head = (h->head + 1) % h->cap;
		h->overwritten++;
	} else {
		slot = (h->head + h->n) % h->cap;
		h->n++;
	}
	old = h->ring[slot];
	h->ring[slot] = e;
	pthread_mutex_unlock(&h->mu);
	entry_clear(&old);
	/* The ring owns e's strings now; the listener reads the slot's copy,
	 * which only this (the writer's) thread could replace. */
	if (h->listener)
		h->listener(&h->ring[slot], h->listener_ud);
	return e.seq;
}

void hist_time_str(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];
	if (!gmtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm)) {
		sbuf_printf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	sbuf_printf(buf, len, "%s.%03dZ", s, (int)(ms % 1000));
}

cJSON *hist_entry_json(const struct hist_entry *e)
{
	char ts[40];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "seq", (double)e->seq);
	hist_time_str(e->ts_ms, ts, sizeof ts);
	cJSON_AddStringToObject(j, "time", ts);
	cJSON_AddStringToObject(j, "kind", hist_kind_str(e->kind));
	cJSON_AddStringToObject(j, "object", e->object ? e->object : "");
	cJSON_AddStringToObject(j, "message", e->message ? e->message : "");
	if (e->vpn)
		cJSON_AddStringToObject(j, "vpn", e->vpn);
	if (e->error)
		cJSON_AddStringToObject(j, "error", e->error);
	if (e->kind == HIST_PORT_CHANGED) {
		cJSON_AddNumberToObject(j, "from_port", e->from_port);
		cJSON_AddNumberToObject(j, "to_port", e->to_port);
	}
	return j;
}

cJSON *history_to_json(struct history *h, bool has_since, uint64_t since, size_t limit)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	if (!limit)
		limit = HISTORY_DEFAULT_LIMIT;
	pthread_mutex_lock(&h->mu);
	uint64_t oldest = h->n ? h->ring[h->head].seq : h->last_seq + 1;
	size_t first; /* index (0 = oldest) of the first entry shown */
	uint64_t missed = 0;
	if (has_since) {
		if (since + 1 < oldest)
			missed = oldest - since - 1;
		first = since < oldest ? 0 : (size_t)(since - oldest + 1);
		if (first > h->n)
			first = h->n;
	} else {
		first = h->n > limit ? h->n - limit : 0;
	}
	size_t end = h->n - first > limit ? first + limit : h->n;
	for (size_t i = first; i < end; i++)
		cJSON_AddItemToArray(arr, hist_entry_json(&h->ring[(h->head + i) % h->cap]));
	cJSON_AddNumberToObject(j, "boot_ms", (double)h->boot_ms);
	cJSON_AddNumberToObject(j, "last_seq", (double)h->last_seq);
	cJSON_AddNumberToObject(j, "oldest_seq", (double)oldest);
	cJSON_AddNumberToObject(j, "missed", (double)missed);
	cJSON_AddBoolToObject(j, "more", end < h->n);
	pthread_mutex_unlock(&h->mu);
	cJSON_AddItemToObject(j, "events", arr);
	return j;
}
