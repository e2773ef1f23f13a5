#!/usr/bin/env python3
"""man_keys.py - keeps orchestrator.yaml(5) and doc/configuration.md in step.

Usage: man_keys.py CONFIGURATION.md ORCHESTRATOR.YAML.5

Compares, in both directions:
  - the keys (every `key` row of the tables under "## Keys" in the markdown,
    every ".TP" + ".B key" entry under ".SH KEYS" in the man page);
  - the default of each key whose markdown default is one plain value
    (`5s`, `bridge`, ...): the man page entry must give the same value;
  - the template placeholders (the "## Templates" table, ".SH TEMPLATES");
  - the engine presets ("### Engine presets", ".SH ENGINE PRESETS").
Prints every difference and exits 1 when there is one.
"""
import re
import sys


def md_sections(text):
    """Yields (level-2 title, level-3 title, line) for each line."""
    h2 = h3 = ""
    for line in text.splitlines():
        if line.startswith("## "):
            h2, h3 = line[3:].strip(), ""
        elif line.startswith("### "):
            h3 = line[4:].strip().strip("`")
        yield h2, h3, line


def md_table_rows(text, h2_title, first_header=None):
    """Rows of the tables under ## H2_TITLE (whose header's first cell is
    FIRST_HEADER, when given), as (### title, cells)."""
    header = None
    for h2, h3, line in md_sections(text):
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells[0]
            continue
        if h2 != h2_title or not line.startswith("| `"):
            continue
        if first_header is not None and header != first_header:
            continue
        yield h3, cells


def md_keys(text):
    """{dotted key: default cell} from the tables under ## Keys."""
    keys = {}
    for section, cells in md_table_rows(text, "Keys", "key"):
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        if not m:
            continue
        key = m.group(1)
        # Rows of a section table are "section.key", except vpns[] whose
        # rows are bare item keys.
        if section not in ("", "Top level") and not key.startswith(section.rstrip("[]") ):
            key = f"{section}.{key}"
        keys[key] = cells[2] if len(cells) > 2 else ""
    return keys


def md_placeholders(text):
    out = set()
    for _, cells in md_table_rows(text, "Templates"):
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        if m:
            out.add(m.group(1))
    return out


def md_presets(text):
    """Preset names: the first column of the table under ### Engine presets."""
    out = set()
    for section, cells in md_table_rows(text, "Keys", "preset"):
        m = re.match(r"`([^`]+)`", cells[0])
        if section == "Engine presets" and m:
            out.add(m.group(1))
    return out


def groff_plain(s):
    """Text of a man(7) line without font escapes and with escapes resolved."""
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\(dq", '"').replace("\\&", "")
    return s


def man_entries(text, section):
    """{tag: body text} of the .TP entries under .SH SECTION."""
    entries = {}
    lines = text.splitlines()
    in_section = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".SH "):
            in_section = line[4:].strip().strip('"') == section
        elif in_section and line == ".TP" and i + 1 < len(lines) and lines[i + 1].startswith(".B "):
            tag = groff_plain(lines[i + 1][3:].strip().strip('"'))
            body = []
            j = i + 2
            while j < len(lines) and lines[j] not in (".TP", ".PP") and not lines[j].startswith((".SH", ".SS")):
                body.append(lines[j])
                j += 1
            entries[tag] = " ".join(groff_plain(re.sub(r"^\.[A-Z]+ ?", "", b)) for b in body)
            i = j
            continue
        i += 1
    return entries


def plain_default(cell):
    """The default of a markdown cell when it is one plain `value`, else None."""
    m = re.fullmatch(r"`([^`]+)`", cell.strip())
    return m.group(1) if m else None


def main():
    md = open(sys.argv[1], encoding="utf-8").read()
    man = open(sys.argv[2], encoding="utf-8").read()
    problems = []

    mk = md_keys(md)
    manent = man_entries(man, "KEYS")
    for k in sorted(set(mk) - set(manent)):
        problems.append(f"key {k} is in {sys.argv[1]} but not in {sys.argv[2]}")
    for k in sorted(set(manent) - set(mk)):
        problems.append(f"key {k} is in {sys.argv[2]} but not in {sys.argv[1]}")
    checked = 0
    for k in sorted(set(mk) & set(manent)):
        d = plain_default(mk[k])
        if d is None:
            continue
        checked += 1
        # "Default: X." in the man entry (X may be followed by a full stop).
        m = re.search(r"Default: (\S+?)\.?(?:\s|$)", manent[k])
        if not m or m.group(1) != d:
            got = m.group(1) if m else "none given"
            problems.append(f"key {k}: default `{d}` in the markdown, {got} in the man page")

    mp = md_placeholders(md)
    manp = set(man_entries(man, "TEMPLATES"))
    for p in sorted(mp - manp):
        problems.append(f"placeholder {p} is in {sys.argv[1]} but not in {sys.argv[2]}")
    for p in sorted(manp - mp):
        problems.append(f"placeholder {p} is in {sys.argv[2]} but not in {sys.argv[1]}")

    mpre = md_presets(md)
    manpre = set(man_entries(man, "ENGINE PRESETS"))
    for p in sorted(mpre - manpre):
        problems.append(f"preset {p} is in {sys.argv[1]} but not in {sys.argv[2]}")
    for p in sorted(manpre - mpre):
        problems.append(f"preset {p} is in {sys.argv[2]} but not in {sys.argv[1]}")

    for p in problems:
        print("man_keys: " + p)
    print(f"man_keys: {len(mk)} keys, {checked} plain defaults, {len(mp)} placeholders, "
          f"{len(mpre)} presets compared; {len(problems)} difference(s)")
    return 1 if problems or not mk or not mp or not mpre else 0


if __name__ == "__main__":
    sys.exit(main())
