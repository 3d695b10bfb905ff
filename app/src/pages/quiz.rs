//! Taking a quiz. Answers are saved as they change (debounced), queued on the device while
//! offline, and sent in order when the connection returns; the countdown runs from the
//! server's deadline; a reload or another device resumes every saved answer.
use crate::api::learning::player_link;
use crate::api::training::{quiz_attempt, StartQuiz};
use crate::components::form::{form_action, form_error, FormError};
use crate::components::load::loaded;
use crate::components::time::Countdown;
use crate::domain::quiz::content::{Choice, QuestionKind};
use crate::domain::quiz::grading::Response;
use crate::domain::quiz::review::{QuestionReview, ReviewOutcome};
use crate::error::AppError;
use crate::model::{AttemptReview, QuestionView, QuizRun, Retry};
use leptos::either::EitherOf5;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::collections::{BTreeMap, BTreeSet};

#[component]
pub fn QuizPage() -> impl IntoView {
    let params = use_params_map();
    let attempt_id = move || {
        params
            .read()
            .get("attempt_id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let attempt = Resource::new(attempt_id, |id| async move {
        match id {
            Some(id) => quiz_attempt(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Title text="Quiz"/>
        <section class="page quiz-page" aria-labelledby="quiz-title">
            {loaded(attempt, move |view| {
                // After a pass, "back" goes on to the next open step; otherwise to this quiz.
                let passed = view.review.as_ref().is_some_and(|r| r.passed);
                let back = player_link(view.path_id, (!passed).then_some(view.step_id));
                match view.review.clone() {
                    Some(review) => view! {
                        <ReviewView title=view.quiz_title.clone() review back step_id=view.step_id now=view.server_now/>
                    }.into_any(),
                    None => view! {
                        <Title text=view.quiz_title.clone()/>
                        <h1 id="quiz-title">{view.quiz_title.clone()}</h1>
                        <TakeQuiz run=QuizRun::from(view)/>
                    }.into_any(),
                }
            })}
        </section>
    }
}

// Only the browser saves and submits, so the server build never constructs most states.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
enum SaveStatus {
    /// Nothing typed yet, or everything sent.
    Saved,
    Saving,
    Offline,
    Submitting,
    /// The attempt closed (submitted elsewhere, or time ran out).
    Closed(String),
    Problem(String),
}

impl SaveStatus {
    fn text(&self) -> String {
        match self {
            SaveStatus::Saved => "All answers saved".into(),
            SaveStatus::Saving => "Saving…".into(),
            SaveStatus::Offline => {
                "Offline — will retry. Your answers are kept on this device.".into()
            }
            SaveStatus::Submitting => "Submitting…".into(),
            SaveStatus::Closed(message) | SaveStatus::Problem(message) => message.clone(),
        }
    }

    fn class(&self) -> &'static str {
        match self {
            SaveStatus::Saved => "save-status saved",
            SaveStatus::Saving | SaveStatus::Submitting => "save-status saving",
            SaveStatus::Offline => "save-status offline",
            SaveStatus::Closed(_) | SaveStatus::Problem(_) => "save-status problem",
        }
    }
}

/// The attempt's answers in the browser, and the saves not yet confirmed by the server.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy)]
struct QuizState {
    attempt_id: i64,
    answers: RwSignal<BTreeMap<i64, Response>>,
    /// Changes not yet confirmed, with the sequence number each was made with.
    pending: RwSignal<BTreeMap<i64, (Response, i64)>>,
    status: RwSignal<SaveStatus>,
    last_seq: StoredValue<i64>,
    sending: StoredValue<bool>,
    closed: RwSignal<bool>,
    #[cfg(feature = "hydrate")]
    timers: StoredValue<client::Timers, LocalStorage>,
}

impl QuizState {
    fn new(view: &QuizRun) -> QuizState {
        QuizState {
            attempt_id: view.attempt_id,
            answers: RwSignal::new(
                view.answers
                    .iter()
                    .map(|(id, (response, _))| (*id, response.clone()))
                    .collect(),
            ),
            pending: RwSignal::new(BTreeMap::new()),
            status: RwSignal::new(SaveStatus::Saved),
            last_seq: StoredValue::new(
                view.answers
                    .values()
                    .map(|(_, seq)| *seq)
                    .max()
                    .unwrap_or(0),
            ),
            sending: StoredValue::new(false),
            closed: RwSignal::new(false),
            #[cfg(feature = "hydrate")]
            timers: StoredValue::new_local(client::Timers::default()),
        }
    }

    /// Records a changed answer and schedules its save.
    fn answer(self, question_id: i64, response: Response) {
        if self.closed.get_untracked() {
            return;
        }
        // Later than anything this attempt has saved, on any device.
        let seq = next_sequence(self.last_seq.get_value(), now_ms());
        self.last_seq.set_value(seq);
        self.answers.update(|answers| {
            answers.insert(question_id, response.clone());
        });
        self.pending.update(|pending| {
            pending.insert(question_id, (response, seq));
        });
        #[cfg(feature = "hydrate")]
        client::after_change(self);
    }

    fn response(&self, question_id: i64) -> Option<Response> {
        self.answers
            .with(|answers| answers.get(&question_id).cloned())
    }
}

/// A save's sequence number: the clock, but always above the last one used, so saves from
/// one attempt stay ordered even if the device clock jumps back.
fn next_sequence(last: i64, now: i64) -> i64 {
    now.max(last + 1)
}

fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().timestamp_millis()
    }
}

