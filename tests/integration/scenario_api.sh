#!/bin/sh
# scenario_api.sh - the HTTP API through real HTTP against the daemon on real
# Docker: /engines hides a VPN's engines within a second of its health check
# turning unhealthy and shows them again after; stream events protect an
# engine from scale-down; keys; malformed and oversize bodies; every endpoint.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init api
B=21900
API=http://127.0.0.1:$((B + 95))
printf 's3cret-key\n' > "$it_dir/api_key"
API_KEY_FILE=$it_dir/api_key

check "both stand-in VPNs healthy" start_two_vpns $B
two_vpn_config $B 4 | write_config
start_daemon
visible() { curl -fsS -m 2 "$API/engines" | grep -o '"container_name"' | grep -c .; }
visible_on() { curl -fsS -m 2 "$API/engines" | grep -o "\"vpn_container\":\"$1\"" | grep -c .; }
check "4 engines visible in /engines (probed)" wait_for 45 cond "[ \$(visible) -eq 4 ]"
eng=$(curl -fsS "$API/engines")
check "/engines sorted by port" test "$(echo "$eng" | grep -o '"port":[0-9]*' | cut -d: -f2 | tr '\n' ' ')" = "$B $((B + 1)) $((B + 10)) $((B + 11)) "
check "/engines has the documented fields" cond "echo '$eng' | grep -q '\"container_id\":\"[0-9a-f]\{64\}\",\"host\":\"127.0.0.1\"'"
for f in container_name container_id host port vpn_container forwarded p2p_port https_port health streams stream_count; do
	check "/engines field $f" cond "echo '$eng' | grep -q '\"$f\":'"
done

# Hidden within one second of Docker reporting the VPN unhealthy.
set_vpn_health $((B + 90)) false
wait_for 15 cond "[ \"\$(vpn_health $it_id-v1)\" = unhealthy ]"
t0=$(date +%s%N)
wait_for 5 cond "[ \$(visible_on $it_id-v1) -eq 0 ]"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "v1's engines hidden ${ms} ms after its health check turned unhealthy (< 1000)" test "$ms" -lt 1000
n1=$(curl -fsS "$API/engines/$it_id-$B")
check "/engines/{name} still shows a hidden engine and why" cond "echo '$n1' | grep -q '\"visible\":false' && echo '$n1' | grep -q '\"hidden_reason\":\"'"
vs=$(curl -fsS "$API/vpn/status")
check "/vpn/status: redundant, v1 not connected" cond "echo '$vs' | grep -q '\"mode\":\"redundant\"' && echo '$vs' | grep -q '\"name\":\"$it_id-v1\",\"container_name\":\"$it_id-v1\"'"
set_vpn_health $((B + 90)) true
check "v1's engines visible again after recovery" wait_for 45 cond "[ \$(visible_on $it_id-v1) -ge 2 ] && [ \$(visible) -ge 4 ]"

# Auth and bodies.
post() { curl -s -o "$it_dir/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
eq "POST without key: 401" "$(post -d '{"stream_id":"s"}' "$API/events/stream_ended")" 401
eq "POST with a wrong key: 403" "$(post -H 'X-API-Key: nope' -d '{"stream_id":"s"}' "$API/events/stream_ended")" 403
eq "malformed JSON: 400" "$(post -H 'Authorization: Bearer s3cret-key' -d '{"stream_id":' "$API/events/stream_started")" 400
check "... with a JSON error" grep -q '"error":' "$it_dir/body"
head -c 200000 /dev/zero | tr '\0' 'a' > "$it_dir/big"
eq "oversize body: 413" "$(post -H 'X-API-Key: s3cret-key' --data-binary @"$it_dir/big" "$API/events/stream_started")" 413
eq "unknown engine: 404" "$(post -H 'X-API-Key: s3cret-key' -d '{"container_name":"nope","stream_id":"s"}' "$API/events/stream_started")" 404
eq "daemon alive after all that: /healthz 200" "$(curl -s -o /dev/null -w '%{http_code}' "$API/healthz")" 200
eq "/readyz 200" "$(curl -s -o /dev/null -w '%{http_code}' "$API/readyz")" 200

# A busy engine survives scale-down.
busy=$it_id-$((B + 11))
eq "stream_started on $busy: 200" "$(post -H 'Authorization: Bearer s3cret-key' -d "{\"container_name\":\"$busy\",\"stream_id\":\"st-1\"}" "$API/events/stream_started")" 200
# streams is the list of stream IDs, stream_count the number (issue 8).
check "/engines shows its stream" wait_for 5 cond "curl -fsS $API/engines/$busy | grep -q '\"streams\":\[\"st-1\"\],\"stream_count\":1,'"
two_vpn_config $B 1 | write_config
# min 1, min_free 0, one busy engine: T = 1, and that engine is the one kept.
check "scale down to min 1 leaves one engine" wait_for 30 cond "[ \$(engine_count) -eq 1 ]"
check "and it is the busy one, never stopped" cond "docker ps -q --filter name=^$busy\$ | grep -q ."
eq "stream_ended: 200" "$(post -H 'X-API-Key: s3cret-key' -d '{"stream_id":"st-1"}' "$API/events/stream_ended")" 200
eq "stream_ended again: 404 (unknown stream)" "$(post -H 'X-API-Key: s3cret-key' -d '{"stream_id":"st-1"}' "$API/events/stream_ended")" 404

# The other endpoints answer with their shapes.
check "/metrics has the reconcile histogram" cond "curl -fsS $API/metrics | grep -q '^orch_reconcile_duration_seconds_bucket{le=\"+Inf\"}'"
check "/metrics has per-VPN health" cond "curl -fsS $API/metrics | grep -q '^orch_vpn_health_status{vpn=\"$it_id-v1\"} 1'"
if command -v promtool >/dev/null 2>&1; then
	curl -fsS "$API/metrics" > "$it_dir/metrics"
	# The one naming lint SPEC's orch_engines_total draws is expected (see
	# tests/promtool.sh); any other finding, parse errors included, fails.
	promtool check metrics < "$it_dir/metrics" > "$it_dir/promtool.out" 2>&1
	eq "promtool check metrics on the live /metrics: only the expected lint" \
		"$(grep -vxF 'orch_engines_total non-counter metrics should not have "_total" suffix' "$it_dir/promtool.out")" ""
fi
check "/config: hash, source, redacted key" cond "curl -fsS $API/config | grep -q '\"hash\":\"' && curl -fsS $API/config | grep -q '<redacted>' && ! curl -fsS $API/config | grep -q s3cret"
check "/plan answers JSON with actions" cond "curl -fsS $API/plan | grep -q '\"actions\":'"
eq "unknown path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$API/nope")" 404
check "status command prints a summary" cond "'$ACE' status --api $API | grep -q '$it_id-v1'"
