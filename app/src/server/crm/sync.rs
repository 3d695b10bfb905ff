//! The CRM sync worker: sends the outbox to each connected CRM in batches, effectively once.
//! Each row names a record, not a payload: the worker reads the record's current state, so a
//! late or repeated run sends the newest state, and upserts keyed on unique properties (HubSpot)
//! or External IDs (Salesforce) make a repeat harmless.
use super::hubspot::{HubSpot, RecordResult, UpsertInput};
use super::salesforce::Salesforce;
use super::session::{NoSession, Session};
use crate::domain::crm::{
    company_properties, contact_properties, deal_properties, directions, judge, CompanyFacts,
    ConnectionState, ContactFacts, CrmKind, Direction, FieldRule, InboundDeal, RegistrationFacts,
    SyncKind, Verdict, HUBSPOT_BATCH,
};
use crate::domain::crm_inbound::StageMap;
use crate::domain::salesforce::{self as salesforce_rules, RegistrationTarget, SALESFORCE_BATCH};
use crate::server::repo::crm::{self as repo, Claimed, Connection};
use crate::server::AppState;
use std::collections::{BTreeMap, HashMap};

/// How long a worker holds a batch before another may take it (a crashed worker's batch
/// becomes due again after this).
const LEASE_MS: i64 = 120_000;
/// Below this many requests left in HubSpot's window, the queue waits for the next window.
const RATE_RESERVE: i64 = 2;
/// How long a Salesforce contact waits for its organisation's Account to be written.
const ACCOUNT_WAIT_MS: i64 = 2_000;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncRun {
    pub requests: usize,
    pub written: usize,
    pub refused: usize,
    pub retried: usize,
    pub slowed: usize,
}

