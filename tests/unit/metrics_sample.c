/* metrics_sample.c - prints metrics_render of representative snapshots for
 * tests/promtool.sh (`promtool check metrics` reads it on stdin). */
#include "config-auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"
#include "metrics.h"
#include "util.h"

int main(int argc, char **argv)
{
	/* "none": the no-VPN fleet; default: redundant with a hidden engine and
	 * a label value needing escapes. */
	struct snapshot *s = argc > 1 && strcmp(argv[1], "none") == 0 ? api_fixture_big(3, 0)
								    : api_fixture_snapshot();
	if (s->n_vpns > 1) {
		free(s->vpns[1].name);
		s->vpns[1].name = xstrdup("glu\"etun\\2");
	}
	char *text = metrics_render(s);
	fputs(text, stdout);
	free(text);
	snapshot_free(s);
	return 0;
}
