#!/bin/sh
# scenario_hosts_two.sh - one orchestrator, two Docker hosts (issue 11): the
# machine's Docker and a private dockerd reached over tcp with TLS client
# certificates. VPNs on both converge with the right engines on each; the
# second dockerd stopped hides only its engines and moves its share to the
# first host's VPN, touching nothing on the first; started again, the fleet
# converges back, its engines started where they were, not re-created.
# Ports 39000-39099, bridge octet 60.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dockerd2.sh"
it_init hosts_two
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: hosts_two: a private dockerd needs root" >&2
	exit 77
fi
B=39000
API=http://127.0.0.1:$((B + 95))
d2_start h2 60 $((B + 90)) || exit 99
D() { d2_docker h2 "$@"; }

check "v1 healthy on this machine's docker" start_vpn "$it_id-v1" $((B + 91)) "$B-$((B + 4))"
wait_vpn_healthy "$it_id-v1"
D run -d --name "$it_id-v2" --restart unless-stopped --label "acestream.test=$it_id" \
	-p "127.0.0.1:$((B + 92)):8000" -p "127.0.0.1:$((B + 10))-$((B + 14)):$((B + 10))-$((B + 14))" \
	ace-test/gluetun:latest >/dev/null
d2_healthy() { [ "$(D inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }
check "v2 healthy on the second dockerd" wait_for 30 d2_healthy "$it_id-v2"

write_config <<EOF
version: 1
instance: $it_id
docker:
  lease_ttl: 3s
docker_hosts:
  h2:
    host: $d2_tcp
    tls: {ca: $d2_tls/ca.pem, cert: $d2_tls/cert.pem, key: $d2_tls/key.pem}
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
replicas: {min: 4, max: 10, min_free: 0}
vpns:
  - name: $it_id-v1
    ports: $B-$((B + 4))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 91))
  - name: $it_id-v2
    docker: h2
    ports: $((B + 10))-$((B + 14))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 92))
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
  failover_after: 3s
  recover_after: 3s
api:
  listen: 127.0.0.1:$((B + 95))
EOF
check "the config validates" "$ACE" validate -c "$it_cfg"
start_daemon

# Engines of this instance on one Docker: "name vpn state" lines.
on_local() { docker ps -a --filter "label=acestream.orchestrator=$it_id" --format '{{.Names}} {{.Label "acestream.vpn_container"}} {{.State}}'; }
on_d2() { D ps -a --filter "label=acestream.orchestrator=$it_id" --format '{{.Names}} {{.Label "acestream.vpn_container"}} {{.State}}'; }
n_running() { awk -v v="$1" '$2 == v && $3 == "running"' | grep -c .; }
served() { curl -fsS "$API/engines" | grep -o '"docker_host":"[a-z0-9]*"' | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }

check "converged: two engines of v1 here, two of v2 on h2" wait_for 90 cond \
	"[ \$(on_local | n_running $it_id-v1) -eq 2 ] && [ \$(on_d2 | n_running $it_id-v2) -eq 2 ]"
eq "nothing of v2 on this machine" "$(on_local | awk -v v="$it_id-v2" '$2 == v' | grep -c .)" 0
eq "nothing of v1 on h2" "$(on_d2 | awk -v v="$it_id-v1" '$2 == v' | grep -c .)" 0
check "/engines serves all four, each naming its docker host" wait_for 30 cond \
	"[ \"\$(served)\" = ' 2 \"docker_host\":\"default\"; 2 \"docker_host\":\"h2\";' ]"
check "/vpn/status names the host of each VPN" cond \
	"curl -fsS $API/vpn/status | grep -q '\"name\":\"$it_id-v2\",\"container_name\":\"$it_id-v2\",\"docker_host\":\"h2\",\"docker_host_reachable\":true'"
check "/metrics: both hosts up" cond \
	"curl -fsS $API/metrics | grep -q '^orch_docker_host_up{docker_host=\"h2\"} 1'"
check "status prints the hosts" cond "\"$ACE\" status --api $API | grep -q '^  h2 .* reachable, 1 vpn, 2 engines'"
local_before=$(docker ps -aq --filter "label=acestream.orchestrator=$it_id")
d2_before=$(D ps -aq --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')
log_at_stop=$(wc -l <"$it_daemon_log")

it_log "stopping the second dockerd"
d2_stop h2
check "its engines are hidden from /engines" wait_for 20 cond \
	"[ \"\$(served)\" = ' 2 \"docker_host\":\"default\";' ] || [ \"\$(served)\" = ' 3 \"docker_host\":\"default\";' ] || [ \"\$(served)\" = ' 4 \"docker_host\":\"default\";' ]"
check "and kept in the view with a reason naming the host" cond \
	"curl -fsS '$API/engines?all=1' | grep -q '\"docker_host\":\"h2\".*\"hidden_reason\":\"docker host h2 unreachable'"
check "/readyz stays ready and names the host that is down" cond \
	"curl -fsS $API/readyz | grep -q '\"warnings\":\\[\"docker host h2 (tcp://127.0.0.1:$((B + 90))) unreachable'"
check "the log says which host went away" grep -q 'msg="docker host unreachable" docker_host=h2' "$it_daemon_log"
check "its share moves to v1: four engines here" wait_for 60 cond "[ \$(on_local | n_running $it_id-v1) -eq 4 ]"
check "/engines serves four" wait_for 30 cond "[ \"\$(served)\" = ' 4 \"docker_host\":\"default\";' ]"
all_there() { for id in $local_before; do docker inspect "$id" >/dev/null 2>&1 || return 1; done; }
check "the engines v1 had were left alone" all_there
eq "no action was aimed at h2 while it was down" \
	"$(tail -n "+$log_at_stop" "$it_daemon_log" | grep 'msg="action' | grep -c 'host=h2')" 0

it_log "starting the second dockerd again"
d2_launch h2 || exit 99
check "converged back: two engines on each host" wait_for 120 cond \
	"[ \$(on_local | n_running $it_id-v1) -eq 2 ] && [ \$(on_d2 | n_running $it_id-v2) -eq 2 ] && [ \$(on_local | grep -c .) -eq 2 ]"
check "/engines serves two on each host" wait_for 30 cond \
	"[ \"\$(served)\" = ' 2 \"docker_host\":\"default\"; 2 \"docker_host\":\"h2\";' ]"
eq "h2's engines are the same containers, started again, not re-created" \
	"$(D ps -aq --filter "label=acestream.orchestrator=$it_id" | sort | tr '\n' ' ')" "$d2_before"
check "they were started on h2" grep -q 'msg="action done" action=start .*host=h2' "$it_daemon_log"
check "the log says h2 answers again" grep -q 'msg="docker host reachable again" docker_host=h2' "$it_daemon_log"
check "every engine reachable" cond "for p in \$(curl -fsS $API/engines | grep -o '\"port\":[0-9]*' | cut -d: -f2); do engine_reachable \$p || exit 1; done"
stop_daemon
eq "daemon exit status" "$it_daemon_rc" 0
eq "the lease released on exit" "$(docker ps -aq --filter "label=acestream.lease=$it_id" | grep -c .)" 0
