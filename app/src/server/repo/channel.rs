//! Accounts, deals, registrations and their audit trail. Every change to a deal writes a
//! `deal_events` row in the same transaction.
use crate::domain::channel::clocks::ProgramSettings;
use crate::domain::channel::conflict::Claim;
use crate::domain::channel::csv::instant;
use crate::domain::channel::deals::{RegistrationStatus, Stage, ValidRegistration};
use crate::domain::channel::matching::{name_keys, normalize_company, similarity};
use crate::domain::channel::queue::{claims_besides, ClaimFacts};
use crate::domain::channel::regions::region_for_country;
use crate::domain::channel::updates::DealFields;
use crate::server::db::Db;
use crate::server::repo::outbox::send_once;
pub use crate::server::repo::outbox::Notice;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored channel data is malformed: {0}")]
    Corrupt(String),
}

impl From<serde_json::Error> for ChannelError {
    fn from(error: serde_json::Error) -> Self {
        ChannelError::Corrupt(error.to_string())
    }
}

pub async fn settings(db: &Db) -> Result<ProgramSettings, ChannelError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT settings_json FROM program_settings WHERE id = 1")
            .fetch_optional(&db.read)
            .await?;
    Ok(match row {
        Some((json,)) => serde_json::from_str(&json)?,
        None => ProgramSettings::default(),
    })
}

/// An existing account that looks like the customer being registered.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountMatch {
    pub account_id: i64,
    pub name: String,
    pub same_domain: bool,
    pub similarity: f64,
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Accounts with the same registrable domain or a similar name, best first. Reads the
/// domain and name-key indexes only.
pub async fn find_matches(
    db: &Db,
    company_name: &str,
    domain: Option<&str>,
    min_similarity: f64,
) -> Result<Vec<AccountMatch>, sqlx::Error> {
    // Per key, so a common word ("logistics") cannot crowd out the distinctive one.
    const PER_KEY: i64 = 100;
    let normalized = normalize_company(company_name);
    let keys: Vec<String> = name_keys(&normalized).into_iter().collect();
    let mut ids: Vec<i64> = Vec::new();
    let mut by_domain: Vec<i64> = Vec::new();
    if let Some(domain) = domain {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT account_id FROM account_domains WHERE domain = $1")
                .bind(domain)
                .fetch_all(&db.read)
                .await?;
        by_domain = rows.into_iter().map(|(id,)| id).collect();
        ids.extend(&by_domain);
    }
    // The same name, normalised, is found directly.
    let exact: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM accounts WHERE normalized_name = $1 LIMIT 20")
            .bind(&normalized)
            .fetch_all(&db.read)
            .await?;
    ids.extend(exact.into_iter().map(|(id,)| id));
    for key in &keys {
        let rows: Vec<(i64,)> = sqlx::query_as(&format!(
            "SELECT account_id FROM account_name_keys WHERE name_key = $1 LIMIT {PER_KEY}"
        ))
        .bind(key)
        .fetch_all(&db.read)
        .await?;
        ids.extend(rows.into_iter().map(|(id,)| id));
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name, normalized_name FROM accounts WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query_as::<_, (i64, String, String)>(&sql);
    for id in &ids {
        query = query.bind(id);
    }
    let mut matches: Vec<AccountMatch> = query
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .map(|(id, name, stored)| AccountMatch {
            account_id: id,
            name,
            same_domain: by_domain.contains(&id),
            similarity: similarity(&normalized, &stored),
        })
        .filter(|m| m.same_domain || m.similarity >= min_similarity)
        .collect();
    matches.sort_by(|a, b| {
        b.same_domain
            .cmp(&a.same_domain)
            .then(b.similarity.total_cmp(&a.similarity))
    });
    Ok(matches)
}

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub domains: &'a [String],
    pub country: &'a str,
    pub region: &'a str,
    pub vertical: &'a str,
    pub incumbent_org_id: Option<i64>,
    pub renewal_at: Option<i64>,
}

pub async fn insert_account(
    tx: &mut Transaction<'_, Any>,
    account: &NewAccount<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let normalized = normalize_company(account.name);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (name, normalized_name, country, region, vertical, incumbent_org_id, renewal_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account.name.trim())
    .bind(&normalized)
    .bind(account.country)
    .bind(account.region)
    .bind(account.vertical)
    .bind(account.incumbent_org_id)
    .bind(account.renewal_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    for domain in account.domains {
        sqlx::query("INSERT INTO account_domains (domain, account_id) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING")
            .bind(domain)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    for key in name_keys(&normalized) {
        sqlx::query("INSERT INTO account_name_keys (name_key, account_id) VALUES ($1, $2)")
            .bind(key)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Deal id, partner org, status, stage, submitted, protected until.
type ClaimRow = (i64, Option<i64>, String, String, Option<i64>, Option<i64>);

fn claim_facts(row: ClaimRow) -> Option<ClaimFacts> {
    let (deal_id, org_id, status, stage, submitted_at, protected_until) = row;
    Some(ClaimFacts {
        deal_id,
        org_id,
        status: RegistrationStatus::parse(&status)?,
        stage: Stage::parse(&stage)?,
        submitted_at,
        protected_until,
    })
}

/// Partner organisations with at least one person holding a current certificate (the
/// conflict engine's tie-break).
pub async fn certified_orgs(
    db: &Db,
    now: i64,
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT u.partner_org_id FROM certificates c JOIN users u ON u.id = c.user_id \
         WHERE u.partner_org_id IS NOT NULL AND u.disabled_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $1",
    )
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(org,)| org).collect())
}

/// The claims on an account that the conflict engine weighs.
/// `now` decides which pending rivals hold a valid certificate (the tie-break).
pub async fn claims(db: &Db, account_id: i64, now: i64) -> Result<Vec<Claim>, sqlx::Error> {
    let rows: Vec<ClaimRow> = sqlx::query_as(
        "SELECT id, partner_org_id, registration_status, stage, submitted_at, protected_until FROM deals WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&db.read)
    .await?;
    let facts: Vec<ClaimFacts> = rows.into_iter().filter_map(claim_facts).collect();
    let incumbent: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT incumbent_org_id FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&db.read)
            .await?;
    let certified = certified_orgs(db, now).await?;
    Ok(claims_besides(
        &facts,
        None,
        incumbent.and_then(|(org,)| org),
        |org| certified.contains(&org),
    ))
}

/// A deal on a customer with a registration waiting for review, with what the queue
/// shows and filters by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub region: String,
    pub incumbent_org_id: Option<i64>,
    pub partner_org_id: Option<i64>,
    pub partner_name: Option<String>,
    pub owner_name: String,
    pub motion: String,
    pub kind: String,
    pub product_line: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub stage: String,
    pub registration_status: String,
    pub submitted_at: Option<i64>,
    pub protected_until: Option<i64>,
    pub proof_of_work: String,
}

