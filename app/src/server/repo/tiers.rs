//! Tier policies, what each organisation has for them (certified people, revenue), the rights
//! on record, and the log of tier and rights changes.
use super::outbox::{send_once, Notice};
use crate::domain::crm::SyncKind;
use crate::domain::identity::{JobRole, Tier};
use crate::domain::tiers::{CertifiedPerson, LeadDistribution, Requirement, Standing, TierPolicy};
use crate::server::db::Db;
use std::collections::{BTreeSet, HashMap};

const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// (tier, min people, job role, certification id, certification name).
type RequirementRow = (String, i64, Option<String>, Option<i64>, Option<String>);

/// Every tier's policy, in tier order (tiers missing from the table get an empty policy).
pub async fn policies(db: &Db) -> Result<Vec<TierPolicy>, sqlx::Error> {
    let rows: Vec<(String, Option<i64>, i64, String)> = sqlx::query_as(
        "SELECT tier, min_revenue_cents, mdf_eligible, lead_distribution FROM tier_policies",
    )
    .fetch_all(&db.read)
    .await?;
    let requirements: Vec<RequirementRow> =
        sqlx::query_as(
            "SELECT r.tier, r.min_people, r.job_role, r.certification_id, c.name FROM tier_requirements r \
             LEFT JOIN certifications c ON c.id = r.certification_id ORDER BY r.id",
        )
        .fetch_all(&db.read)
        .await?;
    Ok(Tier::ALL
        .iter()
        .map(|tier| {
            let row = rows.iter().find(|row| row.0 == tier.as_str());
            TierPolicy {
                tier: *tier,
                requirements: requirements
                    .iter()
                    .filter(|r| r.0 == tier.as_str())
                    .map(
                        |(_, min_people, job_role, certification_id, name)| Requirement {
                            min_people: u32::try_from(*min_people).unwrap_or(1),
                            job_role: job_role.as_deref().and_then(JobRole::parse),
                            certification: certification_id.zip(name.clone()),
                        },
                    )
                    .collect(),
                min_revenue_cents: row.and_then(|r| r.1),
                mdf_eligible: row.is_some_and(|r| r.2 == 1),
                lead_distribution: row
                    .and_then(|r| LeadDistribution::parse(&r.3))
                    .unwrap_or(LeadDistribution::NotIncluded),
            }
        })
        .collect())
}

/// Replaces every tier's policy in one transaction.
pub async fn save_policies(db: &Db, policies: &[TierPolicy], now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM tier_requirements")
        .execute(&mut *tx)
        .await?;
    for policy in policies {
        sqlx::query(
            "INSERT INTO tier_policies (tier, min_revenue_cents, mdf_eligible, lead_distribution, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tier) DO UPDATE SET min_revenue_cents = $2, \
             mdf_eligible = $3, lead_distribution = $4, updated_at = $5",
        )
        .bind(policy.tier.as_str())
        .bind(policy.min_revenue_cents)
        .bind(i64::from(policy.mdf_eligible))
        .bind(policy.lead_distribution.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for requirement in &policy.requirements {
            sqlx::query(
                "INSERT INTO tier_requirements (tier, min_people, job_role, certification_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(policy.tier.as_str())
            .bind(i64::from(requirement.min_people))
            .bind(requirement.job_role.map(JobRole::as_str))
            .bind(requirement.certification.as_ref().map(|(id, _)| *id))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await
}

/// A partner organisation as the tier rules see it.
#[derive(Debug, Clone)]
pub struct OrgTier {
    pub id: i64,
    pub name: String,
    pub tier: Tier,
}

/// Organisations (one, or all) with their current tier, by name.
pub async fn orgs(db: &Db, only: Option<i64>) -> Result<Vec<OrgTier>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, tier FROM partner_orgs WHERE (CAST($1 AS BIGINT) IS NULL OR id = $1) ORDER BY name",
    )
    .bind(only)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, tier)| {
            Some(OrgTier {
                id,
                name,
                tier: Tier::parse(&tier)?,
            })
        })
        .collect())
}

