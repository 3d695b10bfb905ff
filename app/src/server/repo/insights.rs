//! The facts the analytics views are computed from, read in a few whole-program queries
//! (the definitions live in `domain::insights`).
use crate::domain::channel::deals::{RegistrationStatus, Stage};
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::insights::{
    certificates, certified, quiz_items, registrations, satisfaction, scorecard, Assignment, Person,
};
use crate::domain::learning::Audience;
use crate::server::db::Db;
use std::collections::HashMap;
use std::sync::Arc;

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

/// User, org, partner type, tier, region, job role, joined.
type LearnerRow = (i64, i64, String, String, String, Option<String>, i64);

/// How far one person has gone on one path, gathered from their progress, attempts and
/// certificates.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    started_at: Option<i64>,
    lessons_done: usize,
    lessons_done_at: Option<i64>,
    certified_at: Option<i64>,
    last_activity_at: Option<i64>,
}

fn earliest(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.min(b)))
}

fn latest(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// Each (user, path)'s progress: steps done and saved, quiz attempts, and certificates of
/// certifications that require the path; with each path's count of required lessons and
/// whether a certification requires it.
async fn progress(
    db: &Db,
) -> Result<(HashMap<(i64, i64), Progress>, HashMap<i64, usize>, Vec<i64>), sqlx::Error> {
    // Five independent scans, each on its own connection at once.
    let steps = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT id, path_id, kind, required FROM path_steps",
    )
    .fetch_all(&db.read);
    let saved = sqlx::query_as::<_, (i64, i64, Option<i64>, i64)>(
        "SELECT user_id, step_id, done_at, updated_at FROM step_progress",
    )
    .fetch_all(&db.read);
    let attempts = sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT user_id, step_id, MIN(started_at), MAX(COALESCE(submitted_at, started_at)) \
         FROM quiz_attempts GROUP BY user_id, step_id",
    )
    .fetch_all(&db.read);
    let certified = sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT c.user_id, p.path_id, MIN(c.issued_at) FROM certificates c \
         JOIN certification_paths p ON p.certification_id = c.certification_id \
         GROUP BY c.user_id, p.path_id",
    )
    .fetch_all(&db.read);
    let certifying =
        sqlx::query_as::<_, (i64,)>("SELECT DISTINCT path_id FROM certification_paths")
            .fetch_all(&db.read);
    let (steps, saved, attempts, certified, certifying) =
        tokio::try_join!(steps, saved, attempts, certified, certifying)?;
    let mut lessons_in: HashMap<i64, usize> = HashMap::new();
    let mut step_of: HashMap<i64, (i64, bool)> = HashMap::new();
    for (step, path, kind, required) in steps {
        let lesson = required == 1 && kind != "quiz";
        if lesson {
            *lessons_in.entry(path).or_default() += 1;
        }
        step_of.insert(step, (path, lesson));
    }
    let mut progress: HashMap<(i64, i64), Progress> = HashMap::new();
    for (user, step, done_at, updated_at) in saved {
        let Some((path, lesson)) = step_of.get(&step).copied() else {
            continue;
        };
        let entry = progress.entry((user, path)).or_default();
        entry.last_activity_at = latest(entry.last_activity_at, updated_at);
        if let Some(done_at) = done_at {
            entry.started_at = earliest(entry.started_at, done_at);
            entry.last_activity_at = latest(entry.last_activity_at, done_at);
            if lesson {
                entry.lessons_done += 1;
                entry.lessons_done_at = latest(entry.lessons_done_at, done_at);
            }
        }
    }
    for (user, step, first, last) in attempts {
        let Some((path, _)) = step_of.get(&step).copied() else {
            continue;
        };
        let entry = progress.entry((user, path)).or_default();
        entry.started_at = earliest(entry.started_at, first);
        entry.last_activity_at = latest(entry.last_activity_at, last);
    }
    for (user, path, issued_at) in certified {
        progress.entry((user, path)).or_default().certified_at = Some(issued_at);
    }
    Ok((
        progress,
        lessons_in,
        certifying.into_iter().map(|(path,)| path).collect(),
    ))
}

