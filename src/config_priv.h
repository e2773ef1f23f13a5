/* config_priv.h - private to the config subsystem (config.c, validate.c,
 * config_dump.c): the hand-offs between parsing, checking and printing. */
#ifndef ACE_CONFIG_PRIV_H
#define ACE_CONFIG_PRIV_H

#include "config.h"
#include "yamltree.h"

/* Reports every key of map not in known (NULL-terminated) as unknown, with
 * a "did you mean" hint when exactly one known key is a likely typo. path is
 * the dotted location of map ("" for the top level, "vpns[0]", ...). */
void validate_keys(const struct ynode *map, const char *path,
		   const char *const *known, struct diags *d);

/* Levenshtein distance, capped: returns cap + 1 as soon as it is exceeded. */
size_t validate_distance(const char *a, const char *b, size_t cap);

/* Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool validate_docker_name(const char *s);

/* Cross-field checks on a converted config (ranges, overlaps, templates,
 * names, secrets). Reads api_key_file(s) relative to basedir (NULL = the
 * current directory) and stores their contents in c. */
void validate_config(struct config *c, const char *basedir, struct diags *d);

/* Writes s as a YAML scalar: plain when that reads back as the same string,
 * double-quoted with escapes otherwise. */
void config_dump_str(FILE *out, const char *s);

#endif
