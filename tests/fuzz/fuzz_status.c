/* fuzz_status.c - libFuzzer target for the `status` renderer: the input is
 * the three API answers (/vpn/status, /engines?all=1, /config) separated by
 * NUL bytes; any bytes print a summary or an error, never UB. */
#include "config-auto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exact-size heap copy of data[from..to), so ASan catches an overread. */
static char *part(const uint8_t *data, size_t from, size_t to)
{
	char *p = malloc(to > from ? to - from : 1);
	if (p && to > from)
		memcpy(p, data + from, to - from);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	size_t cut[2] = { size, size };
	int k = 0;
	for (size_t i = 0; i < size && k < 2; i++)
		if (data[i] == '\0')
			cut[k++] = i;
	size_t e_from = cut[0] < size ? cut[0] + 1 : size;
	size_t c_from = cut[1] < size ? cut[1] + 1 : size;
	char *vpn = part(data, 0, cut[0]);
	char *eng = part(data, e_from, cut[1]);
	char *cfg = part(data, c_from, size);
	char err[256];
	if (vpn && eng && cfg)
		(void)status_print(sink, vpn, cut[0], eng, cut[1] > e_from ? cut[1] - e_from : 0,
				   k == 2 ? cfg : NULL, size - c_from, err, sizeof err);
	free(vpn);
	free(eng);
	free(cfg);
	return 0;
}
