//! Partner replies on the CRM timeline: a HubSpot note on the person's contact and the deal,
//! a completed Salesforce Task on the Lead (or the Contact and Opportunity once converted).
//! A learner's reply about a module belongs to the person alone: a note on the contact, a
//! Task on the Contact.
//!
//! A note or Task is created, not upserted, so the CRM id is kept the moment the CRM
//! answers: a retry then only finishes the deal association instead of creating a second
//! entry. (A timeout that hides a created note can still leave a duplicate: neither CRM
//! offers an idempotency key for activities; see the module on Salesforce's assumptions.)
use super::hubspot::RecordResult;
use super::sync::{
    hubspot_outcome, salesforce_send, set_aside, settle, BatchEnd, Crm, SalesforceWrite, SyncRun,
};
use crate::domain::crm::SyncKind;
use crate::domain::replies::{hubspot_note, salesforce_task, Regarding, ReplyTopic, TimelineEntry};
use crate::server::repo::crm::{self as repo, Claimed, Connection};
use crate::server::repo::replies as replies_repo;
use crate::server::AppState;
use std::collections::BTreeMap;

const LEASE_MS: i64 = 120_000;
/// How long a reply waits for its contact to reach the CRM first.
const CONTACT_WAIT_MS: i64 = 2_000;
/// Replies sent per run and connection (each is its own request).
const PER_RUN: i64 = 20;

/// Sends the due replies of one connection, one request (two for a HubSpot deal) each.
pub(super) async fn send_due(
    state: &AppState,
    crm: &mut Crm<'_>,
    connection: &Connection,
    run: &mut SyncRun,
) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    let rows = repo::claim(
        &state.db,
        connection.id,
        SyncKind::Reply,
        now,
        now + LEASE_MS,
        PER_RUN,
    )
    .await?;
    for row in &rows {
        if let BatchEnd::StopConnection = send_one(state, crm, connection, row, run).await? {
            // The rest wait for the connection to recover.
            let rest: Vec<&Claimed> = rows.iter().filter(|r| r.id > row.id).collect();
            repo::release(&state.db, &rest, state.clock.now_ms()).await?;
            break;
        }
    }
    Ok(())
}

