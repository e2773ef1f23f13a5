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
	/* With live data too, so promtool sees every family with values. */
	struct streams reg;
	streams_init(&reg, -1);
	struct stream_rec r = { .id = (char *)"st-1" };
	streams_start(&reg, s->engines[0].id, &r, 0, 0);
	struct streams_view *v = streams_view_new(&reg, 0);
	struct metrics_live live = { v, 3, 1, 1, 2 };
	char *text = metrics_render_live(s, &live);
	streams_view_free(v);
	streams_destroy(&reg);
	fputs(text, stdout);
	free(text);
	snapshot_free(s);
	return 0;
}
