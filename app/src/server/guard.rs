//! The one way server functions learn who is calling and what they may touch.
//!
//! `authorize(policy)` returns an `Actor` or an error; org-owned data is read through an
//! `OrgScope`, which only `Actor::org_scope` can create, so a repository cannot be asked for
//! another org's data without passing the access decision.
use super::crypto::token_hash;
use super::repo::sessions;
use super::state::AppState;
use crate::domain::access::{may_access_org, Policy};
use crate::error::AppError;
use crate::model::SessionUser;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use leptos::prelude::*;

pub const SESSION_COOKIE: &str = "pp_session";

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

fn request_headers() -> Result<HeaderMap, AppError> {
    use_context::<Parts>()
        .map(|parts| parts.headers)
        .ok_or_else(|| {
            tracing::error!("request parts missing from context");
            AppError::Internal
        })
}

/// The value of one cookie in a Cookie header.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// The caller of a server function, already authenticated.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: SessionUser,
    pub session_hash: String,
}

/// Proof that the actor may access one partner org's data.
#[derive(Debug, Clone, Copy)]
pub struct OrgScope(i64);

impl OrgScope {
    pub fn org_id(&self) -> i64 {
        self.0
    }
}

/// Whether a session limited to `scope` (if any) reaches `place`: the place itself and
/// what lies under it.
pub fn scope_reaches(scope: Option<&str>, place: &str) -> bool {
    scope.is_none_or(|scope| {
        place == scope
            || place
                .strip_prefix(scope)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

impl Actor {
    /// Refuses a session limited to another place than `place` (as signed out there).
    pub fn require_place(&self, place: &str) -> Result<(), AppError> {
        if scope_reaches(self.user.scope.as_deref(), place) {
            Ok(())
        } else {
            Err(AppError::Unauthenticated)
        }
    }

    pub fn org_scope(&self, org_id: i64) -> Result<OrgScope, AppError> {
        if may_access_org(self.user.role, self.user.partner_org_id, org_id) {
            Ok(OrgScope(org_id))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The signed-in user, if any, without requiring one.
pub async fn current_actor() -> Result<Option<Actor>, AppError> {
    let state = app_state()?;
    let Some(token) = cookie_value(&request_headers()?, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session_hash = token_hash(&state.settings.secret_key, &token);
    let user = sessions::resolve(
        &state.db,
        &session_hash,
        &state.settings.session,
        state.clock.now_ms(),
    )
    .await?;
    Ok(user.map(|user| Actor { user, session_hash }))
}

/// Requires a signed-in user allowed by `policy`, with a full session: a session started
/// by a link to one module counts as signed out everywhere else, so the visitor is asked
/// to sign in (and comes back here).
pub async fn authorize(policy: Policy) -> Result<Actor, AppError> {
    let actor = authorize_scoped(policy).await?;
    if actor.user.scope.is_some() {
        return Err(AppError::Unauthenticated);
    }
    Ok(actor)
}

/// Like `authorize`, but also lets in a session limited to one place; the caller must then
/// check the place with `Actor::require_place`.
pub async fn authorize_scoped(policy: Policy) -> Result<Actor, AppError> {
    let actor = current_actor().await?.ok_or(AppError::Unauthenticated)?;
    if policy.allows(actor.user.role) {
        Ok(actor)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client's IP address, for rate limits.
pub fn client_ip() -> String {
    use crate::domain::client_address::client_address;
    let trusted = use_context::<AppState>()
        .map(|state| state.settings.trusted_proxies.clone())
        .unwrap_or_default();
    use_context::<Parts>()
        .and_then(|parts| {
            let peer = parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
                .0
                .ip();
            let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
            Some(
                client_address(
                    peer,
                    header("forwarded"),
                    header("x-forwarded-for"),
                    &trusted,
                )
                .to_string(),
            )
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Whether the request is a plain HTML form post (no JavaScript), which expects a redirect.
pub fn is_form_post() -> bool {
    request_headers()
        .ok()
        .and_then(|headers| {
            headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Plain form posts get a redirect; script callers (the enhanced forms) get the same place
/// in a header and go there themselves.
pub fn redirect_form_post(to: &str) {
    if is_form_post() {
        leptos_axum::redirect(to);
    } else if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(to),
    ) {
        options.insert_header(
            axum::http::HeaderName::from_static(crate::components::enhance::NEXT_HEADER),
            value,
        );
    }
}

/// Puts the values of a form whose plain post just failed (kept in a cookie by the server,
/// `super::failed_form`) in this page's context for its fields, and forgets them: they are
/// shown once.
pub fn provide_failed_form() {
    use super::failed_form;
    let Ok(headers) = request_headers() else {
        return;
    };
    let Some(value) = cookie_value(&headers, failed_form::COOKIE) else {
        return;
    };
    if let Some(form) = failed_form::decode(&value) {
        provide_context(form);
    }
    let secure = app_state().is_ok_and(|state| state.settings.secure_cookies());
    append_set_cookie(&failed_form::clear_cookie(secure));
}

pub fn set_session_cookie(state: &AppState, token: &str) {
    let max_age = state.settings.session.absolute_timeout_ms / 1000;
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    append_set_cookie(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ));
}

pub fn clear_session_cookie(state: &AppState) {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    append_set_cookie(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ));
}

fn append_set_cookie(value: &str) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(value),
    ) {
        options.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// The session cookie of the current request, hashed, for sign-out of that session only.
pub fn current_session_hash() -> Option<String> {
    let state = app_state().ok()?;
    let token = cookie_value(&request_headers().ok()?, SESSION_COOKIE)?;
    Some(token_hash(&state.settings.secret_key, &token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; pp_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("abc")
        );
        assert_eq!(cookie_value(&headers, "missing"), None);
    }
}

#[cfg(test)]
mod scope_tests {
    use super::scope_reaches;

    #[test]
    fn a_scoped_session_reaches_its_place_and_what_lies_under_it_only() {
        assert!(scope_reaches(None, "/deals"));
        let scope = Some("/learn/12");
        assert!(scope_reaches(scope, "/learn/12"));
        assert!(scope_reaches(scope, "/learn/12/steps/3"));
        assert!(!scope_reaches(scope, "/learn/123"));
        assert!(!scope_reaches(scope, "/learn"));
        assert!(!scope_reaches(scope, "/deals/12"));
    }
}
