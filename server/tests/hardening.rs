//! Regression tests for the outside security review (issue 12), on SQLite and PostgreSQL
//! against the real HTTP server: text sinks that the renderer leaves raw, what pages may be
//! cached, the Content-Security-Policy, HTML shape, and reads that must not write.
mod common;

use common::learner::walk_path;
use common::{path_id, sign_in, Backend, ServerFn, TestServer};

const SUPPORT: &str = "ines@northwind.example";
// Grace holds no certificate in the demo, so completing the sales path earns her one.
const SALES: &str = "grace@harbor.example";
const ATTACK_TITLE: &str = "x </title><script>alert(1)</script>";
const ATTACK_TEXTAREA: &str = "</textarea><img src=x onerror=alert(1)>";

async fn page(client: &reqwest::Client, server: &TestServer, path: &str) -> reqwest::Response {
    client
        .get(server.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page loads")
}

/// The text between `<title>` and `</title>`.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("a closed title");
    &html[start..start + end]
}

async fn user_text_cannot_leave_title_or_textarea(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let learner = sign_in(&server, SUPPORT).await;
    let path = path_id(&server, "Support Readiness").await;
    walk_path(&learner, &server, path, false).await;
    // An author's titles (the same columns the editor and path import write) and the
    // learner's own survey comment, all hostile.
    sqlx::query("UPDATE learning_paths SET title = $1 WHERE id = $2")
        .bind(ATTACK_TITLE)
        .bind(path)
        .execute(&db.write)
        .await
        .unwrap();
    sqlx::query("UPDATE path_steps SET title = $1 WHERE path_id = $2")
        .bind(ATTACK_TITLE)
        .bind(path)
        .execute(&db.write)
        .await
        .unwrap();
    sqlx::query("UPDATE survey_responses SET comment = $1")
        .bind(ATTACK_TEXTAREA)
        .execute(&db.write)
        .await
        .unwrap();
    let (survey, attempt): (i64, i64) = sqlx::query_as(
        "SELECT s.id, (SELECT MAX(a.id) FROM quiz_attempts a JOIN path_steps q ON q.id = a.step_id \
         WHERE q.path_id = $1) FROM path_steps s WHERE s.path_id = $1 AND s.kind = 'survey'",
    )
    .bind(path)
    .fetch_one(&db.read)
    .await
    .unwrap();
    for url in [
        format!("/learn/{path}"),
        format!("/learn/{path}?step={survey}"),
        format!("/quiz/{attempt}"),
        "/learn".to_string(),
    ] {
        let response = page(&learner, &server, &url).await;
        assert_eq!(response.status(), 200, "{url}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>alert(1)") && !html.contains("<img src=x"),
            "{url} lets markup out of a text sink: {html}"
        );
        if url != "/learn" {
            let title = title_of(&html);
            assert!(
                title.starts_with("x &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
                    && title.ends_with(" · Partner Portal"),
                "{url}: {title}"
            );
        }
    }
    let survey_page = page(&learner, &server, &format!("/learn/{path}?step={survey}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        survey_page.contains("&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;</textarea>"),
        "the comment comes back as text: {survey_page}"
    );
    server.stop().await;
}

async fn personal_pages_are_never_stored_and_carry_a_nonce_policy(backend: Backend) {
    let server = TestServer::start(backend).await;
    let learner = sign_in(&server, SUPPORT).await;
    for url in ["/no/such/page", "/learn", "/login"] {
        let response = page(&learner, &server, url).await;
        let headers = response.headers().clone();
        assert_eq!(headers["cache-control"], "no-store", "{url}");
        assert!(
            headers.get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("cookie")),
            "{url}: {headers:?}"
        );
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce")
            .to_string();
        assert!(nonce.len() >= 22, "128 bits of nonce: {nonce}");
        let html = response.text().await.unwrap();
        // Every script on the page carries this response's nonce.
        let scripts = html.matches("<script").count();
        assert!(scripts >= 1);
        assert_eq!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count(),
            scripts,
            "{url}: {html}"
        );
        // Nothing after the document's end.
        assert!(html.trim_end().ends_with("</html>"), "{url}");
        let second = page(&learner, &server, url).await;
        assert_ne!(
            second.headers()["content-security-policy"],
            headers["content-security-policy"],
            "a fresh nonce per response"
        );
    }
    let api = learner
        .post(server.url(app::api::auth::CurrentUser::PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    let health = learner.get(server.url("/healthz")).send().await.unwrap();
    assert!(health.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    server.stop().await;
}

async fn https_deployments_send_hsts(backend: Backend) {
    let server =
        TestServer::start_with(backend, &["--public-url", "https://partners.example.com"]).await;
    let response = server
        .client()
        .get(server.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    server.stop().await;
}

/// Opening pages records nothing: a path whose every step is done but whose completion was
/// never written (the process stopped in between) stays as it is when the player and the
/// certificates page are opened; the certification job then records the completion, with
/// the last step's time, and issues the certificate.
async fn reading_pages_writes_nothing_and_the_job_heals(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let db = &state.db;
    let learner = sign_in(&server, SALES).await;
    let path = path_id(&server, "Sales Certification").await;
    let done_at = state.clock.now_ms() - 60_000;
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
         SELECT u.id, s.id, 0, $1, $1 FROM users u, path_steps s WHERE u.email = $2 AND s.path_id = $3",
    )
    .bind(done_at)
    .bind(SALES)
    .bind(path)
    .execute(&db.write)
    .await
    .unwrap();
    let count = |table: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {table} t JOIN users u ON u.id = t.user_id WHERE u.email = $1"
        ))
        .bind(SALES)
        .fetch_one(&db.read)
        .await
        .unwrap();
        n
    };
    let certificates_before = count("certificates").await;
    for url in [
        format!("/learn/{path}"),
        "/certificates".into(),
        "/learn".into(),
    ] {
        assert_eq!(page(&learner, &server, &url).await.status(), 200, "{url}");
    }
    assert_eq!(
        count("path_completions").await,
        0,
        "a GET recorded a completion"
    );
    assert_eq!(
        count("certificates").await,
        certificates_before,
        "a GET issued a certificate"
    );

    let run = server::jobs::run_certification_clock(state).await.unwrap();
    assert_eq!(count("path_completions").await, 1);
    let (completed_at,): (i64,) =
        sqlx::query_as("SELECT completed_at FROM path_completions WHERE path_id = $1")
            .bind(path)
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(completed_at, done_at);
    assert_eq!(
        count("certificates").await,
        certificates_before + 1,
        "the healed completion issues its certificate: {run:?}"
    );
    server.stop().await;
}

