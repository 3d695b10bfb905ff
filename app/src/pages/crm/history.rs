//! `/crm/history/:kind/:id`: one record's CRM sync history (vendor admins), linked from its
//! failed-record entry: where it is in each CRM, its queue row, every attempt.
use crate::api::crm_history::{find_sync_records, load_sync_history, RecordMatch, SyncHistory};
use crate::components::empty::EmptyState;
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    use leptos_router::hooks::use_params_map;
    let params = use_params_map().read_untracked().clone();
    let kind = params.get("kind").unwrap_or_default();
    let id = params.get("id").and_then(|id| id.parse::<i64>().ok());
    let history = Resource::new(
        move || (kind.clone(), id),
        |(kind, id)| async move {
            match id {
                Some(id) => load_sync_history(kind, id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Sync history"/>
        <section class="page" aria-labelledby="history-title">
            <h1 id="history-title">"Sync history"</h1>
            <p><a href="/crm">"Back to the CRM page"</a></p>
            {loaded(history, |history| view! { <HistoryView history/> })}
        </section>
    }
}

#[component]
fn HistoryView(history: SyncHistory) -> impl IntoView {
    let places = history.places.into_iter().map(|place| {
        let state = place
            .queue_state
            .map_or("Never queued".to_string(), |state| state.label().to_string());
        view! {
            <div class="card">
                <h2>{place.crm.label()}</h2>
                <dl class="facts">
                    <div><dt>"Record there"</dt><dd>{place.crm_id.clone().unwrap_or_else(|| "Not written yet".into())}</dd></div>
                    <div><dt>"Last written"</dt><dd>{match place.last_sent_at {
                        Some(at) => view! { <LocalTime ms=at/> }.into_any(),
                        None => view! { "Never" }.into_any(),
                    }}</dd></div>
                    <div><dt>"Queue"</dt><dd>{format!("{state} ({} attempt(s))", place.attempts)}</dd></div>
                    {place.last_error.clone().map(|error| view! { <div><dt>"Last problem"</dt><dd>{error}</dd></div> })}
                </dl>
            </div>
        }
    }).collect_view();
    let entries = if history.entries.is_empty() {
        view! { <EmptyState title="No attempts yet" next="Each attempt to write this record to a CRM is listed here with what the CRM answered."/> }.into_any()
    } else {
        view! {
            <table class="attempts cards">
                <thead><tr><th scope="col">"When"</th><th scope="col">"CRM"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th></tr></thead>
                <tbody>
                    {history.entries.into_iter().map(|entry| view! {
                        <tr>
                            <td data-label="When"><LocalTime ms=entry.at/></td>
                            <td data-label="CRM">{entry.crm.label()}</td>
                            <td data-label="Outcome">{entry.outcome}</td>
                            <td data-label="Detail">{entry.detail}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <p class="lead">{format!("{} #{}: ", history.kind.label(), history.entity_id)}<strong>{history.record}</strong></p>
        {places}
        <section class="card" aria-labelledby="attempts-title">
            <h2 id="attempts-title">"Attempts, newest first"</h2>
            {entries}
        </section>
    }
}

/// The CRM page's way into any record's history: a plain GET search (it writes nothing).
#[component]
pub fn FindRecordForm(
    #[prop(optional, into)] value: String,
    #[prop(optional)] problem: Option<String>,
) -> impl IntoView {
    let described = problem.is_some().then_some("history-q-error");
    view! {
        <form class="card settings-form" method="get" action="/crm/history" role="search" aria-labelledby="find-record-title">
            <h2 id="find-record-title">"Sync history of a record"</h2>
            <div class="field">
                <label for="history-q">"Person, organisation or customer"</label>
                <p class="hint">"A name, an email address or part of one."</p>
                <input id="history-q" name="q" type="search" value=value maxlength="100" autocomplete="off"
                    aria-invalid=problem.is_some().then_some("true") aria-describedby=described/>
                <p class="field-error" id="history-q-error" aria-live="polite">{problem}</p>
            </div>
            <button type="submit" class="button">"Find"</button>
        </form>
    }
}

/// `/crm/history?q=…`: the records matching a search, each linked to its history.
#[component]
pub fn SyncHistorySearchPage() -> impl IntoView {
    use leptos_router::hooks::use_query_map;
    let text = use_query_map().with_untracked(|q| q.get("q").unwrap_or_default());
    let search = text.clone();
    let found = Resource::new(move || search.clone(), find_sync_records);
    view! {
        <Title text="Find a record's sync history"/>
        <section class="page" aria-labelledby="search-title">
            <h1 id="search-title">"Find a record's sync history"</h1>
            <p><a href="/crm">"Back to the CRM page"</a></p>
            <Suspense fallback=|| view! { <p class="hint">"Searching…"</p> }>
                {move || {
                    let text = text.clone();
                    found.get().map(move |found| match found {
                        Ok(matches) => view! { <FindRecordForm value=text/> <Matches matches/> }.into_any(),
                        Err(error) => {
                            let problem = error.field_message("q").unwrap_or_else(|| error.to_string());
                            view! { <FindRecordForm value=text problem/> }.into_any()
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Matches(matches: Vec<RecordMatch>) -> impl IntoView {
    if matches.is_empty() {
        return view! { <EmptyState title="No record matches" next="Try part of a name or an email address. Only partner people, organisations and registrations are synced."/> }.into_any();
    }
    view! {
        <section class="card" aria-labelledby="matches-title">
            <h2 id="matches-title">{format!("{} record(s)", matches.len())}</h2>
            <ul class="plain-list">
                {matches.into_iter().map(|found| view! {
                    <li><a href=format!("/crm/history/{}/{}", found.kind.as_str(), found.entity_id)>{found.record}</a>
                        " · " <span class="hint">{found.kind.label()}</span></li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
