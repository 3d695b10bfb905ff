//! CRM sync to HubSpot, on SQLite and PostgreSQL, against a local fake HubSpot that follows
//! the documented contract (`common/fake_hubspot.rs`): an admin connects with a token (tried
//! before saving, sealed at rest), installs the properties and runs the first full sync; a
//! certificate revoked in the portal reaches the contact; rate limits slow the queue, server
//! errors retry, refusals are shown and can be retried or skipped, an expired token stops the
//! queue; two workers send each record once.
mod common;

use app::api::certifications::RevokeCertificate;
use app::api::crm::{
    ConnectHubspot, CrmOverview, InstallHubspotProperties, LoadCrmPage, RemoveHubspotWebhookSecret,
    ResolveCrmFailure, SaveHubspotWebhookSecret, SetCrmFieldDirection, TestHubspot,
};
use app::domain::crm::ConnectionState;
use common::crm::{count, sync};
use common::fake_hubspot::{FakeHubSpot, Fault};
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};
use serde_json::json;

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const NORA: &str = "nora@northwind.example";
const TOMAS: &str = "tomas@northwind.example";
const GRACE: &str = "grace@harbor.example";
const TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

async fn start(backend: Backend) -> (TestServer, FakeHubSpot) {
    start_with(backend, &[]).await
}

/// `start`, with extra flags.
async fn start_with(backend: Backend, extra: &[&str]) -> (TestServer, FakeHubSpot) {
    let fake = FakeHubSpot::new(TOKEN);
    let base = fake.start().await;
    let mut flags = vec![
        "--hubspot-api-base",
        &base,
        "--crm-sync-interval-secs",
        "86400",
    ];
    flags.extend_from_slice(extra);
    let server = TestServer::start_with(backend, &flags).await;
    (server, fake)
}

async fn page(client: &reqwest::Client, server: &TestServer) -> CrmOverview {
    let (status, page) = invoke::<CrmOverview>(client, server, LoadCrmPage::PATH, &[]).await;
    assert_eq!(status, 200);
    page.unwrap()
}

/// Connects, installs and backfills; returns the admin's client.
async fn connected(server: &TestServer) -> reqwest::Client {
    common::crm::connect_hubspot(server, TOKEN).await
}

