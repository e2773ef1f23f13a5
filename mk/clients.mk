# mk/clients.mk
