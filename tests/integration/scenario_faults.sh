#!/bin/sh
# scenario_faults.sh - the daemon behind the fault-injecting Docker proxy:
# with no fault it converges through the proxy; under each fault (latency,
# 500s, resets, truncated and garbage bodies, stalled or garbled events
# stream, Docker gone) it stays alive and serving, and once the fault is
# cleared it converges again; it exits 0 on SIGTERM with no sanitizer report.
#
# To extend: each fault runs through fault_phase, which calls the shell
# function during_<name> (when defined) while the fault is active and has
# been hit, and after_<name> once it is cleared and the fleet converged.
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

# fault_phase NAME RULE HITS [TRIGGER]: sets RULE, runs TRIGGER (a command,
# e.g. fault_drop to make the daemon reopen its events stream), waits until
# the rule fired HITS times, checks the daemon lives and answers, runs
# during_NAME; then clears every fault, drops the proxy's connections (a
# stalled stream is released as a restarted dockerd would), and waits for
# convergence before after_NAME.
fault_phase() {
	name=$1 rule=$2 hits=$3 trigger=${4:-}
	if ! set_fault "$rule"; then
		not_ok "$name: rule '$rule' refused by the proxy"
		return
	fi
	[ -n "$trigger" ] && $trigger
	check "$name: the daemon met the fault ($hits times)" wait_for 60 cond "[ \"\$(fault_hits)\" -ge $hits ]"
	check "$name: daemon alive" alive
	check "$name: /healthz answers" healthz
	if command -v "during_$name" >/dev/null 2>&1; then "during_$name"; fi
	clear_faults
	fault_drop
	# Converged on fresh answers: Docker calls forwarded after the clear.
	f0=$(fault_stat forwarded)
	check "$name cleared: converged again (2 running, 2 in /engines)" \
		wait_for 60 cond "[ \$(fault_stat forwarded) -ge $((f0 + 2)) ] && converged"
	if command -v "after_$name" >/dev/null 2>&1; then "after_$name"; fi
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
fault_phase events_stall 'path=/events&action=stall' 1 fault_drop
fault_phase events_stall_body 'path=/events&action=stall-body' 1 fault_drop
fault_phase events_garbage 'path=/events&action=garbage&count=3' 3 fault_drop
fault_phase events_500 'path=/events&action=status&code=500&count=3' 3 fault_drop

# Docker gone altogether (the socket file removed, as a stopped dockerd
# leaves it): nothing reaches the proxy, so the daemon's own word is the
# event waited on.
DOCKER_DOWN_LOG='docker unreachable'
during_outage() {
	check "outage: the daemon noticed (logged after the socket went)" \
		wait_for 30 cond "tail -n +$((mark + 1)) '$it_daemon_log' | grep -q '$DOCKER_DOWN_LOG'"
	check "outage: daemon alive" alive
	check "outage: /healthz answers" healthz
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
