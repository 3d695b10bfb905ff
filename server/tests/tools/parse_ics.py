"""Reads an iCalendar file with the icalendar library (PyPI) and prints each event's UID,
SEQUENCE and start as JSON; a file it cannot parse fails."""
import json
import sys

import icalendar

calendar = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
events = [
    {
        "uid": str(event["UID"]),
        "sequence": int(event.get("SEQUENCE", 0)),
        "start": event.decoded("DTSTART").isoformat(),
        "summary": str(event["SUMMARY"]),
    }
    for event in calendar.walk("VEVENT")
]
print(json.dumps(events))