/// Every (partner user, published path in their audience) pair, assigned when the path was
/// first published or when they joined (the later), with how far they have gone: their
/// first real step, the lessons, their first completion (kept across a recertification's
/// restart), their first certificate that requires the path, and their latest activity.
///
/// Only views about progress (the funnel, the at-risk list) ask for it (`with_progress`):
/// it costs three more whole-program scans, which views that need only completions skip.
///
/// Kept while the tables it reads are unchanged (`fact_cache`).
pub async fn assignments(
    db: &Db,
    paths: &[PublishedPath],
    with_progress: bool,
) -> Result<Arc<Vec<Assignment>>, sqlx::Error> {
    use std::hash::{Hash, Hasher};
    // The paths are part of what was read: the same tables with other paths is another read.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for path in paths {
        (path.id, path.published_at, &path.audience_json).hash(&mut hasher);
    }
    let key = format!("assignments:{with_progress}:{:x}", hasher.finish());
    let sources: &[&str] = if with_progress {
        &ASSIGNMENT_SOURCES_WITH_PROGRESS
    } else {
        &ASSIGNMENT_SOURCES
    };
    db.facts
        .get_or_read(db, key, sources, || {
            read_assignments(db, paths, with_progress)
        })
        .await
}

/// The tables `read_assignments` reads (with the learners' progress, the second list).
const ASSIGNMENT_SOURCES: [&str; 5] = [
    "users",
    "partner_orgs",
    "learning_paths",
    "path_completions",
    "path_completion_history",
];
const ASSIGNMENT_SOURCES_WITH_PROGRESS: [&str; 10] = [
    "users",
    "partner_orgs",
    "learning_paths",
    "path_completions",
    "path_completion_history",
    "path_steps",
    "step_progress",
    "quiz_attempts",
    "certificates",
    "certification_paths",
];

async fn read_assignments(
    db: &Db,
    paths: &[PublishedPath],
    with_progress: bool,
) -> Result<Vec<Assignment>, sqlx::Error> {
    // Independent scans, each on its own connection at once.
    let learners = sqlx::query_as::<_, LearnerRow>(
        "SELECT u.id, o.id, o.partner_type, o.tier, o.region, u.job_role, u.created_at \
         FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id WHERE u.role = 'partner_user'",
    )
    .fetch_all(&db.read);
    let completions = sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT user_id, path_id, MIN(completed_at) FROM ( \
           SELECT user_id, path_id, completed_at FROM path_completions \
           UNION ALL SELECT user_id, path_id, completed_at FROM path_completion_history \
         ) c GROUP BY user_id, path_id",
    )
    .fetch_all(&db.read);
    let progress = async {
        if with_progress {
            progress(db).await
        } else {
            Ok(Default::default())
        }
    };
    let (learners, completions, (progress, lessons_in, certifying)) =
        tokio::try_join!(learners, completions, progress)?;
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
    for (user_id, org_id, partner_type, tier, region, job_role, joined_at) in learners {
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
            if !audience.includes(person.partner_type, person.tier, person.job_role) {
                continue;
            }
            let done = progress
                .get(&(user_id, path.id))
                .copied()
                .unwrap_or_default();
            let lessons = lessons_in.get(&path.id).copied().unwrap_or(0);
            let lessons_done_at = if lessons == 0 {
                done.started_at
            } else {
                (done.lessons_done >= lessons)
                    .then_some(done.lessons_done_at)
                    .flatten()
            };
            out.push(Assignment {
                started_at: done.started_at,
                lessons_done_at,
                completed_at: completed.get(&(user_id, path.id)).copied(),
                leads_to_certificate: certifying.contains(&path.id),
                certified_at: done.certified_at,
                last_activity_at: done.last_activity_at,
                ..Assignment::new(
                    org_id,
                    user_id,
                    person.clone(),
                    path.id,
                    path.published_at.max(joined_at),
                )
            });
        }
    }
    Ok(out)
}

/// Partner organisations, with when they joined the program.
pub async fn orgs(db: &Db) -> Result<Vec<certified::Org>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, partner_type, tier, region, created_at FROM partner_orgs ORDER BY name, id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, partner_type, tier, region, onboarded_at)| {
            Some(certified::Org {
                id,
                name,
                partner_type: PartnerType::parse(&partner_type)?,
                tier: Tier::parse(&tier)?,
                region,
                onboarded_at,
            })
        })
        .collect())
}

