# mk/bench.mk - the helpers of bench/run-core-bench.sh (the daemon's core
# figures of issue 9): a poller/timer and a raw Docker API client.
# `make bench` builds them with the other benchmarks; never part of `make check`.
EXTRA_PROGRAMS += bench/core_tool bench/raw_client
bench_core_tool_SOURCES = bench/core_tool.c
bench_core_tool_LDADD = $(ACE_LIBS)
bench_raw_client_SOURCES = bench/raw_client.c
bench_raw_client_LDADD = $(ACE_LIBS)
CLEANFILES += bench/core_tool bench/raw_client
EXTRA_DIST += bench/run-core-bench.sh bench/fake_docker.py
bench: bench/core_tool$(EXEEXT) bench/raw_client$(EXEEXT)
