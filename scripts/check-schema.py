#!/usr/bin/env python3
"""Validates Reel manifests against the manifest JSON Schema, the way an editor would.

Usage: check-schema.py SCHEMA FILE...

Each FILE is loaded with PyYAML (yaml.safe_load, YAML 1.1 scalars as yaml-language-server reads
them with yaml.yamlVersion 1.1) and validated with jsonschema's Draft7Validator. One JSON line is
printed per file, in argument order:

    {"file": "reel.yaml", "valid": true, "errors": []}

A file that cannot be read or is not YAML is reported as invalid with the reason in "errors".
Exit status: 0 when every file was checked (valid or not); 2 on a usage error or an unusable
schema; 3 when the Python modules it needs (jsonschema, PyYAML) are missing.
"""

import json
import sys

try:
    import yaml
    from jsonschema import Draft7Validator
except ImportError as error:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"check-schema.py: missing Python module: {error.name or error}; "
        "install it with scripts/install-deps.sh --test (or: python3 -m pip install jsonschema pyyaml)\n"
    )
    sys.exit(3)


def location(error):
    """The failing value's place as a JSON-Pointer-like path, e.g. /output/transition."""
    return "/" + "/".join(str(part) for part in error.absolute_path)


def describe(error):
    """One line per schema error; for oneOf/anyOf, the alternatives' own reasons follow."""
    text = f"{location(error)}: {error.message}"
    if error.context:
        reasons = sorted({f"{location(sub)}: {sub.message}" for sub in error.context})
        text += " [" + "; ".join(reasons) + "]"
    return text


def check(validator, path):
    try:
        with open(path, "rb") as handle:
            document = yaml.safe_load(handle)
    except OSError as error:
        return {"file": path, "valid": False, "errors": [f"cannot read: {error.strerror or error}"]}
    except yaml.YAMLError as error:
        return {"file": path, "valid": False, "errors": [f"invalid YAML: {error}"]}
    except (ValueError, TypeError, RecursionError) as error:
        # e.g. unhashable keys, unreadable dates, recursive aliases.
        return {"file": path, "valid": False, "errors": [f"cannot load YAML: {error}"]}
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return {"file": path, "valid": not errors, "errors": [describe(error) for error in errors]}


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: check-schema.py SCHEMA FILE...\n")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            schema = json.load(handle)
        Draft7Validator.check_schema(schema)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"check-schema.py: unusable schema {argv[1]}: {error}\n")
        return 2
    except Exception as error:  # jsonschema.SchemaError and friends
        sys.stderr.write(f"check-schema.py: invalid schema {argv[1]}: {error}\n")
        return 2
    validator = Draft7Validator(schema)
    for path in argv[2:]:
        result = check(validator, path)
        print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
