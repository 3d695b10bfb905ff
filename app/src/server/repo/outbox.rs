use crate::domain::notifications::{slack_message, Event};
use crate::model::OutboxEmail;
use crate::server::db::Db;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// An email queued in the same transaction as the work it reports.
pub struct Notice {
    /// What it is about: decides whether the recipient wants it, and whether the program's
    /// Slack channel hears about it too.
    pub event: Event,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The deal or module it is about, if any, with the email's own Message-ID (and the
    /// hash of its reply address key): a reply lands in that deal's or module's conversation.
    pub thread: Option<Thread>,
}

/// What makes an email about a deal or a module answerable, fixed when it is queued (so the
/// dev outbox shows its reply address, and a retry keeps it). Built by `mail::thread`.
#[derive(Debug, Clone)]
pub struct Thread {
    pub topic: crate::domain::replies::ReplyTopic,
    pub message_id: String,
    pub reply_key_hash: Option<String>,
}

/// Sends the notices of a piece of work exactly once. `flag` is a conditional UPDATE that
/// changes one row only the first time (e.g. `SET reminded_at = $1 ... AND reminded_at IS
/// NULL`); if it did, `also` (an audit row, a CRM sync, say) runs and the notices are queued, all in one
/// transaction. A second run, or another instance, finds the flag set and sends nothing.
/// Returns whether this call did the work.
pub async fn send_once<'q>(
    db: &Db,
    flag: Query<'q, Any, AnyArguments<'q>>,
    also: Vec<Query<'q, Any, AnyArguments<'q>>>,
    notices: &[Notice],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    if flag.execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    for query in also {
        query.execute(&mut *tx).await?;
    }
    queue_in(&mut tx, notices, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Queues notices now (work that needs no once-only flag, e.g. publishing a module).
pub async fn queue_notices(db: &Db, notices: &[Notice], now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    queue_in(&mut tx, notices, now).await?;
    tx.commit().await
}

/// Emails every notice whose recipient has not turned its event off, and posts each Slack
/// event once (its first notice's subject) when the program has a Slack webhook. Called
/// inside the transaction that does the work being reported.
pub(crate) async fn queue_in(
    tx: &mut sqlx::Transaction<'_, Any>,
    notices: &[Notice],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut posted: Vec<Event> = Vec::new();
    let webhook: Option<(Option<String>,)> =
        sqlx::query_as("SELECT slack_webhook_url FROM program_integrations WHERE id = 1")
            .fetch_optional(&mut **tx)
            .await?;
    let slack = webhook.and_then(|(url,)| url).is_some();
    for notice in notices {
        let muted: Option<(i64,)> = sqlx::query_as(
            "SELECT m.user_id FROM notification_mutes m JOIN users u ON u.id = m.user_id \
             WHERE u.email = $1 AND m.event = $2",
        )
        .bind(&notice.to)
        .bind(notice.event.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        if muted.is_none() {
            let id = enqueue_as(
                &mut **tx,
                &notice.to,
                &notice.subject,
                &notice.body,
                Some(notice.event),
                now,
            )
            .await?;
            if let Some(thread) = &notice.thread {
                set_thread(tx, id, thread).await?;
            }
        }
        if slack && notice.event.goes_to_slack() && !posted.contains(&notice.event) {
            posted.push(notice.event);
            sqlx::query(
                "INSERT INTO slack_outbox (event, body_json, created_at, next_attempt_at) VALUES ($1, $2, $3, $3)",
            )
            .bind(notice.event.as_str())
            .bind(slack_message(&notice.subject).to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Files a queued email under its deal's or module's thread.
pub(crate) async fn set_thread(
    tx: &mut sqlx::Transaction<'_, Any>,
    email_id: i64,
    thread: &Thread,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_outbox SET deal_id = $1, path_id = $2, message_id = $3, reply_key_hash = $4 \
         WHERE id = $5",
    )
    .bind(thread.topic.deal_id())
    .bind(thread.topic.path_id())
    .bind(&thread.message_id)
    .bind(thread.reply_key_hash.as_deref())
    .bind(email_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues an email. Takes a pool or a transaction, so a job can queue its message in the
/// same transaction that marks the work done (and so sends it exactly once).
pub async fn enqueue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    to: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    enqueue_as(executor, to, subject, body, None, now).await
}

/// Queues an email that is (with `event`) a notification its recipient can turn off: its
/// delivery carries a one-click unsubscribe for that event.
pub async fn enqueue_as<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    to: &str,
    subject: &str,
    body: &str,
    event: Option<Event>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    // A subject is one header line: text stored before the one-line rule cannot break it.
    let subject = crate::domain::validation::as_one_line(subject);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO email_outbox (to_address, subject, body_text, created_at, next_attempt_at, event) \
         VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .bind(event.map(|e| e.as_str().to_string()))
    .fetch_one(executor)
    .await?;
    Ok(id)
}

/// Ids of emails due for delivery.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    due_in(db, "email_outbox", now, limit).await
}

/// Takes a lease on one due email. Only one caller, in any instance, wins a lease; a crashed
/// sender's lease runs out and the email becomes due again.
pub async fn claim(
    db: &Db,
    id: i64,
    now: i64,
    lease_until: i64,
) -> Result<Option<OutboxEmail>, sqlx::Error> {
    if !lease_in(db, "email_outbox", id, now, lease_until).await? {
        return Ok(None);
    }
    fetch(db, id).await
}

/// Ids of due, unsent rows of an outbox table (email or Slack).
pub(crate) async fn due_in(
    db: &Db,
    table: &'static str,
    now: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Leases one due row of an outbox table by moving its next attempt past the lease; false
/// when another sender got it first.
pub(crate) async fn lease_in(
    db: &Db,
    table: &'static str,
    id: i64,
    now: i64,
    lease_until: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(&format!(
        "UPDATE {table} SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $3"
    ))
    .bind(lease_until)
    .bind(id)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records a failed attempt; `next_attempt_at` of `None` gives up on the email.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
    )
    .bind(error)
    .bind(next_attempt_at.unwrap_or(i64::MAX))
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(())
}

const OUTBOX_SELECT: &str =
    "SELECT id, to_address, subject, body_text, created_at, sent_at, attempts, last_error, event, \
     deal_id, path_id, message_id, in_reply_to, thread_references FROM email_outbox";

/// Gives an email its Message-ID the first time it is sent (a retry keeps it, so a reply
/// to either attempt threads the same), and, for one about a deal or a module, the hash of the key in
/// its reply address. Returns the Message-ID it has.
pub async fn fix_message_id(
    db: &Db,
    id: i64,
    fresh: &str,
    reply_key_hash: impl Fn(&str) -> Option<String>,
) -> Result<String, sqlx::Error> {
    sqlx::query("UPDATE email_outbox SET message_id = $1 WHERE id = $2 AND message_id IS NULL")
        .bind(fresh)
        .bind(id)
        .execute(&db.write)
        .await?;
    let (message_id,): (String,) =
        sqlx::query_as("SELECT message_id FROM email_outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&db.write)
            .await?;
    if let Some(hash) = reply_key_hash(&message_id) {
        sqlx::query(
            "UPDATE email_outbox SET reply_key_hash = $1 WHERE id = $2 AND reply_key_hash IS NULL",
        )
        .bind(hash)
        .bind(id)
        .execute(&db.write)
        .await?;
    }
    Ok(message_id)
}

pub async fn fetch(db: &Db, id: i64) -> Result<Option<OutboxEmail>, sqlx::Error> {
    let row: Option<OutboxRow> = sqlx::query_as(&format!("{OUTBOX_SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.write)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn recent(db: &Db, limit: i64) -> Result<Vec<OutboxEmail>, sqlx::Error> {
    let rows: Vec<OutboxRow> =
        sqlx::query_as(&format!("{OUTBOX_SELECT} ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&db.read)
            .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    created_at: i64,
    sent_at: Option<i64>,
    attempts: i64,
    last_error: Option<String>,
    event: Option<String>,
    deal_id: Option<i64>,
    path_id: Option<i64>,
    message_id: Option<String>,
    in_reply_to: Option<String>,
    thread_references: Option<String>,
}

impl From<OutboxRow> for OutboxEmail {
    fn from(row: OutboxRow) -> Self {
        OutboxEmail {
            id: row.id,
            to_address: row.to_address,
            subject: row.subject,
            body_text: row.body_text,
            created_at: row.created_at,
            sent_at: row.sent_at,
            event: row.event,
            attempts: row.attempts,
            last_error: row.last_error,
            deal_id: row.deal_id,
            path_id: row.path_id,
            message_id: row.message_id,
            in_reply_to: row.in_reply_to,
            thread_references: row.thread_references,
            reply_to: None,
        }
    }
}