/// A connected CRM's client.
pub(super) enum Crm<'a> {
    HubSpot(HubSpot<'a>),
    /// Mutable: a refused session is replaced mid-run.
    Salesforce(Salesforce<'a>),
}

/// Sends every due row of every connected CRM. Returns early for a connection that is slowed
/// down, paused or needs re-authorisation; its rows wait.
pub async fn run(state: &AppState, http: &reqwest::Client) -> Result<SyncRun, sqlx::Error> {
    let mut run = SyncRun::default();
    'connections: for (connection, session) in ready_connections(state, http, None, false).await? {
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let writes =
            |kind: SyncKind, property: &str| flows(&chosen, kind, property, Direction::ToCrm);
        let (mut crm, batch) = match (connection.kind, session) {
            (CrmKind::Hubspot, Some(session)) => (
                Crm::HubSpot(HubSpot::of(http, &connection, session)),
                HUBSPOT_BATCH,
            ),
            (CrmKind::Hubspot, None) => continue,
            (CrmKind::Salesforce, _) => {
                match super::salesforce::session(state, http, &connection).await? {
                    Ok(session) => (
                        Crm::Salesforce(Salesforce {
                            http,
                            version: &state.settings.salesforce_api_version,
                            session,
                        }),
                        SALESFORCE_BATCH,
                    ),
                    // Refused: the connection now says so; unavailable: its rows wait.
                    Err(_) => continue,
                }
            }
        };
        for kind in SyncKind::RECORDS {
            loop {
                let now = state.clock.now_ms();
                let rows = repo::claim(
                    &state.db,
                    connection.id,
                    kind,
                    now,
                    now + LEASE_MS,
                    batch as i64,
                )
                .await?;
                if rows.is_empty() {
                    break;
                }
                match send_batch(state, &mut crm, &connection, kind, &rows, &writes, &mut run)
                    .await?
                {
                    BatchEnd::Continue => {}
                    BatchEnd::StopConnection => continue 'connections,
                }
            }
        }
        // Partner replies go last: the contacts and deals they attach to are written first.
        super::replies::send_due(state, &mut crm, &connection, &mut run).await?;
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

/// Finishes a row without sending it, and logs why.
pub(super) async fn set_aside(
    db: &crate::server::db::Db,
    connection_id: i64,
    kind: SyncKind,
    row: &Claimed,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::finish(db, row, now).await?;
    repo::log(
        db,
        connection_id,
        kind,
        row.entity_id,
        "skipped",
        detail,
        now,
    )
    .await
}

/// Stops a connection's queue until an admin saves credentials the CRM accepts.
async fn needs_new_token(
    db: &crate::server::db::Db,
    connection_id: i64,
    message: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::needs_reauthorisation(db, connection_id, message, now).await?;
    Ok(())
}

/// What admins read when HubSpot refuses the token.
fn hubspot_refused(summary: &str) -> String {
    format!("HubSpot refused the token ({summary}). Connect again with a valid token.")
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

/// The connections that may be called now (connected, not held by a rate limit; with
/// `installed`, only those whose fields are installed; with `kind`, only that CRM's). A
/// HubSpot connection comes with the token to call it with (an OAuth access token is
/// refreshed first if it is about to expire); Salesforce's sessions come from
/// `salesforce::session`. Credentials that cannot be opened (the deployment secret
/// changed) or are refused stop their connection until an admin connects again.
async fn ready_connections(
    state: &AppState,
    http: &reqwest::Client,
    kind: Option<CrmKind>,
    installed: bool,
) -> Result<Vec<(Connection, Option<Session>)>, sqlx::Error> {
    let mut ready = Vec::new();
    for connection in repo::live_connections(&state.db).await? {
        let now = state.clock.now_ms();
        if connection.state != ConnectionState::Connected
            || kind.is_some_and(|kind| connection.kind != kind)
            || connection.paused_until > now
            || (installed && connection.installed_at.is_none())
        {
            continue;
        }
        match connection.kind {
            CrmKind::Hubspot => {
                match super::hubspot_oauth::access_token(state, http, &connection).await? {
                    Ok(session) => ready.push((connection, Some(session))),
                    Err(NoSession::Refused(message)) => {
                        needs_new_token(&state.db, connection.id, &message, now).await?;
                    }
                    Err(NoSession::Unavailable(_)) => {}
                }
            }
            CrmKind::Salesforce => {
                if super::open_secret(&state.settings.secret_key, &connection).is_some() {
                    ready.push((connection, None));
                } else {
                    let message = "The saved credentials cannot be read; connect again.";
                    needs_new_token(&state.db, connection.id, message, now).await?;
                }
            }
        }
    }
    Ok(ready)
}

/// The HubSpot connections that may be called now, each with its client.
async fn ready_hubspot(
    state: &AppState,
    http: &reqwest::Client,
) -> Result<Vec<(Connection, Session)>, sqlx::Error> {
    Ok(ready_connections(state, http, Some(CrmKind::Hubspot), true)
        .await?
        .into_iter()
        .filter_map(|(connection, session)| Some((connection, session?)))
        .collect())
}

pub(super) enum BatchEnd {
    Continue,
    StopConnection,
}

/// What the portal knows about one record, for either CRM.
enum Facts {
    Contact(ContactFacts, Account),
    Company(CompanyFacts),
    /// With whether the CRM does not have it yet (the portal then sets its starting values).
    Registration(RegistrationFacts, bool),
}

/// The CRM record of a person's organisation, which their contact is filed under.
enum Account {
    /// The CRM's id of the organisation's record.
    Known(String),
    /// Not in the CRM yet, but on its way (queued or being sent): the contact waits for it.
    Coming,
    /// No organisation, or one the CRM will not get (it was refused): filed under none.
    None,
}

async fn record_facts(
    db: &crate::server::db::Db,
    connection: &Connection,
    kind: SyncKind,
    ids: &[i64],
    now: i64,
) -> Result<BTreeMap<i64, Facts>, sqlx::Error> {
    Ok(match kind {
        SyncKind::Contact => {
            let orgs = repo::partner_orgs_of(db, ids).await?;
            let org_ids: Vec<i64> = orgs.values().copied().collect();
            let known = repo::links(db, connection.id, SyncKind::Company, &org_ids).await?;
            let coming = repo::waiting(db, connection.id, SyncKind::Company, &org_ids).await?;
            let account = |person: i64| match orgs.get(&person) {
                Some(org) => match known.get(org) {
                    Some(crm_id) => Account::Known(crm_id.clone()),
                    None if coming.contains(org) => Account::Coming,
                    None => Account::None,
                },
                None => Account::None,
            };
            repo::contact_facts(db, ids, now)
                .await?
                .into_iter()
                .map(|(id, facts)| (id, Facts::Contact(facts, account(id))))
                .collect()
        }
        SyncKind::Company => repo::company_facts(db, ids, now)
            .await?
            .into_iter()
            .map(|(id, facts)| (id, Facts::Company(facts)))
            .collect(),
        SyncKind::Registration => {
            // The CRM ids known: a deal the CRM already has keeps sales' stage and amount.
            let linked = repo::links(db, connection.id, kind, ids).await?;
            repo::registration_facts(db, ids)
                .await?
                .into_iter()
                .map(|(id, facts)| (id, Facts::Registration(facts, !linked.contains_key(&id))))
                .collect()
        }
        // Replies are sent one by one (`replies::send`), never in a batch.
        SyncKind::Reply => BTreeMap::new(),
    })
}

/// A CRM's answer to one batch, judged.
pub(super) struct Outcome {
    status: Option<u16>,
    verdict: Verdict,
    summary: String,
    request_id: Option<String>,
    results: BTreeMap<i64, RecordResult>,
    /// The connection's budget is nearly spent: hold its queue until then.
    pause_until: Option<i64>,
    /// What admins read if the credentials no longer work.
    reauthorise: String,
}

/// HubSpot's answer judged: stay inside its rolling window rather than run into its 429.
pub(super) fn hubspot_outcome(
    reply: &super::hubspot::Reply,
    results: BTreeMap<i64, RecordResult>,
    now: i64,
    attempts: i64,
) -> Outcome {
    let pause_until = match (reply.remaining, reply.interval_ms) {
        (Some(remaining), Some(interval)) if remaining <= RATE_RESERVE => {
            Some(now + interval.clamp(1_000, 60_000))
        }
        _ => None,
    };
    Outcome {
        status: reply.status(),
        verdict: judge(&reply.answer, now, attempts, rand::random::<f64>()),
        summary: reply.summary(),
        request_id: reply.correlation_id(),
        results,
        pause_until,
        reauthorise: hubspot_refused(&reply.summary()),
    }
}

async fn send_batch(
    state: &AppState,
    crm: &mut Crm<'_>,
    connection: &Connection,
    kind: SyncKind,
    rows: &[Claimed],
    writes: &(dyn Fn(SyncKind, &str) -> bool + Sync),
    run: &mut SyncRun,
) -> Result<BatchEnd, sqlx::Error> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let ids: Vec<i64> = rows.iter().map(|row| row.entity_id).collect();
    let facts = record_facts(db, connection, kind, &ids, now).await?;
    let mut keyed: Vec<(&Claimed, &Facts)> = Vec::new();
    let mut later: Vec<&Claimed> = Vec::new();
    // A Lead Salesforce converted cannot be updated; sales works the deal on its Opportunity.
    let target = connection.placement.salesforce_target;
    let converted = match (&*crm, kind) {
        (Crm::Salesforce(_), SyncKind::Registration) if target == RegistrationTarget::Lead => {
            repo::converted(db, connection.id, &ids).await?
        }
        _ => BTreeMap::new(),
    };
    for row in rows {
        if let Some(opportunity) = converted.get(&row.entity_id) {
            let detail = format!(
                "The Lead was converted to Opportunity {opportunity}; sales owns the deal there."
            );
            set_aside(db, connection.id, kind, row, &detail, now).await?;
            continue;
        }
        match facts.get(&row.entity_id) {
            // Salesforce files a Contact under its Account by id: one whose Account is
            // still on its way (another worker may be sending it) waits a moment.
            Some(Facts::Contact(_, Account::Coming)) if matches!(crm, Crm::Salesforce(_)) => {
                later.push(row)
            }
            Some(facts) => keyed.push((row, facts)),
            // The record is gone (or no longer synced, e.g. staff): nothing to send.
            None => {
                let detail = "The record no longer exists in the portal.";
                set_aside(db, connection.id, kind, row, detail, now).await?;
            }
        }
    }
    if !later.is_empty() {
        repo::release(db, &later, now + ACCOUNT_WAIT_MS).await?;
    }
    if keyed.is_empty() {
        return Ok(BatchEnd::Continue);
    }
    let field = |property: &str| writes(kind, property);
    let attempts = keyed.iter().map(|(row, _)| row.attempts).max().unwrap_or(0);
    let outcome = match crm {
        Crm::HubSpot(client) => {
            let placement = if kind == SyncKind::Registration {
                mapped_placement(db, connection).await?
            } else {
                connection.placement.clone()
            };
            let inputs: Vec<UpsertInput> = keyed
                .iter()
                .map(|(row, facts)| hubspot_input(row.id, facts, &placement, &field))
                .collect();
            let upsert = async |client: &HubSpot<'_>| {
                client
                    .batch_upsert(kind.hubspot_object(), kind.hubspot_id_property(), &inputs)
                    .await
            };
            let (mut reply, mut results) = upsert(client).await;
            // A refused OAuth access token is renewed once (one worker refreshes for all)
            // and the batch sent again; a second refusal stops the connection.
            let mut not_renewed = None;
            if reply.status() == Some(401) {
                match super::hubspot_oauth::renew(state, client.http, connection, client.generation)
                    .await?
                {
                    Ok(session) => {
                        client.token = session.token;
                        client.generation = session.generation;
                        run.requests += 1;
                        (reply, results) = upsert(client).await;
                    }
                    Err(NoSession::Unavailable(message)) => not_renewed = Some(message),
                    Err(NoSession::Refused(_)) => {}
                }
            }
            let now = state.clock.now_ms();
            match not_renewed {
                // The token endpoint did not answer: the batch waits a minute, untouched.
                Some(message) => Outcome {
                    status: reply.status(),
                    verdict: Verdict::SlowDown {
                        until_ms: now + 60_000,
                    },
                    summary: message.clone(),
                    request_id: None,
                    results,
                    pause_until: None,
                    reauthorise: message,
                },
                None => hubspot_outcome(&reply, results, now, attempts),
            }
        }
        Crm::Salesforce(client) => {
            let records: Vec<_> = keyed
                .iter()
                .map(|(row, facts)| (row.id, salesforce_record(facts, target, now, &field)))
                .collect();
            let write = SalesforceWrite::Upsert(kind, target, &records);
            salesforce_send(state, client, connection, attempts, run, write).await?
        }
    };
    run.requests += 1;
    let rows: Vec<&Claimed> = keyed.iter().map(|(row, _)| *row).collect();
    settle(state, connection.id, kind, &rows, outcome, run).await
}

/// The connection's placement with, from the admin's stage map, the stage of its pipeline
/// each portal stage starts a new deal in (so the first read-back changes nothing).
async fn mapped_placement(
    db: &crate::server::db::Db,
    connection: &Connection,
) -> Result<crate::domain::crm::DealPlacement, sqlx::Error> {
    use crate::domain::channel::deals::Stage;
    use crate::domain::crm_inbound::creation_stage;
    let mut placement = connection.placement.clone();
    let stages = repo::stage_map(db, connection.id).await?;
    for stage in Stage::ALL {
        if let Some(id) = creation_stage(&stages, &placement.pipeline, *stage) {
            placement
                .by_portal_stage
                .insert(stage.as_str().to_string(), id);
        }
    }
    Ok(placement)
}

fn hubspot_input(
    trace_id: i64,
    facts: &Facts,
    placement: &crate::domain::crm::DealPlacement,
    field: &dyn Fn(&str) -> bool,
) -> UpsertInput {
    let (key, properties) = match facts {
        Facts::Contact(facts, _) => (facts.email.to_lowercase(), contact_properties(facts, field)),
        Facts::Company(facts) => (facts.org_id.to_string(), company_properties(facts, field)),
        Facts::Registration(facts, creating) => (
            facts.deal_id.to_string(),
            deal_properties(facts, placement, *creating, field),
        ),
    };
    UpsertInput {
        trace_id,
        key,
        properties,
    }
}

fn salesforce_record(
    facts: &Facts,
    target: RegistrationTarget,
    now: i64,
    field: &dyn Fn(&str) -> bool,
) -> serde_json::Map<String, serde_json::Value> {
    match facts {
        Facts::Contact(facts, account) => {
            let account = match account {
                Account::Known(crm_id) => Some(crm_id.as_str()),
                Account::Coming | Account::None => None,
            };
            salesforce_rules::contact_record(facts, account, field)
        }
        Facts::Company(facts) => salesforce_rules::account_record(facts, field),
        Facts::Registration(facts, creating) => {
            salesforce_rules::registration_record(facts, target, *creating, field, now)
        }
    }
}

/// A write the sync sends to Salesforce.
pub(super) enum SalesforceWrite<'r> {
    /// Records of one kind (registrations: as Leads or Opportunities) on their External IDs.
    Upsert(
        SyncKind,
        RegistrationTarget,
        &'r [(i64, serde_json::Map<String, serde_json::Value>)],
    ),
    /// One new record of an object, reported under a trace id.
    Create(&'static str, &'r serde_json::Value, i64),
}

