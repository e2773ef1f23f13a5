# mk/schema.mk
