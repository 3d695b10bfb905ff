//! Announcements: partners read and acknowledge; vendor staff publish and follow receipts.
use crate::api::announcements::{
    load_announcement_reports, load_my_announcements, open_announcement, AcknowledgeAnnouncement,
    PublishAnnouncement,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    field_signal, form_action, last_error, ticked_before, FormError, TextField,
};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::model::{AnnouncementReport, AnnouncementView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AnnouncementsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_my_announcements());
    let acknowledge = ServerAction::<AcknowledgeAnnouncement>::new();
    view! {
        <Title text="Announcements"/>
        <section class="page" aria-labelledby="announcements-title">
            <h1 id="announcements-title">"Announcements"</h1>
            {loaded(list, move |items| view! { <AnnouncementList items acknowledge/> })}
        </section>
    }
}

#[component]
fn AnnouncementList(
    items: Vec<AnnouncementView>,
    acknowledge: ServerAction<AcknowledgeAnnouncement>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty">"No announcements for you yet. New ones from your partner manager appear here."</p> }.into_any();
    }
    view! {
        <ul class="card-list">
            {items.into_iter().map(|item| view! { <AnnouncementCard item acknowledge/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn AnnouncementCard(
    item: AnnouncementView,
    acknowledge: ServerAction<AcknowledgeAnnouncement>,
) -> impl IntoView {
    let announcement_id = item.announcement_id;
    let error = last_error(acknowledge.value());
    let status = match (item.requires_ack, item.acknowledged_at) {
        (true, None) => Some(
            view! { <span class="badge required">"Needs your acknowledgment"</span> }.into_any(),
        ),
        (true, Some(_)) => {
            Some(view! { <span class="badge done">"Acknowledged"</span> }.into_any())
        }
        (false, _) if item.opened_at.is_none() => {
            Some(view! { <span class="badge required">"New"</span> }.into_any())
        }
        (false, _) => None,
    };
    let waiting = item.requires_ack && item.acknowledged_at.is_none();
    view! {
        <li class="card announcement-card" id=format!("announcement-{announcement_id}") data-announcement-id=announcement_id.to_string()>
            <div class="path-head">
                <h2>{item.title}</h2>
                {status}
            </div>
            <p class="meta">"Published " <LocalTime ms=item.published_at/></p>
            <ReadReceipt announcement_id open=waiting opened=item.opened_at.is_some()>
                <div class="document" inner_html=item.body_html></div>
            </ReadReceipt>
            {item.acknowledged_at.map(|at| view! { <p class="meta">"You acknowledged this " <LocalTime ms=at/> "."</p> })}
            {waiting.then(|| view! {
                <EnhancedForm>
                    <ActionForm action=acknowledge attr:data-done="Acknowledged. Your partner manager can see it.">
                        <input type="hidden" name="announcement_id" value=announcement_id.to_string()/>
                        <FormError error fields=&[]/>
                        <button type="submit" class="button primary">"I have read and acknowledge this"</button>
                    </ActionForm>
                </EnhancedForm>
            })}
        </li>
    }
    .into_any()
}

/// The announcement's text, folded; the first time the partner opens it counts as read (a
/// receipt the partner manager sees). An island of the learner bundle: a few lines of
/// browser code, no view of its own beyond the `<details>`.
#[cfg_attr(any(feature = "ssr", feature = "forms"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "forms")), component)]
pub fn ReadReceipt(
    announcement_id: i64,
    open: bool,
    opened: bool,
    children: Children,
) -> impl IntoView {
    let recorded = StoredValue::new(opened);
    let on_toggle = move |_| {
        if !recorded.get_value() {
            recorded.set_value(true);
            leptos::task::spawn_local(async move {
                let _ = open_announcement(announcement_id).await;
            });
        }
    };
    view! {
        <details open=open on:toggle=on_toggle>
            <summary>"Read"</summary>
            {children()}
        </details>
    }
}

#[component]
pub fn AnnouncementsManagePage() -> impl IntoView {
    view! {
        <Title text="Announcements and receipts"/>
        <AnnouncementsManageBody/>
    }
}

#[component]
fn AnnouncementsManageBody() -> impl IntoView {
    let reports = Resource::new(|| (), |_| load_announcement_reports());
    let publish = ServerAction::<PublishAnnouncement>::new();
    view! {
        <section class="page" aria-labelledby="manage-announcements-title">
            <h1 id="manage-announcements-title">"Announcements and receipts"</h1>
            <EnhancedForm><PublishForm publish/></EnhancedForm>
            <h2>"Read receipts"</h2>
            {loaded(reports, |reports| view! { <ReportList reports/> })}
        </section>
    }
}

/// Publishing: a plain post (`form[title]`, ticked audiences as `form[tiers][]`, …).
#[component]
fn PublishForm(publish: ServerAction<PublishAnnouncement>) -> impl IntoView {
    let error = last_error(publish.value());
    let check = |list: &'static str, value: &'static str, label: &'static str| {
        let id = format!("audience-{value}");
        let name = format!("form[{list}][]");
        let ticked = ticked_before("announcement", &name, value).unwrap_or(false);
        view! {
            <span class="check">
                <input type="checkbox" id=id.clone() name=name value=value checked=ticked/>
                <label for=id>{label}</label>
            </span>
        }
    };
    view! {
        <form class="card publish-form" aria-labelledby="publish-title" method="post"
            action={form_action::<PublishAnnouncement>("announcement")} novalidate=true data-done="Published and delivered.">
            <h2 id="publish-title">"Publish an announcement"</h2>
            <FormError error form="announcement" fields=&["title", "body"]/>
            <TextField form="announcement" label="Title" name="title" within="form" error/>
            <TextField form="announcement" label="Text (Markdown)" name="body" within="form" rows=5 error/>
            <fieldset>
                <legend>"Partner types (none ticked: all)"</legend>
                {PartnerType::ALL.iter().map(|t| check("partner_types", t.as_str(), t.label())).collect_view()}
                <p class="field-error" id="announcement-partner_types-error" data-field="partner_types" aria-live="polite">{field_signal(error, "partner_types")}</p>
            </fieldset>
            <fieldset>
                <legend>"Tiers (none ticked: all)"</legend>
                {Tier::ALL.iter().map(|t| check("tiers", t.as_str(), t.label())).collect_view()}
                <p class="field-error" id="announcement-tiers-error" data-field="tiers" aria-live="polite">{field_signal(error, "tiers")}</p>
            </fieldset>
            <fieldset>
                <legend>"Job roles (none ticked: all)"</legend>
                {JobRole::ALL.iter().map(|r| check("job_roles", r.as_str(), r.label())).collect_view()}
                <p class="field-error" id="announcement-job_roles-error" data-field="job_roles" aria-live="polite">{field_signal(error, "job_roles")}</p>
            </fieldset>
            <div class="field check">
                <input type="checkbox" id="announcement-ack" name="form[requires_ack]" value="true"
                    checked=ticked_before("announcement", "form[requires_ack]", "true").unwrap_or(true)/>
                <label for="announcement-ack">"Partners must acknowledge it (policy changes)"</label>
            </div>
            <button type="submit" class="button primary">"Publish"</button>
        </form>
    }
    .into_any()
}

#[component]
fn ReportList(reports: Vec<AnnouncementReport>) -> impl IntoView {
    if reports.is_empty() {
        return view! { <EmptyState title="Nothing published yet." next="Publish an announcement above; delivery, opens and acknowledgments show here."/> }.into_any();
    }
    view! {
        <ul class="card-list">
            {reports.into_iter().map(|report| view! {
                <li class="card report-card" data-announcement-id=report.announcement_id.to_string()>
                    <div class="path-head">
                        <h3>{report.title}</h3>
                        {report.silence.then(|| view! { <span class="badge required">"Met with silence"</span> })}
                    </div>
                    <p class="meta">"Published " <LocalTime ms=report.published_at/></p>
                    <p class="receipts">
                        {format!("Delivered {} · opened {}", report.delivered, report.opened)}
                        {report.requires_ack.then(|| format!(" · acknowledged {} of {}", report.acknowledged, report.delivered))}
                    </p>
                    {(!report.waiting.is_empty()).then(|| view! {
                        <details>
                            <summary>{format!("Not acknowledged ({})", report.waiting.len())}</summary>
                            <ul class="waiting">
                                {report.waiting.into_iter().map(|p| view! {
                                    <li>{p.name} " — " {p.org_name}
                                        {if p.opened_at.is_some() { " (opened)" } else { " (not opened)" }}
                                        {p.reminded_at.map(|_| " · reminded")}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </details>
                    })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
