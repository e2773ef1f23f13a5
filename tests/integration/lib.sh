# lib.sh - shared helpers of the scenario tests against a real Docker daemon:
# stand-in VPNs, config writes by rename, waits, assertions, cleanup.
# Sourced by tests/integration/scenario_*.sh; each scenario calls it_init NAME.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${ACE:=$top_builddir/ace-orchestrator}"

it_passed=0
it_failed=0
it_pids=""

it_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# it_init NAME: skips (77) without Docker, builds the images, sets up a
# scratch dir, a unique instance name and the cleanup trap.
it_init() {
	it_name=$1
	if [ "${ACE_SKIP_DOCKER:-}" = 1 ]; then
		echo "SKIP: $it_name: ACE_SKIP_DOCKER=1" >&2
		exit 77
	fi
	if ! docker info >/dev/null 2>&1; then
		echo "################################################################" >&2
		echo "SKIP: $it_name: no Docker daemon answers; integration test NOT run" >&2
		echo "################################################################" >&2
		exit 77
	fi
	"$top_srcdir/tests/fixtures/build-images.sh" >/dev/null || { echo "cannot build fixture images" >&2; exit 99; }
	it_id="it-$it_name-$$"
	it_dir=$(mktemp -d "${TMPDIR:-/tmp}/ace-$it_name.XXXXXX")
	it_cfg=$it_dir/orchestrator.yaml
	it_daemon_log=$it_dir/daemon.log
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
	it_log "scenario $it_name (instance $it_id, dir $it_dir)"
}

it_cleanup() {
	rc=$?
	for p in $it_pids; do kill -9 "$p" 2>/dev/null; done
	# The lease's containers too: a daemon killed here (kill -9) leaves them.
	ids=$(docker ps -aq --filter "label=acestream.orchestrator=$it_id"; docker ps -aq --filter "label=acestream.test=$it_id"
	      docker ps -aq --filter "label=acestream.lease=$it_id")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	# Private Docker daemons (dockerd2.sh) go too, with their containers.
	type d2_cleanup_all >/dev/null 2>&1 && d2_cleanup_all
	if [ "$it_failed" -ne 0 ] || [ "$rc" -ne 0 ]; then
		[ -f "$it_daemon_log" ] && { echo "--- daemon log (last 80 lines) ---"; tail -n 80 "$it_daemon_log"; }
	fi
	rm -rf "$it_dir"
	echo "$it_name: $it_passed passed, $it_failed failed"
	if [ "$rc" -eq 0 ] && [ "$it_failed" -ne 0 ]; then rc=1; fi
	exit "$rc"
}

ok() { it_passed=$((it_passed + 1)); it_log "ok: $*"; }
not_ok() { it_failed=$((it_failed + 1)); it_log "FAIL: $*"; }

# check DESCRIPTION CMD...: runs CMD, counts the result.
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# eq DESCRIPTION GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

# wait_for SECONDS CMD...: polls CMD every 0.25 s; 0 when it succeeded in time.
wait_for() {
	deadline=$(( $(date +%s) + $1 )); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.25
	done
}

# start_vpn NAME CTRL_PORT RANGE [docker run args...]: a stand-in Gluetun that
# publishes RANGE (LO-HI) and its control server on 127.0.0.1:CTRL_PORT.
start_vpn() {
	name=$1 ctrl=$2 range=$3; shift 3
	docker run -d --name "$name" --label "acestream.test=$it_id" \
		-p "127.0.0.1:$ctrl:8000" -p "127.0.0.1:$range:$range" "$@" \
		ace-test/gluetun:latest >/dev/null
}

vpn_health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null; }
vpn_healthy() { [ "$(vpn_health "$1")" = healthy ]; }
wait_vpn_healthy() { wait_for "${2:-30}" vpn_healthy "$1"; }

# set_vpn_health CTRL_PORT true|false
set_vpn_health() {
	curl -fsS -X PUT -d "{\"healthy\":$2}" "http://127.0.0.1:$1/test/health" >/dev/null
}
# set_fwd_port CTRL_PORT PORT
set_fwd_port() {
	curl -fsS -X PUT -d "{\"ports\":[$2]}" "http://127.0.0.1:$1/v1/portforward" >/dev/null
}