impl QueueRow {
    pub fn claim_facts(&self) -> Option<ClaimFacts> {
        claim_facts((
            self.id,
            self.partner_org_id,
            self.registration_status.clone(),
            self.stage.clone(),
            self.submitted_at,
            self.protected_until,
        ))
    }
}

const CUSTOMER_DEAL_SELECT: &str = "SELECT d.id, d.account_id, a.name AS account_name, d.region, a.incumbent_org_id, \
     d.partner_org_id, o.name AS partner_name, d.owner_name, d.motion, d.kind, d.product_line, d.amount_cents, \
     d.requested_discount_pct, d.stage, d.registration_status, d.submitted_at, d.protected_until, d.proof_of_work \
     FROM deals d JOIN accounts a ON a.id = d.account_id LEFT JOIN partner_orgs o ON o.id = d.partner_org_id";

/// Every deal on the customers that have a registration waiting for review (the waiting
/// ones and whatever competes with them), by customer and then submission.
pub async fn queue_customers(db: &Db) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CUSTOMER_DEAL_SELECT} WHERE d.account_id IN \
         (SELECT account_id FROM deals WHERE registration_status IN ('pending', 'info_requested')) \
         ORDER BY d.account_id, d.submitted_at, d.id"
    ))
    .fetch_all(&db.read)
    .await
}

/// Every deal on one customer, by submission.
pub async fn customer_deals(db: &Db, account_id: i64) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CUSTOMER_DEAL_SELECT} WHERE d.account_id = $1 ORDER BY d.submitted_at, d.id"
    ))
    .bind(account_id)
    .fetch_all(&db.read)
    .await
}

/// One audit row: who changed which field of a deal, from what to what, and why.
pub struct Event<'a> {
    pub deal_id: i64,
    pub actor: Option<i64>,
    pub at: i64,
    pub field: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub rationale: &'a str,
}

/// Records a change of a registration's status in the audit trail.
async fn record_status_change(
    tx: &mut Transaction<'_, Any>,
    deal_id: i64,
    actor: Option<i64>,
    at: i64,
    (from, to): (&str, &str),
    rationale: &str,
) -> Result<(), sqlx::Error> {
    record_event(
        tx,
        &Event {
            deal_id,
            actor,
            at,
            field: "registration_status",
            from,
            to,
            rationale,
        },
    )
    .await
}

/// The INSERT of one audit row.
fn event_insert<'q>(event: &Event<'q>) -> Query<'q, Any, AnyArguments<'q>> {
    sqlx::query(
        "INSERT INTO deal_events (deal_id, actor_user_id, at, field, from_value, to_value, rationale) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.deal_id)
    .bind(event.actor)
    .bind(event.at)
    .bind(event.field)
    .bind(event.from)
    .bind(event.to)
    .bind(event.rationale)
}

/// Appends one audit row.
pub async fn record_event(
    tx: &mut Transaction<'_, Any>,
    event: &Event<'_>,
) -> Result<(), sqlx::Error> {
    event_insert(event).execute(&mut **tx).await?;
    if crate::domain::crm::deal_event_changes_crm(event.field) {
        super::crm::enqueue(
            &mut **tx,
            crate::domain::crm::SyncKind::Registration,
            event.deal_id,
            event.field,
            event.at,
        )
        .await?;
    }
    Ok(())
}

/// Who registers, and what the engine decided.
pub struct Registering<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub owner_name: &'a str,
    pub status: RegistrationStatus,
    pub protected_until: Option<i64>,
    pub decision_json: &'a str,
    pub rationale: &'a str,
}

/// Creates the account if it is new, then the deal, with its first audit event.
pub async fn register(
    db: &Db,
    account_id: Option<i64>,
    input: &ValidRegistration,
    who: &Registering<'_>,
    notices: &[Notice],
    now: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let account_id = match account_id {
        Some(id) => id,
        None => {
            insert_account(
                &mut tx,
                &NewAccount {
                    name: &input.company_name,
                    domains: std::slice::from_ref(&input.domain),
                    country: &input.country,
                    region: region_for_country(&input.country).unwrap_or_default(),
                    vertical: "",
                    incumbent_org_id: None,
                    renewal_at: None,
                },
                now,
            )
            .await?
        }
    };
    let decided = who.status != RegistrationStatus::Pending;
    let (deal_id,): (i64,) = sqlx::query_as(
        "INSERT INTO deals (account_id, partner_org_id, owner_user_id, owner_name, motion, kind, product_line, amount_cents, \
         requested_discount_pct, stage, close_at, registration_status, submitted_at, decided_at, protected_until, \
         last_activity_at, next_step, proof_of_work, private_notes, decision_json, created_at, updated_at, region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $13, $16, $17, $18, $19, $13, $13, \
         (SELECT region FROM accounts WHERE id = $1)) RETURNING id",
    )
    .bind(account_id)
    .bind(who.org_id)
    .bind(who.user_id)
    .bind(who.owner_name)
    .bind(input.motion.as_str())
    .bind(input.kind.as_str())
    .bind(&input.product_line)
    .bind(input.amount_cents)
    .bind(input.requested_discount_pct)
    .bind(Stage::Qualify.as_str())
    .bind(input.close_at)
    .bind(who.status.as_str())
    .bind(now)
    .bind(decided.then_some(now))
    .bind(who.protected_until)
    .bind(&input.next_step)
    .bind(&input.proof_of_work)
    .bind(&input.notes)
    .bind(who.decision_json)
    .fetch_one(&mut *tx)
    .await?;
    record_status_change(
        &mut tx,
        deal_id,
        Some(who.user_id),
        now,
        ("", who.status.as_str()),
        who.rationale,
    )
    .await?;
    super::outbox::queue_in(&mut tx, notices, now).await?;
    tx.commit().await?;
    Ok((deal_id, account_id))
}

