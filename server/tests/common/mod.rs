//! Test harness: a real server on a real socket, over a fresh SQLite file or a fresh
//! PostgreSQL database per test.
#![allow(dead_code)] // each test file uses a different part of the harness

pub mod crm;
pub mod deals;
pub mod fake_hubspot;
pub mod fake_salesforce;
pub mod learner;
pub mod smtp;

/// Production mode, with an SMTP host (required there) that is never reached.
pub const PRODUCTION_FLAGS: &[&str] = &[
    "--mode",
    "production",
    "--smtp-host",
    "127.0.0.1",
    "--smtp-port",
    "9",
];

/// The secret key every test server uses.
pub fn test_secret_key() -> String {
    "ab".repeat(32)
}

/// The real server binary on `database_url`, listening on `bind`, with its data and a
/// stand-in asset manifest under `root` (no browser visits it). Quiet; not yet started.
pub fn real_binary(
    database_url: &str,
    bind: &str,
    root: &std::path::Path,
) -> std::process::Command {
    let pkg = root.join("site").join("pkg");
    std::fs::create_dir_all(&pkg).expect("site dir");
    std::fs::write(
        pkg.join("assets.txt"),
        "js: portal.test.js\nwasm: portal.test.wasm\ncss: portal.test.css\n",
    )
    .expect("asset manifest");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_partner-portal"));
    command
        .args(["--database-url", database_url, "--bind", bind])
        .arg("--data-dir")
        .arg(root.join("data"))
        .arg("--site-root")
        .arg(root.join("site"))
        .args(["--secret-key", &test_secret_key()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// A file of the third-party tools the tests drive (`server/tests/tools/`).
pub fn tool(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

/// Runs a Python tool (which reads a file with a third-party library) and parses the JSON it
/// prints; a failing tool fails the test with its error output.
pub fn python_json(script: &str, file: &std::path::Path) -> serde_json::Value {
    let output = std::process::Command::new("python3")
        .arg(tool(script))
        .arg(file)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the tool prints JSON")
}

/// Runs a Python tool on `contents` written to a temporary file (removed afterwards).
pub fn python_json_of(script: &str, extension: &str, contents: &str) -> serde_json::Value {
    let path = std::env::temp_dir().join(format!("tool-{}.{extension}", rand::random::<u64>()));
    std::fs::write(&path, contents).unwrap();
    let parsed = python_json(script, &path);
    let _ = std::fs::remove_file(path);
    parsed
}

use app::AssetManifest;
use clap::Parser;
use server::config::Cli;
use server::RunningServer;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite { $(
            #[test]
            fn $name() { $crate::common::runtime().block_on(super::$name($crate::common::Backend::Sqlite)) }
        )+ }
        mod postgres { $(
            #[test]
            fn $name() { $crate::common::runtime().block_on(super::$name($crate::common::Backend::Postgres)) }
        )+ }
    };
}

/// The runtime a test's server runs on, shaped like the binary's (`server/src/main.rs`):
/// two workers with 8 MiB stacks, which rendering a large page needs in a debug build.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("a test runtime")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("pp_test_{}_{}_{}", std::process::id(), n, nanos)
}

pub fn admin_postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres(String),
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        sqlx::any::install_default_drivers();
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("partner-portal-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{name}.db"));
                TestDatabase {
                    url: format!("sqlite:{}", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let admin = admin_postgres_url();
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL must be running for the integration tests ({admin}): {e}"
                        )
                    });
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let url = match admin.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("TEST_POSTGRES_URL must name a database"),
                };
                TestDatabase {
                    url,
                    cleanup: Cleanup::Postgres(name),
                }
            }
        }
    }

    pub async fn drop_database(self) {
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres(name) => {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_postgres_url()).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            }
        }
    }
}

