//! Authoring learning paths: the list, the path editor, import/export, and quiz statistics.
use crate::api::authoring::path_export_url;
use crate::api::authoring::{
    list_authored_paths, load_path_editor, load_quiz_statistics, AddQuestions, DeleteStep,
    ImportPath, MoveStep, RetireQuestion, SavePath, SaveStep, SetPathPublished,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, form_error, last_error, ticked_before, FormError, SelectField, TextField,
};
use crate::components::load::loaded;
use crate::components::status::{Pill, Tone};
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::steps::{settings_template, StepKind};
use crate::error::AppError;
use crate::model::{
    AuthoredPathSummary, EditorQuestion, EditorStep, PathDetailsInput, PathEditorData,
    QuizStatistics,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
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
    let paths = Resource::new(|| (), |_| list_authored_paths());
    let create = ServerAction::<SavePath>::new();
    let import = ServerAction::<ImportPath>::new();
    let create_error = last_error(create.value());
    let import_error = last_error(import.value());
    view! {
        <Title text="Authoring"/>
        <section class="page" aria-labelledby="author-title">
            <h1 id="author-title">"Learning paths"</h1>
            {loaded(paths, |paths| view! { <AuthoredList paths/> })}
            <EnhancedForm>
                <div class="author-forms">
                    <form class="card" method="post" action={form_action::<SavePath>("new-path")} novalidate=true aria-labelledby="new-path-heading">
                        <h2 id="new-path-heading">"New path"</h2>
                        <FormError error=create_error form="new-path" fields=&["title"]/>
                        <TextField form="new-path" label="Title" name="title" within="details" error=create_error/>
                        <button type="submit" class="button primary">"Create draft"</button>
                    </form>
                    <form class="card" method="post" action={form_action::<ImportPath>("import")} novalidate=true aria-labelledby="import-heading" data-name-fields="">
                        <h2 id="import-heading">"Import a path"</h2>
                        <ProblemList error=import_error/>
                        <TextField form="import" label="Export JSON" name="json" rows=6 code=true error=import_error
                            hint="Paste a path exported from this or another Partner Portal. It arrives as a draft."/>
                        <button type="submit" class="button">"Import as draft"</button>
                    </form>
                </div>
            </EnhancedForm>
        </section>
    }
}

/// Every validation problem of an action with where it is (the settings key or import
/// path), after a failed plain post. The enhanced form lists the same messages in place.
#[component]
fn ProblemList(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| match error {
            AppError::Validation(problems) => view! {
                <div class="error-summary" data-error-summary="" role="alert" tabindex="-1" autofocus=true>
                    <p class="error-summary-title">{crate::components::form::error_summary_title(problems.len())}</p>
                    <ul class="problems">
                        {problems.into_iter().map(|p| view! { <li><code>{p.field}</code> ": " {p.message}</li> }).collect_view()}
                    </ul>
                </div>
            }
            .into_any(),
            other => view! {
                <div class="error-summary" data-error-summary="" role="alert" tabindex="-1" autofocus=true>
                    <p>{other.to_string()}</p>
                </div>
            }
            .into_any(),
        })
    }
}

