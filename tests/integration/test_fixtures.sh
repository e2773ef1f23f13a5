#!/bin/sh
# test_fixtures.sh - smoke test of the stand-in images ace-test/gluetun and
# ace-test/engine:{latest,legacy,jopsis,arm} (tests/fixtures). Needs a Docker
# daemon and curl.
# Exit 77 (SKIP) only when no Docker daemon answers.
#
# Every container carries the labels acestream.test=fixtures and
# acestream.test.run=<this run>; leftovers can be found with
#   docker ps -a --filter label=acestream.test=fixtures
set -eu

here=$(CDPATH="" cd -- "$(dirname -- "$0")" && pwd)
srcdir=${top_srcdir:-$(CDPATH="" cd -- "$here/../.." && pwd)}
build=$srcdir/tests/fixtures/build-images.sh
[ -r "$build" ] || build=$here/../fixtures/build-images.sh

RUN=acetest-fix-$$
GIMG=ace-test/gluetun:latest
EIMG=ace-test/engine:latest
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/acetest-fix.XXXXXX")
failures=0
checks=0

skip() {
	echo "##############################################################" >&2
	echo "# SKIP: $*" >&2
	echo "# test_fixtures.sh needs a running Docker daemon." >&2
	echo "##############################################################" >&2
	rm -rf "$TMPD"
	exit 77
}
fatal() { echo "FATAL: $*" >&2; exit 1; }

[ "${ACE_SKIP_DOCKER:-}" = 1 ] && skip "ACE_SKIP_DOCKER=1"
command -v docker >/dev/null 2>&1 || skip "no docker command"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || skip "no Docker daemon answers"
command -v curl >/dev/null 2>&1 || fatal "curl is required"

cleanup() {
	ids=$(docker ps -aq --filter "label=acestream.test.run=$RUN" 2>/dev/null || true)
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086 # a list of IDs
		docker rm -f $ids >/dev/null 2>&1 || true
	fi
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
notok() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok $checks - $*"; }

# expect DESC EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
# expect_in DESC NEEDLE HAYSTACK
expect_in() {
	case $3 in
	*"$2"*) ok "$1" ;;
	*) notok "$1: '$2' not in '$3'" ;;
	esac
}

# http METHOD URL [BODY [CURL-ARGS...]] -> prints "CODE BODY" (CODE 000 on error)
http() {
	m=$1 u=$2
	shift 2
	b=
	if [ $# -gt 0 ]; then b=$1; shift; fi
	if [ -n "$b" ]; then
		code=$(curl -s -m 5 -o "$TMPD/body" -w '%{http_code}' -X "$m" \
			-H 'Content-Type: application/json' --data-binary "$b" "$@" "$u" || true)
	else
		code=$(curl -s -m 5 -o "$TMPD/body" -w '%{http_code}' -X "$m" "$@" "$u" || true)
	fi
	[ -n "$code" ] || code=000
	printf '%s %s' "$code" "$(cat "$TMPD/body" 2>/dev/null || true)"
}

# wait_health NAME STATUS SECONDS
wait_health() {
	n=0 st=
	while [ "$n" -lt $(($3 * 5)) ]; do
		st=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null || true)
		[ "$st" = "$2" ] && return 0
		sleep 0.2
		n=$((n + 1))
	done
	echo "# $1: health is '$st' after $3 s, wanted '$2'" >&2
	return 1
}

# wait_http URL SECONDS -> 0 once anything answers with an HTTP status
wait_http() {
	n=0
	while [ "$n" -lt $(($2 * 5)) ]; do
		c=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$1" || true)
		case $c in ''|000) ;; *) return 0 ;; esac
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# host_port CONTAINER CONTAINER-PORT -> 127.0.0.1:NNNN
host_port() { docker port "$1" "$2/tcp" | sed -n 's/^\(127\.0\.0\.1:[0-9]*\)$/\1/p' | head -n 1; }

dockrun() {
	docker run -d --label acestream.test=fixtures --label "acestream.test.run=$RUN" "$@"
}

# ---------------------------------------------------------------- images
sh "$build" || fatal "build-images.sh failed"
ok "images built"

