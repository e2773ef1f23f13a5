# mk/plan.mk - the pure reconciler (plan_compute), the memory the daemon keeps
# for it between passes (memory.c), and their table-driven tests.
libace_a_SOURCES += src/plan.c src/plan_setup.c src/plan_place.c src/plan_out.c \
	src/plan.h src/plan_int.h src/memory.c src/memory.h
check_PROGRAMS += tests/unit/test_plan
TESTS += tests/unit/test_plan
tests_unit_test_plan_SOURCES = tests/unit/test_plan.c tests/unit/plan_fixtures.c tests/unit/plan_fixtures.h
tests_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_plan_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
check_PROGRAMS += tests/unit/test_memory
TESTS += tests/unit/test_memory
tests_unit_test_memory_SOURCES = tests/unit/test_memory.c tests/unit/plan_fixtures.c tests/unit/plan_fixtures.h
tests_unit_test_memory_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_memory_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# `make bench` also builds the planner benchmark; bench/run-plan-bench.sh runs
# it next to the same benchmark built against main's planner.
EXTRA_PROGRAMS += bench/plan_bench
bench_plan_bench_SOURCES = bench/plan_bench.c bench/bench_util.c bench/bench_util.h
bench_plan_bench_LDADD = $(ACE_LIBS)
CLEANFILES += bench/plan_bench
EXTRA_DIST += bench/run-plan-bench.sh
bench: bench/plan_bench$(EXEEXT)
