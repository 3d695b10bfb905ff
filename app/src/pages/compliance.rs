//! Required training, for vendor staff: how each required path's audience stands, and who
//! is past the due date, longest overdue first.
use crate::api::learning::load_training_compliance;
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::model::{ComplianceReport, PathCompliance};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TrainingStatusPage() -> impl IntoView {
    let report = Resource::new(|| (), |_| load_training_compliance());
    view! {
        <Title text="Required training"/>
        <section class="page" aria-labelledby="compliance-title">
            <h1 id="compliance-title">"Required training"</h1>
            {loaded(report, |report| view! { <Report report/> })}
        </section>
    }
}

#[component]
fn Report(report: ComplianceReport) -> impl IntoView {
    let lead = format!(
        "Partners have {} days from assignment (Program rules); overdue people get one reminder with a link straight into the path.",
        report.due_days
    );
    if report.paths.is_empty() {
        return view! { <p class="empty">"No published path is required."</p> }.into_any();
    }
    view! {
        <p class="lead">{lead}</p>
        <ul class="card-list">
            {report.paths.into_iter().map(|path| view! { <PathCard path/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn PathCard(path: PathCompliance) -> impl IntoView {
    let overdue = path.overdue.len();
    let summary = format!(
        "{} of {} done · {} recertifying · {} not due yet · {overdue} overdue",
        path.done, path.assigned, path.recertifying, path.pending
    );
    view! {
        <li class="card compliance-card" data-path-id=path.path_id.to_string()>
            <div class="path-head">
                <h2>{path.title}</h2>
                {(overdue > 0).then(|| view! { <span class="badge required">{format!("{overdue} overdue")}</span> })}
            </div>
            <p class="receipts">{summary}</p>
            {(overdue > 0).then(|| view! {
                <details>
                    <summary>"Who is overdue"</summary>
                    <ul class="waiting">
                        {path.overdue.into_iter().map(|person| view! {
                            <li>{person.name} " — " {person.org_name} " · due " <LocalTime ms=person.due_at/></li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </li>
    }
}