async fn send_one(
    state: &AppState,
    crm: &mut Crm<'_>,
    connection: &Connection,
    row: &Claimed,
    run: &mut SyncRun,
) -> Result<BatchEnd, sqlx::Error> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let Some(facts) = replies_repo::reply_facts(db, row.entity_id).await? else {
        set_aside(
            db,
            connection.id,
            SyncKind::Reply,
            row,
            "The reply is no longer on a deal or a module.",
            now,
        )
        .await?;
        return Ok(BatchEnd::Continue);
    };
    let contact = repo::links(db, connection.id, SyncKind::Contact, &[facts.user_id]).await?;
    let Some(contact_id) = contact.get(&facts.user_id).cloned() else {
        // The person's contact goes first (queued now if nothing else queued it).
        let waiting = repo::waiting(db, connection.id, SyncKind::Contact, &[facts.user_id]).await?;
        if waiting.is_empty() {
            repo::enqueue(
                &db.write,
                SyncKind::Contact,
                facts.user_id,
                "partner_reply",
                now,
            )
            .await?;
        }
        repo::release(db, &[row], now + CONTACT_WAIT_MS).await?;
        return Ok(BatchEnd::Continue);
    };
    let topic = ReplyTopic::from_columns(facts.deal_id, facts.path_id);
    let portal_deal = topic.and_then(ReplyTopic::deal_id);
    let deal_id = match portal_deal {
        Some(portal_deal) => repo::links(db, connection.id, SyncKind::Registration, &[portal_deal])
            .await?
            .get(&portal_deal)
            .cloned(),
        None => None,
    };
    let created = repo::links(db, connection.id, SyncKind::Reply, &[row.entity_id]).await?;
    // Staff open a module conversation on its own page (the learner's link needs a session).
    let link = match topic {
        Some(ReplyTopic::Module(path_id)) => format!(
            "{}/learner-questions/{path_id}/{}",
            state.settings.public_base_url, facts.user_id
        ),
        _ => format!(
            "{}/deals/{}",
            state.settings.public_base_url,
            portal_deal.unwrap_or_default()
        ),
    };
    let regarding = match (&facts.customer, &facts.module_title) {
        (Some(customer), _) => Regarding::Deal { customer },
        (None, Some(title)) => Regarding::Module { title },
        (None, None) => Regarding::Module { title: "" },
    };
    let entry = TimelineEntry {
        person: &facts.person,
        email: &facts.email,
        organisation: &facts.organisation,
        regarding,
        subject: &facts.subject,
        link: &link,
        text: &facts.reply_text,
        at_ms: facts.received_at,
    };
    let outcome = match crm {
        Crm::HubSpot(client) => {
            let note_id = match created.get(&row.entity_id) {
                Some(id) => Some(id.clone()),
                None => {
                    let reply = client.create_note(&hubspot_note(&entry), &contact_id).await;
                    run.requests += 1;
                    let id = reply
                        .body
                        .get("id")
                        .and_then(serde_json::Value::as_str)
                        .filter(|_| reply.ok())
                        .map(str::to_string);
                    match &id {
                        Some(id) => {
                            repo::link(db, connection.id, SyncKind::Reply, row.entity_id, id, now)
                                .await?
                        }
                        None => {
                            let outcome = hubspot_outcome(
                                &reply,
                                BTreeMap::new(),
                                state.clock.now_ms(),
                                row.attempts,
                            );
                            return settle(
                                state,
                                connection.id,
                                SyncKind::Reply,
                                &[row],
                                outcome,
                                run,
                            )
                            .await;
                        }
                    }
                    id
                }
            };
            let note_id = note_id.unwrap_or_default();
            let mut results = BTreeMap::new();
            results.insert(
                row.id,
                RecordResult::Written {
                    crm_id: note_id.clone(),
                },
            );
            match &deal_id {
                Some(deal_id) => {
                    let reply = client
                        .associate(("notes", &note_id), ("deals", deal_id))
                        .await;
                    run.requests += 1;
                    let results = if reply.ok() { results } else { BTreeMap::new() };
                    hubspot_outcome(&reply, results, state.clock.now_ms(), row.attempts)
                }
                None => {
                    // No deal in HubSpot (not synced, or another placement): the contact's
                    // timeline holds the reply.
                    written(db, connection, row, &note_id, now).await?;
                    run.written += 1;
                    return Ok(BatchEnd::Continue);
                }
            }
        }
        Crm::Salesforce(client) => {
            if let Some(id) = created.get(&row.entity_id) {
                written(db, connection, row, id, now).await?;
                return Ok(BatchEnd::Continue);
            }
            // Sales works an unconverted deal on its Lead; a converted one on the
            // Opportunity, with the partner's Contact as the person.
            // A registration written as an Opportunity is worked there from the start.
            let converted = match portal_deal {
                Some(portal_deal) => repo::converted(db, connection.id, &[portal_deal])
                    .await?
                    .get(&portal_deal)
                    .cloned(),
                None => None,
            };
            let opportunity_target = connection.placement.salesforce_target
                == crate::domain::salesforce::RegistrationTarget::Opportunity;
            let opportunity = converted
                .as_ref()
                .or(deal_id.as_ref().filter(|_| opportunity_target));
            let task = match (opportunity, &deal_id) {
                (Some(opportunity), _) => {
                    salesforce_task(&entry, Some(&contact_id), Some(opportunity))
                }
                (None, Some(lead)) => salesforce_task(&entry, Some(lead), None),
                (None, None) => salesforce_task(&entry, Some(&contact_id), None),
            };
            let write = SalesforceWrite::Create("Task", &task, row.id);
            salesforce_send(state, client, connection, row.attempts, run, write).await?
        }
    };
    run.requests += usize::from(matches!(crm, Crm::Salesforce(_)));
    settle(state, connection.id, SyncKind::Reply, &[row], outcome, run).await
}

/// Finishes a reply the CRM holds (`crm_id`) without another request, and logs it.
async fn written(
    db: &crate::server::db::Db,
    connection: &Connection,
    row: &Claimed,
    crm_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::finish(db, row, now).await?;
    repo::log(
        db,
        connection.id,
        SyncKind::Reply,
        row.entity_id,
        "written",
        &format!("CRM id {crm_id}"),
        now,
    )
    .await
}
