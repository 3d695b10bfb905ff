//! HubSpot connected through OAuth 2 with the vendor's own app, on SQLite and PostgreSQL,
//! against the fake HubSpot's consent screen and token endpoint (crm_sync.md §8.1 H1): the
//! consent is bound to the admin who started it and used once; tokens are sealed at rest;
//! the access token is refreshed before it expires and once after a 401, by one worker for
//! four; a refused refresh stops the queue (nothing lost) and tells the admins.
mod common;

use app::api::crm::{CrmOverview, InstallHubspotProperties, LoadCrmPage, StartHubspotBackfill};
use app::api::crm_history::{FindSyncRecords, LoadSyncHistory, RecordMatch, SyncHistory};
use app::api::hubspot_oauth::{FinishHubspotOauth, StartHubspotOauth};
use app::domain::crm::{ConnectionState, CrmKind, SyncKind};
use common::crm::{count, sync};
use common::fake_hubspot::FakeHubSpot;
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};
use std::time::Duration;

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const NORA: &str = "nora@northwind.example";
const CLIENT_ID: &str = "5a1e7c2d-0000-4000-8000-00000000c1d0";
const CLIENT_SECRET: &str = "app-secret-7f3b9c1e-4d2a";

async fn page(client: &reqwest::Client, server: &TestServer) -> CrmOverview {
    let (status, page) = invoke::<CrmOverview>(client, server, LoadCrmPage::PATH, &[]).await;
    assert_eq!(status, 200);
    page.unwrap()
}

fn app_form(client_secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", CLIENT_ID.into()),
        ("client_secret", client_secret.into()),
        ("pipeline", "default".into()),
        ("stage", "appointmentscheduled".into()),
    ]
}