# --------------------------------------------------------- main gluetun
# Publishes its control port (ephemeral host port) and a 4-port engine
# range with identical host and container ports, like the real setup.
G=$RUN-gluetun
base=
for try in 29100 29140 29180 29220 29260 29300; do
	if dockrun --name "$G" -e START_DELAY=2 -e FORWARDED_PORT=40001 \
		-p 127.0.0.1::8000 -p "127.0.0.1:$try-$((try + 3)):$try-$((try + 3))" \
		"$GIMG" >/dev/null 2>"$TMPD/err"; then
		base=$try
		break
	fi
	if grep -qi -e 'already allocated' -e 'address already in use' "$TMPD/err"; then
		docker rm -f "$G" >/dev/null 2>&1 || true
		continue
	fi
	cat "$TMPD/err" >&2
	fatal "cannot start $GIMG"
done
[ -n "$base" ] || fatal "no free host port range found for the engine ports"
echo "# engine port range 127.0.0.1:$base-$((base + 3))"

expect "gluetun health starts as 'starting' (START_DELAY)" starting \
	"$(docker inspect -f '{{.State.Health.Status}}' "$G")"
if wait_health "$G" healthy 30; then ok "gluetun becomes healthy"; else notok "gluetun becomes healthy"; fi

CTRL=http://$(host_port "$G" 8000)
wait_http "$CTRL/v1/portforward" 10 || fatal "control server of $G does not answer at $CTRL"

expect "GET /v1/portforward" '200 {"port":40001,"ports":[40001]}' "$(http GET "$CTRL/v1/portforward")"
expect "GET /v1/openvpn/portforwarded" '200 {"port":40001}' "$(http GET "$CTRL/v1/openvpn/portforwarded")"
expect_in "GET /v1/publicip/ip" '"public_ip":"203.0.113.10"' "$(http GET "$CTRL/v1/publicip/ip")"
expect "PUT /v1/portforward {ports:[40002]}" '200 {"port":40002,"ports":[40002]}' \
	"$(http PUT "$CTRL/v1/portforward" '{"ports":[40002]}')"
expect "GET /v1/portforward after change" '200 {"port":40002,"ports":[40002]}' \
	"$(http GET "$CTRL/v1/portforward")"
expect "PUT /v1/portforward {ports:[]} clears" '200 {"port":0,"ports":[]}' \
	"$(http PUT "$CTRL/v1/portforward" '{"ports":[]}')"
expect "GET /v1/openvpn/portforwarded when none" '200 {"port":0}' \
	"$(http GET "$CTRL/v1/openvpn/portforwarded")"
expect "PUT /v1/portforward {port:40001}" '200 {"port":40001,"ports":[40001]}' \
	"$(http PUT "$CTRL/v1/portforward" '{"port":40001}')"
expect_in "PUT /v1/portforward garbage -> 400" '400 ' "$(http PUT "$CTRL/v1/portforward" 'garbage')"
expect_in "unknown route -> 404" '404 ' "$(http GET "$CTRL/nope")"

# ------------------------------------------------------------ variants
K=$RUN-apikey
dockrun --name "$K" -e API_KEY=s3cret -e FORWARDED_PORT=40010,40011 -p 127.0.0.1::8000 "$GIMG" >/dev/null
L=$RUN-legacy
dockrun --name "$L" -e LEGACY=1 -e FORWARDED_PORT=40020 -e PUBLIC_IP=198.51.100.7 \
	-p 127.0.0.1::8000 "$GIMG" >/dev/null
O=$RUN-oldfmt
dockrun --name "$O" -e OLD_FORMAT=1 -e FORWARDED_PORT=40030 -p 127.0.0.1::8000 "$GIMG" >/dev/null
KU=http://$(host_port "$K" 8000)
LU=http://$(host_port "$L" 8000)
OU=http://$(host_port "$O" 8000)
for u in "$KU" "$LU" "$OU"; do
	wait_http "$u/test/health" 10 || fatal "control server at $u does not answer"
done

expect_in "API key: no header -> 401" '401 {"error":' "$(http GET "$KU/v1/portforward")"
expect_in "API key: wrong key -> 401" '401 {"error":' \
	"$(http GET "$KU/v1/portforward" '' -H 'X-API-Key: wrong')"
