#!/bin/sh
# bench/run-core-bench.sh - the daemon's core figures of issue 9 (item 7),
# before (BASE, default 1d31b8c) and after (this tree), as one table.
#
# Figures, never pass/fail. Sections (SECTIONS, default all, in this order):
#   flip      VPN health flip -> its engines hidden from GET /engines, from the
#             timeNano of Docker's health_status event to the first answer
#             without them (polled every 2 ms): idle, and mid-pass (scale
#             8 -> 2 engines whose stop takes 8 s, flip while that pass runs)
#   edit      config edit raising replicas.min -> timeNano of the first create
#             event: atomic rename, and in-place write (debounced by design)
#   plan      plan_compute on converged fleets (bench/run-plan-bench.sh)
#   converge  cold convergence of 40 engines over two stand-in VPNs: the
#             daemon, from its start to the last engine start event, against
#             bench/raw_client sending the same creates and starts at
#             concurrency 1, 2, 4, 8, 16
#   idle      a converged fleet of 40 for IDLE_SECONDS (default 60): wake-ups
#             (voluntary context switches of all threads) and Docker requests
#             (counted by a proxy on the Docker socket) per minute
#   memory    Private_Clean + Private_Dirty at 1,000 engines, against a fake
#             Docker API, fake Gluetun control servers and fake engine
#             listeners (bench/fake_docker.py)
# Knobs: BASE, SECTIONS, FLIPS (5), MIDPASS (3), EDITS (5), REPS (3),
# CONCURRENCY ("1 2 4 8 16"), IDLE_SECONDS (60), MEM_ENGINES (1000),
# PLAN_BUDGET (1 s per planner case), BUILDDIR, JOBS, LOCK, BASE_CACHE (a
# directory keeping the base's build between runs); for debugging,
# VERSIONS ("before after"), LOG_LEVEL (info) of the daemons, KEEP=1 (keep
# the scratch dir with their logs).
#
# Docker is shared (PLAN.md): every section touching it holds $LOCK (flock)
# one version at a time. Host ports 36000-36999 only. Everything it starts
# (containers, daemons, fake servers, temp dirs) is removed on exit.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build/bench}
base=${BASE:-1d31b8c}
jobs=${JOBS:-2}
sections=${SECTIONS:-flip edit plan converge idle memory}
flips=${FLIPS:-5}
midpass=${MIDPASS:-3}
edits=${EDITS:-5}
reps=${REPS:-3}
concs=${CONCURRENCY:-1 2 4 8 16}
idle_s=${IDLE_SECONDS:-60}
mem_engines=${MEM_ENGINES:-1000}
plan_budget=${PLAN_BUDGET:-1}
lock=${LOCK:-/tmp/ace-docker.lock}
versions=${VERSIONS:-before after}
log_level=${LOG_LEVEL:-info}
PYTHON3=${PYTHON3:-python3}

id=bcore-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ace-core-bench.XXXXXX")
pids=""
rows=$tmp/rows       # the table, one "label|before|after|ratio|target" a line
details=$tmp/details # every sample, printed after the table
: >"$rows"
: >"$details"

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }
quiet() { "$@" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }; }

# ---- Docker lock and cleanup ---------------------------------------------

exec 9>>"$lock"
# Other trees' tests rebuild the ace-test/* images from their own sources
# whenever they take the lock: make sure ours (ACE_FIXTURE_STOP_DELAY) are
# in place each time we hold it.
lock() {
	flock 9
	quiet "$srcdir/tests/fixtures/build-images.sh"
}
unlock() { flock -u 9; }

our_containers() {
	docker ps -aq --filter "label=acestream.test=$id" 2>/dev/null || true
	docker ps -a --filter label=acestream.orchestrator \
		--format '{{.ID}} {{.Label "acestream.orchestrator"}}' 2>/dev/null |
		awk -v p="$id-" 'index($2, p) == 1 { print $1 }'
}

