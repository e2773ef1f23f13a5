/* fuzz_api_body.c - libFuzzer target for POST /events bodies: any bytes give
 * an event or an error message, never a crash, overread, leak or UB. */
#include "config-auto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy exactly size bytes long, so ASan catches any read past it
	 * (the HTTP body is not NUL-terminated either). */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct api_stream_event ev;
	char err[256];
	if (api_parse_stream_event(buf, size, &ev, err, sizeof err) == 0) {
		if (!ev.stream_id[0] || strlen(ev.stream_id) > API_MAX_FIELD)
			abort();
	} else if (!err[0]) {
		abort();
	}
	api_check_auth("key", size && buf[0] == 'B' ? "Bearer key" : NULL, NULL);
	free(buf);
	return 0;
}