/// The quiz runner: the one island of the quiz page. After a submit the server renders the
/// review, so the page loads again.
#[cfg_attr(any(feature = "ssr", feature = "quiz"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "quiz")), component)]
pub fn TakeQuiz(run: QuizRun) -> impl IntoView {
    let view = run;
    let on_submitted = Callback::new(|_: ()| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let state = QuizState::new(&view);
    // Answers given in the server's page while the wasm was loading are taken over before
    // hydration sets the inputs from the state, so nothing typed or ticked is lost.
    #[cfg(feature = "hydrate")]
    client::adopt_early_answers(state, &view.questions);
    let remaining_ms = RwSignal::new(view.deadline_at.map(|d| (d - view.server_now).max(0)));
    let confirm = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    client::start(state, &view, remaining_ms, on_submitted);
    let total = view.questions.len();
    let unanswered = move || {
        state.answers.with(|answers| {
            total
                - answers
                    .keys()
                    .filter(|id| answers.get(id).is_some_and(is_answered))
                    .count()
        })
    };
    let submit = move |_| {
        if unanswered() > 0 && !confirm.get_untracked() {
            confirm.set(true);
            return;
        }
        confirm.set(false);
        #[cfg(feature = "hydrate")]
        client::submit(state, on_submitted);
        #[cfg(not(feature = "hydrate"))]
        on_submitted.run(());
    };
    // "Saved" only once the server has confirmed every change.
    let shown_status = move || match state.status.get() {
        SaveStatus::Saved if state.pending.with(|p| !p.is_empty()) => SaveStatus::Saving,
        other => other,
    };
    let back = player_link(view.path_id, Some(view.step_id));
    view! {
        <div class="quiz-bar" role="region" aria-label="Quiz status">
            <p class=move || shown_status().class() role="status" aria-live="polite" data-testid="save-status">
                {move || shown_status().text()}
            </p>
            {move || remaining_ms.get().map(|ms| {
                let secs = (ms + 999) / 1000;
                let urgent = secs <= 60;
                view! {
                    <p class="timer" class:urgent=urgent data-testid="timer">
                        <span class="sr-only">"Time left: "</span>
                        {format!("{}:{:02}", secs / 60, secs % 60)}
                    </p>
                }
            })}
        </div>
        <noscript><p class="notice">"Quizzes need JavaScript, so that every answer is saved as you go."</p></noscript>
        <ol class="questions">
            {view.questions.into_iter().enumerate().map(|(index, question)| view! {
                <QuestionCard question index total state/>
            }).collect_view()}
        </ol>
        <div class="quiz-actions">
            <Show when=move || confirm.get()>
                <p class="notice" role="alert">
                    {move || format!("{} of {total} questions have no answer. Submit anyway?", unanswered())}
                </p>
            </Show>
            <button
                type="button"
                class="button primary"
                on:click=submit
                disabled=move || state.closed.get() || state.status.get() == SaveStatus::Submitting
            >
                {move || if confirm.get() { "Submit anyway" } else { "Submit answers" }}
            </button>
            <Show when=move || confirm.get()>
                <button type="button" class="button" on:click=move |_| confirm.set(false)>"Keep working"</button>
            </Show>
            <a href=back>"Back to the path"</a>
        </div>
    }
}

fn is_answered(response: &Response) -> bool {
    match response {
        Response::MultipleChoice(set) => !set.is_empty(),
        Response::Ordering(order) => !order.is_empty(),
        Response::Matching(pairs) => !pairs.is_empty(),
        Response::ShortText(text) | Response::Numeric(text) => !text.trim().is_empty(),
        Response::SingleChoice(_) | Response::TrueFalse(_) => true,
    }
}

#[component]
fn QuestionCard(
    question: QuestionView,
    index: usize,
    total: usize,
    state: QuizState,
) -> impl IntoView {
    let QuestionView {
        question_id,
        content,
    } = question;
    let saved_text = move || {
        if state.pending.with(|p| p.contains_key(&question_id)) {
            "Not saved yet"
        } else if state.answers.with(|a| a.contains_key(&question_id)) {
            "Saved"
        } else {
            ""
        }
    };
    // One concrete type per kind (no `AnyView`): type-erased views cost the quiz bundle
    // several kilobytes of hydration code each.
    let input = match content.kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let multiple = content.kind == QuestionKind::MultipleChoice;
            EitherOf5::A(choice_inputs(question_id, content.options, multiple, state))
        }
        QuestionKind::TrueFalse => {
            let options = vec![
                Choice {
                    id: 1,
                    text: "True".into(),
                },
                Choice {
                    id: 0,
                    text: "False".into(),
                },
            ];
            EitherOf5::B(true_false_inputs(question_id, options, state))
        }
        QuestionKind::Ordering => {
            EitherOf5::C(view! { <OrderingInput question_id items=content.options state/> })
        }
        QuestionKind::Matching => EitherOf5::D(
            view! { <MatchingInput question_id left=content.options right=content.targets state/> },
        ),
        QuestionKind::ShortText | QuestionKind::Numeric => {
            let numeric = content.kind == QuestionKind::Numeric;
            let id = format!("q{question_id}-text");
            // Reactive, so answers restored from this device's queue after a reload show up.
            let current = move || match state.answers.with(|a| a.get(&question_id).cloned()) {
                Some(Response::ShortText(text) | Response::Numeric(text)) => text,
                _ => String::new(),
            };
            EitherOf5::E(view! {
                <label for=id.clone() class="sr-only">"Your answer"</label>
                <input
                    id=id
                    type="text"
                    inputmode=if numeric { "decimal" } else { "text" }
                    autocomplete="off"
                    prop:value=current
                    placeholder=if numeric { "A number" } else { "Your answer" }
                    on:input=move |event| {
                        let value = event_target_value(&event);
                        let response = if numeric { Response::Numeric(value) } else { Response::ShortText(value) };
                        state.answer(question_id, response);
                    }
                />
            })
        }
    };
    view! {
        <li class="card question" data-question-id=question_id.to_string()>
            <fieldset>
                <legend>
                    <span class="question-number">"Question " {index + 1} " of " {total}</span>
                    <span class="prompt">{content.prompt}</span>
                </legend>
                {input}
            </fieldset>
            <p class="question-saved" aria-live="polite">{saved_text}</p>
        </li>
    }
}

