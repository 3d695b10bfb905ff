//! Accessible form pieces with field-level errors.
use crate::error::AppError;
use leptos::prelude::*;

/// The error of the last run of an action, if it failed.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// The error of the last run of an action shared by several forms on a page, shown only in
/// the form that ran it (`used_here` is set when that form submits).
pub fn last_error_here<T, S>(used_here: RwSignal<bool>, value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || {
        if used_here.get() {
            value.get().and_then(Result::err)
        } else {
            None
        }
    })
}

/// Refetches `resource` each time `action` succeeds. One effect per action: an effect that
/// read several actions would re-run (and refetch, resetting forms) when any of them failed.
pub fn refetch_on_success<I, O, T>(action: ServerAction<I>, resource: Resource<Result<T, AppError>>)
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    Effect::new(move |_| {
        if action.value().get().is_some_and(|result| result.is_ok()) {
            resource.refetch();
        }
    });
}

#[component]
pub fn TextField(
    /// Names the form, so ids stay unique when two forms on a page share a field name.
    form: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// The posted name when the server function takes a struct (`input[amount]`); the
    /// field's own `name` still keys its id and its error.
    #[prop(optional)]
    post_as: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described_by = if hint.is_some() {
        format!("{error_id} {hint_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|text| view! { <p class="hint" id=hint_id.clone()>{text}</p> })}
            <input
                id=id
                name=post_as.unwrap_or(name)
                type=kind
                value=value
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id data-field=name aria-live="polite">{message}</p>
        </div>
    }
}

/// The heading of an error summary listing `count` problems (here and in the enhanced form).
pub fn error_summary_title(count: usize) -> &'static str {
    if count > 1 {
        "Please fix these problems:"
    } else {
        "Please fix this problem:"
    }
}

/// The error summary at the top of a form after a failed plain post: every problem, each
/// linked to its field, focused on load. (The enhanced form fills the same box in place.)
/// `fields` are the form's own fields; a message for any other is shown without a link.
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] form: &'static str,
    fields: &'static [&'static str],
) -> impl IntoView {
    let items = move || {
        error.get().map(|error| match &error {
            AppError::Validation(errors) => errors
                .iter()
                .map(|e| {
                    let target = (!form.is_empty() && fields.contains(&e.field.as_str()))
                        .then(|| format!("#{form}-{}", e.field));
                    (target, e.message.clone())
                })
                .collect::<Vec<_>>(),
            other => vec![(None, other.to_string())],
        })
    };
    move || {
        items().map(|items| {
            let title = error_summary_title(items.len());
            view! {
                <div class="error-summary" data-error-summary="" role="alert" tabindex="-1" autofocus=true>
                    <p class="error-summary-title">{title}</p>
                    <ul>
                        {items.into_iter().map(|(target, message)| view! {
                            <li>{match target {
                                Some(href) => view! { <a href=href>{message}</a> }.into_any(),
                                None => message.into_any(),
                            }}</li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// A submit button that shows progress while its action runs.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(default = "button primary")] class: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class=class disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            <Show when=move || pending.get()>
                <span class="spinner" aria-hidden="true"></span>
            </Show>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// The message for one field of an error, as a reactive closure.
pub fn field_signal(
    error: Signal<Option<AppError>>,
    name: &'static str,
) -> impl Fn() -> Option<String> + Send + Sync + Copy {
    move || error.get().and_then(|e| e.field_message(name))
}

/// A text input bound to a signal, with its label, optional hint and field error.
#[component]
pub fn BoundField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    /// Makes ids unique when several forms on the page have this field.
    #[prop(optional, into)]
    prefix: Option<String>,
) -> impl IntoView {
    let id = format!("{}-{name}", prefix.as_deref().unwrap_or("deal"));
    let label_for = id.clone();
    let message = field_signal(error, name);
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=label_for>{label}</label>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <input id=id type=kind bind:value=value aria-invalid=move || message().is_some().to_string()/>
            <p class="field-error" data-field=name aria-live="polite">{message}</p>
        </div>
    }
}
