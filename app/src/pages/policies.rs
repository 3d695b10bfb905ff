//! Policy documents: the list, one document at any version with its change history and what
//! changed, and the staff editor that publishes the next version.
use crate::api::documents::{load_policies, load_policy, PublishPolicyVersion};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{form_action, last_error, ticked_before, FormError, TextField};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::domain::documents::{DiffRow, DocumentKind, LineChange};
use crate::model::{PolicyPage, PolicySummary, PolicyVersionSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_policies());
    view! {
        <Title text="Policies"/>
        <section class="page" aria-labelledby="policies-title">
            <h1 id="policies-title">"Program policies"</h1>
            <p class="lead">"The rules the program runs by. Every version is kept, with what changed and when."</p>
            {loaded(list, |items| view! { <PolicyList items/> })}
        </section>
    }
}

#[component]
fn PolicyList(items: Vec<PolicySummary>) -> impl IntoView {
    view! {
        <ul class="card-list">
            {items.into_iter().map(|item| view! {
                <li class="card policy-card">
                    <div class="path-head">
                        <h2><a href=format!("/policies/{}", item.kind.as_str())>{item.kind.label()}</a></h2>
                        {item.current_version.map(|v| view! { <span class="badge">{format!("Version {v}")}</span> })}
                    </div>
                    <p>{item.kind.purpose()}</p>
                    {match item.published_at {
                        Some(at) => view! {
                            <p class="meta">"Updated " <LocalTime ms=at/> ": " {item.change_summary}</p>
                        }.into_any(),
                        None => view! { <p class="meta">"Not published yet."</p> }.into_any(),
                    }}
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn PolicyDocumentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let kind = params.read_untracked().get("kind").unwrap_or_default();
    let version = query
        .read_untracked()
        .get("version")
        .and_then(|v| v.parse::<i64>().ok());
    view! {
        <Title text="Policy"/>
        <PolicyDocumentBody kind version/>
    }
}

#[component]
fn PolicyDocumentBody(kind: String, version: Option<i64>) -> impl IntoView {
    let publish = ServerAction::<PublishPolicyVersion>::new();
    let page = Resource::new(
        move || (kind.clone(), version),
        |(kind, version)| load_policy(kind, version),
    );
    view! {
        <section class="page policy-page" aria-labelledby="policy-title">
            <EnhancedForm>
                {loaded(page, move |page| view! { <PolicyView page publish/> })}
            </EnhancedForm>
        </section>
    }
}

#[component]
fn PolicyView(page: PolicyPage, publish: ServerAction<PublishPolicyVersion>) -> impl IntoView {
    let kind = page.kind;
    let is_current = page
        .shown
        .as_ref()
        .is_some_and(|s| s.version == page.current_version);
    let heading = view! {
        <h1 id="policy-title">{kind.label()}</h1>
        <p class="lead">{kind.purpose()}</p>
    };
    let shown = match page.shown.clone() {
        Some(shown) => view! {
            <p class="meta">
                {format!("Version {} of {}", shown.version, page.current_version)}
                {(!is_current).then(|| view! {
                    " · " <a href=format!("/policies/{}", kind.as_str())>"See the current version"</a>
                })}
                " · published " <LocalTime ms=shown.published_at/> " by " {shown.published_by.clone()}
            </p>
            <p class="notice">"What changed: " {shown.change_summary.clone()}</p>
            <Changes rows=page.changes.clone() version=shown.version/>
            <article class="document card" inner_html=page.shown_html.clone()></article>
        }
        .into_any(),
        None => view! { <p class="empty">"This document has not been published yet."</p> }.into_any(),
    };
    view! {
        {heading}
        {shown}
        <History kind history=page.history.clone() shown=page.shown.as_ref().map(|s| s.version)/>
        // Edits start from the current version only, so nobody rewrites an old one by mistake.
        {page.editable_markdown.clone().filter(|_| is_current || page.shown.is_none()).map(|text| view! {
            <Editor kind based_on=page.current_version text publish/>
        })}
    }
    .into_any()
}

#[component]
fn Changes(rows: Vec<DiffRow>, version: i64) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <details class="changes" open>
            <summary>{format!("Changes from version {}", version - 1)}</summary>
            <ol class="diff" aria-label="Changed lines">
                {rows.into_iter().map(|row| match row {
                    DiffRow::Line { change, text } => {
                        let (class, mark, said) = match change {
                            LineChange::Same => ("same", " ", ""),
                            LineChange::Added => ("added", "+", "Added: "),
                            LineChange::Removed => ("removed", "−", "Removed: "),
                        };
                        view! {
                            <li class=class>
                                <span class="mark" aria-hidden="true">{mark}</span>
                                <span class="sr-only">{said}</span>
                                {text}
                            </li>
                        }.into_any()
                    }
                    DiffRow::Skipped { lines } => view! {
                        <li class="skipped">{format!("… {lines} unchanged line{}", if lines == 1 { "" } else { "s" })}</li>
                    }.into_any(),
                }).collect_view()}
            </ol>
        </details>
    }
    .into_any()
}

#[component]
fn History(
    kind: DocumentKind,
    history: Vec<PolicyVersionSummary>,
    shown: Option<i64>,
) -> impl IntoView {
    if history.is_empty() {
        return ().into_any();
    }
    view! {
        <h2>"Change history"</h2>
        <ol class="card-list history" reversed>
            {history.into_iter().map(|entry| {
                let here = shown == Some(entry.version);
                view! {
                    <li class="card" aria-current=here.then_some("true")>
                        <div class="path-head">
                            <h3>
                                <a href=format!("/policies/{}?version={}", kind.as_str(), entry.version)>
                                    {format!("Version {}", entry.version)}
                                </a>
                            </h3>
                            {entry.announced.then(|| view! { <span class="badge">"Acknowledgment asked"</span> })}
                        </div>
                        <p class="meta"><LocalTime ms=entry.published_at/> " · " {entry.published_by}</p>
                        <p>{entry.change_summary}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// Publishing the next version: a plain post (`form[body]`, …); the server sends the editor
/// back to the document with the new version's number to confirm.
#[component]
fn Editor(
    kind: DocumentKind,
    based_on: i64,
    text: String,
    publish: ServerAction<PublishPolicyVersion>,
) -> impl IntoView {
    let error = last_error(publish.value());
    let published = use_query_map()
        .read_untracked()
        .get("published")
        .and_then(|v| v.parse::<i64>().ok());
    view! {
        <form class="card publish-form" aria-labelledby="edit-policy-title" method="post"
            action={form_action::<PublishPolicyVersion>("policy")} novalidate=true>
            <h2 id="edit-policy-title">{format!("Publish version {}", based_on + 1)}</h2>
            <FormError error form="policy" fields=&["body", "change_summary"]/>
            {published.map(|v| view! { <p class="success" role="status">{format!("Version {v} published.")}</p> })}
            <input type="hidden" name="form[kind]" value=kind.as_str()/>
            <input type="hidden" name="form[based_on_version]" value=based_on.to_string()/>
            <TextField form="policy" label="Text (Markdown)" name="body" within="form" rows=14 value=text error/>
            <TextField form="policy" label="What changed, and why" name="change_summary" within="form" error/>
            <div class="field check">
                <input type="checkbox" id="policy-announce" name="form[announce]" value="true"
                    checked=ticked_before("policy", "form[announce]", "true").unwrap_or(true)/>
                <label for="policy-announce">"Announce it to every partner and ask them to acknowledge it"</label>
            </div>
            <button type="submit" class="button primary">"Publish"</button>
        </form>
    }
}
