//! CRM sync to Salesforce, on SQLite and PostgreSQL, against a local fake org that follows
//! the documented contract (`common/fake_salesforce.rs`): an admin connects with an External
//! Client App's client credentials (a session is minted before anything is saved; the
//! secret and sessions are sealed at rest), the field check lists what to create in Setup,
//! and the first full sync writes Accounts, Contacts under them and Leads, keyed on External
//! IDs; an expired session is re-minted once however many workers meet it; a spent
//! allocation holds the queue; refusals are shown and can be retried; refused credentials
//! stop the queue.
mod common;

use app::api::certifications::RevokeCertificate;
use app::api::crm::{
    ConnectionView, CrmOverview, LoadCrmPage, ResolveCrmFailure, SetCrmFieldDirection,
};
use app::api::salesforce::{
    CheckSalesforceFields, ConnectSalesforce, DisconnectSalesforce, StartSalesforceBackfill,
    TestSalesforce,
};
use app::domain::crm::ConnectionState;
use common::crm::{count, sync};
use common::fake_salesforce::FakeSalesforce;
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const TOMAS: &str = "tomas@northwind.example";
const CLIENT_ID: &str = "3MVG9fakeConsumerKey.portal";
const CLIENT_SECRET: &str = "F7A1C0FFEE5ECRET2026";

async fn start(backend: Backend) -> (TestServer, FakeSalesforce, String) {
    let fake = FakeSalesforce::new(CLIENT_ID, CLIENT_SECRET);
    let base = fake.start().await;
    let server = TestServer::start_with(backend, &["--crm-sync-interval-secs", "86400"]).await;
    (server, fake, base)
}

async fn page(client: &reqwest::Client, server: &TestServer) -> CrmOverview {
    let (status, page) = invoke::<CrmOverview>(client, server, LoadCrmPage::PATH, &[]).await;
    assert_eq!(status, 200);
    page.unwrap()
}

async fn salesforce(client: &reqwest::Client, server: &TestServer) -> ConnectionView {
    page(client, server)
        .await
        .salesforce
        .expect("Salesforce is connected")
}

fn connect_form<'a>(domain: &'a str, id: &'a str, secret: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("domain", domain),
        ("client_id", id),
        ("client_secret", secret),
    ]
}

/// What an admin does in Setup for each field the check names: creates it with the type the
/// instructions give (External ID and Unique where they say so).
fn follow_instructions(fake: &FakeSalesforce, view: &ConnectionView) {
    for problem in &view.field_problems {
        let kind = match problem.setup_type.as_str() {
            "Date/Time" => "datetime",
            "Date" => "date",
            "Number (18, 2)" => "double",
            "Text Area (Long)" => "textarea",
            _ => "string",
        };
        fake.create_field(&problem.object, &problem.field, kind, problem.key);
    }
}

