#!/bin/sh
# scenario_novpn.sh - no VPN declared: engines run on `network` and publish
# their HTTP port from the global `ports` range; no forwarded engine.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init novpn
B=22000

cat <<EOF2 | write_config
version: 1
instance: $it_id
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
replicas: {min: 3, max: 5, min_free: 0}
ports: $B-$((B + 4))
network: bridge
api:
  listen: 127.0.0.1:$((B + 95))
EOF2
"$ACE" apply -c "$it_cfg" --timeout 60s >>"$it_daemon_log" 2>&1
eq "apply converges (exit 0)" $? 0
eq "3 engines running" "$(running_count)" 3
eq "lowest ports of the range, no VPN, none forwarded" \
	"$(engines | awk '{print $2, $3, $4}' | tr '\n' ';')" \
	"$B - false;$((B + 1)) - false;$((B + 2)) - false;"
id=$(docker ps -q --filter "name=^$it_id-$B\$")
eq "on the declared network" "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id")" bridge
eq "HTTP port published on the same host port" \
	"$(docker inspect -f '{{(index (index .HostConfig.PortBindings "'$B'/tcp") 0).HostPort}}' "$id")" "$B"
check "reachable through the published port" wait_for 10 engine_reachable $B
eq "https and p2p from the bases + slot" "$(engine_info $((B + 1)) | sed -n 's/.*"https_port":\([0-9]*\),"p2p_port":\([0-9]*\).*/\1 \2/p')" "45001 50001"
"$ACE" plan -c "$it_cfg" --detailed-exitcode >/dev/null 2>&1; eq "converged: plan --detailed-exitcode 0" $? 0
