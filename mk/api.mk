# mk/api.mk - the HTTP API, Prometheus metrics, the `status` client, their
# unit tests, the promtool check, the request-body fuzz target and the bench.
libace_a_SOURCES += \
	src/snapshot.c src/snapshot.h \
	src/api.c src/api.h src/api_int.h src/api_render.c src/api_render.h \
	src/api_body.c src/api_body.h src/api_events.c src/api_guard.c src/api_guard.h \
	src/api_proxy.c src/api_proxy.h src/api_provision.c \
	src/metrics.c src/metrics.h \
	src/config_json.c src/config_json.h \
	src/status.c src/status.h

check_PROGRAMS += tests/unit/test_api tests/unit/test_metrics tests/unit/metrics_sample \
	tests/unit/test_streams tests/unit/test_api_proxy tests/unit/test_api_guard
TESTS += tests/unit/test_api tests/unit/test_metrics tests/promtool.sh tests/unit/test_streams \
	tests/unit/test_api_proxy tests/unit/test_api_guard
tests_unit_test_api_guard_SOURCES = tests/unit/test_api_guard.c tests/unit/api_fixture.c \
	tests/unit/api_fixture.h tests/unit/api_client.c tests/unit/api_client.h
tests_unit_test_api_guard_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_api_guard_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_api_proxy_SOURCES = tests/unit/test_api_proxy.c tests/unit/api_fixture.c \
	tests/unit/api_fixture.h tests/unit/api_client.c tests/unit/api_client.h
tests_unit_test_api_proxy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_api_proxy_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_streams_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_streams_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_api_SOURCES = tests/unit/test_api.c tests/unit/api_fixture.c tests/unit/api_fixture.h \
	tests/unit/api_client.c tests/unit/api_client.h
tests_unit_test_api_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_api_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c tests/unit/api_fixture.c tests/unit/api_fixture.h
tests_unit_test_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_metrics_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
# Prints metrics_render of a representative snapshot for tests/promtool.sh.
tests_unit_metrics_sample_SOURCES = tests/unit/metrics_sample.c tests/unit/api_fixture.c tests/unit/api_fixture.h
tests_unit_metrics_sample_LDADD = $(ACE_LIBS)
EXTRA_DIST += tests/promtool.sh tests/fuzz/fuzz_api_body.c tests/fuzz/corpus/api_body

# How to point stream proxies (acexy, upstream v1 clients) at the API.
dist_doc_DATA += doc/proxy.md

# A client speaking krinkuto11/acexy's dialect, against real Docker.
TESTS += tests/integration/scenario_acexy.sh tests/integration/scenario_acexy_demand.sh
EXTRA_DIST += tests/integration/scenario_acexy.sh tests/integration/scenario_acexy_demand.sh

if FUZZING
check_PROGRAMS += tests/fuzz/fuzz_api_body
tests_fuzz_fuzz_api_body_SOURCES = tests/fuzz/fuzz_api_body.c
tests_fuzz_fuzz_api_body_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_api_body_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_api_body_LDADD = $(ACE_LIBS)
endif

# `make bench` builds the API benchmark server; bench/run-api-bench.sh runs
# it under wrk. Never part of `make check`: timings are not pass/fail.
EXTRA_PROGRAMS += bench/api_bench
bench_api_bench_SOURCES = bench/api_bench.c tests/unit/api_fixture.c tests/unit/api_fixture.h
bench_api_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
bench_api_bench_LDADD = $(ACE_LIBS)
CLEANFILES += bench/api_bench
EXTRA_DIST += bench/run-api-bench.sh bench/README.md

.PHONY: bench
bench: bench/api_bench$(EXEEXT)
