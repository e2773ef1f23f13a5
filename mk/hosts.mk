# mk/hosts.mk - several Docker hosts (issue 11): clients per host, the
# one-daemon-per-fleet lease, their unit tests, the two-dockerd scenarios and
# the fleet-scale simulation.
libace_a_SOURCES += src/hosts.c src/hosts.h

# The planner over several hosts (named cases on the plan fixtures).
check_PROGRAMS += tests/unit/test_plan_hosts
TESTS += tests/unit/test_plan_hosts
tests_unit_test_plan_hosts_SOURCES = tests/unit/test_plan_hosts.c tests/unit/plan_fixtures.c \
	tests/unit/plan_fixtures.h
tests_unit_test_plan_hosts_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_plan_hosts_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# Per-host observation against fake Docker daemons (no real Docker needed).
check_PROGRAMS += tests/unit/test_observe_hosts
TESTS += tests/unit/test_observe_hosts
tests_unit_test_observe_hosts_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_observe_hosts_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# One daemon per fleet: the lease (pure parts table-driven; the Docker side
# is proven by scenario_hosts_lease.sh against real daemons).
libace_a_SOURCES += src/lease.c src/lease_docker.c src/lease.h
check_PROGRAMS += tests/unit/test_lease
TESTS += tests/unit/test_lease
tests_unit_test_lease_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_lease_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# The daemon's side: one events stream per host, the lease's rounds.
libace_a_SOURCES += src/loop_events.c src/loop_events.h src/loop_lease.c src/loop_lease.h

# Two Docker daemons on one machine (a private dockerd with a TLS listener,
# tests/integration/dockerd2.sh); ports 39000-39999, bridge octets 60-79.
HOSTS_SCENARIOS = \
	tests/integration/scenario_hosts_two.sh \
	tests/integration/scenario_hosts_tls.sh \
	tests/integration/scenario_hosts_lease.sh
TESTS += $(HOSTS_SCENARIOS)
EXTRA_DIST += $(HOSTS_SCENARIOS)

# `make bench` also builds the fleet simulation over many Docker hosts;
# bench/run-hosts-bench.sh runs it (figures, never pass/fail).
EXTRA_PROGRAMS += bench/hosts_bench
bench_hosts_bench_SOURCES = bench/hosts_bench.c bench/bench_util.c bench/bench_util.h
bench_hosts_bench_LDADD = $(ACE_LIBS)
CLEANFILES += bench/hosts_bench
EXTRA_DIST += bench/run-hosts-bench.sh
bench: bench/hosts_bench$(EXEEXT)

# The example, its TLS placeholders, and the design notes.
dist_examples_DATA += examples/two-hosts.yaml
exampletlsdir = $(examplesdir)/two-hosts-tls
dist_exampletls_DATA = examples/two-hosts-tls/README.md examples/two-hosts-tls/ca.pem \
	examples/two-hosts-tls/cert.pem examples/two-hosts-tls/key.pem
dist_doc_DATA += doc/hosts.md doc/scaling.md
EXTRA_DIST += bench/README.md

# What the lease reads from the default host is outside input: fuzzed.
EXTRA_DIST += tests/fuzz/fuzz_lease.c tests/fuzz/corpus/lease
if FUZZING
check_PROGRAMS += tests/fuzz/fuzz_lease
tests_fuzz_fuzz_lease_SOURCES = tests/fuzz/fuzz_lease.c
tests_fuzz_fuzz_lease_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_lease_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_lease_LDADD = $(ACE_LIBS)
endif
