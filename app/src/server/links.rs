//! Links straight to one place (a module, a deal, the announcements to acknowledge): single-use, short-lived, stored only
//! as a keyed hash, and starting a session limited to that place.
use super::crypto::{new_token, token_hash};
use super::repo::magic_links;
use super::AppState;

/// The partner's announcements, where a reminder's link lands to acknowledge them.
pub const ANNOUNCEMENTS_PLACE: &str = "/announcements";

/// The organisation's tier and rights, where a tier-change email's link lands.
pub const TIERS_PLACE: &str = "/tiers";

/// The place of a learning path, as links and scoped sessions name it.
pub fn path_place(path_id: i64) -> String {
    format!("/learn/{path_id}")
}

/// What every emailed place link promises, for the email's text.
pub fn link_terms(state: &AppState) -> String {
    format!(
        "no sign-in needed; the link works once, for {} minutes",
        state.settings.magic_link_ttl_ms / 60_000
    )
}

/// The place of a deal, as links and scoped sessions name it.
pub fn deal_place(deal_id: i64) -> String {
    format!("/deals/{deal_id}")
}

/// A link that signs `user_id` in for `place` only (e.g. `/learn/12`) and lands there.
pub async fn place_link(
    state: &AppState,
    user_id: i64,
    place: &str,
) -> Result<String, sqlx::Error> {
    let token = new_token();
    let now = state.clock.now_ms();
    magic_links::create(
        &state.db,
        &token_hash(&state.settings.secret_key, &token),
        user_id,
        place,
        Some(place),
        now,
        now + state.settings.magic_link_ttl_ms,
    )
    .await?;
    Ok(format!(
        "{}/auth/magic?token={token}",
        state.settings.public_base_url
    ))
}
