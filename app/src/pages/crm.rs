//! `/crm`: the vendor admins' CRM page: connect HubSpot and/or Salesforce, install or check
//! the portal's fields, run the first full sync and follow it, choose field directions, work
//! failed records.
use crate::api::crm::section_id;
use crate::api::crm::{
    load_crm_page, ConnectHubspot, ConnectionView, CrmOverview, DeadLetterRow, DisconnectHubspot,
    FieldRow, InstallHubspotProperties, RemoveHubspotWebhookSecret, ResolveCrmFailure,
    SaveHubspotWebhookSecret, SetCrmFieldDirection, StartHubspotBackfill, TestHubspot, WebhookView,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{form_action, form_error, FormError, TextField};
use crate::components::load::loaded;
use crate::components::status::{Pill, Tone};
use crate::components::time::LocalTime;
use crate::domain::crm::{ConnectionState, CrmKind};
use leptos::prelude::*;
use leptos_meta::Title;

mod history;
mod hubspot_oauth;
mod inbound;
mod salesforce;
mod stages;

pub use history::{SyncHistoryPage, SyncHistorySearchPage};
pub use hubspot_oauth::HubspotConsentPage;
pub use inbound::InboundOriginalPage;

#[component]
pub fn CrmPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| load_crm_page());
    view! {
        <Title text="CRM sync"/>
        <section class="page" aria-labelledby="crm-title">
            <h1 id="crm-title">"CRM sync"</h1>
            <p class="lead">"Your CRM is the shared record: partner organisations, their people with the training they finished, and deal registrations are written there, so sales sees who is certified next to the deals they own."</p>
            <Confirmation/>
            <EnhancedForm>
                {loaded(page, |page| view! { <CrmSections page/> })}
            </EnhancedForm>
        </section>
    }
}

/// What the last action did, from the address the server sent the admin back to.
#[component]
fn Confirmation() -> impl IntoView {
    // What each action's redirect says, in the order they are checked.
    const DONE: &[(&str, &str)] = &[
        (
            "connected",
            "HubSpot is connected. Next: install the portal's properties.",
        ),
        ("tested", "Connection tested; the result is below."),
        (
            "installed",
            "The portal's properties are installed in HubSpot. Next: run the first full sync.",
        ),
        (
            "queued",
            "record(s) queued for the first full sync. Progress is shown below.",
        ),
        ("mapped", "Field direction saved."),
        (
            "stages",
            "HubSpot's pipelines are read. Map their open stages below.",
        ),
        ("staged", "Stage saved."),
        ("webhooks", "Webhook settings saved."),
        ("retried", "The record will be sent again."),
        (
            "released",
            "The held reply is on its deal and on its way to the CRM.",
        ),
        ("skipped", "The record was set aside."),
        (
            "disconnected",
            "HubSpot is disconnected and its token erased.",
        ),
        (
            "sf_connected",
            "Salesforce is connected. Next: check the portal's fields.",
        ),
        (
            "sf_tested",
            "Salesforce connection tested; the result is below.",
        ),
        ("sf_checked", "Fields checked; the result is below."),
        (
            "sf_target",
            "Saved. Check the fields again before the next sync.",
        ),
        (
            "sf_queued",
            "record(s) queued for the first full sync to Salesforce. Progress is shown below.",
        ),
        (
            "sf_disconnected",
            "Salesforce is disconnected; its secret and session are erased.",
        ),
    ];
    let query = leptos_router::hooks::use_query_map()
        .read_untracked()
        .clone();
    let text = DONE.iter().find_map(|(key, text)| {
        let value = query.get(key)?;
        match *key {
            // Only a count is shown from the address, never its text.
            "queued" | "sf_queued" => value
                .parse::<u64>()
                .ok()
                .map(|queued| format!("{queued} {text}")),
            _ => Some(text.to_string()),
        }
    });
    text.map(|text| view! { <p class="success" role="status">{text}</p> })
}

