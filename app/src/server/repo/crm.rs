//! CRM connections, the CRM outbox, links to CRM records and the sync log.
use super::super::db::Db;
use crate::domain::crm::{
    CompanyFacts, ConnectionState, ContactFacts, CrmKind, DealPlacement, Direction,
    HeldCertificate, OutboxState, RegistrationFacts, SyncKind,
};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A connection as stored (the sealed secret stays sealed here).
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: i64,
    pub kind: CrmKind,
    pub api_base: String,
    pub api_version: String,
    pub secret_sealed: String,
    pub secret_hint: String,
    pub state: ConnectionState,
    pub placement: DealPlacement,
    pub paused_until: i64,
    pub installed_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub backfill_requested_at: Option<i64>,
    /// The HubSpot app's client secret that signs webhooks, sealed; `None`: no webhooks.
    pub webhook_secret_sealed: Option<String>,
    pub webhook_secret_hint: String,
    /// Salesforce: the External Client App's consumer key (not a secret).
    pub client_id: String,
}

type ConnectionRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    String,
);

const CONNECTION_SELECT: &str = "SELECT id, kind, api_base, api_version, secret_sealed, secret_hint, state, \
     placement_json, paused_until, installed_at, last_success_at, last_error, backfill_requested_at, \
     webhook_secret_sealed, webhook_secret_hint, client_id FROM crm_connections";

fn connection_from(row: ConnectionRow) -> Option<Connection> {
    Some(Connection {
        id: row.0,
        kind: CrmKind::parse(&row.1)?,
        api_base: row.2,
        api_version: row.3,
        secret_sealed: row.4,
        secret_hint: row.5,
        state: ConnectionState::parse(&row.6)?,
        placement: serde_json::from_str(&row.7).unwrap_or_default(),
        paused_until: row.8,
        installed_at: row.9,
        last_success_at: row.10,
        last_error: row.11,
        backfill_requested_at: row.12,
        webhook_secret_sealed: row.13.filter(|sealed| !sealed.is_empty()),
        webhook_secret_hint: row.14,
        client_id: row.15,
    })
}

/// The live (not disconnected) connection to a CRM, if any.
pub async fn live_connection(db: &Db, kind: CrmKind) -> Result<Option<Connection>, sqlx::Error> {
    let row: Option<ConnectionRow> = sqlx::query_as(&format!(
        "{CONNECTION_SELECT} WHERE kind = $1 AND state <> 'disconnected'"
    ))
    .bind(kind.as_str())
    .fetch_optional(&db.write)
    .await?;
    Ok(row.and_then(connection_from))
}

/// Every live connection.
pub async fn live_connections(db: &Db) -> Result<Vec<Connection>, sqlx::Error> {
    let rows: Vec<ConnectionRow> = sqlx::query_as(&format!(
        "{CONNECTION_SELECT} WHERE state <> 'disconnected' ORDER BY id"
    ))
    .fetch_all(&db.write)
    .await?;
    Ok(rows.into_iter().filter_map(connection_from).collect())
}

/// What an admin saves to connect a CRM.
pub struct NewConnection<'a> {
    pub kind: CrmKind,
    pub api_base: &'a str,
    pub api_version: &'a str,
    pub secret_sealed: &'a str,
    pub secret_hint: &'a str,
    pub placement: &'a DealPlacement,
    /// `static_token` (HubSpot) or `client_credentials` (Salesforce).
    pub auth_mode: &'a str,
    pub client_id: &'a str,
    pub by: i64,
}

