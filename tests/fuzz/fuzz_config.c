/* fuzz_config.c - libFuzzer target for the config parser: any bytes must
 * give a config or diagnostics, never a crash, leak or undefined behaviour. */
#include "config-auto.h"

#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	/* "fuzz.yaml" has no directory: api_key_file paths resolve from the
	 * current directory, like a config given by a bare name. */
	struct config *c = config_load_buffer((const char *)data, size, "fuzz.yaml", &d);
	if (c) {
		char hash[17];
		config_engine_hash(c, hash);
	}
	config_free(c);
	diags_free(&d);
	return 0;
}
