//! The CRM sync worker: sends the outbox to each connected CRM in batches, effectively once.
//! Each row names a record, not a payload: the worker reads the record's current state, so a
//! late or repeated run sends the newest state, and upserts keyed on unique properties make
//! a repeat harmless.
use super::hubspot::{HubSpot, RecordResult, UpsertInput};
use crate::domain::crm::{
    company_properties, contact_properties, deal_properties, directions, judge, ConnectionState,
    CrmKind, Direction, FieldRule, SyncKind, Verdict, HUBSPOT_BATCH,
};
use crate::server::repo::crm::{self as repo, Claimed, Connection};
use crate::server::AppState;
use std::collections::BTreeMap;

/// How long a worker holds a batch before another may take it (a crashed worker's batch
/// becomes due again after this).
const LEASE_MS: i64 = 120_000;
/// Below this many requests left in HubSpot's window, the queue waits for the next window.
const RATE_RESERVE: i64 = 2;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncRun {
    pub requests: usize,
    pub written: usize,
    pub refused: usize,
    pub retried: usize,
    pub slowed: usize,
}

/// Sends every due row of every connected CRM. Returns early for a connection that is slowed
/// down, paused or needs re-authorisation; its rows wait.
pub async fn run(state: &AppState, http: &reqwest::Client) -> Result<SyncRun, sqlx::Error> {
    let mut run = SyncRun::default();
    for (connection, token) in ready_connections(state, false).await? {
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let writes =
            |kind: SyncKind, property: &str| flows(&chosen, kind, property, Direction::ToCrm);
        let client = HubSpot::of(http, &connection, &token);
        'kinds: for kind in [SyncKind::Company, SyncKind::Contact, SyncKind::Registration] {
            loop {
                let now = state.clock.now_ms();
                let rows = repo::claim(
                    &state.db,
                    connection.id,
                    kind,
                    now,
                    now + LEASE_MS,
                    HUBSPOT_BATCH as i64,
                )
                .await?;
                if rows.is_empty() {
                    break;
                }
                match send_batch(state, &client, &connection, kind, &rows, &writes, &mut run)
                    .await?
                {
                    BatchEnd::Continue => {}
                    BatchEnd::StopConnection => break 'kinds,
                }
            }
        }
    }
    Ok(run)
}

/// Gives up on a record the CRM refused, with the CRM's reason, and logs it.
async fn refuse(
    db: &crate::server::db::Db,
    connection_id: i64,
    kind: SyncKind,
    row: &Claimed,
    (status, error, request_id): (Option<u16>, &str, Option<&str>),
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::fail(db, row, status, error, request_id, None, now).await?;
    repo::log(
        db,
        connection_id,
        kind,
        row.entity_id,
        "refused",
        error,
        now,
    )
    .await
}

/// Stops a connection's queue until an admin saves a token the CRM accepts.
async fn needs_new_token(
    db: &crate::server::db::Db,
    connection_id: i64,
    summary: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let message =
        format!("HubSpot refused the token ({summary}). Connect again with a valid token.");
    repo::set_state(
        db,
        connection_id,
        ConnectionState::NeedsReauth,
        Some(&message),
        now,
    )
    .await
}

/// Whether `property` of `kind` flows in `direction` under the directions in force.
fn flows(
    chosen: &[(FieldRule, Direction)],
    kind: SyncKind,
    property: &str,
    direction: Direction,
) -> bool {
    chosen.iter().any(|(rule, chosen)| {
        rule.kind == kind && rule.property == property && *chosen == direction
    })
}

/// The HubSpot connections that may be called now (connected, not held by a rate limit;
/// with `installed`, only those whose properties are installed), each with its opened
/// token. A token that cannot be opened (the deployment secret changed) stops its
/// connection until an admin connects again.
async fn ready_connections(
    state: &AppState,
    installed: bool,
) -> Result<Vec<(Connection, String)>, sqlx::Error> {
    let mut ready = Vec::new();
    for connection in repo::live_connections(&state.db).await? {
        let now = state.clock.now_ms();
        if connection.state != ConnectionState::Connected
            || connection.kind != CrmKind::Hubspot
            || connection.paused_until > now
            || (installed && connection.installed_at.is_none())
        {
            continue;
        }
        match super::open_secret(&state.settings.secret_key, &connection) {
            Some(token) => ready.push((connection, token)),
            None => {
                let message = "The saved token cannot be read; connect again.";
                repo::set_state(
                    &state.db,
                    connection.id,
                    ConnectionState::NeedsReauth,
                    Some(message),
                    now,
                )
                .await?;
            }
        }
    }
    Ok(ready)
}

