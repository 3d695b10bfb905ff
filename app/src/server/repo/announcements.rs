//! Announcements and their receipts. Every receipt change is a conditional update, so a
//! second click, a second job run or a second instance changes nothing.
use crate::domain::announcements::ValidAnnouncement;
use crate::domain::learning::Audience;
use crate::server::db::Db;
use crate::server::repo::outbox::{send_once, Notice};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnnouncementRow {
    pub id: i64,
    pub title: String,
    pub body_markdown: String,
    pub audience_json: String,
    pub requires_ack: i64,
    pub published_at: i64,
}

impl AnnouncementRow {
    /// Who it targets; `None` if the stored audience is unreadable, so a broken record
    /// reaches nobody rather than everybody.
    pub fn audience(&self) -> Option<Audience> {
        serde_json::from_str(&self.audience_json)
            .map_err(
                |error| tracing::error!(%error, id = self.id, "unreadable announcement audience"),
            )
            .ok()
    }
}

/// A partner user who may receive announcements.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Recipient {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub partner_type: String,
    pub tier: String,
    pub job_role: Option<String>,
    /// When the person's account was created: required training is assigned no earlier.
    pub joined_at: i64,
}

impl Recipient {
    pub fn is_in(&self, audience: &Audience) -> bool {
        use crate::domain::identity::{JobRole, PartnerType, Tier};
        match (
            PartnerType::parse(&self.partner_type),
            Tier::parse(&self.tier),
        ) {
            (Some(kind), Some(tier)) => audience.includes(
                kind,
                tier,
                self.job_role.as_deref().and_then(JobRole::parse),
            ),
            _ => false,
        }
    }
}

const RECIPIENT_SELECT: &str =
    "SELECT u.id AS user_id, u.display_name AS name, u.email, o.name AS org_name, \
    o.partner_type, o.tier, u.job_role, u.created_at AS joined_at FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
    WHERE u.role = 'partner_user' AND u.disabled_at IS NULL";

pub async fn recipients(db: &Db) -> Result<Vec<Recipient>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RECIPIENT_SELECT} ORDER BY o.name, u.display_name"
    ))
    .fetch_all(&db.read)
    .await
}

/// One partner user, as a recipient.
pub async fn recipient(db: &Db, user_id: i64) -> Result<Option<Recipient>, sqlx::Error> {
    sqlx::query_as(&format!("{RECIPIENT_SELECT} AND u.id = $1"))
        .bind(user_id)
        .fetch_optional(&db.read)
        .await
}

