#!/bin/sh
# scenario_dockerd_restart.sh - the Docker daemon itself restarts under a
# running orchestrator (as on a host reboot): its containers stop, the VPNs
# come back by their restart policy, the engines (restart policy "no": the
# orchestrator supervises them) stay exited until their VPN runs; the daemon
# rides out the outage and ends converged with every engine reachable.
# Runs against a private dockerd (dockerd2.sh) so that no other test's
# Docker is touched. Ports 37000-37099.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dockerd2.sh"
it_init dockerd_restart
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: dockerd_restart: a private dockerd needs root" >&2
	exit 77
fi
B=37000
d2_start dr 41 || exit 99
D() { d2_docker dr "$@"; }

for i in 1 2; do
	lo=$((B + (i - 1) * 10))
	D run -d --name "$it_id-v$i" --restart unless-stopped --label "acestream.test=$it_id" \
		-p "127.0.0.1:$((B + 89 + i)):8000" -p "127.0.0.1:$lo-$((lo + 4)):$lo-$((lo + 4))" \
		ace-test/gluetun:latest >/dev/null
done
d2_healthy() { [ "$(D inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }
check "both VPNs healthy on the private daemon" wait_for 30 cond "d2_healthy $it_id-v1 && d2_healthy $it_id-v2"

{ two_vpn_config $B 4; printf 'docker:\n  host: %s\n' "$d2_host"; } | write_config
start_daemon

d2_engines() { D ps -a --filter "label=acestream.orchestrator=$it_id" --format '{{.ID}} {{.Names}} {{.State}}'; }
d2_running() { d2_engines | awk '$3 == "running"' | grep -c .; }
all_reachable() {
	for p in $B $((B + 1)) $((B + 10)) $((B + 11)); do engine_reachable "$p" || return 1; done
}
check "four engines running on the private daemon" wait_for 60 cond "[ \$(d2_running) -eq 4 ]"
check "and all four reachable" wait_for 30 all_reachable
before=$(d2_engines | awk '{print $1}' | sort | tr '\n' ' ')

it_log "restarting the private dockerd"
d2_restart dr || exit 99
check "the orchestrator survived the Docker outage" kill -0 "$it_daemon_pid"
check "converged again: four engines running" wait_for 90 cond "[ \$(d2_running) -eq 4 ]"
check "and every engine reachable through its VPN" wait_for 60 all_reachable
eq "no duplicate engine containers" "$(d2_engines | grep -c .)" 4
check "VPNs came back by their own restart policy" cond "d2_healthy $it_id-v1 && d2_healthy $it_id-v2"
check "the events stream was re-opened" grep -q "docker events stream unavailable; retrying" "$it_daemon_log"
after=$(d2_engines | awk '{print $1}' | sort | tr '\n' ' ')
it_log "engines before: $before"
it_log "engines after:  $after"
eq "the same engine containers were started again, none re-created" "$after" "$before"
check "the plan started them (ACT_START)" grep -q 'msg="action done" action=start' "$it_daemon_log"
stop_daemon
eq "daemon exit status" "$it_daemon_rc" 0