enum BatchEnd {
    Continue,
    StopConnection,
}

async fn send_batch(
    state: &AppState,
    client: &HubSpot<'_>,
    connection: &Connection,
    kind: SyncKind,
    rows: &[Claimed],
    writes: &(dyn Fn(SyncKind, &str) -> bool + Sync),
    run: &mut SyncRun,
) -> Result<BatchEnd, sqlx::Error> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let ids: Vec<i64> = rows.iter().map(|row| row.entity_id).collect();
    let field = |property: &str| writes(kind, property);
    let mut inputs = Vec::new();
    let mut keyed: Vec<&Claimed> = Vec::new();
    let properties: BTreeMap<i64, (String, BTreeMap<String, String>)> = match kind {
        SyncKind::Contact => repo::contact_facts(db, &ids, now)
            .await?
            .into_iter()
            .map(|(id, facts)| {
                (
                    id,
                    (
                        facts.email.to_lowercase(),
                        contact_properties(&facts, &field),
                    ),
                )
            })
            .collect(),
        SyncKind::Company => repo::company_facts(db, &ids, now)
            .await?
            .into_iter()
            .map(|(id, facts)| {
                (
                    id,
                    (facts.org_id.to_string(), company_properties(&facts, &field)),
                )
            })
            .collect(),
        SyncKind::Registration => {
            // The CRM ids known: a deal HubSpot already has keeps sales' stage and amount.
            let linked = repo::links(db, connection.id, kind, &ids).await?;
            repo::registration_facts(db, &ids)
                .await?
                .into_iter()
                .map(|(id, facts)| {
                    let creating = !linked.contains_key(&id);
                    let properties =
                        deal_properties(&facts, &connection.placement, creating, &field);
                    (id, (facts.deal_id.to_string(), properties))
                })
                .collect()
        }
    };
    for row in rows {
        match properties.get(&row.entity_id) {
            Some((key, properties)) => {
                inputs.push(UpsertInput {
                    trace_id: row.id,
                    key: key.clone(),
                    properties: properties.clone(),
                });
                keyed.push(row);
            }
            // The record is gone (or no longer synced, e.g. staff): nothing to send.
            None => {
                repo::finish(db, row, now).await?;
                repo::log(
                    db,
                    connection.id,
                    kind,
                    row.entity_id,
                    "skipped",
                    "The record no longer exists in the portal.",
                    now,
                )
                .await?;
            }
        }
    }
    if inputs.is_empty() {
        return Ok(BatchEnd::Continue);
    }
    let (reply, results) = client
        .batch_upsert(kind.hubspot_object(), kind.hubspot_id_property(), &inputs)
        .await;
    run.requests += 1;
    let now = state.clock.now_ms();
    let attempts = keyed.iter().map(|row| row.attempts).max().unwrap_or(0);
    let verdict = judge(&reply.answer, now, attempts, rand::random::<f64>());
    let summary = reply.summary();
    let request_id = reply.correlation_id();
    match verdict {
        Verdict::Done => {
            for row in keyed {
                match results.get(&row.id) {
                    Some(RecordResult::Written { crm_id }) => {
                        repo::link(db, connection.id, kind, row.entity_id, crm_id, now).await?;
                        repo::finish(db, row, now).await?;
                        repo::log(
                            db,
                            connection.id,
                            kind,
                            row.entity_id,
                            "written",
                            &format!("CRM id {crm_id}"),
                            now,
                        )
                        .await?;
                        run.written += 1;
                    }
                    Some(RecordResult::Refused { error }) => {
                        let status = reply.status();
                        refuse(
                            db,
                            connection.id,
                            kind,
                            row,
                            (status, error, request_id.as_deref()),
                            now,
                        )
                        .await?;
                        run.refused += 1;
                    }
                    // Accepted but not reported back: try again (the upsert is idempotent).
                    None => {
                        let at = now
                            + crate::domain::crm::jitter_ms(row.attempts, rand::random::<f64>());
                        let error = "The CRM did not report on this record.";
                        repo::fail(
                            db,
                            row,
                            reply.status(),
                            error,
                            request_id.as_deref(),
                            Some(at),
                            now,
                        )
                        .await?;
                        run.retried += 1;
                    }
                }
            }
            repo::record_success(db, connection.id, now).await?;
            // Stay inside HubSpot's rolling window rather than run into its 429.
            if let (Some(remaining), Some(interval)) = (reply.remaining, reply.interval_ms) {
                if remaining <= RATE_RESERVE {
                    repo::pause_until(db, connection.id, now + interval.clamp(1_000, 60_000))
                        .await?;
                    return Ok(BatchEnd::StopConnection);
                }
            }
            Ok(BatchEnd::Continue)
        }
        Verdict::SlowDown { until_ms } => {
            repo::release(db, &keyed, until_ms).await?;
            repo::pause_until(db, connection.id, until_ms).await?;
            repo::record_error(db, connection.id, &summary).await?;
            run.slowed += 1;
            Ok(BatchEnd::StopConnection)
        }
        Verdict::Retry { at_ms } => {
            for row in keyed {
                repo::fail(
                    db,
                    row,
                    reply.status(),
                    &summary,
                    request_id.as_deref(),
                    Some(at_ms),
                    now,
                )
                .await?;
                run.retried += 1;
            }
            repo::record_error(db, connection.id, &summary).await?;
            Ok(BatchEnd::StopConnection)
        }
        Verdict::Dead => {
            for row in keyed {
                let status = reply.status();
                refuse(
                    db,
                    connection.id,
                    kind,
                    row,
                    (status, &summary, request_id.as_deref()),
                    now,
                )
                .await?;
                run.refused += 1;
            }
            repo::record_error(db, connection.id, &summary).await?;
            Ok(BatchEnd::Continue)
        }
        Verdict::Reauthorise => {
            repo::release(db, &keyed, now).await?;
            needs_new_token(db, connection.id, &summary, now).await?;
            Ok(BatchEnd::StopConnection)
        }
    }
}