expect "API key: right key -> 200" '200 {"port":40010,"ports":[40010,40011]}' \
	"$(http GET "$KU/v1/portforward" '' -H 'X-API-Key: s3cret')"
expect_in "API key: publicip also protected" '401 ' "$(http GET "$KU/v1/publicip/ip")"
expect "API key: /test/health stays open" '200 {"healthy":true}' "$(http GET "$KU/test/health")"

expect_in "legacy: /v1/portforward -> 404" '404 ' "$(http GET "$LU/v1/portforward")"
expect "legacy: /v1/openvpn/portforwarded" '200 {"port":40020}' "$(http GET "$LU/v1/openvpn/portforwarded")"
expect_in "legacy: PUBLIC_IP" '"public_ip":"198.51.100.7"' "$(http GET "$LU/v1/publicip/ip")"
expect "legacy: /test/portforward changes the port" '200 {"port":40021,"ports":[40021]}' \
	"$(http PUT "$LU/test/portforward" '{"ports":[40021]}')"
expect "legacy: old route sees the change" '200 {"port":40021}' \
	"$(http GET "$LU/v1/openvpn/portforwarded")"

expect "old format: /v1/portforward has no ports" '200 {"port":40030}' "$(http GET "$OU/v1/portforward")"

# ------------------------------------------- releases (GLUETUN_VERSION)
# headers URL [CURL-ARGS...] -> the response's header lines, CR stripped
headers() { u=$1; shift; curl -s -m 5 -o /dev/null -D - "$@" "$u" | tr -d '\r'; }

R39=$RUN-v3390 R40=$RUN-v340 R40K=$RUN-v340key R41=$RUN-v341 RL=$RUN-latest RLN=$RUN-latestnone
# Only RL and RH need Docker's health check; the others' events would crowd
# the 256 events Docker replays to other tests.
dockrun --no-healthcheck --name "$R39" -e GLUETUN_VERSION=v3.39.0 -e FORWARDED_PORT=40040 -e API_KEY=ignored \
	-p 127.0.0.1::8000 "$GIMG" >/dev/null
dockrun --no-healthcheck --name "$R40" -e GLUETUN_VERSION=v3.40.0 -e FORWARDED_PORT=40041 -p 127.0.0.1::8000 "$GIMG" >/dev/null
dockrun --no-healthcheck --name "$R40K" -e GLUETUN_VERSION=v3.40.2 -e FORWARDED_PORT=40041 \
	-e 'AUTH_ROLES=apikey:k40|GET /v1/openvpn/portforwarded' -p 127.0.0.1::8000 "$GIMG" >/dev/null
dockrun --no-healthcheck --name "$R41" -e GLUETUN_VERSION=v3.41.0 -e FORWARDED_PORT=40042,40043 \
	-e 'AUTH_ROLES=apikey:k41|GET /v1/portforward,GET /v1/openvpn/portforwarded;basic:user:pass|GET /v1/publicip/ip' \
	-p 127.0.0.1::8000 "$GIMG" >/dev/null
dockrun --name "$RL" -e GLUETUN_VERSION=latest -e FORWARDED_PORT=40044 \
	-e 'AUTH_ROLES=none|GET /v1/portforward' -p 127.0.0.1::8000 "$GIMG" >/dev/null
dockrun --no-healthcheck --name "$RLN" -e GLUETUN_VERSION=latest -e FORWARDED_PORT=40044 -p 127.0.0.1::8000 "$GIMG" >/dev/null
U39=http://$(host_port "$R39" 8000) U40=http://$(host_port "$R40" 8000) U40K=http://$(host_port "$R40K" 8000)
U41=http://$(host_port "$R41" 8000) UL=http://$(host_port "$RL" 8000) ULN=http://$(host_port "$RLN" 8000)
for u in "$U39" "$U40" "$U40K" "$U41" "$UL" "$ULN"; do
	wait_http "$u/test/health" 10 || fatal "control server at $u does not answer"
done

