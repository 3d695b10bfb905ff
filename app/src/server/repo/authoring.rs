//! Writing learning paths: import, export, and the authoring operations. Every edit bumps
//! the path's version; attempts in progress are unaffected because each attempt froze its
//! questions when it started.
use super::learning::{self, LearningError, StepRow};
use crate::domain::learning::Audience;
use crate::domain::quiz::review::QuestionFeedback;
use crate::domain::steps::StepSettings;
use crate::domain::transfer::{PathExport, QuestionExport, StepExport, FORMAT, FORMAT_VERSION};
use crate::server::db::Db;
use sqlx::{Any, Transaction};

/// A path in the authors' list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuthoredPath {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub required: i64,
    pub version: i64,
    pub step_count: i64,
    pub question_count: i64,
    pub completion_count: i64,
}

pub async fn list(db: &Db) -> Result<Vec<AuthoredPath>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.title, p.status, p.required, p.version, \
         (SELECT COUNT(*) FROM path_steps s WHERE s.path_id = p.id) AS step_count, \
         (SELECT COUNT(*) FROM quiz_questions q WHERE q.path_id = p.id AND q.retired_at IS NULL) AS question_count, \
         (SELECT COUNT(*) FROM path_completions c WHERE c.path_id = p.id) + \
         (SELECT COUNT(DISTINCT h.user_id) FROM path_completion_history h WHERE h.path_id = p.id \
         AND NOT EXISTS (SELECT 1 FROM path_completions c WHERE c.path_id = h.path_id AND c.user_id = h.user_id)) \
         AS completion_count \
         FROM learning_paths p ORDER BY p.title",
    )
    .fetch_all(&db.read)
    .await
}