/// Connects, creates the fields the check names, checks again and runs the first full sync
/// (queued, not sent); returns the admin's client.
async fn connected(server: &TestServer, fake: &FakeSalesforce, base: &str) -> reqwest::Client {
    let admin = sign_in(server, ADMIN).await;
    let form = connect_form(base, CLIENT_ID, CLIENT_SECRET);
    assert_eq!(
        call(&admin, server, ConnectSalesforce::PATH, &form)
            .await
            .status(),
        200
    );
    assert_eq!(
        call(&admin, server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    follow_instructions(fake, &salesforce(&admin, server).await);
    assert_eq!(
        call(&admin, server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, server).await;
    assert!(view.field_problems.is_empty(), "{:?}", view.field_problems);
    assert_eq!(
        call(&admin, server, StartSalesforceBackfill::PATH, &[])
            .await
            .status(),
        200
    );
    admin
}

async fn an_admin_connects_salesforce_creates_the_fields_it_names_and_the_program_reaches_it(
    backend: Backend,
) {
    let (server, fake, base) = start(backend).await;
    let form = connect_form(&base, CLIENT_ID, CLIENT_SECRET);

    // Only vendor admins may connect.
    let manager = sign_in(&server, MANAGER).await;
    assert_eq!(
        call(&manager, &server, ConnectSalesforce::PATH, &form)
            .await
            .status(),
        403
    );

    // Bad input is a field error and saves nothing: credentials Salesforce refuses, a
    // domain that is not Salesforce's (the secret must never be sent there), blanks.
    let admin = sign_in(&server, ADMIN).await;
    for (form, field, says) in [
        (
            connect_form(&base, CLIENT_ID, "wrong-secret"),
            "client_secret",
            "invalid_client",
        ),
        (
            connect_form("https://salesforce.evil.example", CLIENT_ID, CLIENT_SECRET),
            "domain",
            "My Domain",
        ),
        (
            connect_form("http://127.0.0.1:9", CLIENT_ID, CLIENT_SECRET),
            "domain",
            "did not start a session",
        ),
        (
            connect_form(&base, "", CLIENT_SECRET),
            "client_id",
            "consumer key",
        ),
        (
            connect_form(&base, CLIENT_ID, "with spaces in it"),
            "client_secret",
            "spaces",
        ),
    ] {
        let (status, refused) = invoke::<()>(&admin, &server, ConnectSalesforce::PATH, &form).await;
        assert_eq!(status, 422, "{form:?}");
        let message = refused
            .unwrap_err()
            .field_message(field)
            .map(|m| m.to_string());
        assert!(
            message.as_deref().is_some_and(|m| m.contains(says)),
            "{form:?}: {message:?}"
        );
    }
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        0
    );
    assert_eq!(fake.mints(), 0);

    // Connected: a session was minted; the secret and the session are sealed at rest and
    // only the secret's last characters are shown.
    assert_eq!(
        call(&admin, &server, ConnectSalesforce::PATH, &form)
            .await
            .status(),
        200
    );
    assert_eq!(fake.mints(), 1);
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.state, ConnectionState::Connected);
    assert_eq!(view.client_id, CLIENT_ID);
    assert_eq!(view.token_hint, "…2026");
    assert!(page(&admin, &server).await.hubspot.is_none());
    let (secret, session): (String, String) = sqlx::query_as(
        "SELECT secret_sealed, session_sealed FROM crm_connections WHERE kind = 'salesforce'",
    )
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    assert!(!secret.contains(CLIENT_SECRET) && !session.contains("00Dfake"));
    let body = call(&admin, &server, LoadCrmPage::PATH, &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!body.contains(CLIENT_SECRET) && !body.contains("00Dfake"));

    // Test connection reads the org's limits and shows the API calls used.
    assert_eq!(
        call(&admin, &server, TestSalesforce::PATH, &[])
            .await
            .status(),
        200
    );
    let (used, limit) = salesforce(&admin, &server).await.api_usage.expect("usage");
    assert_eq!((used, limit), (1, 15_000));

    // The full sync waits for the field check; the check names every custom field the
    // portal writes, with how to create it.
    let (status, _) = invoke::<()>(&admin, &server, StartSalesforceBackfill::PATH, &[]).await;
    assert_eq!(status, 409);
    assert_eq!(
        call(&admin, &server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.installed_at, None);
    let named: Vec<String> = view
        .field_problems
        .iter()
        .map(|p| format!("{}.{}", p.object, p.field))
        .collect();
    assert!(
        named.contains(&"Contact.Portal_User_Id__c".to_string()),
        "{named:?}"
    );
    assert!(
        named.contains(&"Lead.Portal_Protection_Expires__c".to_string()),
        "{named:?}"
    );
    assert_eq!(named.len(), 20, "{named:?}");
    let key = view
        .field_problems
        .iter()
        .find(|p| p.field == "Portal_Org_Id__c")
        .unwrap();
    assert!(key.key && key.fix.is_none(), "{key:?}");

    // A key created without External ID is named again, with what to change.
    follow_instructions(&fake, &view);
    fake.create_field("Account", "Portal_Org_Id__c", "string", false);
    assert_eq!(
        call(&admin, &server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.field_problems.len(), 1);
    let fix = view.field_problems[0].fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("tick External ID"),
        "{:?}",
        view.field_problems
    );
    fake.create_field("Account", "Portal_Org_Id__c", "string", true);
    assert_eq!(
        call(&admin, &server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    assert!(view.field_problems.is_empty());
    assert!(view.installed_at.is_some());

    // The first full sync: every partner organisation becomes an Account, each partner
    // person a Contact under their organisation's Account, each registration a Lead.
    assert_eq!(
        call(&admin, &server, StartSalesforceBackfill::PATH, &[])
            .await
            .status(),
        200
    );
    let orgs = count(&server, "SELECT COUNT(*) FROM partner_orgs").await;
    let people = count(
        &server,
        "SELECT COUNT(*) FROM users WHERE role = 'partner_user'",
    )
    .await;
    let registrations = count(
        &server,
        "SELECT COUNT(*) FROM deals WHERE partner_org_id IS NOT NULL AND registration_status <> 'not_registered'",
    )
    .await;
    let run = sync(&server, 10).await;
    assert_eq!(run.refused, 0, "{run:?}");
    assert_eq!(run.written as i64, orgs + people + registrations, "{run:?}");
    assert_eq!(fake.records("Account").len() as i64, orgs);
    assert_eq!(fake.records("Contact").len() as i64, people);
    assert_eq!(fake.records("Lead").len() as i64, registrations);
    // Batches of up to 200: far fewer requests than records.
    assert!(run.requests < 10, "{run:?}");
    let (tomas_id, northwind_id): (i64, i64) =
        sqlx::query_as("SELECT id, partner_org_id FROM users WHERE email = $1")
            .bind(TOMAS)
            .fetch_one(&server.server.state.db.read)
            .await
            .unwrap();
    let tomas = fake
        .record("Contact", "Portal_User_Id__c", &tomas_id.to_string())
        .expect("Tomas's contact");
    assert_eq!(tomas.fields["Email"], json!(TOMAS));
    let northwind = fake
        .record("Account", "Portal_Org_Id__c", &northwind_id.to_string())
        .expect("Northwind's account");
    assert_eq!(tomas.fields["AccountId"], json!(northwind.id));
    let held = tomas.fields["Portal_Certifications__c"].clone();
    assert_ne!(
        held,
        Value::Null,
        "Tomas holds a certificate in the demo program"
    );
    let expiry = tomas.fields["Portal_Next_Cert_Expiry__c"].as_str().unwrap();
    assert!(
        chrono::NaiveDate::parse_from_str(expiry, "%Y-%m-%d").is_ok(),
        "{expiry}"
    );
    let lead = &fake.records("Lead")[0];
    assert_eq!(lead.fields["LeadSource"], json!("Partner"));
    assert!(lead.fields["Company"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    // Every data call says it is the portal's (echo suppression on Salesforce's side).
    {
        let inner = fake.inner.lock().unwrap();
        assert!(inner
            .requests
            .iter()
            .all(|(_, _, options)| options.as_deref() == Some("client=prm-portal")));
    }
    let view = salesforce(&admin, &server).await;
    assert_eq!((view.waiting, view.failed), (0, 0));
    assert_eq!(view.synced, orgs + people + registrations);
    // Nothing changed, nothing sent.
    assert_eq!(sync(&server, 2).await.requests, 0);

    // A certificate revoked in the portal reaches the contact on the next run.
    let (certificate,): (i64,) = sqlx::query_as(
        "SELECT c.id FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.email = $1 AND c.revoked_at IS NULL",
    )
    .bind(TOMAS)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let certificate = certificate.to_string();
    let revoke = [
        ("certificate_id", certificate.as_str()),
        ("reason", "Left Northwind."),
    ];
    assert_eq!(
        call(&admin, &server, RevokeCertificate::PATH, &revoke)
            .await
            .status(),
        200
    );
    let run = sync(&server, 5).await;
    assert!(run.written >= 2, "{run:?}");
    let tomas = fake
        .record("Contact", "Portal_User_Id__c", &tomas_id.to_string())
        .unwrap();
    assert_ne!(tomas.fields["Portal_Certifications__c"], held);
    assert_eq!(
        fake.records("Contact").len() as i64,
        people,
        "updated, not duplicated"
    );

    // A field switched off is no longer written.
    let off = [
        ("kind", "Contact"),
        ("property", "prm_partner_role"),
        ("direction", "Off"),
        ("crm", "Salesforce"),
    ];
    assert_eq!(
        call(&admin, &server, SetCrmFieldDirection::PATH, &off)
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    let role = view
        .fields
        .iter()
        .find(|f| f.property == "prm_partner_role")
        .unwrap();
    assert_eq!(role.crm_field, "Portal_Partner_Role__c");
    assert_eq!(role.direction, app::domain::crm::Direction::Off);
    assert!(
        view.fields.iter().all(|f| f.property != "pipeline"),
        "HubSpot-only fields are not listed"
    );

    // Disconnected: the secret and the session are erased.
    assert_eq!(
        call(&admin, &server, DisconnectSalesforce::PATH, &[])
            .await
            .status(),
        200
    );
    assert!(page(&admin, &server).await.salesforce.is_none());
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_connections WHERE secret_sealed = '' AND session_sealed IS NULL"
        )
        .await,
        1
    );
    server.stop().await;
}

async fn an_expired_session_is_minted_once_for_concurrent_workers_and_faults_hold_or_stop_the_queue(
    backend: Backend,
) {
    let (server, fake, base) = start(backend).await;
    let state = &server.server.state;
    let admin = connected(&server, &fake, &base).await;
    let mints = fake.mints();

    // The session ends in Salesforce. Two workers meet the 401 at once: one mints, the
    // other waits for its session; both then send, and each record is written once.
    fake.expire_sessions();
    fake.inner.lock().unwrap().mint_delay = Duration::from_millis(300);
    let http = app::server::crm::hubspot::http_client();
    let (first, second) = tokio::join!(
        app::server::crm::sync::run(state, &http),
        app::server::crm::sync::run(state, &http)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(fake.mints(), mints + 1, "one mint for two workers");
    // A contact whose Account the other worker was still sending waited a moment.
    state.clock.advance(5_000);
    let rest = sync(&server, 10).await;
    let written = first.written + second.written + rest.written;
    let queued = count(&server, "SELECT COUNT(*) FROM crm_outbox").await;
    assert_eq!(written as i64, queued, "{first:?} {second:?} {rest:?}");
    let people = count(
        &server,
        "SELECT COUNT(*) FROM users WHERE role = 'partner_user'",
    )
    .await;
    assert_eq!(fake.records("Contact").len() as i64, people);
    fake.inner.lock().unwrap().mint_delay = Duration::ZERO;

    // A validation rule refuses the Leads: each is a failed record with Salesforce's code;
    // after the rule is fixed, Retry sends it.
    fake.inner.lock().unwrap().validation_rule =
        Some(("Lead".into(), "Partner leads need a region.".into()));
    sqlx::query("UPDATE crm_outbox SET state = 'pending', version = version + 1, next_attempt_at = 0 WHERE kind = 'registration'")
        .execute(&state.db.write)
        .await
        .unwrap();
    let run = sync(&server, 3).await;
    assert!(run.refused > 0 && run.written == 0, "{run:?}");
    let view = salesforce(&admin, &server).await;
    let failure = view.dead_letters.first().expect("a failed record").clone();
    assert!(
        failure.error.contains("FIELD_CUSTOM_VALIDATION_EXCEPTION"),
        "{}",
        failure.error
    );
    assert_eq!(
        failure.error,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION: Partner leads need a region."
    );
    fake.inner.lock().unwrap().validation_rule = None;
    let id = failure.id.to_string();
    let retry = [
        ("id", id.as_str()),
        ("retry", "true"),
        ("crm", "Salesforce"),
    ];
    assert_eq!(
        call(&admin, &server, ResolveCrmFailure::PATH, &retry)
            .await
            .status(),
        200
    );
    assert_eq!(sync(&server, 3).await.written, 1);
    // The HubSpot form of the same action finds no HubSpot connection.
    let (status, _) = invoke::<()>(
        &admin,
        &server,
        ResolveCrmFailure::PATH,
        &[("id", &id), ("retry", "true")],
    )
    .await;
    assert_eq!(status, 409);

    // The allocation is spent (403 REQUEST_LIMIT_EXCEEDED, no Retry-After): the whole
    // queue waits an hour, no record counts an attempt.
    {
        let mut inner = fake.inner.lock().unwrap();
        inner.limit = inner.used;
    }
    sqlx::query("UPDATE crm_outbox SET state = 'pending', attempts = 0, version = version + 1, next_attempt_at = 0 WHERE kind = 'company'")
        .execute(&state.db.write)
        .await
        .unwrap();
    let run = sync(&server, 3).await;
    assert_eq!(
        (run.requests, run.slowed, run.written),
        (1, 1, 0),
        "{run:?}"
    );
    let view = salesforce(&admin, &server).await;
    let paused = view.paused_until.expect("paused");
    assert!(paused >= state.clock.now_ms() + 59 * 60_000);
    assert!(view.last_error.unwrap().contains("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_outbox WHERE attempts > 0 AND kind = 'company'"
        )
        .await,
        0
    );
    assert_eq!(sync(&server, 2).await.requests, 0, "still paused");

    // Near the ceiling (80 % of the allocation), the queue waits too, after this batch.
    {
        let mut inner = fake.inner.lock().unwrap();
        inner.limit = inner.used + 3;
        inner.used = inner.limit * 4 / 5;
    }
    state.clock.advance(61 * 60_000);
    let run = sync(&server, 3).await;
    assert_eq!((run.requests, run.slowed), (1, 0), "{run:?}");
    assert!(run.written > 0);
    assert!(salesforce(&admin, &server).await.paused_until.is_some());
    fake.inner.lock().unwrap().limit = 15_000;
    state.clock.advance(61 * 60_000);
    sync(&server, 3).await;

    // The app's secret is rotated in Salesforce and the session ends: the connection needs
    // re-authorisation, says why, and its queue waits untouched.
    fake.inner.lock().unwrap().client_secret = "rotated-secret".into();
    fake.expire_sessions();
    sqlx::query("UPDATE crm_outbox SET state = 'pending', attempts = 0, version = version + 1, next_attempt_at = 0 WHERE kind = 'contact'")
        .execute(&state.db.write)
        .await
        .unwrap();
    let waiting = count(
        &server,
        "SELECT COUNT(*) FROM crm_outbox WHERE state = 'pending'",
    )
    .await;
    sync(&server, 3).await;
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.state, ConnectionState::NeedsReauth);
    assert!(
        view.last_error
            .as_deref()
            .unwrap()
            .contains("invalid_client"),
        "{:?}",
        view.last_error
    );
    assert_eq!(view.waiting, waiting);
    assert_eq!(sync(&server, 2).await.requests, 0, "stopped");
    let told = count(
        &server,
        "SELECT COUNT(*) FROM email_outbox WHERE subject = 'Salesforce sync stopped: connect Salesforce again'",
    )
    .await;
    let admins = count(
        &server,
        "SELECT COUNT(*) FROM users WHERE role = 'vendor_admin' AND disabled_at IS NULL",
    )
    .await;
    assert_eq!((told > 0, told), (true, admins), "each admin told once");

    // Connecting again with the new secret resumes the queue (same connection, same links).
    let form = connect_form(&base, CLIENT_ID, "rotated-secret");
    assert_eq!(
        call(&admin, &server, ConnectSalesforce::PATH, &form)
            .await
            .status(),
        200
    );
    let run = sync(&server, 5).await;
    assert_eq!(run.written as i64, waiting, "{run:?}");
    assert_eq!(
        fake.records("Contact").len() as i64,
        people,
        "no duplicates after reconnecting"
    );
    server.stop().await;
}

async fn sales_works_a_converted_lead_and_its_opportunity_comes_back_to_the_registration(
    backend: Backend,
) {
    let (server, fake, base) = start(backend).await;
    let state = &server.server.state;
    let admin = connected(&server, &fake, &base).await;
    sync(&server, 10).await;
    let http = app::server::crm::hubspot::http_client();
    let (deal,): (i64,) = sqlx::query_as(
        "SELECT id FROM deals WHERE partner_org_id IS NOT NULL AND registration_status = 'approved' \
         AND stage NOT IN ('won', 'lost') ORDER BY id LIMIT 1",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    let deal_row = |server: &TestServer| {
        let db = server.server.state.db.read.clone();
        async move {
            let row: (String, i64, Option<i64>) =
                sqlx::query_as("SELECT stage, amount_cents, close_at FROM deals WHERE id = $1")
                    .bind(deal)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            row
        }
    };
    let before = deal_row(&server).await;

    // The partner answers an email about the deal: a completed email Task on its Lead.
    partner_replies(&server, deal, "Booked the demo for Tuesday.").await;
    common::crm::sync_until_sent(&server, "reply").await;
    let lead = fake
        .record("Lead", "Portal_Registration_Id__c", &deal.to_string())
        .expect("the deal's Lead");
    let tasks = fake.records("Task");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0].fields;
    assert_eq!(task["WhoId"], lead.id.as_str());
    assert!(task.get("WhatId").is_none());
    assert_eq!(task["Status"], "Completed");
    assert_eq!(task["TaskSubtype"], "Email");
    assert!(task["Description"]
        .as_str()
        .unwrap()
        .ends_with("Booked the demo for Tuesday."));

    // The same partner asks about a module by answering an email about it: a Task on her
    // Contact alone, named for the module.
    let (email, path, title): (String, i64, String) = sqlx::query_as(
        "SELECT u.email, (SELECT id FROM learning_paths ORDER BY id LIMIT 1), \
         (SELECT title FROM learning_paths ORDER BY id LIMIT 1) \
         FROM deals d JOIN users u ON u.id = d.owner_user_id WHERE d.id = $1",
    )
    .bind(deal)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    answers_email(
        &server,
        &email,
        ("path_id", path),
        "Where is the lab guide?",
    )
    .await;
    common::crm::sync_until_sent(&server, "reply").await;
    let tasks = fake.records("Task");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let task = &tasks[1].fields;
    let contact = fake
        .records("Contact")
        .into_iter()
        .find(|c| c.fields["Email"].as_str() == Some(email.as_str()))
        .expect("her Contact");
    assert_eq!(task["WhoId"], contact.id.as_str());
    assert!(task.get("WhatId").is_none(), "{task:?}");
    assert!(task["Subject"]
        .as_str()
        .unwrap()
        .starts_with(&format!("Training question: {title}")));

    // The first read brings each Lead's owner: the integration user the API created them as.
    let owner = |server: &TestServer| {
        let db = server.server.state.db.read.clone();
        async move {
            let row: (Option<String>, String, Option<String>) = sqlx::query_as(
                "SELECT crm_owner_id, crm_owner_name, crm_owner_source FROM deals WHERE id = $1",
            )
            .bind(deal)
            .fetch_one(&db)
            .await
            .unwrap();
            row
        }
    };
    // (The worker, woken by the reply, may have polled first: the state is what counts.)
    app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(
        owner(&server).await,
        (
            Some(common::fake_salesforce::INTEGRATION_USER.to_string()),
            "Integration User".to_string(),
            Some("salesforce".to_string())
        )
    );
    // Sales assigns the Lead to a seller: the registration names her, with an audit row.
    fake.add_user("005000000000042AAA", "Dana Kim");
    fake.assign_owner("Lead", &lead.id, "005000000000042AAA");
    let run = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(run.changed, 1, "{run:?}");
    assert_eq!(owner(&server).await.1, "Dana Kim");
    let (from, to): (String, String) = sqlx::query_as(
        "SELECT from_value, to_value FROM deal_events WHERE deal_id = $1 AND field = 'crm_owner' ORDER BY id DESC LIMIT 1",
    )
    .bind(deal)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!(
        (from.as_str(), to.as_str()),
        ("Integration User", "Dana Kim")
    );
    let (status, audit) = common::invoke::<app::model::DealAudit>(
        &admin,
        &server,
        app::api::channel::LoadDealAudit::PATH,
        &[("deal_id", deal.to_string().as_str())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        audit.unwrap().crm_owner,
        Some(("Dana Kim".to_string(), "Salesforce".to_string()))
    );

    // Nothing changed in Salesforce: the poll reads (in pages) and changes nothing.
    fake.inner.lock().unwrap().page_size = 50;
    let run = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(run.changed, 0, "{run:?}");
    let leads = fake.records("Lead").len();
    assert!(leads > 50, "{leads}");
    assert_eq!(
        run.requests,
        leads.div_ceil(50),
        "the Leads come in pages of 50: {run:?}"
    );
    assert_eq!(deal_row(&server).await, before);

    // Sales converts the Lead and works the Opportunity: its stage, amount and close date
    // reach the registration, with an audit row each that says where they came from.
    fake.add_user("005000000000043AAA", "Sam Ortiz");
    let opportunity = fake.convert_lead(
        deal,
        json!({"Name": "Converted", "StageName": "Negotiation/Review", "IsClosed": false, "IsWon": false,
               "Amount": 52000.0, "CloseDate": "2027-01-15", "OwnerId": "005000000000043AAA"}),
    );
    let run = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(run.changed, 1, "{run:?}");
    assert_eq!(
        owner(&server).await.1,
        "Sam Ortiz",
        "the Opportunity's owner"
    );
    let (stage, amount, close_at) = deal_row(&server).await;
    assert_eq!(stage, "negotiate");
    assert_eq!(amount, 5_200_000);
    let close = chrono::DateTime::from_timestamp_millis(close_at.unwrap()).unwrap();
    assert_eq!(close.format("%Y-%m-%d").to_string(), "2027-01-15");
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deal_events WHERE deal_id = $1 AND rationale = 'Changed in Salesforce by sales.'",
    )
    .bind(deal)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert!(audited >= 2, "{audited}");
    // Once converted, a reply is a Task on the Opportunity, with the partner's Contact.
    partner_replies(&server, deal, "The customer signed.").await;
    common::crm::sync_until_sent(&server, "reply").await;
    let tasks = fake.records("Task");
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert_eq!(tasks[2].fields["WhatId"], opportunity.as_str());
    let who = tasks[2].fields["WhoId"].as_str().unwrap();
    assert!(fake.records("Contact").iter().any(|c| c.id == who), "{who}");

    // Closed won in Salesforce (whatever the org calls the stage): won in the portal, once.
    fake.change_opportunity(
        &opportunity,
        json!({"StageName": "Signed", "IsClosed": true, "IsWon": true}),
    );
    let run = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(run.changed, 1, "{run:?}");
    assert_eq!(deal_row(&server).await.0, "won");
    assert_eq!(
        app::server::crm::sync::poll(state, &http)
            .await
            .unwrap()
            .changed,
        0,
        "read again, nothing changes"
    );

    // The portal no longer writes to the converted Lead (Salesforce refuses that); a change
    // to the registration is set aside with the reason, not failed.
    sqlx::query(
        "UPDATE crm_outbox SET state = 'pending', version = version + 1, next_attempt_at = 0 \
         WHERE kind = 'registration' AND entity_id = $1",
    )
    .bind(deal)
    .execute(&state.db.write)
    .await
    .unwrap();
    let run = sync(&server, 3).await;
    assert_eq!(run.refused, 0, "{run:?}");
    let (detail,): (String,) = sqlx::query_as(
        "SELECT detail FROM crm_sync_log WHERE kind = 'registration' AND entity_id = $1 AND outcome = 'skipped'",
    )
    .bind(deal)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert!(detail.contains(&opportunity), "{detail}");
    assert_eq!(salesforce(&admin, &server).await.failed, 0);
    server.stop().await;
}

/// A reply from the deal's owner to an email the portal sent them about it, as a relay
/// delivers it (the email is recorded as sent; the reply threads on its Message-ID).
async fn partner_replies(server: &TestServer, deal: i64, text: &str) {
    let (email,): (String,) = sqlx::query_as(
        "SELECT u.email FROM deals d JOIN users u ON u.id = d.owner_user_id WHERE d.id = $1",
    )
    .bind(deal)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    answers_email(server, &email, ("deal_id", deal), text).await;
}

/// A reply from `email` to an email the portal sent them about a deal or a module
/// (`about`: the column and its id), as a relay delivers it.
async fn answers_email(server: &TestServer, email: &str, about: (&str, i64), text: &str) {
    use app::server::inbound::{take, Arrival, Door, Intake};
    let state = &server.server.state;
    let (column, id) = about;
    let column = match column {
        "deal_id" => "deal_id",
        _ => "path_id",
    };
    let message_id = format!("n{}.{id}@portal.test", rand::random::<u32>());
    sqlx::query(&format!(
        "INSERT INTO email_outbox (to_address, subject, body_text, created_at, next_attempt_at, sent_at, {column}, message_id) \
         VALUES ($1, 'About your training', 'Hello', $2, $2, $2, $3, $4)"
    ))
    .bind(email)
    .bind(state.clock.now_ms())
    .bind(id)
    .bind(&message_id)
    .execute(&state.db.write)
    .await
    .unwrap();
    let raw = format!(
        "From: {email}\r\nTo: partners@reply.test\r\nSubject: Re: About your training\r\n\
         Message-ID: <r{}@partner.example>\r\nIn-Reply-To: <{message_id}>\r\n\r\n{text}\r\n",
        rand::random::<u32>()
    );
    let arrival = Arrival {
        door: Door::Http,
        envelope_from: "",
        recipients: &[],
        raw: raw.as_bytes(),
    };
    let taken = take(state, &arrival).await.unwrap();
    assert!(
        matches!(
            taken,
            Intake::Stored {
                verdict: "accepted",
                ..
            }
        ),
        "{taken:?}"
    );
}

/// An org that works partner deals as Opportunities: the admin says so, the field check
/// names the Opportunity's fields, registrations are written as Opportunities in the
/// standard stage matching the portal's, and sales' changes come straight back.
async fn registrations_become_opportunities_when_the_admin_chooses(backend: Backend) {
    use app::api::salesforce::SetSalesforceTarget;
    use app::domain::salesforce::{standard_stage_name, RegistrationTarget};
    let (server, fake, base) = start(backend).await;
    let state = &server.server.state;
    let admin = sign_in(&server, ADMIN).await;
    let form = connect_form(&base, CLIENT_ID, CLIENT_SECRET);
    assert_eq!(
        call(&admin, &server, ConnectSalesforce::PATH, &form)
            .await
            .status(),
        200
    );

    // Only an admin chooses, and only Leads or Opportunities.
    let manager = sign_in(&server, MANAGER).await;
    let choose = |target: &'static str| [("target", target)];
    assert_eq!(
        call(
            &manager,
            &server,
            SetSalesforceTarget::PATH,
            &choose("opportunity")
        )
        .await
        .status(),
        403
    );
    let (status, refused) = invoke::<()>(
        &admin,
        &server,
        SetSalesforceTarget::PATH,
        &choose("Account"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("target").is_some());
    assert_eq!(
        salesforce(&admin, &server).await.registration_target,
        RegistrationTarget::Lead
    );
    assert_eq!(
        call(
            &admin,
            &server,
            SetSalesforceTarget::PATH,
            &choose("opportunity")
        )
        .await
        .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    assert_eq!(view.registration_target, RegistrationTarget::Opportunity);
    assert_eq!(
        call(&admin, &server, StartSalesforceBackfill::PATH, &[])
            .await
            .status(),
        409,
        "nothing is sent before the fields are checked"
    );

    // The field check describes Opportunity instead of Lead: its five custom fields (its
    // name and amount are standard).
    assert_eq!(
        call(&admin, &server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    let view = salesforce(&admin, &server).await;
    let on = |object: &str| {
        view.field_problems
            .iter()
            .filter(|p| p.object == object)
            .count()
    };
    assert_eq!(
        (on("Opportunity"), on("Lead")),
        (5, 0),
        "{:?}",
        view.field_problems
    );
    follow_instructions(&fake, &view);
    assert_eq!(
        call(&admin, &server, CheckSalesforceFields::PATH, &[])
            .await
            .status(),
        200
    );
    assert!(salesforce(&admin, &server).await.field_problems.is_empty());
    assert_eq!(
        call(&admin, &server, StartSalesforceBackfill::PATH, &[])
            .await
            .status(),
        200
    );
    let run = sync(&server, 20).await;
    assert_eq!(run.refused, 0, "{run:?}");

    // Registrations are Opportunities, in the standard stage matching the portal's; no Leads.
    assert!(fake.records("Lead").is_empty());
    let (deal, stage, customer): (i64, String, String) = sqlx::query_as(
        "SELECT d.id, d.stage, a.name FROM deals d JOIN accounts a ON a.id = d.account_id \
         WHERE d.partner_org_id IS NOT NULL AND d.registration_status = 'approved' \
         AND d.stage NOT IN ('won', 'lost') ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    let opportunity = fake
        .record(
            "Opportunity",
            "Portal_Registration_Id__c",
            &deal.to_string(),
        )
        .expect("the registration's Opportunity");
    assert_eq!(opportunity.fields["StageName"], standard_stage_name(&stage));
    assert!(opportunity.fields["Name"]
        .as_str()
        .unwrap()
        .starts_with(&customer));
    assert!(opportunity.fields["CloseDate"].is_string());
    assert_eq!(opportunity.fields["LeadSource"], "Partner");

    // Read back, the portal's own stage changes nothing (the owner arrives once).
    let http = app::server::crm::hubspot::http_client();
    app::server::crm::sync::poll(state, &http).await.unwrap();
    let stage_now: (String,) = sqlx::query_as("SELECT stage FROM deals WHERE id = $1")
        .bind(deal)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    assert_eq!(stage_now.0, stage);
    assert_eq!(
        app::server::crm::sync::poll(state, &http)
            .await
            .unwrap()
            .changed,
        0
    );

    // Sales wins it in Salesforce: won in the portal, with its amount.
    fake.change_opportunity(
        &opportunity.id,
        json!({"StageName": "Closed Won", "IsClosed": true, "IsWon": true, "Amount": 77000.0}),
    );
    let run = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(run.changed, 1, "{run:?}");
    let won: (String, i64) = sqlx::query_as("SELECT stage, amount_cents FROM deals WHERE id = $1")
        .bind(deal)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    assert_eq!(won, ("won".to_string(), 7_700_000));

    // A partner's reply is a Task on the Opportunity, with the partner's Contact.
    partner_replies(&server, deal, "Signed today.").await;
    common::crm::sync_until_sent(&server, "reply").await;
    let tasks = fake.records("Task");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].fields["WhatId"], opportunity.id.as_str());
    let who = tasks[0].fields["WhoId"].as_str().unwrap();
    assert!(fake.records("Contact").iter().any(|c| c.id == who), "{who}");

    // The portal's later changes update the same Opportunity; sales' stage stands.
    app::server::repo::crm::enqueue(
        &state.db.write,
        app::domain::crm::SyncKind::Registration,
        deal,
        "test",
        0,
    )
    .await
    .unwrap();
    let run = sync(&server, 3).await;
    assert_eq!(run.refused, 0, "{run:?}");
    let held: Vec<_> = fake
        .records("Opportunity")
        .into_iter()
        .filter(|o| o.fields.get("Portal_Registration_Id__c") == Some(&json!(deal.to_string())))
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].fields["StageName"], "Closed Won");
    server.stop().await;
}

both_backends!(
    registrations_become_opportunities_when_the_admin_chooses,
    an_admin_connects_salesforce_creates_the_fields_it_names_and_the_program_reaches_it,
    an_expired_session_is_minted_once_for_concurrent_workers_and_faults_hold_or_stop_the_queue,
    sales_works_a_converted_lead_and_its_opportunity_comes_back_to_the_registration,
);
