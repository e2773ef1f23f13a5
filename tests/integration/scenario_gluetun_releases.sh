#!/bin/sh
# scenario_gluetun_releases.sh - the daemon gets the forwarded port and
# creates the forwarded engine from every emulated Gluetun release, with and
# without auth (apikey, basic), all in one fleet; a release whose config.toml
# lacks the route is reported "unauthorized" naming it, the error is logged
# when it appears, changes and clears, and the fix brings the forwarded engine.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init gluetun_releases
command -v jq >/dev/null 2>&1 || { echo "SKIP: gluetun_releases: jq is needed (apt-get install jq)" >&2; exit 77; }
B=33100
API=http://127.0.0.1:33990
NEW_IP='GET /v1/portforward,GET /v1/publicip/ip'
OLD_IP='GET /v1/openvpn/portforwarded,GET /v1/publicip/ip'
printf 'k-%s\n' "$$" > "$it_dir/key"
printf 'pw-%s\n' "$$" > "$it_dir/password"
chmod 600 "$it_dir/key" "$it_dir/password"
KEY=k-$$ PW=pw-$$

# One line per VPN: suffix | GLUETUN_VERSION | AUTH_ROLES | credentials in
# orchestrator.yaml (none, key, basic).
cat > "$it_dir/vpns" <<EOF
v3390|v3.39.0||none
v3390key|v3.39.0||key
v340|v3.40.0||none
v340key|v3.40.0|apikey:$KEY|$OLD_IP|key
v340basic|v3.40.2|basic:orch:$PW|$OLD_IP|basic
v341none|v3.41.0|none|$NEW_IP|none
v341key|v3.41.0|apikey:$KEY|$NEW_IP|key
v341basic|v3.41.1|basic:orch:$PW|$NEW_IP|basic
latestnone|latest|none|$NEW_IP|none
latestkey|latest|apikey:$KEY|$NEW_IP|key
latestbasic|latest|basic:orch:$PW|$NEW_IP|basic
v341noconf|v3.41.0||none
EOF
# AUTH_ROLES holds one '|': split the line from both ends.
field() { printf '%s\n' "$1" | cut -d'|' -f"$2"; }
roles_of() { printf '%s\n' "$1" | cut -d'|' -f3- | sed 's/|[^|]*$//'; }
cred_of() { printf '%s\n' "$1" | sed 's/.*|//'; }

# Our fixed ports lie in Linux's ephemeral range (32768-60999), which Docker
# also hands out for "-p 127.0.0.1::PORT": one may be held a while by a
# TIME_WAIT or another test's container. Retry until it is free. A health
# check every 5 s (not 1 s) keeps this fleet's Docker events few: Docker
# replays only its last 256 to other tests' `docker events --since`.
start_release() { # INDEX LINE
	i=$1 line=$2 n=0
	lo=$((B + 10 * i)) roles=$(roles_of "$line") name=$it_id-$(field "$line" 1)
	while ! start_vpn "$name" $((33900 + i)) "$lo-$((lo + 4))" --health-interval=5s \
		-e "GLUETUN_VERSION=$(field "$line" 2)" -e "FORWARDED_PORT=$((52000 + i))" \
		${roles:+-e "AUTH_ROLES=$roles"} 2>"$it_dir/run.err"; do
		docker rm -f "$name" >/dev/null 2>&1
		n=$((n + 1))
		grep -q -e 'address already in use' -e 'port is already allocated' "$it_dir/run.err" &&
			[ "$n" -lt 90 ] || { cat "$it_dir/run.err" >&2; return 1; }
		sleep 1
	done
}

i=0
while IFS= read -r line; do
	start_release $i "$line" || not_ok "start $(field "$line" 1)"
	i=$((i + 1))
done < "$it_dir/vpns"
N=$i
all_healthy() {
	while IFS= read -r line; do vpn_healthy "$it_id-$(field "$line" 1)" || return 1; done < "$it_dir/vpns"
}
check "$N stand-in Gluetun releases healthy" wait_for 60 all_healthy

{
	cat <<EOF
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
replicas: {min: $N, max: $((2 * N)), min_free: 0}
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
api:
  listen: 127.0.0.1:33990
vpns:
EOF
	i=0
	while IFS= read -r line; do
		lo=$((B + 10 * i))
		echo "  - name: $it_id-$(field "$line" 1)"
		echo "    ports: $lo-$((lo + 4))"
		echo "    host: 127.0.0.1"
		echo "    api: http://127.0.0.1:$((33900 + i))"
		case $(cred_of "$line") in
		key) echo "    api_key_file: $it_dir/key" ;;
		basic) echo "    api_username: orch"; echo "    api_password_file: $it_dir/password" ;;
		esac
		i=$((i + 1))
	done < "$it_dir/vpns"
} | write_config
check "config valid" "$ACE" validate -c "$it_cfg"
start_daemon

