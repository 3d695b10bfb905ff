"""Reads one received message with Python's standard MIME parser (email, policy default)
and prints what the tests check, as JSON: the headers, and each leaf part's type, charset
and decoded text."""
import email
import email.policy
import json
import sys

message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = []
for part in message.walk():
    if part.is_multipart():
        continue
    parts.append({
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "text": part.get_content(),
        "defects": [type(d).__name__ for d in part.defects],
    })
print(json.dumps({
    "headers": {name: str(value) for name, value in message.items()},
    "content_type": message.get_content_type(),
    "defects": [type(d).__name__ for d in message.defects],
    "parts": parts,
}))
