# mk/fixtures.mk - stand-in Gluetun and AceStream engine images for the
# integration tests (tests/fixtures/README.md) and their smoke test.
# The images are built on demand by tests/fixtures/build-images.sh (which the
# integration tests call); nothing here is compiled by `make`.

TESTS += tests/integration/test_fixtures.sh

EXTRA_DIST += \
	tests/fixtures/README.md \
	tests/fixtures/fake-gluetun.c \
	tests/fixtures/fake-engine.c tests/fixtures/fixture_http.h \
	tests/fixtures/Dockerfile.gluetun \
	tests/fixtures/Dockerfile.engine \
	tests/fixtures/build-images.sh \
	tests/integration/test_fixtures.sh

# `make fixture-images` / `make fixture-images-clean` for manual use.
fixture-images:
	$(SHELL) $(srcdir)/tests/fixtures/build-images.sh
fixture-images-clean:
	$(SHELL) $(srcdir)/tests/fixtures/build-images.sh --remove
.PHONY: fixture-images fixture-images-clean
