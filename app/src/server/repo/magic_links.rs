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

/// How long a spent link to one place is remembered, so its owner can ask for a fresh one
/// (an email read the next morning). Only the keyed hash is kept.
pub const REISSUE_WITHIN_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The owner and place of a link to one place (used or expired) created since `since`.
pub async fn place_of(
    db: &Db,
    token_hash: &str,
    since: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, scope FROM magic_links WHERE token_hash = $1 AND scope IS NOT NULL AND created_at > $2",
    )
    .bind(token_hash)
    .bind(since)
    .fetch_optional(&db.read)
    .await
}

/// Removes links that can no longer be used nor reissued, so the table stays small: sign-in
/// links once expired, links to one place once the reissue period is over too.
pub async fn purge_dead(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM magic_links WHERE (scope IS NULL AND expires_at <= $1) OR expires_at <= $2",
    )
    .bind(now)
    .bind(now - REISSUE_WITHIN_MS)
    .execute(&db.write)
    .await?;
    Ok(result.rows_affected())
}