# write_config: stdin -> $it_cfg, by rename like an editor or git checkout.
write_config() {
	cat > "$it_cfg.tmp"
	mv -f "$it_cfg.tmp" "$it_cfg"
}

# Engines of this instance: "name port vpn forwarded p2p state" lines, sorted;
# vpn is "-" when the engine has none, so the columns never shift.
engines() {
	docker ps -a --filter "label=acestream.orchestrator=$it_id" \
		--format '{{.Names}} {{.Label "acestream.http_port"}} {{with .Label "acestream.vpn_container"}}{{.}}{{else}}-{{end}} {{.Label "acestream.forwarded"}} {{.Label "acestream.p2p_port"}} {{.State}}' | sort
}
engine_count() { engines | grep -c . ; }
running_count() { engines | awk '$6 == "running"' | grep -c . ; }
count_on_vpn() { engines | awk -v v="$1" '$3 == v && $6 == "running"' | grep -c . ; }
forwarded_on_vpn() { engines | awk -v v="$1" '$3 == v && $4 == "true"' | grep -c . ; }

# engine_info PORT: the stand-in engine's own view, through the published port.
engine_info() { curl -fsS -m 2 "http://127.0.0.1:$1/fixture/info"; }
engine_p2p() { engine_info "$1" | sed -n 's/.*"p2p_port":\([0-9]*\).*/\1/p'; }
engine_reachable() { curl -fsS -m 2 "http://127.0.0.1:$1/server/api?api_version=3&method=get_status" >/dev/null; }

# start_daemon: `run` in the background, logging to $it_daemon_log.
start_daemon() {
	"$ACE" run -c "$it_cfg" --log-level debug >>"$it_daemon_log" 2>&1 &
	it_daemon_pid=$!
	it_pids="$it_pids $it_daemon_pid"
}
stop_daemon() {
	kill -TERM "$it_daemon_pid" 2>/dev/null
	wait "$it_daemon_pid" 2>/dev/null
	it_daemon_rc=$?
}

# docker_writes_since TS: create/start/stop/restart/destroy events of this
# instance's containers since TS (docker events --since, until now).
docker_writes_since() {
	docker events --since "$1" --until "$(date +%s.%N)" \
		--filter "label=acestream.orchestrator=$it_id" \
		--filter event=create --filter event=start --filter event=stop \
		--filter event=restart --filter event=destroy --filter event=kill \
		--format '{{.Action}} {{.Actor.Attributes.name}}' | grep -c .
}

# two_vpn_config BASE MIN [MAX] [MIN_FREE] [EXTRA_ENV_VALUE]: a fleet over
# two stand-in VPNs: $it_id-v1 publishes BASE..BASE+4 (control BASE+90),
# $it_id-v2 publishes BASE+10..BASE+14 (control BASE+91). RANGE_SIZE and
# V2_OFFSET (default 5 and 10) make the ranges larger. The engines get the
# default preset's env (what ace-test/engine:latest, like the real image,
# reads) plus EXTRA, which drift tests change.
two_vpn_config() {
	b=$1 min=$2 max=${3:-10} minfree=${4:-0} extra=${5:-}
	rs=${RANGE_SIZE:-5} off=${V2_OFFSET:-10}
	cat <<EOF2
version: 1
instance: $it_id
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
  env:
    EXTRA: "$extra"
replicas: {min: $min, max: $max, min_free: $minfree}
vpns:
  - name: $it_id-v1
    ports: $b-$((b + rs - 1))
    host: 127.0.0.1
    api: http://127.0.0.1:$((b + 90))
  - name: $it_id-v2
    ports: $((b + off))-$((b + off + rs - 1))
    host: 127.0.0.1
    api: http://127.0.0.1:$((b + 91))
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: ${VPN_RESTART_AFTER:-0}
  vpn_restart_backoff_max: 8s
api:
  listen: 127.0.0.1:$((b + 95))
${API_KEY_FILE:+  api_key_file: $API_KEY_FILE}
EOF2
}

