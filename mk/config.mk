# mk/config.mk
