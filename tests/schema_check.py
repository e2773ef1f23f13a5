#!/usr/bin/env python3
# schema_check.py - keeps schemas/orchestrator.schema.json and the config
# parser in agreement: the examples and tests/data/valid pass both, and
# tests/data/invalid files marked "# schema: reject" fail both.
#
# Environment: top_srcdir (source tree; default: parent of this script's
# directory) and ACE (path of the built ace-orchestrator; when unset, only the
# schema side is checked and that is said loudly).
# Exit status: 0 all passed, 1 some failed, 77 a needed module is missing.

import glob
import os
import re
import subprocess
import sys

try:
    import yaml
    from jsonschema import Draft202012Validator
except ImportError as e:  # pragma: no cover - depends on the host
    print("SKIP: schema check needs python3-yaml and python3-jsonschema "
          "(%s); install them with: apt-get install python3-yaml "
          "python3-jsonschema" % e)
    sys.exit(77)


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans.

    PyYAML implements YAML 1.1, where on/off/yes/no are booleans, so
    `port_forwarding: off` would load as False, and 1:30 is the integer 90.
    The daemon (libyaml) and editors (yaml-language-server) read them as
    strings; so does this loader.
    """


Yaml12Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
# Decimal integers only, as the daemon reads them: no sexagesimal "1:30"
# (= 90 in YAML 1.1), "1_000", octal or hex.
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?[0-9]+$"),
    list("-+0123456789"))
# ...and always base 10 (PyYAML would read 019000 as octal).
Yaml12Loader.add_constructor(
    "tag:yaml.org,2002:int",
    lambda loader, node: int(loader.construct_scalar(node), 10))


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Yaml12Loader)


def first_line(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.readline().strip()


def schema_errors(validator, doc):
    """Returns the schema's complaints as 'path: message' strings."""
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append("%s: %s" % (where, err.message))
    return out


def run_parser(ace, path):
    """Runs `ace validate -c path`; returns (exit code, combined output)."""
    try:
        p = subprocess.run([ace, "validate", "-c", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def indent(text, limit=10):
    lines = text.rstrip("\n").splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + ["... (%d more lines)" % (len(lines) - limit)]
    return "".join("      | %s\n" % l for l in lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    srcdir = os.environ.get("top_srcdir") or os.path.dirname(here)
    ace = os.environ.get("ACE") or None
    schema_path = os.path.join(srcdir, "schemas", "orchestrator.schema.json")

    passed = failed = 0

    def report(ok, name, why=None, detail=None):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("PASS %s%s" % (name, " (%s)" % why if why else ""))
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why))
            if detail:
                sys.stdout.write(indent(detail))

    if ace is None:
        print("WARNING: ACE is not set: checking the schema only, NOT the "
              "parser (run through `make check` to check both)")
    elif not (os.path.isfile(ace) and os.access(ace, os.X_OK)):
        print("FAIL ACE=%s is not an executable file" % ace)
        print("schema: 0 passed, 1 failed")
        return 1

    # (a) the schema itself
    import json
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
    except Exception as e:  # noqa: BLE001 - any failure is the same verdict
        report(False, "schemas/orchestrator.schema.json",
               "not a valid draft 2020-12 schema", str(e))
        print("schema: %d passed, %d failed" % (passed, failed))
        return 1
    report(True, "schemas/orchestrator.schema.json", "valid draft 2020-12 schema")
    validator = Draft202012Validator(schema)

    def rel(path):
        return os.path.relpath(path, srcdir)

    # (b) files both sides must accept
    valid = (sorted(glob.glob(os.path.join(srcdir, "examples", "*.yaml")))
             + [os.path.join(srcdir, "orchestrator.yaml.example")]
             + sorted(glob.glob(os.path.join(srcdir, "tests", "data", "valid",
                                             "*.yaml"))))
    for path in valid:
        name = rel(path)
        if not os.path.exists(path):
            report(False, name, "missing")
            continue
        try:
            doc = load_yaml(path)
        except yaml.YAMLError as e:
            report(False, name, "not loadable YAML", str(e))
            continue
        errs = schema_errors(validator, doc)
        if errs:
            report(False, name, "schema rejects a valid file",
                   "\n".join(errs))
            continue
        if ace:
            rc, out = run_parser(ace, path)
            if rc != 0:
                report(False, name,
                       "`validate` exited %s on a valid file" % rc, out)
                continue
        report(True, name, "accepted by schema" + (" and parser" if ace else ""))

    # (c) files both (reject) or the parser alone (n/a) must refuse
    invalid = sorted(glob.glob(os.path.join(srcdir, "tests", "data", "invalid",
                                            "*.yaml")))
    if not invalid:
        print("note: no tests/data/invalid/*.yaml yet")
    for path in invalid:
        name = rel(path)
        marker = first_line(path)
        if marker == "# schema: reject":
            schema_side = True
        elif marker == "# schema: n/a":
            schema_side = False
        else:
            print("WARNING %s: first line is not '# schema: reject' or "
                  "'# schema: n/a'; checking the parser only" % name)
            schema_side = False

        if schema_side:
            try:
                doc = load_yaml(path)
            except yaml.YAMLError as e:
                report(False, name, "marked '# schema: reject' but is not "
                       "loadable YAML (mark it '# schema: n/a')", str(e))
                continue
            errs = schema_errors(validator, doc)
            if not errs:
                report(False, name, "schema accepts a file marked "
                       "'# schema: reject'")
                continue
        if ace:
            rc, out = run_parser(ace, path)
            if rc != 1:
                report(False, name,
                       "`validate` exited %s on an invalid file (want 1)" % rc,
                       out)
                continue
        elif not schema_side:
            report(True, name, "n/a: parser not checked (ACE unset)")
            continue
        sides = ["schema"] if schema_side else []
        if ace:
            sides.append("parser")
        why = "rejected by " + " and ".join(sides)
        if schema_side:
            why += ": " + errs[0]
        report(True, name, why)

    print("schema: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
