# mk/config.mk - the config model: YAML parsing, diagnostics, validation, value parsers,
# their unit tests, the golden-file test and the config fuzz target.
libace_a_SOURCES += \
	src/range.c \
	src/diag.c src/diag.h \
	src/config.c src/config_conv.c src/config_preset.c src/config_notify.c src/config_docker.c src/config_dump.c src/config_priv.h \
	src/validate.c \
	src/yamltree.c src/yamltree.h \
	src/import_env.c src/import_env_parse.c src/import_env.h

check_PROGRAMS += tests/unit/test_range tests/unit/test_config tests/unit/test_validate \
	tests/unit/test_import_env
TESTS += tests/unit/test_range tests/unit/test_config tests/unit/test_validate tests/golden.sh \
	tests/unit/test_import_env tests/import_env.sh
tests_unit_test_range_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_range_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_config_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_validate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_validate_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_import_env_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_import_env_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# Golden files: valid/*.yaml -> .ok (dump), invalid/*.yaml -> .err (stderr).
# The unit tests read tests/data too, from $(top_srcdir) (see TESTDATADIR).
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DTESTDATADIR='"$(abs_top_srcdir)/tests/data"'
tests_unit_test_validate_CPPFLAGS = $(AM_CPPFLAGS) -DTESTDATADIR='"$(abs_top_srcdir)/tests/data"'
EXTRA_DIST += tests/golden.sh tests/import_env.sh tests/data tests/fuzz/fuzz_config.c \
	tests/fuzz/corpus/config tests/fuzz/fuzz_import_env.c tests/fuzz/corpus/import_env

if FUZZING
# libFuzzer brings its own main(). Built by `make check` only with
# --enable-fuzzing (CC=clang; configure instruments libace too), never run
# as a test: scripts/fuzz runs it.
check_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_config_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_config_LDADD = $(ACE_LIBS)
check_PROGRAMS += tests/fuzz/fuzz_import_env
tests_fuzz_fuzz_import_env_SOURCES = tests/fuzz/fuzz_import_env.c
tests_fuzz_fuzz_import_env_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_import_env_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_import_env_LDADD = $(ACE_LIBS)
endif

# engine.preset against the real-contract stand-in engines (needs Docker).
TESTS += tests/integration/scenario_engine_presets.sh
EXTRA_DIST += tests/integration/scenario_engine_presets.sh
