#!/bin/sh
# compose.sh - examples/compose/{single-vpn,redundant}.yml brought up with
# Debian's docker-compose, the images swapped for the stand-ins (their names
# are variables) and the orchestrator image from scripts/build-image: the
# daemon in its container lists engines on /engines, reads each VPN's
# forwarded port through the control-server API key, survives a
# `docker-compose restart` of a VPN service (its engines are restarted after
# it and listed again), and `down` leaves nothing behind. Ports 34000-34999.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init ship_compose

command -v docker-compose >/dev/null 2>&1 || { echo "docker-compose not installed (apt-get install docker-compose)" >&2; exit 99; }
[ -e /dev/net/tun ] || { echo "/dev/net/tun missing: the compose files hand it to Gluetun" >&2; exit 99; }
# gluetun/config.toml gives the daemon exactly the routes src/gluetun.c calls.
daemon_routes=$(grep -o '"/v1/[a-z/]*"' "$top_srcdir/src/gluetun.c" | tr -d '"' | sort -u)
toml_routes=$(sed -n 's/^ *"GET \(\/v1\/[a-z/]*\)",\{0,1\}$/\1/p' "$top_srcdir/examples/compose/gluetun/config.toml" | sort -u)
eq "gluetun/config.toml grants exactly the GET routes src/gluetun.c calls" \
	"$(echo $toml_routes)" "$(echo $daemon_routes)"

it_log "building the orchestrator image (scripts/build-image)"
t0=$(date +%s)
image=$("$top_srcdir/scripts/build-image" 2>"$it_dir/build-image.log" | tail -n 1) || {
	cat "$it_dir/build-image.log"; echo "scripts/build-image failed" >&2; exit 99; }
it_log "image $image ready in $(( $(date +%s) - t0 ))s: $(grep 'built ' "$it_dir/build-image.log" | sed 's/^build-image: //')"

projects=""
# down: stop the daemon first (or it re-creates what is removed), then its
# engines (they are not compose services), then the compose project.
compose_down() {
	p=$1 d=$2 f=$3
	(cd "$d" && docker-compose -p "$p" -f "$f" -f override.yml stop orchestrator) >/dev/null 2>&1
	# The lease too (issue 11): a daemon killed here leaves it.
	ids=$(docker ps -aq --filter "label=acestream.orchestrator=$p"; docker ps -aq --filter "label=acestream.lease=$p")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	(cd "$d" && docker-compose -p "$p" -f "$f" -f override.yml down -v --remove-orphans) >/dev/null 2>&1
}
# Keeps the script's exit status for it_cleanup, which reads it from $?.
ship_cleanup() {
	rc=$?
	for entry in $projects; do
		compose_down $(echo "$entry" | tr ':' ' ')
	done
	(exit $rc); it_cleanup
}
trap ship_cleanup EXIT

