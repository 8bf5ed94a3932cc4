#!/usr/bin/env python3
"""Independent check of tellwang-export output with python-hcl2 (PyPI).

Usage: hcl2_check.py DIR

Each subdirectory of DIR is one export: its files (*.tf and
terraform.tfvars.example) must parse with python-hcl2. Where the
subdirectory holds an expect.json, the parsed files must also show:

  resources  every [kind, name] pair of main.tf, in order
  variables  the variable names of variables.tf, in order
  strings    texts that must appear, after decoding with Terraform's string
             escapes (done here, not by either parser), as string literals
             somewhere in main.tf

Prints one line per export and "N passed, M failed" at the end; exits 1 on
any failure and 2 when python-hcl2 is not installed.
"""

import json
import re
import sys
from pathlib import Path

try:
    import hcl2
except ImportError:
    print("python-hcl2 is not installed: pip install python-hcl2", file=sys.stderr)
    sys.exit(2)

ESCAPE = re.compile(r'\\(?:([nrt"\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))|\$\$\{|%%\{')
SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def decode(raw):
    """The value of a Terraform quoted string given with its quotes."""
    inner = raw[1:-1]

    def one(m):
        text = m.group(0)
        if text == "$${":
            return "${"
        if text == "%%{":
            return "%{"
        if m.group(1):
            return SIMPLE[m.group(1)]
        return chr(int(m.group(2) or m.group(3), 16))

    rest = ESCAPE.sub("\0", inner)
    if "\\" in rest:
        raise ValueError(f"an escape Terraform does not accept in {raw!r}")
    return ESCAPE.sub(one, inner)


def strings(node, out):
    """Decoded string literals anywhere in python-hcl2's result. Templates
    that interpolate (a `${` not escaped as `$${`) are skipped."""
    if isinstance(node, dict):
        for key, value in node.items():
            strings(key, out)
            strings(value, out)
    elif isinstance(node, list):
        for item in node:
            strings(item, out)
    elif isinstance(node, str) and len(node) >= 2 and node[0] == '"' and node[-1] == '"':
        if re.search(r"(?<!\$)\$\{", node):
            return
        out.add(decode(node))


def unquote(label):
    return label[1:-1] if len(label) >= 2 and label[0] == '"' and label[-1] == '"' else label


def check(export):
    parsed = {}
    for path in sorted(export.iterdir()):
        if path.name == "expect.json":
            continue
        with path.open(encoding="utf-8") as f:
            parsed[path.name] = hcl2.load(f)
    expect_path = export / "expect.json"
    if not expect_path.exists():
        return
    expect = json.loads(expect_path.read_text(encoding="utf-8"))
    main = parsed["main.tf"]
    resources = []
    for entry in main.get("resource", []):
        for kind, named in entry.items():
            for name in named:
                resources.append([unquote(kind), unquote(name)])
    if resources != expect["resources"]:
        raise AssertionError(f"resources differ: {resources} != {expect['resources']}")
    variables = [unquote(name) for entry in parsed["variables.tf"].get("variable", []) for name in entry]
    if variables != expect["variables"]:
        raise AssertionError(f"variables differ: {variables} != {expect['variables']}")
    found = set()
    strings(main, found)
    missing = [s for s in expect["strings"] if s not in found]
    if missing:
        raise AssertionError(f"strings not found after decoding: {missing!r}")


def main():
    root = Path(sys.argv[1])
    passed = failed = 0
    for export in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            check(export)
        except Exception as error:  # any parse or check failure is reported
            failed += 1
            print(f"FAIL {export.name}: {type(error).__name__}: {error}")
        else:
            passed += 1
            print(f"ok   {export.name}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
