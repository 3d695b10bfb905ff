//! The Partner Portal HTTP server: configuration, routing, middleware and background jobs.
pub mod config;
pub mod downloads;
pub mod jobs;
pub mod metrics;
pub mod security;
pub mod smtp;
pub mod unsubscribe;
pub mod webhooks;

use app::server::db::{Db, DbSetupError};
use app::server::mail::{Mailer, SmtpSettings, SmtpTls};
use app::server::{AppState, Clock, Mode, Settings};
use app::{shell, App, AssetManifest};
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use config::{Config, RunMode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use metrics::Metrics;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Router state: what leptos_axum needs plus our own.
#[derive(Clone)]
pub struct ServerState {
    pub leptos: LeptosOptions,
    pub app: AppState,
    pub metrics: Metrics,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<ServerState> for Metrics {
    fn from_ref(state: &ServerState) -> Self {
        state.metrics.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error("demo data: {0}")]
    Seed(#[from] app::server::seed::SeedError),
    #[error("front end: {0}")]
    Assets(String),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Reads the hashed asset names written by the front-end build (`scripts/build.sh` writes
/// `pkg/assets.txt`); under `cargo leptos watch`, reads the `hash.txt` cargo-leptos writes
/// beside the server binary instead.
pub fn read_asset_manifest(site_root: &Path) -> Result<AssetManifest, StartError> {
    let path = site_root.join("pkg").join("assets.txt");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return parse_manifest(&text, |_, file| file.to_string()).ok_or_else(|| {
            StartError::Assets(format!(
                "{} must name a bundle's js and wasm, and the css",
                path.display()
            ))
        });
    }
    let cargo_leptos = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")));
    if let Some(text) = cargo_leptos.and_then(|hash_file| std::fs::read_to_string(hash_file).ok()) {
        if let Some(manifest) = parse_manifest(&text, |kind, hash| format!("portal.{hash}.{kind}"))
        {
            return Ok(manifest);
        }
    }
    Err(StartError::Assets(format!(
        "{} is missing; build the front end with scripts/build.sh (or run `cargo leptos watch`)",
        path.display()
    )))
}

/// Parses `kind: value` lines (`css`, and `<bundle>_js` / `<bundle>_wasm` per bundle; a bare
/// `js` / `wasm`, as cargo-leptos writes, is one bundle that carries every island); `name`
/// turns a kind and value into a file name.
fn parse_manifest(text: &str, name: impl Fn(&str, &str) -> String) -> Option<AssetManifest> {
    let mut manifest = AssetManifest::default();
    let mut files: std::collections::BTreeMap<String, (String, String)> = Default::default();
    for (kind, value) in text.lines().filter_map(|line| line.split_once(':')) {
        let (kind, value) = (kind.trim(), value.trim());
        let (bundle, file) = match kind.rsplit_once('_') {
            Some((bundle, file)) => (bundle, file),
            None => ("full", kind),
        };
        match file {
            "js" => files.entry(bundle.to_string()).or_default().0 = name("js", value),
            "wasm" => files.entry(bundle.to_string()).or_default().1 = name("wasm", value),
            "css" => manifest.css = name(kind, value),
            _ => {}
        }
    }
    manifest.bundles = files
        .into_iter()
        .filter(|(_, (js, wasm))| !js.is_empty() && !wasm.is_empty())
        .collect();
    let complete = !manifest.bundles.is_empty() && !manifest.css.is_empty();
    complete.then_some(manifest)
}

/// Connects, migrates, seeds (development) and assembles the shared state.
pub async fn build_state(config: &Config) -> Result<AppState, StartError> {
    config.validate().map_err(StartError::Config)?;
    let secret_key = match &config.secret_key {
        Some(key) => config::parse_secret(key).map_err(StartError::Config)?,
        None => config::load_or_create_dev_secret(&config.data_dir).map_err(StartError::Config)?,
    };
    let db = Db::connect(&config.database_url, config.database_max_connections).await?;
    db.migrate().await?;
    let mut settings = Settings::for_development(&config.public_base_url(), secret_key);
    settings.mode = match config.mode {
        RunMode::Development => Mode::Development,
        RunMode::Production => Mode::Production,
    };
    settings.demo = config.demo_enabled();
    settings.demo_history = config.demo_history;
    settings.login_limit_per_ip.max_events = config.login_limit_per_ip;
    settings.link_limit_per_ip.max_events = config.link_limit_per_ip;
    settings.metrics_token = config.metrics_token.clone();
    settings.hubspot_api_base = config.hubspot_api_base.trim_end_matches('/').to_string();
    settings.hubspot_api_version = config.hubspot_api_version.clone();
    settings.hubspot_authorize_url = config.hubspot_authorize_url.clone();
    settings.salesforce_api_version = config.salesforce_api_version.clone();
    settings.crm_sync_interval_ms = config.crm_sync_interval_secs.clamp(1, 86_400) * 1_000;
    settings.reply_domain = config
        .reply_domain
        .as_deref()
        .map(|domain| domain.trim().to_ascii_lowercase())
        .filter(|domain| !domain.is_empty());
    settings.inbound_mail_token = config.inbound_mail_token.clone().filter(|t| !t.is_empty());
    settings.trusted_proxies = app::domain::client_address::parse_trusted(&config.trusted_proxies)
        .map_err(StartError::Config)?;
    let ca_pem = match &config.smtp_ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|error| {
            StartError::Config(format!("SMTP_CA_FILE {}: {error}", path.display()))
        })?),
        None => None,
    };
    let smtp = config.smtp_host.as_ref().map(|host| SmtpSettings {
        host: host.clone(),
        port: config.smtp_port,
        username: config.smtp_username.clone(),
        password: config.smtp_password.clone(),
        from: config.smtp_from.clone(),
        tls: match config.smtp_tls {
            config::SmtpTlsMode::Starttls => SmtpTls::StartTls,
            config::SmtpTlsMode::Implicit => SmtpTls::Implicit,
            config::SmtpTlsMode::None => SmtpTls::None,
        },
        ca_pem: ca_pem.clone(),
    });
    let state = AppState {
        db,
        settings: std::sync::Arc::new(settings),
        mailer: Mailer::new(smtp),
        clock: Clock::default(),
        crm_wake: Default::default(),
    };
    if app::server::repo::notifications::seal_plain_slack_webhook(
        &state.db,
        &state.settings.secret_key,
        state.clock.now_ms(),
    )
    .await
    .map_err(|error| StartError::Database(DbSetupError::Connect(error)))?
    {
        tracing::info!("sealed the Slack webhook saved before webhooks were sealed");
    }
    if state.settings.mode == Mode::Development
        && state.settings.demo
        && app::server::seed::seed_demo_if_empty(
            &state.db,
            state.clock.now_ms(),
            state.settings.demo_history,
        )
        .await?
    {
        tracing::info!("loaded demo data into the empty database");
    }
    Ok(state)
}

/// The app's routes, generated once per process. Generating them raises a process-wide flag
/// in leptos_server under which any resource first polled meanwhile waits forever (leptos
/// issue #4773, `SuppressResourceLoad`): with several servers in one process (the tests),
/// one server's start-up could hang another's page render. Generated once, before any
/// router exists, no render can overlap it.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The largest request body the portal reads.
pub const MAX_REQUEST_BYTES: usize = 16 << 20;

pub fn build_router(state: AppState, assets: AssetManifest, site_root: &Path) -> Router {
    let leptos = LeptosOptions::builder()
        .output_name("portal")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let allowed_origin = security::AllowedOrigin(state.settings.public_base_url.clone());
    let server_state = ServerState {
        leptos,
        app: state.clone(),
        metrics: Metrics::default(),
    };
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let page_shell = {
        let assets = assets.clone();
        move || shell(assets.clone())
    };
    let render_unmatched =
        leptos_axum::render_app_to_stream_with_context(context.clone(), page_shell.clone());

    // Hashed file names change with content, so browsers may keep them forever.
    let hashed_assets = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .service(
            ServeDir::new(site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    let public_files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .service(
            ServeDir::new(site_root).fallback(tower::service_fn(move |request| {
                let render = render_unmatched.clone();
                async move { Ok::<_, Infallible>(render(request).await) }
            })),
        );

    // Browsers ignore HSTS over plain HTTP, and a local or test deployment must not pin
    // itself to HTTPS: sent only when the portal's public address is https.
    let hsts = state
        .settings
        .public_base_url
        .starts_with("https://")
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let routes = route_list();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route(app::server::badges::STATUS_LIST_PATH, get(status_list))
        .route(
            app::api::channel::PIPELINE_CSV_PATH,
            get(downloads::pipeline_csv),
        )
        .route("/author/{path_id}/export.json", get(downloads::path_export))
        .route(
            app::api::insights::COMPLETION_CSV_PATH,
            get(downloads::completion_csv),
        )
        .route(
            app::api::insights::FUNNEL_CSV_PATH,
            get(downloads::funnel_csv),
        )
        .route(app::api::insights::QUIZ_CSV_PATH, get(downloads::quiz_csv))
        .route(
            app::api::insights::SOURCED_CSV_PATH,
            get(downloads::sourced_csv),
        )
        .route(
            app::api::insights::AT_RISK_CSV_PATH,
            get(downloads::at_risk_csv),
        )
        .route(
            app::api::insights::SATISFACTION_CSV_PATH,
            get(downloads::satisfaction_csv),
        )
        .route(
            app::api::insights::COHORTS_CSV_PATH,
            get(downloads::cohorts_csv),
        )
        .route(
            app::api::insights::FIRST_DEAL_CSV_PATH,
            get(downloads::first_deal_csv),
        )
        .route(
            app::api::insights::CERTIFIED_CSV_PATH,
            get(downloads::certified_csv),
        )
        .route(
            app::api::insights::CERTIFICATES_CSV_PATH,
            get(downloads::certificates_csv),
        )
        .route(
            app::api::insights::REGISTRATIONS_CSV_PATH,
            get(downloads::registrations_csv),
        )
        .route(
            app::api::insights::SCORECARD_CSV_PATH,
            get(downloads::scorecard_csv),
        )
        .route(
            app::server::crm::webhook::HUBSPOT_PATH,
            axum::routing::post(webhooks::hubspot),
        )
        .route(
            webhooks::INBOUND_MIME_PATH,
            axum::routing::post(webhooks::inbound_mime),
        )
        .route(
            unsubscribe::PATH,
            get(unsubscribe::confirm_page).post(unsubscribe::one_click),
        )
        .leptos_routes_with_context(&server_state, routes, context, page_shell)
        // The status fix-up runs inside the counter, so metrics count what the client got.
        .route_layer(axum::middleware::from_fn(security::server_fn_error_status))
        .route_layer(axum::middleware::from_fn_with_state(
            security::SecureCookies(state.settings.secure_cookies()),
            security::return_failed_posts_to_their_form,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            server_state.metrics.clone(),
            metrics::track,
        ))
        .nest_service("/pkg", hashed_assets)
        .fallback_service(public_files)
        .layer(axum::middleware::from_fn_with_state(
            allowed_origin,
            security::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(
            security::dynamic_response_headers,
        ))
        // A bound on every request body, whatever reads it (a path import, up to 5 MB of
        // JSON, is the largest legitimate one); fields have their own, smaller limits.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_REQUEST_BYTES,
        ))
        // Pages set their own policy with a nonce (`app::shell`); everything else (JSON,
        // files such as the SVG icon) may run nothing and be framed by no one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Keeps sign-in tokens in URLs from leaking to other sites through the Referer header.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CompressionLayer::new())
        // Per-request spans and timings at DEBUG (RUST_LOG=tower_http=debug to see them).
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(server_state)
}

async fn healthz(State(state): State<ServerState>) -> impl IntoResponse {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn prometheus(
    State(state): State<ServerState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let settings = &state.app.settings;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&settings.metrics_token, settings.mode) {
        // Production without a token: metrics are off, as if the route did not exist.
        (None, Mode::Production) => return StatusCode::NOT_FOUND.into_response(),
        (None, Mode::Development) => {}
        (Some(token), _) => {
            if !presented.is_some_and(|given| app::server::crypto::same_secret(given, token)) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    "metrics need the bearer token",
                )
                    .into_response();
            }
        }
    }
    let db = &state.app.db;
    let pools = [
        ("read", db.read.size(), db.read.num_idle()),
        ("write", db.write.size(), db.write.num_idle()),
    ];
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&pools),
    )
        .into_response()
}

