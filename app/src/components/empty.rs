//! Empty states: what an empty list means and what to do next, never a bare "none".
use leptos::prelude::*;

/// An empty list's place: a short title, what will appear here or what to do next, and
/// optionally a link that does it.
#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    next: &'static str,
    #[prop(optional)] action: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <svg class="icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
                <path d="M4 13l2.5-7h11L20 13v5H4zM4 13h5l1 2h4l1-2h5" fill="none" stroke="currentColor"
                    stroke-width="1.6" stroke-linejoin="round"/>
            </svg>
            <p class="empty-title"><strong>{title}</strong></p>
            <p class="empty">{next}</p>
            {action.map(|(label, href)| view! { <p><a class="button" href=href>{label}</a></p> })}
        </div>
    }
}
