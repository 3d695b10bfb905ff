//! Authoring learning paths (vendor admins and partner managers): create, edit, reorder,
//! publish, move content between deployments as JSON, and read quiz item statistics.
use crate::domain::steps::StepKind;
use crate::error::AppError;
use crate::model::{AuthoredPathSummary, PathDetailsInput, PathEditorData, QuizStatistics};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::steps::{StepKind, StepSettings};
    use crate::domain::transfer::check_title;
    use crate::domain::validation::FieldError;
    use crate::error::AppError;
    use crate::model::PathDetailsInput;
    use crate::server::repo::authoring::PathDetails;
    use crate::server::repo::learning::{self, StepRow};
    use crate::server::AppState;

    /// Tells everyone a newly published path targets, each with a link straight into it
    /// (single use, short-lived, limited to that module). Queued in the outbox.
    pub async fn announce_new_module(
        state: &AppState,
        path: &learning::PathRow,
    ) -> Result<(), AppError> {
        use crate::server::repo::{announcements, outbox};
        let audience = path.audience()?;
        let place = crate::server::links::path_place(path.id);
        let now = state.clock.now_ms();
        // Required paths are assigned by publication and fall due a fixed time after.
        let assigned = learning::assigned_at(&state.db, path.id).await?;
        let due_days = crate::server::repo::channel::settings(&state.db)
            .await?
            .required_training_due_days;
        let mut notices = Vec::new();
        for person in announcements::recipients(&state.db).await? {
            if !person.is_in(&audience) {
                continue;
            }
            let link = crate::server::links::place_link(state, person.user_id, &place).await?;
            let due = assigned
                .map(|at| {
                    format!(
                        "\nIt is required: please finish it by {}.\n",
                        crate::domain::channel::explain::protection_date(
                            crate::domain::learning::training_due_at(
                                at,
                                person.joined_at,
                                due_days,
                            )
                        )
                    )
                })
                .unwrap_or_default();
            let body = format!(
                "Hello {},\n\nA new learning module is ready for you: {}.\n{}\n{due}\nOpen it directly \
                 ({}):\n\n{link}\n",
                person.name,
                path.title,
                path.summary,
                crate::server::links::link_terms(state)
            );
            notices.push(outbox::Notice {
                event: crate::domain::notifications::Event::ModulePublished,
                to: person.email,
                subject: format!("New module: {}", path.title),
                body,
                // A question about the module, answered by email, reaches the channel team.
                thread: Some(crate::server::mail::thread(
                    state,
                    crate::domain::replies::ReplyTopic::Module(path.id),
                )),
            });
        }
        let queued = notices.len();
        outbox::queue_notices(&state.db, &notices, now).await?;
        if queued > 0 {
            state.mailer.wake();
        }
        tracing::info!(path_id = path.id, queued, "new module announced");
        Ok(())
    }

    pub fn details(input: PathDetailsInput) -> Result<PathDetails, AppError> {
        let mut problems = Vec::new();
        let title = check_title(&input.title).map_err(|p| problems.push(p)).ok();
        if input.summary.chars().count() > 1000 {
            problems.push(FieldError::new(
                "summary",
                "Keep the summary under 1,000 characters.",
            ));
        }
        if !(0..=10_000).contains(&input.estimated_minutes) {
            problems.push(FieldError::new(
                "estimated_minutes",
                "Enter a duration between 0 and 10,000 minutes.",
            ));
        }
        match title {
            Some(title) if problems.is_empty() => Ok(PathDetails {
                title,
                summary: input.summary.trim().to_string(),
                audience: input.audience,
                required: input.required,
                estimated_minutes: input.estimated_minutes,
            }),
            _ => Err(AppError::Validation(problems)),
        }
    }

    /// Parses and checks step settings typed by an author, with errors on named fields.
    pub fn settings(kind: StepKind, json: &str) -> Result<StepSettings, AppError> {
        let settings = StepSettings::parse(kind, json).map_err(|error| {
            AppError::field(
                "settings",
                format!(
                    "These settings are not valid for a {} step: {error}",
                    kind.label()
                ),
            )
        })?;
        let problems = settings.problems();
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(AppError::Validation(problems))
        }
    }

    pub async fn existing_step(state: &AppState, step_id: i64) -> Result<StepRow, AppError> {
        learning::step(&state.db, step_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn existing_path(
        state: &AppState,
        path_id: i64,
    ) -> Result<learning::PathRow, AppError> {
        learning::path(&state.db, path_id)
            .await?
            .ok_or(AppError::NotFound)
    }
}

/// Every path, drafts included, with counts.
#[server]
pub async fn list_authored_paths() -> Result<Vec<AuthoredPathSummary>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    Ok(authoring::list(&state.db)
        .await?
        .into_iter()
        .map(|p| AuthoredPathSummary {
            path_id: p.id,
            title: p.title,
            published: p.status == "published",
            required: p.required == 1,
            version: p.version,
            step_count: p.step_count,
            question_count: p.question_count,
            completion_count: p.completion_count,
        })
        .collect())
}