expect "v3.39.0: new route unknown -> 400" '400 GET /portforward not found' "$(http GET "$U39/v1/portforward")"
expect "v3.39.0: old route" '200 {"port":40040}' "$(http GET "$U39/v1/openvpn/portforwarded")"
expect "v3.39.0: no auth at all (a key is ignored)" '200 {"port":40040}' \
	"$(http GET "$U39/v1/openvpn/portforwarded" '' -H 'X-API-Key: wrong')"
expect "v3.39.0: unknown /v1 route -> 400" '400 GET /nope not found' "$(http GET "$U39/v1/nope")"
expect "v3.40: new route is in no role -> 401" '401 Unauthorized' "$(http GET "$U40/v1/portforward")"
expect "v3.40: old route public without config.toml" '200 {"port":40041}' "$(http GET "$U40/v1/openvpn/portforwarded")"
expect_in "v3.40: public IP public without config.toml" '200 {"public_ip":"203.0.113.10"' "$(http GET "$U40/v1/publicip/ip")"
expect "v3.40 + role: no key -> 401" '401 Unauthorized' "$(http GET "$U40K/v1/openvpn/portforwarded")"
expect "v3.40 + role: X-API-Key" '200 {"port":40041}' "$(http GET "$U40K/v1/openvpn/portforwarded" '' -H 'X-API-Key: k40')"
expect "v3.40 + config.toml: routes outside it -> 401" '401 Unauthorized' "$(http GET "$U40K/v1/publicip/ip")"
expect "v3.41: new route with key, two ports" '200 {"ports":[40042,40043]}' \
	"$(http GET "$U41/v1/portforward" '' -H 'X-API-Key: k41')"
expect "v3.41: key as ?api_key=" '200 {"ports":[40042,40043]}' "$(http GET "$U41/v1/portforward?api_key=k41")"
expect "v3.41: new route without key -> 401" '401 Unauthorized' "$(http GET "$U41/v1/portforward")"
expect "v3.41: old route -> 301" '301 <a href="/v1/portforward">Moved Permanently</a>.' \
	"$(http GET "$U41/v1/openvpn/portforwarded" '' -H 'X-API-Key: k41')"
expect_in "v3.41: 301 Location" 'Location: /v1/portforward' \
	"$(headers "$U41/v1/openvpn/portforwarded" -H 'X-API-Key: k41')"
expect "v3.41: following the 301 with the key" '200 {"ports":[40042,40043]}' \
	"$(http GET "$U41/v1/openvpn/portforwarded" '' -L -H 'X-API-Key: k41')"
expect "v3.41: basic role" '200 {"public_ip":"203.0.113.10","region":"Test","country":"Testland","city":"Test"}' \
	"$(http GET "$U41/v1/publicip/ip" '' -u user:pass)"
expect_in "v3.41: basic role without credentials -> challenge" 'WWW-Authenticate: Basic realm="restricted", charset="UTF-8"' \
	"$(headers "$U41/v1/publicip/ip")"
expect "v3.41: wrong basic password -> 401" '401 Unauthorized' "$(http GET "$U41/v1/publicip/ip" '' -u user:nope)"
expect "latest: new route, none role" '200 {"port":40044,"ports":[40044]}' "$(http GET "$UL/v1/portforward")"
expect "latest: old route in no role -> 401" '401 Unauthorized' "$(http GET "$UL/v1/openvpn/portforwarded")"
expect "latest: no config.toml -> every route 401" '401 Unauthorized' "$(http GET "$ULN/v1/publicip/ip")"
expect "latest: no config.toml, new route 401" '401 Unauthorized' "$(http GET "$ULN/v1/portforward")"
http PUT "$UL/test/portforward" '{"ports":[]}' >/dev/null
expect "latest: no port -> port 0, ports null" '200 {"port":0,"ports":null}' "$(http GET "$UL/v1/portforward")"
http PUT "$UL/test/portforward" '{"ports":[40044]}' >/dev/null

RB=$RUN-badrole
dockrun --no-healthcheck --name "$RB" -e GLUETUN_VERSION=v3.40.0 -e 'AUTH_ROLES=none|GET /v1/portforward' "$GIMG" >/dev/null
expect "v3.40: a role naming GET /v1/portforward stops Gluetun -> exit 1" 1 \
	"$(timeout 10 docker wait "$RB" 2>/dev/null || echo timeout)"
