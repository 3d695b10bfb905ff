//! Demo data: a fictional vendor and a realistic spread of partners and people.
use super::crypto::hash_password;
use super::db::Db;
use super::repo::{authoring, orgs, users};
use crate::domain::identity::{JobRole, PartnerType, Role, Tier};

/// The password of every demo account. Shown on the sign-in page in demo mode only.
pub const DEMO_PASSWORD: &str = crate::api::auth::DEMO_PASSWORD_HINT;
pub const VENDOR_NAME: &str = "Lumen Analytics";

struct DemoOrg {
    name: &'static str,
    partner_type: PartnerType,
    tier: Tier,
    region: &'static str,
    vertical: &'static str,
    people: &'static [(&'static str, JobRole)],
}

const DEMO_ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "Northwind Resellers",
        partner_type: PartnerType::Reseller,
        tier: Tier::Gold,
        region: "EMEA",
        vertical: "Retail",
        people: &[
            ("Nora Quist", JobRole::Sales),
            ("Tomas Berg", JobRole::Technical),
            ("Ines Duarte", JobRole::Support),
        ],
    },
    DemoOrg {
        name: "Bluefin Systems",
        partner_type: PartnerType::Reseller,
        tier: Tier::Silver,
        region: "North America",
        vertical: "Financial services",
        people: &[
            ("Ben Okafor", JobRole::Sales),
            ("Lena Hart", JobRole::Technical),
        ],
    },
    DemoOrg {
        name: "Cobalt IT",
        partner_type: PartnerType::Reseller,
        tier: Tier::Registered,
        region: "APAC",
        vertical: "Manufacturing",
        people: &[("Kenji Mori", JobRole::Sales)],
    },
    DemoOrg {
        name: "Harbor Digital",
        partner_type: PartnerType::Reseller,
        tier: Tier::Platinum,
        region: "North America",
        vertical: "Healthcare",
        people: &[
            ("Grace Lin", JobRole::Sales),
            ("Omar Haddad", JobRole::Support),
            ("Maya Brooks", JobRole::Technical),
            ("Theo Grant", JobRole::Sales),
        ],
    },
    DemoOrg {
        name: "Referral Works",
        partner_type: PartnerType::Referral,
        tier: Tier::Registered,
        region: "EMEA",
        vertical: "Professional services",
        people: &[("Sofia Rossi", JobRole::Sales)],
    },
    DemoOrg {
        name: "Pinecrest Advisors",
        partner_type: PartnerType::Referral,
        tier: Tier::Silver,
        region: "North America",
        vertical: "Financial services",
        people: &[("Dan Whitfield", JobRole::Sales)],
    },
    DemoOrg {
        name: "Sakura Connect",
        partner_type: PartnerType::Referral,
        tier: Tier::Gold,
        region: "APAC",
        vertical: "Telecommunications",
        people: &[
            ("Aiko Tanaka", JobRole::Sales),
            ("Ryo Sato", JobRole::Support),
        ],
    },
    DemoOrg {
        name: "Atlas Integrators",
        partner_type: PartnerType::Implementation,
        tier: Tier::Platinum,
        region: "EMEA",
        vertical: "Public sector",
        people: &[
            ("Mila Novak", JobRole::Technical),
            ("Jonas Weber", JobRole::Technical),
            ("Clara Vidal", JobRole::Sales),
        ],
    },
    DemoOrg {
        name: "Keystone Consulting",
        partner_type: PartnerType::Implementation,
        // Gold until Priya's certificate was revoked (see demo_certifications).
        tier: Tier::Silver,
        region: "North America",
        vertical: "Healthcare",
        people: &[
            ("Priya Raman", JobRole::Technical),
            ("Sam Carter", JobRole::Support),
        ],
    },
    DemoOrg {
        name: "Andes Tech Partners",
        partner_type: PartnerType::Implementation,
        tier: Tier::Silver,
        region: "LATAM",
        vertical: "Energy",
        people: &[("Lucia Flores", JobRole::Technical)],
    },
    DemoOrg {
        name: "Meridian Distribution",
        partner_type: PartnerType::Distributor,
        tier: Tier::Platinum,
        region: "EMEA",
        vertical: "Multi-vertical",
        people: &[
            ("Henrik Dahl", JobRole::Sales),
            ("Eva Lind", JobRole::Support),
            ("Lars Nyberg", JobRole::Technical),
        ],
    },
    DemoOrg {
        name: "Pacific Channel Group",
        partner_type: PartnerType::Distributor,
        tier: Tier::Gold,
        region: "APAC",
        vertical: "Multi-vertical",
        people: &[
            ("Wei Chen", JobRole::Sales),
            ("Mei Wong", JobRole::Technical),
        ],
    },
    DemoOrg {
        name: "Southern Cross Supply",
        partner_type: PartnerType::Distributor,
        tier: Tier::Registered,
        region: "APAC",
        vertical: "Education",
        people: &[("Jack Murray", JobRole::Support)],
    },
    DemoOrg {
        name: "Rio Data Services",
        partner_type: PartnerType::Reseller,
        tier: Tier::Silver,
        region: "LATAM",
        vertical: "Retail",
        people: &[
            ("Bruno Costa", JobRole::Sales),
            ("Ana Lima", JobRole::Technical),
        ],
    },
];

