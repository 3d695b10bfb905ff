//! Accessible form pieces with field-level errors.
use crate::components::raw_text::textarea_text;
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

/// The query parameter that names which of several forms sharing one server function a
/// failed plain post came from (a deal card, say), so only that form shows the error. The
/// server copies it from the form's action URL into the redirect back (see `form_action`).
pub const FORM_ITEM_PARAM: &str = "form_item";

/// The action URL of a plain-post form named `item` (its id prefix): the server function's
/// path, naming the form, so a failed plain post comes back to this form alone, with its
/// error and what was typed (the server's `return_failed_posts_to_their_form`).
pub fn form_action<S: leptos::server_fn::ServerFn>(item: &str) -> String {
    format!("{}?{FORM_ITEM_PARAM}={item}", S::url())
}

/// What the person had typed into the field posted as `posted` in the form named `item`,
/// when that form's plain post has just failed (see `server::failed_form`).
pub fn typed_before(item: &str, posted: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::server::failed_form::FailedForm>()?.value(item, posted)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (item, posted);
        None
    }
}

/// Whether the box posted as `posted` = `value` was ticked in the form named `item`, when
/// that form's plain post has just failed.
pub fn ticked_before(item: &str, posted: &str, value: &str) -> Option<bool> {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::server::failed_form::FailedForm>()?.ticked(item, posted, value)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (item, posted, value);
        None
    }
}

/// The error of `action` for the form named `item`: after a failed plain post the page is
/// rendered again with the error and the item in its URL; every form of that action on the
/// page reads the same error, and only the named one shows it (for several forms posting
/// to one server function, such as one per deal card).
pub fn form_error<S>(action: ServerAction<S>, item: &str) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let failed_here = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get(FORM_ITEM_PARAM)
        .is_some_and(|named| named == item);
    let value = action.value();
    Signal::derive(move || {
        if failed_here {
            value.get().and_then(Result::err)
        } else {
            None
        }
    })
}

#[component]
pub fn TextField(
    /// Names the form, so ids stay unique when two forms on a page share a field name.
    #[prop(into)]
    form: String,
    #[prop(into)] label: String,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// The server function's argument this field belongs to when it takes a struct: the
    /// field is posted as `within[name]` (`input[amount]`); `name` still keys its id and
    /// its error.
    #[prop(optional)]
    within: Option<&'static str>,
    /// The posted name when it is not `within[name]` (`form[gold][requirements]` for the
    /// error key `gold_requirements`).
    #[prop(optional, into)]
    post_as: Option<String>,
    /// Renders a text area of this many rows instead of a one-line input.
    #[prop(optional)]
    rows: Option<u32>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// Code (JSON): monospaced, no spell checking.
    #[prop(optional)]
    code: bool,
    /// Values the browser offers while typing (a `<datalist>`); any other text is still
    /// posted and checked by the server.
    #[prop(optional)]
    suggestions: Vec<&'static str>,
) -> impl IntoView {
    let posted = post_as.unwrap_or_else(|| posted_name(within, name));
    let value = typed_before(&form, &posted).unwrap_or(value);
    let id = format!("{form}-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let list_id = (!suggestions.is_empty()).then(|| format!("{id}-suggestions"));
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described_by = if hint.is_some() {
        format!("{error_id} {hint_id}")
    } else {
        error_id.clone()
    };
    let control = match rows {
        Some(rows) => view! {
            <textarea
                id=id.clone()
                name=posted.clone()
                rows=rows
                class=code.then_some("code")
                spellcheck=code.then_some("false")
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=described_by
            >{textarea_text(value)}</textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id.clone()
                name=posted
                type=kind
                value=value
                inputmode=inputmode
                autocomplete=autocomplete
                list=list_id.clone()
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=described_by
            />
            {list_id.map(|list_id| view! {
                <datalist id=list_id>
                    {suggestions.into_iter().map(|value| view! { <option value=value></option> }).collect_view()}
                </datalist>
            })}
        }
        .into_any(),
    };
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id>{label}</label>
            {hint.map(|text| view! { <p class="hint" id=hint_id.clone()>{text}</p> })}
            {control}
            <p class="field-error" id=error_id data-field=name aria-live="polite">{message}</p>
        </div>
    }
}

/// The name a field is posted as: `within[name]`, or `name` for a plain argument.
fn posted_name(within: Option<&str>, name: &str) -> String {
    match within {
        Some(within) => format!("{within}[{name}]"),
        None => name.to_string(),
    }
}

/// A `<select>` with its label and error slot, posted like `TextField`. `options` are
/// (value, label) pairs; `selected` is the value chosen now.
#[component]
pub fn SelectField(
    #[prop(into)] form: String,
    #[prop(into)] label: String,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: String,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] within: Option<&'static str>,
    #[prop(optional, into)] post_as: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let posted = post_as.unwrap_or_else(|| posted_name(within, name));
    let selected = typed_before(&form, &posted).unwrap_or(selected);
    let id = format!("{form}-{name}");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field_message(name));
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|text| view! { <p class="hint">{text}</p> })}
            <select id=id name=posted aria-describedby=error_id.clone()
                aria-invalid=move || message().is_some().to_string()>
                {options.into_iter().map(|(value, text)| {
                    let chosen = value == selected;
                    view! { <option value=value selected=chosen>{text}</option> }
                }).collect_view()}
            </select>
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
    #[prop(optional, into)] form: String,
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
