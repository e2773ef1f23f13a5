# mk/core.mk - shared plumbing (util, log) and its unit tests.
libace_a_SOURCES += src/util.c src/util.h src/log.c src/log.h
libace_a_SOURCES += src/config.h src/range.h src/observe.h

check_PROGRAMS += tests/unit/test_util tests/unit/test_log
TESTS += tests/unit/test_util tests/unit/test_log
tests_unit_test_util_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_util_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_log_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# Config file watcher (inotify) of the daemon loop.
libace_a_SOURCES += src/watch.c src/watch.h
check_PROGRAMS += tests/unit/test_watch
TESTS += tests/unit/test_watch
tests_unit_test_watch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_watch_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# The reconcile pass, apply and the daemon loop (issue 4).
libace_a_SOURCES += src/reconcile.c src/reconcile.h src/apply.c src/apply.h src/loop.c src/loop.h \
	src/evloop.c src/evloop.h src/cmulti.c src/cmulti.h src/bgpool.c src/bgpool.h \
	src/ctrl.c src/ctrl.h

# What the loop feeds the HTTP API: snapshots, stream registry, engine probes.
libace_a_SOURCES += src/publish.c src/publish.h src/streams.c src/streams.h src/probe.c src/probe.h

# The reactor, the background pool and the curl-multi adapter.
check_PROGRAMS += tests/unit/test_evloop
TESTS += tests/unit/test_evloop
tests_unit_test_evloop_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_evloop_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
