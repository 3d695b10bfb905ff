//! The learner's side of learning paths: catalog, player, and finishing steps. Every function
//! checks that the caller may open the path (audience, drafts) and that the step is unlocked.
use crate::error::AppError;
use crate::model::{CatalogEntry, ComplianceReport, PlayerData, StepDone};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod imp {
    use crate::domain::learning::{catalog_order, progress_percent, CatalogKey, StepState};
    use crate::domain::quiz::attempts::StartDecision;
    use crate::domain::quiz::content::QuizConfig;
    use crate::domain::steps::{seats_left, StepKind, StepSettings};
    use crate::error::AppError;
    use crate::model::{
        AttemptSummary, CatalogEntry, CurrentCertificate, PathOverview, QuizOverview, StepBody,
        StepDone, StepSummary, StepView,
    };
    use crate::server::guard::Actor;
    use crate::server::repo::learning::{self, Learner, LearningError, PathRow, StepRow};
    use crate::server::repo::quiz;
    use crate::server::AppState;

    impl From<LearningError> for AppError {
        #[track_caller]
        fn from(error: LearningError) -> Self {
            match error {
                LearningError::Database(error) => error.into(),
                LearningError::Corrupt(error) => {
                    tracing::error!(%error, "stored learning data is malformed");
                    AppError::Internal
                }
            }
        }
    }

    pub async fn learner(state: &AppState, actor: &Actor) -> Result<Learner, AppError> {
        let learner = Learner::load(
            &state.db,
            actor.user.id,
            actor.user.role,
            actor.user.job_role,
            actor.user.partner_org_id,
        )
        .await?;
        Ok(Learner {
            scope: actor.user.scope.clone(),
            ..learner
        })
    }

    /// A path the learner may open, with its steps and the learner's progress.
    pub struct OpenPath {
        pub path: PathRow,
        pub steps: Vec<StepRow>,
        pub states: Vec<StepState>,
        pub progress: std::collections::HashMap<i64, learning::Progress>,
    }

    impl OpenPath {
        pub fn index_of(&self, step_id: i64) -> Option<usize> {
            self.steps.iter().position(|s| s.id == step_id)
        }

        pub fn next_open_step(&self) -> Option<i64> {
            first_available(&self.steps, &self.states)
        }
    }

    /// The first step the learner can take now.
    fn first_available(steps: &[StepRow], states: &[StepState]) -> Option<i64> {
        steps
            .iter()
            .zip(states)
            .find(|(_, state)| **state == StepState::Available)
            .map(|(step, _)| step.id)
    }

    pub async fn open_path(
        state: &AppState,
        learner: &Learner,
        path_id: i64,
    ) -> Result<OpenPath, AppError> {
        // A session started by a link to another module counts as signed out here.
        if !crate::server::guard::scope_reaches(
            learner.scope.as_deref(),
            &crate::server::links::path_place(path_id),
        ) {
            return Err(AppError::Unauthenticated);
        }
        let path = learning::path(&state.db, path_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !learner.may_open(&path)? {
            return Err(AppError::NotFound);
        }
        let steps = learning::steps(&state.db, path_id).await?;
        let progress = learning::progress(&state.db, learner.user_id).await?;
        let states = learning::states(&steps, &progress);
        Ok(OpenPath {
            path,
            steps,
            states,
            progress,
        })
    }

    /// The path of a step the learner may open and act on (not locked), and the step.
    pub async fn unlocked_step(
        state: &AppState,
        learner: &Learner,
        step_id: i64,
        expected: StepKind,
    ) -> Result<(OpenPath, StepRow), AppError> {
        let step = learning::step(&state.db, step_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let open = open_path(state, learner, step.path_id).await?;
        if step.kind()? != expected {
            return Err(AppError::NotFound);
        }
        let index = open.index_of(step_id).ok_or(AppError::NotFound)?;
        if open.states[index] == StepState::Locked {
            return Err(AppError::Conflict(
                "Finish the earlier steps of this path first.".into(),
            ));
        }
        Ok((open, step))
    }

    /// The result of finishing a step, with where to go next. Call after the step's
    /// progress is saved.
    pub async fn step_done(
        state: &AppState,
        learner: &Learner,
        path_id: i64,
        step_id: i64,
    ) -> Result<StepDone, AppError> {
        let open = open_path(state, learner, path_id).await?;
        // Marking a step done already recorded any completion; here it is only read.
        let completed_at = learning::completions(&state.db, learner.user_id)
            .await?
            .get(&path_id)
            .copied();
        let step_done = open
            .progress
            .get(&step_id)
            .is_some_and(|p| p.done_at.is_some());
        Ok(StepDone {
            step_done,
            path_completed_at: completed_at,
            next_step_id: open.next_open_step(),
        })
    }

    pub async fn catalog(
        state: &AppState,
        learner: &Learner,
    ) -> Result<Vec<CatalogEntry>, AppError> {
        let paths = learning::open_paths(&state.db, learner).await?;
        let mut all_steps = learning::steps_of_all(&state.db).await?;
        let progress = learning::progress(&state.db, learner.user_id).await?;
        let completions = learning::completions(&state.db, learner.user_id).await?;
        let recertify_by = crate::server::repo::certifications::recertification_deadlines(
            &state.db,
            learner.user_id,
        )
        .await?;
        let mut certified = crate::server::repo::certifications::current_by_path(
            &state.db,
            learner.user_id,
            state.clock.now_ms(),
        )
        .await?;
        let mut entries: Vec<CatalogEntry> = paths
            .into_iter()
            .map(|path| {
                let steps = all_steps.remove(&path.id).unwrap_or_default();
                let step_progress = learning::step_progress(&steps, &progress);
                let states = learning::states(&steps, &progress);
                CatalogEntry {
                    path_id: path.id,
                    title: path.title,
                    summary: path.summary,
                    required: path.required == 1,
                    estimated_minutes: path.estimated_minutes,
                    step_count: steps.len(),
                    progress_percent: progress_percent(&step_progress),
                    started: steps.iter().any(|s| progress.contains_key(&s.id)),
                    completed_at: completions.get(&path.id).copied(),
                    next_step_id: first_available(&steps, &states),
                    recertify_by: recertify_by.get(&path.id).copied(),
                    certified: certified
                        .remove(&path.id)
                        .filter(|_| {
                            !recertify_by.contains_key(&path.id)
                                && !completions.contains_key(&path.id)
                        })
                        .map(|(name, expires_at)| CurrentCertificate { name, expires_at }),
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            catalog_order(
                &CatalogKey {
                    required: a.required,
                    complete: a.completed_at.is_some() || a.certified.is_some(),
                    title: &a.title,
                },
                &CatalogKey {
                    required: b.required,
                    complete: b.completed_at.is_some() || b.certified.is_some(),
                    title: &b.title,
                },
            )
        });
        Ok(entries)
    }

    /// The current certificates a completed path counts towards, with the rights each
    /// grants, for the path's celebration.
    pub async fn earned(
        state: &AppState,
        user_id: i64,
        path_id: i64,
    ) -> Result<Vec<crate::model::EarnedCertificate>, AppError> {
        use crate::server::repo::certifications;
        let held =
            certifications::current_for_path(&state.db, user_id, path_id, state.clock.now_ms())
                .await?;
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let rules = certifications::right_rules(&state.db).await?;
        Ok(held
            .into_iter()
            .map(|(id, name, expires_at)| crate::model::EarnedCertificate {
                name,
                expires_at,
                unlocks: rules
                    .iter()
                    .filter(|rule| rule.certification_id == id)
                    .map(|rule| rule.right.label())
                    .collect(),
            })
            .collect())
    }

    pub fn overview(open: &OpenPath, completed_at: Option<i64>) -> Result<PathOverview, AppError> {
        let steps = open
            .steps
            .iter()
            .zip(&open.states)
            .map(|(step, state)| {
                Ok(StepSummary {
                    step_id: step.id,
                    kind: step.kind()?,
                    title: step.title.clone(),
                    required: step.required == 1,
                    state: *state,
                })
            })
            .collect::<Result<Vec<_>, LearningError>>()?;
        Ok(PathOverview {
            path_id: open.path.id,
            title: open.path.title.clone(),
            summary: open.path.summary.clone(),
            required: open.path.required == 1,
            published: open.path.published(),
            estimated_minutes: open.path.estimated_minutes,
            progress_percent: progress_percent(&learning::step_progress(
                &open.steps,
                &open.progress,
            )),
            completed_at,
            steps,
        })
    }

    pub async fn quiz_overview(
        state: &AppState,
        step: &StepRow,
        config: &QuizConfig,
        user_id: i64,
    ) -> Result<QuizOverview, AppError> {
        let policy = config.policy();
        let now = state.clock.now_ms();
        let attempts = quiz::attempts_for(&state.db, step.id, user_id).await?;
        let records: Vec<_> = attempts.iter().map(quiz::AttemptRow::record).collect();
        let bank_size = quiz::bank_size(&state.db, step.path_id).await?;
        let question_count = config
            .draw_count
            .map_or(bank_size as usize, |n| n.min(bank_size as usize));
        let (start_blocked, cooldown_until, open_attempt_id) =
            match policy.decide_start(&records, now) {
                StartDecision::Start => (None, None, None),
                StartDecision::Resume { index } => (None, None, Some(attempts[index].id)),
                StartDecision::AlreadyPassed => {
                    (Some("You have passed this quiz.".to_string()), None, None)
                }
                StartDecision::NoAttemptsLeft => (
                    Some(
                        "You have used all your attempts. Ask your partner manager for another."
                            .to_string(),
                    ),
                    None,
                    None,
                ),
                StartDecision::CoolingDown { until } => (
                    Some("You can try again after a short break.".to_string()),
                    Some(until),
                    None,
                ),
            };
        Ok(QuizOverview {
            pass_mark_percent: config.pass_mark_percent,
            max_attempts: config.max_attempts,
            time_limit_secs: config.time_limit_secs,
            question_count,
            passed: records
                .iter()
                .any(|r| r.score_percent.is_some_and(|s| policy.passed(s))),
            open_attempt_id,
            attempts: attempts
                .iter()
                .map(|a| AttemptSummary {
                    attempt_id: a.id,
                    attempt_number: a.attempt_number,
                    started_at: a.started_at,
                    submitted_at: a.submitted_at,
                    score_percent: a.score_percent,
                    passed: a.score_percent.is_some_and(|s| policy.passed(s)),
                })
                .collect(),
            start_blocked,
            cooldown_until,
        })
    }

    pub async fn step_view(
        state: &AppState,
        open: &OpenPath,
        index: usize,
        user_id: i64,
    ) -> Result<StepView, AppError> {
        let step = &open.steps[index];
        let step_state = open.states[index];
        let body = if step_state == StepState::Locked {
            StepBody::Locked
        } else {
            match step.settings()? {
                StepSettings::Video(video) => StepBody::Video {
                    src: video.src,
                    captions_src: video.captions_src,
                    captions_language: video.captions_language,
                    position_secs: open.progress.get(&step.id).map_or(0.0, |p| p.position_secs),
                    duration_secs: video.duration_secs,
                },
                StepSettings::Document(document) => StepBody::Document {
                    html: crate::server::markdown::render_markdown(&document.markdown),
                },
                StepSettings::Quiz(config) => {
                    StepBody::Quiz(quiz_overview(state, step, &config, user_id).await?)
                }
                StepSettings::LiveSession(session) => {
                    let attending = learning::is_attending(&state.db, step.id, user_id).await?;
                    let taken = learning::attendee_count(&state.db, step.id).await?;
                    // Opaque and stable: keyed on this deployment's secret (unique among
                    // deployments), free of the host name (which may change).
                    let uid = format!(
                        "live-session-{}@partner-portal",
                        &crate::server::crypto::token_hash(
                            &state.settings.secret_key,
                            &format!("ics:live-session:{}", step.id)
                        )[..32]
                    );
                    let ics = crate::domain::ics::live_session_ics(
                        &crate::domain::ics::LiveSessionEvent {
                            uid: &uid,
                            sequence: session.sequence,
                            title: &step.title,
                            description: &format!("{} — {}", open.path.title, session.host),
                            join_url: &session.join_url,
                            starts_at_ms: session.starts_at,
                            duration_minutes: session.duration_minutes,
                            stamped_at_ms: state.clock.now_ms(),
                        },
                    );
                    StepBody::LiveSession {
                        starts_at: session.starts_at,
                        duration_minutes: session.duration_minutes,
                        host: session.host,
                        join_url: attending.then_some(session.join_url),
                        seats_left: seats_left(session.capacity, taken),
                        attending,
                        ics,
                    }
                }
                StepSettings::Survey(survey) => StepBody::Survey {
                    question: survey.question,
                    answer: learning::survey_answer(&state.db, step.id, user_id).await?,
                },
            }
        };
        Ok(StepView {
            step_id: step.id,
            title: step.title.clone(),
            kind: step.kind()?,
            required: step.required == 1,
            state: step_state,
            body,
        })
    }
}

/// The paths targeted to the caller, with progress; required and unfinished first.
#[server]
pub async fn load_catalog() -> Result<Vec<CatalogEntry>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let learner = imp::learner(&state, &actor).await?;
    imp::catalog(&state, &learner).await
}

/// A path and one of its steps (by default the next one to take).
#[server]
pub async fn load_player(path_id: i64, step_id: Option<i64>) -> Result<PlayerData, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::learning;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let learner = imp::learner(&state, &actor).await?;
    let open = imp::open_path(&state, &learner, path_id).await?;
    // Read only: a page never records anything (the certification job heals a completion
    // whose recording was interrupted).
    let completed_at = learning::completion_at(&state.db, learner.user_id, path_id).await?;
    let index = match step_id {
        Some(id) => Some(open.index_of(id).ok_or(AppError::NotFound)?),
        None => open
            .next_open_step()
            .and_then(|id| open.index_of(id))
            .or(if open.steps.is_empty() { None } else { Some(0) }),
    };
    let step = match index {
        Some(index) => Some(imp::step_view(&state, &open, index, learner.user_id).await?),
        None => None,
    };
    let earned = match completed_at {
        Some(_) => imp::earned(&state, learner.user_id, path_id).await?,
        None => Vec::new(),
    };
    Ok(PlayerData {
        path: imp::overview(&open, completed_at)?,
        step,
        earned,
    })
}

/// Marks a document as read.
#[server]
pub async fn complete_document(step_id: i64) -> Result<StepDone, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::steps::StepKind;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::learning;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let learner = imp::learner(&state, &actor).await?;
    let (open, _) = imp::unlocked_step(&state, &learner, step_id, StepKind::Document).await?;
    learning::mark_done(&state.db, learner.user_id, step_id, state.clock.now_ms()).await?;
    let done = imp::step_done(&state, &learner, open.path.id, step_id).await?;
    crate::server::guard::redirect_form_post(&player_link(
        open.path.id,
        done.next_step_id.or(Some(step_id)),
    ));
    Ok(done)
}

