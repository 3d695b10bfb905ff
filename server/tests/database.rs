//! Database setup: connection settings, migrations and their failure messages.
mod common;

use app::server::db::{Db, DbSetupError};
use common::{Backend, TestDatabase};

#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let db = Db::connect(&database.url, 4).await.unwrap();
    for pool in [&db.read, &db.write] {
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (foreign_keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let (timeout,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(timeout, 5000);
    }
    assert_eq!(
        db.write.options().get_max_connections(),
        1,
        "one writer: no SQLITE_BUSY on upgrade"
    );
    db.migrate().await.unwrap();
    // Foreign keys are enforced: a session for a user that does not exist is refused.
    let orphan = sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ('x', 999, 0, 0)")
        .execute(&db.write)
        .await;
    assert!(orphan.is_err());
    db.close().await;
    database.drop_database().await;
}

async fn migrations_are_idempotent_and_failures_name_the_migration(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = Db::connect(&database.url, 2).await.unwrap();
    // A table in the way makes the first migration fail.
    sqlx::query("CREATE TABLE vendor (id BIGINT)")
        .execute(&db.write)
        .await
        .unwrap();
    match db.migrate().await {
        Err(DbSetupError::Migration {
            version,
            description,
            ..
        }) => {
            assert_eq!(version, 1);
            assert_eq!(description, "identity");
        }
        other => panic!("expected a named migration failure, got {other:?}"),
    }
    let message = db.migrate().await.unwrap_err().to_string();
    assert!(
        message.contains("migration 1 (identity) failed"),
        "{message}"
    );
    sqlx::query("DROP TABLE vendor")
        .execute(&db.write)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    db.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn unsupported_database_urls_are_explained() {
    let error = Db::connect("mysql://localhost/portal", 1)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("sqlite: or postgres://"),
        "{error}"
    );
}

both_backends!(migrations_are_idempotent_and_failures_name_the_migration);
