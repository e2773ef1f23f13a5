#!/bin/sh
# test_faultproxy.sh - the fault-injecting Docker proxy itself, seen with
# curl: it forwards (keep-alive, request bodies, the chunked events stream),
# and each fault (latency, status, reset, truncation, garbage, stalls, count,
# probability, method, outage, dropped connections) is observable.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init faultproxy
TCP=35900

check "proxy starts (unix socket + tcp $TCP)" start_faultproxy --tcp $TCP --seed 7
d() { curl -sS -m 10 --unix-socket "$fp_sock" "$@"; }
# bgcurl ARGS...: curl in the background, $! its own pid (not a subshell's).
bgcurl() { curl -sS --unix-socket "$fp_sock" "$@" 2>/dev/null & }
code() { curl -s -m 10 -o "$it_dir/body" -w '%{http_code}' --unix-socket "$fp_sock" "$@"; }

# --- forwarding -----------------------------------------------------------
eq "GET /_ping forwarded" "$(d http://docker/_ping)" OK
check "GET /version forwarded (JSON with ApiVersion)" cond "d http://docker/version | grep -q '\"ApiVersion\":\"1\\.'"
check "over tcp too" cond "curl -fsS -m 5 http://127.0.0.1:$TCP/_ping | grep -qx OK"
check "keep-alive: two requests on one connection" \
	cond "d -v http://docker/_ping http://docker/v1.41/version -o /dev/null -o /dev/null 2>&1 | grep -q 'Re-using existing connection'"
name=$it_id-probe
eq "POST with a JSON body (create): 201" "$(code -X POST -H 'Content-Type: application/json' \
	-d "{\"Image\":\"ace-test/engine:latest\",\"Labels\":{\"acestream.test\":\"$it_id\"}}" \
	"http://docker/v1.41/containers/create?name=$name")" 201
eq "DELETE (204, no body): 204" "$(code -X DELETE "http://docker/v1.41/containers/$name")" 204
check "HEAD (no body, whatever Content-Length says) twice on one connection" \
	cond "d -v -I http://docker/_ping http://docker/_ping 2>&1 | grep -q 'Re-using existing connection'"
body="{\"Image\":\"ace-test/engine:latest\",\"Labels\":{\"acestream.test\":\"$it_id\"}}"
eq "chunked request body: 201" "$(code -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	-d "$body" "http://docker/v1.41/containers/create?name=$name")" 201
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --unix-socket "$fp_sock" -X DELETE \
	-H 'Expect: 100-continue' -d "$body" "http://docker/v1.41/containers/$name")
check "Expect: 100-continue answered by the proxy, no 1 s wait ($t)" \
	cond "echo '$t' | awk '\$1 == 204 && \$2 < 0.9 { ok = 1 } END { exit !ok }'"

# The chunked events stream, relayed as it comes.
filt='%7B%22label%22%3A%5B%22acestream.test%3D'$it_id'%22%5D%7D'
bgcurl -N -m 30 -o "$it_dir/events" "http://docker/v1.41/events?filters=$filt"
ev_pid=$!
it_pids="$it_pids $ev_pid"
wait_for 10 cond "[ \"\$(fault_stat connections)\" -ge 1 ]"
docker rm "$(docker create --label "acestream.test=$it_id" ace-test/engine:latest)" >/dev/null
check "events stream: create and destroy relayed" wait_for 10 cond "grep -q '\"Action\":\"destroy\"' $it_dir/events && grep -q '\"Action\":\"create\"' $it_dir/events"
check "events stream: one JSON object per line" cond "[ \$(grep -c '^{.*}\$' $it_dir/events) -eq \$(wc -l < $it_dir/events) ]"
kill "$ev_pid" 2>/dev/null; wait "$ev_pid" 2>/dev/null

# --- faults ---------------------------------------------------------------
check "latency rule set" set_fault 'path=/_ping&action=delay&delay=800'
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --unix-socket "$fp_sock" http://docker/_ping)
# The proxy sleeps on poll()'s millisecond clock and curl times on its
# own: 800 ms may read as 0.7999 s. Well above a direct answer (~1 ms) is
# what shows the fault acted.
check "latency: 200 after ~0.8 s ($t)" cond "echo '$t' | awk '\$1 == 200 && \$2 >= 0.7 { ok = 1 } END { exit !ok }'"
clear_faults

check "status rule set (count=1)" set_fault 'path=/containers/json&action=status&code=500&count=1'
eq "status: 500" "$(code http://docker/v1.41/containers/json)" 500
check "status: Docker's error shape {\"message\":...}" grep -q '^{"message":"docker-faultproxy: injected 500' "$it_dir/body"
eq "count=1: the next request passes" "$(code http://docker/v1.41/containers/json)" 200
eq "rule hits" "$(fault_hits)" 1
clear_faults

check "versioned and unversioned paths match one rule" set_fault 'path=/info&action=status&code=503'
eq "  /v1.41/info" "$(code http://docker/v1.41/info)" 503
eq "  /info" "$(code http://docker/info)" 503
clear_faults
check "method filter" set_fault 'path=/containers/*&method=POST&action=status&code=500'
eq "  GET passes" "$(code "http://docker/v1.41/containers/json")" 200
eq "  POST gets 500" "$(code -X POST "http://docker/v1.41/containers/$it_id-none/start")" 500
clear_faults

check "reset rule set" set_fault 'path=/info&action=reset'
d -o /dev/null http://docker/v1.41/info 2>/dev/null; rc=$?
eq "reset on the unix socket: no answer (curl 52)" "$rc" 52
curl -s -m 5 -o /dev/null "http://127.0.0.1:$TCP/v1.41/info"; rc=$?
eq "reset over tcp: connection reset (curl 56)" "$rc" 56
clear_faults