#[component]
fn AuthoredList(paths: Vec<AuthoredPathSummary>) -> impl IntoView {
    if paths.is_empty() {
        return view! { <EmptyState title="No paths yet." next="Create one below, or import a path exported from another portal."/> }
            .into_any();
    }
    view! {
        <ul class="card-list">
            {paths.into_iter().map(|p| view! {
                <li class="card path-card">
                    <div class="path-head">
                        <h2><a href=format!("/author/{}", p.path_id)>{p.title}</a></h2>
                        {if p.published {
                            view! { <Pill tone=Tone::Positive text="Published"/> }
                        } else {
                            view! { <Pill tone=Tone::Neutral text="Draft"/> }
                        }}
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

/// Actions of the editor, created once at the top of the page: on the server they carry the
/// error of a failed plain post back to the form it came from.
#[derive(Clone, Copy)]
struct EditorActions {
    save_path: ServerAction<SavePath>,
    publish: ServerAction<SetPathPublished>,
    save_step: ServerAction<SaveStep>,
    move_step: ServerAction<MoveStep>,
    delete_step: ServerAction<DeleteStep>,
    add_questions: ServerAction<AddQuestions>,
    retire: ServerAction<RetireQuestion>,
}

#[component]
pub fn PathEditorPage() -> impl IntoView {
    let path_id = param_id("path_id")();
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
    };
    view! {
        <Title text="Edit path"/>
        <section class="page editor" aria-labelledby="editor-title">
            <p><a href="/author">"← All paths"</a></p>
            <EnhancedForm>
                {loaded(editor, move |data| view! { <Editor data actions/> })}
            </EnhancedForm>
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
        <form class="card" method="post" action=SetPathPublished::url()
            data-done=if published { "Unpublished: partners no longer see this path." } else { "Published: the path's audience can take it now." }
            data-name-fields="">
            <ProblemList error=publish_error/>
            <input type="hidden" name="path_id" value=path_id.to_string()/>
            <input type="hidden" name="published" value=(!published).to_string()/>
            <button type="submit" class=if published { "button" } else { "button primary" }>
                {if published { "Unpublish" } else { "Publish" }}
            </button>
        </form>
        <DetailsForm path_id details action=actions.save_path/>
        <h2>"Steps"</h2>
        {steps.is_empty().then(|| view! {
            <EmptyState title="No steps yet." next="Add the first step below: a document, a video, a quiz, a live session or a survey."/>
        })}
        <ol class="editor-steps">
            {let count = steps.len();
            steps.into_iter().enumerate().map(|(index, step)| view! {
                <StepEditor path_id step index count actions/>
            }).collect_view()}
        </ol>
        <NewStepForm path_id action=actions.save_step/>
        <QuestionBank path_id questions actions/>
        <ExportPanel path_id/>
    }
    .into_any()
}

/// Ticks for one audience dimension, posted as `details[audience][<list>][]` with serde's
/// names for the values.
fn audience_boxes<T: Copy + PartialEq + Send + Sync + 'static>(
    legend: &'static str,
    list: &'static str,
    all: &'static [T],
    label: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
    serde_name: fn(T) -> &'static str,
    selected: Vec<T>,
) -> impl IntoView {
    view! {
        <fieldset class="checks">
            <legend>{legend} <span class="hint">" (none ticked: everyone)"</span></legend>
            {all.iter().copied().map(|value| {
                let id = format!("{list}-{}", key(value));
                let label_for = id.clone();
                let name = format!("details[audience][{list}][]");
                let ticked = ticked_before("path", &name, serde_name(value))
                    .unwrap_or_else(|| selected.contains(&value));
                view! {
                    <label for=label_for class="check">
                        <input type="checkbox" id=id name=name value=serde_name(value) checked=ticked/>
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
    let error = last_error(action.value());
    let audience = details.audience;
    view! {
        <form class="card" method="post" action={form_action::<SavePath>("path")} novalidate=true data-done="Details saved."
            aria-labelledby="details-heading">
            <h2 id="details-heading">"Details and audience"</h2>
            <FormError error form="path" fields=&["title", "summary", "estimated_minutes"]/>
            <input type="hidden" name="path_id" value=path_id.to_string()/>
            <TextField form="path" label="Title" name="title" within="details" value=details.title error/>
            <TextField form="path" label="Summary" name="summary" within="details" rows=3 value=details.summary error/>
            <TextField form="path" label="Estimated minutes" name="estimated_minutes" within="details"
                inputmode="numeric" value=details.estimated_minutes.to_string() error/>
            <label class="check" for="path-required">
                <input type="checkbox" id="path-required" name="details[required]" value="true"
                    checked=ticked_before("path", "details[required]", "true").unwrap_or(details.required)/>
                "Required for its audience"
            </label>
            {audience_boxes("Partner types", "partner_types", PartnerType::ALL, PartnerType::label, PartnerType::as_str, PartnerType::serde_name, audience.partner_types)}
            {audience_boxes("Tiers", "tiers", Tier::ALL, Tier::label, Tier::as_str, Tier::serde_name, audience.tiers)}
            {audience_boxes("Job roles", "job_roles", JobRole::ALL, JobRole::label, JobRole::as_str, JobRole::serde_name, audience.job_roles)}
            <button type="submit" class="button primary">"Save details"</button>
        </form>
    }
    .into_any()
}

/// A step's title, required flag and settings, inside a form posting to `save_step`.
#[component]
fn StepFields(
    form: String,
    title: String,
    required: bool,
    settings: String,
    #[prop(optional)] settings_hint: Option<&'static str>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let required_id = format!("{form}-required");
    let required_for = required_id.clone();
    let required = ticked_before(&form, "required", "true").unwrap_or(required);
    view! {
        <TextField form=form.clone() label="Step title" name="step_title" post_as="title" value=title error/>
        <label class="check" for=required_for>
            <input type="checkbox" id=required_id name="required" value="true" checked=required/>
            "Required to complete the path"
        </label>
        <TextField form=form.clone() label="Settings (JSON)" name="settings" post_as="settings_json" rows=8 code=true
            value=settings hint=settings_hint.unwrap_or("The kind's settings as JSON.") error/>
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
    let form = format!("step-{step_id}");
    let save_error = form_error(actions.save_step, &form);
    let delete_item = format!("delete-step-{step_id}");
    let delete_error = form_error(actions.delete_step, &delete_item);
    let move_item = format!("move-step-{step_id}");
    let move_error = form_error(actions.move_step, &move_item);
    let failed_here = move || save_error.get().is_some() || delete_error.get().is_some();
    let mover = move |up: bool, label: String, disabled: bool| {
        view! {
            <form method="post" action={form_action::<MoveStep>(&move_item)} class="inline-form">
                <input type="hidden" name="step_id" value=step_id.to_string()/>
                <input type="hidden" name="up" value=up.to_string()/>
                <button type="submit" class="icon-button" aria-label=label disabled=disabled>{if up { "↑" } else { "↓" }}</button>
            </form>
        }
    };
    view! {
        <li class="card editor-step" id=form.clone()>
            <div class="step-row">
                <span class="step-kind">{kind.label()}</span>
                <strong class="step-title">{title.clone()}</strong>
                {(!required).then_some(" (optional)")}
                <span class="row-buttons">
                    {mover(true, format!("Move “{title}” up"), index == 0)}
                    {mover(false, format!("Move “{title}” down"), index + 1 == count)}
                </span>
            </div>
            <FormError error=move_error fields=&[]/>
            {(kind == StepKind::Quiz).then(|| view! {
                <p class="meta">{attempt_count} " attempts · " <a href=format!("/author/steps/{step_id}/stats")>"Question statistics"</a></p>
            })}
            <details open=failed_here>
                <summary>"Edit step"</summary>
                <form method="post" action={form_action::<SaveStep>(&form)} novalidate=true data-done="Step saved." data-name-fields="">
                    <ProblemList error=save_error/>
                    <input type="hidden" name="path_id" value=path_id.to_string()/>
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <input type="hidden" name="kind" value=kind.serde_name()/>
                    <StepFields form=form.clone() title=title.clone() required settings=settings_json error=save_error/>
                    <button type="submit" class="button primary">"Save step"</button>
                </form>
                <form method="post" action={form_action::<DeleteStep>(&delete_item)} data-done="Step deleted.">
                    <FormError error=delete_error fields=&[]/>
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <button type="submit" class="button danger">"Delete step"</button>
                </form>
            </details>
        </li>
    }
    .into_any()
}

/// Adding a step: a plain post. The settings start from the document kind's template; every
/// kind's starting point is listed under the form.
#[component]
fn NewStepForm(path_id: i64, action: ServerAction<SaveStep>) -> impl IntoView {
    let form = "new-step".to_string();
    let error = form_error(action, &form);
    let kinds = StepKind::ALL
        .iter()
        .map(|k| (k.serde_name().to_string(), k.label().to_string()))
        .collect();
    view! {
        <form class="card" method="post" action={form_action::<SaveStep>(&form)} novalidate=true
            data-done="Step added." aria-labelledby="new-step-heading" id=form.clone() data-name-fields="">
            <h2 id="new-step-heading">"Add a step"</h2>
            <ProblemList error/>
            <input type="hidden" name="path_id" value=path_id.to_string()/>
            <SelectField form=form.clone() label="Kind" name="kind" options=kinds
                selected=StepKind::Document.serde_name() error/>
            <StepFields form=form.clone() title=String::new() required=true
                settings=String::new() settings_hint="Leave empty to start from the kind's defaults (below), then edit the step." error/>
            <button type="submit" class="button primary">"Add step"</button>
            <details class="templates">
                <summary>"Settings of each kind"</summary>
                {StepKind::ALL.iter().map(|k| view! {
                    <h3>{k.label()}</h3>
                    <pre class="code">{settings_template(*k)}</pre>
                }).collect_view()}
            </details>
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
    let error = last_error(actions.add_questions.value());
    let retire_error = last_error(actions.retire.value());
    let count = questions.len();
    view! {
        <h2>"Question bank (" {count} ")"</h2>
        <details class="card" open=move || retire_error.get().is_some()>
            <summary>"Show questions"</summary>
            <FormError error=retire_error fields=&[]/>
            <ul class="bank">
                {questions.into_iter().map(|q| view! {
                    <li>
                        <span class="step-kind">{format!("{:?}", q.kind)}</span>
                        " " {q.prompt.clone()}
                        {(!q.tags.is_empty()).then(|| view! { <span class="meta">" · " {q.tags.join(", ")}</span> })}
                        <form method="post" action=RetireQuestion::url() class="inline-form" data-done="Question retired.">
                            <input type="hidden" name="path_id" value=path_id.to_string()/>
                            <input type="hidden" name="question_id" value=q.question_id.to_string()/>
                            <button type="submit" class="button danger small" aria-label=format!("Retire question: {}", q.prompt)>"Retire"</button>
                        </form>
                    </li>
                }).collect_view()}
            </ul>
        </details>
        <form class="card" method="post" action={form_action::<AddQuestions>("questions")} novalidate=true data-done="Questions added to the bank."
            aria-labelledby="add-questions-heading" data-name-fields="">
            <h3 id="add-questions-heading">"Add questions"</h3>
            <ProblemList error/>
            <input type="hidden" name="path_id" value=path_id.to_string()/>
            <TextField form="questions" label="Questions (JSON)" name="questions_json" rows=6 code=true error
                hint="A JSON list of questions in the export format (content, key, feedback, tags, weight). Retired questions stay in past attempts; new attempts draw from the current bank."/>
            <button type="submit" class="button">"Add to bank"</button>
        </form>
    }
    .into_any()
}

/// The path as a JSON file: a plain link the browser downloads.
#[component]
fn ExportPanel(path_id: i64) -> impl IntoView {
    view! {
        <div class="card">
            <h2>"Export"</h2>
            <p class="hint">"The whole path — steps, settings and question bank with answer keys — as JSON, to import into another deployment."</p>
            <p><a class="button" href=path_export_url(path_id) download=format!("learning-path-{path_id}.json")>"Download JSON"</a></p>
        </div>
    }
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
