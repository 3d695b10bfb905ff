//! Learning paths as learners see them: which paths and steps, progress, completions,
//! live-session seats and survey answers.
use crate::domain::identity::{JobRole, PartnerType, Role, Tier};
use crate::domain::learning::{
    is_complete, may_open_path, step_states, Audience, StepProgress, StepState,
};
use crate::domain::steps::{StepKind, StepSettings};
use crate::server::db::Db;
use std::collections::{HashMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored learning data is malformed: {0}")]
    Corrupt(String),
}

impl From<serde_json::Error> for LearningError {
    fn from(error: serde_json::Error) -> Self {
        LearningError::Corrupt(error.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PathRow {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub audience_json: String,
    pub required: i64,
    pub estimated_minutes: i64,
    pub status: String,
    pub version: i64,
}

impl PathRow {
    pub fn published(&self) -> bool {
        self.status == "published"
    }

    pub fn audience(&self) -> Result<Audience, LearningError> {
        Ok(serde_json::from_str(&self.audience_json)?)
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StepRow {
    pub id: i64,
    pub path_id: i64,
    pub position: i64,
    pub kind: String,
    pub title: String,
    pub required: i64,
    pub config_json: String,
}

impl StepRow {
    pub fn kind(&self) -> Result<StepKind, LearningError> {
        StepKind::parse(&self.kind)
            .ok_or_else(|| LearningError::Corrupt(format!("unknown step kind {:?}", self.kind)))
    }

    pub fn settings(&self) -> Result<StepSettings, LearningError> {
        Ok(StepSettings::parse(self.kind()?, &self.config_json)?)
    }
}

pub const PATH_SELECT: &str = "SELECT id, title, summary, audience_json, required, estimated_minutes, status, version FROM learning_paths";
pub const STEP_SELECT: &str =
    "SELECT id, path_id, position, kind, title, required, config_json FROM path_steps";

/// Who is asking, as the audience rules need it.
#[derive(Debug, Clone)]
pub struct Learner {
    pub user_id: i64,
    pub role: Role,
    pub job_role: Option<JobRole>,
    pub org: Option<(PartnerType, Tier)>,
    /// The place a link-started session is limited to, if any (see `SessionUser::scope`).
    pub scope: Option<String>,
}

impl Learner {
    pub async fn load(
        db: &Db,
        user_id: i64,
        role: Role,
        job_role: Option<JobRole>,
        org_id: Option<i64>,
    ) -> Result<Learner, sqlx::Error> {
        let org = match org_id {
            Some(org_id) => {
                let row: Option<(String, String)> =
                    sqlx::query_as("SELECT partner_type, tier FROM partner_orgs WHERE id = $1")
                        .bind(org_id)
                        .fetch_optional(&db.read)
                        .await?;
                row.and_then(|(kind, tier)| Some((PartnerType::parse(&kind)?, Tier::parse(&tier)?)))
            }
            None => None,
        };
        Ok(Learner {
            user_id,
            role,
            job_role,
            org,
            scope: None,
        })
    }

    pub fn may_open(&self, path: &PathRow) -> Result<bool, LearningError> {
        Ok(may_open_path(
            self.role,
            path.published(),
            &path.audience()?,
            self.org,
            self.job_role,
        ))
    }
}

/// Paths the learner may open: published ones for their audience (staff also see drafts).
pub async fn open_paths(db: &Db, learner: &Learner) -> Result<Vec<PathRow>, LearningError> {
    let rows: Vec<PathRow> = sqlx::query_as(&format!("{PATH_SELECT} ORDER BY id"))
        .fetch_all(&db.read)
        .await?;
    let mut open = Vec::with_capacity(rows.len());
    for row in rows {
        if learner.may_open(&row)? {
            open.push(row);
        }
    }
    Ok(open)
}

pub async fn path(db: &Db, path_id: i64) -> Result<Option<PathRow>, sqlx::Error> {
    sqlx::query_as(&format!("{PATH_SELECT} WHERE id = $1"))
        .bind(path_id)
        .fetch_optional(&db.read)
        .await
}

pub async fn steps(db: &Db, path_id: i64) -> Result<Vec<StepRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{STEP_SELECT} WHERE path_id = $1 ORDER BY position, id"
    ))
    .bind(path_id)
    .fetch_all(&db.read)
    .await
}

pub async fn step(db: &Db, step_id: i64) -> Result<Option<StepRow>, sqlx::Error> {
    sqlx::query_as(&format!("{STEP_SELECT} WHERE id = $1"))
        .bind(step_id)
        .fetch_optional(&db.read)
        .await
}

/// Every step of the given paths, grouped by path, in order.
pub async fn steps_of_all(db: &Db) -> Result<HashMap<i64, Vec<StepRow>>, sqlx::Error> {
    let rows: Vec<StepRow> =
        sqlx::query_as(&format!("{STEP_SELECT} ORDER BY path_id, position, id"))
            .fetch_all(&db.read)
            .await?;
    let mut grouped: HashMap<i64, Vec<StepRow>> = HashMap::new();
    for row in rows {
        grouped.entry(row.path_id).or_default().push(row);
    }
    Ok(grouped)
}

/// A learner's progress on one step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    pub position_secs: f64,
    pub done_at: Option<i64>,
}

pub async fn progress(db: &Db, user_id: i64) -> Result<HashMap<i64, Progress>, sqlx::Error> {
    let rows: Vec<(i64, f64, Option<i64>)> = sqlx::query_as(
        "SELECT step_id, position_secs, done_at FROM step_progress WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(step, position_secs, done_at)| {
            (
                step,
                Progress {
                    position_secs,
                    done_at,
                },
            )
        })
        .collect())
}

