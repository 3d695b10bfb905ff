//! HubSpot through OAuth 2 with an app the vendor owns: the code exchange when an admin
//! connects, and access tokens refreshed shortly before they expire (or once after a 401)
//! by one worker for all of them. A refused refresh stops the connection and tells the
//! admins; a private-app token connection goes through the same door unchanged.
use super::session::{NoSession, Session};
use crate::domain::hubspot_oauth::{self as rules, Tokens};
use crate::domain::salesforce::MintFailure;
use crate::server::repo::crm::{self as repo, Connection};
use crate::server::AppState;
use serde::{Deserialize, Serialize};

/// The sealing context of an access token (the app secret uses the connection kind).
const SESSION_CONTEXT: &str = "hubspot-session";
/// The sealing context of a pending consent's app secret and PKCE verifier.
pub const START_CONTEXT: &str = "hubspot-oauth-start";
/// How a connection says it refreshes.
pub const AUTH_MODE: &str = "oauth_refresh";
const MAX_BODY_BYTES: usize = 64 << 10;

/// What an OAuth connection keeps sealed: the app's client secret and the refresh token.
#[derive(Serialize, Deserialize)]
pub struct AppSecret {
    pub client_secret: String,
    pub refresh_token: String,
}

pub fn seal_app_secret(state: &AppState, secret: &AppSecret) -> String {
    super::seal(
        &state.settings.secret_key,
        crate::domain::crm::CrmKind::Hubspot.as_str(),
        &serde_json::to_string(secret).expect("two strings are JSON"),
    )
}

fn open_app_secret(state: &AppState, connection: &Connection) -> Option<AppSecret> {
    serde_json::from_str(&super::open_secret(&state.settings.secret_key, connection)?).ok()
}

/// HubSpot's token endpoint, on the API host in the configured API version.
pub fn token_url(api_base: &str, version: &str) -> String {
    format!("{api_base}/oauth/{version}/token")
}

/// The portal's address HubSpot sends the admin back to.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/crm/hubspot/authorised", state.settings.public_base_url)
}

/// One form POST to the token endpoint (parameters in the body, never the query; no
/// redirects followed), read at `now`.
pub async fn request_tokens(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    now: i64,
) -> Result<Tokens, MintFailure> {
    let (status, body) = super::post_token_form(http, url, form, MAX_BODY_BYTES).await;
    rules::tokens(status, &body, now)
}

/// Keeps the access token a code exchange gave as the connection's next session.
pub async fn keep_tokens(
    state: &AppState,
    connection_id: i64,
    api_base: &str,
    tokens: &Tokens,
) -> Result<(), sqlx::Error> {
    let minted = super::session::Minted {
        token: tokens.access_token.clone(),
        instance_url: api_base.to_string(),
        expires_at: Some(tokens.expires_at),
        secret_sealed: None,
    };
    super::session::keep(state, connection_id, SESSION_CONTEXT, minted).await
}

/// The token to call HubSpot with: a private-app token as saved, or the OAuth access token,
/// refreshed first when it is about to expire. `Refused`: an admin must connect again (the
/// connection says so); `Unavailable`: not now.
pub async fn access_token(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    let stored = repo::session(&state.db, connection.id).await?;
    if stored.auth_mode != AUTH_MODE {
        return Ok(
            match super::open_secret(&state.settings.secret_key, connection) {
                Some(token) => Ok(Session {
                    token,
                    instance_url: connection.api_base.clone(),
                    generation: 0,
                }),
                None => Err(NoSession::Refused(
                    "The saved credentials cannot be read; connect again.".into(),
                )),
            },
        );
    }
    if !rules::needs_refresh(state.clock.now_ms(), stored.expires_at) {
        if let Some(session) = super::session::opened(state, &stored, SESSION_CONTEXT) {
            return Ok(Ok(session));
        }
    }
    renew(state, http, connection, stored.generation).await
}

/// Replaces the access token of generation `seen` (expiring, or refused with a 401): one
/// worker refreshes, the others use its token. A private-app token cannot be renewed:
/// `Refused`, and the caller stops the connection as for any refused token.
pub async fn renew(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    seen: i64,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    let stored = repo::session(&state.db, connection.id).await?;
    if stored.auth_mode != AUTH_MODE {
        return Ok(Err(NoSession::Refused(
            "HubSpot refused the private-app token.".into(),
        )));
    }
    super::session::single_flight(state, connection, seen, SESSION_CONTEXT, || {
        refresh_as_leaseholder(state, http, connection, seen)
    })
    .await
}

async fn refresh_as_leaseholder(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    seen: i64,
) -> Result<Result<Session, NoSession>, sqlx::Error> {
    let now = state.clock.now_ms();
    let Some(app) = open_app_secret(state, connection) else {
        repo::release_mint_lease(&state.db, connection.id).await?;
        let message =
            "The saved HubSpot app credentials cannot be read; connect with HubSpot again.";
        repo::needs_reauthorisation(&state.db, connection.id, message, now).await?;
        return Ok(Err(NoSession::Refused(message.into())));
    };
    let url = token_url(&connection.api_base, &connection.api_version);
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", connection.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("refresh_token", app.refresh_token.as_str()),
    ];
    let minted = request_tokens(http, &url, &form, now).await.map(|tokens| {
        // HubSpot may or may not rotate the refresh token: keep whatever came back.
        let rotated = (tokens.refresh_token != app.refresh_token).then(|| {
            seal_app_secret(
                state,
                &AppSecret {
                    client_secret: app.client_secret.clone(),
                    refresh_token: tokens.refresh_token.clone(),
                },
            )
        });
        super::session::Minted {
            token: tokens.access_token,
            instance_url: connection.api_base.clone(),
            expires_at: Some(tokens.expires_at),
            secret_sealed: rotated,
        }
    });
    super::session::finish_mint(state, connection, seen, SESSION_CONTEXT, minted, |summary| {
        format!("HubSpot refused to renew the portal's access ({summary}); the app may have been uninstalled. Connect with HubSpot again.")
    })
    .await
}
