//! Markdown documents, rendered on the server and sanitized, so an author's mistake (or a
//! hostile import) cannot put script into a learner's page.

/// Renders Markdown (tables, strikethrough, task lists) to HTML with only safe tags and
/// attributes left; links get `rel="noopener noreferrer"`.
pub fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn renders_common_markdown() {
        let html = render_markdown(
            "# Escalation\n\n| Tier | SLA |\n|---|---|\n| P1 | 1 h |\n\n- **bold** item",
        );
        assert!(html.contains("<h1>Escalation</h1>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("<td>P1</td>"));
        assert!(html.contains("<strong>bold</strong>"));
    }

    #[test]
    fn strips_script_handlers_and_dangerous_links() {
        let html = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) <a href=\"https://ok.example\" onclick=\"x()\">ok</a>",
        );
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("onclick"));
        assert!(html.contains("href=\"https://ok.example\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
    }
}
