#!/bin/sh
# scenario_dashboard.sh - the dashboard (GET /) in a real headless browser
# (Debian's chromium through chromedriver) against a running daemon: a VPN
# made unhealthy turns its card within 2 s, the page fits a phone, the API
# key never shows; screenshots are left in tests/artefacts/ of the build dir.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init dashboard
B=38000
out=$top_builddir/tests/artefacts
mkdir -p "$out"

for t in chromium chromedriver "${PYTHON3:-python3}"; do
	command -v "$t" >/dev/null 2>&1 || { echo "$t missing: scripts/check installs chromium, chromium-driver and python3" >&2; exit 99; }
done

key=$it_dir/api-key
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"
chmod 600 "$key"

check "both stand-in VPNs healthy" start_two_vpns $B 40111 40222
RANGE_SIZE=5 API_KEY_FILE=$key two_vpn_config $B 4 | write_config
start_daemon
api=http://127.0.0.1:$((B + 95))
check "2 + 2 engines serving" wait_for 60 cond "[ \$(curl -fsS $api/engines | grep -o container_name | wc -l) -eq 4 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' "$api/")
eq "GET / open without the key (GETs need none)" "$code" 200
check "GET / is the page" cond "curl -fsS $api/ | grep -c '<title>ace-orchestrator</title>' >/dev/null"

check "browser: card turns, phone layout, no secret" \
	"${PYTHON3:-python3}" "$top_srcdir/tests/integration/dashboard_browser.py" \
	--api "$api" --vpn "$it_id-v1" --other-vpn "$it_id-v2" --ctrl $((B + 90)) \
	--out "$out" --secret-file "$key"
for f in dashboard-desktop.png dashboard-phone.png; do
	check "screenshot $f saved (PNG)" cond "[ \"\$(head -c 4 '$out/$f' | od -An -c | tr -d ' ')\" = '211PNG' ]"
done
check "GET /events has the VPN going unavailable and back" cond \
	"curl -fsS '$api/events?limit=1000' | grep -q '\"kind\":\"vpn_unavailable\",\"object\":\"$it_id-v1\"'"
stop_daemon
eq "daemon exits 0" "$it_daemon_rc" 0
