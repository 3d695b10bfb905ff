//! Connecting HubSpot through OAuth 2 with the vendor's own HubSpot app (vendor admins):
//! "Connect with HubSpot" keeps a one-time state and a PKCE verifier and sends the admin to
//! HubSpot's consent screen; HubSpot sends them back to `/crm/hubspot/authorised`, whose
//! form (a POST: a GET never writes) exchanges the one-time code for the tokens.
use crate::error::AppError;
use leptos::prelude::*;

/// Sends the admin to HubSpot's consent screen for the app. Returns its address (plain
/// form posts are redirected there).
#[server]
pub async fn start_hubspot_oauth(
    client_id: String,
    client_secret: String,
    pipeline: String,
    stage: String,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::hubspot_oauth::{authorize_url, checked_app, CONSENT_WINDOW_MS};
    use crate::server::crm::hubspot_oauth::{redirect_uri, START_CONTEXT};
    use crate::server::crm::seal;
    use crate::server::crypto::{new_token, pkce_challenge, token_hash};
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::crm;
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let app =
        checked_app(&client_id, &client_secret, &pipeline, &stage).map_err(AppError::Validation)?;
    let consent_state = new_token();
    let verifier = new_token();
    let key = &state.settings.secret_key;
    let now = state.clock.now_ms();
    crm::save_oauth_start(
        &state.db,
        &crm::OAuthStart {
            state_hash: &token_hash(key, &consent_state),
            user_id: actor.user.id,
            client_id: &app.client_id,
            client_secret_sealed: &seal(key, START_CONTEXT, &app.client_secret),
            verifier_sealed: &seal(key, START_CONTEXT, &verifier),
            placement: &app.placement,
            expires_at: now + CONSENT_WINDOW_MS,
        },
        now,
    )
    .await?;
    let url = authorize_url(
        &state.settings.hubspot_authorize_url,
        &app.client_id,
        &redirect_uri(&state),
        &consent_state,
        &pkce_challenge(&verifier),
    );
    redirect_form_post(&url);
    Ok(url)
}

/// Finishes a consent: the admin's own pending state, once, within the window; the code
/// exchanged (with the verifier) for tokens that are proven on HubSpot's CRM API before
/// the connection is saved.
#[server]
pub async fn finish_hubspot_oauth(code: String, state: String) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::crm::{CrmKind, DealPlacement};
    use crate::domain::hubspot_oauth::callback_value;
    use crate::domain::salesforce::MintFailure;
    use crate::server::crm::hubspot::HubSpot;
    use crate::server::crm::hubspot_oauth::{
        keep_tokens, redirect_uri, request_tokens, seal_app_secret, token_url, AppSecret,
        AUTH_MODE, START_CONTEXT,
    };
    use crate::server::crm::{secret_hint, unseal};
    use crate::server::crypto::token_hash;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::crm;
    let actor = authorize(Policy::VendorAdmin).await?;
    let app_state = app_state()?;
    let start_again = "Press \u{201c}Connect with HubSpot\u{201d} on the CRM page again.";
    let (Some(code), Some(consent_state)) = (callback_value(&code), callback_value(&state)) else {
        return Err(AppError::field(
            "code",
            format!("This is not an answer from HubSpot. {start_again}"),
        ));
    };
    let key = &app_state.settings.secret_key;
    let now = app_state.clock.now_ms();
    let pending = crm::take_oauth_start(
        &app_state.db,
        &token_hash(key, consent_state),
        actor.user.id,
        now,
    )
    .await?
    .ok_or_else(|| {
        AppError::field(
            "code",
            format!("This consent expired, was already used, or was started by someone else. {start_again}"),
        )
    })?;
    let opened = (
        unseal(key, START_CONTEXT, &pending.client_secret_sealed),
        unseal(key, START_CONTEXT, &pending.verifier_sealed),
        serde_json::from_str::<DealPlacement>(&pending.placement_json).ok(),
    );
    let (Some(client_secret), Some(verifier), Some(placement)) = opened else {
        return Err(AppError::field(
            "code",
            format!("The consent can no longer be read. {start_again}"),
        ));
    };
    let base = app_state.settings.hubspot_api_base.clone();
    let version = app_state.settings.hubspot_api_version.clone();
    let http = crate::server::crm::hubspot::http_client();
    let redirect = redirect_uri(&app_state);
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", pending.client_id.as_str()),
        ("client_secret", client_secret.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code", code),
        ("code_verifier", verifier.as_str()),
    ];
    let tokens = match request_tokens(&http, &token_url(&base, &version), &form, now).await {
        Ok(tokens) => tokens,
        Err(MintFailure::Refused(summary)) => {
            return Err(AppError::field(
                "code",
                format!(
                "HubSpot refused the consent ({summary}). Check the app's client secret, then {}",
                start_again.to_lowercase()
            ),
            ))
        }
        Err(MintFailure::Unavailable(summary)) => {
            return Err(AppError::field(
                "code",
                format!(
                    "HubSpot's token endpoint did not answer usefully ({summary}). {start_again}"
                ),
            ))
        }
    };
    let reply = HubSpot {
        http: &http,
        base: &base,
        version: &version,
        token: tokens.access_token.clone(),
        generation: 0,
    }
    .check()
    .await;
    match reply.status() {
        Some(200..=299) => {}
        Some(403) => {
            return Err(AppError::field(
                "code",
                "HubSpot authorised the app, but without the CRM scopes the portal needs. Add them to the app, then connect again.",
            ))
        }
        _ => {
            return Err(AppError::field(
                "code",
                format!("HubSpot's CRM API refused the new access token ({}). {start_again}", reply.summary()),
            ))
        }
    }
    let sealed = seal_app_secret(
        &app_state,
        &AppSecret {
            client_secret,
            refresh_token: tokens.refresh_token.clone(),
        },
    );
    let id = crm::save_connection(
        &app_state.db,
        &crm::NewConnection {
            kind: CrmKind::Hubspot,
            api_base: &base,
            api_version: &version,
            secret_sealed: &sealed,
            secret_hint: &secret_hint(&pending.client_id),
            placement: &placement,
            auth_mode: AUTH_MODE,
            client_id: &pending.client_id,
            by: actor.user.id,
        },
        now,
    )
    .await?;
    keep_tokens(&app_state, id, &base, &tokens).await?;
    crm::record_success(&app_state.db, id, now).await?;
    tracing::info!(
        user_id = actor.user.id,
        connection_id = id,
        "HubSpot connected through OAuth"
    );
    redirect_form_post("/crm?connected=1");
    Ok(())
}