/// The latest end of an approved, unexpired protection on the account.
pub async fn protected_until(
    db: &Db,
    account_id: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row: (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(protected_until) FROM deals WHERE account_id = $1 AND registration_status = 'approved' AND protected_until > $2",
    )
    .bind(account_id)
    .bind(now)
    .fetch_one(&db.read)
    .await?;
    Ok(row.0)
}

/// Whether a registration on the account awaits review.
pub async fn has_pending(db: &Db, account_id: i64) -> Result<bool, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deals WHERE account_id = $1 AND registration_status IN ('pending', 'info_requested')",
    )
    .bind(account_id)
    .fetch_one(&db.read)
    .await?;
    Ok(count > 0)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DealRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: Option<String>,
    pub owner_name: String,
    pub motion: String,
    pub kind: String,
    pub product_line: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub stage: String,
    pub close_at: Option<i64>,
    pub registration_status: String,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub protected_until: Option<i64>,
    pub next_step: String,
    pub proof_of_work: String,
    pub private_notes: String,
    pub decision_json: String,
    pub owner_user_id: Option<i64>,
    pub extensions_used: i64,
    pub last_activity_at: i64,
    pub updated_at: i64,
}

pub const DEAL_SELECT: &str = "SELECT d.id, d.account_id, a.name AS account_name, d.partner_org_id, o.name AS partner_name, \
    d.owner_name, d.motion, d.kind, d.product_line, d.amount_cents, d.requested_discount_pct, d.stage, d.close_at, \
    d.registration_status, d.submitted_at, d.decided_at, d.protected_until, d.next_step, d.proof_of_work, d.private_notes, \
    d.decision_json, d.owner_user_id, d.extensions_used, d.last_activity_at, d.updated_at FROM deals d JOIN accounts a ON a.id = d.account_id LEFT JOIN partner_orgs o ON o.id = d.partner_org_id";

/// Someone to tell about a deal.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Contact {
    pub user_id: i64,
    pub email: String,
    pub name: String,
}

/// The deal's owner and, if given, another person of the deal's organisation (who filed an
/// appeal, say): active people only, each once.
pub async fn deal_contacts(
    db: &Db,
    deal_id: i64,
    also: Option<i64>,
) -> Result<Vec<Contact>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name AS name FROM users u \
         JOIN deals d ON d.id = $1 AND d.partner_org_id = u.partner_org_id \
         WHERE u.disabled_at IS NULL AND (u.id = d.owner_user_id OR u.id = $2) ORDER BY u.id",
    )
    .bind(deal_id)
    .bind(also.unwrap_or(0))
    .fetch_all(&db.read)
    .await
}

pub async fn deal(db: &Db, deal_id: i64) -> Result<Option<DealRow>, sqlx::Error> {
    sqlx::query_as(&format!("{DEAL_SELECT} WHERE d.id = $1"))
        .bind(deal_id)
        .fetch_optional(&db.read)
        .await
}

/// An org's own deals, newest first.
pub async fn deals_of_org(
    db: &Db,
    scope: crate::server::guard::OrgScope,
) -> Result<Vec<DealRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{DEAL_SELECT} WHERE d.partner_org_id = $1 ORDER BY d.updated_at DESC, d.id DESC"
    ))
    .bind(scope.org_id())
    .fetch_all(&db.read)
    .await
}

/// Other parties' deals on the accounts an org is working: for the safe-field view.
pub async fn others_on_accounts_of_org(
    db: &Db,
    scope: crate::server::guard::OrgScope,
) -> Result<Vec<DealRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{DEAL_SELECT} WHERE d.account_id IN (SELECT account_id FROM deals WHERE partner_org_id = $1) \
         AND (d.partner_org_id IS NULL OR d.partner_org_id <> $1) ORDER BY d.id"
    ))
    .bind(scope.org_id())
    .fetch_all(&db.read)
    .await
}

/// How many registrations (as `review_queue` lists them) and open appeals wait for a
/// decision: one count, for the navigation badge on every staff page.
pub async fn waiting_for_review_count(db: &Db) -> Result<usize, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM deals d JOIN accounts a ON a.id = d.account_id \
           WHERE d.registration_status IN ('pending', 'info_requested')) \
         + (SELECT COUNT(*) FROM appeals WHERE status = 'open')",
    )
    .fetch_one(&db.read)
    .await?;
    Ok(usize::try_from(count).unwrap_or(0))
}

/// Registrations awaiting a decision.
pub async fn review_queue(db: &Db) -> Result<Vec<DealRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{DEAL_SELECT} WHERE d.registration_status IN ('pending', 'info_requested') ORDER BY d.submitted_at"
    ))
    .fetch_all(&db.read)
    .await
}

