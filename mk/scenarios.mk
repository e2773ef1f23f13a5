# mk/scenarios.mk - the reconciler's scenarios against a real Docker daemon
# (issue 4): each has its own instance name and removes what it created.
SCENARIOS = \
	tests/integration/scenario_apply.sh \
	tests/integration/scenario_live_edits.sh \
	tests/integration/scenario_bad_edit.sh \
	tests/integration/scenario_vpn_unhealthy.sh \
	tests/integration/scenario_vpn_restart.sh \
	tests/integration/scenario_vpn_backoff.sh \
	tests/integration/scenario_port_change.sh \
	tests/integration/scenario_kill9.sh \
	tests/integration/scenario_foreign.sh \
	tests/integration/scenario_api.sh \
	tests/integration/scenario_novpn.sh \
	tests/integration/scenario_gluetun_releases.sh \
	tests/integration/scenario_gluetun_restart.sh \
	tests/integration/scenario_dockerd_restart.sh \
	tests/integration/scenario_apply_vpn_restart.sh \
	tests/integration/scenario_slow_docker.sh \
	tests/integration/scenario_vpn_flaps.sh
TESTS += $(SCENARIOS)
EXTRA_DIST += $(SCENARIOS) tests/integration/lib.sh tests/integration/dockerd2.sh
