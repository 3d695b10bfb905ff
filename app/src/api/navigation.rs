//! What waits for the signed-in person, for the badges in the navigation.
use crate::error::AppError;
use crate::model::NavBadges;
use leptos::prelude::*;

/// Counts for the navigation: for partners, announcements unread or to acknowledge and required
/// training not finished; for vendor staff, registrations and appeals waiting for review and
/// learners' questions waiting for an answer.
/// Nothing for visitors or for a session opened from a link to one place.
#[server]
pub async fn load_nav_badges() -> Result<NavBadges, AppError> {
    use crate::server::guard::{app_state, current_actor};
    use crate::server::repo::{announcements, channel};
    let Some(actor) = current_actor().await? else {
        return Ok(NavBadges::default());
    };
    if actor.user.scope.is_some() {
        return Ok(NavBadges::default());
    }
    let state = app_state()?;
    if actor.user.role.is_vendor_staff() {
        return Ok(NavBadges {
            to_review: channel::waiting_for_review_count(&state.db).await?,
            questions_waiting: crate::server::repo::replies::module_threads_waiting(&state.db)
                .await?,
            ..NavBadges::default()
        });
    }
    let learner = crate::api::learning::imp::learner(&state, &actor).await?;
    let training_due = crate::api::learning::imp::catalog(&state, &learner)
        .await?
        .iter()
        .filter(|entry| entry.required && entry.completed_at.is_none() && entry.certified.is_none())
        .count();
    Ok(NavBadges {
        announcements_waiting: announcements::waiting_count(&state.db, actor.user.id).await?,
        training_due,
        ..NavBadges::default()
    })
}