/// Connects a CRM, replacing the credentials of a live connection to it (its queue, links
/// and history stay). Returns the connection's id.
pub async fn save_connection(
    db: &Db,
    new: &NewConnection<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let placement = serde_json::to_string(new.placement).expect("placement is JSON");
    if let Some(existing) = live_connection(db, new.kind).await? {
        sqlx::query(
            "UPDATE crm_connections SET api_base = $1, api_version = $2, secret_sealed = $3, secret_hint = $4, \
             placement_json = $5, state = 'connected', last_error = NULL, paused_until = 0, updated_at = $6, \
             auth_mode = $8, client_id = $9, session_sealed = NULL, session_generation = session_generation + 1, \
             session_mint_until = 0 WHERE id = $7",
        )
        .bind(new.api_base)
        .bind(new.api_version)
        .bind(new.secret_sealed)
        .bind(new.secret_hint)
        .bind(placement)
        .bind(now)
        .bind(existing.id)
        .bind(new.auth_mode)
        .bind(new.client_id)
        .execute(&db.write)
        .await?;
        return Ok(existing.id);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO crm_connections (kind, api_base, api_version, auth_mode, secret_sealed, secret_hint, state, \
         placement_json, created_by, created_at, updated_at, client_id) \
         VALUES ($1, $2, $3, $9, $4, $5, 'connected', $6, $7, $8, $8, $10) RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(new.api_base)
    .bind(new.api_version)
    .bind(new.secret_sealed)
    .bind(new.secret_hint)
    .bind(placement)
    .bind(new.by)
    .bind(now)
    .bind(new.auth_mode)
    .bind(new.client_id)
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

/// Disconnects: the queue stops and the credentials are erased.
pub async fn disconnect(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET state = 'disconnected', secret_sealed = '', webhook_secret_sealed = NULL, \
         webhook_secret_hint = '', session_sealed = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn set_state(
    db: &Db,
    id: i64,
    state: ConnectionState,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET state = $1, last_error = $2, updated_at = $3 WHERE id = $4 AND state <> 'disconnected'")
        .bind(state.as_str())
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Stops a connection until an admin connects again (its queue waits, nothing is lost) and
/// emails every vendor admin why, in one transaction. Only the change from "connected" does
/// it, so of any number of workers or instances that see the refusal, one tells the admins.
pub async fn needs_reauthorisation(
    db: &Db,
    connection_id: i64,
    message: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    use crate::domain::notifications::Event;
    use crate::server::repo::outbox::{send_once, Notice};
    let kind: Option<(String,)> = sqlx::query_as("SELECT kind FROM crm_connections WHERE id = $1")
        .bind(connection_id)
        .fetch_optional(&db.write)
        .await?;
    let Some(kind) = kind.and_then(|(kind,)| CrmKind::parse(&kind)) else {
        return Ok(false);
    };
    let admins: Vec<(String,)> = sqlx::query_as(
        "SELECT email FROM users WHERE role = 'vendor_admin' AND disabled_at IS NULL ORDER BY id",
    )
    .fetch_all(&db.write)
    .await?;
    let crm = kind.label();
    let notices: Vec<Notice> = admins
        .into_iter()
        .map(|(to,)| Notice {
            event: Event::CrmNeedsReauth,
            to,
            subject: format!("{crm} sync stopped: connect {crm} again"),
            body: format!(
                "The portal stopped sending to {crm}: {message}\n\nNothing is lost: changes wait in the queue and go out once an admin connects {crm} again on the CRM page (/crm)."
            ),
            thread: None,
        })
        .collect();
    send_once(
        db,
        sqlx::query(
            "UPDATE crm_connections SET state = 'needs_reauth', last_error = $1, updated_at = $2 \
             WHERE id = $3 AND state = 'connected'",
        )
        .bind(message.to_string())
        .bind(now)
        .bind(connection_id),
        vec![],
        &notices,
        now,
    )
    .await
}

pub async fn mark_installed(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET installed_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Holds a connection's whole queue until `until` (rate limits). Never shortens a pause.
pub async fn pause_until(db: &Db, id: i64, until: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET paused_until = $1 WHERE id = $2 AND paused_until < $1")
        .bind(until)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn record_success(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET last_success_at = $1, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn record_error(db: &Db, id: i64, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The admin's choices of direction, by (kind, property).
pub async fn field_directions(
    db: &Db,
    connection_id: i64,
) -> Result<std::collections::HashMap<(SyncKind, String), Direction>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT kind, property, direction FROM crm_field_directions WHERE connection_id = $1",
    )
    .bind(connection_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, property, direction)| {
            Some((
                (SyncKind::parse(&kind)?, property),
                Direction::parse(&direction)?,
            ))
        })
        .collect())
}

pub async fn set_field_direction(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    property: &str,
    direction: Direction,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO crm_field_directions (connection_id, kind, property, direction) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (connection_id, kind, property) DO UPDATE SET direction = excluded.direction",
    )
    .bind(connection_id)
    .bind(kind.as_str())
    .bind(property)
    .bind(direction.as_str())
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Queues a record for every live connection, in the caller's transaction. A record already
/// waiting gets its version bumped instead (its newest state is what will be sent). Does
/// nothing when no CRM is connected.
pub async fn enqueue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: SyncKind,
    entity_id: i64,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    enqueue_query(kind, entity_id, reason, now)
        .execute(executor)
        .await?;
    Ok(())
}

/// `enqueue` as a query, for work that runs its statements in one transaction of its own
/// (`outbox::send_once`).
pub fn enqueue_query(
    kind: SyncKind,
    entity_id: i64,
    reason: &str,
    now: i64,
) -> Query<'static, Any, AnyArguments<'static>> {
    static ENQUEUE_ONE: LazyLock<String> =
        LazyLock::new(|| enqueue_sql("SELECT CAST($4 AS BIGINT) AS entity_id"));
    sqlx::query(ENQUEUE_ONE.as_str())
        .bind(kind.as_str())
        .bind(reason.to_string())
        .bind(now)
        .bind(entity_id)
}

/// The enqueue statement for the records `entities` selects (as `entity_id`, from `$4`):
/// one row per live connection, or, for a record already waiting, its version bumped (its
/// newest state is what will be sent). Binds: kind, reason, now, then `$4`.
fn enqueue_sql(entities: &str) -> String {
    format!(
        "INSERT INTO crm_outbox (connection_id, kind, entity_id, reason, state, next_attempt_at, created_at, updated_at) \
         SELECT c.id, $1, r.entity_id, $2, 'pending', $3, $3, $3 FROM crm_connections c, ({entities}) r \
         WHERE c.state <> 'disconnected' \
         ON CONFLICT (connection_id, kind, entity_id) WHERE state = 'pending' \
         DO UPDATE SET version = crm_outbox.version + 1, reason = excluded.reason, updated_at = excluded.updated_at"
    )
}

/// Queues the holder of a certificate (their contact) and their organisation (its company:
/// certified headcount and rights), in the caller's transaction.
pub async fn enqueue_certificate_holder(
    tx: &mut sqlx::Transaction<'_, Any>,
    certificate_id: i64,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for (kind, entity) in [
        (SyncKind::Contact, "SELECT user_id AS entity_id FROM certificates WHERE id = $4"),
        (
            SyncKind::Company,
            "SELECT u.partner_org_id AS entity_id FROM certificates x JOIN users u ON u.id = x.user_id \
             WHERE x.id = $4 AND u.partner_org_id IS NOT NULL",
        ),
    ] {
        sqlx::query(&enqueue_sql(entity))
            .bind(kind.as_str())
            .bind(reason)
            .bind(now)
            .bind(certificate_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Queues everything the portal syncs for one connection: every partner person, partner
/// organisation and submitted registration (the first sync after connecting). Records
/// already waiting are left as they are, so running it twice queues nothing twice.
pub async fn enqueue_backfill(db: &Db, connection_id: i64, now: i64) -> Result<u64, sqlx::Error> {
    let mut queued = 0;
    for (kind, select) in [
        (SyncKind::Company, "SELECT id FROM partner_orgs"),
        (SyncKind::Contact, "SELECT id FROM users WHERE role = 'partner_user'"),
        (
            SyncKind::Registration,
            "SELECT id FROM deals WHERE partner_org_id IS NOT NULL AND registration_status <> 'not_registered'",
        ),
    ] {
        let done = sqlx::query(&format!(
            "INSERT INTO crm_outbox (connection_id, kind, entity_id, reason, state, next_attempt_at, created_at, updated_at) \
             SELECT $1, $2, id, 'backfill', 'pending', $3, $3, $3 FROM ({select}) AS records WHERE true \
             ON CONFLICT (connection_id, kind, entity_id) WHERE state = 'pending' DO NOTHING"
        ))
        .bind(connection_id)
        .bind(kind.as_str())
        .bind(now)
        .execute(&db.write)
        .await?;
        queued += done.rows_affected();
    }
    sqlx::query("UPDATE crm_connections SET backfill_requested_at = $1 WHERE id = $2")
        .bind(now)
        .bind(connection_id)
        .execute(&db.write)
        .await?;
    Ok(queued)
}

/// A leased outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub entity_id: i64,
    pub version: i64,
    pub attempts: i64,
}

/// Leases up to `limit` due rows of one kind. Only one worker, in any instance, gets a row:
/// the lease is a conditional move of `next_attempt_at` past `lease_until`.
pub async fn claim(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "UPDATE crm_outbox SET next_attempt_at = $1 \
         WHERE id IN (SELECT id FROM crm_outbox WHERE connection_id = $2 AND kind = $3 AND state = 'pending' \
                      AND next_attempt_at <= $4 ORDER BY id LIMIT $5) \
         AND state = 'pending' AND next_attempt_at <= $4 \
         RETURNING id, entity_id, version, attempts",
    )
    .bind(lease_until)
    .bind(connection_id)
    .bind(kind.as_str())
    .bind(now)
    .bind(limit)
    .fetch_all(&db.write)
    .await?;
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .map(|(id, entity_id, version, attempts)| Claimed {
            id,
            entity_id,
            version,
            attempts,
        })
        .collect();
    claimed.sort_by_key(|row| row.id);
    Ok(claimed)
}

/// Marks a row synced. If the record changed while it was being sent, the row stays pending
/// and is due now, so its newer state follows (and never overtakes the older one).
pub async fn finish(db: &Db, row: &Claimed, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_outbox SET \
         state = CASE WHEN version = $1 THEN 'done' ELSE 'pending' END, \
         done_at = CASE WHEN version = $1 THEN $2 ELSE NULL END, \
         attempts = CASE WHEN version = $1 THEN attempts ELSE 0 END, \
         next_attempt_at = $2, last_status = 200, last_error = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(row.version)
    .bind(now)
    .bind(row.id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or given up (`None`).
pub async fn fail(
    db: &Db,
    row: &Claimed,
    status: Option<u16>,
    error: &str,
    request_id: Option<&str>,
    retry_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let state = if retry_at.is_some() {
        OutboxState::Pending
    } else {
        OutboxState::Dead
    };
    sqlx::query(
        "UPDATE crm_outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_status = $3, \
         last_error = $4, crm_request_id = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(state.as_str())
    .bind(retry_at.unwrap_or(now))
    .bind(status.map(i64::from))
    .bind(error)
    .bind(request_id)
    .bind(now)
    .bind(row.id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Gives rows back without counting an attempt (the connection is slowed or paused).
pub async fn release(db: &Db, rows: &[&Claimed], at: i64) -> Result<(), sqlx::Error> {
    for row in rows {
        sqlx::query(
            "UPDATE crm_outbox SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending'",
        )
        .bind(at)
        .bind(row.id)
        .execute(&db.write)
        .await?;
    }
    Ok(())
}

/// Retry: a failed row waits again (fresh attempts); Skip: it is set aside for good.
pub async fn resolve_dead(
    db: &Db,
    connection_id: i64,
    id: i64,
    retry: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !retry {
        return set_dead_aside(db, connection_id, id, now).await;
    }
    let done = sqlx::query(
        "UPDATE crm_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 \
         WHERE id = $2 AND connection_id = $3 AND state = 'dead'",
    )
    .bind(now)
    .bind(id)
    .bind(connection_id)
    .execute(&db.write)
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        // A newer change of the record already waits and carries its newest state, so this
        // one is set aside instead.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            set_dead_aside(db, connection_id, id, now).await
        }
        Err(error) => Err(error),
    }
}

async fn set_dead_aside(
    db: &Db,
    connection_id: i64,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE crm_outbox SET state = 'skipped', updated_at = $1 WHERE id = $2 AND connection_id = $3 AND state = 'dead'",
    )
    .bind(now)
    .bind(id)
    .bind(connection_id)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The CRM ids already known for these records.
pub async fn links(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    entity_ids: &[i64],
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    links_of(db, connection_id, kind.as_str(), entity_ids).await
}

/// Which of these registrations' Leads Salesforce converted, with the Opportunity's id.
pub async fn converted(
    db: &Db,
    connection_id: i64,
    deal_ids: &[i64],
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    links_of(db, connection_id, OPPORTUNITY_LINK, deal_ids).await
}

async fn links_of(
    db: &Db,
    connection_id: i64,
    kind: &str,
    entity_ids: &[i64],
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    let mut found = BTreeMap::new();
    for chunk in entity_ids.chunks(200) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT entity_id, crm_id FROM crm_links WHERE connection_id = $1 AND kind = $2 AND entity_id IN ({list})"
        ))
        .bind(connection_id)
        .bind(kind)
        .fetch_all(&db.read)
        .await?;
        found.extend(rows);
    }
    Ok(found)
}

pub async fn link(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    entity_id: i64,
    crm_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO crm_links (connection_id, kind, entity_id, crm_id, last_sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (connection_id, kind, entity_id) DO UPDATE SET crm_id = excluded.crm_id, last_sent_at = excluded.last_sent_at",
    )
    .bind(connection_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(crm_id)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

pub async fn log(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    entity_id: i64,
    outcome: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO crm_sync_log (connection_id, kind, entity_id, at, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(connection_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(now)
    .bind(outcome)
    .bind(detail)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Counts of a connection's rows by state (for the status page and the backfill's progress).
pub async fn queue_counts(
    db: &Db,
    connection_id: i64,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM crm_outbox WHERE connection_id = $1 GROUP BY state",
    )
    .bind(connection_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A row that failed for good, for the admins' view.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: i64,
    pub kind: SyncKind,
    pub entity_id: i64,
    pub reason: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: String,
    pub crm_request_id: Option<String>,
    pub updated_at: i64,
}

pub async fn dead_letters(
    db: &Db,
    connection_id: i64,
    limit: i64,
) -> Result<Vec<DeadLetter>, sqlx::Error> {
    type Row = (
        i64,
        String,
        i64,
        String,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, entity_id, reason, attempts, last_status, last_error, crm_request_id, updated_at \
         FROM crm_outbox WHERE connection_id = $1 AND state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT $2",
    )
    .bind(connection_id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(DeadLetter {
                id: row.0,
                kind: SyncKind::parse(&row.1)?,
                entity_id: row.2,
                reason: row.3,
                attempts: row.4,
                last_status: row.5,
                last_error: row.6.unwrap_or_default(),
                crm_request_id: row.7,
                updated_at: row.8,
            })
        })
        .collect())
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// What the CRM contact of each of these people carries. People who are not partner users
/// (or no longer exist) are absent.
pub async fn contact_facts(
    db: &Db,
    user_ids: &[i64],
    now: i64,
) -> Result<BTreeMap<i64, ContactFacts>, sqlx::Error> {
    let mut facts = BTreeMap::new();
    for chunk in user_ids.chunks(200) {
        let list = id_list(chunk);
        let people: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT id, email, display_name, job_role FROM users WHERE role = 'partner_user' AND id IN ({list})"
        ))
        .fetch_all(&db.read)
        .await?;
        for (user_id, email, display_name, job_role) in people {
            facts.insert(
                user_id,
                ContactFacts {
                    user_id,
                    email,
                    display_name,
                    job_role,
                    held: Vec::new(),
                    paths_completed: 0,
                    last_activity_at: None,
                },
            );
        }
        let held: Vec<(i64, String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT c.user_id, n.name, c.issued_at, c.expires_at FROM certificates c \
             JOIN certifications n ON n.id = c.certification_id \
             WHERE c.user_id IN ({list}) AND c.revoked_at IS NULL AND c.expires_at > $1 ORDER BY c.id"
        ))
        .bind(now)
        .fetch_all(&db.read)
        .await?;
        for (user_id, certification, issued_at, expires_at) in held {
            if let Some(person) = facts.get_mut(&user_id) {
                person.held.push(HeldCertificate {
                    certification,
                    issued_at,
                    expires_at,
                });
            }
        }
        let completed: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT user_id, COUNT(*) FROM path_completions WHERE user_id IN ({list}) GROUP BY user_id"
        ))
        .fetch_all(&db.read)
        .await?;
        for (user_id, count) in completed {
            if let Some(person) = facts.get_mut(&user_id) {
                person.paths_completed = count;
            }
        }
        let activity: Vec<(i64, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT user_id, MAX(updated_at) FROM step_progress WHERE user_id IN ({list}) GROUP BY user_id"
        ))
        .fetch_all(&db.read)
        .await?;
        for (user_id, at) in activity {
            if let Some(person) = facts.get_mut(&user_id) {
                person.last_activity_at = at;
            }
        }
    }
    Ok(facts)
}

/// What the CRM company of each of these organisations carries.
pub async fn company_facts(
    db: &Db,
    org_ids: &[i64],
    now: i64,
) -> Result<BTreeMap<i64, CompanyFacts>, sqlx::Error> {
    let mut facts = BTreeMap::new();
    for chunk in org_ids.chunks(200) {
        let list = id_list(chunk);
        let orgs: Vec<(i64, String, String, String, String)> = sqlx::query_as(&format!(
            "SELECT id, name, partner_type, tier, region FROM partner_orgs WHERE id IN ({list})"
        ))
        .fetch_all(&db.read)
        .await?;
        for (org_id, name, partner_type, tier, region) in orgs {
            facts.insert(
                org_id,
                CompanyFacts {
                    org_id,
                    name,
                    partner_type,
                    tier,
                    region,
                    certified_by_role: BTreeMap::new(),
                    rights: Vec::new(),
                },
            );
        }
        let certified: Vec<(i64, Option<String>, i64)> = sqlx::query_as(&format!(
            "SELECT u.partner_org_id, u.job_role, COUNT(DISTINCT u.id) FROM users u \
             JOIN certificates c ON c.user_id = u.id \
             WHERE u.partner_org_id IN ({list}) AND u.disabled_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $1 \
             GROUP BY u.partner_org_id, u.job_role"
        ))
        .bind(now)
        .fetch_all(&db.read)
        .await?;
        for (org_id, role, people) in certified {
            if let Some(org) = facts.get_mut(&org_id) {
                org.certified_by_role
                    .insert(role.unwrap_or_else(|| "any".into()), people);
            }
        }
        let rights: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT org_id, right_key FROM org_rights WHERE org_id IN ({list}) ORDER BY right_key"
        ))
        .fetch_all(&db.read)
        .await?;
        for (org_id, right) in rights {
            if let Some(org) = facts.get_mut(&org_id) {
                org.rights.push(right);
            }
        }
    }
    Ok(facts)
}

