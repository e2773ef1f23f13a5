# mk/fixtures.mk
