/* import_env.h - `ace-orchestrator import-env`: an upstream v1 `.env` (or a
 * Compose `environment:` block) read and turned into orchestrator.yaml text. */
#ifndef ACE_IMPORT_ENV_H
#define ACE_IMPORT_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* One KEY=VALUE of the file; the last of several for one key wins. */
struct import_env_var {
	char *key;
	char *val;
	struct src_pos pos; /* of the key */
	bool unexpanded;    /* refers to another variable ($NAME), left as written */
};

struct import_env_vars {
	struct import_env_var *v;
	size_t n, cap;
};

/* Reads the lines Compose and python-dotenv read: `KEY=VALUE`, `export KEY=...`,
 * single- and double-quoted values (which may span lines; escapes in double
 * quotes), `#` comments, and the Compose forms `- KEY=VALUE` and `KEY: VALUE`
 * (after an `environment:` line). Lines it cannot read are errors in d; a
 * key without a value is a warning. */
void import_env_parse(const char *text, size_t len, struct import_env_vars *out,
		      struct diags *d);
void import_env_vars_free(struct import_env_vars *vars);

/* The orchestrator.yaml equivalent to the variables of text (malloc'd, never
 * NULL), with a `#` comment for each variable it could not map and why.
 * Values of variables are never copied into comments (they may be secrets);
 * API_KEY's value is never written at all. name is the file name the header
 * comment cites. Problems are added to d (errors only for unreadable lines);
 * the output is checked with the config parser and any complaint of it is a
 * warning. */
char *import_env(const char *text, size_t len, const char *name, struct diags *d);

#endif
