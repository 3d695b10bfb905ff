//! iCalendar (RFC 5545) invitations for live sessions, so a learner adds one to any calendar.

pub struct LiveSessionEvent<'a> {
    /// Stable across downloads (and host renames), so calendars update instead of
    /// duplicating.
    pub uid: &'a str,
    /// The schedule revision: calendars replace an entry only by a higher SEQUENCE.
    pub sequence: u32,
    pub title: &'a str,
    pub description: &'a str,
    pub join_url: &'a str,
    pub starts_at_ms: i64,
    pub duration_minutes: i64,
    pub stamped_at_ms: i64,
}

/// UTC date-time in iCalendar's basic format, e.g. `20261124T150000Z`.
fn ics_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "19700101T000000Z".to_string())
}

/// Escapes TEXT values: backslash, semicolon, comma and newlines.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out
}

pub fn live_session_ics(event: &LiveSessionEvent<'_>) -> String {
    let end = event.starts_at_ms + event.duration_minutes.max(0) * 60_000;
    let description = if event.description.is_empty() {
        format!("Join: {}", event.join_url)
    } else {
        format!("{}\n\nJoin: {}", event.description, event.join_url)
    };
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Partner Portal//Live sessions//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(event.uid)),
        format!("SEQUENCE:{}", event.sequence),
        format!("DTSTAMP:{}", ics_time(event.stamped_at_ms)),
        format!("DTSTART:{}", ics_time(event.starts_at_ms)),
        format!("DTEND:{}", ics_time(end)),
        format!("SUMMARY:{}", escape(event.title)),
        format!("DESCRIPTION:{}", escape(&description)),
        format!("URL:{}", event.join_url),
        format!("LOCATION:{}", escape(event.join_url)),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ];
    lines
        .iter()
        .map(|line| fold(line))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(title: &'a str, description: &'a str) -> LiveSessionEvent<'a> {
        LiveSessionEvent {
            uid: "live-7@partner-portal",
            sequence: 2,
            title,
            description,
            join_url: "https://meet.example/abc",
            starts_at_ms: 1_795_000_000_000,
            duration_minutes: 45,
            stamped_at_ms: 1_794_000_000_000,
        }
    }

    #[test]
    fn event_has_utc_times_and_crlf_lines() {
        let ics = live_session_ics(&event("Demo clinic", ""));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261118T110640Z\r\n"));
        assert!(
            ics.contains("\r\nDTEND:20261118T115140Z\r\n"),
            "start plus 45 minutes"
        );
        assert!(ics.contains("\r\nUID:live-7@partner-portal\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:2\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "no bare line feeds"
        );
    }

    #[test]
    fn text_is_escaped() {
        let ics = live_session_ics(&event("Q&A; pricing, bands", "Line one\nLine two \\ end"));
        assert!(ics.contains("SUMMARY:Q&A\\; pricing\\, bands"));
        assert!(ics.contains(
            "DESCRIPTION:Line one\\nLine two \\\\ end\\n\\nJoin: https://meet.example/abc"
        ));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_breaking_characters() {
        let long_title = "Überblick ".repeat(20);
        let ics = live_session_ics(&event(&long_title, ""));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", long_title)));
    }
}
