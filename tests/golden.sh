#!/bin/sh
# tests/golden.sh - golden files of the config model: every valid/*.yaml must
# dump exactly its .ok, every invalid/*.yaml must fail with exactly its .err.
# Runs inside each directory so the paths in messages are the bare names.
set -u
: "${top_srcdir:?}" "${ACE:?}"
# The dump shows docker.host, which DOCKER_HOST fills in when the file has none.
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
tmp=${TMPDIR:-/tmp}/golden.$$
mkdir -p "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT
# Git does not keep a file's read permissions (a checkout gets 0644 or 0664,
# by umask), and a key file readable by others is a warning: run on a copy
# whose secrets are 0600, except *-world-readable* ones, which are 0644.
cp -R "$top_srcdir/tests/data" "$tmp/data" && chmod -R u+w "$tmp/data" || exit 99
find "$tmp/data" -path '*/secrets/*' -type f -exec chmod 600 {} + || exit 99
find "$tmp/data" -path '*/secrets/*world-readable*' -type f -exec chmod 644 {} + || exit 99
data=$tmp/data
fail=0 n=0

for f in "$data"/valid/*.yaml; do
	name=$(basename "$f" .yaml)
	n=$((n + 1))
	if ! (cd "$data/valid" && "$ACE" validate --dump -c "$name.yaml") >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL valid/$name.yaml: rejected"; cat "$tmp/err"; fail=1; echo "$name" >>"$tmp/failed"; continue
	fi
	if ! diff -u "$data/valid/$name.ok" "$tmp/out"; then
		echo "FAIL valid/$name.yaml: dump differs from $name.ok"; fail=1; echo "$name" >>"$tmp/failed"; continue
	fi
	# Warnings are allowed on stderr only when the test expects them.
	exp=/dev/null; [ -f "$data/valid/$name.err" ] && exp=$data/valid/$name.err
	if ! diff -u "$exp" "$tmp/err"; then
		echo "FAIL valid/$name.yaml: unexpected stderr"; fail=1; echo "$name" >>"$tmp/failed"; continue
	fi
	echo "ok   valid/$name.yaml"
done

for f in "$data"/invalid/*.yaml; do
	name=$(basename "$f" .yaml)
	n=$((n + 1))
	(cd "$data/invalid" && "$ACE" validate -c "$name.yaml") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "FAIL invalid/$name.yaml: exit $rc, expected 1"; cat "$tmp/err"; fail=1; echo "$name" >>"$tmp/failed"; continue
	fi
	if ! diff -u "$data/invalid/$name.err" "$tmp/err"; then
		echo "FAIL invalid/$name.yaml: stderr differs from $name.err"; fail=1; echo "$name" >>"$tmp/failed"; continue
	fi
	head -n 1 "$f" | grep -Eq '^# schema: (reject|n/a)$' || {
		echo "FAIL invalid/$name.yaml: first line is not '# schema: reject' or '# schema: n/a'"
		fail=1; echo "$name" >>"$tmp/failed"; continue; }
	echo "ok   invalid/$name.yaml"
done

# Each failure above appended its file name to $tmp/failed.
nfail=$(grep -c . "$tmp/failed" 2>/dev/null || echo 0)
echo "golden: $((n - nfail)) passed, $nfail failed"
exit $fail
