/* fuzz_import_env.c - libFuzzer target for import-env: any bytes read as an
 * upstream .env must give YAML text and diagnostics, never a crash, a leak or
 * undefined behaviour (the YAML is loaded back by the config parser too). */
#include "config-auto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "import_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	char *yaml = import_env((const char *)data, size, "fuzz.env", &d);
	free(yaml);
	diags_free(&d);
	return 0;
}
