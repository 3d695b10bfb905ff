//! CRM test helpers shared by the HubSpot and Salesforce tests.
use super::TestServer;

/// Runs the CRM worker until it has nothing due (at most `rounds` runs).
pub async fn sync(server: &TestServer, rounds: usize) -> app::server::crm::sync::SyncRun {
    let http = app::server::crm::hubspot::http_client();
    let mut total = app::server::crm::sync::SyncRun::default();
    for _ in 0..rounds {
        let run = app::server::crm::sync::run(&server.server.state, &http)
            .await
            .expect("sync runs");
        let idle = run.requests == 0;
        total.requests += run.requests;
        total.written += run.written;
        total.refused += run.refused;
        total.retried += run.retried;
        total.slowed += run.slowed;
        if idle {
            break;
        }
    }
    total
}

/// One count from the database.
pub async fn count(server: &TestServer, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

/// Connects HubSpot with `token` as an admin does (the token, the deal pipeline and stage),
/// installs the properties and queues the first full sync; returns the admin's client.
pub async fn connect_hubspot(server: &TestServer, token: &str) -> reqwest::Client {
    use super::ServerFn;
    use app::api::crm::{ConnectHubspot, InstallHubspotProperties, StartHubspotBackfill};
    let admin = super::sign_in(server, "admin@lumen.example").await;
    let connect = [
        ("token", token),
        ("pipeline", "default"),
        ("stage", "appointmentscheduled"),
    ];
    for (path, args) in [
        (ConnectHubspot::PATH, &connect[..]),
        (InstallHubspotProperties::PATH, &[]),
        (StartHubspotBackfill::PATH, &[]),
    ] {
        assert_eq!(
            super::call(&admin, server, path, args).await.status(),
            200,
            "{path}"
        );
    }
    admin
}

/// Runs the worker until no row of `kind` waits (the background worker, woken by the change,
/// may hold one for a moment), within 10 s.
pub async fn sync_until_sent(server: &TestServer, kind: &str) {
    for _ in 0..100 {
        sync(server, 5).await;
        let waiting = count(
            server,
            &format!("SELECT COUNT(*) FROM crm_outbox WHERE kind = '{kind}' AND state = 'pending'"),
        )
        .await;
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{kind} rows still wait after 10 s");
}