/// What each organisation (one, or all) has at `now`: its people with a valid certificate,
/// and revenue closed won in the 12 months before. Organisations with neither are absent.
pub async fn standings(
    db: &Db,
    only: Option<i64>,
    now: i64,
) -> Result<HashMap<i64, Standing>, sqlx::Error> {
    let held: Vec<(i64, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT u.partner_org_id, u.id, u.job_role, c.certification_id FROM certificates c \
         JOIN users u ON u.id = c.user_id WHERE c.revoked_at IS NULL AND c.expires_at > $1 \
         AND u.disabled_at IS NULL AND u.partner_org_id IS NOT NULL \
         AND (CAST($2 AS BIGINT) IS NULL OR u.partner_org_id = $2) ORDER BY u.id",
    )
    .bind(now)
    .bind(only)
    .fetch_all(&db.read)
    .await?;
    let revenue: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT partner_org_id, CAST(SUM(amount_cents) AS BIGINT) FROM deals \
         WHERE stage = 'won' AND partner_org_id IS NOT NULL \
         AND COALESCE(close_at, updated_at) > $1 AND COALESCE(close_at, updated_at) <= $2 \
         AND (CAST($3 AS BIGINT) IS NULL OR partner_org_id = $3) GROUP BY partner_org_id",
    )
    .bind(now - YEAR_MS)
    .bind(now)
    .bind(only)
    .fetch_all(&db.read)
    .await?;
    let mut standings: HashMap<i64, Standing> = HashMap::new();
    let mut people: HashMap<i64, usize> = HashMap::new();
    for (org_id, user_id, job_role, certification_id) in held {
        let standing = standings.entry(org_id).or_default();
        let index = *people.entry(user_id).or_insert_with(|| {
            standing.people.push(CertifiedPerson {
                job_role: job_role.as_deref().and_then(JobRole::parse),
                certifications: Vec::new(),
            });
            standing.people.len() - 1
        });
        if let Some(person) = standing.people.get_mut(index) {
            if !person.certifications.contains(&certification_id) {
                person.certifications.push(certification_id);
            }
        }
    }
    for (org_id, cents) in revenue {
        standings.entry(org_id).or_default().revenue_cents = cents;
    }
    Ok(standings)
}

/// The rights each organisation (one, or all) was last recorded as holding.
pub async fn rights_on_record(
    db: &Db,
    only: Option<i64>,
) -> Result<HashMap<i64, BTreeSet<String>>, sqlx::Error> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT org_id, right_key FROM org_rights WHERE (CAST($1 AS BIGINT) IS NULL OR org_id = $1)",
    )
    .bind(only)
    .fetch_all(&db.read)
    .await?;
    let mut rights: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for (org_id, key) in rows {
        rights.entry(org_id).or_default().insert(key);
    }
    Ok(rights)
}

/// Whether the rights held at installation have been recorded.
pub async fn baseline_recorded(db: &Db) -> Result<bool, sqlx::Error> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT rights_recorded_at FROM standing_baseline WHERE id = 1")
            .fetch_optional(&db.read)
            .await?;
    Ok(row.and_then(|(at,)| at).is_some())
}

