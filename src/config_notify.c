/* config_notify.c - the notify[] section: webhook URLs, their event filter,
 * body format and signing secret, and how a URL is shown without its token. */
#include "config-auto.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "util.h"

static const char *const event_names[] = {
	"vpn_down", "vpn_up", "port_changed", "action_failed", "config_error",
};

static const char *const format_names[] = {
	[NOTIFY_JSON] = "json", [NOTIFY_TEXT] = "text", [NOTIFY_GOTIFY] = "gotify",
	[NOTIFY_SLACK] = "slack", [NOTIFY_DISCORD] = "discord",
};

const char *notify_event_str(unsigned ev)
{
	for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
		if (ev == 1u << i)
			return event_names[i];
	return NULL;
}

const char *notify_format_str(enum notify_format f)
{
	return (unsigned)f < ARRAY_LEN(format_names) ? format_names[f] : "json";
}

/* The known name closest to s (a typo), or NULL. */
static const char *notify_hint(const char *s, const char *const *names, size_t n)
{
	const char *hint = NULL;
	size_t best = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = validate_distance(s, names[i], 2);
		if (d < best && d < strlen(s)) {
			best = d;
			hint = names[i];
		}
	}
	return hint;
}

/* A webhook URL as libcurl (which sends to it) reads it: http or https with
 * a host. NULL otherwise; free with curl_url_cleanup. */
static CURLU *notify_url_parse(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		  (str_eq(scheme, "http") || str_eq(scheme, "https")) &&
		  curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host;
	curl_free(scheme);
	curl_free(host);
	if (!ok) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

static bool notify_url_ok(const char *url)
{
	/* libcurl would percent-encode what it must not send raw; a control
	 * character or blank in a config value is a mistake to report. */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	/* libcurl forgives "https:///host" (reading one to three slashes);
	 * in a config file that is a typo to point at. */
	const char *sep = strstr(url, "://");
	if (sep && sep[3] == '/')
		return false;
	CURLU *u = notify_url_parse(url);
	curl_url_cleanup(u);
	return u != NULL;
}

static bool part_set(CURLU *u, CURLUPart what)
{
	char *v = NULL;
	bool set = curl_url_get(u, what, &v, 0) == CURLUE_OK && v && *v &&
		   !(what == CURLUPART_PATH && str_eq(v, "/"));
	curl_free(v);
	return set;
}

/* Webhook URLs carry their secret in the userinfo, path or query (Slack and
 * Discord paths, Gotify ?token=, ntfy topics), so only scheme://host[:port]
 * is ever shown. */
const char *config_url_redacted(const char *url, char *buf, size_t len)
{
	CURLU *u = notify_url_parse(url);
	char *scheme = NULL, *host = NULL, *port = NULL;
	if (!u || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		sbuf_printf(buf, len, "<redacted>");
	} else {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		bool rest = part_set(u, CURLUPART_USER) || part_set(u, CURLUPART_PASSWORD) ||
			    part_set(u, CURLUPART_PATH) || part_set(u, CURLUPART_QUERY) ||
			    part_set(u, CURLUPART_FRAGMENT);
		sbuf_printf(buf, len, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
			    rest ? "/<redacted>" : "");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return buf;
}

static void notify_events(const struct conv *cv, struct notify_decl *n)
{
	char name[64];
	const struct ynode *v = ytree_get(cv->map, "events");
	if (!v || (v->kind == YN_SCALAR && v->type == YS_NULL))
		return;
	conv_name(cv, "events", name, sizeof name);
	if (v->kind != YN_SEQ) {
		conv_type_error(cv, "events", v, "a sequence of event names");
		return;
	}
	if (v->n == 0) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: an empty list sends nothing; leave the "
			  "key out for every event", name);
		return;
	}
	n->events = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		bool known = false;
		if (it->alias)
			continue;
		if (it->kind != YN_SCALAR || it->type != YS_STR) {
			diags_add(cv->d, DIAG_ERROR, it->pos, "%s[%zu]: expected an event name, got %s",
				  name, i, ytree_kind_str(it));
			continue;
		}
		for (size_t e = 0; e < ARRAY_LEN(event_names) && !known; e++) {
			if (strcmp(it->str, event_names[e]) == 0) {
				n->events |= 1u << e;
				known = true;
			}
		}
		if (known)
			continue;
		const char *hint = notify_hint(it->str, event_names, ARRAY_LEN(event_names));
		if (hint)
			diags_add(cv->d, DIAG_ERROR, it->pos, "%s[%zu]: unknown event '%s'; did you "
				  "mean `%s`?", name, i, it->str, hint);
		else
			diags_add(cv->d, DIAG_ERROR, it->pos, "%s[%zu]: unknown event '%s' (one of "
				  "vpn_down, vpn_up, port_changed, action_failed, config_error)",
				  name, i, it->str);
	}
	if (!n->events)
		n->events = NOTIFY_ALL_EVENTS; /* every item was wrong: reported above */
}

static void notify_format(const struct conv *cv, struct notify_decl *n)
{
	char name[64];
	const struct ynode *v = conv_scalar(cv, "format", "a string", false);
	if (!v)
		return;
	for (size_t i = 0; i < ARRAY_LEN(format_names); i++) {
		if (strcmp(v->str, format_names[i]) == 0) {
			n->format = (enum notify_format)i;
			return;
		}
	}
	conv_name(cv, "format", name, sizeof name);
	const char *hint = notify_hint(v->str, format_names, ARRAY_LEN(format_names));
	if (hint)
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: unknown format '%s'; did you mean `%s`?",
			  name, v->str, hint);
	else
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: unknown format '%s' (one of json, text, "
			  "gotify, slack, discord)", name, v->str);
}

void config_notify(const struct conv *cv)
{
	static const char *const keys[] = { "url", "events", "format", "secret_file", NULL };
	struct config *c = cv->c;
	const struct ynode *m = conv_child(cv, "notify", YN_SEQ);
	if (!m)
		return;
	c->notify = xcalloc(m->n, sizeof *c->notify);
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *it = m->items[i];
		char path[32];
		if (it->alias)
			continue;
		sbuf_printf(path, sizeof path, "notify[%zu]", i);
		if (it->kind != YN_MAP) {
			diags_add(cv->d, DIAG_ERROR, it->pos, "%s: expected a mapping, got %s", path,
				  ytree_kind_str(it));
			continue;
		}
		struct notify_decl *n = &c->notify[c->n_notify++];
		*n = (struct notify_decl){ .events = NOTIFY_ALL_EVENTS, .format = NOTIFY_JSON };
		struct conv sub = { cv->d, it, path, c };
		validate_keys(it, path, keys, cv->d);
		conv_required(&sub, "url");
		conv_str(&sub, "url", &n->url, &n->url_pos);
		/* The URL may hold a token: the message never repeats it. */
		if (n->url && !notify_url_ok(n->url))
			diags_add(cv->d, DIAG_ERROR, n->url_pos, "%s.url: not an http:// or https:// "
				  "URL with a host", path);
		notify_events(&sub, n);
		notify_format(&sub, n);
		conv_str(&sub, "secret_file", &n->secret_file, &n->secret_file_pos);
	}
}