/// Every certificate held by a partner user, as the span it counted for their organisation
/// (`Certificate::counted_until`), with the holder's role and the paths it requires.
pub async fn certificate_spells(db: &Db) -> Result<Vec<certified::Spell>, sqlx::Error> {
    Ok(certificates(db)
        .await?
        .iter()
        .map(|certificate| certified::Spell {
            org_id: certificate.org_id,
            from: certificate.issued_at,
            until: certificate.counted_until(),
            holder_role: certificate.holder_role,
            path_ids: certificate.path_ids.clone(),
        })
        .collect())
}

/// A scan of every row, read as two halves (even and odd `id`s) on two connections at once:
/// sqlx hands SQLite's rows over one at a time, several microseconds each, so a scan of
/// 20,000 deals takes about half as long split. `sql` says `{half}` where the condition goes.
async fn in_halves<Row>(db: &Db, sql: &str, id: &str) -> Result<Vec<Row>, sqlx::Error>
where
    Row: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let even = sql.replace("{half}", &format!("{id} % 2 = 0"));
    let odd = sql.replace("{half}", &format!("{id} % 2 = 1"));
    let (mut rows, rest) = tokio::try_join!(
        sqlx::query_as::<_, Row>(&even).fetch_all(&db.read),
        sqlx::query_as::<_, Row>(&odd).fetch_all(&db.read),
    )?;
    rows.extend(rest);
    Ok(rows)
}

/// Org, registration status, stage, created, close date, last change, amount.
type DealRow = (i64, String, String, i64, Option<i64>, i64, i64);

/// Deals partner organisations registered and still own (declined and duplicate
/// registrations left out). A closed deal's close date is its recorded one, else when it
/// last changed.
///
/// Kept while `deals` is unchanged (`fact_cache`).
pub async fn partner_deals(db: &Db) -> Result<Arc<Vec<certified::Deal>>, sqlx::Error> {
    db.facts
        .get_or_read(db, "partner_deals".into(), &["deals"], || {
            read_partner_deals(db)
        })
        .await
}

async fn read_partner_deals(db: &Db) -> Result<Vec<certified::Deal>, sqlx::Error> {
    let rows: Vec<DealRow> = in_halves(
        db,
        "SELECT partner_org_id, registration_status, stage, created_at, close_at, updated_at, amount_cents \
         FROM deals WHERE partner_org_id IS NOT NULL AND {half}",
        "id",
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(org_id, status, stage, created_at, close_at, updated_at, amount_cents)| {
                let stage = Stage::parse(&stage)?;
                if !certified::is_partner_pipeline(RegistrationStatus::parse(&status)?) {
                    return None;
                }
                let closed = certified::outcome(stage) != certified::Outcome::Open;
                Some(certified::Deal {
                    org_id,
                    created_at,
                    closed_at: closed.then(|| close_at.unwrap_or(updated_at)),
                    stage,
                    amount_cents,
                })
            },
        )
        .collect())
}

/// How many partner users each organisation has now (people who left are not counted).
pub async fn people_per_org(db: &Db) -> Result<Vec<(i64, u64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT partner_org_id, COUNT(*) FROM users \
         WHERE role = 'partner_user' AND partner_org_id IS NOT NULL AND disabled_at IS NULL \
         GROUP BY partner_org_id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(org, n)| (org, n.max(0) as u64))
        .collect())
}

/// Each partner user's certificates as the span they counted
/// (`Certificate::counted_until`).
pub async fn holdings(db: &Db) -> Result<Vec<scorecard::Holding>, sqlx::Error> {
    Ok(certificates(db)
        .await?
        .iter()
        .map(|certificate| scorecard::Holding {
            org_id: certificate.org_id,
            user_id: certificate.user_id,
            from: certificate.issued_at,
            until: certificate.counted_until(),
        })
        .collect())
}

/// Every module rating a partner user gave, with their organisation.
pub async fn ratings(db: &Db) -> Result<Vec<scorecard::Rating>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT u.partner_org_id, r.rating, r.created_at \
         FROM survey_responses r JOIN users u ON u.id = r.user_id WHERE u.partner_org_id IS NOT NULL",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(org_id, rating, at)| scorecard::Rating { org_id, rating, at })
        .collect())
}

