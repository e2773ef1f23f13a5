/* diag.h - diagnostics of everything that reads user input (orchestrator.yaml,
 * an upstream .env): source positions and GCC-style error/warning lists. */
#ifndef ACE_DIAG_H
#define ACE_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* 1-based line and column of what a diagnostic is about; 0/0 when it is
 * about no place in particular (a default value, the file as a whole). */
struct src_pos {
	int line;
	int col;
};

enum diag_level { DIAG_ERROR, DIAG_WARNING };

/* One diagnostic: "FILE:LINE:COL: error: MESSAGE". */
struct diag {
	enum diag_level level;
	struct src_pos pos;
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

void diags_add(struct diags *d, enum diag_level lvl, struct src_pos pos,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t diags_errors(const struct diags *d);
/* Prints every diagnostic, sorted by position, GCC style. */
void diags_print(const struct diags *d, const char *file, FILE *out);
void diags_free(struct diags *d);

#endif
