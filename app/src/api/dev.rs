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