cleanup() {
	rc=$?
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	ids=$(our_containers)
	if [ -n "$ids" ]; then
		flock -w 120 9 || true
		# shellcheck disable=SC2086 # a list of IDs
		docker rm -f $ids >/dev/null 2>&1 || true
	fi
	if [ -n "${KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg CMD...: runs CMD in the background, remembered for cleanup; $bg_pid.
bg() {
	"$@" &
	bg_pid=$!
	pids="$pids $bg_pid"
}
# stop PID [SIGNAL]: signal (TERM) and reap one process we started.
stop() {
	kill "-${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; 1 on timeout.
wait_until() {
	wu_end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$wu_end" ] || return 1
		sleep 0.1
	done
}

now_ns() { date +%s%N; }
now_s() { date +%s.%N; }
# ms_between NS_FROM NS_TO -> milliseconds with one decimal
ms_between() { awk -v us=$((($2 - $1) / 1000)) 'BEGIN { printf "%.1f", us / 1000 }'; }

# ---- builds ----------------------------------------------------------------

# This tree: optimised, no sanitizers (an existing build dir is reused, so a
# sanitizer build there would measure ASan), like run-plan-bench.sh.
if [ ! -f "$builddir/Makefile" ]; then
	[ -x "$srcdir/configure" ] || (cd "$srcdir" && quiet autoreconf -fi)
	mkdir -p "$builddir"
	(cd "$builddir" && quiet "$srcdir/configure" CFLAGS="-O2 -g")
fi
say "building this tree in $builddir"
quiet make -C "$builddir" -j"$jobs" ace-orchestrator bench/core_tool bench/raw_client bench/plan_bench
! grep -q '^SAN_CFLAGS = .*fsanitize' "$builddir/Makefile" ||
	die "$builddir is a sanitizer build; use another BUILDDIR"
after_bin=$builddir/ace-orchestrator
tool=$builddir/bench/core_tool
raw=$builddir/bench/raw_client

# The base: exported from git and built the same way, daemon included, in
# the scratch dir (removed on exit) unless BASE_CACHE names a directory to
# keep it in between runs; run-plan-bench.sh is pointed at the same build.
sha=$(git -C "$srcdir" rev-parse --verify "$base^{commit}")
bdir=${BASE_CACHE:+$BASE_CACHE/$sha}
bdir=${bdir:-$tmp/base}
if [ ! -f "$bdir/build/libace.a" ]; then
	say "building $base ($sha) in $bdir"
	rm -rf "$bdir"
	mkdir -p "$bdir/tree" "$bdir/build"
	git -C "$srcdir" archive "$sha" | tar -x -C "$bdir/tree"
	(cd "$bdir/tree" && quiet autoreconf -fi)
	(cd "$bdir/build" && quiet ../tree/configure CFLAGS="-O2 -g")
fi
quiet make -C "$bdir/build" -j"$jobs" libace.a ace-orchestrator
before_bin=$bdir/build/ace-orchestrator
bin_of() { if [ "$1" = before ]; then echo "$before_bin"; else echo "$after_bin"; fi; }

short_base=$(git -C "$srcdir" rev-parse --short "$sha")
here=$(git -C "$srcdir" rev-parse --short HEAD)
dirty=$(git -C "$srcdir" status --porcelain --untracked-files=no | grep -q . && echo "+changes" || true)

wants() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }
docker_needed=0
for s in flip edit converge idle; do wants $s && docker_needed=1; done
if [ $docker_needed = 1 ]; then
	docker info >/dev/null 2>&1 || die "no Docker daemon answers (sections: $sections)"
fi

# ---- fleets of stand-in VPNs --------------------------------------------------

# fleet_yaml VER INST BASE RS MIN STOP_DELAY STOP_TIMEOUT PROBE DOCKER [TUNED]:
# two stand-in VPNs $INST-v1 (ports BASE..BASE+RS-1, control BASE+90) and
# $INST-v2 (the next RS ports, control BASE+91), API on BASE+95. The env is
# given in full so both trees run ace-test/engine:latest alike (the base's
# default env predates it). TUNED=1 shortens the flap damping of the new
# tree (recover_after 1s, failover_after 10m) so flips can be repeated; the
# base has neither key. No engine restart on reconnect: the point is the
# hiding, not 8-s restarts.
fleet_yaml() {
	fy_b=$3 fy_rs=$4
	cat <<EOF
version: 1
instance: $2
docker:
  host: $9
engine:
  image: ace-test/engine:latest
  name_prefix: $2
  stop_timeout: $7
  health: {interval: $8}
  env:
    HTTP_PORT: "{http_port}"
    HTTPS_PORT: "{https_port}"
    BIND_ALL: "true"
    P2P_PORT: "{p2p_port}"
EOF
	[ -z "$6" ] || printf '    ACE_FIXTURE_STOP_DELAY: "%s"\n' "$6"
	cat <<EOF
replicas: {min: $5, max: $((2 * fy_rs)), min_free: 0}
vpns:
  - name: $2-v1
    ports: $fy_b-$((fy_b + fy_rs - 1))
    host: 127.0.0.1
    api: http://127.0.0.1:$((fy_b + 90))
  - name: $2-v2
    ports: $((fy_b + fy_rs))-$((fy_b + 2 * fy_rs - 1))
    host: 127.0.0.1
    api: http://127.0.0.1:$((fy_b + 91))
api:
  listen: 127.0.0.1:$((fy_b + 95))
health:
  restart_engines_on_reconnect: false
  vpn_restart_after: 0
EOF
	if [ "$1" = after ] && [ "${10:-0}" = 1 ]; then
		printf '  recover_after: 1s\n  failover_after: 10m\n'
	fi
}

# write_cfg FILE: stdin -> FILE by rename, as an editor does.
write_cfg() {
	cat >"$1.new"
	mv -f "$1.new" "$1"
}

vpn_health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null; }
vpn_is() { [ "$(vpn_health "$1")" = "$2" ]; }

# start_vpns INST BASE RS
start_vpns() {
	for k in 1 2; do
		sv_lo=$(($2 + (k - 1) * $3))
		docker run -d --name "$1-v$k" --label "acestream.test=$id" \
			-p "127.0.0.1:$(($2 + 89 + k)):8000" \
			-p "127.0.0.1:$sv_lo-$((sv_lo + $3 - 1)):$sv_lo-$((sv_lo + $3 - 1))" \
			ace-test/gluetun:latest >/dev/null
	done
	wait_until 60 vpn_is "$1-v1" healthy && wait_until 60 vpn_is "$1-v2" healthy ||
		die "stand-in VPNs of $1 not healthy"
}

# ensure_vpns INST BASE RS: started unless they already run.
ensure_vpns() {
	docker inspect "$1-v1" "$1-v2" >/dev/null 2>&1 || start_vpns "$@"
}
drop_vpns() {
	lock
	docker rm -f "$1-v1" "$1-v2" >/dev/null 2>&1 || true
	unlock
}

engine_ids() { docker ps -aq --filter "label=acestream.orchestrator=$1"; }
running() { docker ps -q --filter "label=acestream.orchestrator=$1" --filter status=running | grep -c . || true; }
total() { engine_ids "$1" | grep -c . || true; }
remove_engines() {
	re_ids=$(engine_ids "$1")
	# shellcheck disable=SC2086 # a list of IDs
	[ -z "$re_ids" ] || docker rm -f $re_ids >/dev/null 2>&1 || true
	wait_until 60 total_is "$1" -eq 0 || true
}
visible() { "$tool" count "$1" ${2:+"$2"}; }
# Predicates for wait_until (its arguments are expanded once, so a count
# must be taken inside the predicate).
total_is() { [ "$(total "$1")" "$2" "$3" ]; }          # INST OP N
visible_ge() { [ "$(visible "$1" "$2")" -ge "$3" ]; }   # URL VPN|"" N
lines_ge() { [ "$(grep -c . "$1")" -ge "$2" ]; }        # FILE N
# converged INST N URL: N engines, all running, all listed by /engines.
converged() {
	[ "$(total "$1")" -eq "$2" ] && [ "$(running "$1")" -eq "$2" ] &&
		[ "$(visible "$3")" -eq "$2" ]
}
wait_converged() {
	wait_until "${4:-180}" converged "$1" "$2" "$3" || {
		say "not converged: $1 wants $2; $(total "$1") engines, $(running "$1") running, $(visible "$3") listed"
		return 1
	}
	# Passes that acted are followed by a check pass about a second later:
	# let it run, so the next measurement starts from an idle daemon.
	sleep 2
}

daemon_start() { # VER CFG LOG
	bg "$(bin_of "$1")" run -c "$2" --log-level "$log_level" >>"$3" 2>&1 </dev/null
	dpid=$bg_pid
}

# median of the numbers on stdin; "median|min|max|n"
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-|-|-|0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s|%s|%s|%d\n", m, v[1], v[NR], NR }'
}
median() { stats | cut -d'|' -f1; }
# med FILE: the median of the samples in FILE, "-" when there is none.
med() { if [ -s "$1" ]; then median <"$1"; else echo -; fi; }
samples() { tr '\n' ' ' <"$1" | sed 's/ $//'; }