/// Records the rights every organisation holds, without announcing them: the first
/// evaluation after installing, so existing rights are not news. Once only, across instances.
pub async fn record_baseline(
    db: &Db,
    held: &[(i64, BTreeSet<String>)],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let claimed = sqlx::query(
        "UPDATE standing_baseline SET rights_recorded_at = $1 WHERE id = 1 AND rights_recorded_at IS NULL",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    for (org_id, keys) in held {
        for key in keys {
            sqlx::query(
                "INSERT INTO org_rights (org_id, right_key, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(org_id)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Why a standing changed, for the log.
pub struct ChangeReason<'a> {
    pub explanation: &'a str,
    pub trigger: &'a str,
    pub at: i64,
}

/// Moves an organisation from `from` to `to`, logs it and queues the notices, once: the move
/// is conditional on the tier still being `from`, so a second run or instance does nothing.
pub async fn record_tier_change(
    db: &Db,
    org_id: i64,
    (from, to): (Tier, Tier),
    reason: &ChangeReason<'_>,
    notices: &[Notice],
) -> Result<bool, sqlx::Error> {
    let flag = sqlx::query("UPDATE partner_orgs SET tier = $1 WHERE id = $2 AND tier = $3")
        .bind(to.as_str())
        .bind(org_id)
        .bind(from.as_str());
    send_once(
        db,
        flag,
        vec![
            log_query(org_id, "tier", from.as_str(), to.as_str(), reason),
            super::crm::enqueue_query(SyncKind::Company, org_id, "tier changed", reason.at),
        ],
        notices,
        reason.at,
    )
    .await
}

/// Records a right gained (or lost), logs it and queues the notices, once.
pub async fn record_right_change(
    db: &Db,
    org_id: i64,
    (key, gained): (&str, bool),
    reason: &ChangeReason<'_>,
    notices: &[Notice],
) -> Result<bool, sqlx::Error> {
    let flag = if gained {
        sqlx::query(
            "INSERT INTO org_rights (org_id, right_key, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(org_id)
        .bind(key.to_string())
        .bind(reason.at)
    } else {
        sqlx::query("DELETE FROM org_rights WHERE org_id = $1 AND right_key = $2")
            .bind(org_id)
            .bind(key.to_string())
    };
    let (kind, from, to) = if gained {
        ("right_gained", "", key)
    } else {
        ("right_lost", key, "")
    };
    send_once(
        db,
        flag,
        vec![
            log_query(org_id, kind, from, to, reason),
            super::crm::enqueue_query(SyncKind::Company, org_id, kind, reason.at),
        ],
        notices,
        reason.at,
    )
    .await
}

fn log_query<'q>(
    org_id: i64,
    kind: &'q str,
    from: &str,
    to: &str,
    reason: &ChangeReason<'_>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(
        "INSERT INTO standing_changes (org_id, at, kind, from_value, to_value, explanation, trigger_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(org_id)
    .bind(reason.at)
    .bind(kind)
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(reason.explanation.to_string())
    .bind(reason.trigger.to_string())
}

/// Who hears about an organisation's standing: its active people and the partner managers.
/// (email, display name).
pub async fn people_to_tell(
    db: &Db,
    org_id: i64,
) -> Result<Vec<(i64, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, display_name, role FROM users WHERE disabled_at IS NULL \
         AND (partner_org_id = $1 OR role = 'partner_manager') ORDER BY role DESC, id",
    )
    .bind(org_id)
    .fetch_all(&db.read)
    .await
}

/// One logged change of an organisation's tier or rights.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRow {
    pub org_id: i64,
    pub org_name: String,
    pub at: i64,
    pub kind: String,
    pub from_value: String,
    pub to_value: String,
    pub explanation: String,
    pub trigger_text: String,
}

/// The latest changes (of one organisation, or all), newest first.
pub async fn changes(
    db: &Db,
    only: Option<i64>,
    limit: i64,
) -> Result<Vec<ChangeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.org_id, o.name AS org_name, c.at, c.kind, c.from_value, c.to_value, c.explanation, c.trigger_text \
         FROM standing_changes c JOIN partner_orgs o ON o.id = c.org_id \
         WHERE (CAST($1 AS BIGINT) IS NULL OR c.org_id = $1) ORDER BY c.at DESC, c.id DESC LIMIT $2",
    )
    .bind(only)
    .bind(limit)
    .fetch_all(&db.read)
    .await
}

/// Logs a change that happened before the portal recorded it (demo history), silently.
pub async fn insert_history(
    db: &Db,
    org_id: i64,
    (kind, from, to): (&str, &str, &str),
    reason: &ChangeReason<'_>,
) -> Result<(), sqlx::Error> {
    log_query(org_id, kind, from, to, reason)
        .execute(&db.write)
        .await?;
    Ok(())
}
