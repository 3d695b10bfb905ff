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

/// A deployment upgraded with CRM data in place: the Salesforce migration rebuilds
/// `crm_connections` on SQLite (to widen a CHECK), and every row that references it (the
/// queue, the links, the log) survives with its references intact and still enforced.
async fn upgrading_keeps_the_crm_queue_links_and_log(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = Db::connect(&database.url, 2).await.unwrap();
    let before_salesforce = |migrator: &sqlx::migrate::Migrator| sqlx::migrate::Migrator {
        migrations: migrator
            .migrations
            .iter()
            .filter(|migration| migration.version < 21)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let all = match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
    };
    {
        let mut conn = db.write.acquire().await.unwrap();
        before_salesforce(&all).run(&mut *conn).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO crm_connections (id, kind, api_base, api_version, auth_mode, secret_sealed, state, created_at, updated_at) \
         VALUES (7, 'hubspot', 'https://api.hubapi.com', '2026-03', 'static_token', 'v1.x', 'connected', 1, 1)",
    )
    .execute(&db.write)
    .await
    .unwrap();
    for statement in [
        "INSERT INTO crm_outbox (connection_id, kind, entity_id, reason, state, next_attempt_at, created_at, updated_at) VALUES (7, 'contact', 1, 'backfill', 'pending', 0, 1, 1)",
        "INSERT INTO crm_links (connection_id, kind, entity_id, crm_id, last_sent_at) VALUES (7, 'contact', 1, '51', 1)",
        "INSERT INTO crm_sync_log (connection_id, kind, entity_id, at, outcome) VALUES (7, 'contact', 1, 1, 'written')",
    ] {
        sqlx::query(statement).execute(&db.write).await.unwrap();
    }
    db.migrate().await.unwrap();
    let count = |table: &'static str| {
        let db = &db;
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM {table} WHERE connection_id = 7"
            ))
            .fetch_one(&db.write)
            .await
            .unwrap();
            n
        }
    };
    for table in ["crm_outbox", "crm_links", "crm_sync_log"] {
        assert_eq!(count(table).await, 1, "{table} survived the upgrade");
    }
    // The new authorisation modes are allowed, unknown ones still are not.
    sqlx::query("UPDATE crm_connections SET auth_mode = 'client_credentials' WHERE id = 7")
        .execute(&db.write)
        .await
        .unwrap();
    assert!(
        sqlx::query("UPDATE crm_connections SET auth_mode = 'password' WHERE id = 7")
            .execute(&db.write)
            .await
            .is_err()
    );
    // References point at the rebuilt table and are enforced on the pooled connection.
    assert!(sqlx::query(
        "INSERT INTO crm_outbox (connection_id, kind, entity_id, reason, state, next_attempt_at, created_at, updated_at) VALUES (99, 'contact', 1, 'x', 'pending', 0, 1, 1)"
    )
    .execute(&db.write)
    .await
    .is_err());
    sqlx::query("DELETE FROM crm_connections WHERE id = 7")
        .execute(&db.write)
        .await
        .unwrap();
    for table in ["crm_outbox", "crm_links", "crm_sync_log"] {
        assert_eq!(
            count(table).await,
            0,
            "{table} cascades from its connection"
        );
    }
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

both_backends!(
    migrations_are_idempotent_and_failures_name_the_migration,
    upgrading_keeps_the_crm_queue_links_and_log,
);
