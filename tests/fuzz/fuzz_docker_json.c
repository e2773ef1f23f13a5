/* fuzz_docker_json.c - libFuzzer target for the Docker API decoders (list,
 * inspect, event, version): any input must parse or fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "docker.h"

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
	return 0;
}
