#!/bin/sh
# schema.sh - automake test: the JSON Schema, the examples and the config
# parser agree (the work is done by tests/schema_check.py).
# Needs python3 with the yaml and jsonschema modules; skips (77) without them.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
PY=${PYTHON3:-python3}

skip() {
	echo "########################################################"
	echo "SKIP: schema test NOT RUN: $*"
	echo "      install with: apt-get install python3 python3-yaml python3-jsonschema"
	echo "########################################################"
	exit 77
}

command -v "$PY" >/dev/null 2>&1 || skip "python3 not found (PYTHON3='$PY')"
"$PY" -c 'import yaml' 2>/dev/null || skip "python3 module yaml missing"
"$PY" -c 'from jsonschema import Draft202012Validator' 2>/dev/null ||
	skip "python3 module jsonschema (with draft 2020-12 support) missing"

export top_srcdir
exec "$PY" "$top_srcdir/tests/schema_check.py"