/// Applies a manager's decision if the deal is still awaiting one. Returns false if it was
/// already decided (a second click, or another manager first).
pub async fn decide(
    db: &Db,
    deal_id: i64,
    to: RegistrationStatus,
    protected_until: Option<i64>,
    by: &By<'_>,
    notices: &[Notice],
) -> Result<bool, sqlx::Error> {
    let (actor, rationale, now) = (by.actor, by.rationale, by.at);
    let mut tx = db.write.begin().await?;
    let current: Option<(String,)> =
        sqlx::query_as(&db.for_update("SELECT registration_status FROM deals WHERE id = $1"))
            .bind(deal_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((from,)) = current else {
        return Ok(false);
    };
    if !matches!(
        RegistrationStatus::parse(&from),
        Some(RegistrationStatus::Pending | RegistrationStatus::InfoRequested)
    ) {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE deals SET registration_status = $1, decided_at = $2, protected_until = $3, updated_at = $2, last_activity_at = $2 WHERE id = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(protected_until)
    .bind(deal_id)
    .execute(&mut *tx)
    .await?;
    record_status_change(
        &mut tx,
        deal_id,
        Some(actor),
        now,
        (&from, to.as_str()),
        rationale,
    )
    .await?;
    super::outbox::queue_in(&mut tx, notices, now).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub actor_name: Option<String>,
    pub field: String,
    pub from_value: String,
    pub to_value: String,
    pub rationale: String,
}

pub async fn events(db: &Db, deal_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.at, u.display_name AS actor_name, e.field, e.from_value, e.to_value, e.rationale \
         FROM deal_events e LEFT JOIN users u ON u.id = e.actor_user_id WHERE e.deal_id = $1 ORDER BY e.at, e.id",
    )
    .bind(deal_id)
    .fetch_all(&db.read)
    .await
}

/// Expires protections that have ended. Correct when run late or twice: only approved deals
/// past their end change, each once, with an audit row.
pub async fn expire_protections(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM deals WHERE registration_status = 'approved' AND protected_until <= $1",
    )
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    let mut expired = 0;
    for (deal_id,) in due {
        let mut tx = db.write.begin().await?;
        let changed = sqlx::query(
            "UPDATE deals SET registration_status = 'expired', updated_at = $1 \
             WHERE id = $2 AND registration_status = 'approved' AND protected_until <= $1",
        )
        .bind(now)
        .bind(deal_id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            record_status_change(
                &mut tx,
                deal_id,
                None,
                now,
                ("approved", "expired"),
                "The protection window ended.",
            )
            .await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    Ok(expired)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AppealRow {
    pub id: i64,
    pub deal_id: i64,
    pub appellant_org_id: Option<i64>,
    pub filed_by: i64,
    pub filed_at: i64,
    pub evidence: String,
    pub status: String,
    pub resolved_at: Option<i64>,
    pub resolution: String,
}

const APPEAL_SELECT: &str = "SELECT id, deal_id, appellant_org_id, filed_by, filed_at, evidence, status, resolved_at, resolution FROM appeals";

pub async fn appeals_of_deals(db: &Db, deal_ids: &[i64]) -> Result<Vec<AppealRow>, sqlx::Error> {
    if deal_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{APPEAL_SELECT} WHERE deal_id IN ({}) ORDER BY id",
        placeholders(1, deal_ids.len())
    );
    let mut query = sqlx::query_as::<_, AppealRow>(&sql);
    for id in deal_ids {
        query = query.bind(id);
    }
    query.fetch_all(&db.read).await
}

pub async fn open_appeals(db: &Db) -> Result<Vec<AppealRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{APPEAL_SELECT} WHERE status = 'open' ORDER BY filed_at"
    ))
    .fetch_all(&db.read)
    .await
}