# ratio A B: A / B as "N.NNx", "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 <= 0) { print "-"; exit }
		r = a / b
		if (r < 0.1) printf "%.2gx", r; else printf "%.2fx", r }'
}
# row LABEL BEFORE AFTER TARGET [RATIO]: ratio after/before unless given.
row() {
	r_ratio=${5:-$(ratio "$3" "$2")}
	printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$r_ratio" "$4" >>"$rows"
}
detail() { printf '%s\n' "$*" >>"$details"; }

# ---- 1. health flip -> hidden --------------------------------------------------

# flip_once INST BASE OUT: flips $INST-v1 unhealthy, appends the ms from
# Docker's health_status event to the first /engines without its engines.
flip_once() {
	fo_since=$(now_s)
	fo_out=$("$tool" hidden "http://127.0.0.1:$(($2 + 95))/engines" "$1-v1" \
		--flip "http://127.0.0.1:$(($2 + 90))" --timeout 90) || { say "flip: no answer"; return 1; }
	fo_hidden=$(echo "$fo_out" | awk '{ print $2 }')
	wait_until 10 vpn_is "$1-v1" unhealthy || true
	fo_ev=$(docker events --since "$fo_since" --until "$(now_s)" --filter "container=$1-v1" \
		--filter event=health_status --format '{{.TimeNano}} {{.Action}}' |
		awk '/unhealthy/ { print $1; exit }')
	[ -n "$fo_ev" ] || { say "flip: no health_status event"; return 1; }
	ms_between "$fo_ev" "$fo_hidden" >>"$3"
	echo >>"$3"
}

