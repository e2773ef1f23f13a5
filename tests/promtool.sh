#!/bin/sh
# tests/promtool.sh - `promtool check metrics` (Debian package prometheus) on
# the text metrics_render produces; SKIP (77) only when promtool is absent.
set -u
sample=${top_builddir:-.}/tests/unit/metrics_sample
if ! command -v promtool >/dev/null 2>&1; then
	echo "################################################################" >&2
	echo "SKIP: promtool not found (apt-get install prometheus); metrics" >&2
	echo "      text format NOT checked" >&2
	echo "################################################################" >&2
	exit 77
fi
if [ ! -x "$sample" ]; then
	echo "promtool: $sample not built" >&2
	exit 1
fi
# SPEC §7 names the engine gauge orch_engines_total; promtool's naming lint
# wants _total on counters only. That one finding is expected; any other
# (including every parse error) fails the test.
allowed='orch_engines_total non-counter metrics should not have "_total" suffix'
passed=0 failed=0
# The checker itself must reject broken text, or a pass means nothing.
if printf 'orch_x{vpn="a} 1\n' | promtool check metrics >/dev/null 2>&1; then
	echo "promtool accepted malformed text: cannot trust it" >&2
	exit 1
fi
for variant in redundant none; do
	out=$("$sample" "$variant" | promtool check metrics 2>&1 | grep -vxF "$allowed")
	if [ -z "$out" ]; then
		passed=$((passed + 1))
	else
		echo "promtool check metrics ($variant) failed:" >&2
		echo "$out" >&2
		failed=$((failed + 1))
	fi
done
echo "promtool: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
