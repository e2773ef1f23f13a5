/* fuzz_api_body.c - libFuzzer target for the API's POST bodies (stream
 * events in both dialects, provision requests): any bytes give a result or
 * an error message, never a crash, overread, leak or UB. */
#include "config-auto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(enum api_event_kind kind, const char *buf, size_t size)
{
	struct api_stream_event ev;
	char err[256];
	err[0] = '\0';
	if (api_parse_stream_event(kind, buf, size, &ev, err, sizeof err) == 0) {
		/* The invariants the handlers rely on. */
		if (strlen(ev.stream_id) > API_MAX_STREAM_ID || strlen(ev.key) > API_MAX_URL ||
		    strlen(ev.stat_url) > API_MAX_URL || strlen(ev.container_id) > API_MAX_FIELD)
			abort();
		if (kind == API_EV_STARTED && !ev.stream_id[0])
			abort();
		if (kind == API_EV_ENDED && !ev.stream_id[0] && !ev.container_id[0] &&
		    !ev.container_name[0])
			abort();
		if (ev.engine_host[0] && (ev.engine_port < 1 || ev.engine_port > 65535))
			abort();
	} else if (!err[0]) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy exactly size bytes long, so ASan catches any read past it
	 * (the HTTP body is not NUL-terminated either). */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	check_event(API_EV_STARTED, buf, size);
	check_event(API_EV_ENDED, buf, size);
	struct api_provision_req req;
	char err[256];
	err[0] = '\0';
	if (api_parse_provision(buf, size, &req, err, sizeof err) < 0 && !err[0])
		abort();
	api_check_auth("key", size && buf[0] == 'B' ? "Bearer key" : NULL, NULL);
	free(buf);
	return 0;
}
