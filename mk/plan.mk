# mk/plan.mk