pub async fn completions(db: &Db, user_id: i64) -> Result<HashMap<i64, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT path_id, completed_at FROM path_completions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&db.read)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Unlocking state of each step, in order.
pub fn states(steps: &[StepRow], progress: &HashMap<i64, Progress>) -> Vec<StepState> {
    step_states(&step_progress(steps, progress))
}

pub fn step_progress(steps: &[StepRow], progress: &HashMap<i64, Progress>) -> Vec<StepProgress> {
    steps
        .iter()
        .map(|s| StepProgress {
            required: s.required == 1,
            done: progress.get(&s.id).is_some_and(|p| p.done_at.is_some()),
        })
        .collect()
}

/// Marks a step done (once: the first time counts) and records the path's completion if
/// this was the last required step. Returns the path's completion time, if complete.
pub async fn mark_done(
    db: &Db,
    user_id: i64,
    step_id: i64,
    now: i64,
) -> Result<Option<i64>, LearningError> {
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) VALUES ($1, $2, 0, $3, $3) \
         ON CONFLICT (user_id, step_id) DO UPDATE SET done_at = COALESCE(step_progress.done_at, excluded.done_at), \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(step_id)
    .bind(now)
    .execute(&db.write)
    .await?;
    let Some(step) = step(db, step_id).await? else {
        return Ok(None);
    };
    record_completion_if_complete(db, user_id, step.path_id, now).await
}

/// When the learner completed the path, if the completion is recorded. Reading only: pages
/// never write (an interrupted completion is healed by the certification job instead).
pub async fn completion_at(
    db: &Db,
    user_id: i64,
    path_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT completed_at FROM path_completions WHERE user_id = $1 AND path_id = $2",
    )
    .bind(user_id)
    .bind(path_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|(at,)| at))
}

/// Learners and paths with finished steps but no completion record, with the time of the
/// latest finished step: the candidates for a completion whose recording was interrupted
/// (the step was saved, the process stopped before the completion was written).
pub async fn unrecorded_completion_candidates(
    db: &Db,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT sp.user_id, s.path_id, MAX(sp.done_at) FROM step_progress sp \
         JOIN path_steps s ON s.id = sp.step_id \
         WHERE sp.done_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM path_completions pc \
         WHERE pc.user_id = sp.user_id AND pc.path_id = s.path_id) \
         GROUP BY sp.user_id, s.path_id ORDER BY sp.user_id, s.path_id",
    )
    .fetch_all(&db.read)
    .await
}