async fn insert_step(
    tx: &mut Transaction<'_, Any>,
    path_id: i64,
    position: i64,
    title: &str,
    required: bool,
    settings: &StepSettings,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO path_steps (path_id, position, kind, title, required, config_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(path_id)
    .bind(position)
    .bind(settings.kind().as_str())
    .bind(title.trim())
    .bind(i64::from(required))
    .bind(settings.to_value().to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn insert_questions(
    tx: &mut Transaction<'_, Any>,
    path_id: i64,
    questions: &[QuestionExport],
    now: i64,
) -> Result<usize, LearningError> {
    for question in questions {
        sqlx::query(
            "INSERT INTO quiz_questions (path_id, content_json, key_json, feedback_json, tags, weight, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(path_id)
        .bind(serde_json::to_string(&question.content)?)
        .bind(serde_json::to_string(&question.key)?)
        .bind(serde_json::to_string(&question.feedback)?)
        .bind(
            question
                .tags
                .iter()
                .map(|t| t.trim().replace(',', " "))
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(","),
        )
        .bind(question.weight)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(questions.len())
}

/// Creates a path from an export, as a draft, in one transaction. The export must have
/// passed `transfer::import_problems`.
pub async fn import(db: &Db, export: &PathExport, now: i64) -> Result<i64, LearningError> {
    let mut tx = db.write.begin().await?;
    let (path_id,): (i64,) = sqlx::query_as(
        "INSERT INTO learning_paths (title, summary, audience_json, required, estimated_minutes, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $6) RETURNING id",
    )
    .bind(export.title.trim())
    .bind(export.summary.trim())
    .bind(serde_json::to_string(&export.audience)?)
    .bind(i64::from(export.required))
    .bind(export.estimated_minutes)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (position, step) in export.steps.iter().enumerate() {
        let settings = StepSettings::parse(step.kind, &step.settings.to_string())?;
        insert_step(
            &mut tx,
            path_id,
            position as i64,
            &step.title,
            step.required,
            &settings,
            now,
        )
        .await?;
    }
    insert_questions(&mut tx, path_id, &export.questions, now).await?;
    tx.commit().await?;
    Ok(path_id)
}

/// The whole path as JSON-ready data (retired questions left out).
pub async fn export(db: &Db, path_id: i64) -> Result<Option<PathExport>, LearningError> {
    let Some(path) = learning::path(db, path_id).await? else {
        return Ok(None);
    };
    let steps = learning::steps(db, path_id).await?;
    let rows: Vec<(String, String, String, String, f64)> = sqlx::query_as(
        "SELECT content_json, key_json, feedback_json, tags, weight FROM quiz_questions \
         WHERE path_id = $1 AND retired_at IS NULL ORDER BY id",
    )
    .bind(path_id)
    .fetch_all(&db.read)
    .await?;
    let questions = rows
        .into_iter()
        .map(|(content, key, feedback, tags, weight)| {
            question_from_row(&content, &key, &feedback, &tags, weight)
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    Ok(Some(PathExport {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        audience: path.audience()?,
        title: path.title,
        summary: path.summary,
        required: path.required == 1,
        estimated_minutes: path.estimated_minutes,
        steps: steps
            .iter()
            .map(|step| {
                Ok(StepExport {
                    kind: step.kind()?,
                    title: step.title.clone(),
                    required: step.required == 1,
                    settings: step.settings()?.to_value(),
                })
            })
            .collect::<Result<_, LearningError>>()?,
        questions,
    }))
}

/// The details an author edits on a path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathDetails {
    pub title: String,
    pub summary: String,
    pub audience: Audience,
    pub required: bool,
    pub estimated_minutes: i64,
}

pub async fn create_path(db: &Db, details: &PathDetails, now: i64) -> Result<i64, LearningError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO learning_paths (title, summary, audience_json, required, estimated_minutes, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $6) RETURNING id",
    )
    .bind(&details.title)
    .bind(&details.summary)
    .bind(serde_json::to_string(&details.audience)?)
    .bind(i64::from(details.required))
    .bind(details.estimated_minutes)
    .bind(now)
    .fetch_one(&db.write)
    .await?;
    Ok(id)
}

pub async fn update_path(
    db: &Db,
    path_id: i64,
    details: &PathDetails,
    now: i64,
) -> Result<bool, LearningError> {
    let updated = sqlx::query(
        "UPDATE learning_paths SET title = $1, summary = $2, audience_json = $3, required = $4, \
         estimated_minutes = $5, updated_at = $6, version = version + 1 WHERE id = $7",
    )
    .bind(&details.title)
    .bind(&details.summary)
    .bind(serde_json::to_string(&details.audience)?)
    .bind(i64::from(details.required))
    .bind(details.estimated_minutes)
    .bind(now)
    .bind(path_id)
    .execute(&db.write)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn set_published(
    db: &Db,
    path_id: i64,
    published: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    // The first publication assigns a required path; republishing keeps that date.
    let updated = sqlx::query(
        "UPDATE learning_paths SET status = $1, updated_at = $2, first_published_at = \
         CASE WHEN $1 = 'published' THEN COALESCE(first_published_at, $2) ELSE first_published_at END \
         WHERE id = $3",
    )
    .bind(if published { "published" } else { "draft" })
    .bind(now)
    .bind(path_id)
    .execute(&db.write)
    .await?;
    Ok(updated.rows_affected() == 1)
}

async fn touch(tx: &mut Transaction<'_, Any>, path_id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE learning_paths SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(path_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds a step at the end of the path.
pub async fn add_step(
    db: &Db,
    path_id: i64,
    title: &str,
    required: bool,
    settings: &StepSettings,
    now: i64,
) -> Result<i64, LearningError> {
    let mut tx = db.write.begin().await?;
    let (next,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(position) + 1, 0) FROM path_steps WHERE path_id = $1")
            .bind(path_id)
            .fetch_one(&mut *tx)
            .await?;
    let id = insert_step(&mut tx, path_id, next, title, required, settings, now).await?;
    touch(&mut tx, path_id, now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_step(
    db: &Db,
    step: &StepRow,
    title: &str,
    required: bool,
    settings: &StepSettings,
    now: i64,
) -> Result<(), LearningError> {
    let mut tx = db.write.begin().await?;
    sqlx::query("UPDATE path_steps SET title = $1, required = $2, config_json = $3 WHERE id = $4")
        .bind(title.trim())
        .bind(i64::from(required))
        .bind(settings.to_value().to_string())
        .bind(step.id)
        .execute(&mut *tx)
        .await?;
    touch(&mut tx, step.path_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a step one place up or down, renumbering positions densely.
pub async fn move_step(db: &Db, step: &StepRow, up: bool, now: i64) -> Result<(), LearningError> {
    let mut steps = learning::steps(db, step.path_id).await?;
    let Some(index) = steps.iter().position(|s| s.id == step.id) else {
        return Ok(());
    };
    let target = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1)
    };
    let Some(target) = target.filter(|t| *t < steps.len()) else {
        return Ok(());
    };
    steps.swap(index, target);
    let mut tx = db.write.begin().await?;
    for (position, row) in steps.iter().enumerate() {
        sqlx::query("UPDATE path_steps SET position = $1 WHERE id = $2")
            .bind(position as i64)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
    }
    touch(&mut tx, step.path_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a step. Refused (returns false) for a quiz step that has attempts: its history
/// belongs to the learners.
pub async fn delete_step(db: &Db, step: &StepRow, now: i64) -> Result<bool, LearningError> {
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM quiz_attempts WHERE step_id = $1")
            .bind(step.id)
            .fetch_one(&db.read)
            .await?;
    if attempts > 0 {
        return Ok(false);
    }
    let mut tx = db.write.begin().await?;
    sqlx::query("DELETE FROM path_steps WHERE id = $1")
        .bind(step.id)
        .execute(&mut *tx)
        .await?;
    touch(&mut tx, step.path_id, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A question in the authors' bank list.
#[derive(Debug, Clone, PartialEq)]
pub struct BankQuestion {
    pub id: i64,
    pub export: QuestionExport,
}

pub async fn bank(db: &Db, path_id: i64) -> Result<Vec<BankQuestion>, LearningError> {
    let rows: Vec<(i64, String, String, String, String, f64)> = sqlx::query_as(
        "SELECT id, content_json, key_json, feedback_json, tags, weight FROM quiz_questions \
         WHERE path_id = $1 AND retired_at IS NULL ORDER BY id",
    )
    .bind(path_id)
    .fetch_all(&db.read)
    .await?;
    rows.into_iter()
        .map(|(id, content, key, feedback, tags, weight)| {
            Ok(BankQuestion {
                id,
                export: question_from_row(&content, &key, &feedback, &tags, weight)?,
            })
        })
        .collect()
}

/// A bank row (JSON columns and comma-separated tags) as an exportable question.
fn question_from_row(
    content: &str,
    key: &str,
    feedback: &str,
    tags: &str,
    weight: f64,
) -> Result<QuestionExport, serde_json::Error> {
    Ok(QuestionExport {
        content: serde_json::from_str(content)?,
        key: serde_json::from_str(key)?,
        feedback: serde_json::from_str::<QuestionFeedback>(feedback)?,
        tags: tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        weight,
    })
}

pub async fn add_questions(
    db: &Db,
    path_id: i64,
    questions: &[QuestionExport],
    now: i64,
) -> Result<usize, LearningError> {
    let mut tx = db.write.begin().await?;
    let added = insert_questions(&mut tx, path_id, questions, now).await?;
    touch(&mut tx, path_id, now).await?;
    tx.commit().await?;
    Ok(added)
}

/// Retires a question: new attempts no longer draw it; past attempts keep their copy.
pub async fn retire_question(
    db: &Db,
    path_id: i64,
    question_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let updated = sqlx::query(
        "UPDATE quiz_questions SET retired_at = $1 WHERE id = $2 AND path_id = $3 AND retired_at IS NULL",
    )
    .bind(now)
    .bind(question_id)
    .bind(path_id)
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, path_id, now).await?;
    tx.commit().await?;
    Ok(updated.rows_affected() == 1)
}

/// Attempts per step of a path (steps without attempts left out).
pub async fn attempt_counts(
    db: &Db,
    path_id: i64,
) -> Result<std::collections::HashMap<i64, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, COUNT(a.id) FROM path_steps s LEFT JOIN quiz_attempts a ON a.step_id = s.id \
         WHERE s.path_id = $1 GROUP BY s.id",
    )
    .bind(path_id)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.into_iter().collect())
}
