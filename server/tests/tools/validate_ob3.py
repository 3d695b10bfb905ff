"""Validates a credential against 1EdTech's official Open Badges 3.0 AchievementCredential
JSON Schema (draft 2019-09) with the jsonschema library, format checks on, and prints the
errors as JSON (an empty list when it conforms).

Usage: validate_ob3.py <schema.json> <credential.json>
scripts/setup.sh fetches the schema from PyPI (the openbadgeslib sdist carries 1EdTech's
files verbatim as test fixtures)."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
credential = json.load(open(sys.argv[2]))
validator = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())
errors = [
    {"path": "/" + "/".join(str(p) for p in error.absolute_path), "message": error.message}
    for error in validator.iter_errors(credential)
]
print(json.dumps(errors))