# unflip INST BASE N_V1: healthy again, its engines listed again.
unflip() {
	curl -fsS -X PUT -d '{"healthy":true}' "http://127.0.0.1:$(($2 + 90))/test/health" >/dev/null
	wait_until 30 vpn_is "$1-v1" healthy || die "$1-v1 not healthy again"
	wait_until 120 visible_ge "http://127.0.0.1:$(($2 + 95))/engines" "$1-v1" "$3" ||
		die "engines of $1-v1 not listed again"
}

section_flip() {
	inst=$id-flip b=36000 url=http://127.0.0.1:36095/engines
	cfg=$tmp/flip.yaml
	for ver in $versions; do
		lock
		say "flip: $ver"
		ensure_vpns "$inst" $b 5
		fleet_yaml $ver "$inst" $b 5 8 8 10s 2s unix:///var/run/docker.sock 1 | write_cfg "$cfg"
		daemon_start $ver "$cfg" "$tmp/flip-$ver.log"
		wait_converged "$inst" 8 "$url" || die "flip: $ver did not converge (log $tmp/flip-$ver.log)"
		: >"$tmp/flip-idle-$ver"
		i=0
		while [ $i -lt "$flips" ]; do
			flip_once "$inst" $b "$tmp/flip-idle-$ver" || die "flip: $ver idle flip failed"
			unflip "$inst" $b 4
			# Idle again: whatever the flip made it move has settled.
			wait_converged "$inst" 8 "$url" || die "flip: $ver did not settle"
			i=$((i + 1))
		done
		: >"$tmp/flip-mid-$ver"
		i=0
		while [ $i -lt "$midpass" ]; do
			# The pass has begun once Docker signals the first engine.
			: >"$tmp/kills"
			bg sh -c 'exec docker events --since "$1" --filter "label=acestream.orchestrator=$2" \
				--filter event=kill --format "{{.TimeNano}}" >"$3"' sh "$(now_s)" "$inst" "$tmp/kills"
			kpid=$bg_pid
			fleet_yaml $ver "$inst" $b 5 2 8 10s 2s unix:///var/run/docker.sock 1 | write_cfg "$cfg"
			wait_until 60 test -s "$tmp/kills" || die "flip: $ver never stopped an engine"
			flip_once "$inst" $b "$tmp/flip-mid-$ver" || die "flip: $ver mid-pass flip failed"
			first_kill=$(head -n 1 "$tmp/kills")
			last=$(tail -n 1 "$tmp/flip-mid-$ver")
			detail "flip mid-pass $ver: unhealthy $(ms_between "$first_kill" "$fo_ev") ms after the pass sent its first SIGTERM; hidden $last ms later"
			stop "$kpid"
			unflip "$inst" $b 1
			wait_until 90 total_is "$inst" -eq 2 || die "flip: $ver scale-down did not finish"
			# How long the pass was busy stopping engines: the flip
			# must have landed inside it.
			last_die=$(docker events --since "$(awk -v n="$first_kill" 'BEGIN { printf "%.9f", n / 1e9 }')" \
				--until "$(now_s)" --filter "label=acestream.orchestrator=$inst" --filter event=die \
				--format '{{.TimeNano}}' | sort -n | tail -n 1)
			detail "flip mid-pass $ver: the last engine stopped $(ms_between "$first_kill" "${last_die:-$first_kill}") ms after the first SIGTERM"
			fleet_yaml $ver "$inst" $b 5 8 8 10s 2s unix:///var/run/docker.sock 1 | write_cfg "$cfg"
			wait_converged "$inst" 8 "$url" || die "flip: $ver did not scale back"
			i=$((i + 1))
		done
		stop "$dpid"
		remove_engines "$inst"
		unlock
		detail "flip idle $ver (ms): $(samples "$tmp/flip-idle-$ver")"
		detail "flip mid-pass $ver (ms): $(samples "$tmp/flip-mid-$ver")"
	done
	drop_vpns "$inst"
	row "1a health flip -> hidden, idle (median of $flips, ms)" \
		"$(med "$tmp/flip-idle-before")" "$(med "$tmp/flip-idle-after")" "<= 200 ms"
	row "1b health flip -> hidden, mid-pass 8->2, 8 s stops (median of $midpass, ms)" \
		"$(med "$tmp/flip-mid-before")" "$(med "$tmp/flip-mid-after")" "<= 200 ms"
}

# ---- 2. config edit -> first Docker write ---------------------------------------

