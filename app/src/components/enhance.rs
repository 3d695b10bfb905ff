//! Progressive enhancement of the server's forms. Every state-changing form is a real
//! `<form method="post">` to its server function, so it works before (and without) any
//! script: the server redirects to the result, or back with the error in the URL.
//!
//! Once this island hydrates it takes over the submit of the forms inside it: it posts the
//! same fields with `fetch`, and
//! - on an error, writes each field's message into that field's slot (`data-field`), marks
//!   the control invalid, and fills the form's error summary, which takes focus; nothing
//!   typed is touched (a form marked `data-name-fields` also names, in the summary, the
//!   keys of its JSON text that problems are about);
//! - on success, goes where the server says (`portal-next`) or reloads the page, and keeps
//!   the form's `data-done` sentence for the page's loader to show as a confirmation.
//!
//! The island renders nothing of its own but a wrapper, so hydrating it never rewrites the
//! inputs somebody is typing into.
use leptos::prelude::*;

/// The response header a server function sets to say where a script caller should go next
/// (plain form posts get a 303 to the same place).
pub const NEXT_HEADER: &str = "portal-next";

/// The session-storage key of the confirmation the loader shows after the next page load.
pub const FLASH_KEY: &str = "portal-flash";

#[cfg_attr(any(feature = "ssr", feature = "forms"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "forms")), component)]
pub fn EnhancedForm(children: Children) -> impl IntoView {
    view! {
        <div class="enhanced-form" on:submit=submit>{children()}</div>
    }
}

#[cfg(not(feature = "hydrate"))]
fn submit(_: leptos::ev::SubmitEvent) {}

