#!/bin/sh
# tests/import_env.sh - golden files of `import-env`: every
# tests/data/import-env/NAME.env must print exactly NAME.yaml, report exactly
# NAME.err (none when absent), exit 1 only when NAME.err has an error, and
# print an orchestrator.yaml that `validate` accepts.
set -u
: "${top_srcdir:?}" "${ACE:?}"
data=$top_srcdir/tests/data/import-env
tmp=${TMPDIR:-/tmp}/import_env.$$
mkdir -p "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

bad() { echo "FAIL $name: $*"; fail=$((fail + 1)); }

for f in "$data"/*.env; do
	name=$(basename "$f" .env)
	n=$((n + 1))
	(cd "$data" && "$ACE" import-env "$name.env") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	exp_err=/dev/null; [ -f "$data/$name.err" ] && exp_err=$data/$name.err
	want_rc=0; grep -q ': error: ' "$exp_err" && want_rc=1
	if ! diff -u "$data/$name.yaml" "$tmp/out"; then bad "output differs from $name.yaml"; continue; fi
	if ! diff -u "$exp_err" "$tmp/err"; then bad "stderr differs"; continue; fi
	if [ "$rc" -ne "$want_rc" ]; then bad "exit $rc, expected $want_rc"; continue; fi
	cp "$tmp/out" "$tmp/orchestrator.yaml"
	if ! "$ACE" validate -c "$tmp/orchestrator.yaml" >"$tmp/vout" 2>&1; then
		cat "$tmp/vout"; bad "the output does not validate"; continue
	fi
	echo "ok   import-env/$name.env"
done

# FILE defaults to ./.env; `-` reads standard input.
name=default-file n=$((n + 1))
cp "$data/port-ranges.env" "$tmp/.env"
if (cd "$tmp" && "$ACE" import-env) 2>&1 | sed 's/^# \.env, written/# port-ranges.env, written/; s/^# Not mapped from \.env/# Not mapped from port-ranges.env/' |
	diff -u "$data/port-ranges.yaml" - >/dev/null; then echo "ok   import-env with no FILE reads ./.env"
else bad "import-env with no FILE does not read ./.env"; fi
name=stdin n=$((n + 1))
if "$ACE" import-env - <"$data/port-ranges.env" 2>&1 | sed 's/<stdin>/port-ranges.env/' |
	diff -u "$data/port-ranges.yaml" - >/dev/null; then echo "ok   import-env - reads stdin"
else bad "import-env - does not read stdin"; fi
name=missing n=$((n + 1))
"$ACE" import-env "$tmp/nonexistent.env" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q 'cannot read' "$tmp/err"; then
	echo "ok   import-env of a missing file: exit 1, a message, no output"
else bad "missing file"; fi

echo "import-env: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