/// Saves the playback position of a video; reaching 90 % marks it watched. Sent every few
/// seconds while playing, on pause, and with `sendBeacon` when the page is hidden.
#[server]
pub async fn save_video_position(
    step_id: i64,
    position_secs: f64,
    duration_secs: Option<f64>,
) -> Result<StepDone, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::steps::{StepKind, StepSettings};
    use crate::domain::video::Watched;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::learning;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    if !position_secs.is_finite() || !(0.0..=24.0 * 3600.0).contains(&position_secs) {
        return Err(AppError::field(
            "position_secs",
            "The playback position must be a time within the video.",
        ));
    }
    let learner = imp::learner(&state, &actor).await?;
    let (open, step) = imp::unlocked_step(&state, &learner, step_id, StepKind::Video).await?;
    // The configured duration wins over what the browser reports.
    let duration = match step.settings()? {
        StepSettings::Video(video) => video.duration_secs.or(duration_secs),
        _ => None,
    };
    let now = state.clock.now_ms();
    let watched =
        learning::save_position(&state.db, learner.user_id, step_id, position_secs, now).await?;
    if Watched::covers(watched, duration) {
        learning::mark_done(&state.db, learner.user_id, step_id, now).await?;
    }
    imp::step_done(&state, &learner, open.path.id, step_id).await
}

