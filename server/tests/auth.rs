//! Sign-in, sessions, magic links and rate limits over real HTTP, on both databases.
mod common;

use app::api::auth::{
    CurrentUser, LoginWithPassword, LogoutEverywhere, RedeemMagicLink, RequestMagicLink,
};
use app::error::AppError;
use app::model::SessionUser;
use common::{call, invoke, reply, sign_in, Backend, ServerFn, TestServer, PASSWORD};

const PARTNER: &str = "nora@northwind.example";

async fn whoami(server: &TestServer, client: &reqwest::Client) -> Option<SessionUser> {
    let (status, user) =
        invoke::<Option<SessionUser>>(client, server, CurrentUser::PATH, &[]).await;
    assert_eq!(status, 200);
    user.expect("current_user never fails")
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pp_session="))
        .expect("session cookie set")
        .to_string()
}

async fn password_sign_in_sets_a_safe_cookie_and_rotates_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = server.client();
    assert_eq!(whoami(&server, &client).await, None);

    let first = call(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[
            ("email", " Nora@Northwind.example "),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(first.status(), 200);
    let cookie = session_cookie(&first);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let user = whoami(&server, &client).await.expect("signed in");
    assert_eq!(user.email, PARTNER);
    assert_eq!(
        user.partner_org_name.as_deref(),
        Some("Northwind Resellers")
    );

    // Signing in again issues a new token and ends the old session.
    let old_token = cookie.split(';').next().unwrap().to_string();
    let second = call(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[("email", PARTNER), ("password", PASSWORD)],
    )
    .await;
    let new_token = session_cookie(&second)
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(old_token, new_token);
    let replay = reqwest::Client::new()
        .post(server.url(CurrentUser::PATH))
        .header("origin", server.server.url())
        .header("cookie", old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply::<Option<SessionUser>>(replay).await.1,
        Ok(None),
        "old session no longer works"
    );
    server.stop().await;
}

async fn wrong_credentials_give_one_field_error_for_known_and_unknown_emails(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = server.client();
    let known = invoke::<String>(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[("email", PARTNER), ("password", "nope")],
    )
    .await;
    let unknown = invoke::<String>(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[("email", "ghost@nowhere.example"), ("password", "nope")],
    )
    .await;
    assert_eq!(known.0, 422);
    assert_eq!(
        known, unknown,
        "the answer does not reveal whether the email exists"
    );
    assert!(known.1.unwrap_err().field_message("password").is_some());

    let malformed = invoke::<String>(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[("email", "not-an-email"), ("password", "x")],
    )
    .await;
    assert_eq!(malformed.0, 422);
    assert!(malformed.1.unwrap_err().field_message("email").is_some());
    assert_eq!(whoami(&server, &client).await, None, "nothing changed");
    server.stop().await;
}

async fn repeated_failures_are_rate_limited(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = server.client();
    for _ in 0..5 {
        let (status, _) = invoke::<String>(
            &client,
            &server,
            LoginWithPassword::PATH,
            &[("email", PARTNER), ("password", "wrong")],
        )
        .await;
        assert_eq!(status, 422);
    }
    let (status, result) = invoke::<String>(
        &client,
        &server,
        LoginWithPassword::PATH,
        &[("email", PARTNER), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        status, 429,
        "even the right password waits once the limit is reached"
    );
    assert!(
        matches!(result, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0)
    );
    assert_eq!(whoami(&server, &client).await, None);

    // Other accounts are unaffected, and the window passes.
    assert_eq!(
        invoke::<String>(
            &client,
            &server,
            LoginWithPassword::PATH,
            &[("email", "ben@bluefin.example"), ("password", PASSWORD)]
        )
        .await
        .0,
        200
    );
    server.server.state.clock.advance(16 * 60 * 1000);
    assert_eq!(
        invoke::<String>(
            &client,
            &server,
            LoginWithPassword::PATH,
            &[("email", PARTNER), ("password", PASSWORD)]
        )
        .await
        .0,
        200
    );

    for _ in 0..3 {
        assert_eq!(
            request_link(&client, &server, &[("email", PARTNER)])
                .await
                .0,
            200
        );
    }
    let (status, _) = invoke::<()>(
        &client,
        &server,
        RequestMagicLink::PATH,
        &[("email", PARTNER)],
    )
    .await;
    assert_eq!(status, 429, "link requests are limited too");
    server.stop().await;
}

async fn request_link(
    client: &reqwest::Client,
    server: &TestServer,
    args: &[(&str, &str)],
) -> (u16, Result<(), AppError>) {
    invoke::<()>(client, server, RequestMagicLink::PATH, args).await
}

/// The token of the newest sign-in link emailed to `email`, read from the outbox.
async fn latest_link_token(server: &TestServer, email: &str) -> String {
    let emails = app::server::repo::outbox::recent(&server.server.state.db, 20)
        .await
        .unwrap();
    let email = emails
        .iter()
        .find(|e| e.to_address == email)
        .expect("an email was queued");
    token_in(&email.body_text)
}

fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("link in email") + 6;
    text[start..start + 64].to_string()
}

async fn magic_links_are_single_use_and_expire(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = server.client();
    let (status, _) = invoke::<()>(
        &client,
        &server,
        RequestMagicLink::PATH,
        &[("email", PARTNER), ("next", "/my-org")],
    )
    .await;
    assert_eq!(status, 200);
    let token = latest_link_token(&server, PARTNER).await;

    // Opening the link (GET) shows a button and changes nothing.
    let page = client
        .get(server.url(&format!("/auth/magic?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(whoami(&server, &client).await, None);

    let (status, to) = invoke::<String>(
        &client,
        &server,
        RedeemMagicLink::PATH,
        &[("token", &token)],
    )
    .await;
    assert_eq!((status, to), (200, Ok("/my-org".to_string())));
    assert_eq!(
        whoami(&server, &client).await.map(|u| u.email).as_deref(),
        Some(PARTNER)
    );

    let other = server.client();
    let (status, reused) =
        invoke::<String>(&other, &server, RedeemMagicLink::PATH, &[("token", &token)]).await;
    assert_eq!(status, 422);
    assert!(reused.unwrap_err().field_message("token").is_some());
    assert_eq!(whoami(&server, &other).await, None);

    // A link older than 15 minutes is refused.
    assert_eq!(
        request_link(&other, &server, &[("email", PARTNER)]).await.0,
        200
    );
    let stale = latest_link_token(&server, PARTNER).await;
    server.server.state.clock.advance(15 * 60 * 1000 + 1);
    let (status, _) =
        invoke::<String>(&other, &server, RedeemMagicLink::PATH, &[("token", &stale)]).await;
    assert_eq!(status, 422);
    assert_eq!(whoami(&server, &other).await, None);

    // Unknown addresses get the same answer and no email.
    let before = app::server::repo::outbox::recent(&server.server.state.db, 100)
        .await
        .unwrap()
        .len();
    let (status, _) = invoke::<()>(
        &other,
        &server,
        RequestMagicLink::PATH,
        &[("email", "ghost@nowhere.example")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        app::server::repo::outbox::recent(&server.server.state.db, 100)
            .await
            .unwrap()
            .len(),
        before
    );

    // Garbage tokens are refused without a server error.
    let (status, _) = invoke::<String>(
        &other,
        &server,
        RedeemMagicLink::PATH,
        &[("token", "'; DROP TABLE users; --")],
    )
    .await;
    assert_eq!(status, 422);
    server.stop().await;
}

async fn sessions_end_when_idle_and_everywhere_on_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let phone = sign_in(&server, PARTNER).await;
    let laptop = sign_in(&server, PARTNER).await;
    assert!(whoami(&server, &phone).await.is_some());
    let (status, ended) = invoke::<u64>(&laptop, &server, LogoutEverywhere::PATH, &[]).await;
    assert_eq!((status, ended), (200, Ok(2)));
    assert_eq!(whoami(&server, &phone).await, None);
    assert_eq!(whoami(&server, &laptop).await, None);

    let desk = sign_in(&server, PARTNER).await;
    server.server.state.clock.advance(13 * 60 * 60 * 1000);
    assert_eq!(
        whoami(&server, &desk).await,
        None,
        "idle timeout of 12 hours"
    );
    server.stop().await;
}

async fn emails_are_delivered_through_smtp(backend: Backend) {
    let sink = common::smtp::SmtpSink::start().await;
    let server = sink.server(backend, &["--smtp-tls", "none"]).await;
    let client = server.client();
    assert_eq!(
        request_link(&client, &server, &[("email", PARTNER)])
            .await
            .0,
        200
    );
    let mail = sink.wait_for_message().await;
    assert_eq!(mail.recipients, vec![PARTNER.to_string()]);
    assert!(mail.data.contains("Subject: Your sign-in link"));
    let token = token_in(&decode_quoted_printable(&mail.data));
    let (status, _) = invoke::<String>(
        &client,
        &server,
        RedeemMagicLink::PATH,
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 200, "the emailed link signs in");
    let sent = app::server::repo::outbox::recent(&server.server.state.db, 5)
        .await
        .unwrap();
    assert!(sent[0].sent_at.is_some(), "outbox records the delivery");
    server.stop().await;
}

/// Undoes quoted-printable soft line breaks and escapes (RFC 2045), enough for ASCII bodies.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.by_ref().take(2).collect();
            out.push(u8::from_str_radix(&hex, 16).map(char::from).unwrap_or('?'));
        } else {
            out.push(c);
        }
    }
    out
}

async fn housekeeping_removes_only_dead_rows_and_seeding_happens_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let client = server.client();
    assert_eq!(
        request_link(&client, &server, &[("email", PARTNER)])
            .await
            .0,
        200
    );
    let count = |table: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&state.db.read)
            .await
            .unwrap();
        n
    };
    assert_eq!(
        (count("magic_links").await, count("rate_limit_events").await),
        (1, 2)
    );
    server::jobs::run_housekeeping(state).await.unwrap();
    assert_eq!(
        (count("magic_links").await, count("rate_limit_events").await),
        (1, 2),
        "live rows stay"
    );
    state.clock.advance(25 * 60 * 60 * 1000);
    server::jobs::run_housekeeping(state).await.unwrap();
    server::jobs::run_housekeeping(state).await.unwrap();
    assert_eq!(
        (count("magic_links").await, count("rate_limit_events").await),
        (0, 0)
    );
    // A spent link to one place is kept (hashed) for two weeks, so its owner can ask for a
    // fresh one; then it goes too.
    let (partner_id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(PARTNER)
        .fetch_one(&state.db.read)
        .await
        .unwrap();
    app::server::links::place_link(state, partner_id, "/announcements")
        .await
        .unwrap();
    state.clock.advance(25 * 60 * 60 * 1000);
    server::jobs::run_housekeeping(state).await.unwrap();
    assert_eq!(count("magic_links").await, 1, "kept for a fresh link");
    state
        .clock
        .advance(app::server::repo::magic_links::REISSUE_WITHIN_MS);
    server::jobs::run_housekeeping(state).await.unwrap();
    assert_eq!(count("magic_links").await, 0);

    let users = count("users").await;
    let seeded_again =
        app::server::seed::seed_demo_if_empty(&state.db, state.clock.now_ms(), false)
            .await
            .unwrap();
    assert!(!seeded_again);
    assert_eq!(count("users").await, users);
    server.stop().await;
}

both_backends!(
    housekeeping_removes_only_dead_rows_and_seeding_happens_once,
    password_sign_in_sets_a_safe_cookie_and_rotates_it,
    wrong_credentials_give_one_field_error_for_known_and_unknown_emails,
    repeated_failures_are_rate_limited,
    magic_links_are_single_use_and_expire,
    sessions_end_when_idle_and_everywhere_on_request,
    emails_are_delivered_through_smtp,
);
