"""Reads a CSV file with Python's csv module (strict: a malformed quote fails) and prints
its header and rows as JSON."""
import csv
import json
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.reader(handle, strict=True))
print(json.dumps({"header": rows[0] if rows else [], "rows": rows[1:]}))