/// Files an appeal unless one is already open on the deal. Returns the appeal id.
pub async fn file_appeal(
    db: &Db,
    deal_id: i64,
    org_id: i64,
    user_id: i64,
    evidence: &str,
    notices: &[Notice],
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    sqlx::query(&db.for_update("SELECT id FROM deals WHERE id = $1"))
        .bind(deal_id)
        .execute(&mut *tx)
        .await?;
    let (open,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM appeals WHERE deal_id = $1 AND status = 'open'")
            .bind(deal_id)
            .fetch_one(&mut *tx)
            .await?;
    if open > 0 {
        return Ok(None);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO appeals (deal_id, appellant_org_id, filed_by, filed_at, evidence, status) VALUES ($1, $2, $3, $4, $5, 'open') RETURNING id",
    )
    .bind(deal_id)
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .bind(evidence)
    .fetch_one(&mut *tx)
    .await?;
    record_event(
        &mut tx,
        &Event {
            deal_id,
            actor: Some(user_id),
            at: now,
            field: "appeal",
            from: "",
            to: "open",
            rationale: evidence,
        },
    )
    .await?;
    super::outbox::queue_in(&mut tx, notices, now).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Resolves an open appeal and queues `notices` (to the appellant) with it. Upheld: the
/// appellant's deal is approved with a new protection, and any other active protection on
/// the customer ends. Returns the deals that lost their protection, or `None` if the appeal
/// was already resolved.
pub async fn resolve_appeal(
    db: &Db,
    appeal_id: i64,
    uphold: bool,
    protected_until: i64,
    by: &By<'_>,
    notices: &[Notice],
) -> Result<Option<Vec<i64>>, sqlx::Error> {
    let (actor, rationale, now) = (by.actor, by.rationale, by.at);
    let mut tx = db.write.begin().await?;
    let row: Option<(i64, String)> =
        sqlx::query_as(&db.for_update("SELECT deal_id, status FROM appeals WHERE id = $1"))
            .bind(appeal_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((deal_id, status)) = row else {
        return Ok(None);
    };
    if status != "open" {
        return Ok(None);
    }
    let outcome = if uphold { "upheld" } else { "rejected" };
    sqlx::query("UPDATE appeals SET status = $1, resolved_by = $2, resolved_at = $3, resolution = $4 WHERE id = $5")
        .bind(outcome)
        .bind(actor)
        .bind(now)
        .bind(rationale)
        .bind(appeal_id)
        .execute(&mut *tx)
        .await?;
    record_event(
        &mut tx,
        &Event {
            deal_id,
            actor: Some(actor),
            at: now,
            field: "appeal",
            from: "open",
            to: outcome,
            rationale,
        },
    )
    .await?;
    let mut transferred = Vec::new();
    if uphold {
        let (account_id, from): (i64, String) =
            sqlx::query_as("SELECT account_id, registration_status FROM deals WHERE id = $1")
                .bind(deal_id)
                .fetch_one(&mut *tx)
                .await?;
        let others: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM deals WHERE account_id = $1 AND id <> $2 AND registration_status = 'approved' AND protected_until > $3",
        )
        .bind(account_id)
        .bind(deal_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for (other,) in others {
            sqlx::query("UPDATE deals SET registration_status = 'declined', protected_until = NULL, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(other)
                .execute(&mut *tx)
                .await?;
            let note = format!("Protection transferred on appeal: {rationale}");
            record_status_change(
                &mut tx,
                other,
                Some(actor),
                now,
                ("approved", "declined"),
                &note,
            )
            .await?;
            transferred.push(other);
        }
        sqlx::query("UPDATE deals SET registration_status = 'approved', decided_at = $1, protected_until = $2, updated_at = $1 WHERE id = $3")
            .bind(now)
            .bind(protected_until)
            .bind(deal_id)
            .execute(&mut *tx)
            .await?;
        record_status_change(
            &mut tx,
            deal_id,
            Some(actor),
            now,
            (&from, "approved"),
            rationale,
        )
        .await?;
    }
    super::outbox::queue_in(&mut tx, notices, now).await?;
    tx.commit().await?;
    Ok(Some(transferred))
}

pub async fn appeal(db: &Db, appeal_id: i64) -> Result<Option<AppealRow>, sqlx::Error> {
    sqlx::query_as(&format!("{APPEAL_SELECT} WHERE id = $1"))
        .bind(appeal_id)
        .fetch_optional(&db.read)
        .await
}

/// What the managers' pipeline is narrowed to. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineFilter {
    pub partner_org_id: Option<i64>,
    pub motion: Option<String>,
    pub stage: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    /// Approved protections ending before this instant (and after `now`).
    pub expiring_before: Option<i64>,
    pub now: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineSort {
    Updated,
    Amount,
    Close,
    Protection,
}

impl PipelineSort {
    fn column(self) -> &'static str {
        match self {
            PipelineSort::Updated => "d.updated_at",
            PipelineSort::Amount => "d.amount_cents",
            PipelineSort::Close => "d.close_at",
            PipelineSort::Protection => "d.protected_until",
        }
    }
}

const PIPELINE_FROM: &str = "FROM deals d \
    WHERE (CAST($1 AS BIGINT) IS NULL OR d.partner_org_id = $1) \
    AND (CAST($2 AS TEXT) IS NULL OR d.motion = $2) \
    AND (CAST($3 AS TEXT) IS NULL OR d.stage = $3) \
    AND (CAST($4 AS TEXT) IS NULL OR d.region = $4) \
    AND (CAST($5 AS TEXT) IS NULL OR d.registration_status = $5) \
    AND (CAST($6 AS BIGINT) IS NULL OR (d.registration_status = 'approved' AND d.protected_until > $7 AND d.protected_until <= $6))";

fn bind_filter<'q, O>(
    query: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    filter: &'q PipelineFilter,
) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>> {
    query
        .bind(filter.partner_org_id)
        .bind(filter.motion.as_deref())
        .bind(filter.stage.as_deref())
        .bind(filter.region.as_deref())
        .bind(filter.status.as_deref())
        .bind(filter.expiring_before)
        .bind(filter.now)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineDbRow {
    pub id: i64,
    pub account_name: String,
    pub region: String,
    pub partner_name: Option<String>,
    pub owner_name: String,
    pub motion: String,
    pub stage: String,
    pub registration_status: String,
    pub amount_cents: i64,
    pub requested_discount_pct: f64,
    pub close_at: Option<i64>,
    pub protected_until: Option<i64>,
}

/// One page of the pipeline. The page is chosen from `deals` alone; names are joined for
/// its rows only.
pub async fn pipeline(
    db: &Db,
    filter: &PipelineFilter,
    sort: PipelineSort,
    descending: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<PipelineDbRow>, sqlx::Error> {
    let direction = if descending { "DESC" } else { "ASC" };
    let column = sort.column();
    let sql = format!(
        "SELECT d.id, a.name AS account_name, d.region, o.name AS partner_name, d.owner_name, d.motion, d.stage, \
         d.registration_status, d.amount_cents, d.requested_discount_pct, d.close_at, d.protected_until \
         FROM (SELECT d.* {PIPELINE_FROM} ORDER BY {column} {direction}, d.id {direction} LIMIT {limit} OFFSET {offset}) d \
         JOIN accounts a ON a.id = d.account_id LEFT JOIN partner_orgs o ON o.id = d.partner_org_id \
         ORDER BY {column} {direction}, d.id {direction}"
    );
    bind_filter(sqlx::query_as::<_, PipelineDbRow>(&sql), filter)
        .fetch_all(&db.read)
        .await
}

/// Deal count and amount per (motion, registration status) for the filter, in one scan.
/// Deals and amount per (motion, registration status, stage) under the filter.
pub async fn pipeline_totals(
    db: &Db,
    filter: &PipelineFilter,
) -> Result<Vec<(String, String, String, i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT d.motion, d.registration_status, d.stage, COUNT(*), CAST(COALESCE(SUM(d.amount_cents), 0) AS BIGINT) \
         {PIPELINE_FROM} GROUP BY d.motion, d.registration_status, d.stage"
    );
    bind_filter(sqlx::query_as(&sql), filter)
        .fetch_all(&db.read)
        .await
}

pub async fn regions(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT region FROM partner_orgs WHERE region <> '' ORDER BY region",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(r,)| r).collect())
}

/// Rows behind the early-warning signals: (deal id, customer, partner, detail number).
pub type SignalRow = (i64, String, Option<String>, Option<i64>);

const OPEN_DEAL: &str = "d.stage NOT IN ('won', 'lost') AND d.registration_status NOT IN ('declined', 'expired', 'duplicate')";

/// Open deals on customers that have another open deal by a different party.
pub async fn signal_two_open_deals(db: &Db) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, NULL FROM deals d JOIN accounts a ON a.id = d.account_id \
         LEFT JOIN partner_orgs o ON o.id = d.partner_org_id WHERE {OPEN_DEAL} AND EXISTS ( \
           SELECT 1 FROM deals x WHERE x.account_id = d.account_id AND x.id <> d.id \
           AND x.stage NOT IN ('won', 'lost') AND x.registration_status NOT IN ('declined', 'expired', 'duplicate') \
           AND COALESCE(x.partner_org_id, 0) <> COALESCE(d.partner_org_id, 0)) ORDER BY a.name, d.id"
    ))
    .fetch_all(&db.read)
    .await
}