impl SalesforceWrite<'_> {
    async fn send(
        &self,
        client: &Salesforce<'_>,
    ) -> (super::salesforce::Reply, BTreeMap<i64, RecordResult>) {
        match self {
            SalesforceWrite::Upsert(kind, target, records) => {
                client.upsert(*kind, *target, records).await
            }
            SalesforceWrite::Create(object, record, trace) => {
                client.create(object, record, *trace).await
            }
        }
    }
}

/// One Salesforce write, judged. A refused session is replaced once (one worker
/// mints; the others use its session) and the write sent again; a second refusal stops the
/// connection.
pub(super) async fn salesforce_send(
    state: &AppState,
    client: &mut Salesforce<'_>,
    connection: &Connection,
    attempts: i64,
    run: &mut SyncRun,
    write: SalesforceWrite<'_>,
) -> Result<Outcome, sqlx::Error> {
    let (mut reply, mut results) = write.send(client).await;
    if reply.status == Some(401) {
        match super::salesforce::renew(state, client.http, connection, client.session.generation)
            .await?
        {
            Ok(session) => {
                client.session = session;
                run.requests += 1;
                (reply, results) = write.send(client).await;
            }
            Err(NoSession::Refused(message)) => {
                return Ok(Outcome {
                    status: reply.status,
                    verdict: Verdict::Reauthorise,
                    summary: message.clone(),
                    request_id: None,
                    results,
                    pause_until: None,
                    reauthorise: message,
                });
            }
            Err(NoSession::Unavailable(message)) => {
                let now = state.clock.now_ms();
                return Ok(Outcome {
                    status: reply.status,
                    verdict: Verdict::SlowDown {
                        until_ms: now + 60_000,
                    },
                    summary: message.clone(),
                    request_id: None,
                    results,
                    pause_until: None,
                    reauthorise: message,
                });
            }
        }
    }
    let now = state.clock.now_ms();
    let mut pause_until = None;
    if let Some((used, limit)) = reply.usage {
        repo::record_api_usage(&state.db, connection.id, used, limit).await?;
        if salesforce_rules::over_ceiling(used, limit) {
            pause_until = Some(now + salesforce_rules::LIMIT_PAUSE_MS);
        }
    }
    let summary = reply.summary();
    Ok(Outcome {
        status: reply.status,
        verdict: salesforce_rules::judge(
            reply.status,
            reply.code().as_deref(),
            now,
            attempts,
            rand::random::<f64>(),
        ),
        reauthorise: format!(
            "Salesforce refused a new session ({summary}). Connect again with the app's current consumer key and secret."
        ),
        summary,
        request_id: None,
        results,
        pause_until,
    })
}