# start_two_vpns BASE [FWD1 FWD2]: both stand-in VPNs, healthy.
start_two_vpns() {
	b=$1 rs=${RANGE_SIZE:-5} off=${V2_OFFSET:-10}
	start_vpn "$it_id-v1" $((b + 90)) "$b-$((b + rs - 1))" -e "FORWARDED_PORT=${2:-0}"
	start_vpn "$it_id-v2" $((b + 91)) "$((b + off))-$((b + off + rs - 1))" -e "FORWARDED_PORT=${3:-0}"
	wait_vpn_healthy "$it_id-v1" && wait_vpn_healthy "$it_id-v2"
}

# cond 'SHELL EXPRESSION': evaluated in this shell, so the helpers above can
# be used in wait_for/check conditions.
cond() { eval "$1"; }

# --- the fault-injecting Docker proxy (tests/fixtures/README.md) -----------
# start_faultproxy [ARGS...]: tests/fixtures/docker-faultproxy in front of the
# real Docker socket, data on $fp_sock (point docker.host at
# unix://$fp_sock), control on $fp_ctl; ARGS go to the proxy (--tcp PORT,
# --seed N). Its stderr (ASan reports included) goes to $fp_log.
start_faultproxy() {
	fp_sock=$it_dir/docker.sock fp_ctl=$it_dir/faultproxy.ctl fp_log=$it_dir/faultproxy.log
	fp_up=${DOCKER_HOST:-unix:///var/run/docker.sock}
	"$top_builddir/tests/fixtures/docker-faultproxy" --listen "$fp_sock" --control "$fp_ctl" \
		--upstream "${fp_up#unix://}" "$@" 2>>"$fp_log" &
	fp_pid=$!
	it_pids="$it_pids $fp_pid"
	wait_for 10 test -S "$fp_ctl"
}
# fp_ctl_req METHOD PATH: one control request; prints the answer.
fp_ctl_req() { curl -fsS -m 5 --unix-socket "$fp_ctl" -X "$1" "http://faultproxy$2"; }
# set_fault 'path=GLOB&action=A[&delay=MS&code=N&bytes=N&prob=P&count=N&method=M]':
# adds a rule; sets fp_rule to its id.
set_fault() {
	fp_rule=$(fp_ctl_req POST "/faults?$1" | sed -n 's/^id=\([0-9]*\) .*/\1/p')
	[ -n "$fp_rule" ]
}
clear_faults() { fp_ctl_req DELETE /faults >/dev/null; }
# fault_hits [ID]: how often rule ID (default: the last set) fired.
fault_hits() { fp_ctl_req GET /faults | sed -n "s/^id=${1:-$fp_rule} .* hits=\([0-9]*\)\$/\1/p"; }
# fault_stat NAME: one counter of GET /stats (requests, forwarded, injected,
# delayed, connections, stalled, ...).
fault_stat() { fp_ctl_req GET /stats | awk -v k="$1" '$1 == k { print $2 }'; }
# fault_down / fault_up: Docker "stopped" (socket gone) and back.
fault_down() { fp_ctl_req POST /down >/dev/null; }
fault_up() { fp_ctl_req POST /up >/dev/null; }
# fault_drop: closes every open connection (the events stream too), as a
# restarting dockerd does.
fault_drop() { fp_ctl_req POST /drop >/dev/null; }
# stop_faultproxy: SIGTERM; 0 when it exited 0 with no sanitizer report.
stop_faultproxy() {
	kill -TERM "$fp_pid" 2>/dev/null
	wait "$fp_pid" 2>/dev/null
	fp_rc=$?
	[ "$fp_rc" -eq 0 ] && ! sanitizer_report "$fp_log"
}
# sanitizer_report FILE: 0 when FILE holds an ASan/UBSan/LSan report.
sanitizer_report() {
	grep -Eq 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|SUMMARY: [A-Za-z]*Sanitizer' "$1"
}
