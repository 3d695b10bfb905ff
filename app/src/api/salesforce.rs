//! Salesforce on the CRM page (vendor admins): connect with an External Client App's client
//! credentials, test the connection, check the portal's fields, run the first full sync and
//! disconnect. Field directions and failed records use the shared CRM server functions.
use crate::error::AppError;
use leptos::prelude::*;

/// Connects Salesforce. A session is minted with the credentials before anything is saved
/// (credentials Salesforce refuses are not stored); the secret is then sealed and never
/// shown again.
#[server]
pub async fn connect_salesforce(
    domain: String,
    client_id: String,
    client_secret: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::salesforce::MintFailure;
    use crate::server::crm::{salesforce, secret_hint};
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let loopback = state.settings.salesforce_loopback_http();
    let (domain, client_id, client_secret) = crate::domain::salesforce::checked_connection(
        &domain,
        &client_id,
        &client_secret,
        loopback,
    )
    .map_err(AppError::Validation)?;
    let http = crate::server::crm::hubspot::http_client();
    let minted = match salesforce::mint(&http, &domain, &client_id, &client_secret, loopback).await
    {
        Ok(minted) => minted,
        Err(MintFailure::Refused(summary)) => {
            return Err(AppError::field(
                "client_secret",
                format!("Salesforce refused these credentials ({summary}). Check the consumer key and secret, that the app allows the client credentials flow, and that it has a run-as user."),
            ))
        }
        Err(MintFailure::Unavailable(summary)) => {
            return Err(AppError::field(
                "domain",
                format!("Salesforce did not start a session at this address ({summary}). Check the My Domain URL."),
            ))
        }
    };
    let saved = Saved {
        domain: &domain,
        client_id: &client_id,
        secret: &client_secret,
        hint: &secret_hint(&client_secret),
        auth_mode: "client_credentials",
    };
    save(&state, actor.user.id, &saved, &minted).await
}

/// What a connect form proved and saves.
#[cfg(feature = "ssr")]
struct Saved<'a> {
    domain: &'a str,
    client_id: &'a str,
    /// Sealed before it is stored.
    secret: &'a str,
    hint: &'a str,
    auth_mode: &'a str,
}

/// Saves a connection whose credentials just minted `minted`, keeps that session, and
/// sends the admin back to the Salesforce section.
#[cfg(feature = "ssr")]
async fn save(
    state: &crate::server::AppState,
    by: i64,
    saved: &Saved<'_>,
    minted: &crate::domain::salesforce::MintedSession,
) -> Result<(), AppError> {
    use crate::domain::crm::{CrmKind, DealPlacement};
    use crate::server::crm::{salesforce, seal};
    use crate::server::repo::crm;
    let now = state.clock.now_ms();
    let sealed = seal(
        &state.settings.secret_key,
        CrmKind::Salesforce.as_str(),
        saved.secret,
    );
    let id = crm::save_connection(
        &state.db,
        &crm::NewConnection {
            kind: CrmKind::Salesforce,
            api_base: saved.domain,
            api_version: &state.settings.salesforce_api_version,
            secret_sealed: &sealed,
            secret_hint: saved.hint,
            placement: &DealPlacement::default(),
            auth_mode: saved.auth_mode,
            client_id: saved.client_id,
            by,
        },
        now,
    )
    .await?;
    salesforce::keep_minted(state, id, minted).await?;
    crm::record_success(&state.db, id, now).await?;
    tracing::info!(
        user_id = by,
        connection_id = id,
        auth_mode = saved.auth_mode,
        "Salesforce connected"
    );
    crate::server::guard::redirect_form_post("/crm?sf_connected=1#salesforce");
    Ok(())
}

/// Connects Salesforce with the JWT bearer flow: the key is parsed and a session minted
/// with a signed assertion before anything is saved; the key is then sealed and never
/// shown again. `sandbox` ("on") addresses the assertion to test.salesforce.com.
#[server]
pub async fn connect_salesforce_jwt(
    domain: String,
    client_id: String,
    username: String,
    private_key: String,
    #[server(default)] sandbox: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::salesforce::{checked_jwt_connection, MintFailure};
    use crate::server::crm::salesforce_jwt::{self, JwtCredentials};
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let loopback = state.settings.salesforce_loopback_http();
    let app = checked_jwt_connection(
        &domain,
        &client_id,
        &username,
        &private_key,
        sandbox.is_some_and(|value| !value.is_empty()),
        loopback,
    )
    .map_err(AppError::Validation)?;
    if let Err(problem) = salesforce_jwt::signing_key(&app.private_key) {
        return Err(AppError::field("private_key", problem.message()));
    }
    let credentials = JwtCredentials {
        private_key_pem: app.private_key.clone(),
        username: app.username.clone(),
        audience: app.audience.clone(),
    };
    let http = crate::server::crm::hubspot::http_client();
    let now = state.clock.now_ms();
    let minted =
        match salesforce_jwt::mint(&http, &app.domain, &app.client_id, &credentials, now, loopback)
            .await
        {
            Ok(minted) => minted,
            Err(MintFailure::Refused(summary)) => {
                return Err(AppError::field(
                    "private_key",
                    format!("Salesforce refused the signed assertion ({summary}). Check the consumer key, that the certificate uploaded to the app belongs to this key, and that the user is pre-authorised for the app."),
                ))
            }
            Err(MintFailure::Unavailable(summary)) => {
                return Err(AppError::field(
                    "domain",
                    format!("Salesforce did not start a session at this address ({summary}). Check the My Domain URL."),
                ))
            }
        };
    let secret = serde_json::to_string(&credentials).expect("three strings are JSON");
    let saved = Saved {
        domain: &app.domain,
        client_id: &app.client_id,
        secret: &secret,
        // Not a secret: who the portal acts as, shown on the page.
        hint: &app.username,
        auth_mode: salesforce_jwt::AUTH_MODE,
    };
    save(&state, actor.user.id, &saved, &minted).await
}

