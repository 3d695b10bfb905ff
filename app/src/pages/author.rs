//! Authoring learning paths: the list, the path editor, import/export, and quiz statistics.
use crate::api::authoring::{
    list_authored_paths, load_path_editor, load_quiz_statistics, AddQuestions, DeleteStep,
    ExportPath, ImportPath, MoveStep, RetireQuestion, SavePath, SaveStep, SetPathPublished,
};
use crate::components::form::{last_error, last_error_here, refetch_on_success, FormError};
use crate::components::load::{encode_query_value, loaded};
use crate::components::raw_text::textarea_text;
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::learning::Audience;
use crate::domain::steps::StepKind;
use crate::error::AppError;
use crate::model::{
    AuthoredPathSummary, EditorQuestion, EditorStep, PathDetailsInput, PathEditorData,
    QuizStatistics,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn param_id(name: &'static str) -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get(name)
            .and_then(|id| id.parse::<i64>().ok())
    }
}

#[component]
pub fn AuthorListPage() -> impl IntoView {
    view! {
        <Title text="Authoring"/>
        <AuthorListBody/>
    }
}

/// An island (staff bundle): the authoring forms still send JSON.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn AuthorListBody() -> impl IntoView {
    let paths = Resource::new(|| (), |_| list_authored_paths());
    let create = ServerAction::<SavePath>::new();
    let import = ServerAction::<ImportPath>::new();
    Effect::new(move |_| {
        let created = create.value().get().and_then(Result::ok);
        let imported = import.value().get().and_then(Result::ok);
        if let Some(id) = created.or(imported) {
            crate::components::session::reload_to(&format!("/author/{id}"));
        }
    });
    let new_title = RwSignal::new(String::new());
    let import_json = RwSignal::new(String::new());
    let create_error = last_error(create.value());
    let import_error = last_error(import.value());
    view! {
        <section class="page" aria-labelledby="author-title">
            <h1 id="author-title">"Learning paths"</h1>
            {loaded(paths, |paths| view! { <AuthoredList paths/> })}
            <div class="author-forms">
                <form class="card" on:submit=move |event| {
                    event.prevent_default();
                    create.dispatch(SavePath { path_id: None, details: PathDetailsInput { title: new_title.get_untracked(), ..Default::default() } });
                }>
                    <h2>"New path"</h2>
                    <div class="field">
                        <label for="new-path-title">"Title"</label>
                        <input id="new-path-title" bind:value=new_title/>
                        <p class="field-error" aria-live="polite">{move || create_error.get().and_then(|e| e.field_message("title"))}</p>
                    </div>
                    <FormError error=create_error fields=&["title"]/>
                    <button type="submit" class="button primary">"Create draft"</button>
                </form>
                <form class="card" on:submit=move |event| {
                    event.prevent_default();
                    import.dispatch(ImportPath { json: import_json.get_untracked() });
                }>
                    <h2>"Import a path"</h2>
                    <p class="hint">"Paste a path exported from this or another Partner Portal. It arrives as a draft."</p>
                    <div class="field">
                        <label for="import-json">"Export JSON"</label>
                        <textarea id="import-json" rows="6" bind:value=import_json></textarea>
                    </div>
                    <ProblemList error=import_error/>
                    <button type="submit" class="button">"Import as draft"</button>
                </form>
            </div>
        </section>
    }
}

