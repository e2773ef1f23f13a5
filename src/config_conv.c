/* config_conv.c - typed getters over the YAML tree: each reads one key of a
 * mapping as a string, number, duration, range, ... and reports its own error
 * (type, bounds, format) at the value's line:col. */
#include "config-auto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "util.h"

/* Full dotted name of key in the current mapping, for messages. */
const char *conv_name(const struct conv *cv, const char *key, char *buf, size_t len)
{
	if (*cv->path)
		sbuf_printf(buf, len, "%s.%s", cv->path, key);
	else
		sbuf_printf(buf, len, "%s", key);
	return buf;
}

void conv_type_error(const struct conv *cv, const char *key, const struct ynode *v,
		     const char *want)
{
	char name[128];
	diags_add(cv->d, DIAG_ERROR, v->pos, "%s: expected %s, got %s",
		  conv_name(cv, key, name, sizeof name), want, ytree_kind_str(v));
}

/* Returns the scalar text of key, or NULL when absent or of another type. */
const struct ynode *conv_scalar(const struct conv *cv, const char *key, const char *want,
				bool any_scalar)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v)
		return NULL;
	bool ok = v->kind == YN_SCALAR && v->type != YS_NULL &&
		  (any_scalar || v->type == YS_STR);
	if (!ok) {
		conv_type_error(cv, key, v, want);
		return NULL;
	}
	return v;
}

void conv_str(const struct conv *cv, const char *key, char **out, struct src_pos *pos)
{
	char name[128];
	const struct ynode *v = conv_scalar(cv, key, "a string", false);
	if (!v)
		return;
	/* No string key of the format means anything when empty (names,
	 * addresses, paths): an empty one is a mistake, not a default. */
	if (!*v->str) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must not be empty",
			  conv_name(cv, key, name, sizeof name));
		return;
	}
	free(*out);
	*out = xstrdup(v->str);
	if (pos)
		*pos = v->pos;
}

bool conv_llong(const struct conv *cv, const char *key, long long min, long long max,
		long long *out, struct src_pos *pos)
{
	char name[128];
	const struct ynode *v = ytree_get(cv->map, key);
	long long n;
	if (!v)
		return false;
	if (v->kind != YN_SCALAR || v->type != YS_INT) {
		conv_type_error(cv, key, v, "an integer");
		return false;
	}
	conv_name(cv, key, name, sizeof name);
	if (!parse_int(v->str, LLONG_MIN, LLONG_MAX, &n) || n < min || n > max) {
		if (min == 0 && v->str[0] == '-')
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must not be negative, got %s",
				  name, v->str);
		else if (max == INT_MAX)
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be at least %lld, got %s",
				  name, min, v->str);
		else
			diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be between %lld and %lld, got %s",
				  name, min, max, v->str);
		return false;
	}
	*out = n;
	if (pos)
		*pos = v->pos;
	return true;
}

void conv_int(const struct conv *cv, const char *key, int min, int max, int *out,
	      struct src_pos *pos)
{
	long long n;
	if (conv_llong(cv, key, min, max, &n, pos))
		*out = (int)n;
}

void conv_bool(const struct conv *cv, const char *key, bool *out)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v)
		return;
	if (v->kind != YN_SCALAR || v->type != YS_BOOL) {
		conv_type_error(cv, key, v, "a boolean (true or false)");
		return;
	}
	*out = v->str[0] == 't' || v->str[0] == 'T';
}

/* Durations and sizes: a string with a unit, or a bare integer. */
void conv_unit(const struct conv *cv, const char *key, int64_t *out, bool positive,
	       int (*parse)(const char *, int64_t *, char *, size_t))
{
	char name[128], err[160];
	int64_t n;
	const struct ynode *v = conv_scalar(cv, key, "a string or an integer", true);
	if (!v)
		return;
	conv_name(cv, key, name, sizeof name);
	if (v->type != YS_STR && v->type != YS_INT) {
		conv_type_error(cv, key, v, "a string or an integer");
		return;
	}
	if (parse(v->str, &n, err, sizeof err) != 0) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: %s", name, err);
		return;
	}
	if (positive && n == 0) {
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: must be greater than 0", name);
		return;
	}
	*out = n;
}

void conv_range(const struct conv *cv, const char *key, struct port_range *out,
		struct src_pos *pos, bool *present)
{
	char name[128], err[160];
	const struct ynode *v = conv_scalar(cv, key, "a port range string (LO-HI)", true);
	if (!v)
		return;
	*present = true;
	*pos = v->pos;
	if (v->type != YS_STR && v->type != YS_INT) {
		conv_type_error(cv, key, v, "a port range string (LO-HI)");
		return;
	}
	if (range_parse(v->str, out, err, sizeof err) != 0)
		diags_add(cv->d, DIAG_ERROR, v->pos, "%s: %s", conv_name(cv, key, name, sizeof name), err);
}

/* A nested mapping or sequence; null counts as empty, absent as NULL. */
const struct ynode *conv_child(const struct conv *cv, const char *key, enum ynode_kind kind)
{
	const struct ynode *v = ytree_get(cv->map, key);
	if (!v || (v->kind == YN_SCALAR && v->type == YS_NULL))
		return NULL;
	if (v->kind != kind) {
		conv_type_error(cv, key, v, kind == YN_MAP ? "a mapping" : "a sequence");
		return NULL;
	}
	return v;
}

void conv_required(const struct conv *cv, const char *key)
{
	if (ytree_has(cv->map, key))
		return;
	if (*cv->path)
		diags_add(cv->d, DIAG_ERROR, cv->map->pos, "missing required key '%s' in %s",
			  key, cv->path);
	else
		diags_add(cv->d, DIAG_ERROR, cv->map->pos, "missing required key '%s'", key);
}

/* engine.labels: string -> scalar. Numbers and booleans are taken as
 * written, as Compose does (engine.env, which also takes ~, has its own
 * reader in config.c). */
void conv_kvs(const struct conv *cv, const char *key, struct kv **out, size_t *n,
	      bool labels)
{
	const struct ynode *m = conv_child(cv, key, YN_MAP);
	char path[128];
	if (!m)
		return;
	conv_name(cv, key, path, sizeof path);
	struct conv sub = { cv->d, m, path, cv->c };
	*out = xcalloc(m->n, sizeof **out);
	for (size_t i = 0; i < m->n; i++) {
		const struct ypair *p = &m->pairs[i];
		if (p->dup || p->val->alias)
			continue;
		if (labels && str_startswith(p->key->str, "acestream.")) {
			diags_add(cv->d, DIAG_ERROR, p->key->pos,
				  "%s: label '%s' is in the reserved acestream.* namespace",
				  path, p->key->str);
			continue;
		}
		if (!conv_scalar(&sub, p->key->str, "a string", true))
			continue;
		(*out)[*n] = (struct kv){ xstrdup(p->key->str), xstrdup(p->val->str), p->val->pos };
		(*n)++;
	}
}

