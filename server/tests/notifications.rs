//! Notification preferences and Slack, on SQLite and PostgreSQL. Slack is a local fake that
//! follows the incoming-webhook contract (POST JSON with `text`; `200 ok`, or `400
//! invalid_payload`); it fails its first request so the retry with back-off is exercised.
mod common;

use app::api::certifications::RevokeCertificate;
use app::api::notifications::{LoadNotificationSettings, SaveSlackWebhook};
use app::domain::notifications::Event;
use app::model::NotificationSettings;
use axum::http::StatusCode;
use common::{call, invoke, save_email_choices, sign_in, Backend, ServerFn, TestServer};
use std::sync::{Arc, Mutex};

const ADMIN: &str = "admin@lumen.example";
const NORA: &str = "nora@northwind.example";
const TOMAS: &str = "tomas@northwind.example";

/// A stand-in for Slack's incoming webhooks: records every request; answers 500 to the
/// first, then as Slack does.
#[derive(Clone, Default)]
struct FakeSlack {
    requests: Arc<Mutex<Vec<serde_json::Value>>>,
    delivered: Arc<Mutex<Vec<String>>>,
}

impl FakeSlack {
    async fn start(&self) -> String {
        let fake = self.clone();
        let app = axum::Router::new().route(
            "/services/T000/B000/secret",
            axum::routing::post(move |body: String| {
                let fake = fake.clone();
                async move { fake.receive(&body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}/services/T000/B000/secret")
    }

    fn receive(&self, body: &str) -> (StatusCode, &'static str) {
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let first = {
            let mut requests = self.requests.lock().unwrap();
            requests.push(parsed.clone());
            requests.len() == 1
        };
        if first {
            return (StatusCode::INTERNAL_SERVER_ERROR, "try again");
        }
        match parsed["text"].as_str() {
            Some(text) if !text.is_empty() => {
                self.delivered.lock().unwrap().push(text.to_string());
                (StatusCode::OK, "ok")
            }
            _ => (StatusCode::BAD_REQUEST, "invalid_payload"),
        }
    }

    fn delivered(&self) -> Vec<String> {
        self.delivered.lock().unwrap().clone()
    }
}

async fn recipients(server: &TestServer, subject: &str) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT to_address FROM email_outbox WHERE subject = $1")
            .bind(subject)
            .fetch_all(&server.server.state.db.read)
            .await
            .unwrap();
    rows.into_iter().map(|(to,)| to).collect()
}

async fn muted_people_get_no_email_and_slack_hears_each_event_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let slack = FakeSlack::default();
    let webhook = slack.start().await;

    // Only admins set the webhook, and only to an address Slack would give.
    let admin = sign_in(&server, ADMIN).await;
    let (status, refused) = invoke::<()>(
        &admin,
        &server,
        SaveSlackWebhook::PATH,
        &[("url", "http://hooks.slack.com/services/x")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused
        .unwrap_err()
        .field_message("slack_webhook")
        .unwrap()
        .contains("https://"));
    let nora = sign_in(&server, NORA).await;
    assert_eq!(
        call(&nora, &server, SaveSlackWebhook::PATH, &[("url", &webhook)])
            .await
            .status(),
        403
    );
    let (status, _) = invoke::<()>(
        &admin,
        &server,
        SaveSlackWebhook::PATH,
        &[("url", &webhook)],
    )
    .await;
    assert_eq!(status, 200);
    // The address is a bearer secret: sealed at rest, and the page shows only its end.
    let (stored,): (String,) =
        sqlx::query_as("SELECT slack_webhook_url FROM program_integrations WHERE id = 1")
            .fetch_one(&server.server.state.db.read)
            .await
            .unwrap();
    assert!(
        !stored.contains("http") && !stored.contains("/hooks"),
        "{stored}"
    );
    let (_, shown) =
        invoke::<NotificationSettings>(&admin, &server, LoadNotificationSettings::PATH, &[]).await;
    let shown = shown.unwrap().slack_webhook.unwrap();
    assert!(shown.starts_with('…') && webhook.ends_with(shown.trim_start_matches('…')));
    assert!(!shown.contains("127.0.0.1"), "{shown}");
    // One saved before webhooks were sealed still posts, and start-up seals it.
    sqlx::query("UPDATE program_integrations SET slack_webhook_url = $1 WHERE id = 1")
        .bind(&webhook)
        .execute(&state.db.write)
        .await
        .unwrap();
    let key = &state.settings.secret_key;
    let notifications = app::server::repo::notifications::slack_webhook;
    assert_eq!(
        notifications(&state.db, key).await.unwrap(),
        Some(webhook.clone())
    );
    let seal = app::server::repo::notifications::seal_plain_slack_webhook;
    assert!(seal(&state.db, key, 0).await.unwrap());
    assert!(!seal(&state.db, key, 0).await.unwrap(), "sealed once");
    assert_eq!(
        notifications(&state.db, key).await.unwrap(),
        Some(webhook.clone())
    );

    // Nora turns tier news off; everything else stays on.
    let (_, settings) =
        invoke::<NotificationSettings>(&nora, &server, LoadNotificationSettings::PATH, &[]).await;
    let settings = settings.unwrap();
    assert!(
        settings.slack_webhook.is_none(),
        "partners never see the webhook"
    );
    assert!(settings.choices.iter().all(|(_, on)| *on));
    assert!(!settings
        .choices
        .iter()
        .any(|(event, _)| *event == Event::SlaBreached));
    let enabled: Vec<Event> = settings
        .choices
        .iter()
        .map(|(event, _)| *event)
        .filter(|event| *event != Event::TierChanged)
        .collect();
    save_email_choices(&nora, &server, &enabled).await;
    let (_, settings) =
        invoke::<NotificationSettings>(&nora, &server, LoadNotificationSettings::PATH, &[]).await;
    assert!(settings
        .unwrap()
        .choices
        .contains(&(Event::TierChanged, false)));

    // Tomas's certificate is revoked: Northwind drops to Silver and loses two rights.
    let (certificate,): (i64,) = sqlx::query_as(
        "SELECT c.id FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.email = $1",
    )
    .bind(TOMAS)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    let response = call(
        &admin,
        &server,
        RevokeCertificate::PATH,
        &[
            ("certificate_id", &certificate.to_string()),
            ("reason", "Left Northwind; certificate withdrawn."),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let subject = "Northwind Resellers is now Silver (was Gold)";
    let told = recipients(&server, subject).await;
    assert!(told.iter().any(|t| t == TOMAS), "{told:?}");
    assert!(!told.iter().any(|t| t == NORA), "Nora turned tier news off");

    // Slack gets each of the three changes once, the first after a failed attempt and a
    // retry. Two senders at once (and the server's own job) never post one twice.
    let client = reqwest::Client::new();
    for _ in 0..4 {
        let (a, b) = tokio::join!(
            server::jobs::run_slack_delivery(state, &client),
            server::jobs::run_slack_delivery(state, &client)
        );
        a.unwrap();
        b.unwrap();
        state.clock.advance(31_000);
    }
    let delivered = slack.delivered();
    assert_eq!(delivered.len(), 3, "{delivered:?}");
    assert_eq!(delivered.iter().filter(|text| *text == subject).count(), 1);
    assert!(delivered
        .iter()
        .any(|text| text == "Northwind Resellers: Selling Lumen Connect withdrawn"));
    let (pending, retried): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*) - COUNT(sent_at), COALESCE(MAX(attempts), 0) FROM slack_outbox",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!((pending, retried), (0, 2));
    server.stop().await;
}

both_backends!(muted_people_get_no_email_and_slack_hears_each_event_once);