/// Every validation problem of an action, with where it is (for imports and settings).
#[component]
fn ProblemList(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| match error {
            AppError::Validation(problems) => view! {
                <ul class="form-error problems" role="alert">
                    {problems.into_iter().map(|p| view! { <li><code>{p.field}</code> ": " {p.message}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
            other => view! { <p class="form-error" role="alert">{other.to_string()}</p> }.into_any(),
        })
    }
}

#[component]
fn AuthoredList(paths: Vec<AuthoredPathSummary>) -> impl IntoView {
    if paths.is_empty() {
        return view! { <p class="empty">"No paths yet. Create one below or import one."</p> }
            .into_any();
    }
    view! {
        <ul class="card-list">
            {paths.into_iter().map(|p| view! {
                <li class="card path-card">
                    <div class="path-head">
                        <h2><a href=format!("/author/{}", p.path_id)>{p.title}</a></h2>
                        <span class=if p.published { "badge done" } else { "badge draft" }>{if p.published { "Published" } else { "Draft" }}</span>
                        {p.required.then(|| view! { <span class="badge required">"Required"</span> })}
                    </div>
                    <p class="meta">
                        {p.step_count} " steps · " {p.question_count} " questions · " {p.completion_count} " completions · version " {p.version}
                    </p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Actions of the editor, created once at the top of the page.
#[derive(Clone, Copy)]
struct EditorActions {
    save_path: ServerAction<SavePath>,
    publish: ServerAction<SetPathPublished>,
    save_step: ServerAction<SaveStep>,
    move_step: ServerAction<MoveStep>,
    delete_step: ServerAction<DeleteStep>,
    add_questions: ServerAction<AddQuestions>,
    retire: ServerAction<RetireQuestion>,
    export: ServerAction<ExportPath>,
}

#[component]
pub fn PathEditorPage() -> impl IntoView {
    let path_id = param_id("path_id")();
    view! {
        <Title text="Edit path"/>
        <PathEditorBody path_id/>
    }
}

/// An island (staff bundle): the editor's forms still send JSON.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn PathEditorBody(path_id: Option<i64>) -> impl IntoView {
    let editor = Resource::new(
        move || path_id,
        |id| async move {
            match id {
                Some(id) => load_path_editor(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let actions = EditorActions {
        save_path: ServerAction::new(),
        publish: ServerAction::new(),
        save_step: ServerAction::new(),
        move_step: ServerAction::new(),
        delete_step: ServerAction::new(),
        add_questions: ServerAction::new(),
        retire: ServerAction::new(),
        export: ServerAction::new(),
    };
    // A successful change reloads the editor's data; a failed one keeps the form and its
    // errors as they are.
    refetch_on_success(actions.save_path, editor);
    refetch_on_success(actions.publish, editor);
    refetch_on_success(actions.save_step, editor);
    refetch_on_success(actions.move_step, editor);
    refetch_on_success(actions.delete_step, editor);
    refetch_on_success(actions.add_questions, editor);
    refetch_on_success(actions.retire, editor);
    view! {
        <section class="page editor" aria-labelledby="editor-title">
            <p><a href="/author">"← All paths"</a></p>
            {loaded(editor, move |data| view! { <Editor data actions/> })}
        </section>
    }
}

#[component]
fn Editor(data: PathEditorData, actions: EditorActions) -> impl IntoView {
    let PathEditorData {
        path_id,
        details,
        published,
        version,
        steps,
        questions,
    } = data;
    let publish_error = last_error(actions.publish.value());
    view! {
        <h1 id="editor-title">{details.title.clone()}</h1>
        <p class="meta">
            {if published { "Published" } else { "Draft — invisible to partners" }} " · version " {version} " · "
            <a href=format!("/learn/{path_id}")>"Preview as a learner"</a>
        </p>
        <div class="card">
            <button type="button" class=if published { "button" } else { "button primary" }
                on:click=move |_| { actions.publish.dispatch(SetPathPublished { path_id, published: !published }); }>
                {if published { "Unpublish" } else { "Publish" }}
            </button>
            <ProblemList error=publish_error/>
        </div>
        <DetailsForm path_id details action=actions.save_path/>
        <h2>"Steps"</h2>
        <ol class="editor-steps">
            {let count = steps.len();
            steps.into_iter().enumerate().map(|(index, step)| view! {
                <StepEditor path_id step index count actions/>
            }).collect_view()}
        </ol>
        <NewStepForm path_id action=actions.save_step/>
        <QuestionBank path_id questions actions/>
        <ExportPanel path_id action=actions.export/>
    }
    .into_any()
}

fn audience_boxes<T: Copy + PartialEq + Send + Sync + 'static>(
    legend: &'static str,
    prefix: &'static str,
    all: &'static [T],
    label: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
    selected: RwSignal<Vec<T>>,
) -> impl IntoView {
    view! {
        <fieldset class="checks">
            <legend>{legend} <span class="hint">" (none ticked: everyone)"</span></legend>
            {all.iter().copied().map(|value| {
                let id = format!("{prefix}-{}", key(value));
                let label_for = id.clone();
                view! {
                    <label for=label_for class="check">
                        <input type="checkbox" id=id
                            prop:checked=move || selected.with(|s| s.contains(&value))
                            on:change=move |_| selected.update(|s| {
                                if let Some(i) = s.iter().position(|v| *v == value) { s.remove(i); } else { s.push(value); }
                            })/>
                        {label(value)}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn DetailsForm(
    path_id: i64,
    details: PathDetailsInput,
    action: ServerAction<SavePath>,
) -> impl IntoView {
    let title = RwSignal::new(details.title);
    let summary = RwSignal::new(details.summary);
    let required = RwSignal::new(details.required);
    let minutes = RwSignal::new(details.estimated_minutes.to_string());
    let types = RwSignal::new(details.audience.partner_types);
    let tiers = RwSignal::new(details.audience.tiers);
    let roles = RwSignal::new(details.audience.job_roles);
    let error = last_error(action.value());
    let message =
        move |field: &'static str| move || error.get().and_then(|e| e.field_message(field));
    let saved = move || action.value().get().is_some_and(|r| r.is_ok()) && !action.pending().get();
    view! {
        <form class="card" on:submit=move |event| {
            event.prevent_default();
            let Ok(estimated_minutes) = minutes.get_untracked().trim().parse::<i64>() else {
                action.value().set(Some(Err(AppError::field("estimated_minutes", "Enter a whole number of minutes."))));
                return;
            };
            action.dispatch(SavePath {
                path_id: Some(path_id),
                details: PathDetailsInput {
                    title: title.get_untracked(),
                    summary: summary.get_untracked(),
                    required: required.get_untracked(),
                    estimated_minutes,
                    audience: Audience { partner_types: types.get_untracked(), tiers: tiers.get_untracked(), job_roles: roles.get_untracked() },
                },
            });
        }>
            <h2>"Details and audience"</h2>
            <div class="field">
                <label for="path-title">"Title"</label>
                <input id="path-title" bind:value=title/>
                <p class="field-error" aria-live="polite">{message("title")}</p>
            </div>
            <div class="field">
                <label for="path-summary">"Summary"</label>
                <textarea id="path-summary" rows="3" bind:value=summary></textarea>
                <p class="field-error" aria-live="polite">{message("summary")}</p>
            </div>
            <div class="field">
                <label for="path-minutes">"Estimated minutes"</label>
                <input id="path-minutes" inputmode="numeric" bind:value=minutes/>
                <p class="field-error" aria-live="polite">{message("estimated_minutes")}</p>
            </div>
            <label class="check" for="path-required">
                <input type="checkbox" id="path-required" bind:checked=required/>
                "Required for its audience"
            </label>
            {audience_boxes("Partner types", "type", PartnerType::ALL, PartnerType::label, PartnerType::as_str, types)}
            {audience_boxes("Tiers", "tier", Tier::ALL, Tier::label, Tier::as_str, tiers)}
            {audience_boxes("Job roles", "role", JobRole::ALL, JobRole::label, JobRole::as_str, roles)}
            <FormError error fields=&["title", "summary", "estimated_minutes"]/>
            <button type="submit" class="button primary">"Save details"</button>
            <Show when=saved><span class="done-note" role="status">" Saved."</span></Show>
        </form>
    }
    .into_any()
}

/// A starting point for a new step's settings, by kind.
fn settings_template(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Video => "{\n  \"src\": \"/media/lumen-intro.webm\",\n  \"captions_src\": \"/media/lumen-intro.en.vtt\",\n  \"captions_language\": \"en\",\n  \"duration_secs\": 12\n}",
        StepKind::Document => "{\n  \"markdown\": \"# Title\\n\\nWrite the document here.\"\n}",
        StepKind::Quiz => "{\n  \"pass_mark_percent\": 80,\n  \"max_attempts\": 3,\n  \"cooldown_secs\": 600,\n  \"time_limit_secs\": 900,\n  \"draw_count\": null,\n  \"draw_tags\": [],\n  \"shuffle_options\": true,\n  \"review_level\": \"CorrectAnswers\",\n  \"review_when\": \"AfterPassingOrFinalAttempt\"\n}",
        StepKind::LiveSession => "{\n  \"starts_at\": 1798819200000,\n  \"duration_minutes\": 60,\n  \"join_url\": \"https://meet.example.com/session\",\n  \"capacity\": 40,\n  \"host\": \"\"\n}",
        StepKind::Survey => "{\n  \"question\": \"How useful was this step?\"\n}",
    }
}

#[component]
fn StepFields(
    prefix: String,
    title: RwSignal<String>,
    required: RwSignal<bool>,
    settings: RwSignal<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let title_id = format!("{prefix}-title");
    let required_id = format!("{prefix}-required");
    let required_for = required_id.clone();
    let settings_id = format!("{prefix}-settings");
    let settings_for = settings_id.clone();
    let title_for = title_id.clone();
    view! {
        <div class="field">
            <label for=title_for>"Step title"</label>
            <input id=title_id bind:value=title/>
            <p class="field-error" aria-live="polite">{move || error.get().and_then(|e| e.field_message("step_title"))}</p>
        </div>
        <label class="check" for=required_for>
            <input type="checkbox" id=required_id bind:checked=required/>
            "Required to complete the path"
        </label>
        <div class="field">
            <label for=settings_for>"Settings (JSON)"</label>
            <textarea id=settings_id class="code" rows="8" spellcheck="false" bind:value=settings></textarea>
        </div>
        <ProblemList error/>
    }
    .into_any()
}

#[component]
fn StepEditor(
    path_id: i64,
    step: EditorStep,
    index: usize,
    count: usize,
    actions: EditorActions,
) -> impl IntoView {
    let EditorStep {
        step_id,
        kind,
        title,
        required,
        settings_json,
        attempt_count,
    } = step;
    let title_signal = RwSignal::new(title.clone());
    let required_signal = RwSignal::new(required);
    let settings = RwSignal::new(settings_json);
    let submitted_here = RwSignal::new(false);
    let save_error = last_error_here(submitted_here, actions.save_step.value());
    let deleting_here = RwSignal::new(false);
    let delete_error = last_error_here(deleting_here, actions.delete_step.value());
    view! {
        <li class="card editor-step">
            <div class="step-row">
                <span class="step-kind">{kind.label()}</span>
                <strong class="step-title">{title.clone()}</strong>
                {(!required).then_some(" (optional)")}
                <span class="row-buttons">
                    <button type="button" class="icon-button" aria-label=format!("Move “{title}” up") disabled=index == 0
                        on:click=move |_| { actions.move_step.dispatch(MoveStep { step_id, up: true }); }>"↑"</button>
                    <button type="button" class="icon-button" aria-label=format!("Move “{title}” down") disabled=index + 1 == count
                        on:click=move |_| { actions.move_step.dispatch(MoveStep { step_id, up: false }); }>"↓"</button>
                </span>
            </div>
            {(kind == StepKind::Quiz).then(|| view! {
                <p class="meta">{attempt_count} " attempts · " <a href=format!("/author/steps/{step_id}/stats")>"Question statistics"</a></p>
            })}
            <details>
                <summary>"Edit step"</summary>
                <form on:submit=move |event| {
                    event.prevent_default();
                    submitted_here.set(true);
                    actions.save_step.dispatch(SaveStep {
                        path_id, step_id: Some(step_id), kind,
                        title: title_signal.get_untracked(), required: required_signal.get_untracked(),
                        settings_json: settings.get_untracked(),
                    });
                }>
                    <StepFields prefix=format!("step-{step_id}") title=title_signal required=required_signal settings error=save_error/>
                    <button type="submit" class="button primary">"Save step"</button>
                    <button type="button" class="button danger" on:click=move |_| { deleting_here.set(true); actions.delete_step.dispatch(DeleteStep { step_id }); }>"Delete step"</button>
                    <FormError error=delete_error fields=&[]/>
                </form>
            </details>
        </li>
    }
    .into_any()
}

#[component]
fn NewStepForm(path_id: i64, action: ServerAction<SaveStep>) -> impl IntoView {
    let kind = RwSignal::new(StepKind::Document);
    let title = RwSignal::new(String::new());
    let required = RwSignal::new(true);
    let settings = RwSignal::new(settings_template(StepKind::Document).to_string());
    let submitted_here = RwSignal::new(false);
    let error = last_error_here(submitted_here, action.value());
    // A successful add clears the form for the next step.
    Effect::new(move |_| {
        if submitted_here.get_untracked() && action.value().get().is_some_and(|r| r.is_ok()) {
            title.set(String::new());
            submitted_here.set(false);
        }
    });
    view! {
        <form class="card" on:submit=move |event| {
            event.prevent_default();
            submitted_here.set(true);
            action.dispatch(SaveStep {
                path_id, step_id: None, kind: kind.get_untracked(),
                title: title.get_untracked(), required: required.get_untracked(),
                settings_json: settings.get_untracked(),
            });
        }>
            <h2>"Add a step"</h2>
            <div class="field">
                <label for="new-step-kind">"Kind"</label>
                <select id="new-step-kind" on:change=move |event| {
                    if let Some(chosen) = StepKind::parse(&event_target_value(&event)) {
                        kind.set(chosen);
                        settings.set(settings_template(chosen).to_string());
                    }
                }>
                    {StepKind::ALL.iter().map(|k| view! {
                        <option value=k.as_str() selected=*k == StepKind::Document>{k.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <StepFields prefix="new-step".to_string() title required settings error/>
            <button type="submit" class="button primary">"Add step"</button>
        </form>
    }
    .into_any()
}

#[component]
fn QuestionBank(
    path_id: i64,
    questions: Vec<EditorQuestion>,
    actions: EditorActions,
) -> impl IntoView {
    let json = RwSignal::new(String::new());
    let error = last_error(actions.add_questions.value());
    let count = questions.len();
    view! {
        <h2>"Question bank (" {count} ")"</h2>
        <details class="card">
            <summary>"Show questions"</summary>
            <ul class="bank">
                {questions.into_iter().map(|q| {
                    let question_id = q.question_id;
                    view! {
                        <li>
                            <span class="step-kind">{format!("{:?}", q.kind)}</span>
                            " " {q.prompt.clone()}
                            {(!q.tags.is_empty()).then(|| view! { <span class="meta">" · " {q.tags.join(", ")}</span> })}
                            <button type="button" class="button danger small" aria-label=format!("Retire question: {}", q.prompt)
                                on:click=move |_| { actions.retire.dispatch(RetireQuestion { path_id, question_id }); }>"Retire"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
        <form class="card" on:submit=move |event| {
            event.prevent_default();
            actions.add_questions.dispatch(AddQuestions { path_id, questions_json: json.get_untracked() });
        }>
            <h3>"Add questions"</h3>
            <p class="hint">"A JSON list of questions in the export format (content, key, feedback, tags, weight). Retired questions stay in past attempts; new attempts draw from the current bank."</p>
            <div class="field">
                <label for="questions-json">"Questions (JSON)"</label>
                <textarea id="questions-json" class="code" rows="6" spellcheck="false" bind:value=json></textarea>
            </div>
            <ProblemList error/>
            <button type="submit" class="button">"Add to bank"</button>
        </form>
    }
    .into_any()
}

#[component]
fn ExportPanel(path_id: i64, action: ServerAction<ExportPath>) -> impl IntoView {
    view! {
        <div class="card">
            <h2>"Export"</h2>
            <p class="hint">"The whole path — steps, settings and question bank with answer keys — as JSON, to import into another deployment."</p>
            <button type="button" class="button" on:click=move |_| { action.dispatch(ExportPath { path_id }); }>"Prepare export"</button>
            {move || action.value().get().map(|result| match result {
                Ok(json) => {
                    let href = format!("data:application/json;charset=utf-8,{}", encode_query_value(&json));
                    view! {
                        <p><a class="button primary" href=href download=format!("learning-path-{path_id}.json")>"Download JSON"</a></p>
                        <label for="export-json" class="sr-only">"Export JSON"</label>
                        <textarea id="export-json" class="code" rows="6" readonly=true>{textarea_text(json)}</textarea>
                    }.into_any()
                }
                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </div>
    }
    .into_any()
}

#[component]
pub fn QuizStatsPage() -> impl IntoView {
    let step_id = param_id("step_id");
    let stats = Resource::new(step_id, |id| async move {
        match id {
            Some(id) => load_quiz_statistics(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Title text="Question statistics"/>
        <section class="page" aria-labelledby="stats-title">
            {loaded(stats, |stats| view! { <StatsView stats/> })}
        </section>
    }
}

#[component]
fn StatsView(stats: QuizStatistics) -> impl IntoView {
    let percent = |v: Option<f64>| v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "—".into());
    view! {
        <p><a href=format!("/author/{}", stats.path_id)>"← Back to the path"</a></p>
        <h1 id="stats-title">{stats.title.clone()} ": question statistics"</h1>
        <dl class="facts">
            <dt>"Submitted attempts"</dt><dd>{stats.submitted_attempts}</dd>
            <dt>"Pass rate"</dt><dd>{percent(stats.pass_rate_percent)}</dd>
            <dt>"Mean score"</dt><dd>{percent(stats.mean_score_percent)}</dd>
        </dl>
        <p class="hint">"Facility: share of marks earned (too easy above 95%, too hard below 20%). Discrimination: how well the question separates stronger from weaker learners (below 0.1, or negative, often means a wrong key or a misleading question). Flags need at least 10 attempts."</p>
        {if stats.items.is_empty() {
            view! { <p class="empty">"No submitted attempts yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" role="region" aria-label="Question statistics" tabindex="0">
                <table class="attempts">
                    <thead><tr><th scope="col">"Question"</th><th scope="col">"Attempts"</th><th scope="col">"Facility"</th><th scope="col">"Discrimination"</th><th scope="col">"Review?"</th></tr></thead>
                    <tbody>
                        {stats.items.into_iter().map(|item| view! {
                            <tr class:flagged=item.needs_review>
                                <td>{item.prompt}</td>
                                <td>{item.attempts}</td>
                                <td>{format!("{:.0}%", item.facility * 100.0)}</td>
                                <td>{item.discrimination.map(|d| format!("{d:.2}")).unwrap_or_else(|| "—".into())}</td>
                                <td>{if item.needs_review { "Check this question" } else { "" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        }}
    }
}
