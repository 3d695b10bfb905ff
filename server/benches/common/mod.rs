//! What the load scripts share: a real server on a fresh SQLite file, on its own runtime,
//! and a separate runtime for the load generator.
use app::server::AppState;
use app::AssetManifest;
use clap::Parser;
use server::config::Cli;
use server::RunningServer;
use std::path::PathBuf;

pub struct Portal {
    pub dir: PathBuf,
    pub state: AppState,
    pub running: RunningServer,
    pub server_runtime: tokio::runtime::Runtime,
    pub client_runtime: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    // Two worker threads each, like the binary on this 2-core machine.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Starts the portal (migrated, with demo data) in a temporary folder named after `name`,
/// with `extra` command-line flags.
pub fn start_with(name: &str, extra: &[&str]) -> Portal {
    start_on(name, None, extra)
}

/// Like `start_with`, on `database_url` (an empty database) instead of a fresh SQLite file.
pub fn start_on(name: &str, database_url: Option<&str>, extra: &[&str]) -> Portal {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = format!("sqlite:{}/portal.db", dir.display());
    let mut args: Vec<String> = [
        "partner-portal",
        "--database-url",
        database_url.unwrap_or(&sqlite),
        "--bind",
        "127.0.0.1:0",
        "--data-dir",
        &dir.display().to_string(),
        "--site-root",
        &dir.display().to_string(),
        "--secret-key",
        &"cd".repeat(32),
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    // The demo's own program, without the generated history, unless a script asks.
    if !extra.contains(&"--demo-history") {
        args.extend(["--demo-history".to_string(), "false".to_string()]);
    }
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let config = Cli::try_parse_from(args).expect("configuration").config;
    let server_runtime = runtime();
    let (state, running) = server_runtime.block_on(async {
        let state = server::build_state(&config).await.expect("state");
        let assets = AssetManifest {
            bundles: [(
                "full".to_string(),
                ("x.js".to_string(), "x.wasm".to_string()),
            )]
            .into(),
            css: "x.css".into(),
        };
        let running = server::start(&config, state.clone(), assets)
            .await
            .expect("server");
        (state, running)
    });
    Portal {
        dir,
        state,
        running,
        server_runtime,
        client_runtime: runtime(),
    }
}

impl Portal {
    pub fn stop(self) {
        self.server_runtime.block_on(self.running.stop());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The number after `name` on the command line (`--takers 1000`), or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Milliseconds at the given quantile of microsecond samples (sorted in place).
pub fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize] as f64 / 1000.0
}