# edit_once INST CFG HOW(rename|write) NEWCFG OUT
edit_once() {
	eo_since=$(now_s)
	eo_done=$("$tool" "$3" "$4" "$2" | awk '{ print $2 }')
	wait_until 60 total_is "$1" -ge 4 || { say "edit: no create"; return 1; }
	eo_ev=$(docker events --since "$eo_since" --until "$(now_s)" \
		--filter "label=acestream.orchestrator=$1" --filter event=create \
		--format '{{.TimeNano}}' | sort -n | head -n 1)
	[ -n "$eo_ev" ] || { say "edit: no create event"; return 1; }
	ms_between "$eo_done" "$eo_ev" >>"$5"
	echo >>"$5"
}

section_edit() {
	inst=$id-edit b=36000 url=http://127.0.0.1:36095/engines
	cfg=$tmp/edit.yaml
	for ver in $versions; do
		lock
		say "edit: $ver"
		ensure_vpns "$inst" $b 5
		fleet_yaml $ver "$inst" $b 5 2 "" 1s 2s unix:///var/run/docker.sock 1 | write_cfg "$cfg"
		daemon_start $ver "$cfg" "$tmp/edit-$ver.log"
		wait_converged "$inst" 2 "$url" || die "edit: $ver did not converge"
		for how in rename write; do
			: >"$tmp/edit-$how-$ver"
			i=0
			while [ $i -lt "$edits" ]; do
				fleet_yaml $ver "$inst" $b 5 4 "" 1s 2s unix:///var/run/docker.sock 1 >"$tmp/edit-up.yaml"
				edit_once "$inst" "$cfg" $how "$tmp/edit-up.yaml" "$tmp/edit-$how-$ver" ||
					die "edit: $ver $how failed"
				wait_converged "$inst" 4 "$url" || die "edit: $ver did not scale up"
				fleet_yaml $ver "$inst" $b 5 2 "" 1s 2s unix:///var/run/docker.sock 1 | write_cfg "$cfg"
				wait_converged "$inst" 2 "$url" || die "edit: $ver did not scale down"
				i=$((i + 1))
			done
			detail "edit $how $ver (ms): $(samples "$tmp/edit-$how-$ver")"
		done
		stop "$dpid"
		remove_engines "$inst"
		unlock
	done
	drop_vpns "$inst"
	row "2a config rename -> first create (median of $edits, ms)" \
		"$(med "$tmp/edit-rename-before")" "$(med "$tmp/edit-rename-after")" "<= 100 ms"
	row "2b config in-place write -> first create (median of $edits, ms)" \
		"$(med "$tmp/edit-write-before")" "$(med "$tmp/edit-write-after")" "debounce 200 ms"
}

# ---- 3. plan_compute ------------------------------------------------------------

section_plan() {
	say "plan: run-plan-bench.sh (base $base, converged fleets, ${plan_budget}s per case)"
	BASE=$base BASE_BUILD=$bdir BUDGET=$plan_budget FLEETS=converged BUILDDIR=$builddir JOBS=$jobs \
		"$srcdir/bench/run-plan-bench.sh" >"$tmp/plan.out" 2>&1 || { cat "$tmp/plan.out" >&2; die "plan bench failed"; }
	# converged  V  N | base_ms this_ms speed-up | base_kib this_kib | actions
	awk -F'|' '$1 ~ /^converged/ {
		split($1, f, " "); split($2, t, " ")
		tgt = (f[2] == 50 && f[3] == 10000) ? "<= 2 ms" : ""
		printf "3  plan_compute, converged, %2d VPNs x %5d engines (ms)|%s|%s|%s|%s\n",
			f[2], f[3], t[1], t[2], sprintf("%.4fx", t[2] / t[1]), tgt
	}' "$tmp/plan.out" >>"$rows"
	detail "plan: $(sed -n 2p "$tmp/plan.out")"
}

# ---- 4. cold convergence --------------------------------------------------------

# converge_once INST N OUT CMD...: starts CMD, appends the seconds from its
# start to the Nth engine start event; CMD is stopped once they all started.
converge_once() {
	co_inst=$1 co_n=$2 co_out=$3
	shift 3
	: >"$tmp/starts"
	bg sh -c 'exec docker events --since "$1" --filter "label=acestream.orchestrator=$2" \
		--filter event=start --format "{{.TimeNano}}" >"$3"' sh "$(now_s)" "$co_inst" "$tmp/starts"
	co_ev=$bg_pid
	sleep 0.5 # the events stream is up before the clock starts
	co_t0=$(now_ns)
	bg "$@"
	co_pid=$bg_pid
	wait_until 300 lines_ge "$tmp/starts" "$co_n" || die "converge: fewer than $co_n starts"
	co_last=$(sort -n "$tmp/starts" | sed -n "${co_n}p")
	stop "$co_pid"
	stop "$co_ev"
	awk -v us=$(((co_last - co_t0) / 1000)) 'BEGIN { printf "%.3f\n", us / 1e6 }' >>"$co_out"
	remove_engines "$co_inst"
}