# prepare VARIANT BASE: a copy of examples/compose in $it_dir/VARIANT with
# this test's names, ports and images; sets proj, dir, file, api.
prepare() {
	variant=$1 base=$2
	proj=$it_id-$variant dir=$it_dir/$variant file=$variant.yml api=$((base + 90))
	cp -R "$top_srcdir/examples/compose" "$dir"
	chmod -R u+w "$dir"
	key=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$key" >"$dir/config/gluetun_api_key"
	# As README.md says: the container's user (uid 10001) alone reads it.
	chown 10001:10001 "$dir/config/gluetun_api_key"
	chmod 600 "$dir/config/gluetun_api_key"
	sed -i "s/\"CHANGE-ME\"/\"$key\"/" "$dir/gluetun/config.toml"
	# Names and ports of this test instead of the examples' (the files stay
	# otherwise as shipped): each sed must hit, or the example changed shape.
	for edit in \
		"$file|container_name: gluetun|container_name: $proj-gluetun" \
		"$file|container_name: ace-orchestrator|container_name: $proj-orch" \
		"$file|\"19000-19019:19000-19019\"|\"$base-$((base + 19)):$base-$((base + 19))\"" \
		"config/$variant.yaml|name: gluetun|name: $proj-gluetun" \
		"config/$variant.yaml|instance: default|instance: $proj" \
		"config/$variant.yaml|image: ghcr.io/krinkuto11/acestream-http-proxy:latest|image: ace-test/engine:latest" \
		"config/$variant.yaml|ports: 19000-19019|ports: $base-$((base + 19))"; do
		f=${edit%%|*} rest=${edit#*|}
		from=${rest%%|*} to=${rest#*|}
		grep -qF "$from" "$dir/$f" || { not_ok "$variant: '$from' not found in $f"; return 1; }
		sed -i "s|$from|$to|" "$dir/$f"
	done
	if [ "$variant" = redundant ]; then
		for edit in \
			"$file|\"19020-19039:19020-19039\"|\"$((base + 20))-$((base + 39)):$((base + 20))-$((base + 39))\"" \
			"config/$variant.yaml|ports: 19020-19039|ports: $((base + 20))-$((base + 39))" \
			"config/$variant.yaml|ports: 19000-19039|ports: $base-$((base + 39))"; do
			f=${edit%%|*} rest=${edit#*|}
			from=${rest%%|*} to=${rest#*|}
			grep -qF "$from" "$dir/$f" || { not_ok "$variant: '$from' not found in $f"; return 1; }
			sed -i "s|$from|$to|" "$dir/$f"
		done
	fi
	# .env from the shipped env.example, with the stand-ins' image names.
	sed -e "s|^GLUETUN_IMAGE=.*|GLUETUN_IMAGE=ace-test/gluetun:latest|" \
	    -e "s|^ORCHESTRATOR_IMAGE=.*|ORCHESTRATOR_IMAGE=$image|" \
	    -e "s|^DOCKER_GID=.*|DOCKER_GID=$(stat -c %g /var/run/docker.sock)|" \
	    -e "s|^ORCHESTRATOR_PORT=.*|ORCHESTRATOR_PORT=$api|" \
	    "$dir/env.example" >"$dir/.env"
	# What the stand-in needs beyond the shipped file: config.toml's API key
	# as its API_KEY (it reads no TOML), a forwarded port, a 1 s health check.
	{
		echo "services:"
		for vpn in $(vpn_services); do
			cat <<EOF
  $vpn:
    environment:
      API_KEY: "$key"
      FORWARDED_PORT: "$(fwd_port "$vpn")"
    healthcheck:
      interval: 1s
      start_period: 20s
EOF
		done
	} >"$dir/override.yml"
	projects="$projects $proj:$dir:$file"
}

vpn_services() { if [ "$variant" = single-vpn ]; then echo gluetun; else echo gluetun1 gluetun2; fi; }
fwd_port() { case $1 in gluetun|gluetun1) echo $((base + 80)) ;; gluetun2) echo $((base + 81)) ;; esac; }
vpn_name() { case $1 in gluetun) echo "$proj-gluetun" ;; *) echo "$proj-$1" ;; esac; }

engines_json() { curl -fsS -m 2 "http://127.0.0.1:$api/engines"; }
# n_listed [VPN]: engines /engines lists (on VPN).
n_listed() { engines_json | grep -o "\"vpn_container\":\"${1:-[^\"]*}\"" | grep -c .; }
listed_at_least() { [ "$(n_listed "${2:-}")" -ge "$1" ]; }
orch_healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$proj-orch" 2>/dev/null)" = healthy ]; }
fwd_read() { curl -fsS -m 2 "http://127.0.0.1:$api/vpn/status" | grep -q "\"name\":\"$1\"[^}]*\"forwarded_port\":$2"; }
# Every running engine of VPN was (re)started after the VPN itself.
engines_after_vpn() {
	v=$(docker inspect -f '{{.State.StartedAt}}' "$1") || return 1
	vs=$(date -d "$v" +%s%N)
	ids=$(docker ps -q --filter "label=acestream.orchestrator=$proj" --filter "label=acestream.vpn_container=$1")
	[ -n "$ids" ] || return 1
	for id in $ids; do
		e=$(docker inspect -f '{{.State.StartedAt}}' "$id") || return 1
		[ "$(date -d "$e" +%s%N)" -ge "$vs" ] || return 1
	done
}

# ports_free LO HI: no listening TCP socket on the host in LO..HI.
ports_free() {
	! ss -Htln | awk '{print $4}' | sed 's/.*://' | awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 <= hi { f = 1 } END { exit !f }'
}

