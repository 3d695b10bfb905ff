//! The facts the analytics views are computed from, read in a few whole-program queries
//! (the definitions live in `domain::insights`).
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::insights::{Assignment, Person};
use crate::domain::learning::Audience;
use crate::server::db::Db;
use std::collections::HashMap;

/// A published path, its audience and when it was first published (its assignment date
/// for everybody already in the program).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct PublishedPath {
    pub id: i64,
    pub title: String,
    pub audience_json: String,
    pub published_at: i64,
}

pub async fn published_paths(db: &Db) -> Result<Vec<PublishedPath>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, audience_json, COALESCE(first_published_at, created_at) AS published_at \
         FROM learning_paths WHERE status = 'published' ORDER BY title, id",
    )
    .fetch_all(&db.read)
    .await
}

/// The regions partner organisations are in, for the filter.
pub async fn regions(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT TRIM(region) FROM partner_orgs WHERE TRIM(region) <> '' ORDER BY 1",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(region,)| region).collect())
}

type LearnerRow = (i64, String, String, String, Option<String>, i64);

/// Every (partner user, published path in their audience) pair, assigned when the path was
/// first published or when they joined (the later), with their first completion (kept
/// across a recertification's restart).
pub async fn assignments(db: &Db, paths: &[PublishedPath]) -> Result<Vec<Assignment>, sqlx::Error> {
    let learners: Vec<LearnerRow> = sqlx::query_as(
        "SELECT u.id, o.partner_type, o.tier, o.region, u.job_role, u.created_at \
         FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id WHERE u.role = 'partner_user'",
    )
    .fetch_all(&db.read)
    .await?;
    let completions: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT user_id, path_id, MIN(completed_at) FROM ( \
           SELECT user_id, path_id, completed_at FROM path_completions \
           UNION ALL SELECT user_id, path_id, completed_at FROM path_completion_history \
         ) c GROUP BY user_id, path_id",
    )
    .fetch_all(&db.read)
    .await?;
    let completed: HashMap<(i64, i64), i64> = completions
        .into_iter()
        .map(|(user, path, at)| ((user, path), at))
        .collect();
    let audiences: Vec<(&PublishedPath, Audience)> = paths
        .iter()
        .filter_map(|path| match serde_json::from_str(&path.audience_json) {
            Ok(audience) => Some((path, audience)),
            Err(error) => {
                tracing::error!(path = path.id, %error, "unreadable audience; path left out");
                None
            }
        })
        .collect();
    let mut out = Vec::new();
    for (user_id, partner_type, tier, region, job_role, joined_at) in learners {
        let (Some(partner_type), Some(tier)) =
            (PartnerType::parse(&partner_type), Tier::parse(&tier))
        else {
            continue;
        };
        let person = Person {
            partner_type,
            tier,
            region,
            job_role: job_role.as_deref().and_then(JobRole::parse),
        };
        for (path, audience) in &audiences {
            if audience.includes(person.partner_type, person.tier, person.job_role) {
                out.push(Assignment {
                    person: person.clone(),
                    path_id: path.id,
                    assigned_at: path.published_at.max(joined_at),
                    completed_at: completed.get(&(user_id, path.id)).copied(),
                });
            }
        }
    }
    Ok(out)
}
