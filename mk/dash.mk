# mk/dash.mk - the recent history (GET /events), the dashboard page compiled
# into the binary (GET /), webhooks (notify[]), and their tests.
libace_a_SOURCES += \
	src/history.c src/history.h src/history_view.c src/history_view.h \
	src/notify.c src/notify_format.c src/notify.h \
	src/api_dash.c src/web_assets.h
nodist_libace_a_SOURCES = web/dashboard_html.c

# The page is a file in the tree; its bytes become a C array at build time
# (od + sed: no tool beyond POSIX, no npm).
web/dashboard_html.c: $(srcdir)/web/dashboard.html $(srcdir)/web/embed.sh
	$(AM_V_GEN)$(MKDIR_P) web && \
	$(SHELL) $(srcdir)/web/embed.sh web_dashboard_html $(srcdir)/web/dashboard.html >$@.tmp && \
	mv -f $@.tmp $@
CLEANFILES += web/dashboard_html.c
EXTRA_DIST += web/dashboard.html web/embed.sh doc/dashboard.png

check_PROGRAMS += tests/unit/test_history tests/unit/test_notify
TESTS += tests/unit/test_history tests/unit/test_notify
tests_unit_test_history_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_history_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
tests_unit_test_notify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_notify_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# The dashboard in headless Chromium (chromedriver, Python's standard
# library) against real Docker; screenshots land in tests/artefacts/.
TESTS += tests/integration/scenario_dashboard.sh
EXTRA_DIST += tests/integration/scenario_dashboard.sh tests/integration/dashboard_browser.py \
	tests/integration/webdriver.py
clean-local: clean-dash-artefacts
clean-dash-artefacts:
	rm -rf tests/artefacts
.PHONY: clean-dash-artefacts

# Webhooks against a local stand-in receiver (Python's http.server).
TESTS += tests/integration/scenario_notify.sh
EXTRA_DIST += tests/integration/scenario_notify.sh tests/fixtures/notify_receiver.py

# GET / and GET /events through the HTTP server.
check_PROGRAMS += tests/unit/test_api_dash
TESTS += tests/unit/test_api_dash
tests_unit_test_api_dash_SOURCES = tests/unit/test_api_dash.c tests/unit/api_fixture.c \
	tests/unit/api_fixture.h tests/unit/api_client.c tests/unit/api_client.h
tests_unit_test_api_dash_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_api_dash_LDADD = $(ACE_LIBS) $(CHECK_LIBS)
