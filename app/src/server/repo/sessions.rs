use super::users::{UserRow, USER_SELECT};
use crate::domain::session::{SessionPolicy, SessionState};
use crate::model::SessionUser;
use crate::server::db::Db;

/// Starts a session; `scope` limits it to one place (see `SessionUser::scope`).
pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    scope: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, scope) VALUES ($1, $2, $3, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(scope)
        .execute(&db.write)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    created_at: i64,
    last_seen_at: i64,
    scope: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The user behind a session token, if the session is still valid. Expired sessions are
/// deleted on sight; activity is recorded at most once per touch interval.
pub async fn resolve(
    db: &Db,
    token_hash: &str,
    policy: &SessionPolicy,
    now: i64,
) -> Result<Option<SessionUser>, sqlx::Error> {
    let row: Option<SessionRow> = sqlx::query_as(&format!(
        "SELECT s.created_at, s.last_seen_at, s.scope, q.* FROM sessions s \
         JOIN ({USER_SELECT} WHERE u.disabled_at IS NULL) q ON q.id = s.user_id \
         WHERE s.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    match policy.evaluate(now, row.created_at, row.last_seen_at) {
        SessionState::Active { touch } => {
            if touch {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(&db.write)
                    .await?;
            }
            Ok(row.user.into_session_user().map(|user| SessionUser {
                scope: row.scope,
                ..user
            }))
        }
        SessionState::IdleExpired | SessionState::AbsoluteExpired => {
            delete(db, token_hash).await?;
            Ok(None)
        }
    }
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn delete_all_for_user(db: &Db, user_id: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.write)
        .await?;
    Ok(result.rows_affected())
}

pub async fn count_for_user(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&db.read)
        .await?;
    Ok(count)
}
