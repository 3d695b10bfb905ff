//! Quiz attempts: start or resume, autosave, submit. The attempt row is the unit of
//! consistency: saves and the submit serialise on it (one writer on SQLite, a row lock on
//! PostgreSQL), so no answer saved before submission is left out of the grade.
use crate::domain::quiz::attempts::{score_percent, AttemptRecord, StartDecision};
use crate::domain::quiz::content::{QuestionContent, QuestionKind, QuizConfig};
use crate::domain::quiz::draw::{draw, shuffle, BankEntry, SeededRng};
use crate::domain::quiz::grading::{grade, AnswerKey, OptionId, Response};
use crate::domain::quiz::relabel::relabel;
use crate::domain::quiz::review::{review_question, topics_to_review, QuestionFeedback};
use crate::model::Retry;
pub use crate::model::{AttemptReview, AttemptView, QuestionView, SubmitResult};
use crate::server::db::Db;
use crate::server::repo::learning::{self, LearningError};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored quiz data is malformed: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error(transparent)]
    Learning(#[from] LearningError),
}

// ---- Authoring (used by seeding and, later, the authoring UI) ----

pub async fn insert_path(
    db: &Db,
    title: &str,
    published: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO learning_paths (title, status, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(title)
    .bind(if published { "published" } else { "draft" })
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

pub async fn insert_quiz_step(
    db: &Db,
    path_id: i64,
    position: i64,
    title: &str,
    config: &QuizConfig,
    now: i64,
) -> Result<i64, QuizError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO path_steps (path_id, position, kind, title, required, config_json, created_at) \
         VALUES ($1, $2, 'quiz', $3, 1, $4, $5) RETURNING id",
    )
    .bind(path_id)
    .bind(position)
    .bind(title)
    .bind(serde_json::to_string(config)?)
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

pub async fn insert_question(
    db: &Db,
    path_id: i64,
    content: &QuestionContent,
    key: &AnswerKey,
    tags: &[&str],
    now: i64,
) -> Result<i64, QuizError> {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    insert_question_with_feedback(
        db,
        path_id,
        content,
        key,
        &QuestionFeedback::default(),
        &tags,
        now,
    )
    .await
}

pub async fn insert_question_with_feedback(
    db: &Db,
    path_id: i64,
    content: &QuestionContent,
    key: &AnswerKey,
    feedback: &QuestionFeedback,
    tags: &[String],
    now: i64,
) -> Result<i64, QuizError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO quiz_questions (path_id, content_json, key_json, feedback_json, tags, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(path_id)
    .bind(serde_json::to_string(content)?)
    .bind(serde_json::to_string(key)?)
    .bind(serde_json::to_string(feedback)?)
    .bind(tags.join(","))
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

pub async fn quiz_config(db: &Db, step_id: i64) -> Result<Option<QuizConfig>, QuizError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT config_json FROM path_steps WHERE id = $1 AND kind = 'quiz'")
            .bind(step_id)
            .fetch_optional(&db.read)
            .await?;
    Ok(row.map(|(json,)| serde_json::from_str(&json)).transpose()?)
}

// ---- Attempts ----

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub step_id: i64,
    pub user_id: i64,
    pub attempt_number: i64,
    pub started_at: i64,
    pub deadline_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub score_percent: Option<f64>,
    /// Set when a recertification started the quiz's path over.
    pub cycle_closed_at: Option<i64>,
}

impl AttemptRow {
    pub fn record(&self) -> AttemptRecord {
        AttemptRecord {
            started_at: self.started_at,
            submitted_at: self.submitted_at,
            score_percent: self.score_percent,
        }
    }
}

const ATTEMPT_SELECT: &str = "SELECT id, step_id, user_id, attempt_number, started_at, deadline_at, submitted_at, score_percent, cycle_closed_at FROM quiz_attempts";

/// Every attempt of a learner at a quiz, in order, across recertification cycles.
async fn attempt_history(
    db: &Db,
    step_id: i64,
    user_id: i64,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ATTEMPT_SELECT} WHERE step_id = $1 AND user_id = $2 ORDER BY attempt_number"
    ))
    .bind(step_id)
    .bind(user_id)
    .fetch_all(&db.write)
    .await
}

/// The current cycle's attempts: those a recertification closed are kept for the record
/// but no longer count for passing, attempt limits or what a review may show.
fn current_cycle(history: Vec<AttemptRow>) -> Vec<AttemptRow> {
    history
        .into_iter()
        .filter(|a| a.cycle_closed_at.is_none())
        .collect()
}