/// Books (or releases) a seat at a live session. Booking counts the step as done.
#[server]
pub async fn rsvp_live_session(step_id: i64, attending: bool) -> Result<StepDone, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::steps::{StepKind, StepSettings};
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::learning::{self, RsvpOutcome};
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    let learner = imp::learner(&state, &actor).await?;
    let (open, step) = imp::unlocked_step(&state, &learner, step_id, StepKind::LiveSession).await?;
    let StepSettings::LiveSession(session) = step.settings()? else {
        return Err(AppError::NotFound);
    };
    let now = state.clock.now_ms();
    if attending && session.starts_at + session.duration_minutes * 60_000 < now {
        return Err(AppError::Conflict(
            "This session has already taken place.".into(),
        ));
    }
    match learning::rsvp(
        &state.db,
        step_id,
        learner.user_id,
        attending,
        session.capacity,
        now,
    )
    .await?
    {
        RsvpOutcome::Full => {
            return Err(AppError::Conflict(
                "This session is full. Watch for the next date in announcements.".into(),
            ))
        }
        RsvpOutcome::Booked => {
            learning::mark_done(&state.db, learner.user_id, step_id, now).await?;
        }
        RsvpOutcome::Cancelled => {}
    }
    crate::server::guard::redirect_form_post(&player_link(open.path.id, Some(step_id)));
    imp::step_done(&state, &learner, open.path.id, step_id).await
}

