#!/bin/sh
# scenario_gluetun_restart.sh - Gluetun (:latest, apikey) restarts its VPN
# internally: same container, unhealthy then healthy, the forwarded port
# reads 0 a while. The forwarded engine is kept while there is no port; the
# new port then replaces it make-before-break (new engine first), and no
# other engine is re-created.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init gluetun_restart
command -v jq >/dev/null 2>&1 || { echo "SKIP: gluetun_restart: jq is needed (apt-get install jq)" >&2; exit 77; }
B=33500
API=http://127.0.0.1:$((B + 95))
V=$it_id-v1
printf 'k-%s\n' "$$" > "$it_dir/key"
chmod 600 "$it_dir/key"

# Our fixed ports lie in Linux's ephemeral range (32768-60999), which Docker
# also hands out for "-p 127.0.0.1::PORT": one may be held a while by a
# TIME_WAIT or another test's container. Retry until it is free.
start_gluetun() {
	n=0
	while ! start_vpn "$V" $((B + 90)) "$B-$((B + 4))" -e GLUETUN_VERSION=latest -e FORWARDED_PORT=53001 \
		-e "AUTH_ROLES=apikey:k-$$|GET /v1/portforward,GET /v1/publicip/ip" 2>"$it_dir/run.err"; do
		docker rm -f "$V" >/dev/null 2>&1
		n=$((n + 1))
		grep -q -e 'address already in use' -e 'port is already allocated' "$it_dir/run.err" &&
			[ "$n" -lt 90 ] || { cat "$it_dir/run.err" >&2; return 1; }
		sleep 1
	done
}
check "stand-in Gluetun :latest started" start_gluetun
check "and healthy" wait_vpn_healthy "$V"
CTL=http://127.0.0.1:$((B + 90))
write_config <<EOF
version: 1
instance: $it_id
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
  env:
    CONF: "--http-port={http_port}\n--https-port={https_port}\n--bind-all"
    P2P_PORT: "{p2p_port}"
replicas: {min: 3, max: 5, min_free: 0}
vpns:
  - name: $V
    ports: $B-$((B + 4))
    host: 127.0.0.1
    api: $CTL
    api_key_file: $it_dir/key
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
  restart_engines_on_reconnect: true
api:
  listen: 127.0.0.1:$((B + 95))
EOF
start_daemon

fwd_http() { engines | awk -v v="$V" '$3 == v && $4 == "true" {print $2}'; }
forwarded_on() { # PORT: exactly one forwarded engine, really using PORT
	[ "$(forwarded_on_vpn "$V")" -eq 1 ] && [ "$(engine_p2p "$(fwd_http)")" = "$1" ]
}
check "3 engines, the forwarded one on P2P 53001" wait_for 60 cond "[ \$(running_count) -eq 3 ] && forwarded_on 53001"
fwd_id=$(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.forwarded=true)
others=$(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.forwarded=false | sort | tr '\n' ' ')
vpn_id=$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$V")
# A live subscriber from now on: Docker replays only its last 256 events to
# `docker events --since`, which other tests' health checks overrun.
t0=$(date +%s.%N)
docker events --since "$t0" --filter "label=acestream.orchestrator=$it_id" \
	--filter event=create --filter event=destroy --format '{{.Action}} {{.Actor.ID}}' >"$it_dir/events" &
it_pids="$it_pids $!"

# The restart; no port comes back on its own (the test gives one later).
curl -fsS -X PUT -d '{"down_ms":3000}' "$CTL/test/vpn-restart" >/dev/null
check "Docker reports the VPN unhealthy" wait_for 15 cond "[ \"\$(vpn_health $V)\" = unhealthy ]"
check "the daemon sees the port go to 0 (logged)" wait_for 15 \
	grep -q "msg=\"vpn forwarded port changed\" vpn=$V from=53001 to=0" "$it_daemon_log"
check "Docker reports it healthy again" wait_vpn_healthy "$V" 15
vpn_view() { curl -fsS -m 2 "$API/vpn/status" | jq -r '.vpns[0] | "\(.health) \(.forwarded_port) \(.api_error)"'; }
settled() {
	[ "$(vpn_view)" = "healthy null null" ] && [ "$(running_count)" -eq 3 ] &&
		[ "$(curl -fsS -m 2 "$API/plan" | jq '.actions | length')" = 0 ]
}
check "healthy, no port yet, the fleet settled (empty plan)" wait_for 60 settled
eq "no port yet: the forwarded engine is kept" \
	"$(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.forwarded=true)" "$fwd_id"
eq "the same VPN container (ID, StartedAt)" "$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$V")" "$vpn_id"
eq "no engine created or removed while there was no port" "$(grep -c . "$it_dir/events")" 0

# The new port: a new forwarded engine first, then the old one goes.
curl -fsS -X PUT -d '{"ports":[53002]}' "$CTL/test/portforward" >/dev/null
check "new port: one forwarded engine, on P2P 53002; the old one gone" wait_for 60 \
	cond "forwarded_on 53002 && ! docker inspect $fwd_id >/dev/null 2>&1"
new_id=$(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.forwarded=true)
check "the removal seen by the events subscriber" wait_for 10 grep -q "destroy $fwd_id" "$it_dir/events"
eq "exactly one create, then one removal" "$(tr '\n' ';' <"$it_dir/events")" "create $new_id;destroy $fwd_id;"
eq "no other engine re-created" \
	"$(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.forwarded=false | sort | tr '\n' ' ')" "$others"
check "fleet back at 3, all running" wait_for 30 cond "[ \$(running_count) -eq 3 ] && [ \$(engine_count) -eq 3 ]"
check "port change 0 -> 53002 logged" grep -q "msg=\"vpn forwarded port changed\" vpn=$V from=0 to=53002" "$it_daemon_log"
