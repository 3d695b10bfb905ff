//! The Salesforce part of `/crm`: connect with an External Client App's client credentials,
//! see the session's health and the API calls used, check the portal's fields (with how to
//! create each missing one in Setup), run the first full sync and follow it.
use super::{state_pill, Failures, Fields, Progress};
use crate::api::crm::ConnectionView;
use crate::api::salesforce::{
    CheckSalesforceFields, ConnectSalesforce, ConnectSalesforceJwt, DisconnectSalesforce,
    SetSalesforceTarget, StartSalesforceBackfill, TestSalesforce,
};
use crate::components::form::{form_action, form_error, FormError, TextField};
use crate::components::time::LocalTime;
use crate::domain::crm::{ConnectionState, CrmKind};
use crate::domain::salesforce::{FieldProblem, RegistrationTarget};
use leptos::prelude::*;

#[component]
pub fn SalesforceSection(connection: Option<ConnectionView>) -> impl IntoView {
    match connection {
        None => view! {
            <ConnectForm reconnect=false domain=String::new() client_id=String::new()/>
            <JwtForm reconnect=false domain=String::new() client_id=String::new() username=String::new()/>
        }
        .into_any(),
        Some(connection) => view! { <Connected connection/> }.into_any(),
    }
}

#[component]
fn ConnectForm(reconnect: bool, domain: String, client_id: String) -> impl IntoView {
    let action = ServerAction::<ConnectSalesforce>::new();
    let error = form_error(action, "sf-connect");
    let title = if reconnect {
        "Replace the Salesforce credentials"
    } else {
        "Connect Salesforce"
    };
    view! {
        <form class="card settings-form" id="salesforce" method="post" action={form_action::<ConnectSalesforce>("sf-connect")} novalidate=true aria-labelledby="sf-connect-title">
            <h2 id="sf-connect-title">{title}</h2>
            <FormError error form="sf-connect" fields=&["domain", "client_id", "client_secret"]/>
            <ol class="steps">
                <li><p>"In Salesforce Setup, open External Client App Manager and create an app with OAuth on and the client credentials flow enabled."</p></li>
                <li><p>"Choose its run-as user: one whose permission set can read, create and edit Accounts, Contacts and Leads."</p></li>
                <li><p>"Copy the consumer key and secret from the app's OAuth settings into this form."</p></li>
            </ol>
            <TextField form="sf-connect" label="My Domain URL" name="domain" kind="url" autocomplete="url" value=domain error
                hint="Like https://acme.my.salesforce.com (Setup → My Domain)."/>
            <TextField form="sf-connect" label="Consumer key" name="client_id" value=client_id error/>
            <TextField form="sf-connect" label="Consumer secret" name="client_secret" kind="password" error
                hint="A session is started with it before saving; it is then stored encrypted and never shown again."/>
            <button type="submit" class="button primary">{if reconnect { "Save new credentials" } else { "Connect Salesforce" }}</button>
        </form>
    }
}

/// The JWT bearer flow: no shared secret; the portal signs with the key whose certificate is
/// uploaded to the app.
#[component]
fn JwtForm(reconnect: bool, domain: String, client_id: String, username: String) -> impl IntoView {
    let action = ServerAction::<ConnectSalesforceJwt>::new();
    let error = form_error(action, "sf-jwt");
    let title = if reconnect {
        "Connect Salesforce again with the certificate"
    } else {
        "Or connect Salesforce with a certificate (JWT bearer)"
    };
    view! {
        <form class="card settings-form" id="salesforce-jwt" method="post" action={form_action::<ConnectSalesforceJwt>("sf-jwt")} novalidate=true aria-labelledby="sf-jwt-title">
            <h2 id="sf-jwt-title">{title}</h2>
            <FormError error form="sf-jwt" fields=&["domain", "client_id", "username", "private_key"]/>
            <ol class="steps">
                <li><p>"Make a key and a certificate: " <code class="wrap">"openssl req -x509 -newkey rsa:2048 -nodes -keyout portal.key -out portal.crt -days 730 -subj /CN=partner-portal"</code></p></li>
                <li><p>"In the External Client App, enable JWT bearer, upload portal.crt, and pre-authorise the user the portal acts as (admin-approved users, with a permission set that reads and writes Accounts, Contacts and Leads)."</p></li>
                <li><p>"Paste the consumer key, that user's username and portal.key here. Nothing secret crosses the network: each session is requested with a signed assertion."</p></li>
            </ol>
            <TextField form="sf-jwt" label="My Domain URL" name="domain" kind="url" autocomplete="url" value=domain error
                hint="Like https://acme.my.salesforce.com (Setup → My Domain)."/>
            <TextField form="sf-jwt" label="Consumer key" name="client_id" value=client_id error/>
            <TextField form="sf-jwt" label="Username the portal acts as" name="username" kind="email" autocomplete="off" value=username error/>
            <TextField form="sf-jwt" label="Private key (PEM)" name="private_key" rows=6 code=true error
                hint="It is tried before saving, then stored encrypted and never shown again."/>
            <div class="field checkbox">
                <input type="checkbox" id="sf-jwt-sandbox" name="sandbox" value="on"/>
                <label for="sf-jwt-sandbox">"This is a sandbox (the assertion goes to test.salesforce.com)"</label>
            </div>
            <button type="submit" class="button primary">{if reconnect { "Save the new key" } else { "Connect with the certificate" }}</button>
        </form>
    }
}

