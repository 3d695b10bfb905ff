//! Taking quizzes. Every function checks that the caller may open the step's path, and that
//! an attempt belongs to the caller (others' attempts look like they do not exist).
use crate::domain::quiz::grading::Response;
use crate::error::AppError;
use crate::model::{AttemptView, SubmitResult};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::quiz::content::QuizConfig;
    use crate::domain::steps::{StepKind, StepSettings};
    use crate::error::AppError;
    use crate::server::guard::Actor;
    use crate::server::repo::quiz::{self, AttemptRow, QuizError};
    use crate::server::AppState;

    impl From<QuizError> for AppError {
        #[track_caller]
        fn from(error: QuizError) -> Self {
            match error {
                QuizError::Database(error) => error.into(),
                QuizError::Learning(error) => error.into(),
                QuizError::Corrupt(error) => {
                    tracing::error!(%error, "stored quiz data is malformed");
                    AppError::Internal
                }
            }
        }
    }

    /// The quiz settings of a step the actor may open and that is unlocked for them.
    pub async fn open_step(
        state: &AppState,
        actor: &Actor,
        step_id: i64,
    ) -> Result<QuizConfig, AppError> {
        let learner = crate::api::learning::imp::learner(state, actor).await?;
        let (_, step) =
            crate::api::learning::imp::unlocked_step(state, &learner, step_id, StepKind::Quiz)
                .await?;
        match step.settings()? {
            StepSettings::Quiz(config) => Ok(config),
            _ => Err(AppError::NotFound),
        }
    }

    /// The actor's own attempt and its quiz settings. Ownership is the whole check: the step
    /// was open when the attempt started, and answers to an open attempt are always kept
    /// (even if the path is unpublished meanwhile). This keeps autosave to a few queries.
    pub async fn own_attempt(
        state: &AppState,
        actor: &Actor,
        attempt_id: i64,
    ) -> Result<(AttemptRow, QuizConfig), AppError> {
        let attempt = quiz::attempt(&state.db, attempt_id)
            .await?
            .filter(|a| a.user_id == actor.user.id)
            .ok_or(AppError::NotFound)?;
        // A session started by a link to one module reaches only that module's attempts.
        if actor.user.scope.is_some() {
            let step = crate::server::repo::learning::step(&state.db, attempt.step_id)
                .await?
                .ok_or(AppError::NotFound)?;
            actor.require_place(&crate::server::links::path_place(step.path_id))?;
        }
        let config = quiz::quiz_config(&state.db, attempt.step_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((attempt, config))
    }
}

/// Starts a quiz attempt, or resumes the open one, and returns its questions (no answers).
#[server]
pub async fn start_quiz(step_id: i64) -> Result<AttemptView, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::quiz::attempts::StartDecision;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::quiz::{self, StartOutcome};
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let config = imp::open_step(&state, &actor, step_id).await?;
    let seed = rand::random::<u64>();
    let attempt_id = match quiz::start_or_resume(
        &state.db,
        step_id,
        actor.user.id,
        &config,
        state.clock.now_ms(),
        seed,
    )
    .await?
    {
        StartOutcome::Started(id) | StartOutcome::Resumed(id) => id,
        StartOutcome::Refused(StartDecision::AlreadyPassed) => {
            return Err(AppError::Conflict(
                "You have already passed this quiz.".into(),
            ))
        }
        StartOutcome::Refused(StartDecision::NoAttemptsLeft) => {
            return Err(AppError::Conflict(
                "You have used all your attempts at this quiz.".into(),
            ))
        }
        StartOutcome::Refused(StartDecision::CoolingDown { until }) => {
            let wait_secs = ((until - state.clock.now_ms()) / 1000).max(1);
            return Err(AppError::RateLimited {
                retry_after_secs: wait_secs,
            });
        }
        StartOutcome::Refused(_) => {
            return Err(AppError::Conflict(
                "This quiz cannot be started right now.".into(),
            ))
        }
    };
    crate::server::guard::redirect_form_post(&format!("/quiz/{attempt_id}"));
    quiz::attempt_view(&state.db, attempt_id, &config, state.clock.now_ms())
        .await?
        .ok_or(AppError::NotFound)
}

/// The caller's attempt, with every saved answer, to resume on any device.
#[server]
pub async fn quiz_attempt(attempt_id: i64) -> Result<AttemptView, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let (_, config) = imp::own_attempt(&state, &actor, attempt_id).await?;
    crate::server::repo::quiz::attempt_view(&state.db, attempt_id, &config, state.clock.now_ms())
        .await?
        .ok_or(AppError::NotFound)
}

/// Autosaves one answer. Retries are harmless; returns the sequence number now stored.
#[server(input = Json)]
pub async fn save_quiz_answer(
    attempt_id: i64,
    question_id: i64,
    response: Response,
    client_seq: i64,
) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::quiz::{self, SaveOutcome};
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    if let Some(problem) = response.size_problem() {
        return Err(AppError::field("response", problem));
    }
    let (_, config) = imp::own_attempt(&state, &actor, attempt_id).await?;
    match quiz::save_answer(
        &state.db,
        attempt_id,
        question_id,
        &response,
        client_seq,
        &config,
        state.clock.now_ms(),
    )
    .await?
    {
        SaveOutcome::Saved | SaveOutcome::Stale => Ok(client_seq),
        SaveOutcome::Closed => Err(AppError::Conflict(
            "This attempt has ended. Answers saved before the end were submitted.".into(),
        )),
        SaveOutcome::UnknownQuestion => Err(AppError::field(
            "question_id",
            "That question is not part of this attempt.",
        )),
        SaveOutcome::UnknownAttempt => Err(AppError::NotFound),
    }
}

/// Submits and grades the caller's attempt. Submitting twice returns the same result.
#[server]
pub async fn submit_quiz(attempt_id: i64) -> Result<SubmitResult, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let (_, config) = imp::own_attempt(&state, &actor, attempt_id).await?;
    crate::server::repo::quiz::submit(&state.db, attempt_id, &config, state.clock.now_ms())
        .await?
        .ok_or(AppError::NotFound)
}