pub struct TestServer {
    pub server: RunningServer,
    pub database: TestDatabase,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, &[]).await
    }

    /// Starts a server on a free port with demo data; `extra` are extra CLI flags.
    pub async fn start_with(backend: Backend, extra: &[&str]) -> TestServer {
        let database = TestDatabase::create(backend).await;
        let data_dir = std::env::temp_dir()
            .join("partner-portal-tests")
            .join(unique_name());
        let mut args = vec![
            "partner-portal".to_string(),
            "--database-url".into(),
            database.url.clone(),
            "--bind".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--site-root".into(),
            std::env::temp_dir()
                .join("partner-portal-tests")
                .join("site")
                .display()
                .to_string(),
            "--secret-key".into(),
            test_secret_key(),
        ];
        // The demo's own numbers, without the generated history, unless a test asks.
        if !extra.contains(&"--demo-history") {
            args.extend(["--demo-history".into(), "false".into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = Cli::try_parse_from(args)
            .expect("test configuration")
            .config;
        let state = server::build_state(&config).await.expect("server state");
        let assets = AssetManifest {
            bundles: [(
                "full".to_string(),
                ("portal.test.js".to_string(), "portal.test.wasm".to_string()),
            )]
            .into(),
            css: "portal.test.css".into(),
        };
        let server = server::start(&config, state, assets)
            .await
            .expect("server starts");
        TestServer { server, database }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A browser-like client: keeps cookies and sends this site's Origin.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            self.server.url().parse().expect("origin"),
        );
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            // A stuck request fails the test instead of hanging the suite.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
    }

    pub async fn stop(self) {
        self.server.stop().await;
        self.database.drop_database().await;
    }
}

/// Calls a server function with form-encoded arguments, as the browser does.
pub async fn call(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    args: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(server.url(path))
        .form(args)
        .send()
        .await
        .expect("request completes")
}

/// Parses a server function's JSON reply into `T` (success) or `AppError` (failure).
pub async fn reply<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> (u16, Result<T, app::error::AppError>) {
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    if (200..300).contains(&status) {
        (
            status,
            Ok(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("bad success body {body:?}: {e}"))),
        )
    } else {
        (
            status,
            Err(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("bad error body ({status}) {body:?}: {e}"))),
        )
    }
}

/// Calls a server function and parses its reply.
pub async fn invoke<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    args: &[(&str, &str)],
) -> (u16, Result<T, app::error::AppError>) {
    reply(call(client, server, path, args).await).await
}

/// Calls a server function whose one argument `form` is a struct, posted as the browser's
/// form does (`form[field]`, lists as `form[list][0][field]`), and parses its reply.
pub async fn submit_form<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    form: impl serde::Serialize,
) -> (u16, Result<T, app::error::AppError>) {
    let body = serde_json::json!({ "form": serde_json::to_value(form).expect("a form") });
    reply(
        client
            .post(server.url(path))
            .form(&form_pairs(&body))
            .send()
            .await
            .expect("request completes"),
    )
    .await
}

