#!/bin/sh
# notify.sh - the daemon speaks sd_notify as a Type=notify unit needs: READY=1
# once up, STATUS= with engines and VPNs, WATCHDOG=1 every WatchdogSec/2,
# RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM. A listening
# socket stands in for systemd; Docker is not needed (the daemon is pointed
# at a socket that does not exist, and says so in STATUS=).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${ACE:=$top_builddir/ace-orchestrator}"
: "${PYTHON3:=python3}"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }
wait_for() {
	deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ace-notify.XXXXXX")
pids=""
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
sock=$tmp/notify.sock log=$tmp/notify.log dlog=$tmp/daemon.log
: >"$log"

# A free port for the API in 34990-34999 (Docker hands other tests ephemeral
# host ports from 32768 up).
port=""
for p in 34990 34991 34992 34993 34994 34995 34996 34997 34998 34999; do
	ss -Htln | awk '{print $4}' | grep -q ":$p\$" || { port=$p; break; }
done
[ -n "$port" ] || { echo "FAIL: no free port in 34990-34999"; exit 1; }
cat >"$tmp/orchestrator.yaml" <<EOF2
version: 1
instance: it-ship-notify-$$
docker:
  host: unix://$tmp/no-docker.sock
engine:
  image: ace-test/engine:latest
replicas: {min: 1, max: 2, min_free: 0}
ports: 34980-34984
api:
  listen: 127.0.0.1:$port
EOF2

"$PYTHON3" "$top_srcdir/tests/integration/notify_listen.py" "$sock" "$log" 60 &
pids="$pids $!"
wait_for 10 test -S "$sock" || { echo "FAIL: the listener did not bind $sock"; exit 1; }

# 400 ms watchdog: pings every 200 ms.
NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 "$ACE" run -c "$tmp/orchestrator.yaml" >"$dlog" 2>&1 &
daemon=$!
pids="$pids $daemon"

has() { grep -q "$1" "$log"; }
count() { grep -c "$1" "$log"; }

if ! grep -q 'define HAVE_LIBSYSTEMD 1' "$top_builddir/config-auto.h"; then
	# Built without libsystemd: nothing may be sent, and the daemon runs.
	wait_for 10 curl -fsS http://127.0.0.1:$port/healthz
	sleep 1
	if [ ! -s "$log" ]; then ok "without libsystemd nothing is sent"; else not_ok "sent: $(cat "$log")"; fi
	kill -TERM "$daemon"; wait "$daemon"
	echo "notify: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]; exit
fi

if wait_for 20 has '^READY=1$'; then ok "READY=1 once the daemon is up"; else not_ok "no READY=1"; fi
if curl -fsS http://127.0.0.1:$port/healthz >/dev/null 2>&1; then
	ok "the API answers when READY=1 has been sent"
else
	not_ok "READY=1 sent before the API answers"
fi
if wait_for 20 has '^STATUS=Docker unreachable; 0 of 0 engines serving, no VPN$'; then
	ok "STATUS= says Docker is unreachable, with engines and VPNs"
else
	not_ok "no such STATUS= line"
fi
pings_at_least() { [ "$(count '^WATCHDOG=1$')" -ge "$1" ]; }
if wait_for 10 pings_at_least 5; then
	ok "WATCHDOG=1 keeps coming ($(count '^WATCHDOG=1$') so far)"
else
	not_ok "WATCHDOG=1 pings: $(count '^WATCHDOG=1$')"
fi

kill -HUP "$daemon"
reloaded() { sed -n '/^RELOADING=1 MONOTONIC_USEC=[0-9]*$/,$p' "$log" | grep -q '^READY=1$'; }
if wait_for 10 reloaded; then ok "SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1"; else not_ok "SIGHUP: no RELOADING=1 then READY=1"; fi

kill -TERM "$daemon"
wait "$daemon"; rc=$?
if [ "$rc" -eq 0 ]; then ok "SIGTERM: the daemon exits 0"; else not_ok "SIGTERM: exit $rc"; fi
if has '^STOPPING=1$'; then ok "SIGTERM: STOPPING=1"; else not_ok "no STOPPING=1"; fi

if [ "$failed" -ne 0 ]; then
	echo "--- messages ---"; sort "$log" | uniq -c
	echo "--- daemon log ---"; tail -n 30 "$dlog"
fi
echo "notify: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
