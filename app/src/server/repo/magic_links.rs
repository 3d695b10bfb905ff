use crate::server::db::Db;

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    redirect_path: &str,
    scope: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO magic_links (token_hash, user_id, redirect_path, created_at, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(redirect_path)
    .bind(now)
    .bind(expires_at)
    .bind(scope)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A redeemed link: whose, where to, and the scope of the session it starts.
pub type Redeemed = (i64, String, Option<String>);

/// Marks an unused, unexpired link as used and returns its user, destination and scope. The
/// conditional UPDATE makes redemption single-use even when two requests race.
pub async fn redeem(db: &Db, token_hash: &str, now: i64) -> Result<Option<Redeemed>, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE magic_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&db.write)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query_as("SELECT user_id, redirect_path, scope FROM magic_links WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&db.write)
        .await
}

/// Removes links that can no longer be used, so the table stays small.
pub async fn purge_dead(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM magic_links WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.write)
        .await?;
    Ok(result.rows_affected())
}
