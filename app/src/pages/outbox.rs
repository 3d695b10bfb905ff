use crate::api::dev::dev_outbox;
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::model::OutboxEmail;
use leptos::prelude::*;
use leptos_meta::Title;

/// Splits text into plain runs and links, so emailed links can be clicked.
fn linkify(text: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            parts.push((" ".to_string(), false));
        }
        for (line_index, piece) in word.split('\n').enumerate() {
            if line_index > 0 {
                parts.push(("\n".to_string(), false));
            }
            let is_link = piece.starts_with("http://") || piece.starts_with("https://");
            parts.push((piece.to_string(), is_link));
        }
    }
    parts
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| dev_outbox());
    view! {
        <Title text="Dev outbox"/>
        <section class="page" aria-labelledby="outbox-title">
            <h1 id="outbox-title">"Dev outbox"</h1>
            <p class="hint">"Emails the portal sent, newest first. This page exists only in development mode."</p>
            {loaded(emails, |emails| view! { <EmailList emails/> })}
        </section>
    }
}

#[component]
fn EmailList(emails: Vec<OutboxEmail>) -> impl IntoView {
    if emails.is_empty() {
        return view! { <p class="empty">"No emails yet."</p> }.into_any();
    }
    view! {
        <ul class="card-list outbox">
            {emails.into_iter().map(|email| view! {
                <li class="card email" data-to=email.to_address.clone()>
                    <p class="email-meta">
                        "To " <strong>{email.to_address.clone()}</strong> " · " <LocalTime ms=email.created_at/>
                        " · " {if email.sent_at.is_some() { "delivered".to_string() } else { format!("queued ({} attempts)", email.attempts) }}
                    </p>
                    <h2>{email.subject.clone()}</h2>
                    {email.reply_to.clone().map(|address| view! {
                        <p class="email-meta">"Replies go to " <code class="reply-to">{address}</code>
                            {email.message_id.clone().map(|id| view! { " · Message-ID " <code class="message-id">{id}</code> })}</p>
                    })}
                    <pre class="email-body">
                        {linkify(&email.body_text).into_iter().map(|(text, is_link)| if is_link {
                            view! { <a href=text.clone()>{text.clone()}</a> }.into_any()
                        } else {
                            text.into_any()
                        }).collect_view()}
                    </pre>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn links_are_found_between_words_and_lines() {
        let parts = linkify("Open\nhttps://x.example/a?t=1 now");
        let links: Vec<_> = parts
            .iter()
            .filter(|(_, link)| *link)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(links, ["https://x.example/a?t=1"]);
        let joined: String = parts.into_iter().map(|(t, _)| t).collect();
        assert_eq!(joined, "Open\nhttps://x.example/a?t=1 now");
    }
}