/// User, path, partner type, tier, region, job role, rating, comment, when.
type RatingRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    i64,
);

/// Every rating partner users gave a path's survey step, with who gave it.
pub async fn path_ratings(db: &Db) -> Result<Vec<satisfaction::RatingFact>, sqlx::Error> {
    let rows: Vec<RatingRow> = sqlx::query_as(
        "SELECT r.user_id, s.path_id, o.partner_type, o.tier, o.region, u.job_role, r.rating, r.comment, r.created_at \
         FROM survey_responses r JOIN path_steps s ON s.id = r.step_id JOIN users u ON u.id = r.user_id \
         JOIN partner_orgs o ON o.id = u.partner_org_id",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(user_id, path_id, partner_type, tier, region, job_role, rating, comment, at)| {
                Some(satisfaction::RatingFact {
                    user_id,
                    path_id,
                    person: Person {
                        partner_type: PartnerType::parse(&partner_type)?,
                        tier: Tier::parse(&tier)?,
                        region,
                        job_role: job_role.as_deref().and_then(JobRole::parse),
                    },
                    rating,
                    comment,
                    at,
                })
            },
        )
        .collect())
}

/// Deal, org, region, submitted, decided, status, conflict verdict (JSON), stage.
type RegistrationRow = (i64, i64, String, i64, Option<i64>, String, String, String);

/// Every registration partners submitted, with who decided it (the last of the vendor's
/// staff to set a decision in its audit trail; none when the engine approved it alone).
/// Two scans, joined here: a correlated lookup per deal is slow at program scale.
///
/// Kept while the tables it reads are unchanged (`fact_cache`).
pub async fn registrations(db: &Db) -> Result<Arc<Vec<registrations::Registration>>, sqlx::Error> {
    db.facts
        .get_or_read(
            db,
            "registrations".into(),
            &["deals", "deal_events", "users"],
            || read_registrations(db),
        )
        .await
}

async fn read_registrations(db: &Db) -> Result<Vec<registrations::Registration>, sqlx::Error> {
    let rows = in_halves::<RegistrationRow>(
        db,
        "SELECT d.id, d.partner_org_id, d.region, d.submitted_at, d.decided_at, d.registration_status, \
           d.decision_json, d.stage \
         FROM deals d WHERE d.partner_org_id IS NOT NULL AND d.submitted_at IS NOT NULL AND {half}",
        "d.id",
    );
    let decisions = sqlx::query_as::<_, (i64, i64, i64, String)>(
        "SELECT e.deal_id, e.at, e.id, u.display_name FROM deal_events e JOIN users u ON u.id = e.actor_user_id \
         WHERE e.field = 'registration_status' AND e.to_value IN ('approved', 'declined', 'duplicate') \
           AND u.role IN ('vendor_admin', 'partner_manager')",
    )
    .fetch_all(&db.read);
    let (rows, decisions) = tokio::try_join!(rows, decisions)?;
    let mut approver_of: HashMap<i64, (i64, i64, String)> = HashMap::new();
    for (deal, at, id, name) in decisions {
        let latest = approver_of
            .get(&deal)
            .is_none_or(|(seen_at, seen_id, _)| (at, id) > (*seen_at, *seen_id));
        if latest {
            approver_of.insert(deal, (at, id, name));
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(
            |(deal, org_id, region, submitted_at, decided_at, status, decision_json, stage)| {
                let flagged = serde_json::from_str::<crate::domain::channel::conflict::Verdict>(
                    &decision_json,
                )
                .is_ok_and(|verdict| {
                    verdict.decision != crate::domain::channel::conflict::Decision::AutoApprove
                });
                Some(registrations::Registration {
                    org_id,
                    region,
                    submitted_at,
                    decided_at,
                    status: RegistrationStatus::parse(&status)?,
                    flagged,
                    approver: approver_of.remove(&deal).map(|(_, _, name)| name),
                    open: !matches!(stage.as_str(), "won" | "lost"),
                })
            },
        )
        .collect())
}

/// Org, holder, certification, issued, expires, revoked, holder left, holder's job role.
type CertificateRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

/// Every certificate partner users hold or held, for the status and expiry view.
///
/// Kept while the tables it reads are unchanged (`fact_cache`).
pub async fn certificates(db: &Db) -> Result<Arc<Vec<certificates::Certificate>>, sqlx::Error> {
    db.facts
        .get_or_read(
            db,
            "certificates".into(),
            &["certificates", "users", "certification_paths"],
            || read_certificates(db),
        )
        .await
}

async fn read_certificates(db: &Db) -> Result<Vec<certificates::Certificate>, sqlx::Error> {
    let rows: Vec<CertificateRow> = sqlx::query_as(
        "SELECT u.partner_org_id, u.id, c.certification_id, c.issued_at, c.expires_at, c.revoked_at, \
           u.disabled_at, u.job_role \
         FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.partner_org_id IS NOT NULL",
    )
    .fetch_all(&db.read)
    .await?;
    let requirements: Vec<(i64, i64)> =
        sqlx::query_as("SELECT certification_id, path_id FROM certification_paths")
            .fetch_all(&db.read)
            .await?;
    let mut paths_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (certification, path) in requirements {
        paths_of.entry(certification).or_default().push(path);
    }
    Ok(rows
        .into_iter()
        .map(
            |(
                org_id,
                user_id,
                certification_id,
                issued_at,
                expires_at,
                revoked_at,
                left_at,
                role,
            )| {
                certificates::Certificate {
                    org_id,
                    user_id,
                    certification_id,
                    issued_at,
                    expires_at,
                    revoked_at,
                    left_at,
                    holder_role: role.as_deref().and_then(JobRole::parse),
                    path_ids: paths_of.get(&certification_id).cloned().unwrap_or_default(),
                }
            },
        )
        .collect())
}

/// Every partner user's name and organisation name, for lists of people.
pub async fn learner_names(db: &Db) -> Result<HashMap<i64, (String, String)>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name, o.name FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE u.role = 'partner_user' AND u.disabled_at IS NULL",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, org)| (id, (name, org)))
        .collect())
}

