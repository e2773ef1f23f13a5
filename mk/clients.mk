# mk/clients.mk - Docker Engine and Gluetun clients, the observed state, their
# unit tests, integration tests against the real daemon, and fuzz targets.
libace_a_SOURCES += \
	src/http.c src/http.h \
	src/docker.c src/docker_json.c src/docker.h \
	src/gluetun.c src/gluetun.h \
	src/observe.c

check_PROGRAMS += tests/unit/test_docker tests/unit/test_gluetun tests/unit/test_observe
TESTS += tests/unit/test_docker tests/unit/test_gluetun tests/unit/test_observe
tests_unit_test_docker_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_docker_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
# JSON captured from Docker 20.10 (API 1.41).
tests_unit_test_docker_CPPFLAGS = $(AM_CPPFLAGS) -DDATADIR='"$(abs_top_srcdir)/tests/unit/data/docker"'
tests_unit_test_gluetun_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_gluetun_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_observe_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_observe_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# Against the real Docker daemon with the stand-in images of tests/fixtures;
# each exits 77 (SKIP) when no daemon answers. Distinct port ranges
# (292xx, 293xx, 294xx) let them run in parallel.
ITEST_HELPERS = tests/integration/itest.c tests/integration/itest.h
check_PROGRAMS += tests/integration/test_docker_client \
	tests/integration/test_gluetun_client tests/integration/test_observe
TESTS += tests/integration/test_docker_client \
	tests/integration/test_gluetun_client tests/integration/test_observe
tests_integration_test_docker_client_SOURCES = tests/integration/test_docker_client.c $(ITEST_HELPERS)
tests_integration_test_docker_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_docker_client_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_integration_test_gluetun_client_SOURCES = tests/integration/test_gluetun_client.c $(ITEST_HELPERS)
tests_integration_test_gluetun_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_gluetun_client_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_integration_test_observe_SOURCES = tests/integration/test_observe.c $(ITEST_HELPERS)
tests_integration_test_observe_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_observe_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

EXTRA_DIST += tests/unit/data/docker \
	tests/fuzz/fuzz_docker_json.c tests/fuzz/fuzz_gluetun_json.c \
	tests/fuzz/corpus/docker_json tests/fuzz/corpus/gluetun_json

if FUZZING
# libFuzzer brings its own main(); never run as a test (see mk/config.mk).
check_PROGRAMS += tests/fuzz/fuzz_docker_json tests/fuzz/fuzz_gluetun_json
tests_fuzz_fuzz_docker_json_SOURCES = tests/fuzz/fuzz_docker_json.c
tests_fuzz_fuzz_docker_json_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_docker_json_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_docker_json_LDADD = $(ACE_LIBS)
tests_fuzz_fuzz_gluetun_json_SOURCES = tests/fuzz/fuzz_gluetun_json.c
tests_fuzz_fuzz_gluetun_json_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_gluetun_json_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_gluetun_json_LDADD = $(ACE_LIBS)
endif
