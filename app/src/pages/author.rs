//! Authoring learning paths: the list, the path editor, import/export, and quiz statistics.
use crate::api::authoring::path_export_url;
use crate::api::authoring::{
    list_authored_paths, load_path_editor, load_quiz_statistics, AddQuestion, AddQuestions,
    DeleteStep, ImportPath, MoveStep, RetireQuestion, SavePath, SaveStep, SetPathPublished,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, form_error, last_error, ticked_before, typed_before, FormError, SelectField,
    TextField,
};
use crate::components::load::loaded;
use crate::components::status::{Pill, Tone};
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::question_form::{kind_label, FORM_ROWS, KINDS};
use crate::domain::quiz::content::{Choice, QuestionContent, QuestionKind};
use crate::domain::step_form::{StepForm, REVIEW_LEVELS, REVIEW_WHEN};
use crate::domain::steps::StepKind;
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
    add_question: ServerAction<AddQuestion>,
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
        add_question: ServerAction::new(),
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
    }
    .into_any()
}

/// A step's settings as fields of its kind (`settings[field]`), each with its error slot.
#[component]
fn SettingsFields(
    form: String,
    kind: StepKind,
    settings: StepForm,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let field = |label: &'static str,
                 name: &'static str,
                 value: String,
                 hint: Option<&'static str>| {
        match hint {
            Some(hint) => view! { <TextField form=form.clone() label name within="settings" value hint error/> }.into_any(),
            None => view! { <TextField form=form.clone() label name within="settings" value error/> }.into_any(),
        }
    };
    // What the preview shows before any typing: the text as the form shows it (what was
    // typed into a failed post, else what is saved).
    let markdown_now = crate::components::form::typed_before(&form, "settings[markdown]")
        .unwrap_or_else(|| settings.markdown.clone());
    match kind {
        StepKind::Document => view! {
            <TextField form=form.clone() label="Text (Markdown)" name="markdown" within="settings" rows=14
                value=settings.markdown.clone() hint="Headings start with #, **bold**, *italic*, - lists, [links](https://…). The preview shows it as learners will." error/>
            <MarkdownPreview source=format!("{form}-markdown") initial=rendered_markdown(&markdown_now)/>
        }
        .into_any(),
        StepKind::Video => view! {
            <div class="settings-grid">
                {field("Video file or address", "src", settings.src, Some("A file like /media/intro.webm, or an https:// address."))}
                {field("Captions (WebVTT)", "captions_src", settings.captions_src, Some("A .vtt file like /media/intro.en.vtt; empty for none."))}
                {field("Captions language", "captions_language", settings.captions_language, Some("A language code, like en or de."))}
                {field("Length (seconds)", "duration_secs", settings.duration_secs, Some("So watching is counted by time, not by what the browser reports."))}
            </div>
        }
        .into_any(),
        StepKind::LiveSession => view! {
            <div class="settings-grid">
                <TextField form=form.clone() label="Starts (UTC)" name="starts_at" kind="datetime-local" within="settings"
                    value=settings.starts_at hint="In UTC: learners see it in their own time zone." error/>
                {field("Length (minutes)", "duration_minutes", settings.duration_minutes, None)}
                {field("Join link", "join_url", settings.join_url, Some("An https:// address."))}
                {field("Seats", "capacity", settings.capacity, Some("Empty for no limit."))}
                {field("Host", "host", settings.host, None)}
            </div>
        }
        .into_any(),
        StepKind::Survey => field("Question", "question", settings.question, None).into_any(),
        StepKind::Quiz => {
            let levels = REVIEW_LEVELS
                .iter()
                .map(|(_, value, label)| (value.to_string(), label.to_string()))
                .collect();
            let whens = REVIEW_WHEN
                .iter()
                .map(|(_, value, label)| (value.to_string(), label.to_string()))
                .collect();
            let shuffle_id = format!("{form}-shuffle_options");
            let shuffle_for = shuffle_id.clone();
            let shuffled = ticked_before(&form, "settings[shuffle_options]", "true")
                .unwrap_or(!settings.shuffle_options.is_empty());
            view! {
                <div class="settings-grid">
                    {field("Pass mark (%)", "pass_mark_percent", settings.pass_mark_percent, None)}
                    {field("Attempts allowed", "max_attempts", settings.max_attempts, Some("Empty for no limit."))}
                    {field("Wait between attempts (minutes)", "cooldown_minutes", settings.cooldown_minutes, Some("0 for none."))}
                    {field("Time limit (minutes)", "time_limit_minutes", settings.time_limit_minutes, Some("Empty for none; at least half a minute."))}
                    {field("Questions per attempt", "draw_count", settings.draw_count, Some("Drawn from the bank; empty asks them all."))}
                    {field("Only questions tagged", "draw_tags", settings.draw_tags, Some("Tags separated by commas; empty for any."))}
                    <SelectField form=form.clone() label="After an attempt, learners see" name="review_level" within="settings"
                        options=levels selected=settings.review_level error/>
                    <SelectField form=form.clone() label="They see it" name="review_when" within="settings"
                        options=whens selected=settings.review_when error/>
                </div>
                <label class="check" for=shuffle_for>
                    <input type="checkbox" id=shuffle_id name="settings[shuffle_options]" value="true" checked=shuffled/>
                    "Shuffle the answer options for each learner"
                </label>
            }
            .into_any()
        }
    }
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
        settings,
        attempt_count,
        ..
    } = step;
    let form = format!("step-{step_id}");
    let save_error = form_error(actions.save_step, &form);
    let delete_item = format!("delete-step-{step_id}");
    let delete_error = form_error(actions.delete_step, &delete_item);
    let move_item = format!("move-step-{step_id}");
    let move_error = form_error(actions.move_step, &move_item);
    let failed_here = move || save_error.get().is_some();
    let delete_failed = move || delete_error.get().is_some();
    let confirm_id = format!("{delete_item}-confirm");
    let confirm_for = confirm_id.clone();
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
                    <StepFields form=form.clone() title=title.clone() required error=save_error/>
                    <SettingsFields form=form.clone() kind settings error=save_error/>
                    <button type="submit" class="button primary">"Save step"</button>
                </form>
            </details>
            // Deleting sits apart from saving, behind its own disclosure and a confirmation.
            <details class="danger-zone" open=delete_failed>
                <summary>"Delete this step"</summary>
                <form method="post" action={form_action::<DeleteStep>(&delete_item)} data-done="Step deleted." novalidate=true>
                    <FormError error=delete_error form=delete_item.clone() fields=&["confirm"]/>
                    <input type="hidden" name="step_id" value=step_id.to_string()/>
                    <div class="field check" class:invalid=move || delete_error.get().is_some()>
                        <input type="checkbox" id=confirm_id name="confirm" value="true"
                            aria-describedby=format!("{delete_item}-confirm-error")/>
                        <label for=confirm_for>{format!("Delete “{title}” and learners' progress on it. This cannot be undone.")}</label>
                        <p class="field-error" id=format!("{delete_item}-confirm-error") data-field="confirm" aria-live="polite">
                            {move || delete_error.get().and_then(|e| e.field_message("confirm"))}
                        </p>
                    </div>
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
            <StepFields form=form.clone() title=String::new() required=true error/>
            <p class="hint">"The step starts from sensible settings for its kind; open it below to write its text or set its options."</p>
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
    let error = last_error(actions.add_questions.value());
    let retire_error = last_error(actions.retire.value());
    let count = questions.len();
    view! {
        <h2>"Question bank (" {count} ")"</h2>
        <details class="card" open=move || retire_error.get().is_some()>
            <summary>"Show questions as learners see them"</summary>
            <FormError error=retire_error fields=&[]/>
            <ul class="bank">
                {questions.into_iter().map(|q| view! {
                    <li class="bank-question">
                        <p class="meta">
                            <span class="step-kind">{kind_label(q.kind)}</span>
                            {(!q.tags.is_empty()).then(|| format!(" · {}", q.tags.join(", ")))}
                        </p>
                        <LearnerPreview content=q.content.clone()/>
                        <p class="answer"><span class="label">"Right answer: "</span>{q.answer.clone()}</p>
                        <form method="post" action=RetireQuestion::url() class="inline-form" data-done="Question retired.">
                            <input type="hidden" name="path_id" value=path_id.to_string()/>
                            <input type="hidden" name="question_id" value=q.question_id.to_string()/>
                            <button type="submit" class="button danger small" aria-label=format!("Retire question: {}", q.prompt)>"Retire"</button>
                        </form>
                    </li>
                }).collect_view()}
            </ul>
        </details>
        <h3>"Add a question"</h3>
        <div class="question-forms">
            {KINDS.iter().map(|(kind, slug, label)| view! {
                <QuestionFormCard path_id kind=*kind slug label action=actions.add_question/>
            }).collect_view()}
        </div>
        <details class="card">
            <summary>"Add questions as JSON (from an export)"</summary>
            <form method="post" action={form_action::<AddQuestions>("questions")} novalidate=true data-done="Questions added to the bank."
                aria-label="Add questions as JSON" data-name-fields="">
                <ProblemList error/>
                <input type="hidden" name="path_id" value=path_id.to_string()/>
                <TextField form="questions" label="Questions (JSON)" name="questions_json" rows=6 code=true error
                    hint="A JSON list of questions in the export format (content, key, feedback, tags, weight). Retired questions stay in past attempts; new attempts draw from the current bank."/>
                <button type="submit" class="button">"Add to bank"</button>
            </form>
        </details>
    }
    .into_any()
}