/// A client that reaches the portal through the (trusted) proxy on this machine, which
/// names it as `address`.
fn behind_proxy(server: &TestServer, address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        server.server.url().parse().unwrap(),
    );
    headers.insert("x-forwarded-for", address.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn try_password(client: &reqwest::Client, server: &TestServer, password: &str) -> u16 {
    common::call(
        client,
        server,
        app::api::auth::LoginWithPassword::PATH,
        &[("email", VICTIM), ("password", password)],
    )
    .await
    .status()
    .as_u16()
}

async fn ask_for_link(client: &reqwest::Client, server: &TestServer) -> u16 {
    common::call(
        client,
        server,
        app::api::auth::RequestMagicLink::PATH,
        &[("email", VICTIM)],
    )
    .await
    .status()
    .as_u16()
}

const VICTIM: &str = "nora@northwind.example";

/// A stranger who spends an account's budget of wrong passwords and link requests locks
/// out only their own address; the holder, elsewhere, signs in and gets links. Many
/// strangers together only slow the account down.
async fn strangers_cannot_lock_an_account_holder_out(backend: Backend) {
    let server = TestServer::start_with(backend, &["--trusted-proxies", "127.0.0.1,::1"]).await;
    let attacker = behind_proxy(&server, "203.0.113.5");
    for _ in 0..5 {
        assert_eq!(try_password(&attacker, &server, "guess").await, 422);
    }
    assert_eq!(try_password(&attacker, &server, "guess").await, 429);
    assert_eq!(
        try_password(&attacker, &server, common::PASSWORD).await,
        429,
        "the attacker's source stays shut even with the right password"
    );
    for _ in 0..3 {
        assert_eq!(ask_for_link(&attacker, &server).await, 200);
    }
    assert_eq!(ask_for_link(&attacker, &server).await, 429);

    let holder = behind_proxy(&server, "198.51.100.7");
    assert_eq!(
        ask_for_link(&holder, &server).await,
        200,
        "the holder still gets a link"
    );
    assert_eq!(try_password(&holder, &server, common::PASSWORD).await, 200);

    // Twenty more addresses, one guess each: the account is slowed, never shut.
    for n in 0..20 {
        let stranger = behind_proxy(&server, &format!("192.0.2.{}", n + 1));
        assert_eq!(try_password(&stranger, &server, "guess").await, 422);
    }
    let slowed = std::time::Instant::now();
    let holder = behind_proxy(&server, "198.51.100.7");
    assert_eq!(try_password(&holder, &server, common::PASSWORD).await, 200);
    assert!(slowed.elapsed() >= std::time::Duration::from_millis(900));
    server.stop().await;
}

/// Forwarding headers count only from configured proxies: without the setting, a client
/// cannot claim a fresh address for each guess.
async fn forwarded_addresses_are_ignored_unless_configured(backend: Backend) {
    let server = TestServer::start(backend).await;
    for n in 0..5 {
        let client = behind_proxy(&server, &format!("203.0.113.{}", n + 1));
        assert_eq!(try_password(&client, &server, "guess").await, 422);
    }
    let another = behind_proxy(&server, "203.0.113.99");
    assert_eq!(try_password(&another, &server, "guess").await, 429);
    server.stop().await;
}

async fn metrics_need_the_token_when_one_is_set(backend: Backend) {
    let token = "metrics-token-0123456789";
    let server = TestServer::start_with(backend, &["--metrics-token", token]).await;
    let client = server.client();
    let bare = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let wrong = client
        .get(server.url("/metrics"))
        .bearer_auth("metrics-token-0123456780")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    server.stop().await;

    let production = TestServer::start_with(backend, common::PRODUCTION_FLAGS).await;
    let off = production
        .client()
        .get(production.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 404, "production has no open metrics");
    production.stop().await;
}

/// Counted as the client saw it: a server-function refusal is a 4xx in the metrics too,
/// methods outside the standard set share one label, and routes carry no build hash.
async fn metrics_count_what_the_client_got(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = server.client();
    let refused = common::call(
        &client,
        &server,
        app::api::auth::LoginWithPassword::PATH,
        &[("email", "not an email"), ("password", "x")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let made_up = reqwest::Method::from_bytes(b"BREW").unwrap();
    client
        .request(made_up, server.url("/login"))
        .send()
        .await
        .unwrap();
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "http_requests_total{method=\"POST\",route=\"/api/login_with_password\",status=\"422\"} 1"
        ),
        "{metrics}"
    );
    assert!(!metrics.contains("status=\"500\""), "{metrics}");
    assert!(!metrics.contains("BREW"), "{metrics}");
    // Prometheus's own linter accepts the page (names, units, types, help texts).
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (scripts/setup.sh installs Debian's prometheus package)");
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let linted = promtool.wait_with_output().unwrap();
    assert!(
        linted.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );
    server.stop().await;
}

const MANAGER: &str = "marco@lumen.example";

/// Every input has a bound, refused on its field with nothing changed: a page number that
/// would overflow the offset, a huge typed quiz answer, and line breaks in one-line fields
/// (which would forge lines in plain-text emails).
async fn oversized_and_multiline_inputs_are_refused_on_their_fields(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (status, error) = common::invoke::<app::model::PipelinePage>(
        &manager,
        &server,
        app::api::channel::LoadPipeline::PATH,
        &[("query[page]", "9223372036854775807")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(error.unwrap_err().field_message("page").is_some());

    let learner = sign_in(&server, SUPPORT).await;
    let path = path_id(&server, "Support Readiness").await;
    let (step,): (i64,) =
        sqlx::query_as("SELECT id FROM path_steps WHERE path_id = $1 AND kind = 'quiz'")
            .bind(path)
            .fetch_one(&server.server.state.db.read)
            .await
            .unwrap();
    // Open the quiz as a learner who has done the steps before it.
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
         SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s \
         WHERE u.email = $1 AND s.path_id = $2 AND s.position < (SELECT position FROM path_steps WHERE id = $3)",
    )
    .bind(SUPPORT)
    .bind(path)
    .bind(step)
    .execute(&server.server.state.db.write)
    .await
    .unwrap();
    let (status, view) = common::start_quiz(&learner, &server, step).await;
    assert_eq!(status, 200, "{view:?}");
    let view = view.unwrap();
    let huge = "x".repeat(1_900_000);
    let body = serde_json::json!({"attempt_id": view.attempt_id,
        "question_id": view.questions[0].question_id,
        "response": {"ShortText": huge}, "client_seq": 1});
    let (status, error) = common::reply::<i64>(
        learner
            .post(server.url(app::api::training::SaveQuizAnswer::PATH))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error.unwrap_err().field_message("response").is_some());
    let (saved,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM attempt_answers")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    assert_eq!(saved, 0);

    let partner = sign_in(&server, "nora@northwind.example").await;
    let before = common::deals::count(&server).await;
    let forged = "Acme GmbH\r\n\r\nYour account is suspended: https://evil.example/login";
    let (status, error) = common::deals::register(
        &partner,
        &server,
        common::deals::form(forged, "acme-forged.example", "10000", ""),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error.unwrap_err().field_message("company_name").is_some());
    assert_eq!(
        common::deals::count(&server).await,
        before,
        "nothing was registered"
    );
    // A body larger than any form is cut off before anything reads it.
    let flood = partner
        .post(server.url(app::api::channel::CheckCustomer::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; server::MAX_REQUEST_BYTES + 1])
        .send()
        .await;
    // The server answers 413 from the Content-Length alone; it may hang up before the
    // client has finished writing, which the client sees as a broken pipe.
    match flood {
        Ok(response) => assert_eq!(response.status(), 413),
        Err(error) => assert!(error.is_request(), "{error}"),
    }
    server.stop().await;
}

/// The live uniqueness check tells a partner whether a customer is taken, so it must not be
/// a way to list other partners' customers: short fragments are not looked up, and each
/// person has a budget of checks.
async fn the_uniqueness_check_cannot_be_used_to_enumerate_customers(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, "nora@northwind.example").await;
    let check = |name: &'static str| {
        let partner = &partner;
        let server = &server;
        async move {
            common::invoke::<Vec<app::model::CustomerMatch>>(
                partner,
                server,
                app::api::channel::CheckCustomer::PATH,
                &[("company_name", name), ("domain", "")],
            )
            .await
        }
    };
    for fragment in ["a", "ab", "abc"] {
        let (status, found) = check(fragment).await;
        assert_eq!((status, found.unwrap().len()), (200, 0), "{fragment}");
    }
    let limit = server.server.state.settings.customer_check_limit.max_events;
    for _ in 0..limit {
        assert_eq!(check("Quantum Widgets").await.0, 200);
    }
    let (status, refused) = check("Quantum Widgets").await;
    assert_eq!(status, 429);
    assert!(matches!(
        refused,
        Err(app::error::AppError::RateLimited { .. })
    ));
    // Someone else's budget is their own.
    let colleague = sign_in(&server, "tomas@northwind.example").await;
    let (status, _) = common::invoke::<Vec<app::model::CustomerMatch>>(
        &colleague,
        &server,
        app::api::channel::CheckCustomer::PATH,
        &[("company_name", "Quantum Widgets"), ("domain", "")],
    )
    .await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// The pipeline export with no filters works, and reads with a standard CSV parser: numbers
/// as numbers with the currency beside them, formula starters (tab and CR included)
/// defused, and the byte-order mark only when asked for.
async fn the_pipeline_export_is_standard_csv(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    sqlx::query("UPDATE accounts SET name = $1 WHERE id = (SELECT MIN(id) FROM accounts)")
        .bind("\tcmd|' /C calc'!A0")
        .execute(&db.write)
        .await
        .unwrap();
    let manager = sign_in(&server, MANAGER).await;
    let (status, csv_text) = common::invoke::<String>(
        &manager,
        &server,
        app::api::channel::ExportPipelineCsv::PATH,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{csv_text:?}");
    let csv_text = csv_text.unwrap();
    assert!(!csv_text.starts_with('\u{feff}'));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (amount, currency, customer) = (column("amount"), column("currency"), column("customer"));
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        assert!(
            record[amount].parse::<f64>().is_ok(),
            "{:?}",
            &record[amount]
        );
        assert_eq!(&record[currency], "USD");
        let name = &record[customer];
        assert!(
            !name.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell a spreadsheet would run: {name:?}"
        );
    }
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&db.read)
        .await
        .unwrap();
    assert_eq!(rows, total);
    let (_, with_bom) = common::invoke::<String>(
        &manager,
        &server,
        app::api::channel::ExportPipelineCsv::PATH,
        &[("with_bom", "true")],
    )
    .await;
    assert!(with_bom.unwrap().starts_with("\u{feff}deal_id,"));
    server.stop().await;
}

/// The live session's calendar file as the learner downloads it, read by the icalendar
/// library: its UID is stable and names no host, and rescheduling raises SEQUENCE so
/// calendars replace the entry instead of keeping the old time.
async fn live_session_calendar(
    client: &reqwest::Client,
    server: &TestServer,
    path: i64,
    step: i64,
) -> serde_json::Value {
    let data = common::learner::player(client, server, path, Some(step)).await;
    let Some(app::model::StepBody::LiveSession { ics, .. }) = data.step.map(|s| s.body) else {
        panic!("a live session")
    };
    let file = std::env::temp_dir().join(format!(
        "partner-portal-tests/session-{}-{step}.ics",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, ics).unwrap();
    common::python_json("parse_ics.py", &file)[0].clone()
}

async fn rescheduled_sessions_update_calendars(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let path = path_id(&server, "Sales Certification").await;
    let (step, config): (i64, String) = sqlx::query_as(
        "SELECT id, config_json FROM path_steps WHERE path_id = $1 AND kind = 'live_session'",
    )
    .bind(path)
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
         SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s \
         WHERE u.email = $1 AND s.path_id = $2 AND s.id <> $3",
    )
    .bind("nora@northwind.example")
    .bind(path)
    .bind(step)
    .execute(&db.write)
    .await
    .unwrap();
    let learner = sign_in(&server, "nora@northwind.example").await;
    let before = live_session_calendar(&learner, &server, path, step).await;
    assert_eq!(before["sequence"], 0);
    let uid = before["uid"].as_str().unwrap().to_string();
    assert!(
        !uid.contains("127.0.0.1") && !uid.contains("localhost"),
        "{uid}"
    );

    let admin = sign_in(&server, "admin@lumen.example").await;
    let mut settings: serde_json::Value = serde_json::from_str(&config).unwrap();
    settings["starts_at"] = serde_json::json!(settings["starts_at"].as_i64().unwrap() + 86_400_000);
    settings["sequence"] = serde_json::json!(0);
    let body = serde_json::json!({"path_id": path, "step_id": step, "kind": "LiveSession",
        "title": "Office hours: your deal questions", "required": false,
        "settings_json": settings.to_string()});
    let saved = admin
        .post(server.url(app::api::authoring::SaveStep::PATH))
        .form(&common::form_pairs(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let after = live_session_calendar(&learner, &server, path, step).await;
    assert_eq!(after["uid"], uid.as_str(), "the same event");
    assert_eq!(after["sequence"], 1, "a newer revision");
    assert_ne!(after["start"], before["start"]);
    server.stop().await;
}

/// Every kind of page passes the Nu HTML Checker (vnu, the W3C's validator, from npm):
/// no script after `</html>`, no `<style>` in the body, and nothing else it objects to.
async fn pages_pass_the_nu_html_checker(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = std::env::temp_dir().join(format!(
        "partner-portal-tests/html-{}-{}",
        std::process::id(),
        server.server.addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let anonymous = server.client();
    let learner = sign_in(&server, SUPPORT).await;
    let manager = sign_in(&server, MANAGER).await;
    let path = path_id(&server, "Support Readiness").await;
    let pages: Vec<(&reqwest::Client, String)> = vec![
        (&anonymous, "/login".into()),
        (&learner, "/".into()),
        (&learner, "/learn".into()),
        (&learner, format!("/learn/{path}")),
        (&learner, "/certificates".into()),
        (&learner, "/announcements".into()),
        (&learner, "/deals".into()),
        (&learner, "/no/such/page".into()),
        (&manager, "/deals/pipeline".into()),
        (&manager, "/deals/queue".into()),
        (&manager, "/author".into()),
        (&manager, "/certificates/holders".into()),
    ];
    let mut files = Vec::new();
    for (n, (client, url)) in pages.iter().enumerate() {
        let html = page(client, &server, url).await.text().await.unwrap();
        let file = dir.join(format!("page-{n}.html"));
        std::fs::write(&file, html).unwrap();
        files.push((file, url.clone()));
    }
    let jar = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/node_modules/vnu-jar/build/dist/vnu.jar");
    let mut command = std::process::Command::new("java");
    command
        .arg("-jar")
        .arg(&jar)
        .args(["--format", "json", "--exit-zero-always"]);
    for (file, _) in &files {
        command.arg(file);
    }
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|e| panic!("vnu: {e}: {}", String::from_utf8_lossy(&output.stderr)));
    let errors: Vec<String> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| {
            let file = m["url"].as_str().unwrap_or("");
            let url = files
                .iter()
                .find(|(f, _)| file.ends_with(&*f.file_name().unwrap().to_string_lossy()))
                .map_or("?", |(_, url)| url.as_str());
            format!("{url}: {} ({})", m["message"], m["extract"])
        })
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    server.stop().await;
}

/// Servers starting in the same process (as in this suite) never stall another's page
/// render. Route-list generation used to run at every start and park any resource first
/// polled meanwhile (leptos issue #4773); now it runs once per process.
async fn servers_starting_in_one_process_never_stall_a_render(backend: Backend) {
    let server = TestServer::start(backend).await;
    let learner = sign_in(&server, SUPPORT).await;
    let renders = async {
        for _ in 0..40 {
            let response = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                page(&learner, &server, "/learn"),
            )
            .await
            .expect("a page render stalled while other servers started");
            assert_eq!(response.status(), 200);
        }
    };
    let starts = async {
        for _ in 0..3 {
            TestServer::start(backend).await.stop().await;
        }
    };
    tokio::join!(renders, starts);
    server.stop().await;
}

both_backends!(
    user_text_cannot_leave_title_or_textarea,
    personal_pages_are_never_stored_and_carry_a_nonce_policy,
    https_deployments_send_hsts,
    reading_pages_writes_nothing_and_the_job_heals,
    strangers_cannot_lock_an_account_holder_out,
    forwarded_addresses_are_ignored_unless_configured,
    metrics_need_the_token_when_one_is_set,
    metrics_count_what_the_client_got,
    oversized_and_multiline_inputs_are_refused_on_their_fields,
    the_uniqueness_check_cannot_be_used_to_enumerate_customers,
    the_pipeline_export_is_standard_csv,
    rescheduled_sessions_update_calendars,
    pages_pass_the_nu_html_checker,
    servers_starting_in_one_process_never_stall_a_render,
);
