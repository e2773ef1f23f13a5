#!/bin/sh
# scenario_hosts_lease.sh - two orchestrators on one instance never both act
# (issue 11). A holds the lease and acts; B, started for the same fleet,
# stands by and says so in its log, /readyz and /plan. A frozen (SIGSTOP,
# alive but silent) loses the lease once it expires, B takes over; A thawed
# steps down at once. B stopped releases the lease and A takes it again at
# once. Proof from Docker itself: every container created in each phase
# carries the label of the one daemon holding the lease then
# (acestream.created_by), read back from `docker events`. Ports 39200-39299.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init hosts_lease
B=39200
API_A=http://127.0.0.1:$((B + 95))
API_B=http://127.0.0.1:$((B + 96))
log_b=$it_dir/daemon_b.log

check "v1 healthy" start_vpn "$it_id-v1" $((B + 91)) "$B-$((B + 9))"
wait_vpn_healthy "$it_id-v1"
# config LISTEN: the same fleet, each daemon its own API address.
config() {
	cat <<EOF
version: 1
instance: $it_id
docker:
  lease_ttl: 6s   # short for the test, with room for a loaded machine
engine:
  image: ace-test/engine:latest
  name_prefix: $it_id
  stop_timeout: 1s
  health: {interval: 1s, failures: 3}
replicas: {min: 2, max: 10, min_free: 0}
vpns:
  - name: $it_id-v1
    ports: $B-$((B + 9))
    host: 127.0.0.1
    api: http://127.0.0.1:$((B + 91))
health:
  vpn_check_interval: 1s
  port_check_interval: 1s
  vpn_restart_after: 0
api:
  listen: $1
EOF
}
config 127.0.0.1:$((B + 95)) | write_config
config 127.0.0.1:$((B + 96)) >"$it_dir/b.yaml"

running() { docker ps --filter "label=acestream.orchestrator=$it_id" --filter status=running -q | grep -c .; }
# Removes one engine behind the daemons' back: whoever acts re-creates it.
induce() {
	victim=$(docker ps -q --filter "label=acestream.orchestrator=$it_id" | head -n 1)
	docker rm -f "$victim" >/dev/null
	wait_for 60 cond "[ \$(running) -eq 2 ] && ! docker inspect $victim >/dev/null 2>&1"
}
now() { date +%s%N; }

# Every create of this instance, with the label of the daemon that made it,
# streamed from before the first one: Docker replays only its last 256 events
# for --since, too few when other tests run beside this one (make -j4 check);
# here --since covers only the moment until the CLI has subscribed.
docker events --since "$(date +%s.%N)" --filter "label=acestream.orchestrator=$it_id" --filter event=create \
	--format '{{.TimeNano}} {{index .Actor.Attributes "acestream.created_by"}} {{.Actor.ID}}' \
	>"$it_dir/creates" 2>"$it_dir/events.err" &
ev_pid=$!
it_pids="$it_pids $ev_pid"
t0=$(now)
start_daemon
pid_a=$it_daemon_pid
check "A converges" wait_for 60 cond "[ \$(running) -eq 2 ]"
check "A holds the lease" grep -q 'msg="lease held: this daemon acts on the fleet" step=acquire' "$it_daemon_log"
check "the lease is a created, never started container named after the instance" cond \
	"[ \"\$(docker inspect -f '{{.State.Status}}' ace-orchestrator-lease.$it_id)\" = created ]"

"$ACE" run -c "$it_dir/b.yaml" --log-level debug >>"$log_b" 2>&1 &
pid_b=$!
it_pids="$it_pids $pid_b"
check "B stands by and says so in its log" wait_for 20 grep -q 'msg="standing by: another daemon holds the lease' "$log_b"
check "B's /readyz: 503, standby, naming A" cond \
	"[ \$(curl -s -o /dev/null -w '%{http_code}' $API_B/readyz) = 503 ] && curl -s $API_B/readyz | grep -q '\"status\":\"standby\",\"reason\":\"standby: another daemon holds the lease: pid $pid_a on '"