async fn an_admin_connects_hubspot_and_the_program_and_its_changes_reach_it(backend: Backend) {
    let (server, fake) = start(backend).await;
    let admin = sign_in(&server, ADMIN).await;

    // Only vendor admins reach the CRM settings.
    for email in [MANAGER, NORA] {
        let other = sign_in(&server, email).await;
        assert_eq!(
            call(&other, &server, LoadCrmPage::PATH, &[]).await.status(),
            403,
            "{email}"
        );
        let tried = call(
            &other,
            &server,
            ConnectHubspot::PATH,
            &[("token", TOKEN), ("pipeline", "default"), ("stage", "x")],
        )
        .await;
        assert_eq!(tried.status(), 403, "{email}");
    }
    assert!(page(&admin, &server).await.hubspot.is_none());

    // A token HubSpot refuses, an empty one and one with spaces are field errors; nothing is saved.
    for (token, says) in [
        ("pat-wrong", "refused"),
        ("", "Paste"),
        ("pat with spaces", "spaces"),
    ] {
        let (status, refused) = invoke::<()>(
            &admin,
            &server,
            ConnectHubspot::PATH,
            &[
                ("token", token),
                ("pipeline", "default"),
                ("stage", "appointmentscheduled"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{token}");
        assert!(
            refused
                .unwrap_err()
                .field_message("token")
                .unwrap()
                .contains(says),
            "{token}"
        );
    }
    let (status, refused) = invoke::<()>(
        &admin,
        &server,
        ConnectHubspot::PATH,
        &[("token", TOKEN), ("pipeline", "de fault"), ("stage", "")],
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(
        refused.field_message("pipeline").is_some() && refused.field_message("stage").is_some()
    );
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        0
    );

    // Connected: the token is sealed at rest and shown only as its last four characters.
    let admin = connected(&server).await;
    let (sealed,): (String,) = sqlx::query_as("SELECT secret_sealed FROM crm_connections")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    assert!(
        !sealed.contains("pat-na1") && !sealed.contains("5555"),
        "{sealed}"
    );
    let view = page(&admin, &server).await.hubspot.expect("connected");
    assert_eq!(view.state, ConnectionState::Connected);
    assert_eq!(view.token_hint, "…5555");
    assert!(view.installed_at.is_some());
    let body = serde_json::to_string(&page(&admin, &server).await).unwrap();
    assert!(!body.contains(TOKEN), "the page never carries the token");
    for name in ["prm_certifications", "prm_next_cert_expiry"] {
        assert!(fake.has_property("contacts", name), "{name}");
    }
    assert!(
        fake.has_property("companies", "prm_org_id")
            && fake.has_property("deals", "prm_registration_id")
    );
    // Installing again keeps what exists.
    assert_eq!(
        call(&admin, &server, InstallHubspotProperties::PATH, &[])
            .await
            .status(),
        200
    );

    // The backfill sends every organisation, partner person and registration, once each.
    let people = count(
        &server,
        "SELECT COUNT(*) FROM users WHERE role = 'partner_user'",
    )
    .await;
    let orgs = count(&server, "SELECT COUNT(*) FROM partner_orgs").await;
    let registrations = count(
        &server,
        "SELECT COUNT(*) FROM deals WHERE partner_org_id IS NOT NULL AND registration_status <> 'not_registered'",
    )
    .await;
    assert_eq!(
        page(&admin, &server).await.hubspot.unwrap().waiting,
        people + orgs + registrations
    );
    let run = sync(&server, 10).await;
    assert_eq!(run.written as i64, people + orgs + registrations, "{run:?}");
    assert_eq!(run.refused, 0, "{run:?}");
    assert_eq!(fake.records("contacts").len() as i64, people);
    assert_eq!(fake.records("companies").len() as i64, orgs);
    assert_eq!(fake.records("deals").len() as i64, registrations);
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!((view.waiting, view.failed), (0, 0));
    assert_eq!(view.synced, people + orgs + registrations);

    // What the contact carries is HubSpot's formats: dates at midnight UTC, names joined.
    let tomas = fake
        .record("contacts", "email", TOMAS)
        .expect("Tomas's contact");
    let held = tomas.properties["prm_certifications"].clone();
    assert!(!held.is_empty(), "Tomas is certified in the demo");
    let certified_on: i64 = tomas.properties["prm_last_certified_on"].parse().unwrap();
    assert_eq!(certified_on % 86_400_000, 0);
    let northwind = fake
        .record("companies", "name", "Northwind Resellers")
        .expect("company");
    assert!(
        northwind.properties["prm_certified_people"]
            .parse::<i64>()
            .unwrap()
            >= 1
    );
    let deal = &fake.records("deals")[0];
    assert!(deal.properties.contains_key("dealstage") && deal.properties.contains_key("pipeline"));

    // A run with nothing due sends nothing.
    let before = fake.requests().len();
    assert_eq!(sync(&server, 3).await.requests, 0);
    assert_eq!(fake.requests().len(), before);

    // Tomas's certificate is revoked in the portal: his contact and Northwind's company follow.
    let (certificate,): (i64,) = sqlx::query_as(
        "SELECT c.id FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.email = $1 AND c.revoked_at IS NULL",
    )
    .bind(TOMAS)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let revoke = [
        ("certificate_id", certificate.to_string()),
        ("reason", "Left Northwind.".to_string()),
    ];
    let revoke: Vec<(&str, &str)> = revoke.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        call(&admin, &server, RevokeCertificate::PATH, &revoke)
            .await
            .status(),
        200
    );
    assert!(page(&admin, &server).await.hubspot.unwrap().waiting >= 2);
    let run = sync(&server, 5).await;
    assert!(run.written >= 2, "{run:?}");
    let tomas = fake.record("contacts", "email", TOMAS).unwrap();
    assert_ne!(
        tomas.properties["prm_certifications"], held,
        "the revoked certification is gone"
    );

    // Grace earns a certificate in the portal: her contact carries it after the next run.
    let before = fake
        .record("contacts", "email", GRACE)
        .expect("Grace's contact");
    assert_eq!(before.properties["prm_certifications"], "");
    common::complete_certification_paths(&server, GRACE, "Lumen Certified Sales Professional")
        .await;
    server::jobs::run_certification_clock(&server.server.state)
        .await
        .unwrap();
    sync(&server, 5).await;
    let grace = fake.record("contacts", "email", GRACE).unwrap();
    assert_eq!(
        grace.properties["prm_certifications"],
        "Lumen Certified Sales Professional"
    );
    assert!(!grace.properties["prm_next_cert_expiry"].is_empty());

    // Sales wins a deal in HubSpot: the next poll brings stage, amount and close date back,
    // with an audit row each; the portal's next write leaves them alone; polling again
    // changes nothing.
    let state = &server.server.state;
    let (deal_id, org_id): (i64, i64) = sqlx::query_as(
        "SELECT id, partner_org_id FROM deals WHERE partner_org_id IS NOT NULL AND registration_status = 'approved' \
         AND stage <> 'won' ORDER BY id LIMIT 1",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    let won_sql = format!(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM deals WHERE stage = 'won' AND partner_org_id = {org_id}"
    );
    let won_before = count(&server, &won_sql).await;
    fake.change_as_sales(
        "deals",
        "prm_registration_id",
        &deal_id.to_string(),
        &[
            ("dealstage", "closedwon"),
            ("amount", "98765.4"),
            ("closedate", "2026-11-30T00:00:00Z"),
        ],
    );
    let http = app::server::crm::hubspot::http_client();
    let polled = app::server::crm::sync::poll(state, &http).await.unwrap();
    assert_eq!(polled.changed, 1, "{polled:?}");
    let (stage, amount, close_at): (String, i64, Option<i64>) =
        sqlx::query_as("SELECT stage, amount_cents, close_at FROM deals WHERE id = $1")
            .bind(deal_id)
            .fetch_one(&state.db.read)
            .await
            .unwrap();
    assert_eq!(
        (stage.as_str(), amount, close_at),
        ("won", 9_876_540, Some(1_795_996_800_000))
    );
    assert!(
        count(&server, &won_sql).await >= won_before + 9_876_540,
        "closed-won revenue counts for the partner"
    );
    let trail: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT field, to_value, rationale FROM deal_events WHERE deal_id = $1 AND rationale LIKE '%HubSpot%' ORDER BY id",
    )
    .bind(deal_id)
    .fetch_all(&state.db.read)
    .await
    .unwrap();
    let fields: Vec<(&str, &str)> = trail
        .iter()
        .map(|(f, t, _)| (f.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("stage", "won"),
            ("amount", "$98,765.40"),
            ("close_date", "2026-11-30")
        ]
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_outbox WHERE state = 'pending'"
        )
        .await,
        0,
        "nothing echoes back"
    );
    assert_eq!(
        app::server::crm::sync::poll(state, &http)
            .await
            .unwrap()
            .changed,
        0
    );
    app::server::repo::crm::enqueue(
        &state.db.write,
        app::domain::crm::SyncKind::Registration,
        deal_id,
        "test",
        0,
    )
    .await
    .unwrap();
    sync(&server, 3).await;
    let record = fake
        .record("deals", "prm_registration_id", &deal_id.to_string())
        .unwrap();
    assert_eq!(record.properties["dealstage"], "closedwon");
    assert_eq!(record.properties["amount"], "98765.4");
    server.stop().await;
}

async fn hubspot_faults_slow_retry_or_stop_the_queue_and_refusals_are_worked_by_admins(
    backend: Backend,
) {
    let (server, fake) = start(backend).await;
    let state = &server.server.state;
    let admin = connected(&server).await;
    let waiting = page(&admin, &server).await.hubspot.unwrap().waiting;

    // 429 with Retry-After: nothing fails; the whole queue waits that long.
    fake.fail_next(Fault {
        status: 429,
        retry_after: Some(30),
        body: json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING", "correlationId": "c-429"}),
    });
    let run = sync(&server, 3).await;
    assert_eq!(
        (run.requests, run.slowed, run.written),
        (1, 1, 0),
        "{run:?}"
    );
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!(view.waiting, waiting);
    let paused = view.paused_until.expect("paused");
    assert!(paused >= state.clock.now_ms() + 25_000);
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_outbox WHERE attempts > 0"
        )
        .await,
        0,
        "a 429 is no attempt"
    );
    assert_eq!(sync(&server, 2).await.requests, 0, "still paused");
    state.clock.advance(31_000);

    // A 502: the batch is retried later with back-off (an attempt counted).
    fake.fail_next(Fault {
        status: 502,
        retry_after: None,
        body: json!({"status": "error", "message": "Bad gateway"}),
    });
    let run = sync(&server, 1).await;
    assert_eq!(run.requests, 1);
    assert!(run.retried > 0, "{run:?}");
    assert!(
        count(
            &server,
            "SELECT COUNT(*) FROM crm_outbox WHERE attempts = 1 AND state = 'pending'"
        )
        .await
            > 0
    );
    state.clock.advance(3_600_000);

    // A property an admin deleted in HubSpot: the schema check names it; those records are
    // refused, shown with HubSpot's reason, and nothing else stops.
    fake.inner
        .lock()
        .unwrap()
        .properties
        .get_mut("deals")
        .unwrap()
        .remove("prm_motion");
    let http = app::server::crm::hubspot::http_client();
    let drift = app::server::crm::sync::check_schemas(state, &http)
        .await
        .unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    let problem = page(&admin, &server)
        .await
        .hubspot
        .unwrap()
        .last_error
        .unwrap();
    assert!(problem.contains("deals.prm_motion is missing"), "{problem}");
    let run = sync(&server, 20).await;
    assert!(run.refused > 0 && run.written > 0, "{run:?}");
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!(view.waiting, 0);
    assert_eq!(view.failed as usize, run.refused);
    let failure = view.dead_letters.first().expect("a failed record").clone();
    assert!(
        failure.error.contains("VALIDATION_ERROR") && failure.error.contains("prm_motion"),
        "{}",
        failure.error
    );

    // Skip one; fix HubSpot and retry another: it goes through.
    let skip = [("id", failure.id.to_string()), ("retry", "false".into())];
    let skip: Vec<(&str, &str)> = skip.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        call(&admin, &server, ResolveCrmFailure::PATH, &skip)
            .await
            .status(),
        200
    );
    assert_eq!(
        call(&admin, &server, ResolveCrmFailure::PATH, &skip)
            .await
            .status(),
        409,
        "already skipped"
    );
    fake.inner
        .lock()
        .unwrap()
        .properties
        .get_mut("deals")
        .unwrap()
        .insert(
            "prm_motion".into(),
            common::fake_hubspot::Property {
                kind: "string".into(),
                unique: false,
                options: vec![],
            },
        );
    let second = page(&admin, &server).await.hubspot.unwrap().dead_letters[0].id;
    let retry = [("id", second.to_string()), ("retry", "true".into())];
    let retry: Vec<(&str, &str)> = retry.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        call(&admin, &server, ResolveCrmFailure::PATH, &retry)
            .await
            .status(),
        200
    );
    let run = sync(&server, 3).await;
    assert_eq!((run.written, run.refused), (1, 0), "{run:?}");

    // An admin switches a field off; a field the portal owns cannot go to the CRM.
    let off = [
        ("kind", "Contact"),
        ("property", "firstname"),
        ("direction", "Off"),
    ];
    assert_eq!(
        call(&admin, &server, SetCrmFieldDirection::PATH, &off)
            .await
            .status(),
        200
    );
    let owned = [
        ("kind", "Registration"),
        ("property", "prm_registration_status"),
        ("direction", "FromCrm"),
    ];
    let (status, refused) = invoke::<()>(&admin, &server, SetCrmFieldDirection::PATH, &owned).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("direction").is_some());

    // The token stops working: the queue stops, nothing is lost, the page says so.
    fake.inner.lock().unwrap().token = "pat-rotated".into();
    app::server::repo::crm::enqueue(
        &state.db.write,
        app::domain::crm::SyncKind::Contact,
        1,
        "test",
        0,
    )
    .await
    .unwrap();
    let (user_id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(NORA)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    app::server::repo::crm::enqueue(
        &state.db.write,
        app::domain::crm::SyncKind::Contact,
        user_id,
        "test",
        0,
    )
    .await
    .unwrap();
    let run = sync(&server, 3).await;
    assert_eq!(
        run.requests, 1,
        "one refusal, then the queue stops: {run:?}"
    );
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!(view.state, ConnectionState::NeedsReauth);
    assert!(view.waiting >= 1);
    assert_eq!(sync(&server, 2).await.requests, 0);
    // Every vendor admin is told once, and only vendor admins.
    let told = "SELECT COUNT(*) FROM email_outbox o JOIN users u ON u.email = o.to_address \
         WHERE o.subject = 'HubSpot sync stopped: connect HubSpot again' AND o.event = 'crm_needs_reauth'";
    let admins = "SELECT COUNT(*) FROM users WHERE role = 'vendor_admin' AND disabled_at IS NULL";
    assert_eq!(count(&server, told).await, count(&server, admins).await);
    assert!(count(&server, told).await >= 1);
    assert_eq!(
        count(&server, &format!("{told} AND u.role <> 'vendor_admin'")).await,
        0
    );
    // Test connection says so too, and a new token restarts the queue.
    assert_eq!(
        call(&admin, &server, TestHubspot::PATH, &[]).await.status(),
        200
    );
    fake.inner.lock().unwrap().token = TOKEN.into();
    let connect = [
        ("token", TOKEN),
        ("pipeline", "default"),
        ("stage", "appointmentscheduled"),
    ];
    assert_eq!(
        call(&admin, &server, ConnectHubspot::PATH, &connect)
            .await
            .status(),
        200
    );
    let run = sync(&server, 3).await;
    assert!(run.written >= 1, "{run:?}");
    let nora = fake.record("contacts", "email", NORA).unwrap();
    assert!(
        nora.properties.contains_key("lastname"),
        "set before firstname was switched off"
    );
    server.stop().await;
}

