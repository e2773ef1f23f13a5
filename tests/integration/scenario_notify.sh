#!/bin/sh
# scenario_notify.sh - notify[] webhooks against a local stand-in receiver:
# a VPN down and up and a forwarded-port change arrive, signed (checked with
# openssl dgst), filtered per target; a receiver answering 500 gets the
# event again after back-off while the daemon keeps serving.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init notify
B=38100
RX=$((B + 80))
PY=${PYTHON3:-python3}
recv=$top_srcdir/tests/fixtures/notify_receiver.py
rxdir=$it_dir/received
command -v openssl >/dev/null 2>&1 || { echo "openssl missing: scripts/check installs it" >&2; exit 99; }

"$PY" "$recv" $RX "$rxdir" 2>>"$it_dir/receiver.log" &
it_pids="$it_pids $!"
check "receiver up" wait_for 10 curl -fsS -X PUT "http://127.0.0.1:$RX/control/fail?path=/none&count=0"

secret=$it_dir/hook-secret
printf 'hmac-%s\n' "$$" > "$secret"   # the final newline is not part of the key
chmod 600 "$secret"
check "both stand-in VPNs healthy" start_two_vpns $B 40311 40322
{
	two_vpn_config $B 2
	cat <<EOF2
notify:
  - url: http://127.0.0.1:$RX/hook
    format: json
    secret_file: $secret
  - url: http://127.0.0.1:$RX/ntfy-topic
    format: text
    events: [vpn_down, vpn_up]
EOF2
} | write_config
check "config valid" "$ACE" validate -c "$it_cfg"
start_daemon
api=http://127.0.0.1:$((B + 95))
check "1 + 1 engines" wait_for 60 cond "[ \$(count_on_vpn $it_id-v1) -eq 1 ] && [ \$(count_on_vpn $it_id-v2) -eq 1 ]"

# rx ARGS...: the received requests that match (notify_receiver.py find).
rx() { "$PY" "$recv" find "$rxdir" "$@"; }
# signed_ok BASE: X-Ace-Signature is HMAC-SHA256(secret, body) as openssl says.
signed_ok() {
	got=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["headers"].get("x-ace-signature",""))' "$1.json")
	want="sha256=$(openssl dgst -sha256 -hmac "$(cat "$secret")" -r "$1.body" | cut -d' ' -f1)"
	[ -n "$got" ] && [ "$got" = "$want" ]
}
header() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["headers"].get(sys.argv[2],""))' "$1.json" "$2"; }

# VPN down, then up.
set_vpn_health $((B + 90)) false
check "vpn_down delivered (json)" wait_for 30 rx --path /hook --event vpn_down --contains "\"object\":\"$it_id-v1\"" --status 200
down=$(rx --path /hook --event vpn_down --contains "\"object\":\"$it_id-v1\"" | head -n 1)
check "vpn_down signed: X-Ace-Signature matches openssl dgst -hmac" signed_ok "$down"
check "vpn_down body is our event" grep -q '"kind":"vpn_unavailable"' "$down.body"
check "vpn_down delivered to ntfy as text" wait_for 10 rx --path /ntfy-topic --event vpn_down --contains "$it_id-v1 unavailable"
ntfy=$(rx --path /ntfy-topic --event vpn_down | head -n 1)
eq "ntfy Title header" "$(header "$ntfy" title)" "ace-orchestrator $it_id: vpn_down"
eq "ntfy unsigned (no secret_file)" "$(header "$ntfy" x-ace-signature)" ""
set_vpn_health $((B + 90)) true
check "vpn_up delivered (json, signed)" wait_for 30 rx --path /hook --event vpn_up --contains "\"object\":\"$it_id-v1\"" --status 200
check "vpn_up signed" signed_ok "$(rx --path /hook --event vpn_up | head -n 1)"
check "vpn_up delivered to ntfy" wait_for 10 rx --path /ntfy-topic --event vpn_up

# A forwarded-port change.
set_fwd_port $((B + 91)) 40999
check "port_changed delivered with the new port" wait_for 30 rx --path /hook --event port_changed --contains '"to_port":40999' --status 200
check "port_changed says the old port" cond "rx --path /hook --event port_changed --contains '\"from_port\":40322' >/dev/null"
check "port_changed signed" signed_ok "$(rx --path /hook --event port_changed | head -n 1)"
check "ntfy target not sent port_changed (its events filter)" cond "! rx --path /ntfy-topic --event port_changed"

# The receiver fails twice with 500: the event comes again after 1 s and
# 2 s of back-off, the same bytes, while the daemon keeps serving.
curl -fsS -X PUT "http://127.0.0.1:$RX/control/fail?path=/hook&count=2&status=500" >/dev/null
set_fwd_port $((B + 91)) 41000
check "first attempt answered 500" wait_for 30 rx --path /hook --contains '"to_port":41000' --status 500
t0=$(date +%s%N)
code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$api/engines")
eq "daemon serves /engines during the back-off" "$code" 200
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "... promptly (${ms} ms)" test "$ms" -lt 1000
check "retried, then delivered with 200" wait_for 30 rx --path /hook --contains '"to_port":41000' --status 200
eq "two failed attempts before it" "$(rx --path /hook --contains '"to_port":41000' --status 500 | grep -c .)" 2
first=$(rx --path /hook --contains '"to_port":41000' | head -n 1)
last=$(rx --path /hook --contains '"to_port":41000' --status 200 | head -n 1)
check "the retry sent the same body" cmp -s "$first.body" "$last.body"
check "and is signed" signed_ok "$last"
check "failures logged once per back-off step" cond "[ \$(grep -c 'msg=\"notify: webhook failed; retrying\"' '$it_daemon_log') -eq 2 ]"
check "metrics count the failed attempts" cond "curl -fsS $api/metrics | grep -qx 'orch_notify_failed_attempts_total 2'"
check "metrics: nothing dropped" cond "curl -fsS $api/metrics | grep -qx 'orch_notify_dropped_total{reason=\"gave_up\"} 0'"
check "GET /events has the port changes" cond "curl -fsS '$api/events?limit=1000' | grep -q '\"kind\":\"port_changed\",\"object\":\"$it_id-v2\"'"
check "the secret never reaches the log" cond "! grep -q \"hmac-$$\" '$it_daemon_log'"
stop_daemon
eq "daemon exits 0" "$it_daemon_rc" 0
