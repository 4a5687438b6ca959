"""HMCTS's own JSON Schema, applied by the reference validator (PyPI `jsonschema`), as the oracle for
Courtdeck's typed reading of CaTH lists.

Usage: schema_oracle.py SCHEMA LIST...
Prints one JSON object per list: {"list": path, "errors": [[json-pointer, message], ...]}.
"""
import json
import sys

import jsonschema


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def main():
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for name in sys.argv[2:]:
        doc = json.load(open(name, encoding="utf-8"))
        errors = [[pointer(e.absolute_path), e.message] for e in validator.iter_errors(doc)]
        print(json.dumps({"list": name, "errors": errors}))


main()
