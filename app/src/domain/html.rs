//! Escaping text for HTML, for every place that builds HTML by hand (the document title,
//! textarea text, email bodies).

/// Escapes text for an HTML text position, including RCDATA (`<title>`, `<textarea>`),
/// where `&` and `<` are the only characters that can change meaning; `>` and quotes are
/// escaped as well so the same text is safe in attribute values too.
pub fn escape_html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_cannot_leave_the_sink() {
        let attack = "x </title><script>alert(1)</script> & 'q\"";
        let escaped = escape_html_text(attack);
        assert!(!escaped.contains('<') && !escaped.contains('>'));
        assert_eq!(
            escaped,
            "x &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;q&quot;"
        );
    }
}
