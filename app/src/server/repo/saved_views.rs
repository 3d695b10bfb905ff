//! A person's named pipeline filters.
use crate::server::db::Db;

/// How many views one person may keep: enough for every way they work, and a bound.
pub const MAX_SAVED_VIEWS: i64 = 20;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SavedViewRow {
    pub id: i64,
    pub name: String,
    pub query: String,
}

pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<SavedViewRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, query FROM saved_views WHERE user_id = $1 ORDER BY name, id")
        .bind(user_id)
        .fetch_all(&db.read)
        .await
}

/// What saving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A new view, or the same name's filters replaced.
    Saved,
    /// Already `MAX_SAVED_VIEWS` views, none of this name.
    Full,
}

/// Saves `query` under `name` for `user_id`, replacing a view of the same name. The bound is
/// checked in the statement that inserts, so two saves at once cannot pass it together.
pub async fn save(
    db: &Db,
    user_id: i64,
    name: &str,
    query: &str,
    now: i64,
) -> Result<Saved, sqlx::Error> {
    let replaced =
        sqlx::query("UPDATE saved_views SET query = $1 WHERE user_id = $2 AND name = $3")
            .bind(query)
            .bind(user_id)
            .bind(name)
            .execute(&db.write)
            .await?;
    if replaced.rows_affected() > 0 {
        return Ok(Saved::Saved);
    }
    let inserted = sqlx::query(
        "INSERT INTO saved_views (user_id, name, query, created_at) \
         SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM saved_views WHERE user_id = $1) < $5 \
         ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query",
    )
    .bind(user_id)
    .bind(name)
    .bind(query)
    .bind(now)
    .bind(MAX_SAVED_VIEWS)
    .execute(&db.write)
    .await?;
    Ok(if inserted.rows_affected() > 0 {
        Saved::Saved
    } else {
        Saved::Full
    })
}

/// Deletes one of `user_id`'s views; false when they have no view `id`.
pub async fn delete(db: &Db, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&db.write)
        .await?;
    Ok(deleted.rows_affected() > 0)
}
