//! Markdown documents, rendered on the server and sanitized, so an author's mistake (or a
//! hostile import) cannot put script into a learner's page.

/// Renders Markdown (tables, strikethrough, task lists) to HTML with only safe tags and
/// attributes left; links get `rel="noopener noreferrer"`.
pub fn render_markdown(markdown: &str) -> String {
    render(markdown, false)
}

/// Renders a document shown under the page's own `h1`: its headings move down one level
/// (`#` becomes `h2`), so the page keeps one top heading for screen readers.
pub fn render_markdown_nested(markdown: &str) -> String {
    render(markdown, true)
}

fn render(markdown: &str, nested: bool) -> String {
    use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let lower = |level: HeadingLevel| match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    };
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) if nested => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) if nested => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{render_markdown, render_markdown_nested};

    #[test]
    fn nested_documents_start_below_the_page_heading() {
        let html = render_markdown_nested("# Rules\n\n## Appeals\n\n###### Small\n\ntext");
        assert!(html.contains("<h2>Rules</h2>"), "{html}");
        assert!(html.contains("<h3>Appeals</h3>"));
        assert!(html.contains("<h6>Small</h6>"));
        assert!(!html.contains("<h1>"));
    }

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
