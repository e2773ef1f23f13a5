/* yamltree.h - private to the config subsystem: a YAML document read with
 * libyaml into a small tree of nodes that remember their 1-based line:col. */
#ifndef ACE_YAMLTREE_H
#define ACE_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

/* How a plain scalar resolves under the YAML 1.2 core schema; quoted and
 * block scalars are always YS_STR. */
enum yscalar_type { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR };

struct ynode;

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *val;
	bool dup;          /* repeats an earlier key: reported, then ignored */
};

struct ynode {
	enum ynode_kind kind;
	struct src_pos pos;
	/* YN_SCALAR */
	char *str;
	enum yscalar_type type;
	bool alias;    /* stands for a rejected alias: already reported */
	/* YN_MAP */
	struct ypair *pairs;
	/* YN_SEQ */
	struct ynode **items;
	size_t n, cap; /* of pairs or items */
};

/* Parses the buffer. Returns the root (an empty mapping for an empty file),
 * or NULL after adding the diagnostics; structural problems the tree can
 * survive (duplicate keys, non-scalar keys, aliases) are reported too. */
struct ynode *ytree_parse(const char *buf, size_t len, struct diags *d);
void ytree_free(struct ynode *n);

/* Whether map has key at all (even as a rejected alias). */
bool ytree_has(const struct ynode *map, const char *key);
/* Value of the first occurrence of key in a mapping, or NULL (also for a
 * rejected alias, so no second error piles onto the first). */
const struct ynode *ytree_get(const struct ynode *map, const char *key);
/* "a mapping", "a string", "an integer", ... for "expected X, got Y". */
const char *ytree_kind_str(const struct ynode *n);

#endif