section_converge() {
	inst=$id-conv b=36100 n=40
	cfg=$tmp/conv.yaml
	lock
	say "converge: stand-in VPNs, the plan of the 40 creates"
	start_vpns "$inst" $b 20
	fleet_yaml after "$inst" $b 20 $n "" 10s 10s unix:///var/run/docker.sock | write_cfg "$cfg"
	"$after_bin" plan --json -c "$cfg" >"$tmp/conv-plan.json" 2>>"$tmp/conv-plan.log" ||
		die "converge: plan failed"
	unlock
	for c in $concs; do : >"$tmp/conv-raw-$c"; done
	: >"$tmp/conv-before"
	: >"$tmp/conv-after"
	r=0
	while [ $r -lt "$reps" ]; do
		for who in $(echo "$versions" | tr ' ' '\n' | sort -r) $concs; do
			lock
			case $who in
			before | after)
				say "converge: $who daemon (round $((r + 1)) of $reps)"
				fleet_yaml $who "$inst" $b 20 $n "" 10s 10s unix:///var/run/docker.sock >"$tmp/conv-$who.yaml"
				converge_once "$inst" $n "$tmp/conv-$who" \
					sh -c 'exec "$1" run -c "$2" >>"$3" 2>&1' sh "$(bin_of $who)" \
					"$tmp/conv-$who.yaml" "$tmp/conv-$who.log"
				;;
			*)
				say "converge: raw client, concurrency $who (round $((r + 1)) of $reps)"
				converge_once "$inst" $n "$tmp/conv-raw-$who" \
					sh -c 'exec "$1" "$2" -c "$3" >>"$4" 2>&1' sh "$raw" "$tmp/conv-plan.json" \
					"$who" "$tmp/conv-raw.log"
				;;
			esac
			unlock
		done
		r=$((r + 1))
	done
	lock
	docker rm -f "$inst-v1" "$inst-v2" >/dev/null
	unlock
	best= best_c=
	for c in $concs; do
		m=$(med "$tmp/conv-raw-$c")
		detail "converge raw client c=$c (s): $(samples "$tmp/conv-raw-$c") -> median $m"
		if [ -z "$best" ] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$m best_c=$c
		fi
	done
	mb=$(med "$tmp/conv-before")
	ma=$(med "$tmp/conv-after")
	detail "converge daemon before (s): $(samples "$tmp/conv-before")"
	detail "converge daemon after (s): $(samples "$tmp/conv-after")"
	row "4a cold convergence, 40 engines: daemon (median of $reps, s)" "$mb" "$ma" ""
	row "4b same creates+starts, raw client at best concurrency $best_c (s)" "$best" "$best" "" "-"
	row "4c daemon / raw client" "$(ratio "$mb" "$best")" "$(ratio "$ma" "$best")" "<= 1.05x" "-"
}

# ---- 5. idle cost -----------------------------------------------------------------

