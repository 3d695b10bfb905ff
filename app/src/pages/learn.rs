//! The learner's catalog of paths and the path player.
use crate::api::learning::{
    load_catalog, load_player, player_link, AnswerSurvey, CompleteDocument, RsvpLiveSession,
};
use crate::api::training::StartQuiz;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, last_error, ticked_before, typed_before, FormError, SubmitButton,
};
use crate::components::load::loaded;
use crate::components::raw_text::textarea_text;
use crate::components::time::LocalTime;
use crate::components::video::LessonVideo;
use crate::domain::learning::StepState;
use crate::domain::steps::StepKind;
use crate::error::AppError;
use crate::model::{
    CatalogEntry, EarnedCertificate, PathOverview, PlayerData, QuizOverview, StepBody, StepView,
};
use crate::pages::learner_questions::MyModuleQuestions;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| load_catalog());
    view! {
        <Title text="Learning"/>
        <section class="page" aria-labelledby="learn-title">
            <h1 id="learn-title">"Your learning"</h1>
            <p class="lead">"Paths picked for your role and organisation. Required paths come first."</p>
            {loaded(catalog, |entries| view! { <CatalogList entries/> })}
        </section>
    }
}

#[component]
fn CatalogList(entries: Vec<CatalogEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"No learning paths are assigned to you yet."</p> }
            .into_any();
    }
    view! {
        <ul class="card-list path-list">
            {entries.into_iter().map(|entry| {
                let action = if entry.completed_at.is_some() || (entry.certified.is_some() && !entry.started) {
                    "Review"
                } else if entry.started {
                    "Continue"
                } else {
                    "Start"
                };
                let href = player_link(entry.path_id, entry.next_step_id);
                let label = format!("{action}: {}", entry.title);
                view! {
                    <li class="card path-card">
                        <div class="path-head">
                            <h2><a href=format!("/learn/{}", entry.path_id)>{entry.title.clone()}</a></h2>
                            {entry.required.then(|| view! { <span class="badge required">"Required"</span> })}
                            {entry.completed_at.map(|_| view! { <span class="badge done">"Completed"</span> })}
                            {entry.certified.is_some().then(|| view! { <span class="badge done">"Certified"</span> })}
                        </div>
                        <p>{entry.summary}</p>
                        {entry.certified.clone().map(|held| view! {
                            <p class="notice certified-note">
                                "Nothing is due here: your " {held.name} " certificate is current until "
                                <LocalTime ms=held.expires_at/>
                                ". Recertification opens before it ends; you may review the path at any time."
                            </p>
                        })}
                        {entry.recertify_by.map(|at| view! {
                            <p class="notice">"Recertification: complete it again to renew your certificate (valid until " <LocalTime ms=at/> ")."</p>
                        })}
                        <p class="meta">{entry.step_count} " steps · about " {entry.estimated_minutes} " min"</p>
                        {(entry.certified.is_none() || entry.started).then(|| view! {
                            <ProgressBar percent=entry.progress_percent label=entry.title.clone()/>
                        })}
                        <a class="button primary" href=href aria-label=label>{action}</a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ProgressBar(percent: u8, label: String) -> impl IntoView {
    view! {
        <div class="progress">
            <progress max="100" value=percent.to_string() aria-label=format!("Progress in {label}")></progress>
            <span>{percent} "% done"</span>
        </div>
    }
}

/// The actions a step can trigger; created once per page so every step shares them.
#[derive(Clone, Copy)]
struct StepActions {
    document: ServerAction<CompleteDocument>,
    rsvp: ServerAction<RsvpLiveSession>,
    survey: ServerAction<AnswerSurvey>,
    start_quiz: ServerAction<StartQuiz>,
}

#[component]
pub fn PlayerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let path_id = move || {
        params
            .read()
            .get("path_id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let step_id = move || {
        query
            .read()
            .get("step")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let player = Resource::new(
        move || (path_id(), step_id()),
        |(path, step)| async move {
            match path {
                Some(path) => load_player(path, step).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let actions = StepActions {
        document: ServerAction::new(),
        rsvp: ServerAction::new(),
        survey: ServerAction::new(),
        start_quiz: ServerAction::new(),
    };
    view! {
        <Title text="Learning path"/>
        <section class="page player" aria-labelledby="path-title">
            <p><a href="/learn">"← All learning"</a></p>
            {loaded(player, move |data| view! { <Player data actions/> })}
        </section>
    }
}

#[component]
fn Player(data: PlayerData, actions: StepActions) -> impl IntoView {
    let PlayerData { path, step, earned } = data;
    let current = step.as_ref().map(|s| s.step_id);
    let position = current
        .and_then(|id| path.steps.iter().position(|s| s.step_id == id))
        .map(|i| i + 1)
        .unwrap_or(0);
    let total = path.steps.len();
    view! {
        <Title text=path.title.clone()/>
        <header class="player-head">
            <h1 id="path-title">{path.title.clone()}</h1>
            {(!path.published).then(|| view! { <span class="badge draft">"Draft preview"</span> })}
            <ProgressBar percent=path.progress_percent label=path.title.clone()/>
            {path.completed_at.map(|at| view! { <Celebration title=path.title.clone() at earned/> })}
        </header>
        <div class="player-body">
            <StepList path=path.clone() current position total/>
            <div class="step-pane">
                {match step {
                    Some(step) => view! { <Step step path_id=path.path_id actions/> }.into_any(),
                    None => view! { <p class="empty">"This path has no steps yet."</p> }.into_any(),
                }}
            </div>
        </div>
        <MyModuleQuestions path_id=path.path_id/>
    }
}

/// A completed path: said plainly, with the certificate it earned and what that unlocks,
/// and where to go next.
#[component]
fn Celebration(title: String, at: i64, earned: Vec<EarnedCertificate>) -> impl IntoView {
    view! {
        <div class="card celebration" role="status">
            <p class="celebration-title"><strong>"Path complete. Well done!"</strong></p>
            <p class="completed">"You completed " {title} " on " <LocalTime ms=at/> "."</p>
            {earned.into_iter().map(|certificate| view! {
                <div class="earned">
                    <p>"You hold the " <strong>{certificate.name}</strong> " certificate, valid until " <LocalTime ms=certificate.expires_at/> "."</p>
                    {(!certificate.unlocks.is_empty()).then(|| view! {
                        <p>"It lets your organisation take on:"</p>
                        <ul class="unlocks">{certificate.unlocks.into_iter().map(|right| view! { <li>{right}</li> }).collect_view()}</ul>
                    })}
                </div>
            }).collect_view()}
            <p class="actions">
                <a class="button primary" href="/certificates">"See your certificates"</a>
                <a class="button" href="/learn">"Back to your learning"</a>
            </p>
        </div>
    }
}

#[component]
fn StepList(
    path: PathOverview,
    current: Option<i64>,
    position: usize,
    total: usize,
) -> impl IntoView {
    let path_id = path.path_id;
    view! {
        <details class="step-list" open=true>
            <summary>"Step " {position} " of " {total}</summary>
            <ol>
                {path.steps.into_iter().map(|step| {
                    let is_current = Some(step.step_id) == current;
                    let (mark, state_text) = match step.state {
                        StepState::Done => ("✓", "done"),
                        StepState::Available => ("→", "open"),
                        StepState::Locked => ("–", "locked"),
                    };
                    let optional = (!step.required).then_some(" (optional)");
                    let label = format!("{} — {}, {state_text}", step.title, step.kind.label());
                    view! {
                        <li class=format!("step-item {state_text}") class:current=is_current>
                            <a
                                href=player_link(path_id, Some(step.step_id))
                                aria-current=is_current.then_some("step")
                                aria-label=label
                            >
                                <span class="mark" aria-hidden="true">{mark}</span>
                                <span class="step-title">{step.title}{optional}</span>
                                <span class="step-kind">{step.kind.label()}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </details>
    }
}

#[component]
fn Step(step: StepView, path_id: i64, actions: StepActions) -> impl IntoView {
    let StepView {
        step_id,
        title,
        kind,
        required,
        state,
        body,
    } = step;
    let done = state == StepState::Done;
    let content = match body {
        StepBody::Locked => view! {
            <p class="notice">"Finish the earlier steps to open this one."</p>
        }
        .into_any(),
        StepBody::Video {
            src,
            captions_src,
            captions_language,
            position_secs,
            duration_secs,
        } => view! {
            <LessonVideo
                step_id
                src
                captions_src
                captions_language
                position_secs
                duration_secs
                title=title.clone()
                watched=done
            />
            <p class="hint">
                {if done { "Watched. You can rewatch it at any time." } else { "Watch to the end to finish this step; your place is saved as you go." }}
            </p>
        }
        .into_any(),
        StepBody::Document { html } => {
            let error = last_error(actions.document.value());
            view! {
                <article class="document" inner_html=html></article>
                {if done {
                    view! { <p class="done-note">"✓ You marked this as read."</p> }.into_any()
                } else {
                    view! {
                        <EnhancedForm>
                        <ActionForm action=actions.document>
                            <input type="hidden" name="step_id" value=step_id.to_string()/>
                            <FormError error fields=&[]/>
                            <SubmitButton label="Mark as read" busy_label="Saving…" pending=actions.document.pending()/>
                        </ActionForm></EnhancedForm>
                    }.into_any()
                }}
            }
            .into_any()
        }
        StepBody::Quiz(quiz) => view! { <QuizStep quiz step_id action=actions.start_quiz/> }.into_any(),
        StepBody::LiveSession {
            starts_at,
            duration_minutes,
            host,
            join_url,
            seats_left,
            attending,
            ics,
        } => {
            let error = last_error(actions.rsvp.value());
            let ics_href = format!("data:text/calendar;charset=utf-8,{}", crate::components::load::encode_query_value(&ics));
            view! {
                <dl class="facts">
                    <dt>"When"</dt><dd><LocalTime ms=starts_at/> " (" {duration_minutes} " min)"</dd>
                    <dt>"Host"</dt><dd>{host}</dd>
                    {seats_left.map(|left| view! { <dt>"Seats left"</dt><dd>{left}</dd> })}
                </dl>
                {join_url.map(|url| view! {
                    <p><a class="button" href=url rel="noopener noreferrer" target="_blank">"Join link"</a></p>
                })}
                <p><a class="button" href=ics_href download="live-session.ics">"Add to calendar (.ics)"</a></p>
                <EnhancedForm>
                <ActionForm action=actions.rsvp>
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <input type="hidden" name="attending" value=(!attending).to_string()/>
                    <FormError error fields=&[]/>
                    {if attending {
                        view! { <p class="done-note">"✓ You have a seat."</p>
                        <SubmitButton label="Cancel my seat" busy_label="Saving…" pending=actions.rsvp.pending() class="button"/> }.into_any()
                    } else {
                        view! { <SubmitButton label="Reserve a seat" busy_label="Saving…" pending=actions.rsvp.pending()/> }.into_any()
                    }}
                </ActionForm></EnhancedForm>
            }
            .into_any()
        }
        StepBody::Survey { question, answer } => {
            let error = last_error(actions.survey.value());
            let (rating, comment) = answer.clone().unwrap_or((0, String::new()));
            let comment = typed_before("survey", "comment").unwrap_or(comment);
            view! {
                <EnhancedForm>
                <form method="post" action={form_action::<AnswerSurvey>("survey")} class="survey">
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <fieldset class="rating" aria-describedby="survey-rating-error">
                        <legend>{question}</legend>
                        {(1..=5).map(|value| {
                            let id = format!("rating-{value}");
                            let label_for = id.clone();
                            let text = match value { 1 => "1 — Not useful", 5 => "5 — Very useful", _ => "" };
                            view! {
                                <label for=label_for class="rating-option">
                                    <input type="radio" id=id name="rating" value=value.to_string() required=true
                                        checked=ticked_before("survey", "rating", &value.to_string()).unwrap_or(rating == value)/>
                                    <span>{if text.is_empty() { value.to_string() } else { text.to_string() }}</span>
                                </label>
                            }
                        }).collect_view()}
                        <p class="field-error" id="survey-rating-error" data-field="rating" aria-live="polite">
                            {move || error.get().and_then(|e| e.field_message("rating"))}
                        </p>
                    </fieldset>
                    <div class="field">
                        <label for="survey-comment">"Comment (optional)"</label>
                        <textarea id="survey-comment" aria-describedby="survey-comment-error" name="comment" rows="3" maxlength="2000">{textarea_text(comment)}</textarea>
                        <p class="field-error" id="survey-comment-error" data-field="comment" aria-live="polite">{move || error.get().and_then(|e| e.field_message("comment"))}</p>
                    </div>
                    <FormError error form="survey" fields=&["rating", "comment"]/>
                    <SubmitButton
                        label=if answer.is_some() { "Update my answer" } else { "Send" }
                        busy_label="Sending…"
                        pending=actions.survey.pending()
                    />
                </form></EnhancedForm>
            }
            .into_any()
        }
    };
    view! {
        <article class="step" aria-labelledby="step-title">
            <p class="step-kind-label">{kind.label()}{(!required).then_some(" · optional")}</p>
            <h2 id="step-title">{title}</h2>
            {content}
            {(kind != StepKind::Quiz && done).then(|| view! {
                <p class="next"><a href=format!("/learn/{path_id}")>"Go to the next step →"</a></p>
            })}
        </article>
    }
}

#[component]
fn QuizStep(quiz: QuizOverview, step_id: i64, action: ServerAction<StartQuiz>) -> impl IntoView {
    let error = last_error(action.value());
    let QuizOverview {
        pass_mark_percent,
        max_attempts,
        time_limit_secs,
        question_count,
        passed,
        open_attempt_id,
        attempts,
        start_blocked,
        cooldown_until,
    } = quiz;
    let rules = format!(
        "{question_count} questions · pass mark {pass_mark_percent}%{}{}",
        time_limit_secs
            .map(|secs| format!(" · {} min time limit", (secs + 59) / 60))
            .unwrap_or_default(),
        max_attempts
            .map(|max| format!(" · {max} attempts"))
            .unwrap_or_default(),
    );
    let first_attempt = attempts.is_empty();
    let start = match (open_attempt_id, start_blocked) {
        (Some(attempt), _) => view! {
            <a class="button primary" href=format!("/quiz/{attempt}")>"Resume your attempt"</a>
        }
        .into_any(),
        (None, Some(reason)) => view! {
            <p class=if passed { "done-note" } else { "notice" }>
                {reason}
                {cooldown_until.map(|until| view! { " Next attempt from " <LocalTime ms=until/> "." })}
            </p>
        }
        .into_any(),
        (None, None) => view! {
            <EnhancedForm>
            <ActionForm action>
                <input type="hidden" name="step_id" value=step_id.to_string()/>
                <FormError error fields=&[]/>
                <SubmitButton
                    label=if first_attempt { "Start the quiz" } else { "Try again" }
                    busy_label="Starting…"
                    pending=action.pending()
                />
            </ActionForm></EnhancedForm>
        }
        .into_any(),
    };
    view! {
        <p class="meta">{rules}</p>
        <p class="hint">"Every answer is saved as you go, so you can switch devices or lose your connection without losing work."</p>
        {start}
        {(!attempts.is_empty()).then(|| view! {
            <h3>"Your attempts"</h3>
            <table class="attempts">
                <thead><tr><th scope="col">"#"</th><th scope="col">"Started"</th><th scope="col">"Score"</th><th scope="col">"Result"</th></tr></thead>
                <tbody>
                    {attempts.into_iter().map(|a| view! {
                        <tr>
                            <td><a href=format!("/quiz/{}", a.attempt_id)>{a.attempt_number}</a></td>
                            <td><LocalTime ms=a.started_at/></td>
                            <td>{a.score_percent.map(|s| format!("{s:.0}%")).unwrap_or_else(|| "In progress".into())}</td>
                            <td>{match (a.submitted_at, a.passed) { (None, _) => "—", (Some(_), true) => "Passed", (Some(_), false) => "Not passed" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
