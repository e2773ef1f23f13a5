/* fuzz_gluetun_json.c - libFuzzer target for the Gluetun control-server
 * decoders (forwarded ports, public IP). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gluetun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[128];
	int *ports;
	size_t n;
	char *ip;
	if (gluetun_parse_ports(s, size, &ports, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			if (ports[i] < 1 || ports[i] > 65535)
				abort();
		free(ports);
	}
	if (gluetun_parse_public_ip(s, size, &ip, err, sizeof(err)) == 0)
		free(ip);
	return 0;
}