/// Publishes an announcement and delivers it to `recipients` in one transaction.
pub async fn publish(
    db: &Db,
    announcement: &ValidAnnouncement,
    actor: i64,
    recipients: &[i64],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let id = publish_in(&mut tx, announcement, actor, recipients, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Publishes and delivers inside the caller's transaction (e.g. with the policy version
/// the announcement is about).
pub(crate) async fn publish_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    announcement: &ValidAnnouncement,
    actor: i64,
    recipients: &[i64],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let audience_json = serde_json::to_string(&announcement.audience).unwrap_or_default();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO announcements (title, body_markdown, audience_json, requires_ack, published_by, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&announcement.title)
    .bind(&announcement.body)
    .bind(audience_json)
    .bind(i64::from(announcement.requires_ack))
    .bind(actor)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    for user_id in recipients {
        sqlx::query(
            "INSERT INTO announcement_receipts (announcement_id, user_id, delivered_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Delivers an announcement to someone who joined its audience after publishing.
pub async fn deliver(
    db: &Db,
    announcement_id: i64,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO announcement_receipts (announcement_id, user_id, delivered_at) VALUES ($1, $2, $3) \
         ON CONFLICT (announcement_id, user_id) DO NOTHING",
    )
    .bind(announcement_id)
    .bind(user_id)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

pub async fn all(db: &Db) -> Result<Vec<AnnouncementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, body_markdown, audience_json, requires_ack, published_at FROM announcements \
         ORDER BY published_at DESC, id DESC",
    )
    .fetch_all(&db.read)
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReceiptRow {
    pub announcement_id: i64,
    pub user_id: i64,
    pub delivered_at: i64,
    pub opened_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub reminded_at: Option<i64>,
}

const RECEIPT_SELECT: &str =
    "SELECT announcement_id, user_id, delivered_at, opened_at, acknowledged_at, reminded_at \
    FROM announcement_receipts";

pub async fn receipts_of_user(db: &Db, user_id: i64) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    sqlx::query_as(&format!("{RECEIPT_SELECT} WHERE user_id = $1"))
        .bind(user_id)
        .fetch_all(&db.read)
        .await
}

/// Announcements delivered to `user_id` that ask for an acknowledgment not given yet, as
/// id and title, oldest first.
pub async fn to_acknowledge(db: &Db, user_id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, a.title FROM announcement_receipts r \
         JOIN announcements a ON a.id = r.announcement_id \
         WHERE r.user_id = $1 AND r.acknowledged_at IS NULL AND a.requires_ack = 1 \
         ORDER BY a.published_at, a.id",
    )
    .bind(user_id)
    .fetch_all(&db.read)
    .await
}

/// Announcements delivered to `user_id` that wait for them: not opened yet, or asking for an
/// acknowledgment not given yet.
pub async fn waiting_count(db: &Db, user_id: i64) -> Result<usize, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM announcement_receipts r \
         JOIN announcements a ON a.id = r.announcement_id \
         WHERE r.user_id = $1 AND r.acknowledged_at IS NULL \
         AND (a.requires_ack = 1 OR r.opened_at IS NULL)",
    )
    .bind(user_id)
    .fetch_one(&db.read)
    .await?;
    Ok(usize::try_from(count).unwrap_or(0))
}

pub async fn receipts(db: &Db) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    sqlx::query_as(RECEIPT_SELECT).fetch_all(&db.read).await
}

/// Records the first opening, or the acknowledgment (which also counts as opening).
/// Repeating keeps the first times. False: not delivered to this user.
pub async fn record_receipt(
    db: &Db,
    announcement_id: i64,
    user_id: i64,
    acknowledged: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = if acknowledged {
        "UPDATE announcement_receipts SET acknowledged_at = COALESCE(acknowledged_at, $1), \
         opened_at = COALESCE(opened_at, $1) WHERE announcement_id = $2 AND user_id = $3"
    } else {
        "UPDATE announcement_receipts SET opened_at = COALESCE(opened_at, $1) \
         WHERE announcement_id = $2 AND user_id = $3"
    };
    sqlx::query(sql)
        .bind(now)
        .bind(announcement_id)
        .bind(user_id)
        .execute(&db.write)
        .await
        .map(|done| done.rows_affected() == 1)
}

/// Who has not acknowledged an announcement that needs it, delivered before
/// `delivered_before`, and has not been reminded: (announcement, user, email, name, title).
pub async fn reminders_due(
    db: &Db,
    delivered_before: i64,
) -> Result<Vec<(i64, i64, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.announcement_id, r.user_id, u.email, u.display_name, a.title FROM announcement_receipts r \
         JOIN announcements a ON a.id = r.announcement_id JOIN users u ON u.id = r.user_id \
         WHERE a.requires_ack = 1 AND r.acknowledged_at IS NULL AND r.reminded_at IS NULL \
         AND r.delivered_at <= $1 AND u.disabled_at IS NULL ORDER BY r.announcement_id, r.user_id",
    )
    .bind(delivered_before)
    .fetch_all(&db.read)
    .await
}

/// Marks a reminder sent and queues its email in one transaction, once.
pub async fn flag_reminded(
    db: &Db,
    announcement_id: i64,
    user_id: i64,
    notice: &Notice,
    now: i64,
) -> Result<bool, sqlx::Error> {
    send_once(
        db,
        sqlx::query(
            "UPDATE announcement_receipts SET reminded_at = $1 WHERE announcement_id = $2 AND user_id = $3 \
             AND reminded_at IS NULL AND acknowledged_at IS NULL",
        )
        .bind(now)
        .bind(announcement_id)
        .bind(user_id),
        Vec::new(),
        std::slice::from_ref(notice),
        now,
    )
    .await
}