check "truncate rule set" set_fault 'path=/version&action=truncate&bytes=10'
out=$(curl -s -m 10 -w ' %{http_code} %{size_download}' --unix-socket "$fp_sock" http://docker/version); rc=$?
eq "truncate: curl sees a partial transfer (18)" "$rc" 18
eq "truncate: head whole, 10 body bytes" "${out#* }" "200 10"
clear_faults
check "truncate on the chunked events stream" set_fault 'path=/events&action=truncate&bytes=40'
bgcurl -N -m 30 -o "$it_dir/events" "http://docker/v1.41/events?filters=$filt"
ev_pid=$!
wait_for 10 cond "[ \$(fault_hits) -ge 1 ]"
docker rm "$(docker create --label "acestream.test=$it_id" ace-test/engine:latest)" >/dev/null
wait "$ev_pid"; rc=$?
eq "  the stream ends mid-event (curl 18)" "$rc" 18
check "  and the client got less than one event" test "$(wc -c < "$it_dir/events")" -lt 40
clear_faults

check "garbage rule set" set_fault 'path=/containers/json&action=garbage&bytes=100'
eq "garbage: 200" "$(code http://docker/v1.41/containers/json)" 200
eq "garbage: 100 bytes" "$(wc -c < "$it_dir/body")" 100
check "garbage: not JSON" cond "! ${PYTHON3:-python3} -c 'import json,sys; json.load(open(sys.argv[1], encoding=\"latin-1\"))' $it_dir/body 2>/dev/null"
clear_faults

check "stall rule set" set_fault 'path=/events&action=stall'
bgcurl -o "$it_dir/stall" -m 30 http://docker/v1.41/events
st_pid=$!
check "stall: the request is held (stalled 1)" wait_for 10 cond "[ \"\$(fault_stat stalled)\" -eq 1 ]"
check "stall: not a byte sent" test ! -s "$it_dir/stall"
eq "stall: the rule fired once" "$(fault_hits)" 1
kill "$st_pid" 2>/dev/null; wait "$st_pid" 2>/dev/null
check "stall: freed when the client gives up" wait_for 10 cond "[ \"\$(fault_stat stalled)\" -eq 0 ]"
clear_faults

check "stall-body rule set" set_fault 'path=/events&action=stall-body'
bgcurl -D "$it_dir/head" -o "$it_dir/stall" -m 30 http://docker/v1.41/events
st_pid=$!
check "stall-body: Docker's 200 head arrives" wait_for 10 cond "grep -q '^HTTP/1.1 200' $it_dir/head && grep -qi '^Transfer-Encoding: chunked' $it_dir/head"
check "stall-body: then nothing (held)" wait_for 10 cond "[ \"\$(fault_stat stalled)\" -eq 1 ]"
docker rm "$(docker create --label "acestream.test=$it_id" ace-test/engine:latest)" >/dev/null
check "stall-body: an event happening is not relayed" test ! -s "$it_dir/stall"
kill "$st_pid" 2>/dev/null; wait "$st_pid" 2>/dev/null
clear_faults

check "count=3 rule set" set_fault 'path=/_ping&action=status&code=500&count=3'
n500=0; for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(code http://docker/_ping)" = 500 ] && n500=$((n500 + 1)); done
eq "count=3: exactly 3 of 10 requests faulted" "$n500" 3
clear_faults
check "prob=0.5 rule set" set_fault 'path=/_ping&action=status&code=500&prob=0.5'
n500=0; for i in $(seq 40); do [ "$(code http://docker/_ping)" = 500 ] && n500=$((n500 + 1)); done
check "prob=0.5: some of 40 faulted, some not ($n500)" test "$n500" -gt 5 -a "$n500" -lt 35
eq "prob: hits counts only the faulted ones" "$(fault_hits)" "$n500"
clear_faults

# --- outage and dropped connections ---------------------------------------
bgcurl -N -m 30 -o /dev/null "http://docker/v1.41/events?filters=$filt"
ev_pid=$!
wait_for 10 cond "[ \"\$(fault_stat connections)\" -ge 1 ]"
fault_down
wait "$ev_pid"; rc=$?
eq "down: an open events stream ends with it (curl 18)" "$rc" 18
d -o /dev/null http://docker/_ping 2>/dev/null; rc=$?
eq "down: the socket is gone (curl 7)" "$rc" 7
check "down: the socket file is gone" test ! -e "$fp_sock"
fault_up
eq "up again: forwarded" "$(d http://docker/_ping)" OK
bgcurl -N -m 30 -o "$it_dir/events" "http://docker/v1.41/events?filters=$filt"
ev_pid=$!
wait_for 10 cond "[ \"\$(fault_stat connections)\" -ge 1 ]"
fault_drop
wait "$ev_pid"; rc=$?
eq "drop: the open events stream ends mid-stream (curl 18)" "$rc" 18

# --- control channel -------------------------------------------------------
eq "bad action: 400" "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$fp_ctl" -X POST 'http://f/faults?action=explode')" 400
eq "missing action: 400" "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$fp_ctl" -X POST 'http://f/faults?path=/x')" 400
eq "bad prob: 400" "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$fp_ctl" -X POST 'http://f/faults?action=reset&prob=2')" 400
check "GET /log lists what was seen" cond "fp_ctl_req GET /log | grep -q '^GET /v1.41/info reset#'"
eq "malformed request line: 400" "$(code -X 'BAD REQUEST' http://docker/)" 400
eq "... and the proxy lives on" "$(d http://docker/_ping)" OK

check "SIGTERM: exit 0, no sanitizer report" stop_faultproxy
check "sockets removed on exit" test ! -e "$fp_sock" -a ! -e "$fp_ctl"
