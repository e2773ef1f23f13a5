/* import_env_parse.c - reads a `.env` file or a Compose `environment:` block
 * into KEY/VALUE pairs with their positions, the way Compose and
 * python-dotenv (which upstream v1 used) read them. */
#include "config-auto.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "import_env.h"
#include "util.h"

struct cur {
	const char *s;
	size_t len, i;
	int line;          /* 1-based line of s[i] */
	size_t line_start; /* offset of that line */
	struct diags *d;
	struct import_env_vars *out;
};

static struct src_pos cur_pos(const struct cur *c)
{
	return (struct src_pos){ c->line, (int)(c->i - c->line_start) + 1 };
}

static bool cur_eol(const struct cur *c)
{
	return c->i >= c->len || c->s[c->i] == '\n' ||
	       (c->s[c->i] == '\r' && (c->i + 1 >= c->len || c->s[c->i + 1] == '\n'));
}

static void cur_blanks(struct cur *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
		c->i++;
}

/* Moves past the end of the current line. */
static void cur_next_line(struct cur *c)
{
	while (c->i < c->len && c->s[c->i] != '\n')
		c->i++;
	if (c->i < c->len)
		c->i++;
	c->line++;
	c->line_start = c->i;
}

/* Steps over one byte of a quoted value, counting the lines it spans. */
static char cur_take(struct cur *c)
{
	char ch = c->s[c->i++];
	if (ch == '\n') {
		c->line++;
		c->line_start = c->i;
	}
	return ch;
}

static bool env_name_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool env_name_char(char ch)
{
	return env_name_start(ch) || (ch >= '0' && ch <= '9');
}

static void vars_set(struct cur *c, const char *key, size_t keylen, char *val, struct src_pos pos,
		     bool unexpanded)
{
	struct import_env_vars *o = c->out;
	for (size_t i = 0; i < o->n; i++) {
		if (strlen(o->v[i].key) == keylen && memcmp(o->v[i].key, key, keylen) == 0) {
			diags_add(c->d, DIAG_WARNING, pos, "%s is set again (first at %d:%d); the "
				  "later value wins", o->v[i].key, o->v[i].pos.line, o->v[i].pos.col);
			free(o->v[i].val);
			o->v[i].val = val;
			o->v[i].pos = pos;
			o->v[i].unexpanded = unexpanded;
			return;
		}
	}
	grow(&o->v, &o->cap, o->n + 1, sizeof *o->v);
	o->v[o->n++] = (struct import_env_var){ xstrndup(key, keylen), val, pos, unexpanded };
}

/* A quoted value starting at the quote; NULL (reported) when it never ends.
 * dotenv: double quotes take \n \t \r \\ \" \' \$ escapes, single quotes none;
 * yaml: single quotes take '' for a quote. */
static char *read_quoted(struct cur *c, bool yaml)
{
	struct strbuf b = { 0 };
	struct src_pos at = cur_pos(c);
	char q = cur_take(c);
	strbuf_puts(&b, "");
	while (c->i < c->len) {
		char ch = cur_take(c);
		if (ch == q) {
			if (q == '\'' && yaml && c->i < c->len && c->s[c->i] == '\'') {
				c->i++;
				strbuf_add(&b, "'", 1);
				continue;
			}
			return b.data;
		}
		if (ch == '\\' && q == '"' && c->i < c->len) {
			char e = c->s[c->i];
			const char *rep = e == 'n' ? "\n" : e == 't' ? "\t" : e == 'r' ? "\r"
					: e == '\\' ? "\\" : e == '"' ? "\"" : e == '\'' ? "'"
					: e == '$' ? "$" : NULL;
			if (rep) {
				c->i++;
				strbuf_puts(&b, rep);
				continue;
			}
		}
		if (ch == '\r' && c->i < c->len && c->s[c->i] == '\n')
			continue; /* CRLF inside quotes is one line break */
		strbuf_add(&b, &ch, 1);
	}
	diags_add(c->d, DIAG_ERROR, at, "unterminated %s-quoted value", q == '"' ? "double" : "single");
	strbuf_free(&b);
	return NULL;
}

/* After a closing quote only blanks and a comment may follow; false (and
 * reported) otherwise: the line is not read. */
static bool after_quote(struct cur *c)
{
	cur_blanks(c);
	if (cur_eol(c) || c->s[c->i] == '#')
		return true;
	diags_add(c->d, DIAG_ERROR, cur_pos(c), "unexpected text after the closing quote");
	return false;
}

/* The rest of the line, without a ` #comment` and surrounding blanks. */
static char *read_unquoted(struct cur *c)
{
	size_t start = c->i, end = c->i;
	while (!cur_eol(c)) {
		char ch = c->s[c->i];
		if (ch == '#' && (c->i == start || c->s[c->i - 1] == ' ' || c->s[c->i - 1] == '\t'))
			break;
		c->i++;
		if (ch != ' ' && ch != '\t')
			end = c->i;
	}
	return xstrndup(c->s + start, end - start);
}

/* Compose expands $NAME and ${NAME} in unquoted and double-quoted values;
 * we do not (the shell's environment is not the daemon's), so say so. */
