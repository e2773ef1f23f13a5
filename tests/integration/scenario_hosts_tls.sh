#!/bin/sh
# scenario_hosts_tls.sh - TLS certificates that do not match are reported
# clearly (issue 11): a second Docker host over tcp with --tlsverify, and the
# daemon given, in turn, a CA that did not sign the daemon's certificate, a
# client certificate the daemon does not trust, and an address the daemon's
# certificate does not name. Each time the log and /readyz name the host
# and the TLS error, the first host's fleet serves meanwhile, and once the
# right files are in the config (a live reload) the second host's VPN gets
# its engines. Ports 39100-39199, bridge octet 61.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dockerd2.sh"
it_init hosts_tls
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: hosts_tls: a private dockerd needs root" >&2
	exit 77
fi
B=39100
API=http://127.0.0.1:$((B + 95))
d2_start h3 61 $((B + 90)) || exit 99
D() { d2_docker h3 "$@"; }
# Another CA with its own client certificate: files that look right and are not.
d2_certs "$it_dir/other" "some other CA" || exit 99
good=$d2_tls other=$it_dir/other

check "v1 healthy on this machine's docker" start_vpn "$it_id-v1" $((B + 91)) "$B-$((B + 4))"
wait_vpn_healthy "$it_id-v1"
D run -d --name "$it_id-v2" --restart unless-stopped --label "acestream.test=$it_id" \
	-p "127.0.0.1:$((B + 92)):8000" -p "127.0.0.1:$((B + 10))-$((B + 14)):$((B + 10))-$((B + 14))" \
	ace-test/gluetun:latest >/dev/null
d2_healthy() { [ "$(D inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }
check "v2 healthy on the second dockerd" wait_for 30 d2_healthy "$it_id-v2"

# config ADDRESS CA CERT KEY
config() {
	write_config <<EOF
version: 1
instance: $it_id
docker:
  lease_ttl: 3s
docker_hosts:
  h3:
    host: $1
    tls: {ca: $2, cert: $3, key: $4}
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
replicas: {min: 2, max: 10, min_free: 0}
vpns:
  - name: $it_id-v1
    ports: $B-$((B + 4))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 91))
  - name: $it_id-v2
    docker: h3
    ports: $((B + 10))-$((B + 14))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 92))
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
  failover_after: 2s
  recover_after: 2s
api:
  listen: 127.0.0.1:$((B + 95))
EOF
}
readyz() { curl -sS "$API/readyz"; }
v2_on_h3() { D ps --filter "label=acestream.orchestrator=$it_id" --filter status=running -q | grep -c .; }

it_log "a CA that did not sign the daemon's certificate"
config "$d2_tcp" "$other/ca.pem" "$good/cert.pem" "$good/key.pem"
start_daemon
check "the fleet on the reachable host serves" wait_for 60 cond \
	"[ \$(docker ps --filter label=acestream.orchestrator=$it_id --filter status=running -q | grep -c .) -eq 2 ]"
check "the log names the host and the TLS error" wait_for 20 cond \
	"grep 'msg=\"docker host unreachable\" docker_host=h3 host=$d2_tcp' \"$it_daemon_log\" | grep -q 'SSL certificate problem'"
check "/readyz is ready and says why h3 is not" cond \
	"readyz | grep -q '\"status\":\"ok\".*\"warnings\":\\[\"docker host h3 ($d2_tcp) unreachable: [^\"]*SSL certificate problem'"
check "/readyz lists h3 unreachable with the error" cond \
	"readyz | grep -q '{\"name\":\"h3\",\"host\":\"$d2_tcp\",\"reachable\":false,\"error\":\"[^\"]*SSL certificate problem'"
eq "nothing was created on h3" "$(v2_on_h3)" 0
check "... and what to check" cond "readyz | grep -q 'tls.ca is not the CA that signed the daemon'"
it_log "/readyz: $(readyz)"

it_log "a client certificate the daemon does not trust"
: >"$it_dir/mark"
config "$d2_tcp" "$good/ca.pem" "$other/cert.pem" "$other/key.pem"
check "the reload is taken" wait_for 20 cond "[ \$(grep -c 'msg=\"config reloaded\"' \"$it_daemon_log\") -ge 1 ]"
# The daemon refuses the handshake: curl reports the TLS alert it got.
check "/readyz names h3 and a TLS (SSL) error" wait_for 20 cond \
	"readyz | grep -q '\"warnings\":\\[\"docker host h3 ($d2_tcp) unreachable: [^\"]*SSL' && ! readyz | grep -q 'SSL certificate problem'"
check "the daemon's own log shows the rejected client certificate" cond \
	"grep -qi 'tls\\|certificate' \"$(d2_dir h3)/log\""
eq "still nothing on h3" "$(v2_on_h3)" 0
check "... and what to check" cond "readyz | grep -q 'the daemon does not accept tls.cert'"
it_log "/readyz: $(readyz)"

it_log "an address the daemon's certificate does not name"
config "tcp://localhost:$((B + 90))" "$good/ca.pem" "$good/cert.pem" "$good/key.pem"
check "/readyz names the name mismatch" wait_for 20 cond \
	"readyz | grep -q '\"warnings\":\\[\"docker host h3 (tcp://localhost:$((B + 90))) unreachable: [^\"]*\\(subject name\\|does not match\\|alternative\\)'"
check "... and what to check" cond "readyz | grep -q 'certificate does not name this address'"
it_log "/readyz: $(readyz)"

it_log "the right files"
config "$d2_tcp" "$good/ca.pem" "$good/cert.pem" "$good/key.pem"
check "h3 answers: its VPN gets its engines" wait_for 60 cond "[ \$(v2_on_h3) -ge 1 ]"
check "/readyz: no warning left" wait_for 20 cond "readyz | grep -q '\"status\":\"ok\"' && ! readyz | grep -q warnings"
check "the log says h3 answers" grep -q 'msg="docker host reachable again" docker_host=h3' "$it_daemon_log"
stop_daemon
eq "daemon exit status" "$it_daemon_rc" 0