# Context switches of all the threads of PID: "voluntary involuntary".
ctxt() {
	cat /proc/"$1"/task/*/status 2>/dev/null | awk '
		/^voluntary_ctxt_switches/ { v += $2 }
		/^nonvoluntary_ctxt_switches/ { n += $2 }
		END { print v + 0, n + 0 }'
}
# CPU time of PID in clock ticks (utime + stime, all threads).
cputicks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
proxy_count() { # KEY of the proxy's stats
	kill -USR1 "$proxy_pid"
	sleep 0.3
	"$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$tmp/proxy.json" "$1"
}
metric() { # NAME from the daemon's /metrics (the new tree only)
	curl -fsS "$1" 2>/dev/null | awk -v m="$2" '$1 == m { print $2 }'
}
# quiet_for SECONDS: no Docker write through the proxy for that long.
quiet_for() {
	qf_w=$(proxy_count writes)
	sleep "$1"
	[ "$(proxy_count writes)" = "$qf_w" ]
}

# per_min FROM TO [FACTOR]: (TO - FROM) * FACTOR per minute of the window.
per_min() {
	awk -v a="$1" -v b="$2" -v s="$idle_s" "BEGIN { printf \"%.0f\", (b - a) * ${3:-1} * 60 / s }"
}

section_idle() {
	inst=$id-idle b=36100 n=40 url=http://127.0.0.1:36195/engines
	cfg=$tmp/idle.yaml
	hz=$(getconf CLK_TCK)
	for v in before after; do
		eval "wake_$v=- invol_$v=- req_$v=- cpu_$v=- metric_$v=-"
	done
	for ver in $versions; do
		lock
		say "idle: $ver (converge $n engines through the counting proxy, then ${idle_s}s)"
		ensure_vpns "$inst" $b 20
		rm -f "$tmp/proxy.sock" "$tmp/proxy.ready"
		bg "$PYTHON3" "$srcdir/bench/fake_docker.py" proxy --socket "$tmp/proxy.sock" \
			--stats "$tmp/proxy.json" --ready "$tmp/proxy.ready"
		proxy_pid=$bg_pid
		wait_until 30 test -s "$tmp/proxy.ready" || die "idle: proxy did not start"
		# The defaults of a real deployment: probes every 10s, VPNs
		# checked every 5s, ports every 10s, a full resync every 60s.
		fleet_yaml $ver "$inst" $b 20 $n "" 10s 10s "unix://$tmp/proxy.sock" | write_cfg "$cfg"
		daemon_start $ver "$cfg" "$tmp/idle-$ver.log"
		wait_converged "$inst" $n "$url" || die "idle: $ver did not converge"
		wait_until 120 quiet_for 5 || die "idle: $ver keeps writing to Docker"
		sleep 5
		set -- $(ctxt "$dpid")
		v0=$1 n0=$2
		c0=$(cputicks "$dpid")
		r0=$(proxy_count requests)
		m0=$(metric "http://127.0.0.1:36195/metrics" orch_docker_requests_total)
		th0=$(ls /proc/"$dpid"/task | wc -l)
		sleep "$idle_s"
		set -- $(ctxt "$dpid")
		v1=$1 n1=$2
		c1=$(cputicks "$dpid")
		r1=$(proxy_count requests)
		m1=$(metric "http://127.0.0.1:36195/metrics" orch_docker_requests_total)
		th1=$(ls /proc/"$dpid"/task | wc -l)
		kill -USR1 "$proxy_pid"
		sleep 0.3
		detail "idle $ver: threads $th0 -> $th1; voluntary $v0 -> $v1, involuntary $n0 -> $n1;" \
			"cpu ticks $c0 -> $c1 (${hz}/s); proxy requests $r0 -> $r1;" \
			"orch_docker_requests_total ${m0:--} -> ${m1:--}; by route at the end: $(cat "$tmp/proxy.json")"
		x=$(per_min "$v0" "$v1") && eval "wake_$ver=\$x"
		x=$(per_min "$n0" "$n1") && eval "invol_$ver=\$x"
		x=$(per_min "$r0" "$r1") && eval "req_$ver=\$x"
		x=$(per_min "$c0" "$c1" "1000 / $hz") && eval "cpu_$ver=\$x"
		x=-
		[ -z "$m0" ] || [ -z "$m1" ] || x=$(per_min "$m0" "$m1")
		eval "metric_$ver=\$x"
		stop "$dpid"
		stop "$proxy_pid"
		remove_engines "$inst"
		unlock
	done
	drop_vpns "$inst"
	row "5a idle, 40 engines: wake-ups/min (voluntary ctx switches, all threads)" "$wake_before" "$wake_after" ""
	row "5b idle: involuntary ctx switches/min" "$invol_before" "$invol_after" ""
	row "5c idle: Docker requests/min (counting proxy)" "$req_before" "$req_after" ""
	row "5d idle: Docker requests/min (orch_docker_requests_total)" "$metric_before" "$metric_after" "" \
		"$( [ "$metric_before" = - ] && echo "no metric before" || echo -)"
	row "5e idle: CPU ms/min" "$cpu_before" "$cpu_after" ""
}

# ---- 6. private memory at 1,000 engines --------------------------------------------

private_kib() { awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' /proc/"$1"/smaps_rollup; }

section_memory() {
	inst=$id-mem ne=$mem_engines
	half=$((ne / 2))
	[ "$half" -le 500 ] || die "memory: MEM_ENGINES must be <= 1000 (ports 36000-36999)"
	sock=$tmp/fake-docker.sock
	api=127.0.0.2:36001
	mem_before=- mem_after=- seen_before=- seen_after=- writes_before=- writes_after=-
	for ver in $versions; do
		say "memory: $ver at $ne engines (fake Docker, no lock needed)"
		cfg=$tmp/mem-$ver.yaml
		# Engines on 127.0.0.1:36000-36999; the control servers and the
		# API on 127.0.0.2, which the engines' range does not use.
		cat >"$cfg" <<EOF
version: 1
instance: $inst
docker:
  host: unix://$sock
engine:
  image: ace-test/engine:latest
  name_prefix: $inst
  env:
    HTTP_PORT: "{http_port}"
    HTTPS_PORT: "{https_port}"
    BIND_ALL: "true"
    P2P_PORT: "{p2p_port}"
replicas: {min: $ne, max: $ne, min_free: 0}
vpns:
  - name: $inst-v1
    ports: 36000-$((36000 + half - 1))
    host: 127.0.0.1
    api: http://127.0.0.2:36500
  - name: $inst-v2
    ports: 36500-$((36500 + ne - half - 1))
    host: 127.0.0.1
    api: http://127.0.0.2:36000
api:
  listen: $api
EOF
		vpn_args="--vpn $inst-v1=127.0.0.2:36500 --vpn $inst-v2=127.0.0.2:36000"
		# First without engines: the daemon's own plan says what they
		# are (names, labels, acestream.config_hash, network modes).
		rm -f "$tmp/fake.ready"
		# shellcheck disable=SC2086 # vpn_args is a word list
		bg "$PYTHON3" "$srcdir/bench/fake_docker.py" fleet --socket "$sock" $vpn_args --ready "$tmp/fake.ready"
		fpid=$bg_pid
		wait_until 30 test -s "$tmp/fake.ready" || die "memory: fake Docker did not start"
		"$(bin_of $ver)" plan --json -c "$cfg" >"$tmp/mem-plan-$ver.json" 2>"$tmp/mem-plan-$ver.log" ||
			die "memory: plan failed ($ver)"
		stop "$fpid"
		rm -f "$tmp/fake.ready"
		# shellcheck disable=SC2086
		bg "$PYTHON3" "$srcdir/bench/fake_docker.py" fleet --socket "$sock" $vpn_args \
			--plan "$tmp/mem-plan-$ver.json" --stats "$tmp/fake.json" --ready "$tmp/fake.ready"
		fpid=$bg_pid
		wait_until 120 test -s "$tmp/fake.ready" || die "memory: fake fleet did not start"
		daemon_start $ver "$cfg" "$tmp/mem-$ver.log"
		wait_until 120 visible_ge "http://$api/engines" "" "$ne" || true
		seen=$(visible "http://$api/engines")
		# Steady state: two more probe rounds (every 10 s by default),
		# with /engines and /metrics served once, as a proxy would.
		curl -fsS "http://$api/engines" >/dev/null || true
		curl -fsS "http://$api/metrics" >/dev/null || true
		peak=0
		for s in $(seq 1 25); do
			k=$(private_kib "$dpid")
			[ "$k" -gt "$peak" ] && peak=$k
			sleep 1
		done
		kib=$(private_kib "$dpid")
		rss=$(awk '/^Rss:/ { print $2 }' /proc/"$dpid"/smaps_rollup)
		# Where it is: private KiB by kind of mapping (the [heap], other
		# anonymous maps such as malloc's thread arenas and stacks, files).
		where=$(awk '
			/^[0-9a-f]+-[0-9a-f]+ / { k = $6 == "" ? "anon" : $6 ~ /^\[/ ? $6 : "files" }
			/^Private_(Clean|Dirty):/ { s[k] += $2 }
			END { for (k in s) if (s[k] >= 256) printf "%s %d KiB; ", k, s[k] }' /proc/"$dpid"/smaps)
		threads=$(ls /proc/"$dpid"/task | wc -l)
		stop "$dpid"
		stop "$fpid"
		writes=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["writes"])' "$tmp/fake.json")
		detail "memory $ver: private $kib KiB (peak $peak KiB over 25 s), Rss $rss KiB, $threads threads;" \
			"by mapping: $where" \
			"/engines listed $seen of $ne; Docker writes attempted: $writes; fake Docker: $(cat "$tmp/fake.json")"
		x=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
		eval "mem_$ver=\$x seen_$ver=\$seen writes_$ver=\$writes"
	done
	row "6  private memory at $ne engines, -O2 no sanitizers (MB)" "$mem_before" "$mem_after" "<= 4 MB"
	detail "memory: /engines listed $seen_before (before) and $seen_after (after) of $ne;" \
		"Docker writes attempted $writes_before (before), $writes_after (after)"
}

# ---- run ---------------------------------------------------------------------

load0=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
for s in flip edit plan converge idle memory; do
	wants $s || continue
	"section_$s"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memt=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
dv=$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo none)
echo "ace-orchestrator core benchmark (issue 9): before = $base ($short_base), after = $here$dirty"
echo "machine: $(nproc) CPUs ($cpu), $memt, Linux $(uname -r), Docker $dv;" \
	"load average $load0 at start, $load1 at end; $(($(date +%s) - t_start)) s"
awk -F'|' '
	{ l[NR] = $1; b[NR] = $2; a[NR] = $3; r[NR] = $4; t[NR] = $5 }
	END {
		w = 0
		for (i = 1; i <= NR; i++) if (length(l[i]) > w) w = length(l[i])
		printf "%-" w "s | %10s | %10s | %12s | %s\n", "measure", "before", "after", "after/before", "target"
		for (i = 1; i <= NR; i++)
			printf "%-" w "s | %10s | %10s | %12s | %s\n", l[i], b[i], a[i], r[i], t[i]
	}' "$rows"
echo
echo "samples and notes:"
sed 's/^/  /' "$details"