/// Records what a CRM's answer means for each record of the batch, and for the connection.
pub(super) async fn settle(
    state: &AppState,
    connection_id: i64,
    kind: SyncKind,
    rows: &[&Claimed],
    outcome: Outcome,
    run: &mut SyncRun,
) -> Result<BatchEnd, sqlx::Error> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let Outcome {
        status,
        verdict,
        summary,
        request_id,
        results,
        pause_until,
        reauthorise,
    } = outcome;
    match verdict {
        Verdict::Done => {
            for &row in rows {
                match results.get(&row.id) {
                    Some(RecordResult::Written { crm_id }) => {
                        repo::link(db, connection_id, kind, row.entity_id, crm_id, now).await?;
                        repo::finish(db, row, now).await?;
                        repo::log(
                            db,
                            connection_id,
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
                        refuse(
                            db,
                            connection_id,
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
                        repo::fail(db, row, status, error, request_id.as_deref(), Some(at), now)
                            .await?;
                        run.retried += 1;
                    }
                }
            }
            repo::record_success(db, connection_id, now).await?;
            if let Some(until) = pause_until {
                repo::pause_until(db, connection_id, until).await?;
                return Ok(BatchEnd::StopConnection);
            }
            Ok(BatchEnd::Continue)
        }
        Verdict::SlowDown { until_ms } => {
            repo::release(db, rows, until_ms).await?;
            repo::pause_until(db, connection_id, until_ms).await?;
            repo::record_error(db, connection_id, &summary).await?;
            run.slowed += 1;
            Ok(BatchEnd::StopConnection)
        }
        Verdict::Retry { at_ms } => {
            for row in rows {
                repo::fail(
                    db,
                    row,
                    status,
                    &summary,
                    request_id.as_deref(),
                    Some(at_ms),
                    now,
                )
                .await?;
                run.retried += 1;
            }
            repo::record_error(db, connection_id, &summary).await?;
            Ok(BatchEnd::StopConnection)
        }
        Verdict::Dead => {
            for row in rows {
                refuse(
                    db,
                    connection_id,
                    kind,
                    row,
                    (status, &summary, request_id.as_deref()),
                    now,
                )
                .await?;
                run.refused += 1;
            }
            repo::record_error(db, connection_id, &summary).await?;
            Ok(BatchEnd::Continue)
        }
        Verdict::Reauthorise => {
            repo::release(db, rows, now).await?;
            needs_new_token(db, connection_id, &reauthorise, now).await?;
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

/// Reads the portal's deals that changed in each connected CRM since the last poll (HubSpot's
/// deals; Salesforce's Opportunities that the portal's Leads became) and applies what flows
/// back (stage, amount, close date of approved registrations), with an
/// audit row per change. Idempotent: values already equal change nothing, so re-reading the
/// overlap, a late run or two instances polling at once are harmless.
pub async fn poll(state: &AppState, http: &reqwest::Client) -> Result<PollRun, sqlx::Error> {
    use crate::domain::crm::POLL_OVERLAP_MS;
    let mut run = PollRun::default();
    for (connection, session) in ready_hubspot(state, http).await? {
        let client = HubSpot::of(http, &connection, session);
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let from_crm = |property: &str| reads_back(&chosen, property);
        let watermark = repo::inbound_watermark(&state.db, connection.id).await?;
        let since = (watermark - POLL_OVERLAP_MS).max(0);
        let mut cursor: Option<String> = None;
        let mut newest = watermark;
        let stages = StageMap::new(repo::stage_map(&state.db, connection.id).await?);
        let mut owners = OwnerNames::default();
        // A bounded number of pages per run; the rest follows on the next run.
        for _ in 0..20 {
            let (reply, mut deals, next) = client
                .modified_deals(since, cursor.as_deref(), &stages)
                .await;
            run.requests += 1;
            if !reply.ok() {
                let now = state.clock.now_ms();
                failed_read(state, &client, &connection, &reply, now).await?;
                break;
            }
            let mut named: Vec<&mut InboundDeal> = deals.iter_mut().collect();
            run.requests +=
                name_hubspot_owners(state, &client, &connection, &mut named, &mut owners).await?;
            for deal in &deals {
                run.read += 1;
                newest = newest.max(deal.modified_at);
                if apply_deal(state, &connection, deal, &from_crm).await? {
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
    for (connection, _) in ready_connections(state, http, Some(CrmKind::Salesforce), true).await? {
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let from_crm = |property: &str| reads_back(&chosen, property);
        super::salesforce_sync::poll(state, http, &connection, &from_crm, &mut run).await?;
    }
    Ok(run)
}

/// Whether a deal property flows from the CRM to the portal under the directions in force.
fn reads_back(chosen: &[(FieldRule, Direction)], property: &str) -> bool {
    flows(chosen, SyncKind::Registration, property, Direction::FromCrm)
}

/// A read from HubSpot failed: a rate limit pauses the connection; a refused OAuth access
/// token is renewed for the next run (a refused private-app token, or a refused renewal,
/// stops the connection); anything else is shown to admins. What was to be read waits.
async fn failed_read(
    state: &AppState,
    client: &HubSpot<'_>,
    connection: &Connection,
    reply: &super::hubspot::Reply,
    now: i64,
) -> Result<(), sqlx::Error> {
    match judge(&reply.answer, now, 0, rand::random::<f64>()) {
        Verdict::SlowDown { until_ms } => {
            repo::pause_until(&state.db, connection.id, until_ms).await
        }
        Verdict::Reauthorise => {
            match super::hubspot_oauth::renew(state, client.http, connection, client.generation)
                .await?
            {
                Ok(_) | Err(NoSession::Unavailable(_)) => Ok(()),
                Err(NoSession::Refused(_)) => {
                    let message = hubspot_refused(&reply.summary());
                    needs_new_token(&state.db, connection.id, &message, now).await
                }
            }
        }
        _ => repo::record_error(&state.db, connection.id, &reply.summary()).await,
    }
}

/// Owner names asked of HubSpot in one run: `None` where the answer was not to be had.
type OwnerNames = HashMap<String, Option<String>>;

/// Names the HubSpot owners of deals just read: the name the portal already holds for that
/// owner (on any registration), else HubSpot's owners API, asked once per owner and run. An owner HubSpot no
/// longer has (404) keeps an empty name (shown as its id); one that cannot be named now
/// (refused scope, rate limit, no answer) is left unread, so the portal keeps what it has.
/// Returns the requests sent.
async fn name_hubspot_owners(
    state: &AppState,
    client: &HubSpot<'_>,
    connection: &Connection,
    deals: &mut [&mut InboundDeal],
    names: &mut OwnerNames,
) -> Result<usize, sqlx::Error> {
    use crate::domain::crm_inbound::{hubspot_owner_name, is_hubspot_owner_id, InboundOwner};
    let unnamed: Vec<String> = deals
        .iter()
        .filter_map(|deal| match &deal.owner {
            InboundOwner::Person { id, name } if name.is_empty() && !names.contains_key(id) => {
                Some(id.clone())
            }
            _ => None,
        })
        .collect();
    // One query for the names the portal already holds, instead of one per deal.
    for (id, name) in repo::held_owner_names(&state.db, CrmKind::Hubspot, &unnamed).await? {
        names.insert(id, Some(name));
    }
    let mut requests = 0;
    for deal in deals.iter_mut() {
        let InboundOwner::Person { id, name } = &mut deal.owner else {
            continue;
        };
        if !name.is_empty() {
            continue;
        }
        if !names.contains_key(id.as_str()) {
            let found = if !is_hubspot_owner_id(id) {
                Some(String::new())
            } else {
                let reply = client.owner(id).await;
                requests += 1;
                match reply.status() {
                    Some(200) => Some(hubspot_owner_name(&reply.body)),
                    Some(404) => Some(String::new()),
                    Some(403) => {
                        let message = "HubSpot would not name deal owners (403): give the app the crm.objects.owners.read scope.";
                        repo::record_error(&state.db, connection.id, message).await?;
                        None
                    }
                    _ => None,
                }
            };
            names.insert(id.clone(), found);
        }
        match names.get(id.as_str()).cloned().flatten() {
            Some(found) => *name = found,
            None => deal.owner = InboundOwner::Unread,
        }
    }
    Ok(requests)
}

/// Applies what flows back from one CRM deal to its registration, with an audit row per
/// change and a line in the sync log. Returns whether anything changed. Compare-and-set:
/// a deal read twice, or by two instances at once, changes its registration once.
pub(super) async fn apply_deal(
    state: &AppState,
    connection: &Connection,
    deal: &crate::domain::crm::InboundDeal,
    from_crm: &(dyn Fn(&str) -> bool + Sync),
) -> Result<bool, sqlx::Error> {
    let Some(current) = repo::deal_now(&state.db, deal.registration_id).await? else {
        return Ok(false);
    };
    let changes = crate::domain::crm::inbound_changes(&current, deal, from_crm);
    let owner = crate::domain::crm_inbound::owner_change(&current, deal, from_crm);
    if (changes.is_empty() && owner.is_none())
        || !repo::apply_inbound(
            &state.db,
            deal.registration_id,
            &changes,
            owner.as_ref(),
            connection.kind,
            state.clock.now_ms(),
        )
        .await?
    {
        return Ok(false);
    }
    let detail = changes
        .iter()
        .map(|change| change.field)
        .chain(owner.iter().map(|_| "owner"))
        .collect::<Vec<_>>()
        .join(", ");
    repo::log(
        &state.db,
        connection.id,
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
    for (connection, session) in ready_hubspot(state, http).await? {
        let client = HubSpot::of(http, &connection, session);
        let overrides = repo::field_directions(&state.db, connection.id).await?;
        let chosen = directions(&overrides);
        let from_crm = |property: &str| reads_back(&chosen, property);
        let stages = StageMap::new(repo::stage_map(&state.db, connection.id).await?);
        let mut owners = OwnerNames::default();
        // Bounded per run; the rest follows on the next.
        for _ in 0..10 {
            let ids = repo::pending_webhook_deals(&state.db, connection.id, 100).await?;
            if ids.is_empty() {
                break;
            }
            let (reply, mut deals) = client.read_deals(&ids, &stages).await;
            run.requests += 1;
            let now = state.clock.now_ms();
            if !reply.ok() {
                failed_read(state, &client, &connection, &reply, now).await?;
                break;
            }
            let mut named: Vec<&mut InboundDeal> = deals.iter_mut().map(|(_, deal)| deal).collect();
            run.requests +=
                name_hubspot_owners(state, &client, &connection, &mut named, &mut owners).await?;
            for id in &ids {
                let outcome = match deals.iter().find(|(crm_id, _)| crm_id == id) {
                    Some((_, deal)) => {
                        run.deals += 1;
                        if apply_deal(state, &connection, deal, &from_crm).await? {
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

/// The daily schema check of each installed connection: a property (HubSpot) or custom
/// field (Salesforce) deleted or retyped is named in the connection's last problem, where
/// admins see it ("Check the properties again" reinstalls HubSpot's; Salesforce's field
/// check lists how to fix each). Returns the problems found.
pub async fn check_schemas(
    state: &AppState,
    http: &reqwest::Client,
) -> Result<Vec<String>, sqlx::Error> {
    let mut found = Vec::new();
    for (connection, session) in ready_hubspot(state, http).await? {
        let client = HubSpot::of(http, &connection, session);
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
    for (connection, _) in ready_connections(state, http, Some(CrmKind::Salesforce), true).await? {
        let target = connection.placement.salesforce_target;
        let outcome =
            super::salesforce::with_session(state, http, &connection, async move |client| {
                client.field_check(target).await
            })
            .await?;
        match outcome {
            Ok(problems) => {
                repo::set_field_problems(&state.db, connection.id, &problems).await?;
                if !problems.is_empty() {
                    let fields: Vec<String> = problems
                        .iter()
                        .map(|problem| format!("{}.{}", problem.object, problem.field))
                        .collect();
                    let message = format!(
                        "Salesforce's fields drifted: {}. See the field check.",
                        fields.join(", ")
                    );
                    repo::record_error(&state.db, connection.id, &message).await?;
                    found.extend(fields);
                }
            }
            Err(NoSession::Unavailable(summary)) => {
                repo::record_error(&state.db, connection.id, &summary).await?
            }
            Err(NoSession::Refused(_)) => {}
        }
    }
    Ok(found)
}
