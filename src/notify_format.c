/* notify_format.c - what a webhook receives: the body in each format (our
 * JSON, text for ntfy, Gotify, Slack, Discord) and its HMAC-SHA256 signature. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "util.h"

unsigned notify_event_of(const struct hist_entry *e)
{
	switch (e->kind) {
	case HIST_VPN_UNAVAILABLE: return NOTIFY_VPN_DOWN;
	case HIST_VPN_AVAILABLE: return e->initial ? 0 : NOTIFY_VPN_UP;
	case HIST_PORT_CHANGED: return NOTIFY_PORT_CHANGED;
	case HIST_ACTION_FAILED: return NOTIFY_ACTION_FAILED;
	case HIST_CONFIG_REJECTED: return NOTIFY_CONFIG_ERROR;
	default: return 0;
	}
}

static char *json_text(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		fatal("out of memory rendering JSON");
	return s;
}

/* Discord refuses content over 2000 characters; Slack truncates long
 * text. Errors carry Docker's message, which can be long: cut at a UTF-8
 * boundary. */
static char *clip(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	char *out = xmalloc(n + 4);
	memcpy(out, s, n);
	memcpy(out + n, "...", 4);
	return out;
}

void notify_render(enum notify_format f, const struct hist_entry *e, unsigned ev,
		   const char *instance, struct notify_msg *out)
{
	const char *evname = notify_event_str(ev);
	if (!evname)
		evname = hist_kind_str(e->kind);
	bool bad = ev == NOTIFY_VPN_DOWN || ev == NOTIFY_ACTION_FAILED || ev == NOTIFY_CONFIG_ERROR;
	memset(out, 0, sizeof *out);
	out->title = xasprintf("ace-orchestrator %s: %s", instance, evname);
	out->priority = bad ? "high" : "default";
	out->tags = bad ? "warning" : ev == NOTIFY_VPN_UP ? "white_check_mark" : "information_source";
	/* One line for people: the message, and the error when it is not in it. */
	char *line = e->error && !strstr(e->message, e->error)
			     ? xasprintf("[%s] %s: %s", instance, e->message, e->error)
			     : xasprintf("[%s] %s", instance, e->message);
	cJSON *j = NULL;
	switch (f) {
	case NOTIFY_TEXT:
		/* ntfy publishes a plain body as the message; Title, Priority and
		 * Tags come as headers (notify.c). */
		out->body = clip(line, 4000);
		out->content_type = "text/plain; charset=utf-8";
		break;
	case NOTIFY_GOTIFY: {
		/* Gotify's POST /message: {"title","message","priority"}; 8 and
		 * above ring on Android, 4-7 notify quietly. */
		char *msg = clip(line, 4000);
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "title", out->title);
		cJSON_AddStringToObject(j, "message", msg);
		cJSON_AddNumberToObject(j, "priority", bad ? 8 : 5);
		free(msg);
		break;
	}
	case NOTIFY_SLACK: {
		char *msg = clip(line, 3000);
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "text", msg);
		free(msg);
		break;
	}
	case NOTIFY_DISCORD: {
		char *msg = clip(line, 2000);
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "content", msg);
		cJSON_AddStringToObject(j, "username", "ace-orchestrator");
		free(msg);
		break;
	}
	case NOTIFY_JSON:
	default:
		/* Our event as GET /events shows it, with what it is sent as. */
		j = hist_entry_json(e);
		cJSON_AddStringToObject(j, "event", evname);
		cJSON_AddStringToObject(j, "instance", instance);
		break;
	}
	if (j) {
		out->body = json_text(j);
		out->content_type = "application/json";
	}
	out->len = strlen(out->body);
	free(line);
}

void notify_msg_free(struct notify_msg *m)
{
	free(m->body);
	free(m->title);
	memset(m, 0, sizeof *m);
}

int notify_signature(const char *key, const void *body, size_t len, char out[NOTIFY_SIG_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hex[] = "0123456789abcdef";
	out[0] = '\0';
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), body, len, mac, &n) || n != 32)
		return -1;
	memcpy(out, "sha256=", 7);
	for (unsigned i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[7 + 2 * n] = '\0';
	return 0;
}
