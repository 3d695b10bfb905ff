//! A CRM session (a Salesforce session, a HubSpot OAuth access token) shared by every
//! worker and instance, and replaced by exactly one of them when it expires or is refused.
use crate::domain::crm::ConnectionState;
use crate::server::repo::crm::{self as repo, Connection, StoredSession};
use crate::server::AppState;
use std::future::Future;
use std::time::Duration;

/// How long a worker waits for another worker's mint before giving up for this run.
const MINT_WAIT: Duration = Duration::from_secs(10);

/// A session the sync may use, and the generation it was minted as.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub instance_url: String,
    pub generation: i64,
}

/// Why no session is available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSession {
    /// The CRM refused the credentials; the connection now needs re-authorisation.
    Refused(String),
    /// Not now (no answer, or another worker is still minting); the queue waits.
    Unavailable(String),
}

/// The stored session, opened (sealed under `context`), if there is one.
pub fn opened(state: &AppState, stored: &StoredSession, context: &str) -> Option<Session> {
    let token = super::unseal(
        &state.settings.secret_key,
        context,
        stored.sealed.as_deref()?,
    )?;
    Some(Session {
        token,
        instance_url: stored.instance_url.clone()?,
        generation: stored.generation,
    })
}

/// Replaces the session of generation `seen`. Of all the workers that saw it fail, the one
/// that takes the lease in the database runs `mint` (which stores the next generation or
/// frees the lease); the others wait for its result, so the CRM's token endpoint sees one
/// request however many workers and instances there are.
pub async fn single_flight<F, Fut>(
    state: &AppState,
    connection: &Connection,
    seen: i64,
    context: &str,
    mint: F,
) -> Result<Result<Session, NoSession>, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Result<Session, NoSession>, sqlx::Error>>,
{
    use crate::domain::salesforce::MINT_LEASE_MS;
    let started = std::time::Instant::now();
    loop {
        let now = state.clock.now_ms();
        if repo::take_mint_lease(&state.db, connection.id, seen, now, now + MINT_LEASE_MS).await? {
            return mint().await;
        }
        let stored = repo::session(&state.db, connection.id).await?;
        if stored.generation > seen {
            if let Some(session) = opened(state, &stored, context) {
                return Ok(Ok(session));
            }
        }
        let current = repo::live_connection(&state.db, connection.kind).await?;
        if current.is_none_or(|current| current.state != ConnectionState::Connected) {
            return Ok(Err(NoSession::Refused(
                "The connection needs to be authorised again.".into(),
            )));
        }
        if started.elapsed() > MINT_WAIT {
            return Ok(Err(NoSession::Unavailable(format!(
                "Another worker is still renewing the {} session.",
                connection.kind.label()
            ))));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a leaseholder's token request gave.
pub struct Minted {
    pub token: String,
    pub instance_url: String,
    /// When it expires, if the CRM said.
    pub expires_at: Option<i64>,
    /// A new sealed connection secret, if the CRM rotated one (HubSpot's refresh token).
    pub secret_sealed: Option<String>,
}

/// Ends a leaseholder's mint of the session after generation `seen`: a new token becomes the
/// next generation (sealed under `context`); a refusal stops the connection and tells the
/// admins, in the words `refused(summary)` gives; no answer only records the problem. The
/// lease is freed either way.
pub async fn finish_mint(
    state: &AppState,
    connection: &Connection,
    seen: i64,
    context: &str,
    outcome: Result<Minted, crate::domain::salesforce::MintFailure>,
    refused: impl FnOnce(&str) -> String,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    use crate::domain::salesforce::MintFailure;
    let now = state.clock.now_ms();
    match outcome {
        Ok(minted) => Ok(Ok(store(state, connection.id, seen, context, minted).await?)),
        Err(MintFailure::Refused(summary)) => {
            repo::release_mint_lease(&state.db, connection.id).await?;
            let message = refused(&summary);
            repo::needs_reauthorisation(&state.db, connection.id, &message, now).await?;
            Ok(Err(NoSession::Refused(message)))
        }
        Err(MintFailure::Unavailable(summary)) => {
            repo::release_mint_lease(&state.db, connection.id).await?;
            repo::record_error(&state.db, connection.id, &summary).await?;
            Ok(Err(NoSession::Unavailable(summary)))
        }
    }
}

/// Keeps a token got while connecting (the credentials were just proven) as the
/// connection's next generation.
pub async fn keep(
    state: &AppState,
    connection_id: i64,
    context: &str,
    minted: Minted,
) -> Result<(), sqlx::Error> {
    let seen = repo::session(&state.db, connection_id).await?.generation;
    store(state, connection_id, seen, context, minted).await?;
    Ok(())
}

/// Seals `minted` under `context` and stores it as the generation after `seen`.
async fn store(
    state: &AppState,
    connection_id: i64,
    seen: i64,
    context: &str,
    minted: Minted,
) -> Result<Session, sqlx::Error> {
    let sealed = super::seal(&state.settings.secret_key, context, &minted.token);
    let session = repo::NewSession {
        sealed: &sealed,
        instance_url: &minted.instance_url,
        expires_at: minted.expires_at,
        secret_sealed: minted.secret_sealed.as_deref(),
    };
    let now = state.clock.now_ms();
    repo::store_session(&state.db, connection_id, seen, &session, now).await?;
    Ok(Session {
        token: minted.token,
        instance_url: minted.instance_url,
        generation: seen + 1,
    })
}
