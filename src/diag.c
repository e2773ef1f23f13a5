/* diag.c - the diagnostics list shared by the config parser, the validator
 * and import-env: collect everything, then print it sorted, GCC style. */
#include "config-auto.h"

#include <stdarg.h>
#include <stdlib.h>

#include "diag.h"
#include "util.h"

void diags_add(struct diags *d, enum diag_level lvl, struct src_pos pos, const char *fmt, ...)
{
	va_list ap;
	grow(&d->v, &d->cap, d->n + 1, sizeof *d->v);
	va_start(ap, fmt);
	d->v[d->n++] = (struct diag){ .level = lvl, .pos = pos, .msg = xvasprintf(fmt, ap) };
	va_end(ap);
}

size_t diags_errors(const struct diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].level == DIAG_ERROR;
	return n;
}

static int diags_cmp(const void *pa, const void *pb)
{
	const struct diag *a = *(const struct diag *const *)pa;
	const struct diag *b = *(const struct diag *const *)pb;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	/* Same position: keep the order they were found in (qsort is not stable). */
	return a < b ? -1 : a > b;
}

void diags_print(const struct diags *d, const char *file, FILE *out)
{
	if (!d->n)
		return;
	const struct diag **sorted = xcalloc(d->n, sizeof *sorted);
	for (size_t i = 0; i < d->n; i++)
		sorted[i] = &d->v[i];
	qsort(sorted, d->n, sizeof *sorted, diags_cmp);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = sorted[i];
		const char *lvl = g->level == DIAG_ERROR ? "error" : "warning";
		/* Position 0 means "the file as a whole" (e.g. it cannot be read). */
		if (g->pos.line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", file, g->pos.line, g->pos.col, lvl, g->msg);
		else
			fprintf(out, "%s: %s: %s\n", file, lvl, g->msg);
	}
	free(sorted);
}

void diags_free(struct diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	*d = (struct diags){ 0 };
}
