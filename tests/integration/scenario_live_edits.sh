#!/bin/sh
# scenario_live_edits.sh - `run` follows edits written by rename: scale up,
# scale down, an env change rolls every engine, removing a VPN removes its
# engines; SIGTERM stops the daemon without stopping any engine.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init live_edits
B=21100

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 2 | write_config
start_daemon
check "daemon creates 2 engines" wait_for 30 cond "[ \$(running_count) -eq 2 ]"

two_vpn_config $B 6 | write_config
check "scale up to 6 after an edit by rename" wait_for 30 cond "[ \$(running_count) -eq 6 ]"
eq "3 on each VPN" "$(count_on_vpn "$it_id-v1") $(count_on_vpn "$it_id-v2")" "3 3"

two_vpn_config $B 2 | write_config
check "scale down to 2" wait_for 30 cond "[ \$(engine_count) -eq 2 ]"
eq "1 on each VPN" "$(count_on_vpn "$it_id-v1") $(count_on_vpn "$it_id-v2")" "1 1"

old_ids=$(docker ps -q --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')
two_vpn_config $B 2 10 0 rolled | write_config
rolled() {
	[ "$(running_count)" -eq 2 ] || return 1
	for id in $(docker ps -q --filter "label=acestream.orchestrator=$it_id"); do
		docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id" | grep -qx 'EXTRA=rolled' || return 1
	done
}
check "env change replaces every engine (rolling)" wait_for 45 rolled
new_ids=$(docker ps -q --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')
check "the replaced engines are new containers" test "$old_ids" != "$new_ids"
check "daemon logged the reload" grep -q 'msg="config reloaded"' "$it_daemon_log"

# Drop v2 from the file: its engine goes, v1 takes the whole target.
# The entry runs until the next list item or top-level key.
two_vpn_config $B 2 10 0 rolled | awk -v v="$it_id-v2" '
	$0 ~ "- name: " v { skip = 1; next }
	skip && ($0 ~ /^  - / || $0 ~ /^[^ ]/) { skip = 0 }
	!skip { print }' | write_config
gone() { [ "$(count_on_vpn "$it_id-v2")" -eq 0 ] && [ "$(count_on_vpn "$it_id-v1")" -eq 2 ]; }
check "removing a VPN removes its engines; the other VPN takes the target" wait_for 30 gone

# SIGHUP reloads even when the file did not change.
n=$(grep -c 'msg="config reloaded"' "$it_daemon_log")
kill -HUP "$it_daemon_pid"
check "SIGHUP forces a reload of the unchanged file" \
	wait_for 10 cond "[ \$(grep -c 'msg=\"config reloaded\"' '$it_daemon_log') -gt $n ]"

before=$(running_count)
stop_daemon
eq "SIGTERM: daemon exits 0" "$it_daemon_rc" 0
eq "SIGTERM: no engine stopped" "$(running_count)" "$before"