/// What the CRM deal of each of these registrations carries (partner deals only).
pub async fn registration_facts(
    db: &Db,
    deal_ids: &[i64],
) -> Result<BTreeMap<i64, RegistrationFacts>, sqlx::Error> {
    let mut facts = BTreeMap::new();
    for chunk in deal_ids.chunks(200) {
        let list = id_list(chunk);
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT d.id, a.name, o.name, d.motion, d.registration_status, d.stage, d.amount_cents, d.protected_until, d.close_at \
             FROM deals d JOIN accounts a ON a.id = d.account_id JOIN partner_orgs o ON o.id = d.partner_org_id \
             WHERE d.id IN ({list})"
        ))
        .fetch_all(&db.read)
        .await?;
        for (
            deal_id,
            customer,
            partner,
            motion,
            status,
            stage,
            amount_cents,
            protected_until,
            close_at,
        ) in rows
        {
            facts.insert(
                deal_id,
                RegistrationFacts {
                    deal_id,
                    customer,
                    partner,
                    motion,
                    status,
                    stage,
                    amount_cents,
                    protected_until,
                    close_at,
                },
            );
        }
    }
    Ok(facts)
}

/// Where the CRM poll of a connection got to.
pub async fn inbound_watermark(db: &Db, connection_id: i64) -> Result<i64, sqlx::Error> {
    let (at,): (i64,) =
        sqlx::query_as("SELECT inbound_watermark FROM crm_connections WHERE id = $1")
            .bind(connection_id)
            .fetch_one(&db.read)
            .await?;
    Ok(at)
}