#[cfg(feature = "hydrate")]
fn submit(event: leptos::ev::SubmitEvent) {
    use wasm_bindgen::JsCast;
    let Some(form) = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    // Search and filter forms are plain GETs; only posts to server functions are taken over.
    if !form.method().eq_ignore_ascii_case("post") || form.get_attribute("data-plain").is_some() {
        return;
    }
    event.prevent_default();
    if form.get_attribute("aria-busy").as_deref() == Some("true") {
        return;
    }
    let submitter = event.submitter();
    leptos::task::spawn_local(browser::send(form, submitter));
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{FLASH_KEY, NEXT_HEADER};
    use crate::error::AppError;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, HtmlElement, HtmlFormElement};

    pub async fn send(form: HtmlFormElement, submitter: Option<web_sys::HtmlElement>) {
        set_busy(&form, true);
        let outcome = post(&form, submitter).await;
        set_busy(&form, false);
        match outcome {
            Ok(next) => go_on(next.as_deref(), form.get_attribute("data-done").as_deref()),
            Err(error) => show_errors(&form, &error),
        }
    }

    /// After a success: keeps `done` for the loader of the next page to show, then goes to
    /// `next`, or loads this page again.
    fn go_on(next: Option<&str>, done: Option<&str>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let (Some(done), Ok(Some(storage))) = (done, window.session_storage()) {
            let _ = storage.set_item(FLASH_KEY, done);
        }
        let location = window.location();
        let _ = match next {
            // The same page again (a second action with the same result): assigning it would
            // only move to its fragment, so the page would keep showing the old data.
            Some(next) if same_page(&location, next) => {
                if let Some((_, fragment)) = next.split_once('#') {
                    let _ = location.set_hash(fragment);
                }
                location.reload()
            }
            Some(next) => location.assign(next),
            None => location.reload(),
        };
    }

    /// Whether `next` (a path the server names) is this page's path and query.
    fn same_page(location: &web_sys::Location, next: &str) -> bool {
        let target = next.split('#').next().unwrap_or(next);
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        target.starts_with('/') && target == here
    }

    /// Posts the form's fields (and the pressed button's) as the browser would, but asks for
    /// JSON, so the server answers with the result or the error instead of a redirect.
    async fn post(
        form: &HtmlFormElement,
        submitter: Option<web_sys::HtmlElement>,
    ) -> Result<Option<String>, AppError> {
        let offline = |_| AppError::Network("request failed".into());
        let data = web_sys::FormData::new_with_form(form).map_err(offline)?;
        if let Some(button) = submitter {
            if let (Some(name), Some(value)) =
                (button.get_attribute("name"), button.get_attribute("value"))
            {
                let _ = data.append_with_str(&name, &value);
            }
        }
        let body =
            web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(offline)?;
        let headers = web_sys::Headers::new().map_err(offline)?;
        let _ = headers.set("Accept", "application/json");
        let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from(body.to_string()));
        let window = web_sys::window().ok_or_else(|| AppError::Network("no window".into()))?;
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&form.action(), &init))
                .await
                .map_err(offline)?
                .dyn_into()
                .map_err(offline)?;
        let next = response.headers().get(NEXT_HEADER).ok().flatten();
        if response.ok() {
            return Ok(next);
        }
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string()),
            Err(_) => None,
        };
        Err(text
            .and_then(|t| serde_json::from_str::<AppError>(&t).ok())
            .unwrap_or(AppError::Internal))
    }

    fn set_busy(form: &HtmlFormElement, busy: bool) {
        let _ = form.set_attribute("aria-busy", if busy { "true" } else { "false" });
        for button in all(form, "button[type=submit]") {
            if busy {
                let _ = button.set_attribute("disabled", "");
            } else {
                let _ = button.remove_attribute("disabled");
            }
        }
    }

    fn all(root: &Element, selector: &str) -> Vec<Element> {
        let Ok(list) = root.query_selector_all(selector) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| {
                list.item(i)
                    .and_then(|node| node.dyn_into::<Element>().ok())
            })
            .collect()
    }

    /// Writes each message into its field's slot and lists them all in the summary at the top
    /// of the form, which takes focus. Field values stay exactly as typed.
    fn show_errors(form: &HtmlFormElement, error: &AppError) {
        for slot in all(form, "[data-field]") {
            slot.set_text_content(None);
        }
        for control in all(form, "[aria-invalid=true]") {
            let _ = control.set_attribute("aria-invalid", "false");
        }
        for field in all(form, ".field.invalid") {
            let _ = field.class_list().remove_1("invalid");
        }
        let mut items: Vec<(Option<String>, String)> = Vec::new();
        match error {
            AppError::Validation(errors) => {
                for problem in errors {
                    let slot = form
                        .query_selector(&format!("[data-field=\"{}\"]", css_escape(&problem.field)))
                        .ok()
                        .flatten();
                    let control = slot.as_ref().and_then(|slot| {
                        form.query_selector(&format!(
                            "[aria-describedby~=\"{}\"]",
                            css_escape(&slot.id())
                        ))
                        .ok()
                        .flatten()
                    });
                    if let Some(slot) = &slot {
                        slot.set_text_content(Some(&problem.message));
                        if let Ok(Some(field)) = slot.closest(".field") {
                            let _ = field.class_list().add_1("invalid");
                        }
                    }
                    if let Some(control) = &control {
                        let _ = control.set_attribute("aria-invalid", "true");
                    }
                    // Forms of JSON text (step settings, imports) name the key or path a
                    // problem is about, as the server's list does.
                    let message = if slot.is_none() && form.has_attribute("data-name-fields") {
                        format!("{}: {}", problem.field, problem.message)
                    } else {
                        problem.message.clone()
                    };
                    items.push((control.map(|c| c.id()).filter(|id| !id.is_empty()), message));
                }
            }
            other => items.push((None, other.to_string())),
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let summary = match form.query_selector("[data-error-summary]").ok().flatten() {
            Some(summary) => summary,
            None => {
                let Ok(summary) = document.create_element("div") else {
                    return;
                };
                let _ = summary.set_attribute("data-error-summary", "");
                let _ = summary.set_attribute("class", "error-summary");
                let _ = summary.set_attribute("tabindex", "-1");
                summary
            }
        };
        let _ = form.prepend_with_node_1(&summary);
        summary.set_text_content(None);
        let _ = summary.remove_attribute("hidden");
        let _ = summary.set_attribute("role", "alert");
        if let Ok(heading) = document.create_element("p") {
            let _ = heading.set_attribute("class", "error-summary-title");
            heading.set_text_content(Some(crate::components::form::error_summary_title(
                items.len(),
            )));
            let _ = summary.append_child(&heading);
        }
        if let Ok(list) = document.create_element("ul") {
            for (target, message) in items {
                let Ok(item) = document.create_element("li") else {
                    continue;
                };
                match target.and_then(|id| document.create_element("a").ok().map(|a| (a, id))) {
                    Some((link, id)) => {
                        let _ = link.set_attribute("href", &format!("#{id}"));
                        link.set_text_content(Some(&message));
                        let _ = item.append_child(&link);
                    }
                    None => item.set_text_content(Some(&message)),
                }
                let _ = list.append_child(&item);
            }
            let _ = summary.append_child(&list);
        }
        if let Ok(summary) = summary.dyn_into::<HtmlElement>() {
            let _ = summary.focus();
        }
    }

    /// Field names are ours (letters, digits, `_`, `.`, `[`, `]`), but quote-escape anyway.
    fn css_escape(text: &str) -> String {
        text.replace('\\', "\\\\").replace('"', "\\\"")
    }
}
