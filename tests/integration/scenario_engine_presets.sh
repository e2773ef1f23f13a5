#!/bin/sh
# scenario_engine_presets.sh - engine.preset against stand-ins that follow the
# real images' contracts (tests/fixtures/fake-engine.c): with the default
# config (no engine.env at all) ace-test/engine:latest, which reads what the
# current acestream-http-proxy entrypoint reads and ignores CONF, serves on
# every assigned HTTP, HTTPS and P2P port, forwarded ports included; so does
# each other preset against its flavour image.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init engine_presets
B=31000
FWD1=47001 FWD2=47002

check "both stand-in VPNs healthy, each with a forwarded port" start_two_vpns $B $FWD1 $FWD2

# preset_config IMAGE [ENGINE LINES]: 4 engines over the two VPNs.
preset_config() {
	cat <<EOF2
version: 1
instance: $it_id
engine:
  image: $1
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
${2:-}
replicas: {min: 4, max: 10, min_free: 0}
vpns:
  - name: $it_id-v1
    ports: $B-$((B + 4))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 90))
  - name: $it_id-v2
    ports: $((B + 10))-$((B + 14))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 91))
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
api:
  listen: 127.0.0.1:$((B + 95))
EOF2
}

# "vpn http https p2p forwarded" of each running engine, one per line.
engine_ports() {
	docker ps --filter "label=acestream.orchestrator=$it_id" --format \
		'{{.Label "acestream.vpn_container"}} {{.Label "acestream.http_port"}} {{.Label "acestream.https_port"}} {{.Label "acestream.p2p_port"}} {{.Label "acestream.forwarded"}}' | sort
}

# probe_in VPN PORT...: connects from inside VPN's network namespace to its
# address (not loopback: engines must bind all interfaces to be reachable).
probe_in() {
	vpn=$1; shift
	vip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$vpn")
	docker run --rm --label "acestream.test=$it_id" --network "container:$vpn" \
		ace-test/engine:latest --fixture-probe "$vip" "$@" >"$it_dir/probe" 2>&1
}

# fleet_serves NAME FLAVOUR: apply the current config, then every engine
# answers on its labelled ports and reports them (and the flavour) itself.
fleet_serves() {
	name=$1 flavour=$2
	"$ACE" apply -c "$it_cfg" --timeout 90s >>"$it_daemon_log" 2>&1
	eq "$name: apply converges (exit 0)" $? 0
	eq "$name: 4 engines running" "$(running_count)" 4
	eq "$name: one forwarded engine per VPN" \
		"$(forwarded_on_vpn "$it_id-v1") $(forwarded_on_vpn "$it_id-v2")" "1 1"
	eq "$name: forwarded engines use the forwarded ports as P2P ports" \
		"$(engine_ports | awk '$5 == "true" {print $4}' | tr '\n' ' ')" "$FWD1 $FWD2 "
	engine_ports >"$it_dir/ports"
	for vpn in "$it_id-v1" "$it_id-v2"; do
		ports=
		while read -r v http https p2p fwd; do
			[ "$v" = "$vpn" ] || continue
			check "$name: engine on $http answers through the VPN's published port" \
				wait_for 15 engine_reachable "$http"
			want="\"flavour\":\"$flavour\",\"http_port\":$http,\"https_port\":$https,\"p2p_port\":$p2p,\"bind_all\":true"
			check "$name: engine on $http reports http $http, https $https, p2p $p2p (forwarded=$fwd)" \
				cond "engine_info $http | grep -qF '$want'"
			ports="$ports $http/http $https/http $p2p"
		done <"$it_dir/ports"
		# shellcheck disable=SC2086 # a list of ports
		if probe_in "$vpn" $ports; then
			ok "$name: every HTTP, HTTPS and P2P port on $vpn answers inside its namespace"
		else
			not_ok "$name: ports on $vpn: $(grep -v ' ok$' "$it_dir/probe" | tr '\n' ' ')"
		fi
	done
	ids=$(docker ps -aq --filter "label=acestream.orchestrator=$it_id")
	# shellcheck disable=SC2086 # a list of IDs
	[ -z "$ids" ] || docker rm -f $ids >/dev/null
}

# 1. The default config: no preset, no engine.env.
preset_config ace-test/engine:latest | write_config
check "default config has no engine.env" cond "! grep -q 'env:' '$it_cfg'"
"$ACE" validate --dump -c "$it_cfg" >"$it_dir/dump" 2>&1
check "validate --dump shows the default preset" grep -qx '  preset: krinkuto11' "$it_dir/dump"
check "validate --dump shows HTTP_PORT, HTTPS_PORT, BIND_ALL, P2P_PORT and CONF" cond \
	"grep -A5 '^  env:' '$it_dir/dump' | grep -c -e '^    HTTP_PORT: \"{http_port}\"' -e '^    HTTPS_PORT: \"{https_port}\"' -e '^    BIND_ALL: \"true\"' -e '^    P2P_PORT: \"{p2p_port}\"' -e '^    CONF: ' | grep -qx 5"
fleet_serves "krinkuto11 (default)" krinkuto11

# 2. acestream-http-proxy builds before 2025-09-20 read only CONF: the
# documented override adds the P2P port to it (engine.env is merged).
preset_config ace-test/engine:legacy '  env:
    CONF: "--http-port={http_port}\n--https-port={https_port}\n--bind-all\n--port={p2p_port}"' | write_config
fleet_serves "krinkuto11 on a CONF-only build" legacy

# 3. jopsis/acestream:x64: ACESTREAM_ARGS.
preset_config ace-test/engine:jopsis '  preset: jopsis-amd64' | write_config
fleet_serves "jopsis-amd64" jopsis

# 4. jopsis/acestream:arm32-*/arm64-*: argv.
preset_config ace-test/engine:arm '  preset: jopsis-arm64' | write_config
fleet_serves "jopsis-arm64" arm
preset_config ace-test/engine:arm '  preset: jopsis-arm32' | write_config
fleet_serves "jopsis-arm32" arm

# 5. custom: nothing but what the file says.
preset_config ace-test/engine:arm '  preset: custom
  command: ["--bind-all", "--http-port={http_port}", "--https-port={https_port}", "--port={p2p_port}"]' | write_config
fleet_serves "custom with engine.command" arm