/// Open partner deals: (deal, customer, partner, tier, motion, requested discount %), to
/// compare with the tier's and motion's band.
pub type DiscountRow = (i64, String, String, String, String, f64);

pub async fn open_partner_discounts(db: &Db) -> Result<Vec<DiscountRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, o.tier, d.motion, d.requested_discount_pct FROM deals d JOIN accounts a ON a.id = d.account_id \
         JOIN partner_orgs o ON o.id = d.partner_org_id WHERE {OPEN_DEAL} ORDER BY d.requested_discount_pct DESC"
    ))
    .fetch_all(&db.read)
    .await
}

/// Partner deals past qualification without a next step or proof of work.
pub async fn signal_missing_fields(db: &Db) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, NULL FROM deals d JOIN accounts a ON a.id = d.account_id \
         JOIN partner_orgs o ON o.id = d.partner_org_id WHERE {OPEN_DEAL} AND d.stage IN ('propose', 'negotiate') \
         AND (TRIM(d.next_step) = '' OR TRIM(d.proof_of_work) = '') ORDER BY a.name"
    ))
    .fetch_all(&db.read)
    .await
}

/// Approved protections ending between `now` and `until`.
pub async fn signal_expiring(db: &Db, now: i64, until: i64) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, a.name, o.name, d.protected_until FROM deals d JOIN accounts a ON a.id = d.account_id \
         LEFT JOIN partner_orgs o ON o.id = d.partner_org_id WHERE d.registration_status = 'approved' \
         AND d.protected_until > $1 AND d.protected_until <= $2 ORDER BY d.protected_until",
    )
    .bind(now)
    .bind(until)
    .fetch_all(&db.read)
    .await
}

/// Open direct deals on customers with an incumbent partner and a renewal coming up.
pub async fn signal_renewal_direct(
    db: &Db,
    now: i64,
    lead_until: i64,
) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, a.renewal_at FROM deals d JOIN accounts a ON a.id = d.account_id \
         JOIN partner_orgs o ON o.id = a.incumbent_org_id WHERE d.partner_org_id IS NULL AND {OPEN_DEAL} \
         AND a.renewal_at > $1 AND a.renewal_at <= $2 ORDER BY a.renewal_at"
    ))
    .bind(now)
    .bind(lead_until)
    .fetch_all(&db.read)
    .await
}

/// Open deals without activity since `before`.
pub async fn signal_inactive(db: &Db, before: i64) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, d.last_activity_at FROM deals d JOIN accounts a ON a.id = d.account_id \
         LEFT JOIN partner_orgs o ON o.id = d.partner_org_id WHERE {OPEN_DEAL} AND d.last_activity_at < $1 \
         ORDER BY d.last_activity_at"
    ))
    .bind(before)
    .fetch_all(&db.read)
    .await
}

/// Who made a change, why, and when: what every audit row records.
pub struct By<'a> {
    pub actor: i64,
    pub rationale: &'a str,
    pub at: i64,
}

/// Applies an accepted edit if nobody changed the deal since it was read (`read_version` is
/// the `updated_at` the editor saw). Writes one audit row per change. False: stale read.
/// A partner's edit of their deal, as checked.
pub struct DealEdit<'a> {
    pub fields: &'a DealFields,
    pub owner_name: &'a str,
    /// (field, from, to) for the audit trail.
    pub changes: &'a [(&'a str, String, String)],
    /// Set when the edit answers a manager's request for more information: the registration
    /// goes back to review (if it still waits on the partner) and these notices are queued,
    /// in the same transaction as the edit.
    pub answer: Option<&'a [Notice]>,
}