/// A question as a learner gets it, with nothing to answer: the prompt and the controls of
/// its kind (options never marked).
#[component]
fn LearnerPreview(content: QuestionContent) -> impl IntoView {
    let QuestionContent {
        kind,
        prompt,
        options,
        targets,
    } = content;
    let choices = |input: &'static str, items: Vec<String>| {
        view! {
            <ul class="preview-options">
                {items.into_iter().map(|text| view! {
                    <li><label><input type=input disabled=true/> " " {text}</label></li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let texts = |items: &[Choice]| items.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    let controls = match kind {
        QuestionKind::SingleChoice => choices("radio", texts(&options)),
        QuestionKind::MultipleChoice => choices("checkbox", texts(&options)),
        QuestionKind::TrueFalse => choices("radio", vec!["True".into(), "False".into()]),
        QuestionKind::Ordering => view! {
            <ol class="preview-options">{options.into_iter().map(|c| view! { <li>{c.text}</li> }).collect_view()}</ol>
            <p class="hint">"Learners get these shuffled and put them in order."</p>
        }
        .into_any(),
        QuestionKind::Matching => view! {
            <ul class="preview-options">
                {options.into_iter().map(|left| view! {
                    <li>{left.text} " → "
                        <select disabled=true aria-label="Match">
                            <option>"Choose…"</option>
                            {targets.iter().map(|t| view! { <option>{t.text.clone()}</option> }).collect_view()}
                        </select>
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
        QuestionKind::ShortText => view! { <input class="preview-input" disabled=true placeholder="Their answer" aria-label="Their answer"/> }.into_any(),
        QuestionKind::Numeric => view! { <input class="preview-input" disabled=true inputmode="decimal" placeholder="A number" aria-label="A number"/> }.into_any(),
    };
    view! {
        <div class="learner-preview">
            <p class="prompt">{prompt}</p>
            {controls}
        </div>
    }
}

/// Writing one question of one kind: a plain post (`question[field]`), its rows for
/// options, items or pairs, and optional feedback, tags and weight.
#[component]
fn QuestionFormCard(
    path_id: i64,
    kind: QuestionKind,
    slug: &'static str,
    label: &'static str,
    action: ServerAction<AddQuestion>,
) -> impl IntoView {
    let item = format!("q-{slug}");
    let error = form_error(action, &item);
    let failed = move || error.get().is_some();
    let slot = {
        let item = item.clone();
        move |field: &'static str| {
            let item = item.clone();
            view! {
                <p class="field-error" id=format!("{item}-{field}-error") data-field=field aria-live="polite">
                    {move || error.get().and_then(|e| e.field_message(field))}
                </p>
            }
        }
    };
    let typed = {
        let item = item.clone();
        move |posted: String| typed_before(&item, &posted).unwrap_or_default()
    };
    let ticked = {
        let item = item.clone();
        move |posted: String, value: &str| ticked_before(&item, &posted, value).unwrap_or(false)
    };
    let row_input = {
        let item = item.clone();
        let typed = typed.clone();
        move |column: &'static str, row: usize, label: String| {
            let id = format!("{item}-{column}-{row}");
            let posted = format!("question[{column}][{row}]");
            view! {
                <span class="row-input">
                    <label class="sr-only" for=id.clone()>{label}</label>
                    <input id=id name=posted.clone() value=typed(posted) autocomplete="off"/>
                </span>
            }
        }
    };
    let rows = match kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let single = kind == QuestionKind::SingleChoice;
            view! {
                <fieldset class="option-rows">
                    <legend>{if single { "Options: mark the right one" } else { "Options: tick every right one" }}</legend>
                    {(1..=FORM_ROWS).map(|row| {
                        let mark_id = format!("{item}-mark-{row}");
                        let (mark_name, mark_value) = if single {
                            ("question[correct_option]".to_string(), row.to_string())
                        } else {
                            (format!("question[correct][{row}]"), "on".to_string())
                        };
                        let checked = ticked(mark_name.clone(), &mark_value);
                        view! {
                            <div class="option-row">
                                {row_input("options", row, format!("Option {row}"))}
                                <span class="mark">
                                    <input type=if single { "radio" } else { "checkbox" } id=mark_id.clone()
                                        name=mark_name value=mark_value checked=checked/>
                                    <label for=mark_id>{format!("Option {row} is right")}</label>
                                </span>
                            </div>
                        }
                    }).collect_view()}
                    {slot("options")}
                    {slot("correct")}
                    {(!single).then(|| {
                        let id = format!("{item}-partial");
                        let label_for = id.clone();
                        view! {
                            <label class="check" for=label_for>
                                <input type="checkbox" id=id name="question[partial]" value="true"
                                    checked=ticked("question[partial]".into(), "true")/>
                                "Give a share of the marks for each right pick"
                            </label>
                        }
                    })}
                </fieldset>
            }
            .into_any()
        }
        QuestionKind::TrueFalse => view! {
            <fieldset class="option-rows">
                <legend>"The statement is"</legend>
                {[("true", "True"), ("false", "False")].into_iter().map(|(value, text)| {
                    let id = format!("{item}-tf-{value}");
                    let label_for = id.clone();
                    view! {
                        <label class="check" for=label_for>
                            <input type="radio" id=id name="question[true_false]" value=value
                                checked=ticked("question[true_false]".into(), value)/>
                            {text}
                        </label>
                    }
                }).collect_view()}
                {slot("true_false")}
            </fieldset>
        }
        .into_any(),
        QuestionKind::Ordering => view! {
            <fieldset class="option-rows">
                <legend>"Items in their right order (learners get them shuffled)"</legend>
                {(1..=FORM_ROWS).map(|row| view! {
                    <div class="option-row">
                        <span class="row-number" aria-hidden="true">{row} "."</span>
                        {row_input("options", row, format!("Item {row}"))}
                    </div>
                }).collect_view()}
                {slot("options")}
            </fieldset>
        }
        .into_any(),
        QuestionKind::Matching => view! {
            <fieldset class="option-rows">
                <legend>"Pairs: each left item and its match"</legend>
                {(1..=FORM_ROWS).map(|row| view! {
                    <div class="option-row pair-row">
                        {row_input("options", row, format!("Left {row}"))}
                        <span aria-hidden="true">"→"</span>
                        {row_input("targets", row, format!("Right {row}"))}
                    </div>
                }).collect_view()}
                {slot("options")}
            </fieldset>
        }
        .into_any(),
        QuestionKind::ShortText => view! {
            <TextField form=item.clone() label="Accepted answers, one per line" name="accepted" within="question" rows=3
                hint="Compared ignoring case and extra spaces." error/>
        }
        .into_any(),
        QuestionKind::Numeric => view! {
            <div class="settings-grid">
                <TextField form=item.clone() label="Right number" name="value" within="question" inputmode="decimal" error/>
                <TextField form=item.clone() label="May be off by" name="tolerance" within="question" inputmode="decimal"
                    hint="0 or empty for exactly." error/>
            </div>
        }
        .into_any(),
    };
    view! {
        <details class="card add-question" id=item.clone() open=failed>
            <summary>{format!("{label} question")}</summary>
            <form method="post" action={form_action::<AddQuestion>(&item)} novalidate=true data-done="Question added to the bank."
                aria-label=format!("Add a {} question", label.to_lowercase())>
                <FormError error form=item.clone() fields=QUESTION_FIELDS/>
                <input type="hidden" name="path_id" value=path_id.to_string()/>
                <input type="hidden" name="kind" value=slug/>
                <TextField form=item.clone() label="Question" name="prompt" within="question" rows=2 error/>
                {rows}
                <details class="question-extras">
                    <summary>"Feedback, topic tags and weight (optional)"</summary>
                    <TextField form=item.clone() label="Why the right answer is right" name="explanation" within="question" rows=2 error/>
                    <TextField form=item.clone() label="Said when right" name="if_correct" within="question" error/>
                    <TextField form=item.clone() label="Said when wrong" name="if_incorrect" within="question" error/>
                    <TextField form=item.clone() label="Topic tags" name="tags" within="question"
                        hint="Separated by commas; learners who miss it are told to review these topics." error/>
                    <TextField form=item.clone() label="Weight" name="weight" within="question" inputmode="decimal"
                        hint="1 counts like most questions; 2 counts double." error/>
                </details>
                <button type="submit" class="button primary">"Add to bank"</button>
            </form>
        </details>
    }
}

/// The question form's fields, in the order they show (for the error summary).
const QUESTION_FIELDS: &[&str] = &[
    "prompt",
    "options",
    "correct",
    "true_false",
    "accepted",
    "value",
    "tolerance",
    "explanation",
    "if_correct",
    "if_incorrect",
    "tags",
    "weight",
];

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

/// Markdown as learners see it, rendered by the server's own renderer and sanitizer (the
/// browser build never renders: it has no Markdown crate).
fn rendered_markdown(markdown: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        crate::server::markdown::render_markdown(markdown)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = markdown;
        String::new()
    }
}

/// The live preview of a Markdown field (`source` is the text area's id): after a pause in
/// typing the server renders the text exactly as the player will (same renderer, same
/// sanitizer) and the preview shows it. An island in the checks bundle; without script it
/// shows the text as last saved.
#[cfg_attr(any(feature = "ssr", feature = "checks"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "checks")), component)]
pub fn MarkdownPreview(source: String, initial: String) -> impl IntoView {
    let html = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    markdown_preview::watch(source.clone(), html);
    #[cfg(not(feature = "hydrate"))]
    let _ = &source;
    view! {
        <section class="markdown-preview" aria-label="Preview as learners see it">
            <p class="preview-label">"Preview"</p>
            // Sanitized HTML from the server's renderer, as the player shows it.
            <div class="document" inner_html=move || html.get()></div>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod markdown_preview {
    use crate::api::authoring::preview_markdown;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// The text area's current text (read as its `value` property, which needs no extra
    /// web-sys feature).
    fn text_of(id: &str) -> Option<String> {
        let area = web_sys::window()?.document()?.get_element_by_id(id)?;
        js_sys::Reflect::get(area.as_ref(), &"value".into())
            .ok()?
            .as_string()
    }

    /// Renders again after each pause in typing; an answer to an older text is dropped.
    pub fn watch(source: String, html: RwSignal<String>) {
        let sequence = StoredValue::new(0u64);
        let id = source.clone();
        let run = move || {
            sequence.update_value(|s| *s += 1);
            let mine = sequence.get_value();
            let id = id.clone();
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(400).await;
                if sequence.get_value() != mine {
                    return;
                }
                let Some(text) = text_of(&id) else { return };
                if let Ok(rendered) = preview_markdown(text).await {
                    if sequence.get_value() == mine {
                        html.set(rendered);
                    }
                }
            });
        };
        let Some(area) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&source))
        else {
            return;
        };
        let handler = Closure::<dyn Fn()>::new(run);
        let _ = area.add_event_listener_with_callback("input", handler.as_ref().unchecked_ref());
        handler.forget();
    }
}