fn form_ref<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The admin's trip to HubSpot's consent screen and back: the `code` and `state` HubSpot's
/// redirect carries, and the page the portal shows there.
async fn consent(
    admin: &reqwest::Client,
    server: &TestServer,
    client_secret: &str,
) -> (String, String, String) {
    let form = app_form(client_secret);
    let (status, url) =
        invoke::<String>(admin, server, StartHubspotOauth::PATH, &form_ref(&form)).await;
    assert_eq!(status, 200);
    let url = url.unwrap();
    let hubspot = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = hubspot.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 302, "{}", answer.text().await.unwrap());
    let back = answer.headers()["location"].to_str().unwrap().to_string();
    let back = reqwest::Url::parse(&back).unwrap();
    assert_eq!(back.path(), "/crm/hubspot/authorised");
    let query: std::collections::BTreeMap<String, String> =
        back.query_pairs().into_owned().collect();
    let html = admin
        .get(server.url(&format!(
            "/crm/hubspot/authorised?{}",
            back.query().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (query["code"].clone(), query["state"].clone(), html)
}

async fn connection(server: &TestServer) -> app::server::repo::crm::Connection {
    app::server::repo::crm::live_connection(&server.server.state.db, CrmKind::Hubspot)
        .await
        .unwrap()
        .expect("a HubSpot connection")
}

async fn user_id(server: &TestServer, email: &str) -> i64 {
    count(
        server,
        &format!("SELECT id FROM users WHERE email = '{email}'"),
    )
    .await
}

async fn change(server: &TestServer, kind: SyncKind, id: i64) {
    app::server::repo::crm::enqueue(&server.server.state.db.write, kind, id, "test", 0)
        .await
        .unwrap();
}

async fn an_admin_connects_hubspot_with_oauth_and_the_portal_renews_its_access(backend: Backend) {
    let fake = FakeHubSpot::new("pat-not-used-here");
    let base = fake.start().await;
    let authorize = format!("{base}/oauth/authorize");
    let server = TestServer::start_with(
        backend,
        &[
            "--hubspot-api-base",
            &base,
            "--hubspot-authorize-url",
            &authorize,
            "--crm-sync-interval-secs",
            "86400",
        ],
    )
    .await;
    let state = &server.server.state;
    let admin = sign_in(&server, ADMIN).await;
    let overview = page(&admin, &server).await;
    assert!(overview
        .hubspot_redirect_uri
        .ends_with("/crm/hubspot/authorised"));
    fake.enable_oauth(
        CLIENT_ID,
        CLIENT_SECRET,
        &overview.hubspot_redirect_uri,
        Duration::from_secs(1800),
    );

    // The CRM page's policy lets its form go to HubSpot's consent screen, and nowhere else.
    let html = admin.get(server.url("/crm")).send().await.unwrap();
    let policy = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains(&format!("form-action 'self' {base};")),
        "{policy}"
    );

    // Only vendor admins start or finish a consent; an incomplete app is a field error.
    let manager = sign_in(&server, MANAGER).await;
    let form = app_form(CLIENT_SECRET);
    assert_eq!(
        call(&manager, &server, StartHubspotOauth::PATH, &form_ref(&form))
            .await
            .status(),
        403
    );
    let (status, refused) = invoke::<String>(
        &admin,
        &server,
        StartHubspotOauth::PATH,
        &[
            ("client_id", ""),
            ("client_secret", "has space"),
            ("pipeline", "default"),
            ("stage", "s"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(refused.field_message("client_id").is_some());
    assert!(refused.field_message("client_secret").is_some());
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_oauth_starts").await,
        0
    );

    // A plain form post (no script) is redirected to HubSpot's consent screen, which sends
    // the admin back to the portal's page with a one-time code.
    let posted = admin
        .post(server.url(StartHubspotOauth::PATH))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 302);
    let to_hubspot = posted.headers()["location"].to_str().unwrap().to_string();
    assert!(to_hubspot.starts_with(&format!("{authorize}?client_id={CLIENT_ID}&")));
    assert!(to_hubspot.contains("&code_challenge_method=S256"));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let from_hubspot = browser.get(&to_hubspot).send().await.unwrap();
    assert_eq!(from_hubspot.status(), 302);
    let back = reqwest::Url::parse(from_hubspot.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(back.path(), "/crm/hubspot/authorised");
    let query: std::collections::BTreeMap<String, String> =
        back.query_pairs().into_owned().collect();
    let (code, consent_state) = (query["code"].clone(), query["state"].clone());
    let page_back = admin
        .get(server.url(&format!(
            "/crm/hubspot/authorised?{}",
            back.query().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page_back.status(), 200);
    let html = page_back.text().await.unwrap();
    assert!(html.contains("Finish connecting HubSpot"), "{html}");
    assert!(html.contains(&format!("value=\"{code}\"")));
    // Opening the page wrote nothing; the state is kept only as a hash, the secret sealed.
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        0
    );
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM crm_oauth_starts WHERE state_hash = '{consent_state}' OR client_secret_sealed LIKE '%{CLIENT_SECRET}%'")
        )
        .await,
        0
    );

    // Someone else's session cannot finish it, a tampered state or code changes nothing.
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        FinishHubspotOauth::PATH,
        &[("code", &code), ("state", &consent_state)],
    )
    .await;
    assert_eq!(status, 403);
    for (bad_code, bad_state, says) in [
        (code.as_str(), "0000", "expired"),
        (code.as_str(), "\"><script>", "not an answer"),
        ("", consent_state.as_str(), "not an answer"),
    ] {
        let (status, refused) = invoke::<()>(
            &admin,
            &server,
            FinishHubspotOauth::PATH,
            &[("code", bad_code), ("state", bad_state)],
        )
        .await;
        assert_eq!(status, 422, "{bad_state}");
        let message = refused.unwrap_err().field_message("code").unwrap();
        assert!(message.contains(says), "{message}");
    }
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        0
    );

    // Finishing exchanges the code (with the verifier) for tokens, tries them and saves.
    let (status, done) = invoke::<()>(
        &admin,
        &server,
        FinishHubspotOauth::PATH,
        &[("code", &code), ("state", &consent_state)],
    )
    .await;
    assert_eq!((status, done.is_ok()), (200, true), "{done:?}");
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!(view.state, ConnectionState::Connected);
    assert!(view.oauth);
    assert_eq!(view.client_id, CLIENT_ID);
    assert_eq!(fake.token_requests(), (1, 0));
    let sealed: (String, String) =
        sqlx::query_as("SELECT secret_sealed, session_sealed FROM crm_connections")
            .fetch_one(&state.db.read)
            .await
            .unwrap();
    assert!(
        !sealed.0.contains("rt-") && !sealed.0.contains(CLIENT_SECRET) && !sealed.1.contains("at-")
    );
    // Used once: the same answer again is refused.
    let (status, _) = invoke::<()>(
        &admin,
        &server,
        FinishHubspotOauth::PATH,
        &[("code", &code), ("state", &consent_state)],
    )
    .await;
    assert_eq!(status, 422);

    // The program reaches HubSpot with the access token.
    for path in [InstallHubspotProperties::PATH, StartHubspotBackfill::PATH] {
        assert_eq!(
            call(&admin, &server, path, &[]).await.status(),
            200,
            "{path}"
        );
    }
    sync(&server, 20).await;
    let contacts = fake.records("contacts").len();
    assert!(contacts > 0);
    assert_eq!(fake.token_requests(), (1, 0), "no refresh needed yet");

    // 26 minutes later the token is about to expire: four workers at once refresh it once,
    // before calling, and every change still goes out once.
    state.clock.advance(26 * 60_000);
    let nora = user_id(&server, NORA).await;
    change(&server, SyncKind::Contact, nora).await;
    let http = app::server::crm::hubspot::http_client();
    let runs = futures_four(&server, &http).await;
    assert_eq!(fake.token_requests().1, 1, "one refresh for four workers");
    assert_eq!(runs.iter().map(|run| run.written).sum::<usize>(), 1);
    assert!(!fake
        .requests()
        .iter()
        .any(|(_, path)| path.contains("/oauth/v1/")));

    // HubSpot ends the token early: the 401 is followed by one refresh and the batch again.
    fake.expire_access_tokens();
    change(&server, SyncKind::Contact, nora).await;
    let run = sync(&server, 3).await;
    assert_eq!((run.written, run.refused), (1, 0), "{run:?}");
    assert_eq!(fake.token_requests().1, 2);
    assert_eq!(connection(&server).await.state, ConnectionState::Connected);

    // The app is uninstalled: the refresh is refused, the queue stops with nothing lost, the
    // admins are told once, and no storm of requests follows.
    fake.revoke_refresh_tokens();
    fake.expire_access_tokens();
    change(&server, SyncKind::Contact, nora).await;
    let before = fake.requests().len();
    sync(&server, 3).await;
    let view = page(&admin, &server).await.hubspot.unwrap();
    assert_eq!(view.state, ConnectionState::NeedsReauth);
    assert!(
        view.last_error
            .as_deref()
            .unwrap()
            .contains("invalid_grant"),
        "{:?}",
        view.last_error
    );
    assert!(view.waiting >= 1);
    assert!(
        fake.requests().len() - before <= 3,
        "{:?}",
        &fake.requests()[before..]
    );
    let told = "SELECT COUNT(*) FROM email_outbox WHERE subject = 'HubSpot sync stopped: connect HubSpot again'";
    let admins = "SELECT COUNT(*) FROM users WHERE role = 'vendor_admin' AND disabled_at IS NULL";
    assert_eq!(count(&server, told).await, count(&server, admins).await);
    let quiet = fake.requests().len();
    sync(&server, 2).await;
    assert_eq!(fake.requests().len(), quiet, "stopped");
    assert_eq!(
        count(&server, told).await,
        count(&server, admins).await,
        "told once"
    );

    // Connecting with HubSpot again resumes the same connection and its queue.
    let (code, consent_state, _) = consent(&admin, &server, CLIENT_SECRET).await;
    let (status, _) = invoke::<()>(
        &admin,
        &server,
        FinishHubspotOauth::PATH,
        &[("code", &code), ("state", &consent_state)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM crm_connections").await,
        1
    );
    let run = sync(&server, 3).await;
    assert_eq!(run.written, 1, "{run:?}");
    assert_eq!(page(&admin, &server).await.hubspot.unwrap().waiting, 0);

    // Nora's record's sync history: where she is in HubSpot and every attempt, for admins.
    let id = nora.to_string();
    let (status, history) = invoke::<SyncHistory>(
        &admin,
        &server,
        LoadSyncHistory::PATH,
        &[("kind", "contact"), ("entity_id", &id)],
    )
    .await;
    assert_eq!(status, 200);
    let history = history.unwrap();
    assert_eq!(history.record, format!("Nora Quist <{NORA}>"));
    assert_eq!(history.places.len(), 1);
    assert!(history.places[0].crm_id.is_some());
    assert_eq!(
        history.places[0].queue_state,
        Some(app::domain::crm::OutboxState::Done)
    );
    assert!(
        history
            .entries
            .iter()
            .filter(|e| e.outcome == "written")
            .count()
            >= 4
    );
    let html = admin
        .get(server.url(&format!("/crm/history/contact/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Nora Quist &lt;nora@northwind.example&gt;"),
        "escaped"
    );
    // Any record is found by name for its history; LIKE's wildcards match only themselves.
    let find = |client: reqwest::Client, text: &'static str| {
        let server = &server;
        async move {
            invoke::<Vec<RecordMatch>>(&client, server, FindSyncRecords::PATH, &[("text", text)])
                .await
        }
    };
    let (status, found) = find(admin.clone(), "NORA").await;
    assert_eq!(status, 200);
    assert!(found
        .unwrap()
        .iter()
        .any(|m| m.kind == SyncKind::Contact && m.entity_id == nora));
    let (_, found) = find(admin.clone(), "northwind").await;
    let found = found.unwrap();
    assert!(found.iter().any(|m| m.kind == SyncKind::Company));
    assert!(found.iter().any(|m| m.kind == SyncKind::Contact));
    assert_eq!(find(admin.clone(), "_%").await.1.unwrap(), vec![]);
    assert_eq!(find(admin.clone(), "x").await.0, 422);
    let html = admin
        .get(server.url("/crm/history?q=nora"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/crm/history/contact/{nora}\"")),
        "{html}"
    );
    let partner = sign_in(&server, NORA).await;
    assert_eq!(find(partner.clone(), "nora").await.0, 403);
    for (client, kind, entity, expected) in [
        (&partner, "contact", id.as_str(), 403),
        (&admin, "nonsense", id.as_str(), 404),
        (&admin, "contact", "999999", 404),
    ] {
        let (status, _) = invoke::<SyncHistory>(
            client,
            &server,
            LoadSyncHistory::PATH,
            &[("kind", kind), ("entity_id", entity)],
        )
        .await;
        assert_eq!(status, expected, "{kind} {entity}");
    }
    server.stop().await;
}

/// Four sync workers at once, as four instances would run them.
async fn futures_four(
    server: &TestServer,
    http: &reqwest::Client,
) -> Vec<app::server::crm::sync::SyncRun> {
    let state = &server.server.state;
    let (a, b, c, d) = tokio::join!(
        app::server::crm::sync::run(state, http),
        app::server::crm::sync::run(state, http),
        app::server::crm::sync::run(state, http),
        app::server::crm::sync::run(state, http),
    );
    vec![a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()]
}

both_backends!(an_admin_connects_hubspot_with_oauth_and_the_portal_renews_its_access,);
