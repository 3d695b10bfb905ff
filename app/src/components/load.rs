//! Showing loaded data, loading states and errors the same way everywhere.
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            "Loading…"
        </p>
    }
}

/// Renders a resource once loaded: `render` for data, `ErrorView` for errors.
pub fn loaded<T, V>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || {
                resource
                    .get()
                    .map(|result| match result {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// A full-page error. Sets the HTTP status during server rendering; sends signed-out
/// visitors to sign in and back.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    // A signed-out visitor is redirected (302), which `Redirect` sets itself.
    #[cfg(feature = "ssr")]
    if error != AppError::Unauthenticated {
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = axum::http::StatusCode::from_u16(error.status_code()) {
                options.set_status(status);
            }
        }
    }
    match error {
        AppError::Unauthenticated => {
            let location = use_location();
            let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
            let target = format!("/login?next={}", encode_query_value(&here));
            view! { <Redirect path=target/> }.into_any()
        }
        AppError::Forbidden => view! {
            <section class="page error-page" aria-labelledby="error-title">
                <h1 id="error-title">"No access"</h1>
                <p>"Your account does not have access to this page. If you think it should, ask your partner manager."</p>
                <p><a href="/">"Go to your home page"</a></p>
            </section>
        }
        .into_any(),
        AppError::NotFound => view! { <NotFoundView/> }.into_any(),
        other => view! {
            <section class="page error-page" aria-labelledby="error-title">
                <h1 id="error-title">"Something went wrong"</h1>
                <p>{other.to_string()}</p>
                <p><a href="/">"Go to your home page"</a></p>
            </section>
        }
        .into_any(),
    }
}

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section class="page error-page" aria-labelledby="error-title">
            <h1 id="error-title">"Page not found"</h1>
            <p>"We could not find that page. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Go to your home page"</a></p>
        </section>
    }
}

/// Percent-encodes a value for use in a query string.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::encode_query_value;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query_value("/partners?tier=gold&x=a b"),
            "/partners%3Ftier%3Dgold%26x%3Da%20b"
        );
        assert_eq!(encode_query_value("/é"), "/%C3%A9");
    }
}