const VENDOR_STAFF: &[(&str, &str, Role)] = &[
    ("Ada Lovelace", "admin@lumen.example", Role::VendorAdmin),
    ("Marco Diaz", "marco@lumen.example", Role::PartnerManager),
    ("Hannah Scott", "hannah@lumen.example", Role::PartnerManager),
];

/// The email of a demo partner user: first name at the org's domain.
pub fn demo_email(person: &str, org: &str) -> String {
    let first = person
        .split_whitespace()
        .next()
        .unwrap_or(person)
        .to_lowercase();
    let domain: String = org
        .split_whitespace()
        .next()
        .unwrap_or(org)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{first}@{domain}.example")
}

/// Seeds the demo program if the database has no vendor yet, with `history` eighteen
/// months of generated past activity (`demo_history`). Returns whether it seeded.
pub async fn seed_demo_if_empty(db: &Db, now: i64, history: bool) -> Result<bool, SeedError> {
    // Claiming the single vendor row decides which instance seeds, so several instances
    // starting together on one PostgreSQL database seed exactly once.
    let claimed = sqlx::query(
        "INSERT INTO vendor (id, name, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(VENDOR_NAME)
    .bind(now)
    .execute(&db.write)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(false);
    }
    // One salted hash shared by the demo accounts keeps seeding fast; each real user gets their own.
    let password_hash = hash_password(DEMO_PASSWORD).map_err(|e| SeedError::Hash(e.to_string()))?;

    for (name, email, role) in VENDOR_STAFF {
        let user = users::NewUser {
            email,
            display_name: name,
            role: *role,
            job_role: None,
            partner_org_id: None,
            password_hash: Some(&password_hash),
        };
        users::insert(&db.write, &user, now).await?;
    }
    for org in DEMO_ORGS {
        let new_org = orgs::NewOrg {
            name: org.name,
            partner_type: org.partner_type,
            tier: org.tier,
            region: org.region,
            vertical: org.vertical,
        };
        let org_id = orgs::insert(&db.write, &new_org, now).await?;
        for (person, job) in org.people {
            let email = demo_email(person, org.name);
            let user = users::NewUser {
                email: &email,
                display_name: person,
                role: Role::PartnerUser,
                job_role: Some(*job),
                partner_org_id: Some(org_id),
                password_hash: Some(&password_hash),
            };
            users::insert(&db.write, &user, now).await?;
        }
    }
    let mut path_ids = Vec::new();
    for path in super::demo_content::demo_paths(now) {
        let problems = crate::domain::transfer::import_problems(&path);
        if !problems.is_empty() {
            return Err(SeedError::Content(format!("{}: {problems:?}", path.title)));
        }
        let path_id = authoring::import(db, &path, now)
            .await
            .map_err(|e| SeedError::Content(e.to_string()))?;
        authoring::set_published(db, path_id, true, now).await?;
        path_ids.push(path_id);
    }
    super::demo_certifications::seed(db, &path_ids, now).await?;
    super::demo_channel::seed(db, now).await?;
    super::demo_policies::seed(db, now).await?;
    if history {
        super::demo_history::seed(db, now).await?;
    }
    Ok(true)
}

