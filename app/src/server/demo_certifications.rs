//! Demo certifications, one per role's learning path, and a history of certificates across
//! partners: active, expiring soon, expired and revoked, so every view has something to show.
use super::db::Db;
use super::repo::certifications::{self, CertificationDef, NewCertification};
use crate::domain::certification::DAY_MS;
use crate::domain::channel::eligibility::{Right, RightRule};
use crate::domain::identity::Tier;
use crate::domain::tiers::{LeadDistribution, TierPolicyForm};

/// (name, description, job role) of the certification for each demo path, in path order
/// (sales, technical, support).
const CERTIFICATIONS: [(&str, &str, &str); 3] = [
    (
        "Lumen Certified Sales Professional",
        "Positions Lumen, qualifies opportunities and registers deals by the rules of engagement.",
        "sales",
    ),
    (
        "Lumen Certified Technical Specialist",
        "Plans, deploys and integrates Lumen for customers.",
        "technical",
    ),
    (
        "Lumen Certified Support Associate",
        "Diagnoses and resolves Lumen support cases.",
        "support",
    ),
];

/// (holder email, certification index, days since issue, revoked with this reason). Each
/// organisation's valid certificates justify its demo tier under `TIER_RULES`: one
/// certified person for Silver, two for Gold, three including a technical specialist for
/// Platinum. Grace (Harbor) holds none, so tests can certify her from scratch.
const HISTORY: &[(&str, usize, i64, Option<&str>)] = &[
    ("nora@northwind.example", 0, 150, None),
    ("tomas@northwind.example", 1, 60, None),
    ("ben@bluefin.example", 0, 100, None),
    // Lena's lapsed and was not renewed.
    ("lena@bluefin.example", 1, 420, None),
    ("omar@harbor.example", 2, 75, None),
    ("maya@harbor.example", 1, 110, None),
    ("theo@harbor.example", 0, 95, None),
    ("dan@pinecrest.example", 0, 80, None),
    ("aiko@sakura.example", 0, 120, None),
    ("ryo@sakura.example", 2, 50, None),
    ("mila@atlas.example", 1, 40, None),
    ("jonas@atlas.example", 1, 345, None),
    // Clara let her first certificate lapse and earned it again.
    ("clara@atlas.example", 0, 400, None),
    ("clara@atlas.example", 0, 30, None),
    (
        "priya@keystone.example",
        1,
        90,
        Some("Exam answers were shared outside the organisation."),
    ),
    ("sam@keystone.example", 2, 70, None),
    ("lucia@andes.example", 1, 330, None),
    // Henrik holds two certifications; the others one each.
    ("henrik@meridian.example", 0, 200, None),
    ("henrik@meridian.example", 2, 25, None),
    ("eva@meridian.example", 2, 140, None),
    ("lars@meridian.example", 1, 65, None),
    ("wei@pacific.example", 0, 20, None),
    ("mei@pacific.example", 1, 45, None),
    ("bruno@rio.example", 0, 160, None),
];

/// The demo's tier rules, per tier above Registered: (requirement lines, MDF, leads).
const TIER_RULES: [(Tier, &str, bool, LeadDistribution); 4] = [
    (Tier::Registered, "", false, LeadDistribution::NotIncluded),
    (Tier::Silver, "1", false, LeadDistribution::Shared),
    (Tier::Gold, "2", true, LeadDistribution::Shared),
    (
        Tier::Platinum,
        "3\n1 technical: Lumen Certified Technical Specialist",
        true,
        LeadDistribution::Priority,
    ),
];