pub const MAX_SURVEY_COMMENT_CHARS: usize = 2000;

/// Answers a step's "was this useful?" survey (1–5 and an optional comment).
#[server]
pub async fn answer_survey(
    step_id: i64,
    rating: i64,
    comment: String,
) -> Result<StepDone, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::steps::StepKind;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::learning;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    if !(1..=5).contains(&rating) {
        return Err(AppError::field("rating", "Choose a rating from 1 to 5."));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_SURVEY_COMMENT_CHARS {
        return Err(AppError::field(
            "comment",
            format!("Keep the comment under {MAX_SURVEY_COMMENT_CHARS} characters."),
        ));
    }
    let learner = imp::learner(&state, &actor).await?;
    let (open, _) = imp::unlocked_step(&state, &learner, step_id, StepKind::Survey).await?;
    let now = state.clock.now_ms();
    learning::save_survey(&state.db, step_id, learner.user_id, rating, comment, now).await?;
    learning::mark_done(&state.db, learner.user_id, step_id, now).await?;
    let done = imp::step_done(&state, &learner, open.path.id, step_id).await?;
    crate::server::guard::redirect_form_post(&player_link(
        open.path.id,
        done.next_step_id.or(Some(step_id)),
    ));
    Ok(done)
}

/// How every required path's audience stands (done, recertifying, not yet due, overdue with
/// names), for vendor staff chasing compliance.
#[server]
pub async fn load_training_compliance() -> Result<ComplianceReport, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::learning::{training_standing, TrainingStanding};
    use crate::model::{OverduePerson, PathCompliance};
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{announcements, channel, learning};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let due_days = channel::settings(&state.db)
        .await?
        .required_training_due_days;
    let people = announcements::recipients(&state.db).await?;
    let (completed, recertifying) = learning::completion_records(&state.db).await?;
    let mut paths = Vec::new();
    for path in learning::required_paths(&state.db).await? {
        let Some(assignees) = learning::assignees(&path, &people, due_days) else {
            continue;
        };
        let mut report = PathCompliance {
            path_id: path.id,
            title: path.title.clone(),
            assigned: 0,
            done: 0,
            recertifying: 0,
            pending: 0,
            overdue: Vec::new(),
        };
        for (person, due_at) in assignees {
            let key = (person.user_id, path.id);
            report.assigned += 1;
            match training_standing(
                due_at,
                completed.contains(&key),
                recertifying.contains(&key),
                now,
            ) {
                TrainingStanding::Done => report.done += 1,
                TrainingStanding::Recertifying => report.recertifying += 1,
                TrainingStanding::Pending => report.pending += 1,
                TrainingStanding::Overdue => report.overdue.push(OverduePerson {
                    name: person.name.clone(),
                    org_name: person.org_name.clone(),
                    due_at,
                }),
            }
        }
        report.overdue.sort_by(|a, b| {
            a.due_at
                .cmp(&b.due_at)
                .then_with(|| a.org_name.cmp(&b.org_name))
                .then_with(|| a.name.cmp(&b.name))
        });
        paths.push(report);
    }
    Ok(ComplianceReport { due_days, paths })
}

/// The player URL of a path, optionally at one step.
pub fn player_link(path_id: i64, step_id: Option<i64>) -> String {
    match step_id {
        Some(step) => format!("/learn/{path_id}?step={step}"),
        None => format!("/learn/{path_id}"),
    }
}