/// What one poll of the CRMs found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollRun {
    pub requests: usize,
    pub read: usize,
    pub changed: usize,
}

/// Reads the portal's deals that changed in each connected HubSpot since the last poll and
/// applies what flows back (stage, amount, close date of approved registrations), with an
/// audit row per change. Idempotent: values already equal change nothing, so re-reading the
/// overlap, a late run or two instances polling at once are harmless.
pub async fn poll(state: &AppState, http: &reqwest::Client) -> Result<PollRun, sqlx::Error> {
    use crate::domain::crm::POLL_OVERLAP_MS;
    let mut run = PollRun::default();
    for (connection, token) in ready_connections(state, true).await? {
        let client = HubSpot::of(http, &connection, &token);
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let from_crm = |property: &str| reads_back(&chosen, property);
        let watermark = repo::inbound_watermark(&state.db, connection.id).await?;
        let since = (watermark - POLL_OVERLAP_MS).max(0);
        let mut cursor: Option<String> = None;
        let mut newest = watermark;
        // A bounded number of pages per run; the rest follows on the next run.
        for _ in 0..20 {
            let (reply, deals, next) = client.modified_deals(since, cursor.as_deref()).await;
            run.requests += 1;
            if !reply.ok() {
                let now = state.clock.now_ms();
                failed_read(state, connection.id, &reply, now).await?;
                break;
            }
            for deal in &deals {
                run.read += 1;
                newest = newest.max(deal.modified_at);
                if apply_deal(state, connection.id, deal, &from_crm).await? {
                    run.changed += 1;
                }
            }
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        repo::advance_watermark(&state.db, connection.id, newest).await?;
    }
    Ok(run)
}

/// Whether a deal property flows from the CRM to the portal under the directions in force.
fn reads_back(chosen: &[(FieldRule, Direction)], property: &str) -> bool {
    flows(chosen, SyncKind::Registration, property, Direction::FromCrm)
}

/// A read from HubSpot failed: a rate limit pauses the connection, a refused token stops
/// it, anything else is shown to admins; what was to be read waits for the next run.
async fn failed_read(
    state: &AppState,
    connection_id: i64,
    reply: &super::hubspot::Reply,
    now: i64,
) -> Result<(), sqlx::Error> {
    match judge(&reply.answer, now, 0, rand::random::<f64>()) {
        Verdict::SlowDown { until_ms } => {
            repo::pause_until(&state.db, connection_id, until_ms).await
        }
        Verdict::Reauthorise => {
            needs_new_token(&state.db, connection_id, &reply.summary(), now).await
        }
        _ => repo::record_error(&state.db, connection_id, &reply.summary()).await,
    }
}

/// Applies what flows back from one CRM deal to its registration, with an audit row per
/// change and a line in the sync log. Returns whether anything changed. Compare-and-set:
/// a deal read twice, or by two instances at once, changes its registration once.
async fn apply_deal(
    state: &AppState,
    connection_id: i64,
    deal: &crate::domain::crm::InboundDeal,
    from_crm: &(dyn Fn(&str) -> bool + Sync),
) -> Result<bool, sqlx::Error> {
    let Some(current) = repo::deal_now(&state.db, deal.registration_id).await? else {
        return Ok(false);
    };
    let changes = crate::domain::crm::inbound_changes(&current, deal, from_crm);
    if changes.is_empty()
        || !repo::apply_inbound(
            &state.db,
            deal.registration_id,
            &changes,
            state.clock.now_ms(),
        )
        .await?
    {
        return Ok(false);
    }
    let detail = changes
        .iter()
        .map(|change| change.field)
        .collect::<Vec<_>>()
        .join(", ");
    repo::log(
        &state.db,
        connection_id,
        SyncKind::Registration,
        deal.registration_id,
        "read",
        &detail,
        state.clock.now_ms(),
    )
    .await?;
    Ok(true)
}

/// What one pass over the stored webhook events did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WebhookRun {
    pub requests: usize,
    pub deals: usize,
    pub changed: usize,
}