#[component]
fn CrmSections(page: CrmOverview) -> impl IntoView {
    let redirect_uri = page.hubspot_redirect_uri;
    let connected = page.hubspot.is_some() || page.salesforce.is_some();
    let hubspot = match page.hubspot {
        None => view! {
            <ConnectForm api_base=page.hubspot_api_base reconnect=false pipeline="default".into() stage="appointmentscheduled".into()/>
            <hubspot_oauth::OAuthForm redirect_uri reconnect=false client_id=String::new() pipeline="default".into() stage="appointmentscheduled".into()/>
        }.into_any(),
        Some(connection) => view! { <Connected connection api_base=page.hubspot_api_base redirect_uri/> }.into_any(),
    };
    view! {
        {hubspot}
        <salesforce::SalesforceSection connection=page.salesforce/>
        {connected.then(|| view! { <history::FindRecordForm/> })}
        <inbound::InboundMailSection/>
    }
}

#[component]
fn ConnectForm(
    api_base: String,
    reconnect: bool,
    pipeline: String,
    stage: String,
) -> impl IntoView {
    let action = ServerAction::<ConnectHubspot>::new();
    let error = form_error(action, "connect");
    let title = if reconnect {
        "Replace the HubSpot token"
    } else {
        "Connect HubSpot"
    };
    view! {
        <form class="card settings-form" method="post" action={form_action::<ConnectHubspot>("connect")} novalidate=true aria-labelledby="connect-title">
            <h2 id="connect-title">{title}</h2>
            <FormError error form="connect" fields=&["token", "pipeline", "stage"]/>
            <p class="hint">{format!("In HubSpot, create a service key (or a private app) with CRM read and write scopes for contacts, companies and deals, and schema write scopes. The portal reaches HubSpot at {api_base}.")}</p>
            <TextField form="connect" label="Service key or private-app token" name="token" kind="password" autocomplete="off" error
                hint="It is tried before saving, then stored encrypted and never shown again."/>
            <fieldset>
                <legend>"New deal registrations go to"</legend>
                <TextField form="connect" label="Pipeline id" name="pipeline" value=pipeline error/>
                <TextField form="connect" label="First stage id" name="stage" value=stage error
                    hint="In HubSpot's default pipeline a deal starts in the stage matching the portal's; this stage is for another pipeline."/>
            </fieldset>
            <button type="submit" class="button primary">{if reconnect { "Save new token" } else { "Connect HubSpot" }}</button>
        </form>
    }
}

fn state_pill(connection: &ConnectionView) -> impl IntoView {
    let (tone, text) = match (connection.state, connection.paused_until) {
        (ConnectionState::NeedsReauth, _) => (
            Tone::Negative,
            match connection.crm {
                CrmKind::Hubspot => "Needs a new token".to_string(),
                CrmKind::Salesforce => "Needs new credentials".to_string(),
            },
        ),
        (ConnectionState::Disconnected, _) => (Tone::Neutral, "Disconnected".to_string()),
        (ConnectionState::Connected, Some(_)) => (
            Tone::Waiting,
            format!("Slowed down by {}", connection.crm.label()),
        ),
        (ConnectionState::Connected, None) => (Tone::Positive, "Connected".to_string()),
    };
    view! { <Pill tone text/> }
}

/// A section's heading: HubSpot's came first and keep their plain names; Salesforce's name
/// their CRM, so the page's landmarks stay distinct.
fn heading(crm: CrmKind, name: &str) -> String {
    match crm {
        CrmKind::Hubspot => name.to_string(),
        CrmKind::Salesforce => format!("{name} (Salesforce)"),
    }
}

