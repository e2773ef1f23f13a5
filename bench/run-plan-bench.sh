#!/bin/sh
# bench/run-plan-bench.sh - plan_compute time per call and peak memory at
# 2/10/50 VPNs x 100/1,000/10,000 engines, for this tree and a base ref (main).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build/bench}
base=${BASE:-main}
budget=${BUDGET:-1}
fleets=${FLEETS:-fresh converged work}
jobs=${JOBS:-2}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT TERM
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }; }

# This tree: optimised, no sanitizers (an existing build dir is reused, so a
# sanitizer build there would measure ASan).
if [ ! -f "$builddir/Makefile" ]; then
	[ -x "$srcdir/configure" ] || (cd "$srcdir" && quiet autoreconf -fi)
	mkdir -p "$builddir"
	(cd "$builddir" && quiet "$srcdir/configure" CFLAGS="-O2 -g")
fi
quiet make -C "$builddir" -j"$jobs" bench/plan_bench
this_bin=$builddir/bench/plan_bench

# The base: its tree exported from git (a scratch copy, cached by commit),
# built the same way; then this same plan_bench.c is compiled against its
# library, with the old names of the memory API when it predates memory.h.
sha=$(git -C "$srcdir" rev-parse --verify "$base^{commit}")
# BASE_BUILD: where to build it (run-core-bench.sh passes its scratch dir).
bdir=${BASE_BUILD:-$srcdir/_build/bench-base/$sha}
if [ ! -f "$bdir/build/libace.a" ]; then
	rm -rf "$bdir"
	mkdir -p "$bdir/tree" "$bdir/build"
	git -C "$srcdir" archive "$sha" | tar -x -C "$bdir/tree"
	(cd "$bdir/tree" && quiet autoreconf -fi)
	(cd "$bdir/build" && quiet ../tree/configure CFLAGS="-O2 -g")
	quiet make -C "$bdir/build" -j"$jobs" libace.a
fi
old_api=
[ -f "$bdir/tree/src/memory.h" ] || old_api=-DPLAN_BENCH_OLD_API
base_bin=$bdir/plan_bench
# shellcheck disable=SC2046 # pkg-config output is a list of flags
quiet ${CC:-cc} -std=c11 -O2 -g $old_api -include "$bdir/build/config-auto.h" \
	-I"$bdir/tree/src" -I"$bdir/build" "$srcdir/bench/plan_bench.c" "$srcdir/bench/bench_util.c" "$bdir/build/libace.a" \
	$(pkg-config --cflags --libs yaml-0.1 libcurl libcjson libmicrohttpd) -lpthread -lm \
	-o "$base_bin"

short=$(git -C "$srcdir" rev-parse --short "$sha")
here=$(git -C "$srcdir" rev-parse --short HEAD)
dirty=$(git -C "$srcdir" status --porcelain --untracked-files=no | grep -q . && echo "+changes" || true)
echo "plan_compute per call (median) and peak RSS growth during one call"
echo "base: $base ($short); this: $here$dirty; $(nproc) CPUs; $(uname -m); budget ${budget}s per case"
printf '%-9s %4s %7s | %10s %10s %8s | %9s %9s | %s\n' fleet vpns engines \
	"base ms" "this ms" speed-up "base KiB" "this KiB" "actions base/this"
for fleet in $fleets; do
	for v in 2 10 50; do
		for n in 100 1000 10000; do
			# Same case, one after the other, so both see the same machine.
			b=$("$base_bin" --budget "$budget" --fleet $fleet --only "$v" "$n" | grep "^case ")
			t=$("$this_bin" --budget "$budget" --fleet $fleet --only "$v" "$n" | grep "^case ")
			echo "$b|$t" | awk -F'|' '{
				split($1, b, " "); split($2, t, " ")
				# case NAME vpns V engines N ms MS peak_kib K actions A samples S
				printf "%-9s %4d %7d | %10.3f %10.3f %7.1fx | %9d %9d | %d/%d\n",
					b[2], b[4], b[6], b[8], t[8], (t[8] > 0 ? b[8] / t[8] : 0),
					b[10], t[10], b[12], t[12]
			}'
		done
	done
done