check "B's /plan: no actions, the reason" cond \
	"curl -fsS $API_B/plan | grep -q '^{\"reason\":\"standby: another daemon holds the lease: pid $pid_a .*\"actions\":\\[\\]'"
check "B's metrics: not the holder" cond "curl -fsS $API_B/metrics | grep -q '^orch_lease_holder 0'"
check "A's metrics: the holder" cond "curl -fsS $API_A/metrics | grep -q '^orch_lease_holder 1'"
check "phase 1: an engine removed behind their backs is re-created" induce

it_log "freezing A (SIGSTOP): alive, but no longer renewing"
t1=$(now)
kill -STOP "$pid_a"
check "B takes over once A's lease expired" wait_for 40 grep -q 'msg="lease held: this daemon acts on the fleet" step=takeover' "$log_b"
check "phase 2: B re-creates" induce
kill -CONT "$pid_a"
check "A, thawed, steps down at once" wait_for 20 grep -q 'msg="lease lost: stepping down at once"' "$it_daemon_log"
check "A's /readyz: standby" wait_for 10 cond "curl -s $API_A/readyz | grep -q '\"status\":\"standby\"'"
check "phase 2: B re-creates, A does not" induce
sleep 2 # room for anything A would wrongly do

it_log "stopping B (SIGTERM): it releases the lease"
t2=$(now)
kill -TERM "$pid_b"
wait "$pid_b"
eq "B exit status" $? 0
check "B released the lease" grep -q 'msg="lease released"' "$log_b"
check "A takes it again at once" wait_for 10 cond \
	"[ \$(grep -c 'msg=\"lease held: this daemon acts on the fleet\" step=acquire' \"$it_daemon_log\") -eq 2 ]"
check "phase 3: A re-creates" induce
t3=$(now)

# The stream is in order: once it shows the creates of the engines running
# now (the latest ones), it has shown every earlier create too.
streamed() {
	for id in $(docker ps -q --no-trunc --filter "label=acestream.orchestrator=$it_id" --filter label=acestream.http_port); do
		grep -q " $id\$" "$it_dir/creates" || return 1
	done
}
check "docker events streamed the latest creates" wait_for 20 streamed
kill "$ev_pid" 2>/dev/null
it_log "creates (time, created_by, id):"
cat "$it_dir/creates"
# The PID is the second field of a holder id: HOST/PID/START/PIDNS/BOOT.
by() { awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 < hi { split($2, f, "/"); print f[2] }' "$it_dir/creates"; }
check "phase 1 saw creates" cond "[ \$(by $t0 $t1 | grep -c .) -ge 2 ]"
eq "phase 1 (A holds): every create is A's" "$(by "$t0" "$t1" | grep -vc "^$pid_a\$")" 0
check "phase 2 saw creates" cond "[ \$(by $t1 $t2 | grep -c .) -ge 2 ]"
eq "phase 2 (B holds, A frozen then thawed): every create is B's" "$(by "$t1" "$t2" | grep -vc "^$pid_b\$")" 0
check "phase 3 saw a create" cond "[ \$(by $t2 $t3 | grep -c .) -ge 1 ]"
eq "phase 3 (A again): every create is A's" "$(by "$t2" "$t3" | grep -vc "^$pid_a\$")" 0
eq "A never acted while standing by" \
	"$(sed -n '/lease lost: stepping down at once/,/step=acquire/p' "$it_daemon_log" | grep -c 'msg="action done"')" 0
stop_daemon
eq "A exit status" "$it_daemon_rc" 0
eq "no lease container left" "$(docker ps -aq --filter "label=acestream.lease=$it_id" | grep -c .)" 0
[ "$it_failed" -ne 0 ] && { echo "--- B's log (last 40 lines) ---"; tail -n 40 "$log_b"; }
true
