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

/* One engine.preset: its name, the image it was written for (documentation
 * and import-env), and the env and argv (templates) it supplies. */
struct config_preset {
	const char *name;
	const char *image;
	const struct kv *env;
	size_t n_env;
	const char *const *argv;
	size_t n_argv;
};
const struct config_preset *config_preset_get(enum engine_preset p);
bool config_preset_parse(const char *name, enum engine_preset *out);
/* "krinkuto11, jopsis-amd64, ..." for messages. */
const char *config_preset_names(void);
/* Replaces e's preset, env and argv with the preset's defaults. */
void config_preset_apply(struct engine_decl *e, enum engine_preset p);
/* engine.env merge steps. Set returns whether it replaced a key; unset
 * whether there was a key to remove. */
bool config_env_set(struct engine_decl *e, const char *key, const char *val, struct src_pos pos);
bool config_env_unset(struct engine_decl *e, const char *key, struct src_pos pos);

/* Writes s as a YAML scalar: plain when that reads back as the same string,
 * double-quoted with escapes otherwise. */
void config_dump_str(FILE *out, const char *s);

#endif
