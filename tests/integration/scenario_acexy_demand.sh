#!/bin/sh
# scenario_acexy_demand.sh - POST /provision/acestream as a demand signal on
# real Docker: with min_free 0 and every engine busy, only the request brings
# another engine; its stream spends the demand, and when that stream ends the
# extra engine goes again (no demand lingers).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init acexy_demand
B=32100
API=http://127.0.0.1:$((B + 95))

jget() { "${PYTHON3:-python3}" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# acexy's bodies (acexy/orchestrator_events.go), no key configured here.
apost() { curl -sS -m "${3:-10}" -o "$it_dir/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' --data-binary "$2" "$API$1"; }
started_body() {
	printf '{"engine":{"host":"%s","port":%s},"stream":{"key_type":"content_id","key":"%s"},"session":{"playback_session_id":"%s","stat_url":"http://%s:%s/ace/stat/%s/%s","command_url":"http://%s:%s/ace/cmd/%s/%s","is_live":1},"labels":{"stream_id":"%s|%s"}}' \
		"$1" "$2" "$3" "$4" "$1" "$2" "$3" "$4" "$1" "$2" "$3" "$4" "$3" "$4"
}
plan_target() { curl -fsS -m 5 "$API/plan" | jget 'd["target"]'; }

check "both stand-in VPNs healthy" start_two_vpns $B
# min 1, max 3, min_free 0: one engine, and no spare when it is busy.
two_vpn_config $B 1 3 0 | write_config
start_daemon
check "one engine visible" wait_for 60 cond "[ \"\$(curl -fsS -m 2 $API/engines | jget 'len(d)')\" = 1 ]"
eng=$(curl -fsS "$API/engines")
E1=$(echo "$eng" | jget 'd[0]["container_id"]')
P1=$(echo "$eng" | jget 'd[0]["port"]')
eq "EmitStarted on it: 200" "$(apost /events/stream_started "$(started_body 127.0.0.1 "$P1" c1 s1)")" 200
check "busy, and still the target is 1 (min_free 0)" wait_for 10 cond "[ \"\$(plan_target)\" = 1 ]"

# One request with a long wait (?wait=, ours): one unit of demand.
eq "ProvisionAcestream with every engine busy: 200" \
	"$(apost '/provision/acestream?wait=60' '{"labels":{},"env":{}}' 70)" 200
E2=$(jget 'd["container_id"]' < "$it_dir/body")
P2=$(jget 'd["host_http_port"]' < "$it_dir/body")
check "... a new engine, created for the demand" test -n "$E2" -a "$E2" != "$E1"
eq "EmitStarted on the new engine: 200" "$(apost /events/stream_started "$(started_body localhost "$P2" c2 s2)")" 200
# Its stream spent the demand: the target is the two busy engines.
check "target 2: the busy engines, no demand left over" wait_for 10 cond "[ \"\$(plan_target)\" = 2 ]"
eq "EmitEnded on the new engine: 200" "$(apost /events/stream_ended '{"stream_id":"c2|s2","reason":"handler_exit"}')" 200
check "the idle extra engine goes again (min_free 0)" wait_for 60 cond \
	"[ \$(engine_count) -eq 1 ] && docker ps -q --filter id=$E1 | grep -q ."
stop_daemon
eq "daemon exits 0 on SIGTERM" "$it_daemon_rc" 0
