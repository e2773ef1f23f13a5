# mk/fault.mk - hardening: the `status` renderer's tests and fuzz target, and
# the fault-injecting Docker proxy the integration tests put in front of the
# real socket (tests/fixtures/README.md).
check_PROGRAMS += tests/unit/test_status
TESTS += tests/unit/test_status
tests_unit_test_status_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_status_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_status.c tests/fuzz/corpus/status

if FUZZING
check_PROGRAMS += tests/fuzz/fuzz_status
tests_fuzz_fuzz_status_SOURCES = tests/fuzz/fuzz_status.c
tests_fuzz_fuzz_status_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_status_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_status_LDADD = $(ACE_LIBS)
endif

# The fault-injecting Docker proxy: a host program (not an image) that the
# integration tests start in front of the real Docker socket; built by
# `make check` like the other test programs.
check_PROGRAMS += tests/fixtures/docker-faultproxy
tests_fixtures_docker_faultproxy_SOURCES = tests/fixtures/docker-faultproxy.c

# Its own test (every fault seen with curl), and the example scenario of the
# daemon behind it. Both need Docker: run them under the lock.
TESTS += tests/integration/test_faultproxy.sh tests/integration/scenario_faults.sh
EXTRA_DIST += tests/integration/test_faultproxy.sh tests/integration/scenario_faults.sh
