//! Whole-program reads the insights share (every deal, every assignment with its progress,
//! every certificate), kept between requests while the tables they come from are unchanged.
//!
//! Each of those tables has a row in `fact_versions` that a trigger bumps in the same
//! transaction as any write to it (migration 0027, both backends). A read first takes the
//! versions of its tables and only then the facts, so what it keeps is never older than the
//! versions it is filed under: a later request that sees the same versions can use it, and
//! one that sees any newer version reads again. Nothing is ever served stale, on one
//! instance or many, and nothing needs expiring by time.
use super::db::Db;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// More distinct reads than the views make; past it, everything is dropped and refilled.
const MAX_ENTRIES: usize = 32;

struct Entry {
    versions: Vec<i64>,
    facts: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub struct FactCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for FactCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.entries.lock().map_or(0, |entries| entries.len());
        f.debug_struct("FactCache")
            .field("entries", &count)
            .finish()
    }
}

impl FactCache {
    /// The facts `read` gives, from memory when none of `sources` (table names) changed
    /// since they were read under `key`.
    pub async fn get_or_read<T, Read, Reading>(
        &self,
        db: &Db,
        key: String,
        sources: &[&str],
        read: Read,
    ) -> Result<Arc<T>, sqlx::Error>
    where
        T: Send + Sync + 'static,
        Read: FnOnce() -> Reading,
        Reading: Future<Output = Result<T, sqlx::Error>>,
    {
        let versions = versions(db, sources).await?;
        if let Some(versions) = &versions {
            if let Some(hit) = self.lookup::<T>(&key, versions) {
                return Ok(hit);
            }
        }
        let facts = Arc::new(read().await?);
        if let Some(versions) = versions {
            self.store(key, versions, facts.clone());
        }
        Ok(facts)
    }

    fn lookup<T: Send + Sync + 'static>(&self, key: &str, versions: &[i64]) -> Option<Arc<T>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key).filter(|e| e.versions == versions)?;
        entry.facts.clone().downcast::<T>().ok()
    }

    fn store<T: Send + Sync + 'static>(&self, key: String, versions: Vec<i64>, facts: Arc<T>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Two requests may read at once; keep whichever saw the newer versions.
        if entries
            .get(&key)
            .is_some_and(|kept| kept.versions.iter().zip(&versions).any(|(k, v)| k > v))
        {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, Entry { versions, facts });
    }

    /// Forgets everything (tests compare a kept read with a fresh one).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// The versions of `sources`, in their order; `None` when one has no version row (then the
/// read is not kept).
async fn versions(db: &Db, sources: &[&str]) -> Result<Option<Vec<i64>>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT source, version FROM fact_versions")
        .fetch_all(&db.read)
        .await?;
    let version_of: HashMap<String, i64> = rows.into_iter().collect();
    Ok(sources
        .iter()
        .map(|source| version_of.get(*source).copied())
        .collect())
}
