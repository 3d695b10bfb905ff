//! One handle for both backends. SQLite gets a single writer connection so that writes queue
//! in the pool instead of failing with SQLITE_BUSY when a read transaction upgrades.
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub backend: Backend,
    /// For reads; on PostgreSQL the same pool as `write`.
    pub read: AnyPool,
    /// For writes; on SQLite exactly one connection.
    pub write: AnyPool,
    /// Whole-program reads kept while their tables are unchanged (shared by clones).
    pub facts: std::sync::Arc<super::fact_cache::FactCache>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("could not create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("migration {version} ({description}) failed: {detail}")]
    Migration {
        version: i64,
        description: String,
        detail: String,
    },
    #[error("migrations failed: {0}")]
    MigrationOther(String),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, DbSetupError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbSetupError::UnsupportedUrl(url.to_string()))
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

impl Db {
    /// Appends a row lock for the rest of the transaction on PostgreSQL; SQLite's single
    /// writer already serialises.
    pub fn for_update(&self, sql: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("{sql} FOR UPDATE"),
            Backend::Sqlite => sql.to_string(),
        }
    }

    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbSetupError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url_creating_parent(url)?;
                let options = AnyConnectOptions::from_str(&url)
                    .map_err(DbSetupError::Connect)?
                    .disable_statement_logging();
                let write = sqlite_pool(1, options.clone()).await?;
                let read = sqlite_pool(max_connections.max(1), options).await?;
                Ok(Db {
                    backend,
                    read,
                    write,
                    facts: Default::default(),
                })
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)
                    .map_err(DbSetupError::Connect)?
                    .disable_statement_logging();
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(DbSetupError::Connect)?;
                Ok(Db {
                    backend,
                    read: pool.clone(),
                    write: pool,
                    facts: Default::default(),
                })
            }
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so
    /// several instances starting together migrate once.
    pub async fn migrate(&self) -> Result<(), DbSetupError> {
        let migrator = self.backend.migrator();
        let mut conn = self.write.acquire().await.map_err(DbSetupError::Connect)?;
        // SQLite can change a CHECK or a column only by rebuilding its table; with foreign
        // keys on, dropping the old table would cascade to every row that references it.
        // SQLite's procedure is to migrate with them off and check them afterwards. (The
        // pragma is ignored inside a transaction, so it is set here, around the migrator.)
        let sqlite = self.backend == Backend::Sqlite;
        if sqlite {
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await
                .map_err(DbSetupError::Connect)?;
        }
        let mut result = migrator.run(&mut *conn).await;
        if sqlite && result.is_ok() {
            result = sqlite_foreign_keys_back_on(&mut conn).await;
        }
        if result.is_err() {
            // A failed run can leave the PostgreSQL advisory lock held by this session, or
            // SQLite's foreign keys off; closing the connection (instead of pooling it)
            // releases the lock and drops the setting.
            let _ = conn.close().await;
        }
        result.map_err(|error| match error {
            MigrateError::ExecuteMigration(source, version) => DbSetupError::Migration {
                version,
                description: migrator
                    .iter()
                    .find(|m| m.version == version)
                    .map(|m| m.description.to_string())
                    .unwrap_or_default(),
                detail: source.to_string(),
            },
            other => DbSetupError::MigrationOther(other.to_string()),
        })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// After SQLite's migrations: no row may point at a missing parent (a rebuilt table kept
/// every id), then foreign keys are enforced again on this pooled connection.
async fn sqlite_foreign_keys_back_on(conn: &mut sqlx::AnyConnection) -> Result<(), MigrateError> {
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if let Some((table,)) = broken.first() {
        return Err(MigrateError::Execute(sqlx::Error::Protocol(format!(
            "after migrating, {} rows of {table} (and maybe other tables) reference missing rows",
            broken.len()
        ))));
    }
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn sqlite_pool(size: u32, options: AnyConnectOptions) -> Result<AnyPool, DbSetupError> {
    AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(DbSetupError::Connect)
}

/// SQLite URLs create the file on first use; its folder must exist too.
fn sqlite_url_creating_parent(url: &str) -> Result<String, DbSetupError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|source| DbSetupError::Directory {
                path: parent.display().to_string(),
                source,
            })?;
        }
    }
    let mode = if query.contains("mode=") {
        String::new()
    } else {
        "mode=rwc".to_string()
    };
    let joined = [query, mode.as_str()]
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("&");
    Ok(format!("sqlite://{path}?{joined}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite:data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join("pp-db-url-test");
        let url = format!("sqlite:{}/a.db", dir.display());
        assert_eq!(
            sqlite_url_creating_parent(&url).unwrap(),
            format!("sqlite://{}/a.db?mode=rwc", dir.display())
        );
        assert!(dir.is_dir());
        let url = format!("sqlite://{}/a.db?mode=ro", dir.display());
        assert!(sqlite_url_creating_parent(&url)
            .unwrap()
            .ends_with("?mode=ro"));
    }
}
