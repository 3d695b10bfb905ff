//! Demo customers and deals: 220 accounts and about 330 deals across partners and motions,
//! with live conflicts of every kind the engine knows. Deterministic, so demos repeat.
use super::db::Db;
use super::repo::channel::{insert_account, record_event, Event, NewAccount};
use crate::domain::channel::clocks::{ProgramSettings, DAY_MS, HOUR_MS};
use crate::domain::channel::conflict::{decide, Claim, DealKind, Party, Registration};
use crate::domain::channel::deals::{Motion, RegistrationStatus, Stage, PRODUCT_LINES};
use crate::domain::quiz::draw::SeededRng;
use sqlx::{Any, Transaction};

const ACCOUNT_COUNT: usize = 220;
const FIRST: &[&str] = &[
    "Arcadia",
    "Bluewater",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Lakeside",
    "Magnolia",
    "Northgate",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
];
const SECOND: &[&str] = &[
    "Logistics",
    "Foods",
    "Health",
    "Manufacturing",
    "Retail",
    "Energy",
    "Freight",
    "Pharma",
    "Textiles",
    "Robotics",
    "Insurance",
    "Hotels",
];
const COUNTRIES: &[(&str, &str, &str)] = &[
    ("United States", "North America", "com"),
    ("Canada", "North America", "ca"),
    ("United Kingdom", "EMEA", "co.uk"),
    ("Germany", "EMEA", "de"),
    ("France", "EMEA", "fr"),
    ("Netherlands", "EMEA", "nl"),
    ("Australia", "APAC", "com.au"),
    ("Japan", "APAC", "co.jp"),
    ("Brazil", "LATAM", "com.br"),
    ("Spain", "EMEA", "es"),
];

struct Org {
    id: i64,
    kind: String,
    owner: (i64, String),
}

struct Seeder<'a> {
    tx: Transaction<'a, Any>,
    rng: SeededRng,
    now: i64,
    settings: ProgramSettings,
}

struct DemoDeal<'a> {
    account_id: i64,
    org: Option<&'a Org>,
    motion: Motion,
    kind: DealKind,
    status: RegistrationStatus,
    submitted_at: Option<i64>,
    stage: Stage,
    decision_json: String,
}

impl Seeder<'_> {
    fn pick(&mut self, bound: usize) -> usize {
        self.rng.below(bound as u64) as usize
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.rng.below((high - low).max(1) as u64) as i64
    }

    async fn deal(&mut self, deal: DemoDeal<'_>) -> Result<i64, sqlx::Error> {
        let amount = self.between(50, 2500) * 10_000;
        let discount = self.between(0, 36) as f64;
        let close_at = (self.now / DAY_MS + self.between(10, 180)) * DAY_MS;
        let product = PRODUCT_LINES[self.pick(PRODUCT_LINES.len())];
        let submitted = deal.submitted_at;
        let (decided_at, protected_until) = match deal.status {
            RegistrationStatus::Approved | RegistrationStatus::Expired => {
                let decided = submitted.unwrap_or(self.now) + self.between(1, 40) * HOUR_MS;
                (Some(decided), Some(self.settings.protection_until(decided)))
            }
            RegistrationStatus::Declined => (submitted.map(|s| s + 20 * HOUR_MS), None),
            _ => (None, None),
        };
        let created = submitted.unwrap_or(self.now - self.between(5, 60) * DAY_MS);
        let last_activity = self.now - self.between(0, 45) * DAY_MS;
        let (owner_id, owner_name) = match deal.org {
            Some(org) => (Some(org.owner.0), org.owner.1.clone()),
            None => (None, "Lumen direct sales".to_string()),
        };
        let (deal_id,): (i64,) = sqlx::query_as(
            "INSERT INTO deals (account_id, partner_org_id, owner_user_id, owner_name, motion, kind, product_line, amount_cents, \
             requested_discount_pct, stage, close_at, registration_status, submitted_at, decided_at, protected_until, \
             last_activity_at, next_step, proof_of_work, private_notes, decision_json, created_at, updated_at, region) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, (SELECT region FROM accounts WHERE id = $1)) RETURNING id",
        )
        .bind(deal.account_id)
        .bind(deal.org.map(|o| o.id))
        .bind(owner_id)
        .bind(&owner_name)
        .bind(deal.motion.as_str())
        .bind(deal.kind.as_str())
        .bind(product)
        .bind(amount)
        .bind(discount)
        .bind(deal.stage.as_str())
        .bind(close_at)
        .bind(deal.status.as_str())
        .bind(submitted)
        .bind(decided_at)
        .bind(protected_until)
        .bind(last_activity)
        .bind("Follow-up call with the buyer")
        .bind("Discovery meeting held; need confirmed by the operations lead.")
        .bind(format!("Internal: budget holder is the CFO; target price {}.", amount / 100))
        .bind(&deal.decision_json)
        .bind(created)
        .fetch_one(&mut *self.tx)
        .await?;
        record_event(
            &mut self.tx,
            &Event {
                deal_id,
                actor: owner_id,
                at: created,
                field: "registration_status",
                from: "",
                to: deal.status.as_str(),
                rationale: "Demo data",
            },
        )
        .await?;
        Ok(deal_id)
    }

    /// A registration decided by the conflict engine against the account's claims so far.
    fn verdict(&self, party: Party, kind: DealKind, at: i64, claims: &[Claim]) -> String {
        let verdict = decide(
            &Registration {
                party,
                kind,
                submitted_at: at,
                certified: false,
            },
            claims,
            at,
        );
        serde_json::to_string(&verdict).unwrap_or_default()
    }
}