fn choice_inputs(
    question_id: i64,
    options: Vec<Choice>,
    multiple: bool,
    state: QuizState,
) -> impl IntoView {
    options
        .into_iter()
        .map(|choice| {
            let id = format!("q{question_id}-o{}", choice.id);
            let label_for = id.clone();
            let option = choice.id;
            let checked = move || match state.answers.with(|a| a.get(&question_id).cloned()) {
                Some(Response::SingleChoice(picked)) => picked == option,
                Some(Response::MultipleChoice(picked)) => picked.contains(&option),
                _ => false,
            };
            let on_change = move |_| {
                let response = if multiple {
                    let mut picked = match state.response(question_id) {
                        Some(Response::MultipleChoice(set)) => set,
                        _ => BTreeSet::new(),
                    };
                    if !picked.remove(&option) {
                        picked.insert(option);
                    }
                    Response::MultipleChoice(picked)
                } else {
                    Response::SingleChoice(option)
                };
                state.answer(question_id, response);
            };
            view! {
                <label class="option" for=label_for>
                    <input
                        type=if multiple { "checkbox" } else { "radio" }
                        id=id
                        name=format!("q{question_id}")
                        value=option.to_string()
                        prop:checked=checked
                        on:change=on_change
                    />
                    <span>{choice.text}</span>
                </label>
            }
        })
        .collect_view()
}

