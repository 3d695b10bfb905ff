//! Cross-site request refusal. Every state-changing request (anything but GET, HEAD and
//! OPTIONS, which never change state here) must come from this site.
use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Clone)]
pub struct AllowedOrigin(pub String);

/// Whether the headers show a same-site browser request. Browsers send `Sec-Fetch-Site`;
/// older ones and other clients must send an `Origin` matching the portal.
pub fn is_same_origin(headers: &HeaderMap, allowed_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == allowed_origin {
        return true;
    }
    // Reached through another name of the same server (e.g. localhost vs 127.0.0.1).
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe_method || is_same_origin(request.headers(), &allowed.0) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
    let body = serde_json::to_string(&AppError::CrossSite).unwrap_or_default();
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Server functions that fail before their body runs (for example on a malformed argument)
/// answer 500 whatever the error. This gives every server-function error the status its
/// `AppError` calls for, so a caller's mistake is never reported as a server fault.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const PORTAL: &str = "https://partners.example.com";

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            PORTAL
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "none")]),
            PORTAL
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", PORTAL)]),
            PORTAL
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            PORTAL
        ));
    }

    #[test]
    fn origin_must_match_the_portal_or_its_host() {
        assert!(is_same_origin(&headers(&[("origin", PORTAL)]), PORTAL));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            PORTAL
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.example")]),
            PORTAL
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "partners.example.com")
            ]),
            PORTAL
        ));
        assert!(
            !is_same_origin(&headers(&[]), PORTAL),
            "no evidence, no entry"
        );
    }
}