expect_in "v3.40: with Gluetun's message" 'route not supported by the control server: GET /v1/portforward' \
	"$(docker logs "$RB" 2>&1)"
RU=$RUN-badversion
dockrun --no-healthcheck --name "$RU" -e GLUETUN_VERSION=v4.0.0 "$GIMG" >/dev/null
expect "unknown GLUETUN_VERSION -> exit 2" 2 "$(timeout 10 docker wait "$RU" 2>/dev/null || echo timeout)"

# Internal VPN restart on :latest: same container, unhealthy, port 0, healthy, new port.
if wait_health "$RL" healthy 30; then ok "latest healthy before the VPN restart"; else notok "latest healthy before the VPN restart"; fi
id0=$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$RL")
expect_in "vpn-restart accepted" '200 {"down_ms":1500,' \
	"$(http PUT "$UL/test/vpn-restart" '{"down_ms":1500,"zero_ms":4000,"port":40045}')"
expect "during the restart: port 0, ports null" '200 {"port":0,"ports":null}' "$(http GET "$UL/v1/portforward")"
if wait_health "$RL" unhealthy 15; then ok "docker: unhealthy during the VPN restart"; else notok "docker: unhealthy during the VPN restart"; fi
if wait_health "$RL" healthy 15; then ok "docker: healthy again"; else notok "docker: healthy again"; fi
expect "healthy again, port still 0" '200 {"port":0,"ports":null}' "$(http GET "$UL/v1/portforward")"
n=0
while [ "$n" -lt 50 ] && [ "$(http GET "$UL/v1/portforward")" != '200 {"port":40045,"ports":[40045]}' ]; do
	sleep 0.2; n=$((n + 1))
done
expect "then the new port" '200 {"port":40045,"ports":[40045]}' "$(http GET "$UL/v1/portforward")"
expect "same container, same StartedAt" "$id0" "$(docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$RL")"

# Faults for the control routes; /test/* and the health check stay prompt.
expect "fault: delay" '200 {"delay_ms":800,"hang":false}' "$(http PUT "$UL/test/fault" '{"delay_ms":800}')"
t0=$(date +%s%N)
expect "fault: delayed answer still right" '200 {"port":40045,"ports":[40045]}' "$(http GET "$UL/v1/portforward")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$ms" -ge 750 ]; then ok "fault: answer came after ${ms} ms"; else notok "fault: answer after ${ms} ms, wanted >= 800"; fi
expect "fault: hang" '200 {"delay_ms":0,"hang":true}' "$(http PUT "$UL/test/fault" '{"delay_ms":0,"hang":true}')"
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$UL/v1/portforward" || true)
expect "fault: hanging route never answers" 000 "$code"
expect "fault: /test/health still answers" '200 {"healthy":true}' "$(http GET "$UL/test/health")"
expect "fault: cleared" '200 {"delay_ms":0,"hang":false}' "$(http PUT "$UL/test/fault" '{"hang":false}')"
expect "fault: answers again" '200 {"port":40045,"ports":[40045]}' "$(http GET "$UL/v1/portforward")"
RH=$RUN-hang
dockrun --name "$RH" -e GLUETUN_VERSION=latest -e HANG=1 -e 'AUTH_ROLES=none|GET /v1/portforward' \
	-p 127.0.0.1::8000 "$GIMG" >/dev/null
UH=http://$(host_port "$RH" 8000)
wait_http "$UH/test/health" 10 || fatal "control server at $UH does not answer"
if wait_health "$RH" healthy 30; then ok "HANG=1: docker health unaffected"; else notok "HANG=1: docker health unaffected"; fi
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$UH/v1/portforward" || true)
expect "HANG=1: control route never answers" 000 "$code"
docker rm -f "$R39" "$R40" "$R40K" "$R41" "$RL" "$RLN" "$RB" "$RU" "$RH" >/dev/null 2>&1 || true

# -------------------------------------------------- health transitions
expect "flip /test/health to unhealthy" '200 {"healthy":false}' \
	"$(http PUT "$CTRL/test/health" '{"healthy":false}')"
