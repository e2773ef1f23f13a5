#!/bin/sh
# scenario_kill9.sh - the daemon killed with SIGKILL in the middle of a large
# convergence, then started again: it converges with no duplicate port, name
# or forwarded engine, and no orphan (everything it made is labelled, running
# and counted).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init kill9
B=21700
# 40 engines over two ranges of 20: large enough to kill the daemon while
# creates are under way.
RANGE_SIZE=20 V2_OFFSET=20
N=40

check "both stand-in VPNs healthy" start_two_vpns $B 41701 41702
two_vpn_config $B $N $N | write_config
start_daemon
check "daemon started creating" wait_for 30 cond "[ \$(engine_count) -ge 6 ]"
kill -9 "$it_daemon_pid"
wait "$it_daemon_pid" 2>/dev/null
n_mid=$(engine_count)
it_log "killed mid-way with $n_mid of $N engines"
check "killed before convergence ($n_mid of $N)" test "$n_mid" -lt $N

start_daemon
check "restarted daemon converges to $N running engines" wait_for 90 cond "[ \$(running_count) -eq $N ] && [ \$(engine_count) -eq $N ]"
sleep 3
eq "still $N containers after settling (no duplicates created)" "$(engine_count)" $N
eq "no duplicate http port" "$(engines | awk '{print $2}' | sort | uniq -d | grep -c .)" 0
eq "no duplicate name" "$(engines | awk '{print $1}' | sort | uniq -d | grep -c .)" 0
eq "one forwarded engine on v1" "$(forwarded_on_vpn "$it_id-v1")" 1
eq "one forwarded engine on v2" "$(forwarded_on_vpn "$it_id-v2")" 1
orphans=$(docker ps -a --filter "name=^$it_id-" --format '{{.Names}} {{.Label "acestream.orchestrator"}}' | awk -v i="$it_id" '$2 != i' | grep -v -- "-v[12] " | grep -c .)
eq "no orphan (unlabelled) container of ours" "$orphans" 0
eq "every engine running" "$(engines | awk '$6 != "running"' | grep -c .)" 0
