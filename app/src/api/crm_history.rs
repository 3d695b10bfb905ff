//! A record's CRM sync history (vendor admins): where it is in each connected CRM, whether
//! it waits or failed, and every attempt with its outcome.
use crate::domain::crm::{CrmKind, OutboxState, SyncKind};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInCrm {
    pub crm: CrmKind,
    /// The CRM's id of the record, once it was written.
    pub crm_id: Option<String>,
    pub last_sent_at: Option<i64>,
    /// Its newest queue row: waiting, synced, failed or skipped.
    pub queue_state: Option<OutboxState>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub crm: CrmKind,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncHistory {
    pub kind: SyncKind,
    pub entity_id: i64,
    /// What the record is ("Nora Quist <nora@…>", an organisation's name, …).
    pub record: String,
    pub places: Vec<RecordInCrm>,
    /// Newest first, at most 200.
    pub entries: Vec<HistoryEntry>,
}

#[server]
pub async fn load_sync_history(kind: String, entity_id: i64) -> Result<SyncHistory, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::crm;
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let kind = SyncKind::parse(&kind).ok_or(AppError::NotFound)?;
    let record = crm::record_label(&state.db, kind, entity_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let places = crm::record_places(&state.db, kind, entity_id)
        .await?
        .into_iter()
        .filter_map(|place| {
            Some(RecordInCrm {
                crm: CrmKind::parse(&place.crm)?,
                crm_id: place.crm_id,
                last_sent_at: place.last_sent_at,
                queue_state: place.queue_state.as_deref().and_then(OutboxState::parse),
                attempts: place.attempts.unwrap_or(0),
                last_error: place.last_error,
            })
        })
        .collect();
    let entries = crm::history(&state.db, kind, entity_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(HistoryEntry {
                at: row.at,
                crm: CrmKind::parse(&row.crm)?,
                outcome: row.outcome,
                detail: row.detail,
            })
        })
        .collect();
    Ok(SyncHistory {
        kind,
        entity_id,
        record,
        places,
        entries,
    })
}

/// A record found by name, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMatch {
    pub kind: SyncKind,
    pub entity_id: i64,
    pub record: String,
}

/// The shortest and longest text a record search takes.
pub const SEARCH_CHARS: std::ops::RangeInclusive<usize> = 2..=100;

/// Finds the records whose sync history an admin may open by a person's name or email, an
/// organisation's name or a registration's customer.
#[server]
pub async fn find_sync_records(text: String) -> Result<Vec<RecordMatch>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let text = text.trim();
    if !SEARCH_CHARS.contains(&text.chars().count()) {
        return Err(AppError::field(
            "q",
            "Type 2 to 100 characters of a name, an email address or a customer.",
        ));
    }
    Ok(crate::server::repo::crm::find_records(&state.db, text)
        .await?
        .into_iter()
        .map(|(kind, entity_id, record)| RecordMatch {
            kind,
            entity_id,
            record,
        })
        .collect())
}