#[component]
fn Connected(connection: ConnectionView) -> impl IntoView {
    let test = ServerAction::<TestSalesforce>::new();
    let test_error = form_error(test, "sf-test");
    let needs_credentials = connection.state == ConnectionState::NeedsReauth;
    let usage = connection.api_usage.map(|(used, limit)| {
        use crate::domain::channel::deals::thousands;
        let percent = if limit > 0 { used * 100 / limit } else { 0 };
        // Salesforce's allocation rolls over 24 hours; it is not a calendar day.
        format!(
            "{} of {} in the last 24 hours ({percent} %)",
            thousands(used),
            thousands(limit)
        )
    });
    view! {
        <div class="card" id="salesforce">
            <h2>"Salesforce " {state_pill(&connection)}</h2>
            <dl class="facts connection-facts">
                <div><dt>"My Domain"</dt><dd>{connection.api_base.clone()}</dd></div>
                <div><dt>"Consumer key"</dt><dd>{connection.client_id.clone()}</dd></div>
                {if connection.jwt {
                    view! { <div><dt>"Signs in as"</dt><dd>{format!("{} (JWT bearer)", connection.token_hint)}</dd></div> }.into_any()
                } else {
                    view! { <div><dt>"Secret"</dt><dd>{connection.token_hint.clone()}</dd></div> }.into_any()
                }}
                <div><dt>"API calls"</dt><dd>{usage.unwrap_or_else(|| "Not read yet".into())}</dd></div>
                <div><dt>"Last success"</dt><dd>{match connection.last_success_at {
                    Some(at) => view! { <LocalTime ms=at/> }.into_any(),
                    None => view! { "Never" }.into_any(),
                }}</dd></div>
                {connection.paused_until.map(|at| view! { <div><dt>"Sending again from"</dt><dd><LocalTime ms=at/></dd></div> })}
                {connection.last_error.clone().map(|error| view! { <div><dt>"Last problem"</dt><dd>{error}</dd></div> })}
            </dl>
            <form method="post" action={form_action::<TestSalesforce>("sf-test")}>
                <FormError error=test_error form="sf-test" fields=&[]/>
                <button type="submit" class="button">"Test Salesforce connection"</button>
            </form>
        </div>
        {(needs_credentials && !connection.jwt).then(|| view! {
            <ConnectForm reconnect=true domain=connection.api_base.clone() client_id=connection.client_id.clone()/>
        })}
        {(needs_credentials && connection.jwt).then(|| view! {
            <JwtForm reconnect=true domain=connection.api_base.clone() client_id=connection.client_id.clone() username=connection.token_hint.clone()/>
        })}
        <Setup connection=connection.clone()/>
        <Progress connection=connection.clone()/>
        <Failures rows=connection.dead_letters.clone() crm=CrmKind::Salesforce/>
        <Fields rows=connection.fields.clone() crm=CrmKind::Salesforce/>
        // Two steps, so one stray tap does not stop the sync.
        <details class="card">
            <summary><h2>"Disconnect Salesforce"</h2></summary>
            <form method="post" action={form_action::<DisconnectSalesforce>("sf-disconnect")}>
                <p class="hint">"Stops sending and erases the secret and the session. What Salesforce already holds stays there."</p>
                <button type="submit" class="button danger">"Disconnect Salesforce"</button>
            </form>
        </details>
    }
}