/// How far the queue got: a progress bar and the counts by state.
#[component]
fn Progress(connection: ConnectionView) -> impl IntoView {
    let total = connection.waiting + connection.synced + connection.failed + connection.skipped;
    let title = section_id(connection.crm, "progress-title");
    let labelled_by = title.clone();
    let bar = section_id(connection.crm, "sync-progress");
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title>{heading(connection.crm, "Progress")}</h2>
            {if total == 0 {
                view! { <EmptyState title="Nothing sent yet" next="Changes to partners, training and registrations are queued here as they happen. Run the full sync to send what exists."/> }.into_any()
            } else {
                let done = connection.synced + connection.skipped;
                view! {
                    <label for=bar.clone()>{format!("{done} of {total} record(s) synced")}</label>
                    <progress id=bar max=total.to_string() value=done.to_string()></progress>
                    <dl class="facts totals">
                        <div><dt>"Waiting"</dt><dd>{connection.waiting}</dd></div>
                        <div><dt>"Synced"</dt><dd>{connection.synced}</dd></div>
                        <div><dt>"Failed"</dt><dd>{connection.failed}</dd></div>
                        <div><dt>"Set aside"</dt><dd>{connection.skipped}</dd></div>
                    </dl>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Connected(connection: ConnectionView, api_base: String, redirect_uri: String) -> impl IntoView {
    let test = ServerAction::<TestHubspot>::new();
    let install = ServerAction::<InstallHubspotProperties>::new();
    let backfill = ServerAction::<StartHubspotBackfill>::new();
    let test_error = form_error(test, "test");
    let install_error = form_error(install, "install");
    let backfill_error = form_error(backfill, "backfill");
    let needs_token = connection.state == ConnectionState::NeedsReauth;
    view! {
        <div class="card">
            <h2>"HubSpot " {state_pill(&connection)}</h2>
            <dl class="facts connection-facts">
                {if connection.oauth {
                    view! { <div><dt>"Authorised with"</dt><dd>{format!("HubSpot app {} (OAuth; access renewed automatically)", connection.client_id)}</dd></div> }.into_any()
                } else {
                    view! { <div><dt>"Token"</dt><dd>{connection.token_hint.clone()}</dd></div> }.into_any()
                }}
                <div><dt>"API"</dt><dd>{connection.api_base.clone()}</dd></div>
                <div><dt>"New deals go to"</dt><dd>{format!("pipeline {}, stage {}", connection.pipeline, connection.stage)}</dd></div>
                <div><dt>"Last success"</dt><dd>{match connection.last_success_at {
                    Some(at) => view! { <LocalTime ms=at/> }.into_any(),
                    None => view! { "Never" }.into_any(),
                }}</dd></div>
                {connection.paused_until.map(|at| view! { <div><dt>"Sending again from"</dt><dd><LocalTime ms=at/></dd></div> })}
                {connection.last_error.clone().map(|error| view! { <div><dt>"Last problem"</dt><dd>{error}</dd></div> })}
            </dl>
            <form method="post" action={form_action::<TestHubspot>("test")}>
                <FormError error=test_error form="test" fields=&[]/>
                <button type="submit" class="button">"Test connection"</button>
            </form>
        </div>
        {(needs_token && !connection.oauth).then(|| view! { <ConnectForm api_base=api_base.clone() reconnect=true pipeline=connection.pipeline.clone() stage=connection.stage.clone()/> })}
        {(needs_token && connection.oauth).then(|| view! {
            <hubspot_oauth::OAuthForm redirect_uri=redirect_uri.clone() reconnect=true client_id=connection.client_id.clone() pipeline=connection.pipeline.clone() stage=connection.stage.clone()/>
        })}
        <section class="card" aria-labelledby="setup-title">
            <h2 id="setup-title">"Set up"</h2>
            <ol class="steps">
                <li>
                    <p>{match connection.installed_at {
                        Some(_) => "The portal's properties are installed (a property group \"Partner portal\" on contacts, companies and deals).",
                        None => "Install the portal's properties: a property group \"Partner portal\" on contacts, companies and deals.",
                    }}</p>
                    <form method="post" action={form_action::<InstallHubspotProperties>("install")}>
                        <FormError error=install_error form="install" fields=&[]/>
                        <button type="submit" class="button">{if connection.installed_at.is_some() { "Check the properties again" } else { "Install properties" }}</button>
                    </form>
                </li>
                <li>
                    <p>"Run the first full sync: every partner organisation, person and registration. Safe to run again."</p>
                    <form method="post" action={form_action::<StartHubspotBackfill>("backfill")}>
                        <FormError error=backfill_error form="backfill" fields=&[]/>
                        <button type="submit" class="button">"Run full sync"</button>
                    </form>
                </li>
            </ol>
        </section>
        <Progress connection=connection.clone()/>
        <Failures rows=connection.dead_letters.clone() crm=CrmKind::Hubspot/>
        <Fields rows=connection.fields.clone() crm=CrmKind::Hubspot/>
        {connection.installed_at.is_some().then(|| view! { <stages::DealStages stages=connection.stages.clone()/> })}
        <Webhooks view=connection.webhooks.clone()/>
        // Two steps, so one stray tap does not stop the sync.
        <details class="card">
            <summary><h2>"Disconnect"</h2></summary>
            <form method="post" action={form_action::<DisconnectHubspot>("disconnect")}>
                <p class="hint">"Stops sending and erases the token. What HubSpot already holds stays there."</p>
                <button type="submit" class="button danger">"Disconnect HubSpot"</button>
            </form>
        </details>
    }
}

#[component]
fn Failures(rows: Vec<DeadLetterRow>, crm: CrmKind) -> impl IntoView {
    let id = section_id(crm, "failures");
    view! {
        <section class="card" id=id.clone() aria-labelledby=format!("{id}-title")>
            <h2 id=format!("{id}-title")>{heading(crm, "Failed records")}</h2>
            {if rows.is_empty() {
                view! { <p class="hint">{format!("None. A record {} refuses is shown here with its reason.", crm.label())}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {rows.into_iter().map(|row| view! { <FailureItem row crm/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn FailureItem(row: DeadLetterRow, crm: CrmKind) -> impl IntoView {
    let resolve = ServerAction::<ResolveCrmFailure>::new();
    let form = format!("failure-{}", row.id);
    let error = form_error(resolve, &form);
    view! {
        <li>
            <p><strong>{format!("{} #{}", row.kind.label(), row.entity_id)}</strong> " · " {row.reason.clone()} " · " <LocalTime ms=row.at/></p>
            <p>{row.error.clone()}</p>
            <p class="hint">{format!("{} attempt(s)", row.attempts)}{row.crm_request_id.clone().map(|id| format!(" · HubSpot correlation id {id}"))}
                " · " <a href=format!("/crm/history/{}/{}", row.kind.as_str(), row.entity_id)>"Sync history"</a></p>
            <form method="post" action={form_action::<ResolveCrmFailure>(&form)} class="inline-actions">
                <FormError error form=form.clone() fields=&[]/>
                <input type="hidden" name="id" value=row.id.to_string()/>
                <input type="hidden" name="crm" value=crm.serde_name()/>
                <button type="submit" name="retry" value="true" class="button">"Retry"</button>
                <button type="submit" name="retry" value="false" class="button">"Skip"</button>
            </form>
        </li>
    }
}

#[component]
fn Fields(rows: Vec<FieldRow>, crm: CrmKind) -> impl IntoView {
    let count = rows.len();
    let column = match crm {
        CrmKind::Hubspot => "HubSpot property",
        CrmKind::Salesforce => "Salesforce field",
    };
    view! {
        <details class="card" id=section_id(crm, "fields")>
            <summary><h2>{heading(crm, &format!("Field directions ({count})"))}</h2></summary>
            <p class="hint">"Which way each field flows. Keys always sync; the portal's own rules (registration status, protection, training) are written by the portal only."</p>
            <table class="cards">
                <thead><tr><th scope="col">"Record"</th><th scope="col">"Field"</th><th scope="col">{column}</th><th scope="col">"Direction"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <FieldItem row crm column/> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

#[component]
fn FieldItem(row: FieldRow, crm: CrmKind, column: &'static str) -> impl IntoView {
    let set = ServerAction::<SetCrmFieldDirection>::new();
    let form = format!(
        "{}-{}-{}",
        section_id(crm, "field"),
        row.kind.as_str(),
        row.property
    );
    let error = form_error(set, &form);
    let select_id = format!("{form}-direction");
    view! {
        <tr>
            <td data-label="Record">{row.kind.label()}</td>
            <td data-label="Field">{row.label.clone()}</td>
            <td data-label=column><code>{row.crm_field.clone()}</code></td>
            <td data-label="Direction">{if row.choices.len() <= 1 {
                view! { <span>{row.direction.label()}</span> }.into_any()
            } else {
                view! {
                    <form method="post" action={form_action::<SetCrmFieldDirection>(&form)} class="inline-actions">
                        <FormError error form=form.clone() fields=&["direction"]/>
                        <input type="hidden" name="kind" value=row.kind.serde_name()/>
                        <input type="hidden" name="property" value=row.property.clone()/>
                        <input type="hidden" name="crm" value=crm.serde_name()/>
                        <label class="sr-only" for=select_id.clone()>{format!("Direction of {}", row.label)}</label>
                        <select id=select_id name="direction">
                            {row.choices.iter().map(|choice| view! {
                                <option value=choice.serde_name() selected=*choice == row.direction>{choice.label()}</option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class="button">"Save"</button>
                    </form>
                }.into_any()
            }}</td>
        </tr>
    }
}

/// HubSpot webhooks: the push path for deal changes (the minute-by-minute poll stays on as
/// the safety net).
#[component]
fn Webhooks(view: WebhookView) -> impl IntoView {
    let save = ServerAction::<SaveHubspotWebhookSecret>::new();
    let remove = ServerAction::<RemoveHubspotWebhookSecret>::new();
    let save_error = form_error(save, "webhook");
    let remove_error = form_error(remove, "webhook-off");
    let on = view.secret_hint.is_some();
    view! {
        <section class="card" id="webhooks" aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks " {if on {
                view! { <Pill tone=Tone::Positive text="On"/> }.into_any()
            } else {
                view! { <Pill tone=Tone::Neutral text="Off"/> }.into_any()
            }}</h2>
            <p class="hint">"Optional. With webhooks, a deal's stage, amount or close date changed in HubSpot reaches the portal within seconds instead of within a minute. Needs a HubSpot app (service keys cannot send webhooks)."</p>
            <ol class="steps">
                <li>
                    <p>"In the HubSpot app's Webhooks settings, set the target URL to:"</p>
                    <p><code class="copyable">{view.target_url.clone()}</code></p>
                </li>
                <li><p>"Subscribe to deal property changes of " <code>"dealstage"</code> ", " <code>"pipeline"</code> ", " <code>"amount"</code> ", " <code>"closedate"</code> " and " <code>"hubspot_owner_id"</code> "."</p></li>
                <li>
                    <p>"Copy the app's client secret from its Auth settings and save it here."</p>
                    <form class="settings-form" method="post" action={form_action::<SaveHubspotWebhookSecret>("webhook")} novalidate=true>
                        <FormError error=save_error form="webhook" fields=&["secret"]/>
                        <TextField form="webhook" label="The app's client secret" name="secret" kind="password" autocomplete="off" error=save_error
                            hint="It signs each delivery, which the portal checks; stored encrypted and never shown again."/>
                        <button type="submit" class="button">{if on { "Replace the secret" } else { "Turn on webhooks" }}</button>
                    </form>
                </li>
            </ol>
            <dl class="facts connection-facts">
                {view.secret_hint.clone().map(|hint| view! { <div><dt>"Client secret"</dt><dd>{hint}</dd></div> })}
                <div><dt>"Deliveries (last day)"</dt><dd>{view.deliveries}</dd></div>
                <div><dt>"Last delivery"</dt><dd>{match view.last_delivery_at {
                    Some(at) => view! { <LocalTime ms=at/> }.into_any(),
                    None => view! { "Never" }.into_any(),
                }}</dd></div>
                <div><dt>"Events (30 days)"</dt><dd>{format!("{} ({} waiting)", view.events, view.waiting)}</dd></div>
                {view.last_refusal.clone().map(|refusal| view! {
                    <div><dt>"Last refused delivery"</dt><dd>{refusal} {view.last_refusal_at.map(|at| view! { " · " <LocalTime ms=at/> })}</dd></div>
                })}
            </dl>
            {on.then(|| view! {
                <form method="post" action={form_action::<RemoveHubspotWebhookSecret>("webhook-off")}>
                    <FormError error=remove_error form="webhook-off" fields=&[]/>
                    <button type="submit" class="button">"Turn off webhooks"</button>
                </form>
            })}
        </section>
    }
}
