//! Links straight to a module, over HTTP on SQLite and PostgreSQL: publishing a module emails
//! its audience a single-use, short-lived link; the session it starts opens that module and
//! nothing else; a spent link gets its owner a fresh one to the same place; a fully
//! signed-in browser keeps its full session.
mod common;

use app::api::auth::{CurrentUser, RedeemMagicLink, RequestFreshLink};
use app::api::channel::LoadMyPipeline;
use app::api::learning::{LoadCatalog, LoadPlayer};
use app::model::SessionUser;
use common::{call, invoke, path_id, sign_in, Backend, ServerFn, TestServer};

const INES: &str = "ines@northwind.example";

/// The token of the newest "New module" email to `to`.
async fn emailed_token(server: &TestServer, to: &str, title: &str) -> String {
    let (body,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE to_address = $1 AND subject = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .bind(format!("New module: {title}"))
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let start = body.find("/auth/magic?token=").expect("a link") + "/auth/magic?token=".len();
    body[start..start + 64].to_string()
}

async fn a_module_link_opens_that_module_once_and_nothing_else(backend: Backend) {
    let server = TestServer::start(backend).await;
    let support = path_id(&server, "Support Readiness").await;
    let sales = path_id(&server, "Sales Certification").await;
    common::republish(&server, support).await;
    // Only the module's audience (support staff) was told.
    let (to_sales_people,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM email_outbox WHERE to_address = 'nora@northwind.example' AND subject LIKE 'New module:%'",
    )
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    assert_eq!(to_sales_people, 0);
    let token = emailed_token(&server, INES, "Support Readiness").await;

    // A browser with no session follows the link and lands in the module.
    let browser = server.client();
    let (status, to) = invoke::<String>(
        &browser,
        &server,
        RedeemMagicLink::PATH,
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(to.unwrap(), format!("/learn/{support}"));
    let (status, me) =
        invoke::<Option<SessionUser>>(&browser, &server, CurrentUser::PATH, &[]).await;
    assert_eq!(status, 200);
    let me = me.unwrap().unwrap();
    assert_eq!(me.email, INES);
    assert_eq!(me.scope, Some(format!("/learn/{support}")));
    let player = call(
        &browser,
        &server,
        LoadPlayer::PATH,
        &[("path_id", &support.to_string())],
    )
    .await;
    assert_eq!(player.status(), 200);

    // Everything else asks for a full sign-in.
    for (path, args) in [
        (LoadCatalog::PATH, vec![]),
        (LoadMyPipeline::PATH, vec![]),
        (LoadPlayer::PATH, vec![("path_id", sales.to_string())]),
    ] {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            call(&browser, &server, path, &args).await.status(),
            401,
            "{path}"
        );
    }

    // The link works once.
    let other = server.client();
    let (status, again) =
        invoke::<String>(&other, &server, RedeemMagicLink::PATH, &[("token", &token)]).await;
    assert_eq!(status, 422);
    assert!(again.unwrap_err().field_message("token").is_some());

    // A fresh link expires after its time to live (15 minutes).
    common::republish(&server, support).await;
    let late = emailed_token(&server, INES, "Support Readiness").await;
    assert_ne!(late, token);
    server
        .server
        .state
        .clock
        .advance(server.server.state.settings.magic_link_ttl_ms + 1);
    let (status, _) =
        invoke::<String>(&other, &server, RedeemMagicLink::PATH, &[("token", &late)]).await;
    assert_eq!(status, 422);

    // Read too late, the expired link gets its owner a fresh one to the same module. The
    // answer is the same for a link that was never ours, which sends nothing.
    let fresh_emails = || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM email_outbox WHERE to_address = $1 AND subject = 'Your fresh link'",
        )
        .bind(INES)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
        n
    };
    let stranger = server.client();
    let ask = |token: String| {
        let (stranger, server) = (&stranger, &server);
        async move {
            call(
                stranger,
                server,
                RequestFreshLink::PATH,
                &[("token", &token)],
            )
            .await
            .status()
        }
    };
    assert_eq!(ask(late.clone()).await, 200);
    assert_eq!(fresh_emails().await, 1);
    let (renewed, landed) = common::follow_emailed_link(&server, INES, "Your fresh link").await;
    assert_eq!(landed, format!("/learn/{support}"));
    common::assert_rest_needs_sign_in(&renewed, &server).await;
    assert_eq!(ask("ab".repeat(32)).await, 200);
    assert_eq!(ask("not a token".into()).await, 422);
    assert_eq!(
        fresh_emails().await,
        1,
        "nothing for a link that was never ours"
    );
    // Two weeks on, the old link is forgotten.
    server
        .server
        .state
        .clock
        .advance(app::server::repo::magic_links::REISSUE_WITHIN_MS);
    assert_eq!(ask(late.clone()).await, 200);
    assert_eq!(fresh_emails().await, 1);

    // Someone fully signed in who follows a link keeps their full session.
    common::republish(&server, support).await;
    let fresh = emailed_token(&server, INES, "Support Readiness").await;
    let signed_in = sign_in(&server, INES).await;
    let (status, _) = invoke::<String>(
        &signed_in,
        &server,
        RedeemMagicLink::PATH,
        &[("token", &fresh)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        call(&signed_in, &server, LoadCatalog::PATH, &[])
            .await
            .status(),
        200
    );
    server.stop().await;
}

both_backends!(a_module_link_opens_that_module_once_and_nothing_else);
