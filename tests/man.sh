#!/bin/sh
# man.sh - both man pages render without a single groff warning (groff -ww
# and `man -l`, as a reader would open them), and orchestrator.yaml(5)
# documents the same keys, defaults and placeholders as doc/configuration.md.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }

command -v groff >/dev/null 2>&1 || { echo "FAIL: groff not installed (apt-get install groff)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ace-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for page in man/ace-orchestrator.8 man/orchestrator.yaml.5; do
	f=$top_builddir/$page
	if [ ! -s "$f" ]; then not_ok "$page was not generated"; continue; fi
	# -ww: every warning category; -z: no output, only the diagnostics.
	LC_ALL=C.UTF-8 groff -man -t -ww -z "$f" 2>"$tmp/groff.err"
	if [ -s "$tmp/groff.err" ]; then not_ok "$page: groff -ww warns:"; cat "$tmp/groff.err"
	else ok "$page: groff -man -ww renders it without a warning"; fi
	if command -v man >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$f" >"$tmp/out" 2>"$tmp/man.err"
		rc=$?
		if [ $rc -ne 0 ] || [ -s "$tmp/man.err" ]; then not_ok "$page: man -l (exit $rc):"; cat "$tmp/man.err"
		else ok "$page: man -l renders it without a warning ($(wc -l <"$tmp/out") lines)"; fi
	else
		not_ok "man (man-db) not installed"
	fi
	# No @placeholder@ left by the build's substitution.
	if grep -n '@[a-zA-Z_]*@' "$f"; then not_ok "$page: unsubstituted @...@"
	else ok "$page: every @dir@ substituted"; fi
done

# The page names what the test compares (a silent no-op would pass).
if "$PYTHON3" "$top_srcdir/tests/man_keys.py" "$top_srcdir/doc/configuration.md" \
	"$top_builddir/man/orchestrator.yaml.5"; then
	ok "orchestrator.yaml(5) and doc/configuration.md document the same keys, defaults, placeholders"
else
	not_ok "orchestrator.yaml(5) and doc/configuration.md differ (above)"
fi

echo "man: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