fn true_false_inputs(question_id: i64, options: Vec<Choice>, state: QuizState) -> impl IntoView {
    options
        .into_iter()
        .map(|choice| {
            let value = choice.id == 1;
            let id = format!("q{question_id}-{value}");
            let label_for = id.clone();
            let checked = move || {
                state
                    .answers
                    .with(|a| a.get(&question_id) == Some(&Response::TrueFalse(value)))
            };
            view! {
                <label class="option" for=label_for>
                    <input
                        type="radio"
                        id=id
                        name=format!("q{question_id}")
                        prop:checked=checked
                        on:change=move |_| state.answer(question_id, Response::TrueFalse(value))
                    />
                    <span>{choice.text}</span>
                </label>
            }
        })
        .collect_view()
}

#[component]
fn OrderingInput(question_id: i64, items: Vec<Choice>, state: QuizState) -> impl IntoView {
    let texts: BTreeMap<u32, String> = items.iter().map(|c| (c.id, c.text.clone())).collect();
    let shown: Vec<u32> = items.iter().map(|c| c.id).collect();
    let order = move || match state.answers.with(|a| a.get(&question_id).cloned()) {
        Some(Response::Ordering(order)) if !order.is_empty() => order,
        _ => shown.clone(),
    };
    let answered = move || matches!(state.answers.with(|a| a.get(&question_id).cloned()), Some(Response::Ordering(o)) if !o.is_empty());
    let order_for_move = order.clone();
    let move_item = move |from: usize, up: bool| {
        let mut current = order_for_move();
        let to = if up {
            from.checked_sub(1)
        } else {
            Some(from + 1)
        };
        if let Some(to) = to.filter(|to| *to < current.len()) {
            current.swap(from, to);
            state.answer(question_id, Response::Ordering(current));
        }
    };
    let order_for_keep = order.clone();
    view! {
        <p class="hint">"Use the arrows to put the items in order, first at the top."</p>
        <ol class="ordering">
            {move || {
                let current = order();
                let count = current.len();
                current.into_iter().enumerate().map(|(position, id)| {
                    let text = texts.get(&id).cloned().unwrap_or_default();
                    let move_item = move_item.clone();
                    let move_down = move_item.clone();
                    view! {
                        <li class="ordering-item">
                            <span class="item-text">{text.clone()}</span>
                            <button type="button" class="icon-button" aria-label=format!("Move “{text}” up")
                                disabled=position == 0 on:click=move |_| move_item(position, true)>"↑"</button>
                            <button type="button" class="icon-button" aria-label=format!("Move “{text}” down")
                                disabled=position + 1 == count on:click=move |_| move_down(position, false)>"↓"</button>
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
        <Show when=move || !answered()>
            {
                let order_for_keep = order_for_keep.clone();
                view! {
                    <button type="button" class="button" on:click=move |_| state.answer(question_id, Response::Ordering(order_for_keep()))>
                        "This order is my answer"
                    </button>
                }
            }
        </Show>
    }
}

#[component]
fn MatchingInput(
    question_id: i64,
    left: Vec<Choice>,
    right: Vec<Choice>,
    state: QuizState,
) -> impl IntoView {
    left.into_iter()
        .map(|item| {
            let id = format!("q{question_id}-m{}", item.id);
            let left_id = item.id;
            let selected = move || match state.answers.with(|a| a.get(&question_id).cloned()) {
                Some(Response::Matching(pairs)) => pairs.get(&left_id).copied(),
                _ => None,
            };
            let on_change = move |event| {
                let value = event_target_value(&event);
                let mut pairs = match state.response(question_id) {
                    Some(Response::Matching(pairs)) => pairs,
                    _ => BTreeMap::new(),
                };
                match value.parse::<u32>() {
                    Ok(target) => {
                        pairs.insert(left_id, target);
                    }
                    Err(_) => {
                        pairs.remove(&left_id);
                    }
                }
                state.answer(question_id, Response::Matching(pairs));
            };
            let options = right.clone();
            view! {
                <div class="match-row">
                    <label for=id.clone()>{item.text}</label>
                    <select id=id on:change=on_change>
                        <option value="" selected=move || selected().is_none()>"— Choose —"</option>
                        {options.into_iter().map(|target| {
                            let target_id = target.id;
                            view! { <option value=target_id.to_string() selected=move || selected() == Some(target_id)>{target.text}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }
        })
        .collect_view()
}

#[component]
fn ReviewView(
    title: String,
    review: AttemptReview,
    back: String,
    step_id: i64,
    now: i64,
) -> impl IntoView {
    let AttemptReview {
        score_percent,
        passed,
        pass_mark_percent,
        questions,
        topics,
        attempts_left,
        retry,
    } = review;
    let verdict = if passed {
        format!("Passed: you scored {score_percent:.0}% and the pass mark is {pass_mark_percent}%.")
    } else {
        let short = (f64::from(pass_mark_percent) - score_percent)
            .max(0.0)
            .ceil();
        format!(
            "Not passed this time: you scored {score_percent:.0}%, the pass mark is \
             {pass_mark_percent}% ({short:.0} points to go)."
        )
    };
    view! {
        <Title text=format!("{title}: result")/>
        <h1 id="quiz-title">{title}</h1>
        <div class=if passed { "card result passed" } else { "card result failed" } role="status">
            <p class="score">{format!("{score_percent:.0}%")}</p>
            <p class="verdict">{verdict}</p>
            {(!passed).then(|| view! { <NextAttempt retry attempts_left step_id now topics/> })}
            <a class=if passed { "button primary" } else { "button" } href=back>"Back to the path"</a>
        </div>
        {questions.iter().all(|q| q.outcome.is_none()).then(|| view! {
            <p class="notice">"Which answers were right is shown once you pass or have used your last attempt."</p>
        })}
        <ol class="questions review">
            {questions.into_iter().map(|q| view! { <ReviewCard q/> }).collect_view()}
        </ol>
    }
}

/// After a failed attempt: attempts left, what to review, and the way to try again (now,
/// after a live countdown, or not at all).
#[component]
fn NextAttempt(
    retry: Retry,
    attempts_left: Option<u32>,
    step_id: i64,
    now: i64,
    topics: Vec<String>,
) -> impl IntoView {
    let action = ServerAction::<StartQuiz>::new();
    let error = form_error(action, "retry");
    let left = match attempts_left {
        None => "You may take this quiz as often as you need.".to_owned(),
        Some(0) => "You have used all your attempts.".to_owned(),
        Some(1) => "1 attempt left.".to_owned(),
        Some(n) => format!("{n} attempts left."),
    };
    let form = move |hidden: bool| {
        view! {
            <div class="retry" id="retry" hidden=hidden aria-live="polite">
                <form method="post" action={form_action::<StartQuiz>("retry")}>
                    <FormError error form="retry" fields=&[]/>
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <button type="submit" class="button primary">"Retry the quiz"</button>
                </form>
            </div>
        }
    };
    view! {
        <p class="attempts-left">{left}</p>
        {(!topics.is_empty()).then(|| view! {
            <div class="review-topics">
                <h2>"Review these topics first"</h2>
                <ul class="topics">{topics.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </div>
        })}
        {match retry {
            Retry::Now => form(false).into_any(),
            Retry::OpensAt(until) => view! {
                <Countdown until now opens="retry">"Your next attempt opens in"</Countdown>
                {form(true)}
            }.into_any(),
            Retry::Resume(attempt) => view! {
                <a class="button primary" href=format!("/quiz/{attempt}")>"Resume your attempt"</a>
            }.into_any(),
            Retry::NoAttemptsLeft => view! {
                <p class="notice">"Ask your partner manager for another attempt."</p>
            }.into_any(),
            Retry::Passed => ().into_any(),
        }}
    }
}

#[component]
fn ReviewCard(q: QuestionReview) -> impl IntoView {
    let (mark, class) = match q.outcome {
        Some(ReviewOutcome::Correct) => ("Correct", "correct"),
        Some(ReviewOutcome::PartiallyCorrect) => ("Partly correct", "partial"),
        Some(ReviewOutcome::Incorrect) => ("Incorrect", "incorrect"),
        Some(ReviewOutcome::Unanswered) => ("Not answered", "incorrect"),
        None => ("", ""),
    };
    view! {
        <li class=format!("card question {class}")>
            <p class="prompt">{q.prompt}</p>
            <p><span class="label">"Your answer: "</span>{q.your_answer}</p>
            {(!mark.is_empty()).then(|| view! { <p class="outcome">{mark}</p> })}
            {q.feedback.map(|text| view! { <p class="feedback">{text}</p> })}
            {q.correct_answer.map(|text| view! { <p><span class="label">"Correct answer: "</span>{text}</p> })}
            {q.explanation.map(|text| view! { <p class="explanation">{text}</p> })}
        </li>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::{QuizState, SaveStatus};
    use crate::api::training::{save_quiz_answer, submit_quiz};
    use crate::domain::quiz::grading::Response;
    use crate::error::AppError;
    use crate::model::{QuestionView, QuizRun};
    use gloo_timers::callback::{Interval, Timeout};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use std::collections::BTreeMap;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    const DEBOUNCE_MS: u32 = 400;
    const RETRY_MS: u32 = 3000;

    /// Timers owned by the page; dropped (and so cancelled) when the page goes away.
    #[derive(Default)]
    pub struct Timers {
        debounce: Option<Timeout>,
        retry: Option<Timeout>,
        countdown: Option<Interval>,
        online: Option<Closure<dyn Fn()>>,
    }

    impl Drop for Timers {
        fn drop(&mut self) {
            if let (Some(listener), Some(window)) = (self.online.take(), web_sys::window()) {
                let _ = window.remove_event_listener_with_callback(
                    "online",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    }

    fn storage_key(attempt_id: i64) -> String {
        format!("pp-quiz-pending-{attempt_id}")
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Keeps unconfirmed answers on the device, so a reload while offline loses nothing.
    fn persist(state: QuizState) {
        let Some(storage) = storage() else { return };
        let key = storage_key(state.attempt_id);
        let pending = state.pending.get_untracked();
        if pending.is_empty() {
            let _ = storage.remove_item(&key);
        } else if let Ok(json) = serde_json::to_string(&pending) {
            let _ = storage.set_item(&key, &json);
        }
    }

    /// What the page's inputs hold that the state does not: answers given before this island
    /// woke. Server HTML never fills an input from a saved answer (only hydration does), so
    /// a value or tick found now was given by the learner; each is recorded as a change and
    /// saved. Ticks add to a saved multiple choice, whose boxes the server drew empty.
    pub fn adopt_early_answers(state: QuizState, questions: &[QuestionView]) {
        use crate::domain::quiz::content::QuestionKind;
        use std::collections::BTreeSet;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let input = |id: String| {
            document
                .get_element_by_id(&id)
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        };
        let ticked = |id: String| input(id).is_some_and(|i| i.checked());
        for question in questions {
            let id = question.question_id;
            let options = &question.content.options;
            let saved = state.response(id);
            let early = match question.content.kind {
                QuestionKind::ShortText | QuestionKind::Numeric => input(format!("q{id}-text"))
                    .map(|i| i.value())
                    .filter(|text| !text.is_empty())
                    .map(|text| match question.content.kind {
                        QuestionKind::Numeric => Response::Numeric(text),
                        _ => Response::ShortText(text),
                    }),
                QuestionKind::SingleChoice => options
                    .iter()
                    .find(|o| ticked(format!("q{id}-o{}", o.id)))
                    .map(|o| Response::SingleChoice(o.id)),
                QuestionKind::MultipleChoice => {
                    let mut picked: BTreeSet<u32> = options
                        .iter()
                        .filter(|o| ticked(format!("q{id}-o{}", o.id)))
                        .map(|o| o.id)
                        .collect();
                    if let Some(Response::MultipleChoice(before)) = &saved {
                        picked.extend(before);
                    }
                    (!picked.is_empty()).then_some(Response::MultipleChoice(picked))
                }
                QuestionKind::TrueFalse => [true, false]
                    .into_iter()
                    .find(|value| ticked(format!("q{id}-{value}")))
                    .map(Response::TrueFalse),
                QuestionKind::Matching => {
                    let mut pairs = match &saved {
                        Some(Response::Matching(pairs)) => pairs.clone(),
                        _ => BTreeMap::new(),
                    };
                    for item in options {
                        let chosen = document
                            .get_element_by_id(&format!("q{id}-m{}", item.id))
                            .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
                            .and_then(|select| select.value().parse::<u32>().ok());
                        if let Some(target) = chosen {
                            pairs.insert(item.id, target);
                        }
                    }
                    (!pairs.is_empty()).then_some(Response::Matching(pairs))
                }
                // Reordering takes buttons, which do nothing before the island wakes.
                QuestionKind::Ordering => None,
            };
            if let Some(response) = early.filter(|early| saved.as_ref() != Some(early)) {
                state.answer(id, response);
            }
        }
    }

    pub fn start(
        state: QuizState,
        view: &QuizRun,
        remaining_ms: RwSignal<Option<i64>>,
        on_submitted: Callback<()>,
    ) {
        let server_seqs: BTreeMap<i64, i64> = view
            .answers
            .iter()
            .map(|(id, (_, seq))| (*id, *seq))
            .collect();
        let deadline = view.deadline_at.map(|d| d - view.server_now);
        Effect::new(move |_| {
            // Answers saved on this device but never confirmed: newer than the server's copy.
            let queued: BTreeMap<i64, (Response, i64)> = storage()
                .and_then(|s| s.get_item(&storage_key(state.attempt_id)).ok().flatten())
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default();
            let newer: BTreeMap<i64, (Response, i64)> = queued
                .into_iter()
                .filter(|(id, (_, seq))| server_seqs.get(id).is_none_or(|saved| seq > saved))
                .collect();
            if !newer.is_empty() {
                let top = newer.values().map(|(_, seq)| *seq).max().unwrap_or(0);
                state.last_seq.update_value(|last| *last = (*last).max(top));
                state.answers.update(|answers| {
                    for (id, (response, _)) in &newer {
                        answers.insert(*id, response.clone());
                    }
                });
                state.pending.set(newer);
                flush(state);
            }

            let online = Closure::<dyn Fn()>::new(move || flush(state));
            if let Some(window) = web_sys::window() {
                let _ = window
                    .add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
            }
            state.timers.update_value(|t| t.online = Some(online));

            if let Some(left_at_load) = deadline {
                // Measured with the monotonic clock from when the page loaded, so a
                // throttled background tab or a wrong device clock cannot stretch it.
                let loaded_at = now_monotonic();
                let auto_submitted = StoredValue::new(false);
                let tick = move || {
                    let left = (left_at_load - (now_monotonic() - loaded_at) as i64).max(0);
                    remaining_ms.set(Some(left));
                    if left == 0 && !auto_submitted.get_value() {
                        auto_submitted.set_value(true);
                        submit(state, on_submitted);
                    }
                };
                tick();
                let interval = Interval::new(1000, tick);
                state.timers.update_value(|t| t.countdown = Some(interval));
            }
        });
    }

    fn now_monotonic() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_else(js_sys::Date::now)
    }

    pub fn after_change(state: QuizState) {
        persist(state);
        let timeout = Timeout::new(DEBOUNCE_MS, move || flush(state));
        // Replacing the previous timeout cancels it: only the last change in a burst sends.
        state.timers.update_value(|t| t.debounce = Some(timeout));
    }

    enum Sent {
        All,
        Offline,
        Closed,
    }

    /// Sends queued answers one at a time, oldest change first.
    async fn send_pending(state: QuizState) -> Sent {
        loop {
            let next = state.pending.with_untracked(|pending| {
                pending
                    .iter()
                    .min_by_key(|(_, (_, seq))| *seq)
                    .map(|(id, (response, seq))| (*id, response.clone(), *seq))
            });
            let Some((question_id, response, seq)) = next else {
                return Sent::All;
            };
            match save_quiz_answer(state.attempt_id, question_id, response, seq).await {
                Ok(_) => {}
                Err(AppError::Network(_)) | Err(AppError::Internal) => return Sent::Offline,
                Err(AppError::Conflict(message)) => {
                    state.closed.set(true);
                    state.status.set(SaveStatus::Closed(message));
                    return Sent::Closed;
                }
                Err(AppError::Unauthenticated) => {
                    state.status.set(SaveStatus::Problem(
                        "You were signed out. Sign in again in another tab; your answers are kept here.".into(),
                    ));
                    return Sent::Offline;
                }
                Err(other) => {
                    // A save the server can never accept (e.g. a question no longer in the
                    // attempt): drop it rather than retry forever.
                    state.status.set(SaveStatus::Problem(other.to_string()));
                }
            }
            state.pending.update(|pending| {
                if pending.get(&question_id).is_some_and(|(_, s)| *s == seq) {
                    pending.remove(&question_id);
                }
            });
            persist(state);
        }
    }

    /// Sends what is queued unless a send is already running (it picks up new changes).
    pub fn flush(state: QuizState) {
        if state.sending.get_value() || state.closed.get_untracked() {
            return;
        }
        if state.pending.with_untracked(BTreeMap::is_empty) {
            if state.status.get_untracked() == SaveStatus::Offline {
                state.status.set(SaveStatus::Saved);
            }
            return;
        }
        state.sending.set_value(true);
        state.status.set(SaveStatus::Saving);
        spawn_local(async move {
            let sent = send_pending(state).await;
            state.sending.set_value(false);
            match sent {
                Sent::All => {
                    if !matches!(state.status.get_untracked(), SaveStatus::Problem(_)) {
                        state.status.set(SaveStatus::Saved);
                    }
                }
                Sent::Offline => {
                    if !matches!(state.status.get_untracked(), SaveStatus::Problem(_)) {
                        state.status.set(SaveStatus::Offline);
                    }
                    let retry = Timeout::new(RETRY_MS, move || flush(state));
                    state.timers.update_value(|t| t.retry = Some(retry));
                }
                Sent::Closed => {}
            }
        });
    }

    /// Sends every queued answer, then submits. If the connection is down, keeps trying.
    pub fn submit(state: QuizState, on_submitted: Callback<()>) {
        state.status.set(SaveStatus::Submitting);
        spawn_local(async move {
            while state.sending.get_value() {
                gloo_timers::future::TimeoutFuture::new(100).await;
            }
            state.sending.set_value(true);
            let sent = send_pending(state).await;
            state.sending.set_value(false);
            if matches!(sent, Sent::Offline) {
                state.status.set(SaveStatus::Offline);
                let retry = Timeout::new(RETRY_MS, move || submit(state, on_submitted));
                state.timers.update_value(|t| t.retry = Some(retry));
                return;
            }
            match submit_quiz(state.attempt_id).await {
                Ok(_) => {
                    state.closed.set(true);
                    on_submitted.run(());
                }
                Err(AppError::Network(_)) => {
                    state.status.set(SaveStatus::Offline);
                    let retry = Timeout::new(RETRY_MS, move || submit(state, on_submitted));
                    state.timers.update_value(|t| t.retry = Some(retry));
                }
                Err(other) => state.status.set(SaveStatus::Problem(other.to_string())),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_always_increase() {
        assert_eq!(next_sequence(0, 1_000), 1_000);
        assert_eq!(
            next_sequence(1_000, 1_000),
            1_001,
            "two changes in one millisecond"
        );
        assert_eq!(next_sequence(5_000, 1_000), 5_001, "the clock went back");
    }

    #[test]
    fn blank_answers_count_as_unanswered() {
        assert!(!is_answered(&Response::ShortText("  ".into())));
        assert!(!is_answered(&Response::MultipleChoice(BTreeSet::new())));
        assert!(!is_answered(&Response::Matching(BTreeMap::new())));
        assert!(!is_answered(&Response::Ordering(vec![])));
        assert!(is_answered(&Response::TrueFalse(false)));
        assert!(is_answered(&Response::Numeric("0".into())));
    }
}
