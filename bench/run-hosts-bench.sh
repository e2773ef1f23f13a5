#!/bin/sh
# bench/run-hosts-bench.sh - the fleet over many Docker hosts, simulated:
# planner time and memory, snapshot build, body sizes and renders per second
# at 20 hosts x 5 VPNs x 50 engines, next to the same 5,000 engines and 100
# VPNs on one host and to twice the engines, all in one run.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build/bench}
budget=${BUDGET:-1}
jobs=${JOBS:-2}

log=$(mktemp)
out=$(mktemp -d)
trap 'rm -rf "$log" "$out"' EXIT
trap 'exit 130' INT TERM
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }; }

# Optimised, no sanitizers (an existing build dir is reused, so a sanitizer
# build there would measure ASan).
if [ ! -f "$builddir/Makefile" ]; then
	[ -x "$srcdir/configure" ] || (cd "$srcdir" && quiet autoreconf -fi)
	mkdir -p "$builddir"
	(cd "$builddir" && quiet "$srcdir/configure" CFLAGS="-O2 -g")
fi
quiet make -C "$builddir" -j"$jobs" bench/hosts_bench
bin=$builddir/bench/hosts_bench

# The three fleets, one after the other on the same machine.
"$bin" --budget "$budget" --hosts 1 --vpns-per-host 100 --engines-per-vpn 50 >"$out/one"
"$bin" --budget "$budget" --hosts 20 --vpns-per-host 5 --engines-per-vpn 50 >"$out/twenty"
"$bin" --budget "$budget" --hosts 20 --vpns-per-host 5 --engines-per-vpn 100 >"$out/double"

# fig FILE NAME KEY: the value after KEY on the line starting with NAME.
fig() { awk -v n="$2" -v k="$3" '$1 == n { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a; else printf "-" }'; }

here=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo "?")
echo "fleet over Docker hosts, simulated (tree $here; $(nproc) CPUs; $(uname -m); budget ${budget}s per figure)"
echo "A: 1 host x 100 VPNs x 50 engines   B: 20 hosts x 5 VPNs x 50 engines   C: 20 x 5 x 100"
printf '%-26s %12s %12s %12s %8s %8s\n' figure A B C "B/A" "C/B"
row() { # LABEL NAME KEY
	a=$(fig "$out/one" "$2" "$3"); b=$(fig "$out/twenty" "$2" "$3"); c=$(fig "$out/double" "$2" "$3")
	printf '%-26s %12s %12s %12s %8s %8s\n' "$1" "${a:--}" "${b:--}" "${c:--}" \
		"$(ratio "${a:-0}" "$b")" "$(ratio "${b:-0}" "$c")"
}
row "plan converged ms" plan_converged ms
row "plan converged peak KiB" plan_converged kib
row "plan host down ms" plan_host_down ms
row "plan host down actions" plan_host_down actions
row "plan host back ms" plan_host_back ms
row "plan host back actions" plan_host_back actions
row "snapshot build ms" snapshot_build ms
row "snapshot build peak KiB" snapshot_build kib
row "/engines bytes" body_engines bytes
row "/engines?all=1 bytes" body_engines_all bytes
row "/vpn/status bytes" body_vpn_status bytes
row "/metrics bytes" body_metrics bytes
row "render /engines ms" render_engines ms
row "render /engines per s" render_engines per_s
row "render /metrics ms" render_metrics ms
row "render /metrics per s" render_metrics per_s