expect "GET /test/health when unhealthy" '503 {"healthy":false}' "$(http GET "$CTRL/test/health")"
if wait_health "$G" unhealthy 15; then ok "docker reports unhealthy"; else notok "docker reports unhealthy"; fi
expect "flip /test/health back (POST)" '200 {"healthy":true}' \
	"$(http POST "$CTRL/test/health" '{"healthy":true}')"
if wait_health "$G" healthy 15; then ok "docker reports healthy again"; else notok "docker reports healthy again"; fi

# -------------------------------------------------------------- engines
# Each flavour reads what its real image reads (fake-engine.c); ports inside
# the VPN's namespace are checked from a probe container in that namespace.
GIP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$G")
probe() {
	docker run --rm --label acestream.test=fixtures --label "acestream.test.run=$RUN" \
		--network "container:$G" "$EIMG" --fixture-probe "$@" >"$TMPD/probe" 2>&1
}
# started_and_exited NAME -> exit code once it stopped (or "timeout")
exit_code() { timeout 10 docker wait "$1" 2>/dev/null || echo timeout; }

# krinkuto11 (:latest): the variables of entrypoint.sh since 2025-09-20;
# CONF and argv are ignored.
E1=$RUN-engine1
dockrun --name "$E1" --network "container:$G" -e "HTTP_PORT=$base" -e HTTPS_PORT=45000 \
	-e BIND_ALL=true -e P2P_PORT=29999 -e INTERNAL_BUFFERING=60 -e CACHE_LIMIT=1 \
	-e "CONF=--http-port=$((base + 3))" "$EIMG" "--http-port=$((base + 3))" >/dev/null
EU=http://127.0.0.1:$base
if wait_http "$EU/fixture/info" 10; then ok "engine answers through the VPN's published port"; else notok "engine answers on $EU"; fi
STATUS="$EU/server/api?api_version=3&method=get_status"
expect "engine get_status" \
	"200 {\"result\":{\"status\":\"idle\",\"http_port\":$base,\"https_port\":45000,\"p2p_port\":29999},\"error\":null}" \
	"$(http GET "$STATUS")"
info=$(http GET "$EU/fixture/info")
expect_in "fixture/info: flavour" '"flavour":"krinkuto11"' "$info"
expect_in "fixture/info: ports from HTTP_PORT, HTTPS_PORT, P2P_PORT (not CONF, not argv)" \
	"\"http_port\":$base,\"https_port\":45000,\"p2p_port\":29999,\"bind_all\":true" "$info"
expect_in "fixture/info: the acestream.conf entrypoint.sh writes, in its order" \
	"\"args\":\"--use-internal-buffering=60 --http-port=$base --https-port=45000 --bind-all --port=29999 --cache-limit=1\"" "$info"
expect_in "fixture/info env_conf (seen, not read)" "\"env_conf\":\"--http-port=$((base + 3))\"" "$info"
if probe "$GIP" 45000/http 29999; then ok "https and p2p ports answer inside the VPN namespace"; else notok "probe: $(cat "$TMPD/probe")"; fi
expect "fixture/fail on" '200 {"fail":true}' "$(http PUT "$EU/fixture/fail" '{"fail":true}')"
expect_in "get_status fails with 500" '500 ' "$(http GET "$STATUS")"
expect "fixture/fail off" '200 {"fail":false}' "$(http POST "$EU/fixture/fail" '{"fail":false}')"
expect_in "get_status recovers" '200 {"result":{"status":"idle"' "$(http GET "$STATUS")"
expect_in "engine unknown route -> 404" '404 ' "$(http GET "$EU/nope")"

# Without BIND_ALL the engine's HTTP API answers on loopback only.
ENB=$RUN-eng-nobind
dockrun --name "$ENB" --network "container:$G" -e "HTTP_PORT=$((base + 1))" -e HTTPS_PORT=45001 \
	-e P2P_PORT=29998 "$EIMG" >/dev/null
if probe 127.0.0.1 "$((base + 1))/http"; then ok "no BIND_ALL: answers on loopback"; else notok "no BIND_ALL, loopback: $(cat "$TMPD/probe")"; fi
if probe "$GIP" "$((base + 1))"; then notok "no BIND_ALL: reachable from outside"; else ok "no BIND_ALL: not reachable from outside"; fi

