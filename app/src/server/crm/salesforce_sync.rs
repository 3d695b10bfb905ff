//! Reading Salesforce back: which of the portal's Leads were converted (and to which
//! Opportunity), then the stage, amount and close date of those Opportunities, applied to
//! their registrations as HubSpot's deals are. Polled by `SystemModstamp` watermark; values
//! already equal change nothing, so the portal's own writes never come back as changes.
use super::salesforce::{self as client, NoSession, Reply, Salesforce};
use super::sync::{apply_deal, PollRun};
use crate::domain::crm::{Verdict, POLL_OVERLAP_MS};
use crate::domain::salesforce as rules;
use crate::server::repo::crm::{self as repo, Connection};
use crate::server::AppState;

/// Pages read per query and run; the rest follows on the next run.
const MAX_PAGES: usize = 10;

/// One query (all its pages, up to `MAX_PAGES`), replacing a refused session once. `None`:
/// it failed, and the connection now says why (paused, needs credentials, last problem).
async fn query_all(
    state: &AppState,
    client: &mut Salesforce<'_>,
    connection: &Connection,
    soql: &str,
    run: &mut PollRun,
) -> Result<Option<Vec<serde_json::Value>>, sqlx::Error> {
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut reply = read(client, soql, next.as_deref()).await;
        run.requests += 1;
        if reply.status == Some(401) {
            match client::renew(state, client.http, connection, client.session.generation).await? {
                Ok(session) => {
                    client.session = session;
                    reply = read(client, soql, next.as_deref()).await;
                    run.requests += 1;
                }
                Err(NoSession::Refused(_)) => return Ok(None),
                Err(NoSession::Unavailable(summary)) => {
                    repo::record_error(&state.db, connection.id, &summary).await?;
                    return Ok(None);
                }
            }
        }
        if let Some((used, limit)) = reply.usage {
            repo::record_api_usage(&state.db, connection.id, used, limit).await?;
        }
        if !reply.ok() {
            failed_read(state, connection, &reply).await?;
            return Ok(None);
        }
        next = rules::next_records(&reply.body);
        pages.push(reply.body);
        if next.is_none() {
            break;
        }
    }
    Ok(Some(pages))
}

async fn read(client: &Salesforce<'_>, soql: &str, next: Option<&str>) -> Reply {
    match next {
        Some(next) => client.query_more(next).await,
        None => client.query(soql).await,
    }
}

/// A read that failed: a spent allocation pauses the connection, a refused session stops
/// it, anything else is shown to admins; what was to be read waits for the next run.
async fn failed_read(
    state: &AppState,
    connection: &Connection,
    reply: &Reply,
) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    let code = reply.code();
    match rules::judge(reply.status, code.as_deref(), now, 0, rand::random::<f64>()) {
        Verdict::SlowDown { until_ms } => {
            repo::pause_until(&state.db, connection.id, until_ms).await?;
            repo::record_error(&state.db, connection.id, &reply.summary()).await
        }
        Verdict::Reauthorise => {
            let message = format!(
                "Salesforce refused a new session ({}). Connect again with the app's current consumer key and secret.",
                reply.summary()
            );
            repo::needs_reauthorisation(&state.db, connection.id, &message, now).await?;
            Ok(())
        }
        _ => repo::record_error(&state.db, connection.id, &reply.summary()).await,
    }
}

/// Reads one Salesforce connection back (see the module's comment).
pub async fn poll(
    state: &AppState,
    http: &reqwest::Client,
    connection: &Connection,
    from_crm: &(dyn Fn(&str) -> bool + Sync),
    run: &mut PollRun,
) -> Result<(), sqlx::Error> {
    let session = match client::session(state, http, connection).await? {
        Ok(session) => session,
        // Refused: the connection says so; unavailable: the next run tries again.
        Err(_) => return Ok(()),
    };
    let mut client = Salesforce {
        http,
        version: &state.settings.salesforce_api_version,
        session,
    };
    let watermark = repo::inbound_watermark(&state.db, connection.id).await?;
    // Re-read an overlap: a change committed just before the last poll may carry an older
    // stamp than one it saw. Re-reading is harmless (equal values change nothing).
    let since = (watermark - POLL_OVERLAP_MS).max(0);
    let mut newest = watermark;
    // Registrations written as Leads: first which were converted (and the owners of the rest),
    // then the Opportunities they became. Written as Opportunities: those, straight back.
    let linked = match connection.placement.salesforce_target {
        rules::RegistrationTarget::Lead => {
            let leads = rules::changed_leads_query(since);
            let Some(pages) = query_all(state, &mut client, connection, &leads, run).await? else {
                return Ok(());
            };
            let now = state.clock.now_ms();
            for page in &pages {
                for lead in rules::lead_states(page) {
                    run.read += 1;
                    newest = newest.max(lead.modified_at);
                    if let Some(opportunity) = &lead.opportunity_id {
                        repo::link_opportunity(
                            &state.db,
                            connection.id,
                            lead.registration_id,
                            opportunity,
                            now,
                        )
                        .await?;
                    } else {
                        // Until it is converted, the Lead's owner is the deal's owner.
                        let deal = crate::domain::crm::InboundDeal {
                            registration_id: lead.registration_id,
                            modified_at: lead.modified_at,
                            owner: lead.owner,
                            ..Default::default()
                        };
                        if apply_deal(state, connection, &deal, from_crm).await? {
                            run.changed += 1;
                        }
                    }
                }
            }
            Some(repo::opportunity_links(&state.db, connection.id).await?)
        }
        rules::RegistrationTarget::Opportunity => None,
    };
    let opportunities = match &linked {
        Some(linked) if linked.is_empty() => None,
        Some(_) => Some(rules::changed_opportunities_query(since)),
        None => Some(rules::registered_opportunities_query(since)),
    };
    if let Some(query) = opportunities {
        let Some(pages) = query_all(state, &mut client, connection, &query, run).await? else {
            return Ok(());
        };
        let registration_of = |id: &str| linked.as_ref().and_then(|l| l.get(id).copied());
        for page in &pages {
            for deal in rules::opportunity_deals(page, &registration_of) {
                run.read += 1;
                newest = newest.max(deal.modified_at);
                if apply_deal(state, connection, &deal, from_crm).await? {
                    run.changed += 1;
                }
            }
        }
    }
    repo::record_success(&state.db, connection.id, state.clock.now_ms()).await?;
    repo::advance_watermark(&state.db, connection.id, newest).await
}