static bool warn_interpolation(struct cur *c, const char *key, size_t keylen, const char *val,
			       struct src_pos pos)
{
	for (const char *p = strchr(val, '$'); p; p = strchr(p + 1, '$')) {
		if (p[1] == '{' || env_name_start(p[1])) {
			diags_add(c->d, DIAG_WARNING, pos, "%.*s: variables ($NAME, ${NAME}) are not "
				  "expanded", (int)keylen, key);
			return true;
		}
	}
	return false;
}

/* `- KEY=VALUE` or `- "KEY=VALUE"`: one item of a Compose environment list. */
static void parse_list_item(struct cur *c)
{
	struct src_pos pos = cur_pos(c);
	char *item;
	if (c->s[c->i] == '"' || c->s[c->i] == '\'') {
		pos.col++;
		if (!(item = read_quoted(c, true)))
			return;
		if (!after_quote(c)) {
			free(item);
			return;
		}
	} else {
		item = read_unquoted(c);
	}
	size_t keylen = 0;
	while (env_name_char(item[keylen]))
		keylen++;
	if (!keylen || !env_name_start(item[0]) || (item[keylen] && item[keylen] != '=')) {
		diags_add(c->d, DIAG_ERROR, pos, "expected KEY=VALUE in the list item");
	} else if (!item[keylen]) {
		diags_add(c->d, DIAG_WARNING, pos, "%s has no value (Compose takes it from the shell's "
			  "environment); ignored", item);
	} else {
		bool unexpanded = warn_interpolation(c, item, keylen, item + keylen + 1, pos);
		vars_set(c, item, keylen, xstrdup(item + keylen + 1), pos, unexpanded);
	}
	free(item);
}

static void parse_line(struct cur *c)
{
	cur_blanks(c);
	if (cur_eol(c) || c->s[c->i] == '#')
		return;
	if (c->s[c->i] == '-' && (c->i + 1 >= c->len || c->s[c->i + 1] == ' ' ||
				   c->s[c->i + 1] == '\t' || c->s[c->i + 1] == '\n')) {
		c->i++;
		cur_blanks(c);
		if (!cur_eol(c))
			parse_list_item(c);
		return;
	}
	if (c->len - c->i > 7 && strncmp(c->s + c->i, "export", 6) == 0 &&
	    (c->s[c->i + 6] == ' ' || c->s[c->i + 6] == '\t')) {
		c->i += 6;
		cur_blanks(c);
	}
	struct src_pos pos = cur_pos(c);
	const char *key = c->s + c->i;
	size_t keylen = 0;
	/* "export" and blanks may end the text: the text has no NUL to stop on. */
	if (c->i < c->len && env_name_start(c->s[c->i]))
		while (c->i < c->len && env_name_char(c->s[c->i])) {
			c->i++;
			keylen++;
		}
	if (!keylen) {
		diags_add(c->d, DIAG_ERROR, pos, "expected KEY=VALUE (a variable name: letters, "
			  "digits and _)");
		return;
	}
	cur_blanks(c);
	if (cur_eol(c) || c->s[c->i] == '#') {
		diags_add(c->d, DIAG_WARNING, pos, "%.*s has no value (Compose takes it from the "
			  "shell's environment); ignored", (int)keylen, key);
		return;
	}
	bool yaml = c->s[c->i] == ':';
	if (!yaml && c->s[c->i] != '=') {
		diags_add(c->d, DIAG_ERROR, cur_pos(c), "expected '=' after %.*s", (int)keylen, key);
		return;
	}
	c->i++;
	cur_blanks(c);
	if (yaml && (cur_eol(c) || c->s[c->i] == '#')) {
		/* `environment:` opens the block; any other `KEY:` is a null. */
		if (!(keylen == 11 && strncmp(key, "environment", 11) == 0))
			diags_add(c->d, DIAG_WARNING, pos, "%.*s has no value (Compose takes it from "
				  "the shell's environment); ignored", (int)keylen, key);
		return;
	}
	char *val;
	bool literal = c->i < c->len && c->s[c->i] == '\'';
	if (c->i < c->len && (c->s[c->i] == '"' || c->s[c->i] == '\'')) {
		if (!(val = read_quoted(c, yaml)))
			return;
		if (!after_quote(c)) {
			free(val);
			return;
		}
	} else {
		val = read_unquoted(c);
	}
	bool unexpanded = !literal && warn_interpolation(c, key, keylen, val, pos);
	vars_set(c, key, keylen, val, pos, unexpanded);
}

void import_env_parse(const char *text, size_t len, struct import_env_vars *out, struct diags *d)
{
	struct cur c = { text, len, 0, 1, 0, d, out };
	/* A UTF-8 byte order mark, as some editors write, is not a key. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.i = c.line_start = 3;
	while (c.i < c.len) {
		parse_line(&c);
		/* Whatever is left of the line (a quoted value may have ended on a
		 * later line than it began: the cursor is on that one). */
		cur_next_line(&c);
	}
}

void import_env_vars_free(struct import_env_vars *vars)
{
	if (!vars)
		return;
	for (size_t i = 0; i < vars->n; i++) {
		free(vars->v[i].key);
		free(vars->v[i].val);
	}
	free(vars->v);
	*vars = (struct import_env_vars){ 0 };
}
