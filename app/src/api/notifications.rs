//! Notification preferences (each person chooses which events reach them by email) and the
//! program's Slack incoming webhook (vendor admins).
use crate::domain::notifications::Event;
use crate::error::AppError;
use crate::model::NotificationSettings;
use leptos::prelude::*;

/// The signed-in person's choices, and the Slack webhook for vendor admins.
#[server]
pub async fn load_notification_settings() -> Result<NotificationSettings, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::identity::Role;
    use crate::domain::notifications::choices_for;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::notifications;
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let muted = notifications::muted(&state.db, actor.user.id).await?;
    let is_admin = actor.user.role == Role::VendorAdmin;
    Ok(NotificationSettings {
        choices: choices_for(actor.user.role)
            .into_iter()
            .map(|event| (event, !muted.contains(&event)))
            .collect(),
        // Never the address itself (a bearer secret): its last characters, to recognise it.
        slack_webhook: if is_admin {
            Some(
                notifications::slack_webhook(&state.db, &state.settings.secret_key)
                    .await?
                    .map(|url| crate::server::crm::secret_hint(&url))
                    .unwrap_or_default(),
            )
        } else {
            None
        },
    })
}

/// Saves which events reach the signed-in person by email (the rest are turned off).
/// A form post: each checked choice as `enabled[i]`.
#[server]
pub async fn save_notification_preferences(
    #[server(default)] enabled: Vec<Event>,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::notifications::choices_for;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::notifications;
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let choices = choices_for(actor.user.role);
    let muted: Vec<Event> = choices
        .iter()
        .copied()
        .filter(|event| !enabled.contains(event))
        .collect();
    notifications::set_muted(
        &state.db,
        actor.user.id,
        &choices,
        &muted,
        state.clock.now_ms(),
    )
    .await?;
    Ok(())
}

/// Sets (or, empty, removes) the program's Slack incoming webhook (vendor admins).
#[server]
pub async fn save_slack_webhook(url: String) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::notifications::checked_webhook_url;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::notifications;
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let url = checked_webhook_url(&url, state.settings.webhook_hosts())
        .map_err(|message| AppError::field("slack_webhook", message))?;
    notifications::set_slack_webhook(
        &state.db,
        &state.settings.secret_key,
        url.as_deref(),
        state.clock.now_ms(),
    )
    .await?;
    tracing::info!(
        user_id = actor.user.id,
        set = url.is_some(),
        "Slack webhook changed"
    );
    Ok(())
}