pub async fn update_deal(
    db: &Db,
    deal_id: i64,
    read_version: i64,
    edit: &DealEdit<'_>,
    by: &By<'_>,
) -> Result<bool, sqlx::Error> {
    let DealEdit {
        fields,
        owner_name,
        changes,
        answer,
    } = edit;
    let now = by.at;
    let mut tx = db.write.begin().await?;
    // Strictly later, so two edits within one millisecond still see each other.
    let version = now.max(read_version + 1);
    let changed = sqlx::query(
        "UPDATE deals SET stage = $1, amount_cents = $2, requested_discount_pct = $3, close_at = $4, next_step = $5, \
         proof_of_work = $6, private_notes = $7, owner_user_id = $8, owner_name = $9, updated_at = $10, last_activity_at = $11 \
         WHERE id = $12 AND updated_at = $13",
    )
    .bind(fields.stage.as_str())
    .bind(fields.amount_cents)
    .bind(fields.requested_discount_pct)
    .bind(fields.close_at)
    .bind(&fields.next_step)
    .bind(&fields.proof_of_work)
    .bind(&fields.notes)
    .bind(fields.owner_user_id)
    .bind(*owner_name)
    .bind(version)
    .bind(now)
    .bind(deal_id)
    .bind(read_version)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Ok(false);
    }
    for (field, from, to) in changes.iter() {
        record_event(
            &mut tx,
            &Event {
                deal_id,
                actor: Some(by.actor),
                at: now,
                field,
                from,
                to,
                rationale: by.rationale,
            },
        )
        .await?;
    }
    if let Some(notices) = *answer {
        let reopened = sqlx::query(
            "UPDATE deals SET registration_status = 'pending' WHERE id = $1 AND registration_status = 'info_requested'",
        )
        .bind(deal_id)
        .execute(&mut *tx)
        .await?;
        if reopened.rows_affected() == 1 {
            record_status_change(
                &mut tx,
                deal_id,
                Some(by.actor),
                now,
                (
                    RegistrationStatus::InfoRequested.as_str(),
                    RegistrationStatus::Pending.as_str(),
                ),
                "The partner answered the request for more information.",
            )
            .await?;
            crate::server::repo::outbox::queue_in(&mut tx, notices, now).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Users of an organisation who may own its deals: (id, name), by name.
pub async fn org_members(db: &Db, org_id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, display_name FROM users WHERE partner_org_id = $1 AND disabled_at IS NULL ORDER BY display_name, id",
    )
    .bind(org_id)
    .fetch_all(&db.read)
    .await
}

/// Moves a protection's end after an accepted extension, if the protection is still the one
/// the rules looked at (same end, same number of extensions used). The 7-day reminder is
/// re-armed for the new end.
pub async fn extend_protection(
    db: &Db,
    deal_id: i64,
    from_until: i64,
    extensions_used: i64,
    to_until: i64,
    by: &By<'_>,
) -> Result<bool, sqlx::Error> {
    let now = by.at;
    let mut tx = db.write.begin().await?;
    let changed = sqlx::query(
        "UPDATE deals SET protected_until = $1, extensions_used = extensions_used + 1, expiry_reminded_at = NULL, \
         updated_at = $2 WHERE id = $3 AND registration_status = 'approved' AND protected_until = $4 AND extensions_used = $5",
    )
    .bind(to_until)
    .bind(now)
    .bind(deal_id)
    .bind(from_until)
    .bind(extensions_used)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Ok(false);
    }
    record_event(
        &mut tx,
        &Event {
            deal_id,
            actor: Some(by.actor),
            at: now,
            field: "protected_until",
            from: &instant(Some(from_until)),
            to: &instant(Some(to_until)),
            rationale: by.rationale,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A deal a clock job looks at.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClockCandidate {
    pub id: i64,
    pub account_name: String,
    pub partner_name: Option<String>,
    pub submitted_at: Option<i64>,
    pub protected_until: Option<i64>,
}

const CANDIDATE_SELECT: &str = "SELECT d.id, a.name AS account_name, o.name AS partner_name, \
    d.submitted_at, d.protected_until FROM deals d JOIN accounts a ON a.id = d.account_id \
    LEFT JOIN partner_orgs o ON o.id = d.partner_org_id";

/// Registrations still awaiting a decision, submitted before `submitted_before` (their SLA
/// has passed), and not yet escalated.
pub async fn unescalated_sla_breaches(
    db: &Db,
    submitted_before: i64,
) -> Result<Vec<ClockCandidate>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CANDIDATE_SELECT} WHERE d.registration_status IN ('pending', 'info_requested') AND d.sla_escalated_at IS NULL \
         AND d.submitted_at <= $1 ORDER BY d.submitted_at"
    ))
    .bind(submitted_before)
    .fetch_all(&db.read)
    .await
}

/// Approved protections ending in `(now, until]` whose owner has not been reminded.
pub async fn unreminded_expiring(
    db: &Db,
    now: i64,
    until: i64,
) -> Result<Vec<ClockCandidate>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CANDIDATE_SELECT} WHERE d.registration_status = 'approved' AND d.expiry_reminded_at IS NULL \
         AND d.protected_until > $1 AND d.protected_until <= $2 ORDER BY d.protected_until"
    ))
    .bind(now)
    .bind(until)
    .fetch_all(&db.read)
    .await
}

/// Marks a breached SLA as escalated and queues the notices, once: a second run, or another
/// instance, finds the flag set and does nothing.
pub async fn flag_sla_escalated(
    db: &Db,
    deal_id: i64,
    rationale: &str,
    notices: &[Notice],
    now: i64,
) -> Result<bool, sqlx::Error> {
    flag_once(
        db,
        "UPDATE deals SET sla_escalated_at = $1 WHERE id = $2 AND sla_escalated_at IS NULL \
         AND registration_status IN ('pending', 'info_requested')",
        &Event {
            deal_id,
            actor: None,
            at: now,
            field: "approval_sla",
            from: "",
            to: "breached, escalated",
            rationale,
        },
        notices,
    )
    .await
}

/// Marks a protection's 7-day reminder as sent and queues it, once.
pub async fn flag_expiry_reminded(
    db: &Db,
    deal_id: i64,
    rationale: &str,
    notices: &[Notice],
    now: i64,
) -> Result<bool, sqlx::Error> {
    flag_once(
        db,
        "UPDATE deals SET expiry_reminded_at = $1 WHERE id = $2 AND expiry_reminded_at IS NULL \
         AND registration_status = 'approved'",
        &Event {
            deal_id,
            actor: None,
            at: now,
            field: "protection_reminder",
            from: "",
            to: "sent",
            rationale,
        },
        notices,
    )
    .await
}