/// The latest nudge of each (learner, path): when, and who sent it.
pub async fn nudges(db: &Db) -> Result<HashMap<(i64, i64), (i64, String)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT n.user_id, n.path_id, n.sent_at, u.display_name FROM training_nudges n \
         JOIN users u ON u.id = n.sent_by",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user, path, at, by)| ((user, path), (at, by)))
        .collect())
}

/// Who a nudge would reach: an active partner user and a published path they have not
/// completed, with whether they turned nudges off.
#[derive(Debug, Clone)]
pub struct NudgeTarget {
    pub email: String,
    pub name: String,
    pub path_title: String,
    pub completed: bool,
    pub muted: bool,
}

pub async fn nudge_target(
    db: &Db,
    user_id: i64,
    path_id: i64,
) -> Result<Option<NudgeTarget>, sqlx::Error> {
    let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT u.email, u.display_name, p.title, \
           (SELECT COUNT(*) FROM path_completions c WHERE c.user_id = u.id AND c.path_id = p.id), \
           (SELECT COUNT(*) FROM notification_mutes m WHERE m.user_id = u.id AND m.event = 'training_nudge') \
         FROM users u, learning_paths p \
         WHERE u.id = $1 AND p.id = $2 AND u.role = 'partner_user' AND u.disabled_at IS NULL \
           AND p.status = 'published'",
    )
    .bind(user_id)
    .bind(path_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(
        row.map(|(email, name, path_title, completed, muted)| NudgeTarget {
            email,
            name,
            path_title,
            completed: completed > 0,
            muted: muted > 0,
        }),
    )
}

/// Records a nudge and queues its email in one transaction, unless the learner was nudged
/// about the path since `not_since` (then nothing happens). Returns whether it was sent.
pub async fn record_nudge(
    db: &Db,
    (user_id, path_id, sent_by): (i64, i64, i64),
    not_since: i64,
    notice: &super::outbox::Notice,
    now: i64,
) -> Result<bool, sqlx::Error> {
    super::outbox::send_once(
        db,
        sqlx::query(
            "INSERT INTO training_nudges (user_id, path_id, sent_by, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, path_id) DO UPDATE SET sent_by = excluded.sent_by, sent_at = excluded.sent_at \
             WHERE training_nudges.sent_at <= $5",
        )
        .bind(user_id)
        .bind(path_id)
        .bind(sent_by)
        .bind(now)
        .bind(not_since),
        Vec::new(),
        std::slice::from_ref(notice),
        now,
    )
    .await
}