fwd_http() { engines | awk -v v="$1" '$3 == v && $4 == "true" {print $2}'; }
# forwarded_ok NAME PORT: one forwarded engine, labelled and really using PORT.
forwarded_ok() {
	[ "$(forwarded_on_vpn "$1")" -eq 1 ] || return 1
	h=$(fwd_http "$1")
	[ "$(engines | awk -v v="$1" '$3 == v && $4 == "true" {print $5}')" = "$2" ] &&
		[ "$(engine_p2p "$h")" = "$2" ]
}
every_forwarded() {
	i=0
	while IFS= read -r line; do
		s=$(field "$line" 1)
		[ "$s" = v341noconf ] || forwarded_ok "$it_id-$s" $((52000 + i)) || return 1
		i=$((i + 1))
	done < "$it_dir/vpns"
}
check "every release but the unauthorized one: a forwarded engine on its forwarded port" \
	wait_for 120 every_forwarded
i=0
while IFS= read -r line; do
	s=$(field "$line" 1)
	[ "$s" = v341noconf ] || check "$s: forwarded engine with P2P $((52000 + i))" forwarded_ok "$it_id-$s" $((52000 + i))
	i=$((i + 1))
done < "$it_dir/vpns"

NC=$it_id-v341noconf
api_error() { curl -fsS -m 2 "$API/vpn/status" | jq -r --arg n "$1" '.vpns[] | select(.name == $n) | .api_error // ""'; }
check "v3.41 without a role: /vpn/status says unauthorized, naming the route" \
	wait_for 30 cond "api_error $NC | grep -q 'unauthorized (HTTP 401).*\"GET /v1/portforward\"'"
check "... and how to fix it (api_key_file or api_username)" cond "api_error $NC | grep -q 'api_key_file.*api_username'"
check "its engine runs, not forwarded" wait_for 30 cond "[ \$(count_on_vpn $NC) -ge 1 ] && [ \$(forwarded_on_vpn $NC) -eq 0 ]"
check "the error is logged when it appears" grep -q "msg=\"vpn control server error\" vpn=$NC error=\"unauthorized" "$it_daemon_log"
check "no credential in the log" cond "! grep -q -e '$KEY' -e '$PW' '$it_daemon_log'"

# The error changes: the control server stops answering in time, then
# answers 401 again.
NCCTL=http://127.0.0.1:$((33900 + N - 1))
curl -fsS -X PUT -d '{"hang":true}' "$NCCTL/test/fault" >/dev/null
check "a hanging control server changes the error (logged)" wait_for 30 \
	grep -q "msg=\"vpn control server error changed\" vpn=$NC error=.*was=\"unauthorized" "$it_daemon_log"
curl -fsS -X PUT -d '{"hang":false}' "$NCCTL/test/fault" >/dev/null
check "answering again: unauthorized again (logged as a change)" wait_for 30 \
	grep -q "msg=\"vpn control server error changed\" vpn=$NC error=\"unauthorized" "$it_daemon_log"

# A working VPN whose control server hangs a while: the error appears and
# clears, and the last known port keeps its forwarded engine meanwhile.
LK=$it_id-latestkey
LKCTL=http://127.0.0.1:$((33900 + 9))
lk_id=$(docker ps -q --filter "label=acestream.vpn_container=$LK" --filter label=acestream.forwarded=true)
curl -fsS -X PUT -d '{"hang":true}' "$LKCTL/test/fault" >/dev/null
check "latestkey hangs: the error appears (logged)" wait_for 30 \
	grep -q "msg=\"vpn control server error\" vpn=$LK error=" "$it_daemon_log"
curl -fsS -X PUT -d '{"hang":false}' "$LKCTL/test/fault" >/dev/null
check "latestkey answers again: the error clears (logged)" wait_for 30 \
	grep -q "msg=\"vpn control server error cleared\" vpn=$LK" "$it_daemon_log"
eq "latestkey: the same forwarded engine throughout" \
	"$(docker ps -q --filter "label=acestream.vpn_container=$LK" --filter label=acestream.forwarded=true)" "$lk_id"

# The operator adds the role (config.toml is read at start: a new container):
# no error any more, and the forwarded engine comes.
docker rm -f "$NC" >/dev/null
check "v341noconf re-created with the role" start_release $((N - 1)) "v341noconf|v3.41.0|none|$NEW_IP|none"
check "role added: forwarded engine with P2P $((52000 + N - 1))" wait_for 60 forwarded_ok "$NC" $((52000 + N - 1))
check "role added: /vpn/status has no error for it" wait_for 30 cond "[ -z \"\$(api_error $NC)\" ]"
check "fleet converged: one engine per VPN" wait_for 60 cond "[ \$(running_count) -eq $N ] && [ \$(engine_count) -eq $N ]"