/// Runs `flag_sql` (binding the event's time and deal); if it changed the row, records the
/// event and queues the notices in the same transaction.
async fn flag_once(
    db: &Db,
    flag_sql: &str,
    event: &Event<'_>,
    notices: &[Notice],
) -> Result<bool, sqlx::Error> {
    send_once(
        db,
        sqlx::query(flag_sql).bind(event.at).bind(event.deal_id),
        vec![event_insert(event)],
        notices,
        event.at,
    )
    .await
}

/// An account whose renewal is coming up, with who owns it and whether that is confirmed.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RenewalRow {
    pub account_id: i64,
    pub account_name: String,
    pub region: String,
    pub renewal_at: i64,
    pub owner_org_id: Option<i64>,
    pub owner_name: Option<String>,
    pub confirmed_at: Option<i64>,
    pub confirmed_by: Option<String>,
    /// Open deals of parties other than the owner on the account.
    pub other_open_deals: i64,
}

/// Accounts renewing in `[from, until]`, soonest first.
pub async fn renewals_between(
    db: &Db,
    from: i64,
    until: i64,
) -> Result<Vec<RenewalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id AS account_id, a.name AS account_name, a.region, a.renewal_at, a.incumbent_org_id AS owner_org_id, \
         o.name AS owner_name, a.renewal_owner_confirmed_at AS confirmed_at, u.display_name AS confirmed_by, \
         (SELECT COUNT(*) FROM deals d WHERE d.account_id = a.id AND d.stage NOT IN ('won', 'lost') \
          AND d.registration_status NOT IN ('declined', 'expired', 'duplicate') \
          AND COALESCE(d.partner_org_id, 0) <> COALESCE(a.incumbent_org_id, 0)) AS other_open_deals \
         FROM accounts a LEFT JOIN partner_orgs o ON o.id = a.incumbent_org_id LEFT JOIN users u ON u.id = a.renewal_confirmed_by \
         WHERE a.renewal_at >= $1 AND a.renewal_at <= $2 ORDER BY a.renewal_at, a.id",
    )
    .bind(from)
    .bind(until)
    .fetch_all(&db.read)
    .await
}

/// One renewal, for a confirmation.
pub async fn renewal(db: &Db, account_id: i64) -> Result<Option<RenewalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id AS account_id, a.name AS account_name, a.region, a.renewal_at, a.incumbent_org_id AS owner_org_id, \
         o.name AS owner_name, a.renewal_owner_confirmed_at AS confirmed_at, u.display_name AS confirmed_by, \
         CAST(0 AS BIGINT) AS other_open_deals \
         FROM accounts a LEFT JOIN partner_orgs o ON o.id = a.incumbent_org_id LEFT JOIN users u ON u.id = a.renewal_confirmed_by \
         WHERE a.id = $1 AND a.renewal_at IS NOT NULL",
    )
    .bind(account_id)
    .fetch_optional(&db.read)
    .await
}

/// Records who owns an account's renewal (`None`: direct sales), if the owner is still the
/// one the manager saw. The account's partner of record changes with it, so the conflict
/// engine's incumbency follows the confirmed owner.
pub async fn confirm_renewal_owner(
    db: &Db,
    account_id: i64,
    seen_owner: Option<i64>,
    owner: Option<i64>,
    names: (&str, &str),
    by: &By<'_>,
) -> Result<bool, sqlx::Error> {
    let (actor, rationale, now) = (by.actor, by.rationale, by.at);
    let mut tx = db.write.begin().await?;
    let changed = sqlx::query(
        "UPDATE accounts SET incumbent_org_id = $1, renewal_owner_confirmed_at = $2, renewal_confirmed_by = $3 \
         WHERE id = $4 AND COALESCE(incumbent_org_id, 0) = $5",
    )
    .bind(owner)
    .bind(now)
    .bind(actor)
    .bind(account_id)
    .bind(seen_owner.unwrap_or(0))
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO account_events (account_id, actor_user_id, at, field, from_value, to_value, rationale) \
         VALUES ($1, $2, $3, 'renewal_owner', $4, $5, $6)",
    )
    .bind(account_id)
    .bind(actor)
    .bind(now)
    .bind(names.0)
    .bind(names.1)
    .bind(rationale)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An account's audit rows, oldest first: (at, actor, field, from, to, rationale).
pub async fn account_events(db: &Db, account_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.at, u.display_name AS actor_name, e.field, e.from_value, e.to_value, e.rationale \
         FROM account_events e LEFT JOIN users u ON u.id = e.actor_user_id WHERE e.account_id = $1 ORDER BY e.at, e.id",
    )
    .bind(account_id)
    .fetch_all(&db.read)
    .await
}

/// Open deals whose owner changed since `since`, with how many times.
pub async fn signal_owner_changes(db: &Db, since: i64) -> Result<Vec<SignalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, a.name, o.name, CAST(COUNT(*) AS BIGINT) FROM deal_events e JOIN deals d ON d.id = e.deal_id \
         JOIN accounts a ON a.id = d.account_id LEFT JOIN partner_orgs o ON o.id = d.partner_org_id \
         WHERE e.field = 'owner' AND e.at >= $1 AND {OPEN_DEAL} GROUP BY d.id, a.name, o.name ORDER BY a.name, d.id"
    ))
    .bind(since)
    .fetch_all(&db.read)
    .await
}

/// Replaces the program's settings (checked by the caller).
pub async fn save_settings(
    db: &Db,
    settings: &ProgramSettings,
    now: i64,
) -> Result<(), ChannelError> {
    let json = serde_json::to_string(settings)?;
    sqlx::query(
        "INSERT INTO program_settings (id, settings_json, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET settings_json = excluded.settings_json, updated_at = excluded.updated_at",
    )
    .bind(json)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}
