//! Background work: email delivery and housekeeping. Each job is safe to run late, twice,
//! or in several instances at once (see the claims in `repo::outbox`).
use app::server::repo::{magic_links, rate_limits};
use app::server::AppState;
use std::time::Duration;
use tokio::sync::watch;

const MAIL_POLL: Duration = Duration::from_secs(10);
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);
const QUIZ_EXPIRY_EVERY: Duration = Duration::from_secs(15);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub fn spawn_all(state: AppState, stop: watch::Receiver<bool>) {
    tokio::spawn(deliver_email(state.clone(), stop.clone()));
    tokio::spawn(close_expired_quiz_attempts(state.clone(), stop.clone()));
    tokio::spawn(expire_deal_protections(state.clone(), stop.clone()));
    tokio::spawn(housekeeping(state, stop));
}

/// Grades attempts whose time ran out while the learner was away, so results and cooldowns
/// do not wait for the learner's next visit.
async fn close_expired_quiz_attempts(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match app::server::repo::quiz::submit_expired(&state.db, state.clock.now_ms()).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed expired quiz attempts"),
            Err(error) => tracing::error!(%error, "closing expired quiz attempts failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(QUIZ_EXPIRY_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

const PROTECTION_EXPIRY_EVERY: Duration = Duration::from_secs(60);

/// Ends deal protections whose window has passed (each once, with an audit row).
async fn expire_deal_protections(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        match app::server::repo::channel::expire_protections(&state.db, state.clock.now_ms()).await
        {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired deal protections"),
            Err(error) => tracing::error!(%error, "expiring deal protections failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PROTECTION_EXPIRY_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn deliver_email(state: AppState, mut stop: watch::Receiver<bool>) {
    if !state.mailer.is_configured() {
        return;
    }
    loop {
        if let Err(error) = state.mailer.deliver_due(&state).await {
            tracing::error!(%error, "email delivery run failed");
        }
        tokio::select! {
            _ = state.mailer.woken() => {}
            _ = tokio::time::sleep(MAIL_POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Removes rows no rule looks at any more.
pub async fn run_housekeeping(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    magic_links::purge_dead(&state.db, now).await?;
    rate_limits::purge_before(&state.db, now - DAY_MS).await?;
    Ok(())
}

async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(error) = run_housekeeping(&state).await {
            tracing::error!(%error, "housekeeping failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
