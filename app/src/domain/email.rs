//! The HTML half of every email, made from its plain text: paragraphs, line breaks and
//! links, with every character of the text escaped (names and titles in emails come from
//! users), and a footer line for notifications saying how to turn them off.
use super::html::escape_html_text;

/// The HTML alternative of a plain-text email body. Blank lines separate paragraphs; other
/// line breaks are kept; `http(s)://` addresses become links. `unsubscribe` is the one-click
/// address of a notification, shown as a footer link.
pub fn html_body(text: &str, unsubscribe: Option<&str>) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Partner Portal</title></head>\
         <body style=\"font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933;\">",
    );
    for paragraph in text.replace("\r\n", "\n").split("\n\n") {
        let paragraph = paragraph.trim_matches('\n');
        if paragraph.trim().is_empty() {
            continue;
        }
        html.push_str("<p>");
        for (index, line) in paragraph.split('\n').enumerate() {
            if index > 0 {
                html.push_str("<br>");
            }
            html.push_str(&linked_line(line));
        }
        html.push_str("</p>");
    }
    if let Some(address) = unsubscribe {
        let address = escape_html_text(address);
        html.push_str(&format!(
            "<p style=\"font-size: 0.85em; color: #52606d;\">You get this because of your notification choices. \
             <a href=\"{address}\">Stop these emails</a>.</p>"
        ));
    }
    html.push_str("</body></html>");
    html
}

/// One line, escaped, with web addresses as links.
fn linked_line(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = find_link(rest) {
        out.push_str(&escape_html_text(&rest[..start]));
        let link = &rest[start..];
        let end = link
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(link.len());
        // A sentence's closing punctuation is not part of the address.
        let address = link[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
        let escaped = escape_html_text(address);
        out.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>"));
        rest = &link[address.len()..];
    }
    out.push_str(&escape_html_text(rest));
    out
}

fn find_link(text: &str) -> Option<usize> {
    match (text.find("https://"), text.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_lines_and_links() {
        let html = html_body(
            "Hello Ada,\n\nOpen https://p.example/learn/4?x=1&y=2.\nThanks\n",
            None,
        );
        assert!(html.contains("<p>Hello Ada,</p>"));
        assert!(html.contains(
            "<p>Open <a href=\"https://p.example/learn/4?x=1&amp;y=2\">https://p.example/learn/4?x=1&amp;y=2</a>.<br>Thanks</p>"
        ));
        assert!(!html.contains("Stop these emails"));
    }

    #[test]
    fn user_text_is_escaped() {
        let html = html_body(
            "Deal: <script>alert(1)</script> & \"x\" https://a.example/\"onmouseover=1",
            None,
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(html.contains("<a href=\"https://a.example/\">"), "{html}");
    }

    #[test]
    fn notifications_carry_the_unsubscribe_link() {
        let html = html_body("Hi", Some("https://p.example/unsubscribe?t=a&e=b"));
        assert!(html.contains(
            "<a href=\"https://p.example/unsubscribe?t=a&amp;e=b\">Stop these emails</a>"
        ));
    }
}
