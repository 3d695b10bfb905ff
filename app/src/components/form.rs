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
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}

/// Errors that belong to no single field: rate limits, network trouble, server faults.
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    let message = move || {
        error.get().and_then(|error| match &error {
            AppError::Validation(errors)
                if errors.iter().all(|e| fields.contains(&e.field.as_str())) =>
            {
                None
            }
            AppError::Validation(errors) => errors
                .iter()
                .find(|e| !fields.contains(&e.field.as_str()))
                .map(|e| e.message.clone()),
            other => Some(other.to_string()),
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">{message}</p>
        </Show>
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
