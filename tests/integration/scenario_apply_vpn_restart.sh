#!/bin/sh
# scenario_apply_vpn_restart.sh - `apply` reads no Docker events, so what it
# did itself must not look stale to its next pass: after a VPN restart, a
# second `apply` restarts that VPN's engines once and converges (it used to
# restart the same engines on every pass until its timeout). Ports 37100-37199.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init apply_vpn_restart
B=37100

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 4 | write_config
check "first apply converges" "$ACE" apply -c "$it_cfg" --timeout 60s
eq "four engines" "$(running_count)" 4

docker restart -t 1 "$it_id-v1" >/dev/null
check "v1 healthy again after its restart" wait_vpn_healthy "$it_id-v1"
# Streamed from before the apply: Docker replays only its last 256 events for
# --since, which tests running beside this one (make -j4 check) overrun over
# a whole apply; --since without --until covers only the moment until the
# CLI has subscribed, then the stream is live.
docker events --since "$(date +%s.%N)" --filter "label=acestream.orchestrator=$it_id" --filter event=restart \
	--format '{{.Actor.Attributes.name}}' >"$it_dir/restarts" 2>/dev/null &
ev_pid=$!
it_pids="$it_pids $ev_pid"
"$ACE" apply -c "$it_cfg" --timeout 60s >"$it_dir/apply.log" 2>&1
eq "second apply exit status" "$?" 0
passes=$(sed -n 's/.*msg=converged passes=\([0-9]*\).*/\1/p' "$it_dir/apply.log")
it_log "second apply: $(grep -c 'action done' "$it_dir/apply.log") actions, converged after ${passes:-?} passes"
check "converged in one or two passes" cond "[ -n '$passes' ] && [ $passes -le 2 ]"
# apply has returned, so every restart it made was emitted: wait for the
# stream to deliver the two expected, and count what it holds then.
wait_for 20 cond "[ \$(grep -c . '$it_dir/restarts') -ge 2 ]"
restarts=$(sort "$it_dir/restarts")
eq "apply logged two restarts" "$(grep 'action done' "$it_dir/apply.log" | grep -c 'action=restart ')" 2
eq "each of v1's two engines restarted exactly once" "$(echo "$restarts" | grep -c .)" 2
eq "no engine restarted twice" "$(echo "$restarts" | uniq -d | grep -c .)" 0
check "v1's engines reachable again" wait_for 20 cond "engine_reachable $B && engine_reachable $((B + 1))"