/// A path with its steps and question bank, for the editor.
#[server]
pub async fn load_path_editor(path_id: i64) -> Result<PathEditorData, AppError> {
    use crate::domain::access::Policy;
    use crate::model::{EditorQuestion, EditorStep};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{authoring, learning};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let path = imp::existing_path(&state, path_id).await?;
    let steps = learning::steps(&state.db, path_id).await?;
    let attempt_counts = authoring::attempt_counts(&state.db, path_id).await?;
    let mut editor_steps = Vec::with_capacity(steps.len());
    for step in &steps {
        let settings = step.settings()?;
        editor_steps.push(EditorStep {
            step_id: step.id,
            kind: step.kind()?,
            title: step.title.clone(),
            required: step.required == 1,
            settings_json: serde_json::to_string_pretty(&settings.to_value()).unwrap_or_default(),
            settings: crate::domain::step_form::StepForm::from_settings(&settings),
            attempt_count: attempt_counts.get(&step.id).copied().unwrap_or(0),
        });
    }
    let questions = authoring::bank(&state.db, path_id)
        .await?
        .into_iter()
        .map(|q| EditorQuestion {
            question_id: q.id,
            kind: q.export.content.kind,
            answer: crate::domain::quiz::review::describe_key(&q.export.content, &q.export.key),
            prompt: q.export.content.prompt.clone(),
            content: q.export.content,
            tags: q.export.tags,
        })
        .collect();
    Ok(PathEditorData {
        path_id,
        published: path.published(),
        version: path.version,
        details: PathDetailsInput {
            audience: path.audience()?,
            title: path.title,
            summary: path.summary,
            required: path.required == 1,
            estimated_minutes: path.estimated_minutes,
        },
        steps: editor_steps,
        questions,
    })
}

/// Creates a path (as a draft) when `path_id` is empty, otherwise updates its details. A
/// form post; a new path's author is sent on to its editor.
#[server]
pub async fn save_path(path_id: Option<i64>, details: PathDetailsInput) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let details = imp::details(details)?;
    let now = state.clock.now_ms();
    match path_id {
        None => {
            let id = authoring::create_path(&state.db, &details, now).await?;
            crate::server::guard::redirect_form_post(&format!("/author/{id}"));
            Ok(id)
        }
        Some(id) => {
            if authoring::update_path(&state.db, id, &details, now).await? {
                Ok(id)
            } else {
                Err(AppError::NotFound)
            }
        }
    }
}

