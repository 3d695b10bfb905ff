use clap::Parser;
use server::config::{Cli, Command, LogFormat};
use std::process::ExitCode;
use std::time::Instant;

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Stack of each runtime thread. Rendering a large page nests deeply (each view is a
/// future inside the next), and an unoptimised build needs more than tokio's 2 MiB default.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve(started)),
        Err(error) => {
            eprintln!("partner-portal: could not start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(started: Instant) -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.config.log_format);
    match run(cli, started).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("partner-portal: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, started: Instant) -> Result<(), server::StartError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Seed { demo } => {
            let state = server::build_state(&config).await?;
            if demo {
                let seeded = app::server::seed::seed_demo_if_empty(
                    &state.db,
                    state.clock.now_ms(),
                    config.demo_history,
                )
                .await?;
                println!(
                    "{}",
                    if seeded {
                        "Demo data loaded."
                    } else {
                        "The database already has data; nothing changed."
                    }
                );
            } else {
                println!("Migrations applied. Pass --demo to load demo data.");
            }
            state.db.close().await;
            Ok(())
        }
        Command::Serve => {
            let assets = server::read_asset_manifest(&config.site_root)?;
            let state = server::build_state(&config).await?;
            let running = server::start(&config, state, assets).await?;
            tracing::info!(
                url = %config.public_base_url(),
                bound = %running.addr,
                startup_ms = started.elapsed().as_millis() as u64,
                "Partner Portal is ready"
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.stop().await;
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
