#!/bin/sh
# scenario_bad_edit.sh - an invalid edit stops nothing: the error is logged
# with file:line:col, the last valid config stays; a later valid edit applies.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init bad_edit
B=21200

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 2 | write_config
start_daemon
check "daemon creates 2 engines" wait_for 30 cond "[ \$(running_count) -eq 2 ]"
ids=$(docker ps -q --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')

# A typo (unknown key) and an impossible range, with min raised: none of it
# may take effect.
two_vpn_config $B 4 | sed -e 's/min_free:/min_fre:/' -e "s/ports: $B-$((B + 4))/ports: $((B + 4))-$B/" | write_config
check "error logged with file:line:col" wait_for 10 grep -qE "orchestrator.yaml:[0-9]+:[0-9]+: error: unknown key" "$it_daemon_log"
check "range error logged too" grep -qE "orchestrator.yaml:[0-9]+:[0-9]+: error: .*$((B + 4))-$B" "$it_daemon_log"
check "daemon says it keeps the last valid config" grep -q 'keeping the last valid config' "$it_daemon_log"
sleep 3
eq "nothing stopped or replaced" "$(docker ps -q --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')" "$ids"
check "daemon still running" kill -0 "$it_daemon_pid"

two_vpn_config $B 4 | write_config
check "a later valid edit applies (4 engines)" wait_for 30 cond "[ \$(running_count) -eq 4 ]"