/// "Test connection": reads the org's limits with the connection's session (minting one if
/// needed); the page shows the outcome and the API calls used.
#[server]
pub async fn test_salesforce() -> Result<(), AppError> {
    use crate::domain::crm::{ConnectionState, CrmKind};
    use crate::server::crm::salesforce::{self, NoSession};
    use crate::server::repo::crm;
    let (state, connection) = super::crm::crm_connection(CrmKind::Salesforce).await?;
    let http = crate::server::crm::hubspot::http_client();
    let outcome = salesforce::with_session(&state, &http, &connection, async |client| {
        let reply = client.check().await;
        if reply.ok() {
            Ok(reply.usage)
        } else {
            Err(reply)
        }
    })
    .await?;
    let now = state.clock.now_ms();
    match outcome {
        Ok(usage) => {
            if let Some((used, limit)) = usage {
                crm::record_api_usage(&state.db, connection.id, used, limit).await?;
            }
            crm::set_state(
                &state.db,
                connection.id,
                ConnectionState::Connected,
                None,
                now,
            )
            .await?;
            crm::record_success(&state.db, connection.id, now).await?;
        }
        // The connection already says it needs re-authorisation.
        Err(NoSession::Refused(_)) => {}
        Err(NoSession::Unavailable(summary)) => {
            crm::record_error(&state.db, connection.id, &summary).await?
        }
    }
    crate::server::guard::redirect_form_post("/crm?sf_tested=1#salesforce");
    Ok(())
}

/// The field check: describes Account, Contact and Lead (or Opportunity) and lists each custom field the
/// portal needs that is missing or wrong, with how to create or fix it. With nothing to fix,
/// the connection counts as installed (the full sync can start).
#[server]
pub async fn check_salesforce_fields() -> Result<(), AppError> {
    use crate::domain::crm::CrmKind;
    use crate::server::crm::salesforce::{self, NoSession};
    use crate::server::repo::crm;
    let (state, connection) = super::crm::crm_connection(CrmKind::Salesforce).await?;
    let http = crate::server::crm::hubspot::http_client();
    let target = connection.placement.salesforce_target;
    let outcome = salesforce::with_session(&state, &http, &connection, async move |client| {
        client.field_check(target).await
    })
    .await?;
    let now = state.clock.now_ms();
    match outcome {
        Ok(problems) => {
            crm::set_field_problems(&state.db, connection.id, &problems).await?;
            if problems.is_empty() {
                crm::mark_installed(&state.db, connection.id, now).await?;
            }
            crm::record_success(&state.db, connection.id, now).await?;
        }
        Err(NoSession::Refused(message)) => return Err(AppError::Conflict(message)),
        Err(NoSession::Unavailable(summary)) => {
            crm::record_error(&state.db, connection.id, &summary).await?;
            return Err(AppError::Conflict(format!(
                "Salesforce did not answer the field check: {summary}."
            )));
        }
    }
    crate::server::guard::redirect_form_post("/crm?sf_checked=1#salesforce-setup");
    Ok(())
}

/// Chooses what registrations become in Salesforce: Leads (the default) or Opportunities.
/// The fields are checked again before anything more is sent (the Opportunity needs the
/// portal's fields too); records already written stay where they are.
#[server]
pub async fn set_salesforce_target(target: String) -> Result<(), AppError> {
    use crate::domain::crm::CrmKind;
    use crate::domain::salesforce::RegistrationTarget;
    use crate::server::repo::crm;
    let (state, connection) = super::crm::crm_connection(CrmKind::Salesforce).await?;
    let target = RegistrationTarget::parse(target.trim())
        .ok_or_else(|| AppError::field("target", "Choose Leads or Opportunities."))?;
    if target != connection.placement.salesforce_target {
        let mut placement = connection.placement.clone();
        placement.salesforce_target = target;
        crm::set_placement(&state.db, connection.id, &placement, state.clock.now_ms()).await?;
    }
    crate::server::guard::redirect_form_post("/crm?sf_target=1#salesforce-setup");
    Ok(())
}

/// Queues every partner organisation, person and registration for Salesforce. Safe to run
/// again: records already waiting are not queued twice.
#[server]
pub async fn start_salesforce_backfill() -> Result<(), AppError> {
    use crate::domain::crm::CrmKind;
    use crate::server::repo::crm;
    let (state, connection) = super::crm::crm_connection(CrmKind::Salesforce).await?;
    if connection.installed_at.is_none() {
        return Err(AppError::Conflict(
            "Check the fields first: the portal writes to custom fields that must exist in Salesforce.".into(),
        ));
    }
    let queued = crm::enqueue_backfill(&state.db, connection.id, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post(&format!("/crm?sf_queued={queued}#salesforce"));
    Ok(())
}

/// Disconnects Salesforce: the queue stops and the secret and session are erased.
#[server]
pub async fn disconnect_salesforce() -> Result<(), AppError> {
    use crate::domain::crm::CrmKind;
    use crate::server::repo::crm;
    let (state, connection) = super::crm::crm_connection(CrmKind::Salesforce).await?;
    crm::disconnect(&state.db, connection.id, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post("/crm?sf_disconnected=1");
    Ok(())
}
