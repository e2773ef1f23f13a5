/* config_priv.h - private to the config subsystem (config*.c, validate.c):
 * the hand-offs between reading, checking and printing. */
#ifndef ACE_CONFIG_PRIV_H
#define ACE_CONFIG_PRIV_H

#include "config.h"
#include "yamltree.h"

/* ---- config_conv.c: typed getters ---- */

/* A mapping being read, where it is, and the config being filled. */
struct conv {
	struct diags *d;
	const struct ynode *map; /* the mapping being read */
	const char *path;        /* its dotted location, "" at the top */
	struct config *c;        /* being filled */
};

/* Full dotted name of key in the current mapping, for messages. */
const char *conv_name(const struct conv *cv, const char *key, char *buf, size_t len);
void conv_type_error(const struct conv *cv, const char *key, const struct ynode *v,
		     const char *want);
/* The scalar node of key, or NULL when absent or of another type (reported;
 * any_scalar accepts numbers and booleans as text). */
const struct ynode *conv_scalar(const struct conv *cv, const char *key, const char *want,
				bool any_scalar);
/* A non-empty string; *out replaced (and *pos set) only when valid. */
void conv_str(const struct conv *cv, const char *key, char **out, struct src_pos *pos);
bool conv_llong(const struct conv *cv, const char *key, long long min, long long max,
		long long *out, struct src_pos *pos);
void conv_int(const struct conv *cv, const char *key, int min, int max, int *out,
	      struct src_pos *pos);
void conv_bool(const struct conv *cv, const char *key, bool *out);
/* Durations and sizes: a string with a unit, or a bare integer. */
void conv_unit(const struct conv *cv, const char *key, int64_t *out, bool positive,
	       int (*parse)(const char *, int64_t *, char *, size_t));
void conv_range(const struct conv *cv, const char *key, struct port_range *out,
		struct src_pos *pos, bool *present);
/* A nested mapping or sequence; null counts as empty, absent as NULL. */
const struct ynode *conv_child(const struct conv *cv, const char *key, enum ynode_kind kind);
void conv_required(const struct conv *cv, const char *key);
/* A string -> scalar mapping (engine.labels: acestream.* keys refused). */
void conv_kvs(const struct conv *cv, const char *key, struct kv **out, size_t *n, bool labels);

/* ---- config_notify.c ---- */

/* The notify[] list of the top-level mapping cv into cv->c. */
void config_notify(const struct conv *cv);

/* ---- config_docker.c: docker, docker_hosts, vpns[].docker ---- */

/* The default host entry ("default", no address yet) and lease_ttl. */
void config_docker_defaults(struct config *c);
/* `docker:` and `docker_hosts:` of the top-level mapping, then DOCKER_*
 * for an absent docker.host. */
void config_docker_read(const struct conv *root);
void config_docker_vpn(const struct conv *cv, struct vpn_decl *v);
/* TLS files (read, PEM, mode), VPN host names, one daemon named twice,
 * container names that clash on one host. */
void config_docker_validate(struct config *c, const char *basedir, struct diags *d);
void config_docker_clear(struct config *c);

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