# The bug of issue 8: CONF alone (the old default env) leaves the current
# image on its default ports, so the assigned HTTP port is dead.
EC=$RUN-eng-confonly
dockrun --name "$EC" --network "container:$G" -e "CONF=--http-port=$((base + 2))
--https-port=45002
--bind-all" -e P2P_PORT=29997 "$EIMG" >/dev/null
if probe 127.0.0.1 6878/http 29997; then ok "CONF ignored: default HTTP port 6878, P2P_PORT read"; else notok "CONF only: $(cat "$TMPD/probe")"; fi
if probe "$GIP" "$((base + 2))"; then notok "CONF only: assigned HTTP port answers"; else ok "CONF only: assigned HTTP port is dead"; fi

# same port twice in one namespace: the second engine dies with 3
E2=$RUN-engine2
dockrun --name "$E2" --network "container:$G" -e "HTTP_PORT=$base" -e BIND_ALL=1 \
	-e P2P_PORT=29990 -e HTTPS_PORT=45009 "$EIMG" >/dev/null
expect "duplicate port in one namespace -> exit 3" 3 "$(exit_code "$E2")"
expect_in "duplicate port: clear message" 'already used in this network namespace' \
	"$(docker logs "$E2" 2>&1)"

# legacy (:legacy): CONF only, one argument per line; required.
EL=$RUN-eng-legacy
dockrun --name "$EL" --network "container:$G" -e "CONF=--http-port=$((base + 2))
--https-port=45003
--bind-all
--port=29996" -e "HTTP_PORT=$((base + 3))" ace-test/engine:legacy >/dev/null
if wait_http "http://127.0.0.1:$((base + 2))/fixture/info" 10; then
	expect_in "legacy: ports from CONF only" \
		"\"flavour\":\"legacy\",\"http_port\":$((base + 2)),\"https_port\":45003,\"p2p_port\":29996,\"bind_all\":true" \
		"$(http GET "http://127.0.0.1:$((base + 2))/fixture/info")"
else
	notok "legacy engine answers on $((base + 2))"
fi
ELN=$RUN-eng-legacy-noconf
dockrun --name "$ELN" --network "container:$G" -e "HTTP_PORT=$((base + 3))" ace-test/engine:legacy >/dev/null
expect "legacy without CONF -> exit 1" 1 "$(exit_code "$ELN")"

# jopsis (:jopsis): ACESTREAM_ARGS split on blanks; a command replaces it.
EJ=$RUN-eng-jopsis
dockrun --name "$EJ" --network "container:$G" -e HTTP_PORT=1 \
	-e "ACESTREAM_ARGS=--client-console --bind-all --http-port $((base + 3)) --https-port 45004 --port 29995" \
	ace-test/engine:jopsis >/dev/null
if wait_http "http://127.0.0.1:$((base + 3))/fixture/info" 10; then
	expect_in "jopsis: ports from ACESTREAM_ARGS" \
		"\"flavour\":\"jopsis\",\"http_port\":$((base + 3)),\"https_port\":45004,\"p2p_port\":29995" \
		"$(http GET "http://127.0.0.1:$((base + 3))/fixture/info")"
else
	notok "jopsis engine answers on $((base + 3))"
fi
docker rm -f "$EJ" >/dev/null
EJC=$RUN-eng-jopsis-cmd
dockrun --name "$EJC" --network "container:$G" -e "ACESTREAM_ARGS=--http-port 1" \
	ace-test/engine:jopsis --bind-all --http-port "$((base + 3))" --https-port 45006 --port 29993 >/dev/null
if wait_http "http://127.0.0.1:$((base + 3))/fixture/info" 10; then
	expect_in "jopsis: a command replaces ACESTREAM_ARGS" "\"http_port\":$((base + 3)),\"https_port\":45006" \
		"$(http GET "http://127.0.0.1:$((base + 3))/fixture/info")"
else
	notok "jopsis engine with a command answers on $((base + 3))"
fi
docker rm -f "$EJC" >/dev/null