/// Tables a demo reset leaves alone: the migrations' record, and the per-table versions the
/// fact cache reads (bumped below instead, so every instance reads afresh).
const KEPT_BY_RESET: &[&str] = &["_sqlx_migrations", "fact_versions"];

/// The fixed rows the migrations insert into tables a reset empties, put back as the
/// migrations left them (0010_tiers, 0011_notifications).
const ROWS_OF_AN_EMPTY_PROGRAM: &[&str] = &[
    "INSERT INTO tier_policies (tier) VALUES ('registered'), ('silver'), ('gold'), ('platinum')",
    "INSERT INTO standing_baseline (id) VALUES (1)",
    "INSERT INTO program_integrations (id) VALUES (1)",
];

/// Empties every table in one transaction, as a new database would be, then seeds the demo
/// again. For the shared demo deployment, which fills with visitors' test data. Every session
/// goes with the data, so everyone is signed out. Returns whether this call seeded (two
/// resets at once on one PostgreSQL database seed once, after the later wipe).
pub async fn reset_demo(db: &Db, now: i64, history: bool) -> Result<bool, SeedError> {
    use super::db::Backend;
    let listing = match db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
    };
    let tables: Vec<String> = sqlx::query_as::<_, (String,)>(listing)
        .fetch_all(&db.write)
        .await?
        .into_iter()
        .map(|(name,)| name)
        .filter(|name| !KEPT_BY_RESET.contains(&name.as_str()))
        .collect();
    // Names come from the database's own catalogue, never from a request.
    let quoted: Vec<String> = tables.iter().map(|t| format!("\"{t}\"")).collect();
    let mut tx = db.write.begin().await?;
    match db.backend {
        Backend::Sqlite => {
            // Checked at commit, when every table is empty, so the order does not matter.
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
            for table in &quoted {
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Backend::Postgres => {
            sqlx::query(&format!(
                "TRUNCATE {} RESTART IDENTITY CASCADE",
                quoted.join(", ")
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    for row in ROWS_OF_AN_EMPTY_PROGRAM {
        sqlx::query(row).execute(&mut *tx).await?;
    }
    // TRUNCATE fires no row triggers: every cached read must be dropped everywhere.
    sqlx::query("UPDATE fact_versions SET version = version + 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    db.facts.clear();
    seed_demo_if_empty(db, now, history).await
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database error while seeding: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not hash the demo password: {0}")]
    Hash(String),
    #[error("demo learning content is invalid: {0}")]
    Content(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_program_covers_every_type_several_tiers_and_regions() {
        assert!(DEMO_ORGS.len() >= 12);
        let types: HashSet<_> = DEMO_ORGS.iter().map(|o| o.partner_type).collect();
        assert_eq!(types.len(), PartnerType::ALL.len());
        let tiers: HashSet<_> = DEMO_ORGS.iter().map(|o| o.tier).collect();
        assert!(tiers.len() >= 3);
        let regions: HashSet<_> = DEMO_ORGS.iter().map(|o| o.region).collect();
        assert!(regions.len() >= 3);
        let jobs: HashSet<_> = DEMO_ORGS
            .iter()
            .flat_map(|o| o.people.iter().map(|p| p.1))
            .collect();
        assert_eq!(jobs.len(), JobRole::ALL.len());
    }

    #[test]
    fn demo_emails_are_unique_and_valid() {
        let emails: Vec<_> = DEMO_ORGS
            .iter()
            .flat_map(|o| o.people.iter().map(|p| demo_email(p.0, o.name)))
            .collect();
        let unique: HashSet<_> = emails.iter().collect();
        assert_eq!(unique.len(), emails.len());
        for email in &emails {
            assert!(
                crate::domain::validation::normalize_email(email).is_ok(),
                "{email}"
            );
        }
        assert_eq!(
            demo_email("Nora Quist", "Northwind Resellers"),
            "nora@northwind.example"
        );
    }
}
