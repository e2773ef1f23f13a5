/* fuzz_docker_json.c - libFuzzer target for the Docker API decoders (list,
 * inspect, event, version): any input must parse or fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[128], ver[16];
	struct docker_list l;
	struct docker_inspect in;
	struct docker_event e;
	if (docker_parse_list(s, size, &l, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < l.n; i++)
			(void)docker_kv_get(l.v[i].labels, l.v[i].n_labels, "acestream.orchestrator");
		docker_list_free(&l);
	}
	if (docker_parse_inspect(s, size, &in, err, sizeof(err)) == 0)
		docker_inspect_free(&in);
	if (docker_parse_event(s, size, &e, err, sizeof(err)) == 0)
		docker_event_free(&e);
	(void)docker_parse_version(s, size, ver, sizeof(ver), err, sizeof(err));
	/* The RFC 3339 times of inspect answers, straight: an exact-size
	 * NUL-terminated copy, so a read past the NUL is an ASan crash. */
	char *t = malloc(size + 1);
	if (t) {
		memcpy(t, data, size);
		t[size] = '\0';
		if (parse_rfc3339_ms(t) < -1)
			abort();
		free(t);
	}
	return 0;
}
