/* api_dash.c - the dashboard page (GET /, compiled into the binary from
 * web/dashboard.html) and the recent history behind it (GET /events). */
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "history.h"
#include "web_assets.h"

struct MHD_Response *api_dashboard_response(void)
{
	/* The page is static data of the binary: never copied, never freed. */
	struct MHD_Response *r = MHD_create_response_from_buffer(
		web_dashboard_html_len, (void *)web_dashboard_html, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	/* Everything the page needs is inline or from this origin; it shows
	 * names and errors from Docker, so nothing else may run or load. */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; "
				"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
				"base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	return r;
}

enum MHD_Result api_serve_dashboard(struct api *a, struct MHD_Connection *c)
{
	if (!a->dashboard)
		return api_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "dashboard unavailable");
	return MHD_queue_response(c, MHD_HTTP_OK, a->dashboard);
}

/* ?since=SEQ (entries after it) and ?limit=N (1..HISTORY_CAP). */
enum MHD_Result api_serve_history(struct api *a, struct MHD_Connection *c)
{
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	long long s = 0, n = HISTORY_DEFAULT_LIMIT;
	if (since && !parse_int(since, 0, (long long)1 << 53, &s))
		return api_reply_error(c, MHD_HTTP_BAD_REQUEST, "since must be a sequence number");
	if (limit && !parse_int(limit, 1, HISTORY_CAP, &n))
		return api_reply_error(c, MHD_HTTP_BAD_REQUEST, "limit must be 1-1000");
	if (!a->history) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "last_seq", 0);
		cJSON_AddItemToObject(j, "events", cJSON_CreateArray());
		return api_reply_json(c, MHD_HTTP_OK, j);
	}
	return api_reply_json(c, MHD_HTTP_OK,
			      history_to_json(a->history, since != NULL, (uint64_t)s, (size_t)n));
}
