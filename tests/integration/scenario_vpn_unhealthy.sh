#!/bin/sh
# scenario_vpn_unhealthy.sh - a VPN turning unhealthy: nothing is placed on
# it, its engines keep running, its share moves to the other VPN; healthy
# again: balance returns, engines added there before the surplus goes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init vpn_unhealthy
B=21300

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 4 | write_config
start_daemon
check "2 + 2 engines" wait_for 30 cond "[ \$(count_on_vpn $it_id-v1) -eq 2 ] && [ \$(count_on_vpn $it_id-v2) -eq 2 ]"
v1_ids=$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v1" | sort | tr '\n' ' ')

set_vpn_health $((B + 90)) false
check "Docker reports v1 unhealthy" wait_for 15 cond "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $it_id-v1)\" = unhealthy ]"
check "v1's share moves to v2 (4 there)" wait_for 30 cond "[ \$(count_on_vpn $it_id-v2) -eq 4 ]"
eq "v1's engines left running, untouched" \
	"$(docker ps -q --filter "label=acestream.vpn_container=$it_id-v1" | sort | tr '\n' ' ')" "$v1_ids"
check "state change logged" grep -q "msg=\"vpn state changed\" vpn=$it_id-v1 from=available to=unavailable" "$it_daemon_log"

mark=$(wc -l < "$it_daemon_log")
set_vpn_health $((B + 90)) true
balanced() { [ "$(count_on_vpn "$it_id-v1")" -eq 2 ] && [ "$(count_on_vpn "$it_id-v2")" -eq 2 ] && [ "$(engine_count)" -eq 4 ]; }
check "healthy again: balance returns to 2 + 2" wait_for 45 balanced
# Make before break: after recovery, no removal on v2 happened before the
# fleet had its target running elsewhere. The log orders actions as applied.
first_remove=$(tail -n +"$mark" "$it_daemon_log" | grep -n 'msg="action done" action=remove' | head -n 1 | cut -d: -f1)
last_needed=$(tail -n +"$mark" "$it_daemon_log" | grep -n "msg=\"action done\" action=\\(create\\|restart\\) .*vpn=$it_id-v1" | head -n 1 | cut -d: -f1)
check "v1 got its engines back before v2's surplus was removed" test -n "$first_remove" -a -n "$last_needed" -a "${last_needed:-0}" -lt "${first_remove:-0}"
