#!/bin/sh
# scenario_vpn_flaps.sh - Gluetun's internal restarts make a VPN's health
# flap. Ten flaps of 2 s down / 2 s up: the engines of that VPN are hidden
# while it is down, but its share never moves (health.failover_after) and
# its reconnect restarts wait until it stayed healthy for
# health.recover_after, so the whole episode costs at most one restart per
# engine and no create or remove (it used to cost 30 + 30 + 30 container
# actions). Ports 37300-37399.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init vpn_flaps
B=37300
API=http://127.0.0.1:$((B + 95))

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 4 | write_config
# A live subscriber, connected before the daemon creates anything:
# `docker events --since` replays only Docker's last 256 events, which
# other tests' health checks can overrun. A marker container (created and
# removed before the daemon starts) proves it listens.
docker events --filter "label=acestream.orchestrator=$it_id" \
	--filter event=create --filter event=destroy --filter event=restart \
	--format '{{.Action}} {{.Actor.Attributes.name}}' >"$it_dir/events" 2>/dev/null &
it_pids="$it_pids $!"
marker() {
	docker rm -f "$it_id-marker" >/dev/null 2>&1
	docker create --name "$it_id-marker" --label "acestream.orchestrator=$it_id" ace-test/gluetun:latest >/dev/null
	grep -q "^create $it_id-marker" "$it_dir/events"
}
check "the events subscriber listens" wait_for 20 marker
docker rm -f "$it_id-marker" >/dev/null
check "and saw the marker go" wait_for 20 grep -q "^destroy $it_id-marker" "$it_dir/events"
# The daemon's own events, the marker left out.
ev() { grep -v " $it_id-marker\$" "$it_dir/events"; }
start_daemon
visible_on() { curl -fsS -m 2 "$API/engines" | grep -o "\"vpn_container\":\"$1\"" | grep -c .; }
check "converged: two engines per VPN, all listed" \
	wait_for 60 cond "[ \$(count_on_vpn $it_id-v1) -eq 2 ] && [ \$(count_on_vpn $it_id-v2) -eq 2 ] && [ \$(visible_on $it_id-v1) -eq 2 ] && [ \$(visible_on $it_id-v2) -eq 2 ]"

check "the subscriber saw the four creates" wait_for 20 cond "[ \$(ev | grep -c '^create ') -eq 4 ]"

hidden_seen=0
for i in $(seq 1 10); do
	set_vpn_health $((B + 90)) false
	wait_for 10 cond "[ \"\$(vpn_health $it_id-v1)\" = unhealthy ]"
	[ "$(visible_on "$it_id-v1")" -eq 0 ] && hidden_seen=$((hidden_seen + 1))
	sleep 2
	set_vpn_health $((B + 90)) true
	wait_for 10 vpn_healthy "$it_id-v1"
	sleep 2
done
it_log "v1's engines were hidden in $hidden_seen of 10 down phases"
check "engines hidden while the VPN is down (most flaps)" cond "[ $hidden_seen -ge 8 ]"
check "after the flaps: v1's engines listed again" wait_for 60 cond "[ \$(visible_on $it_id-v1) -eq 2 ]"
# recover_after (15 s) after the last flap, one reconnect restart each.
check "reconnect restarts done once v1 stayed healthy" \
	wait_for 60 cond "[ \$(ev | grep -c '^restart ') -ge 2 ]"
check "converged: the plan is empty again" \
	wait_for 30 cond "curl -fsS '$API/plan' | grep -q '\"actions\":\[\]'"
eq "no engine created during the episode" "$(ev | grep -c '^create ')" 4
eq "no engine removed during the episode" "$(ev | grep -c '^destroy ')" 0
eq "restarts: v1's two engines, once each" "$(ev | grep '^restart ' | sort | uniq | grep -c .)" 2
eq "no engine restarted twice" "$(ev | grep '^restart ' | sort | uniq -d | grep -c .)" 0
eq "no engine of v2 restarted" "$(ev | grep -c "^restart $it_id-$((B + 10))\|^restart $it_id-$((B + 11))")" 0
eq "v2 kept its two engines" "$(count_on_vpn "$it_id-v2")" 2
