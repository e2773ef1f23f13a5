# mk/schema.mk - the JSON Schema of orchestrator.yaml, the example configs,
# the configuration reference, and the test that keeps them and the parser
# in agreement (tests/schema.sh).

schemadir = $(datadir)/ace-orchestrator/schemas
dist_schema_DATA = schemas/orchestrator.schema.json

examplesdir = $(docdir)/examples
dist_examples_DATA = \
	examples/single-vpn.yaml \
	examples/redundant.yaml \
	examples/three-vpns.yaml \
	examples/no-vpn.yaml \
	examples/demo.yaml

# orchestrator.yaml.example is installed and distributed via dist_doc_DATA
# in Makefile.am.
dist_doc_DATA += doc/configuration.md

TESTS += tests/schema.sh
EXTRA_DIST += \
	schemas/orchestrator.schema.json \
	$(dist_examples_DATA) \
	tests/schema.sh \
	tests/schema_check.py \
	doc/configuration.md