fn motion_for(org: &Org) -> Motion {
    match org.kind.as_str() {
        "referral" => Motion::Referral,
        "implementation" => Motion::Si,
        "distributor" => Motion::Marketplace,
        _ => Motion::Resale,
    }
}

fn open_stage(index: usize) -> Stage {
    [
        Stage::Qualify,
        Stage::Discover,
        Stage::Propose,
        Stage::Negotiate,
    ][index % 4]
}

/// Seeds the demo accounts and deals in one transaction.
pub async fn seed(db: &Db, now: i64) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, partner_type FROM partner_orgs ORDER BY id")
            .fetch_all(&db.read)
            .await?;
    let mut orgs = Vec::new();
    for (id, kind) in rows {
        let owner: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, display_name FROM users WHERE partner_org_id = $1 ORDER BY (job_role = 'sales') DESC, id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
        if let Some(owner) = owner {
            orgs.push(Org { id, kind, owner });
        }
    }
    let resellers: Vec<&Org> = orgs.iter().filter(|o| o.kind != "referral").collect();
    let referrals: Vec<&Org> = orgs.iter().filter(|o| o.kind == "referral").collect();
    let integrators: Vec<&Org> = orgs.iter().filter(|o| o.kind == "implementation").collect();
    if resellers.len() < 2 || referrals.is_empty() || integrators.is_empty() {
        return Ok(());
    }
    let mut seeder = Seeder {
        tx: db.write.begin().await?,
        rng: SeededRng::new(2026),
        now,
        settings: ProgramSettings::default(),
    };
    for index in 0..ACCOUNT_COUNT {
        let name = format!(
            "{} {}",
            FIRST[index % FIRST.len()],
            SECOND[(index / FIRST.len()) % SECOND.len()]
        );
        let (country, region, tld) = COUNTRIES[index % COUNTRIES.len()];
        let domain = format!("{}.{tld}", name.to_lowercase().replace(' ', ""));
        let pattern = index % 10;
        let incumbent = matches!(pattern, 6 | 7).then(|| integrators[index % integrators.len()]);
        let renewal_at = incumbent.map(|_| now + seeder.between(20, 200) * DAY_MS);
        // About half the renewals already have their owner confirmed.
        let confirmed_at = renewal_at
            .filter(|_| index % 20 == 6)
            .map(|_| now - seeder.between(1, 20) * DAY_MS);
        let account_id = insert_account(
            &mut seeder.tx,
            &NewAccount {
                name: &name,
                domains: std::slice::from_ref(&domain),
                country,
                region,
                vertical: SECOND[(index / FIRST.len()) % SECOND.len()],
                incumbent_org_id: incumbent.map(|o| o.id),
                renewal_at,
            },
            now,
        )
        .await?;
        if let Some(at) = confirmed_at {
            sqlx::query("UPDATE accounts SET renewal_owner_confirmed_at = $1 WHERE id = $2")
                .bind(at)
                .bind(account_id)
                .execute(&mut *seeder.tx)
                .await?;
        }
        let reseller = resellers[index % resellers.len()];
        let rival = resellers[(index + 3) % resellers.len()];
        let referral = referrals[index % referrals.len()];
        let mut claims: Vec<Claim> = incumbent
            .map(|o| Claim::Incumbent {
                party: Party::Partner(o.id),
            })
            .into_iter()
            .collect();
        let stage = open_stage(index);
        match pattern {
            // Approved registrations; older ones have expired, some expire within a week.
            0..=2 => {
                let submitted = now - seeder.between(2, 95) * DAY_MS;
                let verdict = seeder.verdict(
                    Party::Partner(reseller.id),
                    DealKind::NetNew,
                    submitted,
                    &claims,
                );
                let expired = submitted + seeder.settings.protection_days * DAY_MS < now;
                let deal_id = seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(reseller),
                        motion: motion_for(reseller),
                        kind: DealKind::NetNew,
                        status: if expired {
                            RegistrationStatus::Expired
                        } else {
                            RegistrationStatus::Approved
                        },
                        submitted_at: Some(submitted),
                        stage,
                        decision_json: verdict,
                    })
                    .await?;
                // A few open deals changed hands days ago: the owner-change warning.
                if !expired && index % 30 == 0 {
                    let changed_at = now - seeder.between(1, 10) * DAY_MS;
                    record_event(
                        &mut seeder.tx,
                        &Event {
                            deal_id,
                            actor: Some(reseller.owner.0),
                            at: changed_at,
                            field: "owner",
                            from: "A former colleague",
                            to: &reseller.owner.1,
                            rationale: "",
                        },
                    )
                    .await?;
                }
            }
            // Awaiting review, spread over the SLA (some breached).
            3 => {
                let submitted = now - seeder.between(1, 70) * HOUR_MS;
                claims.push(Claim::DirectOpportunity { deal_id: 0 });
                let verdict = seeder.verdict(
                    Party::Partner(reseller.id),
                    DealKind::NetNew,
                    submitted,
                    &claims,
                );
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: None,
                        motion: Motion::Direct,
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::NotRegistered,
                        submitted_at: None,
                        stage,
                        decision_json: "{}".into(),
                    })
                    .await?;
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(reseller),
                        motion: motion_for(reseller),
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Pending,
                        submitted_at: Some(submitted),
                        stage: Stage::Qualify,
                        decision_json: verdict,
                    })
                    .await?;
            }
            // Two resellers in the same week.
            4 => {
                let first = now - seeder.between(4, 6) * DAY_MS;
                let second = first + seeder.between(1, 3) * DAY_MS;
                let first_verdict = seeder.verdict(
                    Party::Partner(reseller.id),
                    DealKind::NetNew,
                    first,
                    &claims,
                );
                claims.push(Claim::Pending {
                    deal_id: 0,
                    party: Party::Partner(reseller.id),
                    submitted_at: first,
                    certified: false,
                });
                let second_verdict =
                    seeder.verdict(Party::Partner(rival.id), DealKind::NetNew, second, &claims);
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(reseller),
                        motion: motion_for(reseller),
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Pending,
                        submitted_at: Some(first),
                        stage,
                        decision_json: first_verdict,
                    })
                    .await?;
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(rival),
                        motion: motion_for(rival),
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Pending,
                        submitted_at: Some(second),
                        stage: Stage::Qualify,
                        decision_json: second_verdict,
                    })
                    .await?;
            }
            // A referral partner against direct sales.
            5 => {
                claims.push(Claim::DirectOpportunity { deal_id: 0 });
                let submitted = now - seeder.between(2, 30) * HOUR_MS;
                let verdict = seeder.verdict(
                    Party::Partner(referral.id),
                    DealKind::NetNew,
                    submitted,
                    &claims,
                );
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: None,
                        motion: Motion::Direct,
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::NotRegistered,
                        submitted_at: None,
                        stage: Stage::Discover,
                        decision_json: "{}".into(),
                    })
                    .await?;
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(referral),
                        motion: Motion::Referral,
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Pending,
                        submitted_at: Some(submitted),
                        stage: Stage::Qualify,
                        decision_json: verdict,
                    })
                    .await?;
            }
            // The incumbent SI against a new reseller on an expansion.
            6 => {
                let submitted = now - seeder.between(3, 40) * HOUR_MS;
                let verdict = seeder.verdict(
                    Party::Partner(reseller.id),
                    DealKind::Expansion,
                    submitted,
                    &claims,
                );
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(reseller),
                        motion: motion_for(reseller),
                        kind: DealKind::Expansion,
                        status: RegistrationStatus::Pending,
                        submitted_at: Some(submitted),
                        stage,
                        decision_json: verdict,
                    })
                    .await?;
            }
            // A renewal touched by direct sales.
            7 => {
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: None,
                        motion: Motion::Direct,
                        kind: DealKind::Renewal,
                        status: RegistrationStatus::NotRegistered,
                        submitted_at: None,
                        stage: Stage::Propose,
                        decision_json: "{}".into(),
                    })
                    .await?;
            }
            // Approved, with a declined rival.
            8 => {
                let submitted = now - seeder.between(10, 60) * DAY_MS;
                let verdict = seeder.verdict(
                    Party::Partner(reseller.id),
                    DealKind::NetNew,
                    submitted,
                    &claims,
                );
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(reseller),
                        motion: motion_for(reseller),
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Approved,
                        submitted_at: Some(submitted),
                        stage,
                        decision_json: verdict,
                    })
                    .await?;
                claims.push(Claim::Approved {
                    deal_id: 0,
                    party: Party::Partner(reseller.id),
                    protected_until: now + DAY_MS,
                });
                let later = submitted + 3 * DAY_MS;
                let rival_verdict =
                    seeder.verdict(Party::Partner(rival.id), DealKind::NetNew, later, &claims);
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: Some(rival),
                        motion: motion_for(rival),
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::Declined,
                        submitted_at: Some(later),
                        stage: Stage::Qualify,
                        decision_json: rival_verdict,
                    })
                    .await?;
            }
            // A direct deal already won.
            _ => {
                seeder
                    .deal(DemoDeal {
                        account_id,
                        org: None,
                        motion: Motion::Direct,
                        kind: DealKind::NetNew,
                        status: RegistrationStatus::NotRegistered,
                        submitted_at: None,
                        stage: Stage::Won,
                        decision_json: "{}".into(),
                    })
                    .await?;
            }
        }
    }
    // The demo's history includes its past warnings: breached SLAs were escalated and
    // protections ending this week were reminded, so a fresh demo does not start by
    // emailing every manager about every old deal at once.
    sqlx::query(
        "UPDATE deals SET sla_escalated_at = $1 WHERE registration_status IN ('pending', 'info_requested') \
         AND submitted_at <= $2",
    )
    .bind(now)
    .bind(now - seeder.settings.approval_sla_hours * HOUR_MS)
    .execute(&mut *seeder.tx)
    .await?;
    sqlx::query(
        "UPDATE deals SET expiry_reminded_at = $1 WHERE registration_status = 'approved' AND protected_until <= $2",
    )
    .bind(now)
    .bind(now + 7 * DAY_MS)
    .execute(&mut *seeder.tx)
    .await?;
    seeder.tx.commit().await
}
