#!/bin/sh
# bench/run-api-bench.sh - builds bench/api_bench (optimised, no sanitizers),
# serves 1,000 synthetic engines and measures /healthz, /engines, /metrics
# with wrk in one run; reports req/s, p99 and ratios to /healthz.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build/bench}
duration=${DURATION:-10s}
threads=${THREADS:-2}
conns=${CONNS:-32}
engines=${ENGINES:-1000}
vpns=${VPNS:-2}

command -v wrk >/dev/null 2>&1 || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
if [ ! -f "$builddir/Makefile" ]; then
	[ -x "$srcdir/configure" ] || (cd "$srcdir" && autoreconf -fi)
	mkdir -p "$builddir"
	(cd "$builddir" && "$srcdir/configure" CFLAGS="-O2 -g" >/dev/null)
fi
tmp=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
make -C "$builddir" -s bench >"$tmp/build" 2>&1 || { cat "$tmp/build" >&2; exit 1; }
"$builddir/bench/api_bench" --engines "$engines" --vpns "$vpns" >"$tmp/out" &
server=$!
i=0
until grep -q '^listening' "$tmp/out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "api_bench did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(awk '/^listening/ { print $2 }' "$tmp/out")

# wrk prints "Requests/sec: N" and, with --latency, "99% T" (us/ms/s).
run() {
	wrk -t"$threads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port$1" >"$tmp/wrk" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk")
	non2xx=$(awk '/Non-2xx/ { print $5 }' "$tmp/wrk")
	bytes=$(awk '/^Transfer\/sec:/ { print $2 }' "$tmp/wrk")
	printf '%-9s %12s req/s   p99 %9s   %10s/s%s\n' "$1" "$rps" "$p99" "$bytes" \
		"${non2xx:+   NON-2XX: $non2xx}"
	eval "rps_$2=$rps"
}

echo "api_bench: $engines engines over $vpns VPNs; wrk -t$threads -c$conns -d$duration; $(nproc) CPUs"
sed -n 's/.*render_engines_us=\([0-9]*\) render_metrics_us=\([0-9]*\).*/one render from scratch (per new snapshot): \/engines \1 us, \/metrics \2 us/p' "$tmp/out"
run /healthz healthz
run /engines engines
run /metrics metrics
echo "ratios (same run, relative to /healthz):"
awk -v h="$rps_healthz" -v e="$rps_engines" -v m="$rps_metrics" 'BEGIN {
	printf "  /engines  %.3f\n  /metrics  %.3f\n", e / h, m / h }'
