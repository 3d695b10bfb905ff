use crate::error::AppError;
use crate::model::OutboxEmail;
use leptos::prelude::*;

/// The most recent outgoing emails. Development mode only: it lets a person click magic
/// links without an SMTP server. In production it does not exist (404).
#[server]
pub async fn dev_outbox() -> Result<Vec<OutboxEmail>, AppError> {
    use crate::server::guard::app_state;
    use crate::server::Mode;
    let state = app_state()?;
    if state.settings.mode != Mode::Development {
        return Err(AppError::NotFound);
    }
    let mut emails = crate::server::repo::outbox::recent(&state.db, 50).await?;
    for email in &mut emails {
        email.reply_to = crate::server::mail::reply_address_of(&state, email);
    }
    Ok(emails)
}

/// What the browser needs to know about this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortalInfo {
    pub demo: bool,
    pub dev_outbox: bool,
}

#[server]
pub async fn load_portal_info() -> Result<PortalInfo, AppError> {
    use crate::server::guard::app_state;
    let state = app_state()?;
    Ok(PortalInfo {
        demo: state.settings.demo,
        dev_outbox: state.settings.mode == crate::server::Mode::Development,
    })
}

/// What an admin types to confirm a demo reset.
pub const RESET_CONFIRMATION: &str = "RESET";

/// Deletes everything and loads the demo program again, for the shared demo deployment that
/// fills with visitors' test data. Admins only, demo mode only (404 elsewhere), confirmed by
/// typing `RESET`. Everyone is signed out, the admin too: a plain post lands on the sign-in
/// page, which says what happened.
#[server]
pub async fn reset_demo_data(confirm: String) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let state = app_state()?;
    if !state.settings.demo {
        return Err(AppError::NotFound);
    }
    authorize(Policy::VendorAdmin).await?;
    if confirm.trim() != RESET_CONFIRMATION {
        return Err(AppError::field(
            "confirm",
            "Type RESET in capital letters to confirm. Nothing was deleted.",
        ));
    }
    crate::server::seed::reset_demo(&state.db, state.clock.now_ms(), state.settings.demo_history)
        .await
        .map_err(|error| {
            tracing::error!(%error, "demo reset failed");
            AppError::Internal
        })?;
    tracing::info!("demo data reset by an admin");
    redirect_form_post("/login?reset=1");
    Ok(())
}
