/* yamltree.c - private to the config subsystem: libyaml events -> a tree of
 * nodes with 1-based positions, so every later diagnostic can point at a line. */
#include "config-auto.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"
#include "yamltree.h"

/* Deep enough for any real config, shallow enough that hostile input
 * ("[[[[...") cannot exhaust the stack of the recursive builder. */
#define YTREE_MAX_DEPTH 64

struct ytree_ctx {
	yaml_parser_t parser;
	struct diags *d;
	const char *buf;
	size_t len;
	bool failed;
};

/* libyaml marks are 0-based; editors and GCC-style messages are 1-based. */
static struct src_pos ytree_pos(yaml_mark_t m)
{
	return (struct src_pos){ (int)m.line + 1, (int)m.column + 1 };
}

static void ytree_syntax_error(struct ytree_ctx *x)
{
	yaml_parser_t *p = &x->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	/* libyaml's "cannot start any token" on a tab is the classic mistake;
	 * say it in the user's words. */
	const char *hint = p->problem_mark.index < x->len && x->buf[p->problem_mark.index] == '\t'
			   ? " (tabs cannot be used for indentation)" : "";
	if (p->context)
		diags_add(x->d, DIAG_ERROR, ytree_pos(p->problem_mark),
			  "invalid YAML: %s%s, %s at %d:%d", problem, hint, p->context,
			  (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		diags_add(x->d, DIAG_ERROR, ytree_pos(p->problem_mark),
			  "invalid YAML: %s%s", problem, hint);
	x->failed = true;
}

static bool ytree_next(struct ytree_ctx *x, yaml_event_t *ev)
{
	if (yaml_parser_parse(&x->parser, ev))
		return true;
	ytree_syntax_error(x);
	return false;
}

static bool ytree_is(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* YAML 1.2 core schema resolution of a plain scalar (decimal ints only:
 * octal and hex have no use in this file and only invite surprises). */
static enum yscalar_type ytree_resolve(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
	if (ytree_is(s, nulls))
		return YS_NULL;
	if (ytree_is(s, bools))
		return YS_BOOL;
	const char *p = s + (*s == '-' || *s == '+');
	if (*p >= '0' && *p <= '9') {
		size_t digits = strspn(p, "0123456789");
		if (!p[digits])
			return YS_INT;
		if (p[digits] == '.' || p[digits] == 'e' || p[digits] == 'E') {
			char *end;
			(void)strtod(s, &end);
			if (!*end)
				return YS_FLOAT;
		}
	}
	return YS_STR;
}

static struct ynode *ytree_new(enum ynode_kind kind, yaml_mark_t m)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->pos = ytree_pos(m);
	return n;
}

static struct ynode *ytree_node(struct ytree_ctx *x, yaml_event_t *ev, int depth);

/* Fills a mapping or sequence until its end event. */
static bool ytree_children(struct ytree_ctx *x, struct ynode *n, int depth)
{
	for (;;) {
		yaml_event_t ev;
		if (!ytree_next(x, &ev))
			return false;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return true;
		}
		struct ynode *child = ytree_node(x, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			return false;
		if (n->kind == YN_SEQ) {
			grow(&n->items, &n->cap, n->n + 1, sizeof *n->items);
			n->items[n->n++] = child;
			continue;
		}
		if (!ytree_next(x, &ev)) {
			ytree_free(child);
			return false;
		}
		struct ynode *val = ytree_node(x, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!val) {
			ytree_free(child);
			return false;
		}
		if (child->kind != YN_SCALAR) {
			diags_add(x->d, DIAG_ERROR, child->pos, "mapping keys must be strings");
			ytree_free(child);
			ytree_free(val);
			continue;
		}
		grow(&n->pairs, &n->cap, n->n + 1, sizeof *n->pairs);
		struct ypair *pr = &n->pairs[n->n++];
		*pr = (struct ypair){ .key = child, .val = val };
		for (size_t i = 0; i + 1 < n->n; i++) {
			const struct ynode *first = n->pairs[i].key;
			if (!n->pairs[i].dup && strcmp(first->str, child->str) == 0) {
				diags_add(x->d, DIAG_ERROR, child->pos,
					  "duplicate key '%s' (first at %d:%d)", child->str,
					  first->pos.line, first->pos.col);
				pr->dup = true;
				break;
			}
		}
	}
}

/* Builds the node that starts with ev (which the caller deletes). */
static struct ynode *ytree_node(struct ytree_ctx *x, yaml_event_t *ev, int depth)
{
	struct ynode *n = NULL;
	if (depth > YTREE_MAX_DEPTH) {
		diags_add(x->d, DIAG_ERROR, ytree_pos(ev->start_mark),
			  "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		x->failed = true;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		n = ytree_new(YN_SCALAR, ev->start_mark);
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		const char *tag = (const char *)ev->data.scalar.tag;
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (tag && strcmp(tag, YAML_STR_TAG) == 0))
			n->type = YS_STR;
		else
			n->type = ytree_resolve(n->str);
		return n;
	}
	case YAML_ALIAS_EVENT:
		/* Aliases would let one edit change several places silently and
		 * make positions ambiguous; the file is small enough to spell out. */
		diags_add(x->d, DIAG_ERROR, ytree_pos(ev->start_mark),
			  "aliases are not supported (*%s)", (const char *)ev->data.alias.anchor);
		n = ytree_new(YN_SCALAR, ev->start_mark);
		n->str = xstrdup("");
		n->type = YS_NULL;
		n->alias = true;
		return n;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		n = ytree_new(ev->type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ, ev->start_mark);
		if (!ytree_children(x, n, depth)) {
			ytree_free(n);
			return NULL;
		}
		return n;
	default:
		/* libyaml guarantees well-formed event order; anything else is
		 * a broken invariant, but never worth a crash on user input. */
		diags_add(x->d, DIAG_ERROR, ytree_pos(ev->start_mark), "invalid YAML: unexpected event");
		x->failed = true;
		return NULL;
	}
}

struct ynode *ytree_parse(const char *buf, size_t len, struct diags *d)
{
	struct ytree_ctx x = { .d = d, .buf = buf, .len = len };
	struct ynode *root = NULL;
	yaml_event_t ev;
	int docs = 0;

	if (!yaml_parser_initialize(&x.parser))
		fatal("out of memory (libyaml)");
	yaml_parser_set_input_string(&x.parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!ytree_next(&x, &ev))
			goto fail;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT && ++docs == 2)
			diags_add(d, DIAG_ERROR, ytree_pos(ev.start_mark),
				  "only one YAML document is allowed (found a second one)");
		if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
		    t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
			struct ynode *n = ytree_node(&x, &ev, 0);
			if (!n) {
				yaml_event_delete(&ev);
				goto fail;
			}
			if (!root)
				root = n;
			else
				ytree_free(n);
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&x.parser);
	if (!root || (root->kind == YN_SCALAR && root->type == YS_NULL)) {
		/* An empty file is an empty mapping: the missing required keys
		 * then explain what is needed better than "expected a mapping". */
		ytree_free(root);
		root = xcalloc(1, sizeof *root);
		root->kind = YN_MAP;
		root->pos = (struct src_pos){ 1, 1 };
	}
	return root;
fail:
	yaml_parser_delete(&x.parser);
	ytree_free(root);
	return NULL;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	if (n->kind == YN_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			ytree_free(n->pairs[i].key);
			ytree_free(n->pairs[i].val);
		}
		free(n->pairs);
	} else if (n->kind == YN_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			ytree_free(n->items[i]);
		free(n->items);
	}
	free(n->str);
	free(n);
}

static const struct ynode *ytree_lookup(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!map->pairs[i].dup && strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].val;
	return NULL;
}

bool ytree_has(const struct ynode *map, const char *key)
{
	return ytree_lookup(map, key) != NULL;
}

const struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	const struct ynode *v = ytree_lookup(map, key);
	return v && !v->alias ? v : NULL;
}

const char *ytree_kind_str(const struct ynode *n)
{
	if (n->kind == YN_MAP)
		return "a mapping";
	if (n->kind == YN_SEQ)
		return "a sequence";
	switch (n->type) {
	case YS_NULL: return "null";
	case YS_BOOL: return "a boolean";
	case YS_INT: return "an integer";
	case YS_FLOAT: return "a number";
	default: return "a string";
	}
}
