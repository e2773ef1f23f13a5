#!/bin/sh
# scenario_apply.sh - `apply` from scratch: min engines spread over two VPNs
# with the right ports, names, labels and one forwarded engine per VPN;
# a second `apply` makes no Docker write; `plan` then reports nothing to do.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init apply
B=21000

check "both stand-in VPNs healthy" start_two_vpns $B 41001 41002
two_vpn_config $B 4 | write_config

"$ACE" plan -c "$it_cfg" > "$it_dir/plan.txt" 2>>"$it_daemon_log"
check "plan lists 4 creates before anything exists" test "$(grep -c 'create' "$it_dir/plan.txt")" -eq 4
"$ACE" plan -c "$it_cfg" --detailed-exitcode >/dev/null 2>&1; eq "plan --detailed-exitcode says changes" $? 2

"$ACE" apply -c "$it_cfg" --timeout 60s >>"$it_daemon_log" 2>&1
eq "apply converges (exit 0)" $? 0

eq "4 engines running" "$(running_count)" 4
eq "2 on v1" "$(count_on_vpn "$it_id-v1")" 2
eq "2 on v2" "$(count_on_vpn "$it_id-v2")" 2
eq "names and ports are lowest free of each range" \
	"$(engines | awk '{print $1, $2, $3}' | tr '\n' ';')" \
	"$it_id-$B $B $it_id-v1;$it_id-$((B + 1)) $((B + 1)) $it_id-v1;$it_id-$((B + 10)) $((B + 10)) $it_id-v2;$it_id-$((B + 11)) $((B + 11)) $it_id-v2;"
eq "one forwarded engine on v1" "$(forwarded_on_vpn "$it_id-v1")" 1
eq "one forwarded engine on v2" "$(forwarded_on_vpn "$it_id-v2")" 1

fwd1=$(engines | awk -v v="$it_id-v1" '$3 == v && $4 == "true" {print $2}')
fwd2=$(engines | awk -v v="$it_id-v2" '$3 == v && $4 == "true" {print $2}')
eq "v1's forwarded engine runs with P2P port 41001" "$(engine_p2p "$fwd1")" 41001
eq "v2's forwarded engine runs with P2P port 41002" "$(engine_p2p "$fwd2")" 41002
other=$(engines | awk -v v="$it_id-v1" '$3 == v && $4 == "false" {print $2}')
eq "v1's other engine uses p2p_port_base + slot" "$(engine_p2p "$other")" $((50000 + other - B))

id=$(docker ps -q --filter "name=^$it_id-$B\$")
lbl() { docker inspect -f "{{index .Config.Labels \"$1\"}}" "$id"; }
eq "label acestream.orchestrator" "$(lbl acestream.orchestrator)" "$it_id"
eq "label acestream.vpn_container" "$(lbl acestream.vpn_container)" "$it_id-v1"
eq "label acestream.vpn_id is the VPN's ID" "$(lbl acestream.vpn_id)" "$(docker inspect -f '{{.Id}}' "$it_id-v1")"
eq "label acestream.https_port" "$(lbl acestream.https_port)" 45000
eq "label host.http_port" "$(lbl host.http_port)" $B
check "label acestream.config_hash set" test -n "$(lbl acestream.config_hash)"
eq "joined the VPN's namespace" "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id")" \
	"container:$(docker inspect -f '{{.Id}}' "$it_id-v1")"
check "reachable through the VPN's published port" engine_reachable $B

t=$(date +%s.%N)
"$ACE" apply -c "$it_cfg" --timeout 30s >>"$it_daemon_log" 2>&1
eq "second apply exits 0" $? 0
eq "second apply made no Docker write" "$(docker_writes_since "$t")" 0
"$ACE" plan -c "$it_cfg" --detailed-exitcode >/dev/null 2>&1; eq "converged: plan --detailed-exitcode 0" $? 0