/// A learner's attempts at a quiz in the current cycle.
pub async fn attempts_for(
    db: &Db,
    step_id: i64,
    user_id: i64,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    Ok(current_cycle(attempt_history(db, step_id, user_id).await?))
}

pub async fn attempt(db: &Db, attempt_id: i64) -> Result<Option<AttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!("{ATTEMPT_SELECT} WHERE id = $1"))
        .bind(attempt_id)
        .fetch_optional(&db.write)
        .await
}

#[derive(Debug, Clone, PartialEq)]
pub enum StartOutcome {
    Started(i64),
    Resumed(i64),
    Refused(StartDecision),
}

/// Starts a new attempt, or returns the open one. Two simultaneous starts create one attempt.
pub async fn start_or_resume(
    db: &Db,
    step_id: i64,
    user_id: i64,
    config: &QuizConfig,
    now: i64,
    seed: u64,
) -> Result<StartOutcome, QuizError> {
    let policy = config.policy();
    // One read for both, so two simultaneous starts claim the same number and one loses.
    let history = attempt_history(db, step_id, user_id).await?;
    let next_number = history.last().map_or(0, |a| a.attempt_number) + 1;
    let attempts = current_cycle(history);
    let records: Vec<_> = attempts.iter().map(AttemptRow::record).collect();
    match policy.decide_start(&records, now) {
        StartDecision::Start => {}
        StartDecision::Resume { index } => return Ok(StartOutcome::Resumed(attempts[index].id)),
        refused => return Ok(StartOutcome::Refused(refused)),
    }
    // Close attempts that ran out of time before opening the next one.
    for expired in attempts.iter().filter(|a| a.submitted_at.is_none()) {
        submit(db, expired.id, config, now).await?;
    }

    let bank: Vec<(i64, String, String, String, f64, String)> = sqlx::query_as(
        "SELECT q.id, q.tags, q.content_json, q.key_json, q.weight, q.feedback_json FROM quiz_questions q \
         JOIN path_steps s ON s.path_id = q.path_id WHERE s.id = $1 AND q.retired_at IS NULL ORDER BY q.id",
    )
    .bind(step_id)
    .fetch_all(&db.read)
    .await?;
    let entries: Vec<BankEntry> = bank
        .iter()
        .map(|(id, tags, ..)| BankEntry {
            id: *id,
            tags: tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        })
        .collect();
    let drawn = draw(
        &entries,
        config.draw_count.unwrap_or(entries.len()),
        &config.draw_tags,
        seed,
    );

    let mut tx = db.write.begin().await?;
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at, deadline_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(step_id)
    .bind(user_id)
    .bind(next_number)
    .bind(seed as i64)
    .bind(now)
    .bind(policy.time_limit_ms.map(|limit| now + limit))
    .fetch_one(&mut *tx)
    .await;
    let attempt_id = match inserted {
        Ok((id,)) => id,
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            // Another request started this attempt a moment ago: use theirs.
            drop(tx);
            let current = attempts_for(db, step_id, user_id).await?;
            let open = current
                .iter()
                .find(|a| a.submitted_at.is_none())
                .map(|a| a.id);
            return Ok(open
                .map(StartOutcome::Resumed)
                .unwrap_or(StartOutcome::Refused(StartDecision::Start)));
        }
        Err(other) => return Err(other.into()),
    };
    let mut rng = SeededRng::new(seed);
    for (position, question_id) in drawn.iter().enumerate() {
        let Some((_, _, content_json, key_json, weight, feedback_json)) =
            bank.iter().find(|row| row.0 == *question_id)
        else {
            continue;
        };
        let mut content: QuestionContent = serde_json::from_str(content_json)?;
        // Ordering items and matching targets are always shuffled: as authored they would
        // give the answer away.
        if config.shuffle_options || content.kind == QuestionKind::Ordering {
            shuffle(&mut content.options, &mut rng);
        }
        if config.shuffle_options || content.kind == QuestionKind::Matching {
            shuffle(&mut content.targets, &mut rng);
        }
        // Ids as authored would reveal the order and pairs; the attempt gets unpredictable
        // ones (a CSPRNG, not the stored seed) and a key written in them.
        let key: AnswerKey = serde_json::from_str(key_json)?;
        let (content, key) = relabel(&content, &key, &mut || rand::random::<OptionId>());
        sqlx::query(
            "INSERT INTO attempt_questions (attempt_id, position, question_id, content_json, key_json, weight, feedback_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(attempt_id)
        .bind(position as i64)
        .bind(question_id)
        .bind(serde_json::to_string(&content)?)
        .bind(serde_json::to_string(&key)?)
        .bind(weight)
        .bind(feedback_json)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(StartOutcome::Started(attempt_id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// A newer save of this question already arrived; this one changed nothing.
    Stale,
    /// Submitted, or past the deadline and its grace.
    Closed,
    UnknownQuestion,
    UnknownAttempt,
}

/// Saves one answer. Safe to retry: the same or an older `client_seq` changes nothing.
pub async fn save_answer(
    db: &Db,
    attempt_id: i64,
    question_id: i64,
    response: &Response,
    client_seq: i64,
    config: &QuizConfig,
    now: i64,
) -> Result<SaveOutcome, QuizError> {
    let mut tx = db.write.begin().await?;
    let row: Option<AttemptRow> =
        sqlx::query_as(&db.for_update(&format!("{ATTEMPT_SELECT} WHERE id = $1")))
            .bind(attempt_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(attempt) = row else {
        return Ok(SaveOutcome::UnknownAttempt);
    };
    if !config.policy().accepts_answers(&attempt.record(), now) {
        return Ok(SaveOutcome::Closed);
    }
    let (asked,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM attempt_questions WHERE attempt_id = $1 AND question_id = $2",
    )
    .bind(attempt_id)
    .bind(question_id)
    .fetch_one(&mut *tx)
    .await?;
    if asked == 0 {
        return Ok(SaveOutcome::UnknownQuestion);
    }
    let written = sqlx::query(
        "INSERT INTO attempt_answers (attempt_id, question_id, response_json, client_seq, saved_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (attempt_id, question_id) DO UPDATE SET response_json = excluded.response_json, \
         client_seq = excluded.client_seq, saved_at = excluded.saved_at \
         WHERE attempt_answers.client_seq < excluded.client_seq",
    )
    .bind(attempt_id)
    .bind(question_id)
    .bind(serde_json::to_string(response)?)
    .bind(client_seq)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(if written.rows_affected() == 1 {
        SaveOutcome::Saved
    } else {
        SaveOutcome::Stale
    })
}

/// Grades and closes the attempt. Submitting again returns the same result. An attempt
/// past its deadline counts as submitted at the deadline.
pub async fn submit(
    db: &Db,
    attempt_id: i64,
    config: &QuizConfig,
    now: i64,
) -> Result<Option<SubmitResult>, QuizError> {
    let policy = config.policy();
    let mut tx = db.write.begin().await?;
    let row: Option<AttemptRow> =
        sqlx::query_as(&db.for_update(&format!("{ATTEMPT_SELECT} WHERE id = $1")))
            .bind(attempt_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(attempt) = row else { return Ok(None) };
    if let (Some(submitted_at), Some(score)) = (attempt.submitted_at, attempt.score_percent) {
        drop(tx);
        let passed = policy.passed(score);
        if passed {
            // Heals a pass whose progress record was interrupted; a no-op otherwise.
            learning::mark_done(db, attempt.user_id, attempt.step_id, submitted_at).await?;
        }
        return Ok(Some(SubmitResult {
            attempt_id,
            score_percent: score,
            passed,
        }));
    }
    let questions: Vec<(i64, String, f64)> =
        sqlx::query_as("SELECT question_id, key_json, weight FROM attempt_questions WHERE attempt_id = $1 ORDER BY position")
            .bind(attempt_id)
            .fetch_all(&mut *tx)
            .await?;
    let answers: Vec<(i64, String)> = sqlx::query_as(
        "SELECT question_id, response_json FROM attempt_answers WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_all(&mut *tx)
    .await?;
    let responses: BTreeMap<i64, Response> = answers
        .into_iter()
        .filter_map(|(id, json)| {
            serde_json::from_str(&json)
                .ok()
                .map(|response| (id, response))
        })
        .collect();
    let mut scores = Vec::with_capacity(questions.len());
    for (question_id, key_json, weight) in &questions {
        let key: AnswerKey = serde_json::from_str(key_json)?;
        scores.push((grade(&key, responses.get(question_id)).score, *weight));
    }
    let score = score_percent(&scores);
    let submitted_at = attempt
        .deadline_at
        .map_or(now, |deadline| now.min(deadline));
    sqlx::query("UPDATE quiz_attempts SET submitted_at = $1, score_percent = $2 WHERE id = $3 AND submitted_at IS NULL")
        .bind(submitted_at)
        .bind(score)
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let passed = policy.passed(score);
    if passed {
        learning::mark_done(db, attempt.user_id, attempt.step_id, submitted_at).await?;
    }
    Ok(Some(SubmitResult {
        attempt_id,
        score_percent: score,
        passed,
    }))
}

/// The attempt as its learner sees it: questions, saved answers, and once submitted, the
/// review the quiz allows.
pub async fn attempt_view(
    db: &Db,
    attempt_id: i64,
    config: &QuizConfig,
    now: i64,
) -> Result<Option<AttemptView>, QuizError> {
    let Some(attempt) = attempt(db, attempt_id).await? else {
        return Ok(None);
    };
    let Some(step) = learning::step(db, attempt.step_id).await? else {
        return Ok(None);
    };
    let questions: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT a.question_id, a.content_json, a.key_json, a.feedback_json, COALESCE(q.tags, '') \
         FROM attempt_questions a LEFT JOIN quiz_questions q ON q.id = a.question_id \
         WHERE a.attempt_id = $1 ORDER BY a.position",
    )
    .bind(attempt_id)
    .fetch_all(&db.write)
    .await?;
    let saved: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT question_id, response_json, client_seq FROM attempt_answers WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_all(&db.write)
    .await?;
    let answers: BTreeMap<i64, (Response, i64)> = saved
        .into_iter()
        .map(|(id, json, seq)| Ok((id, (serde_json::from_str(&json)?, seq))))
        .collect::<Result<_, serde_json::Error>>()?;
    let mut views = Vec::with_capacity(questions.len());
    let mut parsed = Vec::with_capacity(questions.len());
    for (question_id, content_json, key_json, feedback_json, tags) in &questions {
        let content: QuestionContent = serde_json::from_str(content_json)?;
        views.push(QuestionView {
            question_id: *question_id,
            content: content.clone(),
        });
        let tags: Vec<String> = tags.split(',').map(str::to_string).collect();
        parsed.push((*question_id, content, key_json, feedback_json, tags));
    }
    let review = match (attempt.submitted_at, attempt.score_percent) {
        (Some(_), Some(score)) => {
            let policy = config.policy();
            let rows = attempts_for(db, attempt.step_id, attempt.user_id).await?;
            let history: Vec<_> = rows.iter().map(AttemptRow::record).collect();
            let level = if attempt.cycle_closed_at.is_some() {
                policy.review_of_earlier_cycle(&history)
            } else {
                policy.review(&history)
            };
            let mut reviews = Vec::with_capacity(parsed.len());
            let mut outcomes = Vec::with_capacity(parsed.len());
            for (question_id, content, key_json, feedback_json, tags) in &parsed {
                let key: AnswerKey = serde_json::from_str(key_json)?;
                let feedback: QuestionFeedback = serde_json::from_str(feedback_json)?;
                let response = answers.get(question_id).map(|(r, _)| r);
                outcomes.push((tags.as_slice(), grade(&key, response).outcome.into()));
                reviews.push(review_question(
                    *question_id,
                    content,
                    &key,
                    &feedback,
                    response,
                    level,
                ));
            }
            // What comes next is read from this cycle's attempts, as starting one would.
            let retry = match policy.decide_start(&history, now) {
                StartDecision::Start => Retry::Now,
                StartDecision::Resume { index } => Retry::Resume(rows[index].id),
                StartDecision::AlreadyPassed => Retry::Passed,
                StartDecision::NoAttemptsLeft => Retry::NoAttemptsLeft,
                StartDecision::CoolingDown { until } => Retry::OpensAt(until),
            };
            Some(AttemptReview {
                score_percent: score,
                passed: policy.passed(score),
                pass_mark_percent: config.pass_mark_percent,
                questions: reviews,
                topics: topics_to_review(outcomes),
                attempts_left: config.max_attempts.map(|max| {
                    max.saturating_sub(u32::try_from(history.len()).unwrap_or(u32::MAX))
                }),
                retry,
            })
        }
        _ => None,
    };
    Ok(Some(AttemptView {
        attempt_id,
        deadline_at: attempt.deadline_at,
        submitted_at: attempt.submitted_at,
        questions: views,
        answers,
        server_now: now,
        path_id: step.path_id,
        step_id: step.id,
        quiz_title: step.title,
        review,
    }))
}

/// Submits every attempt whose time ran out. Correct when run late, twice, or in several
/// instances at once (submit is idempotent). Returns how many it closed.
pub async fn submit_expired(db: &Db, now: i64) -> Result<usize, QuizError> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, step_id FROM quiz_attempts WHERE submitted_at IS NULL AND deadline_at IS NOT NULL AND deadline_at < $1",
    )
    .bind(now - crate::domain::quiz::attempts::DEADLINE_GRACE_MS)
    .fetch_all(&db.read)
    .await?;
    let mut closed = 0;
    for (attempt_id, step_id) in due {
        let Some(config) = quiz_config(db, step_id).await? else {
            continue;
        };
        if submit(db, attempt_id, &config, now).await?.is_some() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Per-question observations over every submitted attempt of a quiz step: the item's score
/// and the weighted score on the rest of that attempt, for facility and discrimination.
pub async fn item_observations(
    db: &Db,
    step_id: i64,
) -> Result<BTreeMap<i64, Vec<crate::domain::quiz::stats::ItemObservation>>, QuizError> {
    use crate::domain::quiz::stats::ItemObservation;
    let questions: Vec<(i64, i64, String, f64)> = sqlx::query_as(
        "SELECT aq.attempt_id, aq.question_id, aq.key_json, aq.weight FROM attempt_questions aq \
         JOIN quiz_attempts a ON a.id = aq.attempt_id \
         WHERE a.step_id = $1 AND a.submitted_at IS NOT NULL ORDER BY aq.attempt_id, aq.position",
    )
    .bind(step_id)
    .fetch_all(&db.read)
    .await?;
    let answers: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT an.attempt_id, an.question_id, an.response_json FROM attempt_answers an \
         JOIN quiz_attempts a ON a.id = an.attempt_id WHERE a.step_id = $1 AND a.submitted_at IS NOT NULL",
    )
    .bind(step_id)
    .fetch_all(&db.read)
    .await?;
    let responses: BTreeMap<(i64, i64), Response> = answers
        .into_iter()
        .filter_map(|(attempt, question, json)| {
            serde_json::from_str(&json)
                .ok()
                .map(|r| ((attempt, question), r))
        })
        .collect();
    // Item score (fraction) and its weight, per attempt.
    let mut by_attempt: BTreeMap<i64, Vec<(i64, f64, f64)>> = BTreeMap::new();
    for (attempt, question, key_json, weight) in &questions {
        let key: AnswerKey = serde_json::from_str(key_json)?;
        let score = grade(&key, responses.get(&(*attempt, *question))).score;
        by_attempt
            .entry(*attempt)
            .or_default()
            .push((*question, score, *weight));
    }
    let mut observations: BTreeMap<i64, Vec<ItemObservation>> = BTreeMap::new();
    for items in by_attempt.values() {
        let total: f64 = items.iter().map(|(_, score, weight)| score * weight).sum();
        for (question, score, weight) in items {
            observations
                .entry(*question)
                .or_default()
                .push(ItemObservation {
                    item_score: *score,
                    rest_score: total - score * weight,
                });
        }
    }
    Ok(observations)
}

/// Questions a path's quizzes can draw from now (retired ones left out).
pub async fn bank_size(db: &Db, path_id: i64) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM quiz_questions WHERE path_id = $1 AND retired_at IS NULL",
    )
    .bind(path_id)
    .fetch_one(&db.read)
    .await?;
    Ok(count)
}

/// Scores (percent) of every submitted attempt at a quiz step.
pub async fn submitted_scores(db: &Db, step_id: i64) -> Result<Vec<f64>, sqlx::Error> {
    let rows: Vec<(f64,)> = sqlx::query_as(
        "SELECT score_percent FROM quiz_attempts WHERE step_id = $1 AND submitted_at IS NOT NULL AND score_percent IS NOT NULL",
    )
    .bind(step_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().map(|(score,)| score).collect())
}

/// The prompt of every question in a path's bank, retired ones included (past attempts
/// may have drawn them). Unreadable rows are left out.
pub async fn question_prompts(
    db: &Db,
    path_id: i64,
) -> Result<std::collections::HashMap<i64, String>, sqlx::Error> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, content_json FROM quiz_questions WHERE path_id = $1")
            .bind(path_id)
            .fetch_all(&db.read)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| {
            serde_json::from_str::<QuestionContent>(&json)
                .ok()
                .map(|content| (id, content.prompt))
        })
        .collect())
}
