//! Notification preferences, the program's Slack webhook, and the Slack outbox.
use crate::domain::notifications::Event;
use crate::server::db::Db;

/// The events a user turned off.
pub async fn muted(db: &Db, user_id: i64) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT event FROM notification_mutes WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&db.read)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(event,)| Event::parse(&event))
        .collect())
}

/// Replaces the events a user turned off (among `choices`, the ones they may choose).
pub async fn set_muted(
    db: &Db,
    user_id: i64,
    choices: &[Event],
    muted: &[Event],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    for event in choices {
        if muted.contains(event) {
            sqlx::query(
                "INSERT INTO notification_mutes (user_id, event, muted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(event.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM notification_mutes WHERE user_id = $1 AND event = $2")
                .bind(user_id)
                .bind(event.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// The sealing context of the Slack webhook: its own, so no other sealed secret (a CRM
/// token, say) opens as one.
const SLACK_CONTEXT: &str = "slack_webhook";

/// The stored Slack webhook opened: sealed (an incoming-webhook address is a bearer secret),
/// or, if it was saved before webhooks were sealed, the plain address until it is sealed.
fn open_webhook(secret_key: &[u8], stored: &str) -> Option<String> {
    crate::server::crm::unseal(secret_key, SLACK_CONTEXT, stored)
        .or_else(|| is_plain_address(stored).then(|| stored.to_string()))
}

/// Whether a stored value is an address saved before webhooks were sealed.
fn is_plain_address(stored: &str) -> bool {
    stored.starts_with("https://") || stored.starts_with("http://")
}

async fn stored_webhook(db: &Db) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT slack_webhook_url FROM program_integrations WHERE id = 1")
            .fetch_optional(&db.read)
            .await?;
    Ok(row.and_then(|(stored,)| stored).filter(|s| !s.is_empty()))
}

/// The program's Slack webhook address, if one is saved and opens.
pub async fn slack_webhook(db: &Db, secret_key: &[u8]) -> Result<Option<String>, sqlx::Error> {
    Ok(stored_webhook(db)
        .await?
        .and_then(|stored| open_webhook(secret_key, &stored)))
}

/// Saves (sealed) or, with `None`, removes the program's Slack webhook.
pub async fn set_slack_webhook(
    db: &Db,
    secret_key: &[u8],
    url: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let sealed = url.map(|url| crate::server::crm::seal(secret_key, SLACK_CONTEXT, url));
    sqlx::query(
        "INSERT INTO program_integrations (id, slack_webhook_url, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET slack_webhook_url = $1, updated_at = $2",
    )
    .bind(sealed)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Seals a webhook saved in plain text before webhooks were sealed (at start-up; a no-op
/// once sealed). Returns whether it sealed one.
pub async fn seal_plain_slack_webhook(
    db: &Db,
    secret_key: &[u8],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let Some(stored) = stored_webhook(db).await? else {
        return Ok(false);
    };
    // A sealed value starts with "v1.", never with a scheme: this is only ever the old
    // plain text.
    if !is_plain_address(&stored) {
        return Ok(false);
    }
    set_slack_webhook(db, secret_key, Some(&stored), now).await?;
    Ok(true)
}

/// Slack messages due for delivery.
pub async fn slack_due(db: &Db, now: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    super::outbox::due_in(db, "slack_outbox", now, limit).await
}

/// Takes a lease on one due message: one caller, in any instance, wins it. Returns the body
/// and how many attempts were made before.
pub async fn claim_slack(
    db: &Db,
    id: i64,
    now: i64,
    lease_until: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    if !super::outbox::lease_in(db, "slack_outbox", id, now, lease_until).await? {
        return Ok(None);
    }
    sqlx::query_as("SELECT body_json, attempts FROM slack_outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.write)
        .await
}

/// Records an attempt: sent, or failed with when to try again (`None`: give up).
pub async fn record_slack_attempt(
    db: &Db,
    id: i64,
    outcome: Result<i64, (&str, Option<i64>)>,
) -> Result<(), sqlx::Error> {
    match outcome {
        Ok(sent_at) => sqlx::query(
            "UPDATE slack_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
        )
        .bind(sent_at)
        .bind(id),
        Err((error, next)) => sqlx::query(
            "UPDATE slack_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
        )
        .bind(error.to_string())
        .bind(next.unwrap_or(i64::MAX))
        .bind(id),
    }
    .execute(&db.write)
    .await?;
    Ok(())
}