/// Publishes (after checking the path is complete enough to take) or unpublishes a path.
#[server]
pub async fn set_path_published(path_id: i64, published: bool) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::domain::transfer::import_problems;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    if published {
        let export = authoring::export(&state.db, path_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let problems = import_problems(&export);
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
    }
    let before = crate::server::repo::learning::path(&state.db, path_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !authoring::set_published(&state.db, path_id, published, state.clock.now_ms()).await? {
        return Err(AppError::NotFound);
    }
    if published && !before.published() {
        imp::announce_new_module(&state, &before).await?;
    }
    Ok(())
}

/// Adds a step (no `step_id`) or edits one. The kind's settings come as form fields
/// (`settings[field]`, each mistake named at its field) or, for scripts, as `settings_json`;
/// a new step with neither starts from the kind's defaults. A form post (an unticked
/// `required` is absent).
#[server]
pub async fn save_step(
    path_id: i64,
    step_id: Option<i64>,
    kind: StepKind,
    title: String,
    #[server(default)] required: bool,
    #[server(default)] settings: Option<crate::domain::step_form::StepForm>,
    #[server(default)] settings_json: String,
) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let title = title.trim().to_string();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(AppError::field(
            "step_title",
            "Give the step a title of up to 120 characters.",
        ));
    }
    if let Some(problem) = crate::domain::validation::one_line_problem("step_title", &title) {
        return Err(problem.into());
    }
    let settings = match (settings, settings_json.trim().is_empty()) {
        (Some(form), true) => form.to_settings(kind).map_err(AppError::Validation)?,
        (None, true) if step_id.is_none() => {
            imp::settings(kind, crate::domain::steps::settings_template(kind))?
        }
        (_, _) => imp::settings(kind, &settings_json)?,
    };
    imp::existing_path(&state, path_id).await?;
    let now = state.clock.now_ms();
    match step_id {
        None => {
            Ok(authoring::add_step(&state.db, path_id, &title, required, &settings, now).await?)
        }
        Some(step_id) => {
            let step = imp::existing_step(&state, step_id).await?;
            if step.path_id != path_id {
                return Err(AppError::NotFound);
            }
            if step.kind()? != kind {
                return Err(AppError::field(
                    "kind",
                    "A step's kind cannot change; add a new step instead.",
                ));
            }
            use crate::domain::steps::StepSettings;
            let settings = match (settings, step.settings()?) {
                (StepSettings::LiveSession(new), StepSettings::LiveSession(old)) => {
                    StepSettings::LiveSession(new.revised_from(&old))
                }
                (settings, _) => settings,
            };
            authoring::update_step(&state.db, &step, &title, required, &settings, now).await?;
            Ok(step_id)
        }
    }
}

#[server]
pub async fn move_step(step_id: i64, up: bool) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let step = imp::existing_step(&state, step_id).await?;
    authoring::move_step(&state.db, &step, up, state.clock.now_ms()).await?;
    Ok(())
}

/// Markdown rendered as the player renders it (same renderer and sanitizer), for the
/// editor's live preview. Staff only; bounded like a saved document.
#[server]
pub async fn preview_markdown(markdown: String) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::step_form::MAX_MARKDOWN_CHARS;
    use crate::server::guard::authorize;
    authorize(Policy::VendorStaff).await?;
    if markdown.chars().count() > MAX_MARKDOWN_CHARS {
        return Err(AppError::field(
            "markdown",
            format!("Keep the document under {MAX_MARKDOWN_CHARS} characters."),
        ));
    }
    Ok(crate::server::markdown::render_markdown(&markdown))
}

/// Deletes a step, once the author has ticked the confirmation (`confirm`): learners'
/// progress on it goes with it.
#[server]
pub async fn delete_step(step_id: i64, #[server(default)] confirm: bool) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    if !confirm {
        return Err(AppError::field(
            "confirm",
            "Tick the box to confirm: deleting a step cannot be undone.",
        ));
    }
    let step = imp::existing_step(&state, step_id).await?;
    if authoring::delete_step(&state.db, &step, state.clock.now_ms()).await? {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Learners have attempts at this quiz, so it cannot be deleted. Unpublish the path or edit the quiz instead.".into(),
        ))
    }
}

/// Adds questions to a path's bank from JSON (an array in the export format).
#[server]
pub async fn add_questions(path_id: i64, questions_json: String) -> Result<usize, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::transfer::{check_question, QuestionExport};
    use crate::domain::validation::FieldError;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let questions: Vec<QuestionExport> =
        serde_json::from_str(&questions_json).map_err(|error| {
            AppError::field(
                "questions_json",
                format!("This is not a list of questions in the export format: {error}"),
            )
        })?;
    if questions.is_empty() {
        return Err(AppError::field(
            "questions_json",
            "Add at least one question.",
        ));
    }
    let problems: Vec<FieldError> = questions
        .iter()
        .enumerate()
        .filter_map(|(index, q)| {
            check_question(&q.content, &q.key).err().map(|message| {
                FieldError::new(
                    "questions_json",
                    format!("Question {}: {message}", index + 1),
                )
            })
        })
        .collect();
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    imp::existing_path(&state, path_id).await?;
    Ok(authoring::add_questions(&state.db, path_id, &questions, state.clock.now_ms()).await?)
}