#[component]
fn Setup(connection: ConnectionView) -> impl IntoView {
    let check = ServerAction::<CheckSalesforceFields>::new();
    let backfill = ServerAction::<StartSalesforceBackfill>::new();
    let check_error = form_error(check, "sf-check");
    let backfill_error = form_error(backfill, "sf-backfill");
    let checked = connection.installed_at.is_some() || !connection.field_problems.is_empty();
    let problems = connection.field_problems.clone();
    let target = connection.registration_target;
    let registration_object =
        crate::domain::salesforce::object(crate::domain::crm::SyncKind::Registration, target);
    view! {
        <section class="card" id="salesforce-setup" aria-labelledby="sf-setup-title">
            <h2 id="sf-setup-title">"Set up Salesforce"</h2>
            <ol class="steps">
                <li><TargetChoice target/></li>
                <li>
                    <p>{match (connection.installed_at, problems.len()) {
                        (Some(_), 0) => "Every field the portal writes is in place.".to_string(),
                        (_, 0) if !checked => format!("Check the fields: the portal writes to custom fields on Account, Contact and {registration_object}, which you create once in Setup."),
                        (_, missing) => format!("{missing} field(s) to create or fix in Setup:"),
                    }}</p>
                    {(!problems.is_empty()).then(|| view! { <Problems problems=problems.clone()/> })}
                    <form method="post" action={form_action::<CheckSalesforceFields>("sf-check")}>
                        <FormError error=check_error form="sf-check" fields=&[]/>
                        <button type="submit" class="button">{if checked { "Check the fields again" } else { "Check fields" }}</button>
                    </form>
                </li>
                <li>
                    <p>{format!("Run the first full sync: every partner organisation (an Account), person (a Contact under it) and registration (a {registration_object}). Safe to run again.")}</p>
                    <form method="post" action={form_action::<StartSalesforceBackfill>("sf-backfill")}>
                        <FormError error=backfill_error form="sf-backfill" fields=&[]/>
                        <button type="submit" class="button">"Run full sync to Salesforce"</button>
                    </form>
                </li>
            </ol>
        </section>
    }
}

/// What registrations become: Leads that sales converts, or Opportunities from the start.
#[component]
fn TargetChoice(target: RegistrationTarget) -> impl IntoView {
    let set = ServerAction::<SetSalesforceTarget>::new();
    let error = form_error(set, "sf-target");
    view! {
        <form method="post" action={form_action::<SetSalesforceTarget>("sf-target")} class="settings-form">
            <FormError error form="sf-target" fields=&["target"]/>
            <div class="field">
                <label for="sf-target-target">"Registrations become"</label>
                <select id="sf-target-target" name="target" aria-describedby="sf-target-hint">
                    {RegistrationTarget::ALL.into_iter().map(|choice| view! {
                        <option value=choice.as_str() selected=choice == target>{choice.label()}</option>
                    }).collect_view()}
                </select>
                <p class="hint" id="sf-target-hint">"Changing it means checking the fields again; records already written stay where they are."</p>
            </div>
            <button type="submit" class="button">"Save"</button>
        </form>
    }
}

/// What the field check found: per object, the fields to create (a table on a laptop, cards
/// on a phone), then what to change on fields that exist.
#[component]
fn Problems(problems: Vec<FieldProblem>) -> impl IntoView {
    let mut objects: Vec<String> = problems.iter().map(|p| p.object.clone()).collect();
    objects.dedup();
    let changes: Vec<FieldProblem> = problems
        .iter()
        .filter(|p| p.fix.is_some())
        .cloned()
        .collect();
    view! {
        {objects.into_iter().map(|object| {
            let missing: Vec<FieldProblem> = problems
                .iter()
                .filter(|p| p.object == object && p.fix.is_none())
                .cloned()
                .collect();
            let heading = format!("sf-missing-{}", object.to_lowercase());
            let labelled_by = heading.clone();
            (!missing.is_empty()).then(|| view! {
                <section class="field-problems-group" aria-labelledby=labelled_by>
                <h3 id=heading>{object.clone()}</h3>
                <p class="hint">{format!("Setup → Object Manager → {object} → Fields & Relationships → New, once for each:")}</p>
                <table class="cards field-problems">
                    <thead><tr><th scope="col">"Field label"</th><th scope="col">"Field name"</th><th scope="col">"Type"</th><th scope="col">"Also"</th></tr></thead>
                    <tbody>
                        {missing.into_iter().map(|problem| view! {
                            <tr>
                                <td data-label="Field label">{problem.label.clone()}</td>
                                <td data-label="Field name"><code>{problem.setup_name().to_string()}</code></td>
                                <td data-label="Type">{problem.setup_type.clone()}</td>
                                <td data-label="Also">{if problem.key { "Tick External ID and Unique" } else { "—" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </section>
            })
        }).collect_view()}
        {(!changes.is_empty()).then(|| view! {
            <h3 class="field-problems-group">"To change"</h3>
            <ul class="plain-list">
                {changes.into_iter().map(|problem| view! {
                    <li>
                        {(!problem.field.is_empty()).then(|| view! { <code>{format!("{}.{}", problem.object, problem.field)}</code> ": " })}
                        {problem.fix.clone().unwrap_or_default()}
                    </li>
                }).collect_view()}
            </ul>
        })}
        <p class="hint">"Then give the integration user's permission set edit access to the new fields, and check again."</p>
    }
}
