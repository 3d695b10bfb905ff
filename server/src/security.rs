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
    // One-click unsubscribe is posted by mail providers' servers; its keyed link is the
    // authorisation (see `unsubscribe`). HubSpot's webhooks come from HubSpot's servers,
    // authorised by their signature (see `webhooks`). Relays deliver replies with a bearer
    // token, which no browser sends on its own.
    let path = request.uri().path();
    let token_authorised = path == crate::unsubscribe::PATH
        || path == app::server::crm::webhook::HUBSPOT_PATH
        || path == crate::webhooks::INBOUND_MIME_PATH;
    if safe_method || token_authorised || is_same_origin(request.headers(), &allowed.0) {
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

/// A page may hold several forms posting to one server function (a form per deal card).
/// Such a form names itself in its action URL (`?form_item=deal-12`); when its plain post
/// fails, Leptos sends the browser back to the page with the error in the URL, and this
/// adds the item (and a fragment, so the page opens at that form) so only that form shows
/// the error, and keeps what was typed for that page load (`app::server::failed_form`). A
/// success drops any earlier item from the address.
pub async fn return_failed_posts_to_their_form(
    State(secure): State<SecureCookies>,
    request: Request,
    next: Next,
) -> Response {
    let item = request
        .uri()
        .path()
        .starts_with("/api/")
        .then(|| form_item(request.uri().query().unwrap_or("")))
        .flatten();
    let Some(item) = item else {
        return next.run(request).await;
    };
    let (request, body) = match plain_form_body(request).await {
        Ok(kept) => kept,
        Err(refused) => return refused,
    };
    let mut response = next.run(request).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|location| with_form_item(location, &item));
    let failed = location.as_deref().is_some_and(|l| l.contains("__err="));
    if let Some(Ok(location)) = location.map(|l| axum::http::HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    let typed = body
        .filter(|_| failed)
        .and_then(|body| app::server::failed_form::encode(&item, &body));
    if let Some(Ok(cookie)) = typed.map(|value| {
        axum::http::HeaderValue::from_str(&app::server::failed_form::set_cookie(&value, secure.0))
    }) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Whether the portal is served over HTTPS, so cookies it sets are `Secure`.
#[derive(Clone, Copy)]
pub struct SecureCookies(pub bool);

/// The most of a plain form post kept for showing it again (larger ones come back without
/// their values).
const MAX_KEPT_FORM_BYTES: usize = 16 * 1024;

/// For a browser's plain form post (it accepts HTML; the body is form-encoded and small):
/// the request rebuilt around its body, and the body. Anything else passes untouched.
async fn plain_form_body(request: Request) -> Result<(Request, Option<Vec<u8>>), Response> {
    let headers = request.headers();
    let accepts_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let small = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|length| length <= MAX_KEPT_FORM_BYTES);
    if !(accepts_html && form_encoded && small) {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_KEPT_FORM_BYTES).await else {
        return Err(StatusCode::BAD_REQUEST.into_response());
    };
    let kept = bytes.to_vec();
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        Some(kept),
    ))
}