pub async fn seed(db: &Db, path_ids: &[i64], now: i64) -> Result<(), sqlx::Error> {
    let mut definitions: Vec<CertificationDef> = Vec::new();
    for ((name, description, role), path_id) in CERTIFICATIONS.iter().zip(path_ids) {
        let id = certifications::insert_certification(
            db,
            &NewCertification {
                name,
                description,
                job_role: Some(role),
                validity_months: 12,
                recert_window_days: 60,
                path_ids: std::slice::from_ref(path_id),
            },
            now,
        )
        .await?;
        definitions.push(CertificationDef {
            id,
            name: name.to_string(),
            description: description.to_string(),
            job_role: Some(role.to_string()),
            validity_months: 12,
            recert_window_days: 60,
            path_ids: vec![*path_id],
        });
    }
    // Lumen Connect is an integration product: selling it, and delivering implementations,
    // take a technical certification in the partner's organisation.
    if let Some(technical) = definitions.get(1) {
        for right in [
            Right::Sell {
                product_line: "Lumen Connect".into(),
            },
            Right::Deliver,
        ] {
            certifications::insert_right(
                db,
                &RightRule {
                    right,
                    certification_id: technical.id,
                    certification: technical.name.clone(),
                },
            )
            .await?;
        }
    }
    for (email, index, days_ago, revoked) in HISTORY {
        let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&db.read)
            .await?;
        let (Some((user_id,)), Some(definition)) = (user, definitions.get(*index)) else {
            continue;
        };
        let issued_at = now - days_ago * DAY_MS;
        let code = super::crypto::new_verify_code();
        let Some(certificate_id) =
            certifications::insert_certificate(db, definition, user_id, issued_at, None, &code)
                .await?
        else {
            continue;
        };
        if let Some(reason) = revoked {
            let admin: (i64,) = sqlx::query_as(
                "SELECT id FROM users WHERE role = 'vendor_admin' ORDER BY id LIMIT 1",
            )
            .fetch_one(&db.read)
            .await?;
            certifications::revoke(db, certificate_id, admin.0, reason, now - DAY_MS).await?;
        }
    }
    // The expired ones are history: record their expiry as the job would have.
    certifications::record_expiries(db, now).await?;
    seed_tiers(db, &definitions, now).await?;
    // So are the reminders of certificates already close to their end: a fresh demo does
    // not start by emailing their holders.
    sqlx::query(
        "UPDATE certificates SET expiry_30_reminded_at = $1 WHERE expires_at > $1 AND expires_at <= $2",
    )
    .bind(now)
    .bind(now + 30 * DAY_MS)
    .execute(&db.write)
    .await?;
    sqlx::query(
        "UPDATE certificates SET expiry_7_reminded_at = $1 WHERE expires_at > $1 AND expires_at <= $2",
    )
    .bind(now)
    .bind(now + 7 * DAY_MS)
    .execute(&db.write)
    .await?;
    certifications::settle_open_windows(db, now).await?;
    Ok(())
}

/// The tier rules, and Keystone's drop from Gold when Priya's certificate was revoked.
async fn seed_tiers(
    db: &Db,
    definitions: &[CertificationDef],
    now: i64,
) -> Result<(), sqlx::Error> {
    use super::repo::tiers::{self, ChangeReason};
    let known: Vec<(i64, String)> = definitions.iter().map(|d| (d.id, d.name.clone())).collect();
    let mut policies = Vec::new();
    for (tier, requirements, mdf_eligible, leads) in TIER_RULES {
        let form = TierPolicyForm {
            requirements: requirements.to_string(),
            min_revenue: String::new(),
            mdf_eligible,
            lead_distribution: leads.as_str().to_string(),
        };
        match form.parse(tier, &known) {
            Ok(policy) => policies.push(policy),
            Err(problems) => {
                return Err(sqlx::Error::Protocol(format!(
                    "demo tier rules are invalid: {problems:?}"
                )))
            }
        }
    }
    tiers::save_policies(db, &policies, now).await?;
    let keystone: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM partner_orgs WHERE name = 'Keystone Consulting'")
            .fetch_optional(&db.read)
            .await?;
    if let Some((org_id,)) = keystone {
        tiers::insert_history(
            db,
            org_id,
            ("tier", "gold", "silver"),
            &ChangeReason {
                explanation: "No longer meets Gold: 2 people with any certification (has 1).",
                trigger:
                    "Priya Raman's Lumen Certified Technical Specialist certificate was revoked: \
                          Exam answers were shared outside the organisation.",
                at: now - DAY_MS,
            },
        )
        .await?;
    }
    Ok(())
}