/// Writes the completion record when every required step is done, and issues any
/// certification it completes. Idempotent: the first completion stands. Returns the
/// completion time if the path is complete.
pub async fn record_completion_if_complete(
    db: &Db,
    user_id: i64,
    path_id: i64,
    now: i64,
) -> Result<Option<i64>, LearningError> {
    let steps = steps(db, path_id).await?;
    let progress = progress(db, user_id).await?;
    if steps.is_empty() || !is_complete(&step_progress(&steps, &progress)) {
        return Ok(None);
    }
    let version: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM learning_paths WHERE id = $1")
            .bind(path_id)
            .fetch_optional(&db.read)
            .await?;
    let Some((version,)) = version else {
        return Ok(None);
    };
    let mut tx = db.write.begin().await?;
    let recorded = sqlx::query(
        "INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, path_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(path_id)
    .bind(version)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if recorded.rows_affected() == 1 {
        // The learner's CRM contact carries the paths they completed.
        super::crm::enqueue(
            &mut *tx,
            crate::domain::crm::SyncKind::Contact,
            user_id,
            "path completed",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if recorded.rows_affected() == 1 {
        // This completion may complete a certification: issue it now rather than at the
        // job's next run. Only here, when the completion is new, so later saves on a
        // finished path (video positions every few seconds) do not repeat the work.
        let definitions = super::certifications::certifications(db).await?;
        super::certifications::issue_earned(db, &definitions, user_id).await?;
    }
    let (completed_at,): (i64,) = sqlx::query_as(
        "SELECT completed_at FROM path_completions WHERE user_id = $1 AND path_id = $2",
    )
    .bind(user_id)
    .bind(path_id)
    .fetch_one(&db.write)
    .await?;
    Ok(Some(completed_at))
}

/// Saves where the learner is in a video and credits the stretch since their previous
/// report if real time accounts for it (`domain::video`). Returns the seconds watched so
/// far. The row is locked, so two reports at once are compared one after the other.
pub async fn save_position(
    db: &Db,
    user_id: i64,
    step_id: i64,
    position_secs: f64,
    now: i64,
) -> Result<f64, LearningError> {
    use crate::domain::video::{LastReport, Watched};
    let mut tx = db.write.begin().await?;
    let previous: Option<(f64, i64, String)> = sqlx::query_as(&db.for_update(
        "SELECT position_secs, updated_at, watched_json FROM step_progress WHERE user_id = $1 AND step_id = $2",
    ))
    .bind(user_id)
    .bind(step_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (last, mut watched) = match previous {
        Some((position_secs, at_ms, json)) => (
            Some(LastReport {
                position_secs,
                at_ms,
            }),
            serde_json::from_str::<Watched>(&json)?,
        ),
        None => (None, Watched::default()),
    };
    watched.credit(last, position_secs, now);
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, updated_at, watched_json) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, step_id) DO UPDATE SET position_secs = excluded.position_secs, \
         updated_at = excluded.updated_at, watched_json = excluded.watched_json",
    )
    .bind(user_id)
    .bind(step_id)
    .bind(position_secs)
    .bind(now)
    .bind(serde_json::to_string(&watched)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(watched.seconds())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsvpOutcome {
    Booked,
    Cancelled,
    Full,
}

pub async fn attendee_count(db: &Db, step_id: i64) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM session_rsvps WHERE step_id = $1")
        .bind(step_id)
        .fetch_one(&db.read)
        .await?;
    Ok(count)
}

pub async fn is_attending(db: &Db, step_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT user_id FROM session_rsvps WHERE step_id = $1 AND user_id = $2")
            .bind(step_id)
            .bind(user_id)
            .fetch_optional(&db.read)
            .await?;
    Ok(row.is_some())
}

/// Books or releases a seat. The step row is locked while seats are counted, so two
/// learners cannot both take the last seat.
pub async fn rsvp(
    db: &Db,
    step_id: i64,
    user_id: i64,
    attending: bool,
    capacity: Option<i64>,
    now: i64,
) -> Result<RsvpOutcome, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    sqlx::query(&db.for_update("SELECT id FROM path_steps WHERE id = $1"))
        .bind(step_id)
        .execute(&mut *tx)
        .await?;
    if !attending {
        sqlx::query("DELETE FROM session_rsvps WHERE step_id = $1 AND user_id = $2")
            .bind(step_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(RsvpOutcome::Cancelled);
    }
    let (taken, mine): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0) FROM session_rsvps WHERE step_id = $1",
    )
    .bind(step_id)
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if mine == 0 && capacity.is_some_and(|c| taken >= c) {
        return Ok(RsvpOutcome::Full);
    }
    sqlx::query(
        "INSERT INTO session_rsvps (step_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (step_id, user_id) DO NOTHING",
    )
    .bind(step_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(RsvpOutcome::Booked)
}

pub async fn survey_answer(
    db: &Db,
    step_id: i64,
    user_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT rating, comment FROM survey_responses WHERE step_id = $1 AND user_id = $2",
    )
    .bind(step_id)
    .bind(user_id)
    .fetch_optional(&db.read)
    .await
}