/// The form item named in a query, when it is one of ours (letters, digits, `-`, `_`).
fn form_item(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == app::components::form::FORM_ITEM_PARAM)
        .map(|(_, value)| value.into_owned())
        .filter(|value| {
            (1..=64).contains(&value.len())
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `location` without any earlier form item; with `item` (and `#item`) when it carries an
/// error for the page to show.
fn with_form_item(location: &str, item: &str) -> String {
    let param = app::components::form::FORM_ITEM_PARAM;
    let without_fragment = location.split('#').next().unwrap_or(location);
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let (earlier_items, pairs): (Vec<_>, Vec<_>) = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .partition(|(key, _)| key == param);
    let failed = pairs.iter().any(|(key, _)| key == "__err");
    if !failed && earlier_items.is_empty() {
        return location.to_string();
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &pairs {
        out.append_pair(key, value);
    }
    if failed {
        out.append_pair(param, item);
    }
    let query = out.finish();
    match (query.is_empty(), failed) {
        (true, _) => path.to_string(),
        (false, false) => format!("{path}?{query}"),
        (false, true) => format!("{path}?{query}#{item}"),
    }
}

/// The most a rendered page may be when its trailing scripts are moved (pages are a few
/// hundred kB; anything larger is passed on untouched).
const MAX_PAGE_BYTES: usize = 16 << 20;

/// Headers and shape of every dynamic response:
/// - pages and server-function answers carry the signed-in person's data, so no cache may
///   keep them (`no-store`) and any shared cache must key on the cookie (`Vary: Cookie`);
/// - Leptos streams its resource scripts after the document's `</html>`, which HTML forbids;
///   they are moved to the end of `<body>`, where they run in the same order, still before
///   the deferred module script that hydrates the page.
pub async fn dynamic_response_headers(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_page = content_type.starts_with("text/html");
    let is_data = content_type.starts_with("application/json")
        || content_type.starts_with("text/csv")
        || content_type.starts_with("text/calendar");
    if !is_page && !is_data {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    parts
        .headers
        .append(header::VARY, axum::http::HeaderValue::from_static("Cookie"));
    if !is_page {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = match String::from_utf8(bytes.to_vec()) {
        Ok(text) => empty_comments_well_formed(&scripts_inside_body(text)),
        Err(_) => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

/// Leptos marks hydration boundaries with `<!>`, which HTML parses as an empty comment but
/// reports as a parse error ("bogus comment"). `<!---->` is the well-formed way to write the
/// same empty comment (the browser builds the identical node, so hydration is unchanged).
/// Only markup is rewritten: text inside scripts, styles, comments and quoted attribute
/// values is copied as it is.
pub fn empty_comments_well_formed(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("<!>") {
            out.push_str("<!---->");
            rest = after;
            continue;
        }
        // Elements whose content is not markup: copied through their end tag.
        let raw_end = ["script", "style"].iter().find_map(|tag| {
            let open = rest.get(1..=tag.len())?;
            let next = rest.as_bytes().get(tag.len() + 1).copied();
            (open.eq_ignore_ascii_case(tag) && matches!(next, Some(b'>' | b' ' | b'\t' | b'\n')))
                .then(|| format!("</{tag}>"))
        });
        let end = if let Some(close) = raw_end {
            rest.find(&close).map(|i| i + close.len())
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else {
            tag_end(rest)
        };
        let end = end.unwrap_or(rest.len());
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where a tag starting at `<` ends (just past its `>`), skipping quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            // A stray `<` in text (not a tag): stop here, the rest is text.
            (None, '<') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Moves whatever follows `</html>` (Leptos's resource scripts) to just before `</body>`.
pub fn scripts_inside_body(html: String) -> String {
    let Some(end) = html.rfind("</html>") else {
        return html;
    };
    let trailing = html[end + "</html>".len()..].trim();
    if trailing.is_empty() {
        return html;
    }
    let Some(body_end) = html[..end].rfind("</body>") else {
        return html;
    };
    let mut out = String::with_capacity(html.len());
    out.push_str(&html[..body_end]);
    out.push_str(trailing);
    out.push_str(&html[body_end..end + "</html>".len()]);
    out
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
    fn a_failed_item_post_names_its_form_and_a_success_forgets_it() {
        assert_eq!(form_item("form_item=deal-12"), Some("deal-12".into()));
        assert_eq!(form_item("x=1&form_item=appeal_3"), Some("appeal_3".into()));
        assert_eq!(
            form_item("form_item=%3Cscript%3E"),
            None,
            "only plain names"
        );
        assert_eq!(form_item("form_item="), None);
        assert_eq!(form_item(&format!("form_item={}", "a".repeat(65))), None);
        assert_eq!(
            with_form_item("http://h/deals?__path=%2Fapi%2Ff&__err=e30", "deal-12"),
            "http://h/deals?__path=%2Fapi%2Ff&__err=e30&form_item=deal-12#deal-12"
        );
        assert_eq!(
            with_form_item("http://h/deals?form_item=deal-1&__path=p&__err=e", "deal-2"),
            "http://h/deals?__path=p&__err=e&form_item=deal-2#deal-2",
            "an earlier item is replaced"
        );
        assert_eq!(
            with_form_item("http://h/deals?form_item=deal-1", "deal-2"),
            "http://h/deals"
        );
        assert_eq!(
            with_form_item(
                "http://h/deals?registered=4&form_item=deal-1#deal-1",
                "deal-2"
            ),
            "http://h/deals?registered=4"
        );
        assert_eq!(
            with_form_item("/login?link_sent=1&next=/my-org", "link"),
            "/login?link_sent=1&next=/my-org",
            "an address with nothing of ours is left exactly as it was"
        );
    }

    #[test]
    fn hydration_markers_become_well_formed_comments_outside_text() {
        assert_eq!(
            empty_comments_well_formed("<ul><!><li>a</li><!></ul>"),
            "<ul><!----><li>a</li><!----></ul>"
        );
        let untouched = [
            "<script>let s = \"<!>\";</script>",
            "<input value=\"<!>\" title='a<!>b'>",
            "<!-- keep <!> here -->",
            "<style>p::before { content: \"<!>\" }</style>",
            "1 < 2 and <!x",
        ];
        for html in untouched {
            assert_eq!(empty_comments_well_formed(html), html);
        }
        assert_eq!(
            empty_comments_well_formed("<p>x</p><script>a()</script><!>"),
            "<p>x</p><script>a()</script><!---->"
        );
    }

    #[test]
    fn trailing_scripts_move_inside_the_body_in_order() {
        let page = "<html><head></head><body><main>x</main></body></html><script>a()</script><script>b()</script>";
        assert_eq!(
            scripts_inside_body(page.into()),
            "<html><head></head><body><main>x</main><script>a()</script><script>b()</script></body></html>"
        );
        let clean = "<html><body></body></html>";
        assert_eq!(scripts_inside_body(clean.into()), clean);
    }

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