# arm (:arm): the command line is argv; env is ignored.
EA=$RUN-eng-arm
dockrun --name "$EA" --network "container:$G" -e HTTP_PORT=1 -e "ACESTREAM_ARGS=--http-port 1" \
	ace-test/engine:arm python main.py --bind-all --client-console --http-port "$((base + 3))" \
	--https-port 45005 --port 29994 >/dev/null
if wait_http "http://127.0.0.1:$((base + 3))/fixture/info" 10; then
	expect_in "arm: ports from argv" \
		"\"flavour\":\"arm\",\"http_port\":$((base + 3)),\"https_port\":45005,\"p2p_port\":29994" \
		"$(http GET "http://127.0.0.1:$((base + 3))/fixture/info")"
else
	notok "arm engine answers on $((base + 3))"
fi

# ACE_FIXTURE_STOP_DELAY (a test knob): docker stop takes that long, and
# the engine still exits on its own (0), not killed at the stop timeout.
ESD=$RUN-eng-stopdelay
dockrun --name "$ESD" --network "container:$G" -e HTTP_PORT=29980 -e BIND_ALL=1 \
	-e P2P_PORT=29989 -e HTTPS_PORT=45008 -e ACE_FIXTURE_STOP_DELAY=2 "$EIMG" >/dev/null
n=0
until probe "$GIP" 29980/http || [ $n -ge 10 ]; do n=$((n + 1)); sleep 0.3; done
if [ $n -lt 10 ]; then ok "stop-delay engine answers"; else notok "stop-delay engine: $(cat "$TMPD/probe")"; fi
t0=$(date +%s%N)
docker stop -t 10 "$ESD" >/dev/null
t1=$(date +%s%N)
if [ $(((t1 - t0) / 1000000)) -ge 2000 ]; then ok "ACE_FIXTURE_STOP_DELAY=2: docker stop took $(((t1 - t0) / 1000000)) ms"
else notok "ACE_FIXTURE_STOP_DELAY=2: docker stop took only $(((t1 - t0) / 1000000)) ms"; fi
expect "stop-delay engine exits 0 by itself" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$ESD")"
expect_in "stop-delay engine says why it waits" 'exiting in 2000 ms (ACE_FIXTURE_STOP_DELAY)' \
	"$(docker logs "$ESD" 2>&1)"
docker rm -f "$ESD" >/dev/null
ESB=$RUN-eng-stopdelay-bad
dockrun --name "$ESB" --network "container:$G" -e HTTP_PORT=29979 -e ACE_FIXTURE_STOP_DELAY=soon "$EIMG" >/dev/null
expect "bad ACE_FIXTURE_STOP_DELAY -> exit 2" 2 "$(exit_code "$ESB")"

# domain fact (SPEC §2): a restarted VPN leaves its engines without network
docker restart -t 5 "$G" >/dev/null
code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$EU/fixture/info" || true)
case $code in 200) notok "engine unreachable after VPN restart (got 200)" ;; *) ok "engine unreachable after VPN restart" ;; esac
docker restart -t 5 "$E1" >/dev/null
if wait_http "$EU/fixture/info" 10; then ok "engine reachable again after its own restart"; else notok "engine reachable again after its own restart"; fi

# SIGTERM handling: docker stop must not need the 10 s kill timeout
t0=$(date +%s)
docker stop "$E1" "$G" >/dev/null
t1=$(date +%s)
if [ $((t1 - t0)) -le 3 ]; then ok "docker stop is quick ($((t1 - t0)) s)"; else notok "docker stop took $((t1 - t0)) s"; fi
expect "engine exit code after SIGTERM" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$E1")"
expect "gluetun exit code after SIGTERM" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$G")"

# ------------------------------------------------------------- cleanup
cleanup
trap - EXIT
left=$(docker ps -aq --filter "label=acestream.test.run=$RUN")
expect "no container left behind" "" "$left"

echo "1..$checks"
echo "fixtures: $((checks - failures)) passed, $failures failed"
if [ "$failures" -ne 0 ]; then
	echo "# $failures of $checks checks failed" >&2
	exit 1
fi
echo "# all $checks checks passed"
