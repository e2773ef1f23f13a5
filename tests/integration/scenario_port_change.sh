#!/bin/sh
# scenario_port_change.sh - Gluetun's forwarded port changes: a new forwarded
# engine with the new P2P port runs, the old one is gone; the other VPN's
# forwarded engine is not affected.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init port_change
B=21600

check "both stand-in VPNs healthy" start_two_vpns $B 41601 41602
two_vpn_config $B 4 | write_config
start_daemon
check "4 engines" wait_for 30 cond "[ \$(running_count) -eq 4 ]"
fwd_port() { engines | awk -v v="$1" '$3 == v && $4 == "true" {print $2}'; }
old=$(fwd_port "$it_id-v1")
check "v1's forwarded engine runs with P2P 41601" wait_for 10 cond "[ \"\$(curl -fsS -m 2 http://127.0.0.1:$old/fixture/info | sed -n 's/.*\"p2p_port\":\([0-9]*\).*/\1/p')\" = 41601 ]"
old_id=$(docker ps -q --filter "name=^$it_id-$old\$")
v2_fwd_id=$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v2" --filter label=acestream.forwarded=true)

set_fwd_port $((B + 90)) 41611
new_fwd() {
	[ "$(forwarded_on_vpn "$it_id-v1")" -eq 1 ] || return 1
	p=$(fwd_port "$it_id-v1")
	[ "$(engine_p2p "$p")" = 41611 ] && ! docker inspect "$old_id" >/dev/null 2>&1
}
check "a new forwarded engine with P2P 41611 runs; the old one is gone" wait_for 45 new_fwd
eq "its label carries the new port" "$(engines | awk -v v="$it_id-v1" '$3 == v && $4 == "true" {print $5}')" 41611
check "port change logged" grep -q "msg=\"vpn forwarded port changed\" vpn=$it_id-v1 from=41601 to=41611" "$it_daemon_log"
check "fleet back at 4" wait_for 30 cond "[ \$(running_count) -eq 4 ] && [ \$(engine_count) -eq 4 ]"
eq "v2's forwarded engine untouched" \
	"$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v2" --filter label=acestream.forwarded=true)" "$v2_fwd_id"