/// Moves the watermark forward (never back).
pub async fn advance_watermark(db: &Db, connection_id: i64, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET inbound_watermark = $1 WHERE id = $2 AND inbound_watermark < $1")
        .bind(at)
        .bind(connection_id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// What the CRM may change on a registration, for approved partner registrations only (the
/// CRM owns stage and amount once the portal has approved the registration).
pub async fn deal_now(
    db: &Db,
    deal_id: i64,
) -> Result<Option<crate::domain::crm::DealNow>, sqlx::Error> {
    use crate::domain::crm_inbound::HeldOwner;
    /// Stage, amount, close date, CRM owner id and name.
    type Row = (String, i64, Option<i64>, Option<String>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT stage, amount_cents, close_at, crm_owner_id, crm_owner_name FROM deals \
         WHERE id = $1 AND partner_org_id IS NOT NULL AND registration_status = 'approved'",
    )
    .bind(deal_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(
        row.and_then(|(stage, amount_cents, close_at, owner_id, owner_name)| {
            Some(crate::domain::crm::DealNow {
                stage: crate::domain::channel::deals::Stage::parse(&stage)?,
                amount_cents,
                close_at,
                owner: owner_id.map(|id| HeldOwner {
                    id,
                    name: owner_name,
                }),
            })
        }),
    )
}

/// The names the portal holds for these CRM owner ids (from any registration they own),
/// by owner id; owners held without a name are left out.
pub async fn held_owner_names(
    db: &Db,
    crm: CrmKind,
    owner_ids: &[String],
) -> Result<BTreeMap<String, String>, sqlx::Error> {
    let mut names = BTreeMap::new();
    for chunk in owner_ids.chunks(100) {
        let marks: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT crm_owner_id, MAX(crm_owner_name) FROM deals WHERE crm_owner_source = $1 \
             AND crm_owner_name <> '' AND crm_owner_id IN ({}) GROUP BY crm_owner_id",
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(crm.as_str());
        for id in chunk {
            query = query.bind(id.as_str());
        }
        names.extend(query.fetch_all(&db.read).await?);
    }
    Ok(names)
}

/// A registration's owner in the CRM, and which CRM: for the deal page.
pub async fn crm_owner(
    db: &Db,
    deal_id: i64,
) -> Result<Option<(crate::domain::crm_inbound::HeldOwner, CrmKind)>, sqlx::Error> {
    let row: Option<(Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT crm_owner_id, crm_owner_name, crm_owner_source FROM deals WHERE id = $1",
    )
    .bind(deal_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.and_then(|(id, name, source)| {
        Some((
            crate::domain::crm_inbound::HeldOwner { id: id?, name },
            CrmKind::parse(source.as_deref()?)?,
        ))
    }))
}

/// Applies what the CRM changed on a registration, with an audit row per field, in one
/// transaction, and only if the registration still holds the values the changes start from
/// (a portal edit in between wins; the next poll re-reads). Not queued back to the CRM: the
/// values came from there.
pub async fn apply_inbound(
    db: &Db,
    deal_id: i64,
    changes: &[crate::domain::crm::InboundChange],
    owner: Option<&crate::domain::crm_inbound::OwnerChange>,
    crm: CrmKind,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let rationale = format!("Changed in {} by sales.", crm.label());
    let mut tx = db.write.begin().await?;
    let mut trail = Vec::new();
    for change in changes {
        let (column, value): (&str, Option<String>) = match change.field {
            "stage" => ("stage", Some(change.to.clone())),
            "amount_cents" => ("amount_cents", Some(change.to.clone())),
            "close_at" => ("close_at", Some(change.to.clone())),
            _ => continue,
        };
        let from_matches = match change.field {
            "stage" => "stage = $3",
            "amount_cents" => "amount_cents = CAST($3 AS BIGINT)",
            _ => "COALESCE(CAST(close_at AS TEXT), '') = $3",
        };
        let value_sql = if column == "stage" {
            "$1"
        } else {
            "CAST($1 AS BIGINT)"
        };
        let updated = sqlx::query(&format!(
            "UPDATE deals SET {column} = {value_sql}, updated_at = $4 WHERE id = $2 AND {from_matches}"
        ))
        .bind(value)
        .bind(deal_id)
        .bind(change.from.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Ok(false);
        }
        trail.push(change.audit());
    }
    if let Some(owner) = owner {
        // Compare-and-set on the owner the change starts from. The owner is the CRM's own
        // field: `updated_at` is left alone, so it does not queue the deal back.
        let (from_id, from_name) = owner
            .from
            .as_ref()
            .map_or(("", ""), |from| (from.id.as_str(), from.name.as_str()));
        let updated = sqlx::query(
            "UPDATE deals SET crm_owner_id = $1, crm_owner_name = $2, crm_owner_source = $3 \
             WHERE id = $4 AND COALESCE(crm_owner_id, '') = $5 AND crm_owner_name = $6",
        )
        .bind(owner.to.as_ref().map(|to| to.id.clone()))
        .bind(owner.to.as_ref().map_or("", |to| to.name.as_str()))
        .bind(owner.to.as_ref().map(|_| crm.as_str()))
        .bind(deal_id)
        .bind(from_id)
        .bind(from_name)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Ok(false);
        }
        let (field, from, to) = owner.audit(crm);
        trail.push((field, from, to));
    }
    for (field, from, to) in trail {
        sqlx::query(
            "INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value, rationale) \
             VALUES ($1, NULL, $2, $3, $4, $5, $6)",
        )
        .bind(deal_id)
        .bind(now)
        .bind(field)
        .bind(from)
        .bind(to)
        .bind(&rationale)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The stages of the account's deal pipelines and their map, in HubSpot's order.
pub async fn stage_map(
    db: &Db,
    connection_id: i64,
) -> Result<Vec<crate::domain::crm_inbound::PipelineStage>, sqlx::Error> {
    use crate::domain::crm_inbound::{PipelineStage, StageClosed};
    type Row = (String, String, String, String, i64, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT pipeline_id, pipeline_label, stage_id, stage_label, display_order, closed, portal_stage \
         FROM crm_stage_map WHERE connection_id = $1 ORDER BY pipeline_label, pipeline_id, display_order, stage_id",
    )
    .bind(connection_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                pipeline_id,
                pipeline_label,
                stage_id,
                stage_label,
                display_order,
                closed,
                portal,
            )| {
                Some(PipelineStage {
                    pipeline_id,
                    pipeline_label,
                    stage_id,
                    stage_label,
                    display_order,
                    closed: StageClosed::parse(&closed)?,
                    portal_stage: portal
                        .as_deref()
                        .and_then(crate::domain::channel::deals::Stage::parse),
                })
            },
        )
        .collect())
}

/// Replaces the stored stages with a fresh read of HubSpot's pipelines, keeping an admin's
/// choice for every open stage still there (a stage that closed, or changed from won to
/// lost, takes HubSpot's verdict). Stages gone from HubSpot are dropped.
pub async fn save_pipeline_stages(
    db: &Db,
    connection_id: i64,
    read: &[crate::domain::crm_inbound::PipelineStage],
    now: i64,
) -> Result<(), sqlx::Error> {
    use crate::domain::crm_inbound::StageClosed;
    let kept = stage_map(db, connection_id).await?;
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM crm_stage_map WHERE connection_id = $1")
        .bind(connection_id)
        .execute(&mut *tx)
        .await?;
    for stage in read {
        let chosen = kept
            .iter()
            .find(|old| old.pipeline_id == stage.pipeline_id && old.stage_id == stage.stage_id)
            .filter(|old| old.closed == StageClosed::Open && stage.closed == StageClosed::Open)
            .map_or(stage.portal_stage, |old| old.portal_stage);
        sqlx::query(
            "INSERT INTO crm_stage_map (connection_id, pipeline_id, pipeline_label, stage_id, stage_label, \
             display_order, closed, portal_stage, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(connection_id)
        .bind(&stage.pipeline_id)
        .bind(&stage.pipeline_label)
        .bind(&stage.stage_id)
        .bind(&stage.stage_label)
        .bind(stage.display_order)
        .bind(stage.closed.as_str())
        .bind(chosen.map(|s| s.as_str()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// An admin's choice for one stored stage; false when there is no such stage.
pub async fn set_stage_choice(
    db: &Db,
    connection_id: i64,
    pipeline_id: &str,
    stage_id: &str,
    choice: Option<crate::domain::channel::deals::Stage>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE crm_stage_map SET portal_stage = $1 WHERE connection_id = $2 AND pipeline_id = $3 AND stage_id = $4",
    )
    .bind(choice.map(|s| s.as_str()))
    .bind(connection_id)
    .bind(pipeline_id)
    .bind(stage_id)
    .execute(&db.write)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Saves (or, with `None`, removes) the sealed webhook secret of a connection.
pub async fn set_webhook_secret(
    db: &Db,
    id: i64,
    sealed: Option<(&str, &str)>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_connections SET webhook_secret_sealed = $1, webhook_secret_hint = $2, updated_at = $3 \
         WHERE id = $4 AND state <> 'disconnected'",
    )
    .bind(sealed.map(|(sealed, _)| sealed))
    .bind(sealed.map(|(_, hint)| hint).unwrap_or(""))
    .bind(now)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Remembers the latest refused delivery (overwriting the one before).
pub async fn record_webhook_refusal(
    db: &Db,
    id: i64,
    message: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_connections SET webhook_last_refusal = $1, webhook_last_refusal_at = $2 WHERE id = $3",
    )
    .bind(message)
    .bind(now)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Stores a verified delivery and its events in one transaction. `None` if this exact
/// delivery (its signature) was stored before: a replay, and nothing is written. Otherwise
/// the number of events not seen before (HubSpot's own retries repeat events).
pub async fn store_webhook_delivery(
    db: &Db,
    connection_id: i64,
    signature: &str,
    events: &[crate::domain::hubspot_webhook::Event],
    now: i64,
) -> Result<Option<usize>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let first = sqlx::query(
        "INSERT INTO crm_webhook_deliveries (connection_id, signature, received_at, events, new_events) \
         VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
    )
    .bind(connection_id)
    .bind(signature)
    .bind(now)
    .bind(events.len() as i64)
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 0 {
        return Ok(None);
    }
    let mut new = 0;
    for event in events {
        // Events that cannot change a registration are stored as already handled, for
        // the log, and never read back.
        let (processed_at, outcome) = if event.changes_a_deal() {
            (None, None)
        } else {
            (Some(now), Some("ignored"))
        };
        let inserted = sqlx::query(
            "INSERT INTO crm_webhook_events (connection_id, portal_id, subscription_id, event_id, occurred_at, \
             subscription_type, object_id, property_name, change_source, received_at, processed_at, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
        )
        .bind(connection_id)
        .bind(event.portal_id)
        .bind(event.subscription_id)
        .bind(event.event_id)
        .bind(event.occurred_at)
        .bind(&event.subscription_type)
        .bind(&event.object_id)
        .bind(event.property_name.as_deref())
        .bind(event.change_source.as_deref())
        .bind(now)
        .bind(processed_at)
        .bind(outcome)
        .execute(&mut *tx)
        .await?;
        new += inserted.rows_affected() as usize;
    }
    sqlx::query(
        "UPDATE crm_webhook_deliveries SET new_events = $1 WHERE connection_id = $2 AND signature = $3",
    )
    .bind(new as i64)
    .bind(connection_id)
    .bind(signature)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(new))
}

/// The HubSpot ids of deals with events waiting to be read back, oldest first, at most
/// `limit` distinct deals.
pub async fn pending_webhook_deals(
    db: &Db,
    connection_id: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT object_id FROM crm_webhook_events WHERE connection_id = $1 AND processed_at IS NULL \
         GROUP BY object_id ORDER BY MIN(id) LIMIT $2",
    )
    .bind(connection_id)
    .bind(limit)
    .fetch_all(&db.write)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Marks the waiting events of one deal as handled, with what came of them.
pub async fn finish_webhook_events(
    db: &Db,
    connection_id: i64,
    object_id: &str,
    outcome: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_webhook_events SET processed_at = $1, outcome = $2 \
         WHERE connection_id = $3 AND object_id = $4 AND processed_at IS NULL",
    )
    .bind(now)
    .bind(outcome)
    .bind(connection_id)
    .bind(object_id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// What the page shows of a connection's webhooks.
#[derive(Debug, Clone, Default)]
pub struct WebhookCounts {
    pub deliveries: i64,
    pub last_delivery_at: Option<i64>,
    pub events: i64,
    pub waiting: i64,
    pub last_refusal: Option<String>,
    pub last_refusal_at: Option<i64>,
}

pub async fn webhook_counts(db: &Db, connection_id: i64) -> Result<WebhookCounts, sqlx::Error> {
    let (deliveries, last_delivery_at): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(received_at) FROM crm_webhook_deliveries WHERE connection_id = $1",
    )
    .bind(connection_id)
    .fetch_one(&db.write)
    .await?;
    let (events, waiting): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN processed_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM crm_webhook_events WHERE connection_id = $1",
    )
    .bind(connection_id)
    .fetch_one(&db.write)
    .await?;
    let (last_refusal, last_refusal_at): (Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT webhook_last_refusal, webhook_last_refusal_at FROM crm_connections WHERE id = $1",
    )
    .bind(connection_id)
    .fetch_one(&db.write)
    .await?;
    Ok(WebhookCounts {
        deliveries,
        last_delivery_at,
        events,
        waiting,
        last_refusal,
        last_refusal_at,
    })
}

/// Forgets delivery signatures received before `deliveries_before` (a replay needs a
/// timestamp inside the five-minute window, so an old signature can never be accepted again
/// anyway) and handled events before `events_before`.
pub async fn purge_webhook_log(
    db: &Db,
    deliveries_before: i64,
    events_before: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM crm_webhook_deliveries WHERE received_at < $1")
        .bind(deliveries_before)
        .execute(&db.write)
        .await?;
    sqlx::query(
        "DELETE FROM crm_webhook_events WHERE processed_at IS NOT NULL AND processed_at < $1",
    )
    .bind(events_before)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A connection's current session (a Salesforce session, a HubSpot OAuth access token), as
/// stored (sealed), with how the connection is authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub sealed: Option<String>,
    pub generation: i64,
    pub minted_at: Option<i64>,
    pub instance_url: Option<String>,
    /// When it expires, if the CRM said (HubSpot's `expires_in`).
    pub expires_at: Option<i64>,
    /// `static_token`, `oauth_refresh` (HubSpot), `client_credentials` or `jwt_bearer`
    /// (Salesforce).
    pub auth_mode: String,
}

type SessionRow = (
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    String,
);

pub async fn session(db: &Db, connection_id: i64) -> Result<StoredSession, sqlx::Error> {
    let (sealed, generation, minted_at, instance_url, expires_at, auth_mode): SessionRow =
        sqlx::query_as(
            "SELECT session_sealed, session_generation, session_minted_at, instance_url, session_expires_at, auth_mode \
             FROM crm_connections WHERE id = $1",
        )
        .bind(connection_id)
        .fetch_one(&db.write)
        .await?;
    Ok(StoredSession {
        sealed: sealed.filter(|sealed| !sealed.is_empty()),
        generation,
        minted_at,
        instance_url,
        expires_at,
        auth_mode,
    })
}

/// Takes the right to mint the session after generation `seen`: only if no one has minted
/// since and no one holds the right now. One statement, so of any number of workers and
/// instances exactly one wins.
pub async fn take_mint_lease(
    db: &Db,
    connection_id: i64,
    seen: i64,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE crm_connections SET session_mint_until = $1 \
         WHERE id = $2 AND session_generation = $3 AND session_mint_until < $4 AND state = 'connected'",
    )
    .bind(until)
    .bind(connection_id)
    .bind(seen)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A session just minted, to store.
pub struct NewSession<'a> {
    pub sealed: &'a str,
    pub instance_url: &'a str,
    pub expires_at: Option<i64>,
    /// A new sealed connection secret, when the CRM rotated it (HubSpot's refresh token).
    pub secret_sealed: Option<&'a str>,
}

/// Stores a session minted after generation `seen` (the next generation) and frees the lease.
pub async fn store_session(
    db: &Db,
    connection_id: i64,
    seen: i64,
    minted: &NewSession<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_connections SET session_sealed = $1, instance_url = $2, session_minted_at = $3, \
         session_generation = $4, session_mint_until = 0, session_expires_at = $7, \
         secret_sealed = COALESCE($8, secret_sealed) WHERE id = $5 AND session_generation = $6",
    )
    .bind(minted.sealed)
    .bind(minted.instance_url)
    .bind(now)
    .bind(seen + 1)
    .bind(connection_id)
    .bind(seen)
    .bind(minted.expires_at)
    .bind(minted.secret_sealed)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Frees the lease after a failed mint, so the next run may try.
pub async fn release_mint_lease(db: &Db, connection_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET session_mint_until = 0 WHERE id = $1")
        .bind(connection_id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Salesforce's count of API calls used of the org's rolling daily allocation.
pub async fn record_api_usage(
    db: &Db,
    connection_id: i64,
    used: i64,
    limit: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE crm_connections SET api_used = $1, api_limit = $2 WHERE id = $3")
        .bind(used)
        .bind(limit)
        .bind(connection_id)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn api_usage(db: &Db, connection_id: i64) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let (used, limit): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT api_used, api_limit FROM crm_connections WHERE id = $1")
            .bind(connection_id)
            .fetch_one(&db.read)
            .await?;
    Ok(used.zip(limit))
}

/// Each partner person's organisation (their contact's account).
pub async fn partner_orgs_of(db: &Db, user_ids: &[i64]) -> Result<BTreeMap<i64, i64>, sqlx::Error> {
    let mut orgs = BTreeMap::new();
    for chunk in user_ids.chunks(200) {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, partner_org_id FROM users WHERE partner_org_id IS NOT NULL AND id IN ({})",
            id_list(chunk)
        ))
        .fetch_all(&db.read)
        .await?;
        orgs.extend(rows);
    }
    Ok(orgs)
}

/// Where a connection's registrations go from now on (Salesforce: Leads or Opportunities).
/// The fields must be checked again before anything more is sent, so the connection no
/// longer counts as installed and the last check's findings are forgotten.
pub async fn set_placement(
    db: &Db,
    id: i64,
    placement: &DealPlacement,
    now: i64,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(placement).expect("placement is JSON");
    sqlx::query(
        "UPDATE crm_connections SET placement_json = $1, installed_at = NULL, field_problems_json = NULL, \
         updated_at = $2 WHERE id = $3",
    )
    .bind(json)
    .bind(now)
    .bind(id)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// The last field check's findings (empty: all in place).
pub async fn set_field_problems(
    db: &Db,
    connection_id: i64,
    problems: &[crate::domain::salesforce::FieldProblem],
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(problems).expect("problems are JSON");
    sqlx::query("UPDATE crm_connections SET field_problems_json = $1 WHERE id = $2")
        .bind(json)
        .bind(connection_id)
        .execute(&db.write)
        .await?;
    Ok(())
}

pub async fn field_problems(
    db: &Db,
    connection_id: i64,
) -> Result<Vec<crate::domain::salesforce::FieldProblem>, sqlx::Error> {
    let (json,): (Option<String>,) =
        sqlx::query_as("SELECT field_problems_json FROM crm_connections WHERE id = $1")
            .bind(connection_id)
            .fetch_one(&db.read)
            .await?;
    Ok(json
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

/// Which of these records wait in a connection's queue (pending).
pub async fn waiting(
    db: &Db,
    connection_id: i64,
    kind: SyncKind,
    entity_ids: &[i64],
) -> Result<std::collections::BTreeSet<i64>, sqlx::Error> {
    let mut found = std::collections::BTreeSet::new();
    for chunk in entity_ids.chunks(200) {
        let rows: Vec<(i64,)> = sqlx::query_as(&format!(
            "SELECT entity_id FROM crm_outbox WHERE connection_id = $1 AND kind = $2 AND state = 'pending' \
             AND entity_id IN ({})",
            id_list(chunk)
        ))
        .bind(connection_id)
        .bind(kind.as_str())
        .fetch_all(&db.read)
        .await?;
        found.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(found)
}

/// The link kind of the Opportunity a registration's Lead was converted to (Salesforce).
const OPPORTUNITY_LINK: &str = "opportunity";

/// Remembers the Opportunity a registration's Lead became; sales works the deal there.
pub async fn link_opportunity(
    db: &Db,
    connection_id: i64,
    deal_id: i64,
    opportunity_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO crm_links (connection_id, kind, entity_id, crm_id, last_sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (connection_id, kind, entity_id) DO UPDATE SET crm_id = excluded.crm_id",
    )
    .bind(connection_id)
    .bind(OPPORTUNITY_LINK)
    .bind(deal_id)
    .bind(opportunity_id)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Every registration's Opportunity: its id → the registration.
pub async fn opportunity_links(
    db: &Db,
    connection_id: i64,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT crm_id, entity_id FROM crm_links WHERE connection_id = $1 AND kind = $2 ORDER BY entity_id",
    )
    .bind(connection_id)
    .bind(OPPORTUNITY_LINK)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}

/// An admin's pending HubSpot consent (see `crm_oauth_starts`).
pub struct OAuthStart<'a> {
    pub state_hash: &'a str,
    pub user_id: i64,
    pub client_id: &'a str,
    pub client_secret_sealed: &'a str,
    pub verifier_sealed: &'a str,
    pub placement: &'a DealPlacement,
    pub expires_at: i64,
}

/// What a consent needs when HubSpot sends the admin back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingConsent {
    pub client_id: String,
    pub client_secret_sealed: String,
    pub verifier_sealed: String,
    pub placement_json: String,
}

/// Keeps a pending consent. Expired ones go, and an admin keeps at most five (pressing the
/// button again and again cannot fill the table).
pub async fn save_oauth_start(
    db: &Db,
    start: &OAuthStart<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM crm_oauth_starts WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM crm_oauth_starts WHERE user_id = $1 AND state_hash NOT IN \
         (SELECT state_hash FROM crm_oauth_starts WHERE user_id = $1 ORDER BY created_at DESC LIMIT 4)",
    )
    .bind(start.user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO crm_oauth_starts (state_hash, user_id, client_id, client_secret_sealed, verifier_sealed, \
         placement_json, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(start.state_hash)
    .bind(start.user_id)
    .bind(start.client_id)
    .bind(start.client_secret_sealed)
    .bind(start.verifier_sealed)
    .bind(serde_json::to_string(start.placement).expect("placement is JSON"))
    .bind(now)
    .bind(start.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Takes the admin's own pending consent with this state, once: a second use, another
/// admin's state or an expired one finds nothing (and another admin's stays usable).
pub async fn take_oauth_start(
    db: &Db,
    state_hash: &str,
    user_id: i64,
    now: i64,
) -> Result<Option<PendingConsent>, sqlx::Error> {
    sqlx::query_as(
        "DELETE FROM crm_oauth_starts WHERE state_hash = $1 AND user_id = $2 AND expires_at > $3 \
         RETURNING client_id, client_secret_sealed, verifier_sealed, placement_json",
    )
    .bind(state_hash)
    .bind(user_id)
    .bind(now)
    .fetch_optional(&db.write)
    .await
}

/// One line of a record's sync history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub at: i64,
    pub crm: String,
    pub outcome: String,
    pub detail: String,
}

/// A record's sync attempts across connections, newest first (bounded: the newest 200).
pub async fn history(
    db: &Db,
    kind: SyncKind,
    entity_id: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.at, c.kind AS crm, l.outcome, l.detail FROM crm_sync_log l \
         JOIN crm_connections c ON c.id = l.connection_id \
         WHERE l.kind = $1 AND l.entity_id = $2 ORDER BY l.at DESC, l.id DESC LIMIT 200",
    )
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_all(&db.read)
    .await
}

/// Where a record is in each CRM: its CRM id, and its queue row's state if one waits or
/// failed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordPlace {
    pub crm: String,
    pub crm_id: Option<String>,
    pub last_sent_at: Option<i64>,
    pub queue_state: Option<String>,
    pub attempts: Option<i64>,
    pub last_error: Option<String>,
}

pub async fn record_places(
    db: &Db,
    kind: SyncKind,
    entity_id: i64,
) -> Result<Vec<RecordPlace>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.kind AS crm, k.crm_id, k.last_sent_at, o.state AS queue_state, o.attempts, o.last_error \
         FROM crm_connections c \
         LEFT JOIN crm_links k ON k.connection_id = c.id AND k.kind = $1 AND k.entity_id = $2 \
         LEFT JOIN crm_outbox o ON o.id = (SELECT MAX(id) FROM crm_outbox WHERE connection_id = c.id AND kind = $1 AND entity_id = $2) \
         WHERE c.state <> 'disconnected' ORDER BY c.id",
    )
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_all(&db.read)
    .await
}

/// What the record is, for people: a person's name and email, an organisation's name, a
/// registration's customer and partner, a reply's subject. `None`: no such record.
pub async fn record_label(
    db: &Db,
    kind: SyncKind,
    entity_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let sql = match kind {
        SyncKind::Contact => "SELECT display_name || ' <' || email || '>' FROM users WHERE id = $1",
        SyncKind::Company => "SELECT name FROM partner_orgs WHERE id = $1",
        SyncKind::Registration => {
            "SELECT a.name || ' (' || COALESCE(p.name, 'no partner') || ')' FROM deals d \
             JOIN accounts a ON a.id = d.account_id LEFT JOIN partner_orgs p ON p.id = d.partner_org_id WHERE d.id = $1"
        }
        SyncKind::Reply => "SELECT subject FROM inbound_mail WHERE id = $1",
    };
    let label: Option<(String,)> = sqlx::query_as(sql)
        .bind(entity_id)
        .fetch_optional(&db.read)
        .await?;
    Ok(label.map(|(label,)| label))
}

/// Records the sync sends whose names match `text` (a person's name or email, an
/// organisation's name, a registration's customer), at most 20 of each kind, for opening
/// their sync history.
pub async fn find_records(
    db: &Db,
    text: &str,
) -> Result<Vec<(SyncKind, i64, String)>, sqlx::Error> {
    // LIKE's wildcards in the text match only themselves.
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    let searches = [
        (
            SyncKind::Contact,
            "SELECT id, display_name || ' <' || email || '>' FROM users WHERE role = 'partner_user' \
             AND (LOWER(email) LIKE $1 ESCAPE '\\' OR LOWER(display_name) LIKE $1 ESCAPE '\\') ORDER BY display_name, id LIMIT 20",
        ),
        (
            SyncKind::Company,
            "SELECT id, name FROM partner_orgs WHERE LOWER(name) LIKE $1 ESCAPE '\\' ORDER BY name, id LIMIT 20",
        ),
        (
            SyncKind::Registration,
            "SELECT d.id, a.name || ' (' || p.name || ')' FROM deals d JOIN accounts a ON a.id = d.account_id \
             JOIN partner_orgs p ON p.id = d.partner_org_id WHERE LOWER(a.name) LIKE $1 ESCAPE '\\' \
             ORDER BY a.name, d.id LIMIT 20",
        ),
    ];
    let mut found = Vec::new();
    for (kind, sql) in searches {
        let rows: Vec<(i64, String)> = sqlx::query_as(sql)
            .bind(&pattern)
            .fetch_all(&db.read)
            .await?;
        found.extend(rows.into_iter().map(|(id, label)| (kind, id, label)));
    }
    Ok(found)
}
