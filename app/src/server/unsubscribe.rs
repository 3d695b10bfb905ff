//! One-click unsubscribe (RFC 8058) for notification emails. The link names the address and
//! the event and carries a keyed hash of both, so it works without signing in, only for
//! that person and that event, and cannot be made up for anyone else. Using it turns the
//! event off in the person's notification choices, the same switch the preferences page has.
use super::crypto::token_hash;
use super::db::Db;
use crate::components::load::encode_query_value;
use crate::domain::notifications::Event;

/// The keyed hash that proves the link was ours.
pub fn token(secret: &[u8], email: &str, event: Event) -> String {
    token_hash(secret, &format!("unsubscribe\n{email}\n{}", event.as_str()))
}

/// The one-click address for `email` and `event`.
pub fn url(public_base_url: &str, secret: &[u8], email: &str, event: Event) -> String {
    format!(
        "{public_base_url}/unsubscribe?email={}&event={}&token={}",
        encode_query_value(email),
        event.as_str(),
        token(secret, email, event)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    /// The event is now off (or already was).
    Done(Event),
    /// The link is not one we made, or the person no longer has an account.
    Refused,
}

/// Turns `event` off for `email` if `given_token` is ours. Idempotent.
pub async fn apply(
    db: &Db,
    secret: &[u8],
    email: &str,
    event: &str,
    given_token: &str,
    now: i64,
) -> Result<Unsubscribed, sqlx::Error> {
    let Some(event) = Event::parse(event) else {
        return Ok(Unsubscribed::Refused);
    };
    let expected = token(secret, email, event);
    if !super::crypto::same_secret(given_token, &expected) {
        return Ok(Unsubscribed::Refused);
    }
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.read)
        .await?;
    let Some((user_id,)) = user else {
        return Ok(Unsubscribed::Refused);
    };
    sqlx::query(
        "INSERT INTO notification_mutes (user_id, event, muted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, event) DO NOTHING",
    )
    .bind(user_id)
    .bind(event.as_str())
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(Unsubscribed::Done(event))
}
