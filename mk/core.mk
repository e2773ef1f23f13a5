# mk/core.mk - shared plumbing (util, log) and its unit tests.
libace_a_SOURCES += src/util.c src/util.h src/log.c src/log.h
