# mk/ship.mk - how the daemon is shipped (issue 10): sd_notify, man pages,
# the systemd unit, the installed config, the container image, the compose
# examples, and the tests that check all of them.

# ---- sd_notify (src/service.c; no-ops without libsystemd) ----
libace_a_SOURCES += src/service.c src/service.h
AM_CFLAGS += $(SYSTEMD_CFLAGS)
ACE_LIBS += $(SYSTEMD_LIBS)

check_PROGRAMS += tests/unit/test_service
TESTS += tests/unit/test_service
tests_unit_test_service_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_service_LDADD = $(ACE_LIBS) $(CHECK_LIBS)

# ---- files generated with this install's paths ----
ship_generated = man/ace-orchestrator.8 man/orchestrator.yaml.5 systemd/ace-orchestrator.service
CLEANFILES += $(ship_generated)
EXTRA_DIST += $(ship_generated:=.in)

# In the man pages each '/' of a path is followed by groff's zero-width break
# point '\:', so that a long prefix (distcheck's, or a deep --prefix) wraps at
# 80 columns instead of warning "cannot adjust line".
$(ship_generated): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	case $@ in man/*) brk='s|/|/\\\\:|g' ;; *) brk='' ;; esac; \
	bindir=`printf '%s\n' '$(bindir)' | sed "$$brk"`; \
	sysconfdir=`printf '%s\n' '$(sysconfdir)' | sed "$$brk"`; \
	datadir=`printf '%s\n' '$(datadir)' | sed "$$brk"`; \
	docdir=`printf '%s\n' '$(docdir)' | sed "$$brk"`; \
	sed -e "s|@bindir[@]|$$bindir|g" \
	    -e "s|@sysconfdir[@]|$$sysconfdir|g" \
	    -e "s|@datadir[@]|$$datadir|g" \
	    -e "s|@docdir[@]|$$docdir|g" \
	    -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    $(srcdir)/$@.in > $@.tmp && mv -f $@.tmp $@
man/ace-orchestrator.8: $(srcdir)/man/ace-orchestrator.8.in
man/orchestrator.yaml.5: $(srcdir)/man/orchestrator.yaml.5.in
systemd/ace-orchestrator.service: $(srcdir)/systemd/ace-orchestrator.service.in

# ---- man pages ----
# nodist: generated here with this build's paths (their .in are distributed).
nodist_man_MANS = man/ace-orchestrator.8 man/orchestrator.yaml.5

# ---- systemd unit and the user it runs as ----
if HAVE_SYSTEMD_UNITDIR
systemdsystemunit_DATA = systemd/ace-orchestrator.service
endif
if HAVE_SYSUSERSDIR
dist_sysusers_DATA = systemd/sysusers.d/ace-orchestrator.conf
else
EXTRA_DIST += systemd/sysusers.d/ace-orchestrator.conf
endif
# distcheck installs under its own prefix: keep the unit there too.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$$(prefix)/lib/systemd/system' \
	--with-sysusersdir='$$(prefix)/lib/sysusers.d'

# ---- the config file: the example, only when there is none ----
ship_confdir = $(sysconfdir)/ace-orchestrator
ship_conf = $(DESTDIR)$(ship_confdir)/orchestrator.yaml
# The example's schema comment points into the source tree; the installed
# copy points at the installed schema.
ship_conf_edit = sed -e 's|\$$schema=schemas/|$$schema=$(schemadir)/|'

install-data-hook: install-ship-config
install-ship-config:
	$(MKDIR_P) '$(DESTDIR)$(ship_confdir)'
	@if test -e '$(ship_conf)' || test -L '$(ship_conf)'; then \
		echo "keeping the existing $(ship_conf)"; \
	else \
		$(ship_conf_edit) $(srcdir)/orchestrator.yaml.example > ship-conf.tmp && \
		echo " $(INSTALL_DATA) orchestrator.yaml.example '$(ship_conf)'" && \
		$(INSTALL_DATA) ship-conf.tmp '$(ship_conf)'; rc=$$?; rm -f ship-conf.tmp; exit $$rc; \
	fi
# An edited config is the operator's: uninstall removes only an unedited one.
uninstall-hook:
	@$(ship_conf_edit) $(srcdir)/orchestrator.yaml.example > ship-conf.tmp; \
	if test -f '$(ship_conf)' && cmp -s ship-conf.tmp '$(ship_conf)'; then \
		echo " rm -f '$(ship_conf)'"; rm -f '$(ship_conf)'; \
	elif test -e '$(ship_conf)'; then \
		echo "keeping $(ship_conf): it differs from the example"; \
	fi; \
	rm -f ship-conf.tmp; \
	rmdir '$(DESTDIR)$(ship_confdir)' 2>/dev/null || :
.PHONY: install-ship-config

# ---- compose examples, installed next to the other examples ----
composedir = $(docdir)/examples/compose
dist_compose_DATA = \
	examples/compose/README.md \
	examples/compose/single-vpn.yml \
	examples/compose/redundant.yml \
	examples/compose/env.example
composeconfigdir = $(composedir)/config
dist_composeconfig_DATA = \
	examples/compose/config/single-vpn.yaml \
	examples/compose/config/redundant.yaml
composegluetundir = $(composedir)/gluetun
dist_composegluetun_DATA = examples/compose/gluetun/config.toml

# ---- container image ----
EXTRA_DIST += Dockerfile .dockerignore scripts/build-image tests/systemd/Dockerfile

# ---- tests ----
# install.sh: `make install DESTDIR=...` gives exactly the expected files;
# the unit passes systemd-analyze verify. man.sh: both pages render without
# a warning and orchestrator.yaml(5) documents what doc/configuration.md does.
# notify.sh: the daemon's sd_notify messages. compose.sh: the compose files
# with stand-ins, under Docker. systemd_unit.sh: configure --prefix=/usr,
# make install and systemctl start under a real systemd, in a container.
SHIP_TESTS = \
	tests/install.sh \
	tests/man.sh \
	tests/integration/notify.sh \
	tests/integration/compose.sh \
	tests/integration/systemd_unit.sh
TESTS += $(SHIP_TESTS)
EXTRA_DIST += $(SHIP_TESTS) tests/man_keys.py tests/integration/notify_listen.py

# Installation directories as this build expands them, for tests/install.sh.
ship-print-dirs:
	@echo "bindir=$(bindir)"
	@echo "mandir=$(mandir)"
	@echo "datadir=$(datadir)"
	@echo "docdir=$(docdir)"
	@echo "sysconfdir=$(sysconfdir)"
	@echo "systemdsystemunitdir=$(systemdsystemunitdir)"
	@echo "sysusersdir=$(sysusersdir)"
.PHONY: ship-print-dirs

# `make image` builds the container image (scripts/build-image --help).
image:
	$(SHELL) $(srcdir)/scripts/build-image
.PHONY: image