async fn two_workers_send_each_change_once_and_coalesce_repeated_changes(backend: Backend) {
    let (server, fake) = start(backend).await;
    let state = &server.server.state;
    connected(&server).await;
    // Five changes to one person before the sync: one row, one upsert of the newest state.
    let (user_id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(NORA)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    for _ in 0..5 {
        app::server::repo::crm::enqueue(
            &state.db.write,
            app::domain::crm::SyncKind::Contact,
            user_id,
            "test",
            0,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        count(&server, &format!("SELECT COUNT(*) FROM crm_outbox WHERE kind = 'contact' AND entity_id = {user_id} AND state = 'pending'")).await,
        1
    );
    let http = app::server::crm::hubspot::http_client();
    let (a, b) = tokio::join!(
        app::server::crm::sync::run(state, &http),
        app::server::crm::sync::run(state, &http)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let total = count(&server, "SELECT COUNT(*) FROM crm_outbox").await;
    assert_eq!((a.written + b.written) as i64, total, "{a:?} {b:?}");
    let written = count(
        &server,
        "SELECT COUNT(*) FROM crm_sync_log WHERE outcome = 'written'",
    )
    .await;
    assert_eq!(written, total, "each record written once");
    let distinct = count(&server, "SELECT COUNT(*) FROM (SELECT DISTINCT kind, entity_id FROM crm_sync_log WHERE outcome = 'written') AS once").await;
    assert_eq!(distinct, total);
    let upserts = fake
        .requests()
        .iter()
        .filter(|(_, path)| path.ends_with("/batch/upsert"))
        .count();
    assert!(upserts <= 6, "batched: {upserts} requests");

    // An answer larger than any HubSpot sends (5 MiB) is not read whole: the record fails
    // on the status alone.
    app::server::repo::crm::enqueue(
        &state.db.write,
        app::domain::crm::SyncKind::Contact,
        user_id,
        "test",
        0,
    )
    .await
    .unwrap();
    fake.fail_next(Fault {
        status: 400,
        retry_after: None,
        body: json!({ "category": "VALIDATION_ERROR", "message": "x".repeat(5 << 20) }),
    });
    let run = app::server::crm::sync::run(state, &http).await.unwrap();
    assert_eq!(run.refused, 1);
    let (error,): (String,) =
        sqlx::query_as("SELECT last_error FROM crm_outbox WHERE state = 'dead'")
            .fetch_one(&state.db.read)
            .await
            .unwrap();
    assert_eq!(error, "HTTP 400");
    server.stop().await;
}

/// The portal's public address in the webhook test: HubSpot signs the URL it was given,
/// which is not the address the test reaches the server at.
const PUBLIC_URL: &str = "http://partners.example.test";
const CLIENT_SECRET: &str = "yyyyyyyy-1111-2222-3333-yyyyyyyyyyyy";

async fn webhooks_bring_deal_changes_back_at_once_and_forged_or_replayed_deliveries_change_nothing(
    backend: Backend,
) {
    let (server, fake) = start_with(backend, &["--public-url", PUBLIC_URL]).await;
    let state = &server.server.state;
    let admin = connected(&server).await;
    sync(&server, 20).await;
    let path = app::server::crm::webhook::HUBSPOT_PATH;
    let target = format!("{PUBLIC_URL}{path}");
    fake.deliver_webhooks(&server.url(path), &target, CLIENT_SECRET);
    let stored = || async {
        (
            count(&server, "SELECT COUNT(*) FROM crm_webhook_deliveries").await,
            count(&server, "SELECT COUNT(*) FROM crm_webhook_events").await,
        )
    };

    // Not turned on yet: refused, and nothing stored.
    let (_, (status, body)) = fake.post_webhook(b"[]").await;
    assert_eq!((status, body.contains("not set up")), (404, true), "{body}");

    // Only admins turn webhooks on; a secret that is not one gets a field error.
    let manager = sign_in(&server, MANAGER).await;
    let secret = [("secret", CLIENT_SECRET)];
    assert_eq!(
        call(&manager, &server, SaveHubspotWebhookSecret::PATH, &secret)
            .await
            .status(),
        403
    );
    let refused = call(
        &admin,
        &server,
        SaveHubspotWebhookSecret::PATH,
        &[("secret", "a b")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("secret"));
    assert_eq!(
        call(&admin, &server, SaveHubspotWebhookSecret::PATH, &secret)
            .await
            .status(),
        200
    );
    let view = page(&admin, &server).await.hubspot.unwrap().webhooks;
    assert_eq!(view.target_url, target);
    assert_eq!(view.secret_hint.as_deref(), Some("…yyyy"));
    let (sealed,): (String,) = sqlx::query_as("SELECT webhook_secret_sealed FROM crm_connections")
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    assert!(!sealed.contains(CLIENT_SECRET), "sealed at rest");

    // Sales moves a deal in HubSpot; the signed delivery is stored and wakes the worker,
    // which reads the deal back at once (the regular interval here is a day).
    let (deal_id,): (i64,) = sqlx::query_as(
        "SELECT id FROM deals WHERE partner_org_id IS NOT NULL AND registration_status = 'approved' \
         AND stage <> 'won' ORDER BY id LIMIT 1",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    let crm_id = fake
        .record("deals", "prm_registration_id", &deal_id.to_string())
        .expect("synced deal")
        .id;
    let changes = [("dealstage", "closedwon"), ("amount", "1234.5")];
    fake.change_as_sales(
        "deals",
        "prm_registration_id",
        &deal_id.to_string(),
        &changes,
    );
    let mut events = fake.deal_change_events(&crm_id, &changes);
    // A change to a property the portal does not read, and one to a deal that is not the
    // portal's: stored for the log, never applied.
    let others = fake.deal_change_events("999999", &[("dealstage", "closedlost")]);
    events
        .as_array_mut()
        .unwrap()
        .extend(others.as_array().unwrap().iter().cloned());
    events.as_array_mut().unwrap().push(json!({
        "eventId": 1, "subscriptionId": 9, "portalId": 62515, "occurredAt": 1, "objectId": 5,
        "subscriptionType": "contact.propertyChange", "propertyName": "email"
    }));
    let body = serde_json::to_vec(&events).unwrap();
    let ((signature, timestamp), (status, answer)) = fake.post_webhook(&body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&answer).unwrap(),
        json!({ "events": 4, "new": 4 })
    );
    // Waits for the woken worker to finish the events (it changes the deal, then marks
    // each deal's events handled), at most ten seconds.
    for _ in 0..100 {
        let waiting = count(
            &server,
            "SELECT COUNT(*) FROM crm_webhook_events WHERE processed_at IS NULL",
        )
        .await;
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (stage,): (String,) = sqlx::query_as("SELECT stage FROM deals WHERE id = $1")
        .bind(deal_id)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    assert_eq!(stage, "won", "read back within seconds of the delivery");
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "SELECT object_id, outcome FROM crm_webhook_events WHERE outcome IS NOT NULL ORDER BY id",
    )
    .fetch_all(&state.db.read)
    .await
    .unwrap();
    assert_eq!(
        outcomes,
        [
            (crm_id.clone(), "applied".to_string()),
            (crm_id.clone(), "applied".to_string()),
            ("999999".to_string(), "not a portal deal".to_string()),
            ("5".to_string(), "ignored".to_string()),
        ]
    );
    let trail = count(
        &server,
        &format!("SELECT COUNT(*) FROM deal_events WHERE deal_id = {deal_id} AND rationale LIKE '%HubSpot%'"),
    )
    .await;
    assert_eq!(trail, 2, "stage and amount, each in the audit trail");
    let before = stored().await;
    assert_eq!(before, (1, 4));

    // The same signed request again: a replay, refused, nothing changes.
    let (status, answer) = fake.post_signed(&body, &signature, &timestamp).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(stored().await, before);
    // HubSpot's own retry of the delivery is signed anew: accepted, its events known.
    let (_, (status, answer)) = fake.post_webhook(&body).await;
    assert_eq!(
        (
            status,
            serde_json::from_str::<serde_json::Value>(&answer).unwrap()
        ),
        (200, json!({ "events": 4, "new": 0 }))
    );
    let before = stored().await;
    assert_eq!(before, (2, 4));

    // Forged, stale, unsigned, oversized and malformed deliveries: refused with a reason,
    // nothing stored, nothing read.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let at = now().to_string();
    let sign = |secret: &str, uri: &str, body: &[u8], at: &str| {
        common::fake_hubspot::hubspot_v3_signature(secret, "POST", uri, body, at)
    };
    let forged = sign("another-secret-entirely", &target, &body, &at);
    assert_eq!(fake.post_signed(&body, &forged, &at).await.0, 401);
    let wrong_host = sign(CLIENT_SECRET, &server.url(path), &body, &at);
    assert_eq!(fake.post_signed(&body, &wrong_host, &at).await.0, 401);
    let old = (now() - 6 * 60_000).to_string();
    let stale = sign(CLIENT_SECRET, &target, &body, &old);
    let (status, answer) = fake.post_signed(&body, &stale, &old).await;
    assert_eq!(
        (status, answer.contains("five minutes")),
        (401, true),
        "{answer}"
    );
    let unsigned = reqwest::Client::new()
        .post(server.url(path))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let huge = vec![b' '; (1 << 20) + 1];
    let huge_signed = sign(CLIENT_SECRET, &target, &huge, &at);
    assert_eq!(fake.post_signed(&huge, &huge_signed, &at).await.0, 413);
    let (_, (status, answer)) = fake.post_webhook(br#"{"not":"a list"}"#).await;
    assert_eq!(
        (status, answer.contains("not a list of HubSpot events")),
        (400, true),
        "{answer}"
    );
    assert_eq!(stored().await, before);
    let view = page(&admin, &server).await.hubspot.unwrap().webhooks;
    assert_eq!(view.deliveries, 2);
    assert_eq!((view.events, view.waiting), (4, 0));
    assert!(view.last_refusal.unwrap().contains("not a list"));

    // Reading back again finds nothing to do.
    let http = app::server::crm::hubspot::http_client();
    let run = app::server::crm::sync::apply_webhook_events(state, &http)
        .await
        .unwrap();
    assert_eq!(run.requests, 0);

    // Turned off: the secret is erased and deliveries are refused.
    assert_eq!(
        call(&admin, &server, RemoveHubspotWebhookSecret::PATH, &[])
            .await
            .status(),
        200
    );
    assert_eq!(fake.post_webhook(&body).await.1 .0, 404);
    assert_eq!(
        page(&admin, &server)
            .await
            .hubspot
            .unwrap()
            .webhooks
            .secret_hint,
        None
    );
    server.stop().await;
}

both_backends!(
    an_admin_connects_hubspot_and_the_program_and_its_changes_reach_it,
    webhooks_bring_deal_changes_back_at_once_and_forged_or_replayed_deliveries_change_nothing,
    hubspot_faults_slow_retry_or_stop_the_queue_and_refusals_are_worked_by_admins,
    two_workers_send_each_change_once_and_coalesce_repeated_changes,
);
