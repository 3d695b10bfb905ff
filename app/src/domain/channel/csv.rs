//! CSV exports (RFC 4180), with spreadsheet formula injection defused.

/// The currency of every amount in the portal (deal amounts are entered in US dollars).
pub const CURRENCY: &str = "USD";

/// The UTF-8 byte-order mark, for spreadsheets that otherwise guess another encoding.
pub const BOM: char = '\u{feff}';

/// An amount in cents as a plain decimal number (`48000.00`): no symbol, no grouping, so
/// a spreadsheet reads it as a number.
pub fn decimal_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// One CSV field: quoted when needed; a leading `=`, `+`, `-`, `@`, tab or carriage return
/// is prefixed with `'` so a spreadsheet never runs a customer-supplied name as a formula
/// (OWASP's list for CSV injection).
pub fn field(value: &str) -> String {
    let safe = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// An instant as exports and the audit trail write it: RFC 3339 in UTC; empty for none.
pub fn instant(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// A line of fields that are text, except `numbers`, the positions holding numbers we
/// formatted ourselves (never defused: `-5` stays a number).
pub fn line_with_numbers<S: AsRef<str>>(fields: &[S], numbers: &[usize]) -> String {
    let mut out = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text = f.as_ref();
            let numeric = numbers.contains(&i)
                && !text.is_empty()
                && text
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.');
            if numeric {
                text.to_string()
            } else {
                field(text)
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

/// A CSV line ending in CRLF.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("Acme"), "Acme");
        assert_eq!(field("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-5"), "'-5");
        assert_eq!(line(&["a", "b,c"]), "a,\"b,c\"\r\n");
        assert_eq!(field("\tcmd"), "'\tcmd");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
    }

    #[test]
    fn amounts_are_plain_numbers() {
        assert_eq!(decimal_amount(4_800_000), "48000.00");
        assert_eq!(decimal_amount(5), "0.05");
        assert_eq!(decimal_amount(-150), "-1.50");
        assert_eq!(
            line_with_numbers(&["-1.50", "-x"], &[0, 1]),
            "-1.50,'-x\r\n"
        );
    }
}