/// Records (or replaces) the learner's survey answer.
pub async fn save_survey(
    db: &Db,
    step_id: i64,
    user_id: i64,
    rating: i64,
    comment: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO survey_responses (step_id, user_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (step_id, user_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at",
    )
    .bind(step_id)
    .bind(user_id)
    .bind(rating)
    .bind(comment)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A published required path, with when it was assigned (first published; paths published
/// before that was recorded count from their creation).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RequiredPath {
    pub id: i64,
    pub title: String,
    pub audience_json: String,
    pub assigned_at: i64,
}

pub async fn required_paths(db: &Db) -> Result<Vec<RequiredPath>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, audience_json, COALESCE(first_published_at, created_at) AS assigned_at \
         FROM learning_paths WHERE status = 'published' AND required = 1 ORDER BY id",
    )
    .fetch_all(&db.read)
    .await
}

/// The people in a required path's audience, each with their due date (`due_days` after
/// assignment). `None` when the stored audience cannot be read: logged, and the path is
/// left out rather than sent to everybody.
pub fn assignees<'a>(
    path: &RequiredPath,
    people: &'a [super::announcements::Recipient],
    due_days: i64,
) -> Option<Vec<(&'a super::announcements::Recipient, i64)>> {
    let audience: crate::domain::learning::Audience =
        match serde_json::from_str(&path.audience_json) {
            Ok(audience) => audience,
            Err(error) => {
                tracing::error!(path = path.id, %error, "unreadable audience; path left out");
                return None;
            }
        };
    Some(
        people
            .iter()
            .filter(|person| person.is_in(&audience))
            .map(|person| {
                let due_at = crate::domain::learning::training_due_at(
                    path.assigned_at,
                    person.joined_at,
                    due_days,
                );
                (person, due_at)
            })
            .collect(),
    )
}

/// When a required path was assigned, if it is a published required path.
pub async fn assigned_at(db: &Db, path_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT COALESCE(first_published_at, created_at) FROM learning_paths \
         WHERE id = $1 AND status = 'published' AND required = 1",
    )
    .bind(path_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|(at,)| at))
}

/// (person, path) pairs completed now, and those completed before and started over for a
/// recertification.
pub async fn completion_records(
    db: &Db,
) -> Result<(HashSet<(i64, i64)>, HashSet<(i64, i64)>), sqlx::Error> {
    let pairs = |sql: &'static str| async move {
        sqlx::query_as::<_, (i64, i64)>(sql)
            .fetch_all(&db.read)
            .await
            .map(|rows| rows.into_iter().collect::<HashSet<_>>())
    };
    Ok((
        pairs("SELECT user_id, path_id FROM path_completions").await?,
        pairs("SELECT DISTINCT user_id, path_id FROM path_completion_history").await?,
    ))
}

/// (person, path) pairs that need no overdue notice: completed, already told, or started
/// over for a recertification (the certificate's own reminders cover that).
pub async fn settled_required_training(
    db: &Db,
) -> Result<std::collections::HashSet<(i64, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_id, path_id FROM path_completions \
         UNION SELECT user_id, path_id FROM training_overdue_notices \
         UNION SELECT user_id, path_id FROM path_completion_history",
    )
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Records that `user_id` was told `path_id` is overdue and queues the email, once.
pub async fn flag_training_overdue(
    db: &Db,
    user_id: i64,
    path_id: i64,
    notice: &super::outbox::Notice,
    now: i64,
) -> Result<bool, sqlx::Error> {
    super::outbox::send_once(
        db,
        sqlx::query(
            "INSERT INTO training_overdue_notices (user_id, path_id, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, path_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(path_id)
        .bind(now),
        Vec::new(),
        std::slice::from_ref(notice),
        now,
    )
    .await
}