# run_variant VARIANT "BASES" MIN RESTART_SERVICE: the first base whose block
# (BASE..BASE+99) is free. Docker hands out ephemeral host ports (32768 and
# up) to other tests' `-p ::PORT`, so a block can be taken meanwhile: a
# failed `up` for that reason moves to the next base.
run_variant() {
	min=$3 svc=$4 dir=""
	for b in $2; do
		ports_free "$b" $((b + 99)) || { it_log "$1: ports $b-$((b + 99)) busy, next block"; continue; }
		rm -rf "$it_dir/$1"
		prepare "$1" "$b" || return
		t0=$(date +%s)
		if (cd "$dir" && docker-compose -p "$proj" -f "$file" -f override.yml up -d) >"$it_dir/$1-up.log" 2>&1; then
			ok "$1: docker-compose up -d (ports $b-$((b + 99)))"
			break
		fi
		if grep -qE 'address already in use|port is already allocated' "$it_dir/$1-up.log"; then
			it_log "$1: a port of $b-$((b + 99)) was taken meanwhile: next block"
			compose_down "$proj" "$dir" "$file"
			projects=$(echo "$projects" | sed "s| $proj:[^ ]*||")
			dir=""
			continue
		fi
		not_ok "$1: docker-compose up failed"; cat "$it_dir/$1-up.log"; return
	done
	[ -n "$dir" ] || { not_ok "$1: no free block of ports among $2"; return; }
	# Generous: a VPN whose health flaps (a loaded host) gets engines only
	# once it stayed available for health.recover_after (15 s).
	check "$1: /engines lists $min engines (daemon in its container, engines behind the VPNs)" \
		wait_for 240 listed_at_least "$min"
	it_log "$1: converged in $(( $(date +%s) - t0 ))s"
	for vpn in $(vpn_services); do
		check "$1: $(vpn_name "$vpn") has engines listed" wait_for 90 listed_at_least 1 "$(vpn_name "$vpn")"
		check "$1: $(vpn_name "$vpn")'s forwarded port read with the API key" \
			wait_for 30 fwd_read "$(vpn_name "$vpn")" "$(fwd_port "$vpn")"
	done
	check "$1: the orchestrator container is healthy (HEALTHCHECK on /healthz)" wait_for 60 orch_healthy
	eq "$1: the daemon runs as a non-root user" "$(docker exec "$proj-orch" id -u)" 10001

	vpn=$(vpn_name "$svc")
	t0=$(date +%s)
	(cd "$dir" && docker-compose -p "$proj" -f "$file" -f override.yml restart "$svc") >/dev/null 2>&1
	check "$1: after docker-compose restart $svc, its engines are restarted after it" \
		wait_for 90 engines_after_vpn "$vpn"
	check "$1: and /engines lists $min engines again, some on $vpn" \
		wait_for 60 cond "listed_at_least $min && listed_at_least 1 $vpn"
	it_log "$1: converged again $(( $(date +%s) - t0 ))s after the restart"

	t0=$(date +%s)
	if [ "$it_failed" -ne 0 ]; then
		echo "--- $1: orchestrator log (last 60 lines) ---"
		docker logs --tail 60 "$proj-orch" 2>&1
		echo "--- $1: containers ---"
		docker ps -a --filter "label=com.docker.compose.project=$proj" --format '{{.Names}} {{.Status}}'
		docker ps -a --filter "label=acestream.orchestrator=$proj" --format '{{.Names}} {{.Status}}'
	fi
	compose_down "$proj" "$dir" "$file"
	projects=$(echo "$projects" | sed "s| $proj:[^ ]*||")
	eq "$1: no container of the project left" \
		"$(docker ps -aq --filter "label=com.docker.compose.project=$proj" | grep -c .)" 0
	eq "$1: no engine left" "$(docker ps -aq --filter "label=acestream.orchestrator=$proj" | grep -c .)" 0
	eq "$1: no lease left (released on stop)" "$(docker ps -aq --filter "label=acestream.lease=$proj" | grep -c .)" 0
	eq "$1: no network left" "$(docker network ls -q --filter "name=${proj}_" | grep -c .)" 0
	eq "$1: no volume left" "$(docker volume ls -q --filter "label=com.docker.compose.project=$proj" | grep -c .)" 0
	it_log "$1: torn down in $(( $(date +%s) - t0 ))s"
}

run_variant single-vpn "34000 34200 34400" 2 gluetun
run_variant redundant "34100 34300 34700" 4 gluetun1