/// Adds one question written through its kind's form (`question[field]`), every mistake
/// named at its field; checked by the same rules as an import.
#[server]
pub async fn add_question(
    path_id: i64,
    kind: String,
    #[server(default)] question: crate::domain::question_form::QuestionForm,
) -> Result<usize, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::question_form::KINDS;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let kind = KINDS
        .iter()
        .find(|(_, slug, _)| *slug == kind.trim())
        .map(|(kind, ..)| *kind)
        .ok_or_else(|| AppError::field("kind", "Choose a kind of question."))?;
    let export = question.to_export(kind).map_err(AppError::Validation)?;
    imp::existing_path(&state, path_id).await?;
    Ok(authoring::add_questions(&state.db, path_id, &[export], state.clock.now_ms()).await?)
}

/// Takes a question out of future draws; attempts that drew it keep their copy.
#[server]
pub async fn retire_question(path_id: i64, question_id: i64) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    if authoring::retire_question(&state.db, path_id, question_id, state.clock.now_ms()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Where the browser downloads a path's export (`export_path` as a file).
pub fn path_export_url(path_id: i64) -> String {
    format!("/author/{path_id}/export.json")
}

/// The whole path (steps, settings, question bank with keys) as pretty JSON.
#[server]
pub async fn export_path(path_id: i64) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let export = authoring::export(&state.db, path_id)
        .await?
        .ok_or(AppError::NotFound)?;
    serde_json::to_string_pretty(&export).map_err(|error| {
        tracing::error!(%error, "could not serialize a path export");
        AppError::Internal
    })
}

/// Creates a draft path from an export. Nothing is written unless all of it is valid.
#[server]
pub async fn import_path(json: String) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::transfer::{import_problems, PathExport};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::authoring;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    if json.len() > 5_000_000 {
        return Err(AppError::field(
            "json",
            "This file is too large to import (5 MB at most).",
        ));
    }
    let export: PathExport = serde_json::from_str(&json).map_err(|error| {
        AppError::field(
            "json",
            format!("This is not a learning path export: {error}"),
        )
    })?;
    let problems = import_problems(&export);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let id = authoring::import(&state.db, &export, state.clock.now_ms()).await?;
    crate::server::guard::redirect_form_post(&format!("/author/{id}"));
    Ok(id)
}

/// Pass rate, mean score, and facility and discrimination per question of one quiz.
#[server]
pub async fn load_quiz_statistics(step_id: i64) -> Result<QuizStatistics, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::quiz::stats::{item_stats, needs_review};
    use crate::domain::steps::StepSettings;
    use crate::model::ItemStatistic;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::quiz;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let step = imp::existing_step(&state, step_id).await?;
    let StepSettings::Quiz(config) = step.settings()? else {
        return Err(AppError::NotFound);
    };
    let scores = quiz::submitted_scores(&state.db, step_id).await?;
    let count = scores.len();
    let policy = config.policy();
    let mean = (count > 0).then(|| scores.iter().sum::<f64>() / count as f64);
    let pass_rate = (count > 0).then(|| {
        100.0 * scores.iter().filter(|s| policy.passed(**s)).count() as f64 / count as f64
    });
    let prompts = quiz::question_prompts(&state.db, step.path_id).await?;
    let mut items: Vec<ItemStatistic> = quiz::item_observations(&state.db, step_id)
        .await?
        .into_iter()
        .filter_map(|(question_id, observations)| {
            let stats = item_stats(&observations)?;
            Some(ItemStatistic {
                question_id,
                prompt: prompts.get(&question_id).cloned().unwrap_or_default(),
                attempts: stats.attempts,
                facility: stats.facility,
                discrimination: stats.discrimination,
                needs_review: needs_review(&stats),
            })
        })
        .collect();
    // Questions worth a look first, then the hardest.
    items.sort_by(|a, b| {
        b.needs_review
            .cmp(&a.needs_review)
            .then(a.facility.total_cmp(&b.facility))
    });
    Ok(QuizStatistics {
        step_id,
        title: step.title,
        path_id: step.path_id,
        submitted_attempts: count as i64,
        pass_rate_percent: pass_rate,
        mean_score_percent: mean,
        items,
    })
}
