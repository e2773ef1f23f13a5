#!/bin/sh
# scenario_acexy.sh - a client speaking krinkuto11/acexy's dialect against the
# daemon on real Docker: its exact requests and bodies (with curl) get an
# engine, mark it busy and idle again, and get an engine provisioned.
#
# Every request below is one acexy makes (acexy/orchestrator_events.go):
#   updateHealth         GET  /orchestrator/status            (no auth header)
#   GetEngines           GET  /engines                        Authorization: Bearer KEY
#   GetEngineStreams     GET  /streams?container_id=ID&status=started
#   EmitStarted          POST /events/stream_started  {engine,stream,session,labels}
#   EmitEnded            POST /events/stream_ended    {stream_id,reason}
#   ProvisionAcestream   POST /provision/acestream    {"labels":{},"env":{}}
# and after provisioning it streams from localhost:host_http_port.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init acexy
B=32000
API=http://127.0.0.1:$((B + 95))
KEY=acexy-key
printf '%s\n' "$KEY" > "$it_dir/api_key"
chmod 600 "$it_dir/api_key"
API_KEY_FILE=$it_dir/api_key

# jget EXPR: a Python expression over the JSON document d on stdin.
jget() { "${PYTHON3:-python3}" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
auth() { curl -sS -m 10 -H "Authorization: Bearer $KEY" "$@"; }
# acexy's POSTs: Content-Type and Bearer (orchestrator_events.go post/postSync).
apost() { curl -sS -m 10 -o "$it_dir/body" -D "$it_dir/headers" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -H "Authorization: Bearer $KEY" --data-binary "$2" "$API$1"; }
# startedEvent as encoding/json marshals it (container_id omitted: empty
# ACEXY_CONTAINER_ID), for engine HOST:PORT and stream KEY|SESSION.
started_body() {
	printf '{"engine":{"host":"%s","port":%s},"stream":{"key_type":"infohash","key":"%s"},"session":{"playback_session_id":"%s","stat_url":"http://%s:%s/ace/stat/%s/%s","command_url":"http://%s:%s/ace/cmd/%s/%s","is_live":1},"labels":{"stream_id":"%s|%s"}}' \
		"$1" "$2" "$3" "$4" "$1" "$2" "$3" "$4" "$1" "$2" "$3" "$4" "$3" "$4"
}
ended_body() { printf '{"stream_id":"%s","reason":"%s"}' "$1" "$2"; }
PROVISION='{"labels":{},"env":{}}'

check "both stand-in VPNs healthy" start_two_vpns $B
# min 1, max 2, min_free 1: one idle engine; one more whenever it is busy.
two_vpn_config $B 1 2 1 | write_config
start_daemon

status_field() { curl -sS -m 5 "$API/orchestrator/status" | jget "$1"; }
check "status: healthy, can provision, one engine available" wait_for 60 cond \
	"[ \"\$(status_field 'd[\"status\"], d[\"provisioning\"][\"can_provision\"], d[\"capacity\"][\"available\"]')\" = \"healthy True 1\" ]"
st=$(curl -sS "$API/orchestrator/status")
eq "status: vpn.connected" "$(echo "$st" | jget 'd["vpn"]["connected"]')" True
eq "status: blocked_reason_details null" "$(echo "$st" | jget 'd["provisioning"]["blocked_reason_details"]')" None

# GetEngines: every engineState field with the type Go decodes.
eng=$(auth "$API/engines")
eq "/engines: one engine" "$(echo "$eng" | jget 'len(d)')" 1
eq "/engines: engineState types" "$(echo "$eng" | jget '[type(d[0][k]).__name__ for k in ("container_id","container_name","host","port","labels","forwarded","first_seen","last_seen","health_status","streams")]')" \
	"['str', 'str', 'str', 'int', 'dict', 'bool', 'str', 'str', 'str', 'list']"
eq "/engines: healthy, no streams" "$(echo "$eng" | jget 'd[0]["health_status"], d[0]["streams"], d[0]["stream_count"]')" "healthy [] 0"
E1=$(echo "$eng" | jget 'd[0]["container_id"]')
H1=$(echo "$eng" | jget 'd[0]["host"]')
P1=$(echo "$eng" | jget 'd[0]["port"]')
eq "GetEngineStreams: none yet" "$(auth "$API/streams?container_id=$E1&status=started" | jget 'len(d)')" 0

# EmitStarted on the engine acexy selected: it is busy now.
eq "EmitStarted on $H1:$P1: 200" "$(apost /events/stream_started "$(started_body "$H1" "$P1" 0a48b3c2d1 e0d10c40)")" 200
eq "... recorded on that engine" "$(jget 'd["container_id"]' < "$it_dir/body")" "$E1"
ss=$(auth "$API/streams?container_id=$E1&status=started")
eq "GetEngineStreams: the stream, started" "$(echo "$ss" | jget 'd[0]["id"], d[0]["status"], d[0]["is_live"]')" "0a48b3c2d1|e0d10c40 started True"
eq "/engines lists the stream id" "$(auth "$API/engines/$E1" | jget 'd["streams"], d["stream_count"]')" "['0a48b3c2d1|e0d10c40'] 1"

# No free engine left from acexy's side: ProvisionAcestream until an
# engine is handed out (acexy retries a should_wait answer; each try waits
# at most 2.5 s on the daemon, under acexy's 3 s client timeout).
prov_ok() { [ "$(apost /provision/acestream "$PROVISION")" = 200 ]; }
check "ProvisionAcestream: an engine is handed out" wait_for 90 prov_ok
E2=$(jget 'd["container_id"]' < "$it_dir/body")
P2=$(jget 'd["host_http_port"]' < "$it_dir/body")
check "... a new engine, not the busy one" test -n "$E2" -a "$E2" != "$E1"
eq "... host_http_port is its published port" "$(auth "$API/engines/$E2" | jget 'd["port"], d["visible"], d["stream_count"]')" "$P2 True 0"
check "... reachable where acexy goes next: localhost:$P2" engine_reachable "$P2"
eq "EmitStarted with localhost:$P2 (acexy after provisioning): 200" \
	"$(apost /events/stream_started "$(started_body localhost "$P2" 77aa66bb 5150)")" 200
eq "... recorded on the provisioned engine" "$(jget 'd["container_id"]' < "$it_dir/body")" "$E2"

# Both engines busy at replicas.max: provisioning is blocked, with a reason.
check "status: can_provision false at replicas.max" wait_for 10 cond \
	"[ \"\$(status_field 'd[\"provisioning\"][\"can_provision\"], d[\"provisioning\"][\"blocked_reason_details\"][\"code\"]')\" = 'False max_capacity' ]"
eq "ProvisionAcestream at replicas.max: 503" "$(apost /provision/acestream "$PROVISION")" 503
eq "... ProvisionError detail acexy decodes" "$(jget 'd["detail"]["code"], d["detail"]["should_wait"], type(d["detail"]["recovery_eta_seconds"]).__name__' < "$it_dir/body")" "max_capacity True int"
check "... with Retry-After" grep -qi '^Retry-After: [0-9]' "$it_dir/headers"

# EmitEnded: the first engine is idle again, and handed out again.
eq "EmitEnded: 200" "$(apost /events/stream_ended "$(ended_body '0a48b3c2d1|e0d10c40' handler_exit)")" 200
eq "GetEngineStreams: empty again" "$(auth "$API/streams?container_id=$E1&status=started" | jget 'len(d)')" 0
eq "/engines: idle again" "$(auth "$API/engines/$E1" | jget 'd["streams"], d["stream_count"]')" "[] 0"
eq "EmitEnded again: 404" "$(apost /events/stream_ended "$(ended_body '0a48b3c2d1|e0d10c40' handler_exit)")" 404
eq "ProvisionAcestream: 200 with the idle engine" "$(apost /provision/acestream "$PROVISION")" 200
eq "... the first engine" "$(jget 'd["container_id"]' < "$it_dir/body")" "$E1"

# Nothing the daemon did was a stream loss: both engines still run.
check "busy engine never stopped" cond "docker ps -q --filter id=$E2 | grep -q ."
# Kept in a file: the exposition is text (HELP lines quote), never shell code.
curl -fsS "$API/metrics" >"$it_dir/metrics.txt"
m=$(cat "$it_dir/metrics.txt")
check "/metrics: provisions counted" grep -q '^orch_provision_requests_total{result="ok"} [2-9]' "$it_dir/metrics.txt"
check "/metrics: the blocked one counted" grep -q '^orch_provision_requests_total{result="blocked"} [1-9]' "$it_dir/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
	echo "$m" | promtool check metrics > "$it_dir/promtool.out" 2>&1
	eq "promtool on the live /metrics: only the expected lint" \
		"$(grep -vxF 'orch_engines_total non-counter metrics should not have "_total" suffix' "$it_dir/promtool.out")" ""
fi
check "no malformed-request warnings in the daemon log" cond "! grep -q 'malformed request' '$it_daemon_log'"
stop_daemon
eq "daemon exits 0 on SIGTERM" "$it_daemon_rc" 0
