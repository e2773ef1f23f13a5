#!/bin/sh
# scenario_vpn_backoff.sh - a VPN unavailable longer than vpn_restart_after
# is restarted once, then again only after an exponentially growing wait.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init vpn_backoff
B=21500

# v1 never becomes healthy (START_DELAY outlives the test, also after each
# restart); v2 is fine.
start_vpn "$it_id-v1" $((B + 90)) "$B-$((B + 4))" -e START_DELAY=3600
start_vpn "$it_id-v2" $((B + 91)) "$((B + 10))-$((B + 14))"
check "v2 healthy" wait_vpn_healthy "$it_id-v2"
VPN_RESTART_AFTER=2s two_vpn_config $B 2 | write_config
t0=$(date +%s.%N)
# A live subscriber: Docker replays only its last 256 events to a later
# `docker events --since`, and parallel tests' health checks overrun them.
docker events --since "$t0" --filter "container=$it_id-v1" --filter event=restart \
	--format '{{.Time}}' >"$it_dir/restarts" &
it_pids="$it_pids $!"
start_daemon
check "engines go to v2 only" wait_for 30 cond "[ \$(count_on_vpn $it_id-v2) -eq 2 ]"
eq "nothing placed on v1" "$(count_on_vpn "$it_id-v1")" 0
sleep 20
times=$(cat "$it_dir/restarts")
n=$(echo "$times" | grep -c .)
check "v1 restarted more than once in 20 s ($n)" test "$n" -ge 2
check "but not every check (back-off): at most 4 restarts in 20 s ($n)" test "$n" -le 4
set -- $times
if [ $# -ge 3 ]; then
	check "the wait grows: gap2 ($(($3 - $2)) s) > gap1 ($(($2 - $1)) s)" test $(($3 - $2)) -gt $(($2 - $1))
else
	check "two restarts at least 2 s apart" test $(($2 - $1)) -ge 2
fi
check "restarts logged" grep -q 'action=restart_vpn' "$it_daemon_log"
