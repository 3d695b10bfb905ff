//! Resetting the shared demo deployment, over HTTP on SQLite and PostgreSQL: admins only,
//! confirmed by typing RESET (anything else changes nothing), visitors' data gone and the
//! demo program back as a fresh start has it, everyone signed out, and the demo usable at
//! once (its accounts sign in, the insights read the new data).
mod common;

use app::api::auth::CurrentUser;
use app::api::dev::ResetDemoData;
use app::model::SessionUser;
use common::deals::{form, register};
use common::{invoke, sign_in, Backend, ServerFn, TestServer};

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const NORA: &str = "nora@northwind.example";

async fn count(server: &TestServer, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

async fn counts(server: &TestServer) -> Vec<i64> {
    let mut all = Vec::new();
    for table in [
        "users",
        "partner_orgs",
        "deals",
        "learning_paths",
        "certificates",
        "tier_policies",
        "standing_baseline",
        "program_integrations",
    ] {
        all.push(count(server, table).await);
    }
    all
}

async fn reset(client: &reqwest::Client, server: &TestServer, confirm: &str) -> u16 {
    invoke::<()>(client, server, ResetDemoData::PATH, &[("confirm", confirm)])
        .await
        .0
}

async fn an_admin_resets_the_demo_to_a_fresh_start(backend: Backend) {
    let server = TestServer::start(backend).await;
    let fresh = counts(&server).await;

    // A visitor's test data.
    let nora = sign_in(&server, NORA).await;
    let (status, _) = register(
        &nora,
        &server,
        form(
            "Visitor Test Corp",
            "visitortest.example",
            "1000",
            "just trying",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(count(&server, "deals").await, fresh[2] + 1);

    // Managers may not; a wrong confirmation is named at its field and deletes nothing.
    let manager = sign_in(&server, MANAGER).await;
    assert_eq!(reset(&manager, &server, "RESET").await, 403);
    let admin = sign_in(&server, ADMIN).await;
    let (status, refused) = invoke::<()>(
        &admin,
        &server,
        ResetDemoData::PATH,
        &[("confirm", "reset")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("confirm").is_some());
    assert_eq!(count(&server, "deals").await, fresh[2] + 1);

    // The plain form post resets and lands on the sign-in page, which says so.
    let response = admin
        .post(server.url(ResetDemoData::PATH))
        .header("accept", "text/html")
        .form(&[("confirm", " RESET ")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/login?reset=1");
    assert_eq!(
        counts(&server).await,
        fresh,
        "the demo as a fresh start has it"
    );
    let (visitor,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deals WHERE account_id IN (SELECT id FROM accounts WHERE name = $1)",
    )
    .bind("Visitor Test Corp")
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    assert_eq!(visitor, 0, "the visitor's deal is gone");

    // Everyone is signed out, the admin too; the demo accounts work at once.
    for client in [&admin, &nora, &manager] {
        let (status, user) =
            invoke::<Option<SessionUser>>(client, &server, CurrentUser::PATH, &[]).await;
        assert_eq!((status, user), (200, Ok(None)));
    }
    let again = sign_in(&server, NORA).await;
    let page = common::html_of(&again, &server, "/deals").await;
    assert!(!page.contains("Visitor Test Corp"));
    let page = common::html_of(&sign_in(&server, ADMIN).await, &server, "/login?reset=1").await;
    assert!(page.contains("The demo data was reset"));
    server.stop().await;
}

both_backends!(an_admin_resets_the_demo_to_a_fresh_start);
