#!/bin/sh
# scenario_foreign.sh - a container we do not own (no acestream.orchestrator
# label of this instance) with a look-alike name, look-alike labels and a port
# in the range is never touched, and the fleet still converges around it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init foreign
B=21800

check "both stand-in VPNs healthy" start_two_vpns $B
# Exactly the name the planner would give the third engine on v2, labelled
# like ours but for another instance, running the same image.
fname="$it_id-$((B + 12))"
docker run -d --name "$fname" --label "acestream.test=$it_id" \
	--label acestream.orchestrator=someone-else --label "acestream.vpn_container=$it_id-v2" \
	--label "acestream.http_port=$((B + 12))" \
	-e "HTTP_PORT=$((B + 12))" -e BIND_ALL=true ace-test/engine:latest >/dev/null
fid=$(docker inspect -f '{{.Id}}' "$fname")
fstart=$(docker inspect -f '{{.State.StartedAt}}' "$fname")

two_vpn_config $B 6 | write_config
"$ACE" apply -c "$it_cfg" --timeout 60s >>"$it_daemon_log" 2>&1
eq "apply converges around it (exit 0)" $? 0
eq "6 engines of ours" "$(running_count)" 6
eq "3 on v2" "$(count_on_vpn "$it_id-v2")" 3
eq "the foreign container is the same one" "$(docker inspect -f '{{.Id}}' "$fname")" "$fid"
eq "and was never restarted" "$(docker inspect -f '{{.State.StartedAt}}' "$fname")" "$fstart"
eq "and still runs" "$(docker inspect -f '{{.State.Running}}' "$fname")" true
check "no engine of ours took its name" cond "! engines | grep -q '^$fname '"