/// A JSON object as form fields the way the server's form decoding reads them: top-level
/// keys as they are, nested ones in brackets (`input[stage]`, `form[tiers][0][name]`).
pub fn form_pairs(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(name: String, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(text) => out.push((name, text.clone())),
            serde_json::Value::Object(fields) => {
                for (key, value) in fields {
                    walk(format!("{name}[{key}]"), value, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (index, value) in items.iter().enumerate() {
                    walk(format!("{name}[{index}]"), value, out);
                }
            }
            other => out.push((name, other.to_string())),
        }
    }
    let mut out = Vec::new();
    if let Some(fields) = value.as_object() {
        for (key, value) in fields {
            walk(key.clone(), value, &mut out);
        }
    }
    out
}

/// Checks that a session started by an emailed link reaches nothing beyond its place: the
/// rest of the portal asks for a full sign-in.
pub async fn assert_rest_needs_sign_in(client: &reqwest::Client, server: &TestServer) {
    for path in [
        app::api::channel::LoadMyPipeline::PATH,
        app::api::certifications::LoadMyCertificates::PATH,
    ] {
        let status = call(client, server, path, &[]).await.status();
        assert_eq!(status, 401, "{path} needs a full sign-in");
    }
}

pub const PASSWORD: &str = app::server::seed::DEMO_PASSWORD;

/// The id of a learning path, by title.
/// Unpublishes and republishes a module, as an author fixing it would: its audience is
/// emailed again.
pub async fn republish(server: &TestServer, path: i64) {
    use app::api::authoring::SetPathPublished;
    let admin = sign_in(server, "admin@lumen.example").await;
    for published in ["false", "true"] {
        let response = call(
            &admin,
            server,
            SetPathPublished::PATH,
            &[("path_id", &path.to_string()), ("published", published)],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
}

pub async fn path_id(server: &TestServer, title: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM learning_paths WHERE title = $1")
        .bind(title)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    id
}

/// Records that a learner completed every path of a certification (the learning flow itself
/// is tested in `learning.rs`); returns the completion instant.
pub async fn complete_certification_paths(
    server: &TestServer,
    email: &str,
    certification: &str,
) -> i64 {
    let db = &server.server.state.db;
    let now = server.server.state.clock.now_ms();
    sqlx::query(
        "INSERT INTO path_completions (user_id, path_id, path_version, completed_at) \
         SELECT u.id, cp.path_id, 1, $1 FROM users u, certification_paths cp \
         JOIN certifications c ON c.id = cp.certification_id \
         WHERE u.email = $2 AND c.name = $3",
    )
    .bind(now)
    .bind(email)
    .bind(certification)
    .execute(&db.write)
    .await
    .unwrap();
    now
}

/// A page's HTML as `client` gets it.
pub async fn html_of(client: &reqwest::Client, server: &TestServer, path: &str) -> String {
    client
        .get(server.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn sign_in(server: &TestServer, email: &str) -> reqwest::Client {
    let client = server.client();
    let response = call(
        &client,
        server,
        app::api::auth::LoginWithPassword::PATH,
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), 200, "sign-in of {email} works");
    client
}

pub use server_fn::ServerFn;

/// Starts (or resumes) a quiz attempt as the browser does.
pub async fn start_quiz(
    client: &reqwest::Client,
    server: &TestServer,
    step: i64,
) -> (u16, Result<app::model::AttemptView, app::error::AppError>) {
    invoke(
        client,
        server,
        app::api::training::StartQuiz::PATH,
        &[("step_id", &step.to_string())],
    )
    .await
}

/// Opens the sign-in link of the newest email to `to` whose subject contains `subject`, in a
/// browser with no session. Returns that browser and where the link landed it.
pub async fn follow_emailed_link(
    server: &TestServer,
    to: &str,
    subject: &str,
) -> (reqwest::Client, String) {
    let (body,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE to_address = $1 AND subject LIKE $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .bind(format!("%{subject}%"))
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap_or_else(|e| panic!("an email to {to} about {subject:?}: {e}"));
    let marker = "/auth/magic?token=";
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("a sign-in link in {body:?}"))
        + marker.len();
    let token = &body[start..start + 64];
    let browser = server.client();
    let (status, landed) = invoke::<String>(
        &browser,
        server,
        app::api::auth::RedeemMagicLink::PATH,
        &[("token", token)],
    )
    .await;
    assert_eq!(status, 200, "the link in {body:?} works");
    (browser, landed.unwrap())
}

/// Saves which events reach `client`'s user by email, as the preferences page does.
pub async fn save_email_choices(
    client: &reqwest::Client,
    server: &TestServer,
    enabled: &[app::domain::notifications::Event],
) {
    let (status, saved) = reply::<()>(
        client
            .post(server.url(app::api::notifications::SaveNotificationPreferences::PATH))
            .form(&form_pairs(&serde_json::json!({ "enabled": enabled })))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{saved:?}");
}