/// Reads back the deals that stored webhook events name, 100 per request, and applies them
/// as the poll does. Events of a deal that is not the portal's are set aside; on a HubSpot
/// failure the events wait for the next run (a rate limit pauses the connection).
pub async fn apply_webhook_events(
    state: &AppState,
    http: &reqwest::Client,
) -> Result<WebhookRun, sqlx::Error> {
    let mut run = WebhookRun::default();
    for (connection, token) in ready_connections(state, true).await? {
        let client = HubSpot::of(http, &connection, &token);
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let from_crm = |property: &str| reads_back(&chosen, property);
        // Bounded per run; the rest follows on the next.
        for _ in 0..10 {
            let ids = repo::pending_webhook_deals(&state.db, connection.id, 100).await?;
            if ids.is_empty() {
                break;
            }
            let (reply, deals) = client.read_deals(&ids).await;
            run.requests += 1;
            let now = state.clock.now_ms();
            if !reply.ok() {
                failed_read(state, connection.id, &reply, now).await?;
                break;
            }
            for id in &ids {
                let outcome = match deals.iter().find(|(crm_id, _)| crm_id == id) {
                    Some((_, deal)) => {
                        run.deals += 1;
                        if apply_deal(state, connection.id, deal, &from_crm).await? {
                            run.changed += 1;
                            "applied"
                        } else {
                            "unchanged"
                        }
                    }
                    None => "not a portal deal",
                };
                repo::finish_webhook_events(&state.db, connection.id, id, outcome, now).await?;
            }
        }
    }
    Ok(run)
}

/// The daily schema check of each installed HubSpot connection: a property deleted or
/// retyped in HubSpot is named in the connection's last problem, where admins see it (and
/// "Check the properties again" reinstalls it). Returns the problems found.
pub async fn check_schemas(
    state: &AppState,
    http: &reqwest::Client,
) -> Result<Vec<String>, sqlx::Error> {
    let mut found = Vec::new();
    for (connection, token) in ready_connections(state, true).await? {
        let client = HubSpot::of(http, &connection, &token);
        match client.check_schema().await {
            Ok(problems) if problems.is_empty() => {}
            Ok(problems) => {
                let message = format!("HubSpot's properties drifted: {}.", problems.join("; "));
                repo::record_error(&state.db, connection.id, &message).await?;
                found.extend(problems);
            }
            Err(reply) => repo::record_error(&state.db, connection.id, &reply.summary()).await?,
        }
    }
    Ok(found)
}
