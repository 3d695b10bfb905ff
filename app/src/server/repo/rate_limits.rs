use crate::domain::rate_limit::{RateDecision, RateLimit};
use crate::server::db::Db;

/// Counts events for `bucket` inside the limit's window.
pub async fn check(
    db: &Db,
    bucket: &str,
    limit: &RateLimit,
    now: i64,
) -> Result<RateDecision, sqlx::Error> {
    let (recent, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(occurred_at) FROM rate_limit_events WHERE bucket = $1 AND occurred_at > $2",
    )
    .bind(bucket)
    .bind(limit.window_start(now))
    .fetch_one(&db.write)
    .await?;
    Ok(limit.decide(now, recent, oldest))
}

pub async fn record(db: &Db, bucket: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO rate_limit_events (bucket, occurred_at) VALUES ($1, $2)")
        .bind(bucket)
        .bind(now)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn clear(db: &Db, bucket: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_events WHERE bucket = $1")
        .bind(bucket)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Forgets events older than `cutoff`; no limit looks back that far.
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM rate_limit_events WHERE occurred_at < $1")
        .bind(cutoff)
        .execute(&db.write)
        .await?;
    Ok(result.rows_affected())
}