/// Attempt, learner, path, question, answer key (JSON), weight, submitted.
type AnsweredRow = (i64, i64, i64, i64, String, f64, i64);

/// Every question of every attempt submitted in `[from, until)`, scored against the key it
/// was drawn with, with who answered it; and each question's tags. Answers the learner left
/// blank score 0, as the quiz graded them.
pub async fn quiz_answers(
    db: &Db,
    (from, until): (i64, i64),
) -> Result<(Vec<quiz_items::AnswerFact>, HashMap<i64, Vec<String>>), sqlx::Error> {
    use crate::domain::quiz::grading::{grade, AnswerKey, Response};
    let learners: Vec<LearnerRow> = sqlx::query_as(
        "SELECT u.id, o.id, o.partner_type, o.tier, o.region, u.job_role, u.created_at \
         FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id WHERE u.role = 'partner_user'",
    )
    .fetch_all(&db.read)
    .await?;
    let people: HashMap<i64, Person> = learners
        .into_iter()
        .filter_map(|(user, _, partner_type, tier, region, job_role, _)| {
            Some((
                user,
                Person {
                    partner_type: PartnerType::parse(&partner_type)?,
                    tier: Tier::parse(&tier)?,
                    region,
                    job_role: job_role.as_deref().and_then(JobRole::parse),
                },
            ))
        })
        .collect();
    let questions: Vec<AnsweredRow> = sqlx::query_as(
        "SELECT aq.attempt_id, a.user_id, s.path_id, aq.question_id, aq.key_json, aq.weight, a.submitted_at \
         FROM attempt_questions aq JOIN quiz_attempts a ON a.id = aq.attempt_id \
         JOIN path_steps s ON s.id = a.step_id \
         WHERE a.submitted_at IS NOT NULL AND a.submitted_at >= $1 AND a.submitted_at < $2",
    )
    .bind(from)
    .bind(until)
    .fetch_all(&db.read)
    .await?;
    let answers: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT an.attempt_id, an.question_id, an.response_json FROM attempt_answers an \
         JOIN quiz_attempts a ON a.id = an.attempt_id \
         WHERE a.submitted_at IS NOT NULL AND a.submitted_at >= $1 AND a.submitted_at < $2",
    )
    .bind(from)
    .bind(until)
    .fetch_all(&db.read)
    .await?;
    let responses: HashMap<(i64, i64), Response> = answers
        .into_iter()
        .filter_map(|(attempt, question, json)| {
            Some(((attempt, question), serde_json::from_str(&json).ok()?))
        })
        .collect();
    let mut facts = Vec::with_capacity(questions.len());
    for (attempt_id, user_id, path_id, question_id, key_json, weight, submitted_at) in questions {
        let (Some(person), Ok(key)) = (
            people.get(&user_id),
            serde_json::from_str::<AnswerKey>(&key_json),
        ) else {
            continue;
        };
        facts.push(quiz_items::AnswerFact {
            attempt_id,
            user_id,
            person: person.clone(),
            path_id,
            question_id,
            score: grade(&key, responses.get(&(attempt_id, question_id))).score,
            weight,
            submitted_at,
        });
    }
    let tag_rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, tags FROM quiz_questions")
        .fetch_all(&db.read)
        .await?;
    let tags = tag_rows
        .into_iter()
        .map(|(id, tags)| {
            let tags = tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            (id, tags)
        })
        .collect();
    Ok((facts, tags))
}

/// Each question's prompt, for lists of questions.
pub async fn question_prompts(db: &Db) -> Result<HashMap<i64, String>, sqlx::Error> {
    use crate::domain::quiz::content::QuestionContent;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, content_json FROM quiz_questions")
        .fetch_all(&db.read)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| {
            Some((
                id,
                serde_json::from_str::<QuestionContent>(&json).ok()?.prompt,
            ))
        })
        .collect())
}
