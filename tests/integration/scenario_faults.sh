#!/bin/sh
# scenario_faults.sh - the daemon behind the fault-injecting Docker proxy:
# with no fault it converges through the proxy; under each fault (latency,
# 500s, resets, truncated and garbage bodies, stalled or garbled events
# stream, Docker gone) it stays alive and serving, and once the fault is
# cleared it converges again; it exits 0 on SIGTERM with no sanitizer report.
#
# To extend: each fault is met through `met`, which calls the shell function
# during_<name> (when defined) while the fault is active and has been hit;
# `recovered` calls after_<name> once it is cleared and the fleet converged.
# Assertions about what /engines keeps serving while Docker is slow or
# down belong in those hooks (see during_latency and during_outage below).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
it_init faults
B=35000
API=http://127.0.0.1:$((B + 95))

check "both stand-in VPNs healthy" start_two_vpns $B
check "fault proxy in front of the Docker socket" start_faultproxy --seed 1
{ two_vpn_config $B 2; printf 'docker:\n  host: unix://%s\n' "$fp_sock"; } | write_config
start_daemon

visible() { curl -fsS -m 2 "$API/engines" | grep -o '"container_name"' | grep -c .; }
converged() { [ "$(running_count)" -eq 2 ] && [ "$(visible)" -eq 2 ]; }
alive() { kill -0 "$it_daemon_pid" 2>/dev/null; }
healthz() { curl -fsS -m 2 -o /dev/null "$API/healthz"; }

check "no fault: converges to 2 engines, both in /engines" wait_for 60 converged
check "the daemon's Docker calls went through the proxy" \
	cond "fp_ctl_req GET /log | grep -q '^POST /v1\\.[0-9]*/containers/create '"
check "its events stream too" cond "fp_ctl_req GET /log | grep -q '^GET /v1\\.[0-9]*/events '"

# met NAME HITS [ID]: waits until rule ID (default: the last set) fired HITS
# times, then checks the daemon lives and answers and runs during_NAME.
# The wait is long enough for the events stream's reconnect back-off
# (up to 30 s once reconnects keep failing).
met() {
	check "$1: the daemon met the fault ($2 times)" wait_for 90 cond "[ \"\$(fault_hits ${3:-})\" -ge $2 ]"
	check "$1: daemon alive" alive
	check "$1: /healthz answers" healthz
	# Availability beats freshness (ARCHITECTURE.md, issue 9 item 3): the
	# last good view is served, both engines still listed.
	check "$1: /engines still lists both engines" cond "[ \$(visible) -eq 2 ]"
	if command -v "during_$1" >/dev/null 2>&1; then "during_$1"; fi
}
# recovered NAME: waits for convergence on fresh answers (Docker calls
# forwarded after the faults were cleared), then runs after_NAME.
recovered() {
	f0=$(fault_stat forwarded)
	check "$1 cleared: converged again (2 running, 2 in /engines)" \
		wait_for 60 cond "[ \$(fault_stat forwarded) -ge $((f0 + 2)) ] && converged"
	if command -v "after_$1" >/dev/null 2>&1; then "after_$1"; fi
}
# fault_phase NAME RULE HITS: one fault on the calls each pass makes (list,
# inspect, ...): set, met HITS times, cleared, recovered. The events stream,
# already open, is left alone.
fault_phase() {
	if ! set_fault "$2"; then
		not_ok "$1: rule '$2' refused by the proxy"
		return
	fi
	met "$1" "$3"
	clear_faults
	recovered "$1"
}

# Hooks: the lead adds here what /engines must keep serving (issue 9, 3).
during_latency() {
	check "latency: /engines answers within 2 s while Docker takes 3 s a call" \
		cond "curl -fsS -m 2 -o /dev/null '$API/engines'"
}

fault_phase latency 'path=*&action=delay&delay=3000' 3
fault_phase list500 'path=/containers/json&action=status&code=500' 3
fault_phase inspect500 'path=/containers/*/json&action=status&code=500' 3
fault_phase reset 'path=/containers/*&action=reset' 3
fault_phase truncate 'path=/containers/*&action=truncate' 3
fault_phase garbage 'path=/containers/*&action=garbage&bytes=300' 3
fault_phase flaky 'path=*&action=status&code=500&prob=0.5' 5

# The events stream: the daemon opens it once, so each fault is met on a
# reconnect, which fault_drop forces (as a restarting dockerd would). The
# rules are used up in order, one per reconnect: stalled before any byte,
# stalled after the 200 head, a garbage body, a 500; each drop also
# releases the stall before it. The daemon backs off between reconnects.
set_fault 'path=/events&action=stall&count=1' && r_stall=$fp_rule
set_fault 'path=/events&action=stall-body&count=1' && r_body=$fp_rule
set_fault 'path=/events&action=garbage&count=1' && r_garbage=$fp_rule
set_fault 'path=/events&action=status&code=500&count=1' && r_500=$fp_rule
fault_drop
met events_stall 1 "$r_stall"
fault_drop
met events_stall_body 1 "$r_body"
fault_drop
met events_garbage 1 "$r_garbage"
met events_500 1 "$r_500"
check "events: the daemon reopened its stream once the faults were used up" \
	wait_for 90 cond "fp_ctl_req GET /log | tail -n 1000 | grep '/events ' | tail -n 1 | grep -q ' forward\$'"
clear_faults
recovered events

# Docker gone altogether (the socket file removed, as a stopped dockerd
# leaves it): nothing reaches the proxy, so the daemon's own word is the
# event waited on.
DOCKER_DOWN_LOG='docker unreachable'
during_outage() {
	check "outage: the daemon noticed (logged after the socket went)" \
		wait_for 30 cond "tail -n +$((mark + 1)) '$it_daemon_log' | grep -q '$DOCKER_DOWN_LOG'"
	check "outage: daemon alive" alive
	check "outage: /healthz answers" healthz
	check "outage: /engines still lists both engines (last good view)" cond "[ \$(visible) -eq 2 ]"
}
mark=$(wc -l < "$it_daemon_log")
fault_down
during_outage
fault_up
f0=$(fault_stat forwarded)
check "outage over: converged again" wait_for 60 cond "[ \$(fault_stat forwarded) -ge $((f0 + 2)) ] && converged"

stop_daemon
eq "SIGTERM: daemon exits 0" "$it_daemon_rc" 0
check "daemon log: no sanitizer report" cond "! sanitizer_report '$it_daemon_log'"
check "proxy: exits 0, no sanitizer report" stop_faultproxy
