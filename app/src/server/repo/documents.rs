//! Policy documents and their versions. A version is never changed once published; the
//! unique (kind, version) key makes two editors publishing at once a clear conflict.
use crate::domain::announcements::ValidAnnouncement;
use crate::domain::documents::{DocumentKind, ValidVersion};
use crate::server::db::Db;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VersionRow {
    pub kind: String,
    pub version: i64,
    pub body_markdown: String,
    pub change_summary: String,
    pub published_at: i64,
    pub published_by_name: String,
    pub announcement_id: Option<i64>,
}

const VERSION_SELECT: &str =
    "SELECT v.kind, v.version, v.body_markdown, v.change_summary, v.published_at, \
    u.display_name AS published_by_name, v.announcement_id FROM policy_document_versions v \
    JOIN users u ON u.id = v.published_by";

/// Every version of one document, newest first.
pub async fn versions(db: &Db, kind: DocumentKind) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VERSION_SELECT} WHERE v.kind = $1 ORDER BY v.version DESC"
    ))
    .bind(kind.as_str())
    .fetch_all(&db.read)
    .await
}

/// The current version of every document that has one.
pub async fn current_versions(db: &Db) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VERSION_SELECT} WHERE v.version = (SELECT MAX(x.version) FROM policy_document_versions x \
         WHERE x.kind = v.kind) ORDER BY v.kind"
    ))
    .fetch_all(&db.read)
    .await
}

/// Why a version was not published.
#[derive(Debug)]
pub enum PublishError {
    /// Someone else published this version number first.
    Taken,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for PublishError {
    fn from(error: sqlx::Error) -> Self {
        PublishError::Database(error)
    }
}

/// Publishes a version and, with it, the announcement asking partners to acknowledge it
/// (delivered to `recipients`), in one transaction. Returns the announcement's id.
pub async fn publish(
    db: &Db,
    version: &ValidVersion,
    actor: i64,
    announcement: Option<(&ValidAnnouncement, &[i64])>,
    now: i64,
) -> Result<Option<i64>, PublishError> {
    let mut tx = db.write.begin().await?;
    let announcement_id = match announcement {
        Some((announcement, recipients)) => Some(
            super::announcements::publish_in(&mut tx, announcement, actor, recipients, now).await?,
        ),
        None => None,
    };
    let inserted = sqlx::query(
        "INSERT INTO policy_document_versions \
         (kind, version, body_markdown, change_summary, published_by, published_at, announcement_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(version.kind.as_str())
    .bind(version.version)
    .bind(&version.body)
    .bind(&version.change_summary)
    .bind(actor)
    .bind(now)
    .bind(announcement_id)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(PublishError::Taken)
        }
        Err(other) => return Err(other.into()),
    }
    tx.commit().await?;
    Ok(announcement_id)
}