/// The revocation list credentials point at. Public: verifiers fetch it without signing in.
async fn status_list(State(state): State<ServerState>) -> axum::response::Response {
    match app::api::certifications::signed_status_list(&state.app).await {
        Ok(list) => (
            [
                (header::CONTENT_TYPE, "application/vc+ld+json"),
                // Verifiers may keep it briefly; a revocation shows within five minutes.
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            list.to_string(),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(?error, "could not build the status list");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// How long shutdown waits for in-flight requests, and then for database connections.
pub const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// A server listening on a real socket, for `main` and for tests.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// Where the reply listener accepts mail, when one is configured.
    pub smtp_addr: Option<SocketAddr>,
    pub state: AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting requests, lets open ones finish for up to `SHUTDOWN_DRAIN`, then
    /// closes the database pools. A stuck connection cannot hold the process forever.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_DRAIN, &mut task)
            .await
            .is_err()
        {
            tracing::warn!("connections still open after {SHUTDOWN_DRAIN:?}; closing them");
            eprintln!(
                "partner-portal: connections still open after {SHUTDOWN_DRAIN:?}; closing them"
            );
            task.abort();
        }
        if tokio::time::timeout(SHUTDOWN_DRAIN, self.state.db.close())
            .await
            .is_err()
        {
            tracing::warn!(
                "database connections still busy after {SHUTDOWN_DRAIN:?}; exiting anyway"
            );
            eprintln!("partner-portal: database connections still busy after {SHUTDOWN_DRAIN:?}");
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds, starts background jobs, and serves until `stop` or a termination signal.
pub async fn start(
    config: &Config,
    state: AppState,
    assets: AssetManifest,
) -> Result<RunningServer, StartError> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;
    let router = build_router(state.clone(), assets, &config.site_root);
    let (shutdown, mut stopped) = tokio::sync::watch::channel(false);
    jobs::spawn_all(state.clone(), shutdown.subscribe());
    let smtp_addr = match config.inbound_smtp_bind {
        Some(bind) => {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|source| StartError::Bind { addr: bind, source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| StartError::Bind { addr: bind, source })?;
            tokio::spawn(smtp::serve(listener, state.clone(), shutdown.subscribe()));
            Some(bound)
        }
        None => None,
    };
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        if let Err(error) = serve.await {
            tracing::error!(%error, "server stopped with an error");
        }
    });
    Ok(RunningServer {
        addr,
        smtp_addr,
        state,
        shutdown,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_manifest_names_each_bundles_files_directly() {
        let manifest = parse_manifest(
            "learner_js: l.js\nlearner_wasm: l.wasm\nfull_js: f.js\nfull_wasm: f.wasm\ncss: portal.c.css\n",
            |_, f| f.to_string(),
        )
        .unwrap();
        assert_eq!(
            manifest.bundles["learner"],
            ("l.js".to_string(), "l.wasm".to_string())
        );
        assert_eq!(
            manifest.bundles["full"],
            ("f.js".to_string(), "f.wasm".to_string())
        );
        assert_eq!(manifest.css, "portal.c.css");
    }

    #[test]
    fn cargo_leptos_hashes_become_the_full_bundle() {
        let manifest = parse_manifest("js: h1\nwasm: h2\ncss: h3\n", |kind, hash| {
            format!("portal.{hash}.{kind}")
        })
        .unwrap();
        assert_eq!(manifest.bundles["full"].1, "portal.h2.wasm");
        assert_eq!(manifest.css, "portal.h3.css");
    }

    #[test]
    fn incomplete_manifests_are_refused() {
        assert!(parse_manifest("js: a.js\n", |_, f| f.to_string()).is_none());
        assert!(parse_manifest("learner_js: a.js\ncss: c.css\n", |_, f| f.to_string()).is_none());
        assert!(parse_manifest(
            "learner_js: a.js\nlearner_wasm: a.wasm\ncss: c.css\n",
            |_, f| f.to_string()
        )
        .is_some());
        assert!(parse_manifest("", |_, f| f.to_string()).is_none());
    }
}
