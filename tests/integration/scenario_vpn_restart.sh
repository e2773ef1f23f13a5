#!/bin/sh
# scenario_vpn_restart.sh - `docker restart` of a VPN: its engines are
# restarted and reachable again; `docker rm -f` + run again (new ID): its
# engines are re-created, labelled with the new ID, and reachable.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init vpn_restart
B=21400

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 2 | write_config
start_daemon
check "one engine per VPN" wait_for 30 cond "[ \$(count_on_vpn $it_id-v1) -eq 1 ] && [ \$(count_on_vpn $it_id-v2) -eq 1 ]"
check "v1's engine reachable" wait_for 10 engine_reachable $B
eng=$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v1")

docker restart -t 1 "$it_id-v1" >/dev/null
restarted() {
	[ "$(docker inspect -f '{{.State.Running}}' "$eng")" = true ] || return 1
	e=$(docker inspect -f '{{.State.StartedAt}}' "$eng"); v=$(docker inspect -f '{{.State.StartedAt}}' "$it_id-v1")
	[ "$(date -d "$e" +%s%N)" -ge "$(date -d "$v" +%s%N)" ]
}
check "VPN restarted: the same engine is restarted after it" wait_for 40 restarted
check "and reachable again through the published port" wait_for 20 engine_reachable $B
eq "same container (restart, not re-create)" "$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v1")" "$eng"

docker rm -f "$it_id-v1" >/dev/null
start_vpn "$it_id-v1" $((B + 90)) "$B-$((B + 4))"
newid=$(docker inspect -f '{{.Id}}' "$it_id-v1")
recreated() {
	id=$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v1" --filter "label=acestream.vpn_id=$newid")
	[ -n "$id" ] && [ "$id" != "$eng" ] && [ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id")" = "container:$newid" ]
}
check "VPN re-created: its engine is re-created in the new namespace" wait_for 45 recreated
check "and reachable through the new VPN's published port" wait_for 20 engine_reachable $B
check "the old engine is gone" cond "! docker inspect $eng >/dev/null 2>&1"
eq "v2 untouched throughout" "$(count_on_vpn "$it_id-v2")" 1
