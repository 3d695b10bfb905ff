//! Text for the places where Leptos's server renderer writes text without escaping it:
//! the document `<title>` (leptos_meta pushes the formatted title into the head as is) and
//! the children of `<textarea>`, `<script>`, `<style>` and `<noscript>` (tachys renders
//! those elements' children raw). Every title and textarea text goes through here, so user
//! text in those sinks is escaped by construction; `tests::raw_text_sinks_use_this_module`
//! keeps it that way.
//!
//! On the server the text becomes HTML-escaped; in the browser it stays as it is, because
//! there it is set through the DOM (`document.title`, a text node), which never parses it.

/// The whole page title as the browser should show it: "<page> · Partner Portal".
pub fn page_title(text: String) -> String {
    for_raw_sink(format!("{text} · Partner Portal"))
}

/// The initial text of a `<textarea>`: `<textarea>{textarea_text(value)}</textarea>`.
pub fn textarea_text(text: impl Into<String>) -> String {
    for_raw_sink(text.into())
}

#[cfg(feature = "ssr")]
fn for_raw_sink(text: String) -> String {
    escape_html_text(&text)
}

#[cfg(not(feature = "ssr"))]
fn for_raw_sink(text: String) -> String {
    text
}

pub use crate::domain::html::escape_html_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn server_titles_and_textareas_are_escaped() {
        assert_eq!(page_title("A<b>".into()), "A&lt;b&gt; · Partner Portal");
        assert_eq!(
            textarea_text("</textarea><img src=x onerror=alert(1)>"),
            "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
    }

    /// Scans the app's views: no `<Title>` may bring its own formatter (the root's escapes),
    /// and every `<textarea>` with text children must take them from `textarea_text`.
    /// `<style>` and `<noscript>` may hold only fixed text, `<script>` only the asset loader.
    #[test]
    fn raw_text_sinks_use_this_module() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut files = vec![std::path::PathBuf::from(root)];
        let mut problems = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("raw_text.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            if source.contains("formatter=") && !source.contains("formatter=page_title") {
                problems.push(format!("{name}: a <Title> formatter other than page_title"));
            }
            for (tag, allowed) in [
                ("textarea", Some("{textarea_text(")),
                // The loader names the hashed asset files: server-made, no user text.
                ("script", Some("{loader}")),
                ("style", None),
                ("noscript", None),
            ] {
                let open = format!("<{tag}");
                let close = format!("</{tag}>");
                let mut rest = source.as_str();
                while let Some(start) = rest.find(&open) {
                    let after = &rest[start..];
                    let Some(end) = after.find(&close) else { break };
                    let element = &after[..end];
                    // Children begin after the opening tag's `>`.
                    let children = element.find('>').map_or("", |gt| &element[gt + 1..]);
                    let dynamic = children.contains('{');
                    let ok = !dynamic
                        || allowed.is_some_and(|prefix| children.trim().starts_with(prefix));
                    if !ok && !children.trim_start().starts_with('<') {
                        problems.push(format!("{name}: <{tag}> with unescaped text: {element}"));
                    }
                    rest = &after[end..];
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
