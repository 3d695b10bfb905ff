//! HubSpot connected through OAuth 2 with an app the vendor owns (instead of a pasted
//! private-app token): the consent address, the token endpoint's answers, when an access
//! token is refreshed, and what a consent redirect may carry. Pure; the requests are in
//! `server::crm::hubspot_oauth`.
//!
//! HubSpot's guidance (crm_sync.md §1): access tokens last 30 minutes; refresh on
//! `expires_in`, not on a 401; the refresh token may or may not rotate, so whatever comes
//! back is stored.
use super::crm::{error_summary, DealPlacement, MAX_SECRET_CHARS};
use super::salesforce::MintFailure;
use super::validation::FieldError;
use serde_json::Value;

/// Where an admin gives consent (configuration: tests point it at the fake).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://app.hubspot.com/oauth/authorize";

/// What the sync needs: the three CRM objects read and written, their properties created,
/// notes on the timeline, and deal owners named (`crm.objects.owners.read`, documented for
/// the owners API). Unverified: that notes need no scope beyond the contact and deal writes
/// (HubSpot documents no notes scope for OAuth apps), and that reading deal pipelines needs
/// no scope beyond deals read; kept here only.
pub const SCOPES: &[&str] = &[
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.write",
    "crm.schemas.deals.write",
];

/// An access token is replaced this long before it expires, so no call carries a token
/// that dies in flight.
pub const REFRESH_MARGIN_MS: i64 = 5 * 60_000;

/// How long an admin has to give consent after pressing "Connect with HubSpot".
pub const CONSENT_WINDOW_MS: i64 = 15 * 60_000;

/// Bounds on `expires_in` (seconds): an answer outside them is not believed.
const MIN_LIFETIME_S: i64 = 60;
const MAX_LIFETIME_S: i64 = 24 * 60 * 60;

/// The longest `code` or `state` a consent redirect may carry.
pub const MAX_CALLBACK_VALUE: usize = 512;

/// What the token endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires (UTC ms), from `expires_in`.
    pub expires_at: i64,
}

fn usable_token(token: Option<&str>) -> Option<&str> {
    token.filter(|token| {
        !token.is_empty()
            && token.chars().count() <= MAX_SECRET_CHARS
            && !token.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// Reads the token endpoint's answer to a code exchange or a refresh at `now`. A 400 or 401
/// (`invalid_grant`: the refresh token was revoked or the app uninstalled; `invalid_client`)
/// means an admin must connect again; anything else (429, 5xx, no answer, an unusable body)
/// is worth another try later.
pub fn tokens(status: Option<u16>, body: &Value, now: i64) -> Result<Tokens, MintFailure> {
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    match status {
        Some(200) => {
            let lifetime = body
                .get("expires_in")
                .and_then(Value::as_i64)
                .filter(|s| (MIN_LIFETIME_S..=MAX_LIFETIME_S).contains(s));
            match (
                usable_token(text("access_token")),
                usable_token(text("refresh_token")),
                lifetime,
            ) {
                (Some(access), Some(refresh), Some(lifetime)) => Ok(Tokens {
                    access_token: access.to_string(),
                    refresh_token: refresh.to_string(),
                    expires_at: now + lifetime * 1000,
                }),
                _ => Err(MintFailure::Unavailable(
                    "HubSpot's token answer had no usable access token, refresh token or lifetime."
                        .into(),
                )),
            }
        }
        Some(400 | 401 | 403) => {
            let error = text("error")
                .or_else(|| text("status"))
                .unwrap_or("refused");
            let description = text("error_description")
                .or_else(|| text("message"))
                .filter(|d| !d.is_empty());
            Err(MintFailure::Refused(error_summary(
                status,
                Some(error),
                description,
            )))
        }
        _ => Err(MintFailure::Unavailable(error_summary(status, None, None))),
    }
}

/// Whether the access token that expires at `expires_at` must be replaced before a call at
/// `now` (unknown expiry: yes).
pub fn needs_refresh(now: i64, expires_at: Option<i64>) -> bool {
    expires_at.is_none_or(|at| now >= at - REFRESH_MARGIN_MS)
}

/// A `code` or `state` from the consent redirect, if it is one: bounded, and only the
/// characters HubSpot's codes and the portal's states use.
pub fn callback_value(value: &str) -> Option<&str> {
    let value = value.trim();
    let fine = !value.is_empty()
        && value.len() <= MAX_CALLBACK_VALUE
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    fine.then_some(value)
}

/// The app an admin connects with, checked: its client id and secret (from the app's Auth
/// tab in HubSpot) and where new deals go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub placement: DealPlacement,
}

pub fn checked_app(
    client_id: &str,
    client_secret: &str,
    pipeline: &str,
    stage: &str,
) -> Result<OAuthApp, Vec<FieldError>> {
    let mut errors = Vec::new();
    let credential = |value: &str| {
        let value = value.trim();
        (!value.is_empty()
            && value.len() <= 200
            && !value.chars().any(|c| c.is_whitespace() || c.is_control()))
        .then(|| value.to_string())
    };
    let client_id = credential(client_id).unwrap_or_else(|| {
        errors.push(FieldError::new(
            "client_id",
            "Paste the app's client ID from its Auth tab in HubSpot.",
        ));
        String::new()
    });
    let client_secret = credential(client_secret).unwrap_or_else(|| {
        errors.push(FieldError::new(
            "client_secret",
            "Paste the app's client secret from its Auth tab in HubSpot.",
        ));
        String::new()
    });
    let placement = super::crm::checked_placement(pipeline, stage, &mut errors);
    if errors.is_empty() {
        Ok(OAuthApp {
            client_id,
            client_secret,
            placement,
        })
    } else {
        Err(errors)
    }
}

/// The origin (`https://app.hubspot.com`) of an address, for the page's form-action policy;
/// `None` unless it is a plain http(s) origin (nothing that could end the policy early).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let fine = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    fine.then(|| format!("{scheme}://{host}"))
}

/// RFC 3986 percent-encoding of one query value (unreserved characters stay).
fn encoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The consent address an admin is sent to, with PKCE (`S256`): the code is only good
/// together with the verifier the portal kept.
pub fn authorize_url(
    authorize_base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
) -> String {
    let query = [
        ("client_id", client_id.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("scope", SCOPES.join(" ")),
        ("state", state.to_string()),
        ("code_challenge", code_challenge.to_string()),
        ("code_challenge_method", "S256".to_string()),
    ]
    .iter()
    .map(|(key, value)| format!("{key}={}", encoded(value)))
    .collect::<Vec<_>>()
    .join("&");
    let separator = if authorize_base.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{authorize_base}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_consent_origin_is_a_plain_origin() {
        assert_eq!(
            origin_of(DEFAULT_AUTHORIZE_URL).as_deref(),
            Some("https://app.hubspot.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3101/oauth/authorize").as_deref(),
            Some("http://127.0.0.1:3101")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://a.example; script-src *"), None);
        assert_eq!(origin_of("https://"), None);
        assert_eq!(origin_of("ftp://h.example/"), None);
    }

    #[test]
    fn a_token_answer_gives_tokens_and_their_expiry() {
        let body = json!({"access_token":"at-2","refresh_token":"rt-1","expires_in":1800,"token_type":"bearer"});
        assert_eq!(
            tokens(Some(200), &body, 1_000),
            Ok(Tokens {
                access_token: "at-2".into(),
                refresh_token: "rt-1".into(),
                expires_at: 1_000 + 1_800_000
            })
        );
    }

    #[test]
    fn an_unusable_token_answer_is_tried_again_later() {
        for body in [
            json!({"access_token":"at-2","expires_in":1800}),
            json!({"access_token":"","refresh_token":"rt","expires_in":1800}),
            json!({"access_token":"a b","refresh_token":"rt","expires_in":1800}),
            json!({"access_token":"at","refresh_token":"rt","expires_in":5}),
            json!({"access_token":"at","refresh_token":"rt","expires_in":999_999}),
            json!({"access_token":"at","refresh_token":"rt"}),
            json!({"access_token":"x".repeat(MAX_SECRET_CHARS + 1),"refresh_token":"rt","expires_in":1800}),
        ] {
            assert!(
                matches!(
                    tokens(Some(200), &body, 0),
                    Err(MintFailure::Unavailable(_))
                ),
                "{body}"
            );
        }
        for status in [Some(429), Some(500), Some(503), None] {
            assert!(matches!(
                tokens(status, &Value::Null, 0),
                Err(MintFailure::Unavailable(_))
            ));
        }
    }

    #[test]
    fn a_refused_grant_says_why() {
        let body = json!({"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token",
            "error":"invalid_grant","error_description":"missing or unknown refresh token"});
        assert_eq!(
            tokens(Some(400), &body, 0),
            Err(MintFailure::Refused(
                "HTTP 400 invalid_grant: missing or unknown refresh token".into()
            ))
        );
        let legacy = json!({"status":"BAD_CLIENT_ID","message":"unknown client"});
        assert_eq!(
            tokens(Some(400), &legacy, 0),
            Err(MintFailure::Refused(
                "HTTP 400 BAD_CLIENT_ID: unknown client".into()
            ))
        );
        assert_eq!(
            tokens(Some(401), &Value::Null, 0),
            Err(MintFailure::Refused("HTTP 401 refused".into()))
        );
    }

    #[test]
    fn tokens_are_refreshed_five_minutes_early() {
        let expires = 10 * 60_000;
        assert!(!needs_refresh(0, Some(expires)));
        assert!(!needs_refresh(
            expires - REFRESH_MARGIN_MS - 1,
            Some(expires)
        ));
        assert!(needs_refresh(expires - REFRESH_MARGIN_MS, Some(expires)));
        assert!(needs_refresh(expires + 1, Some(expires)));
        assert!(needs_refresh(0, None));
    }

    #[test]
    fn callback_values_are_bounded_and_plain() {
        assert_eq!(callback_value(" abc-DEF_1.2~ "), Some("abc-DEF_1.2~"));
        assert_eq!(callback_value(""), None);
        assert_eq!(callback_value("a\"><script>"), None);
        assert_eq!(callback_value("a b"), None);
        assert_eq!(callback_value("é"), None);
        assert!(callback_value(&"a".repeat(MAX_CALLBACK_VALUE)).is_some());
        assert_eq!(callback_value(&"a".repeat(MAX_CALLBACK_VALUE + 1)), None);
    }

    #[test]
    fn an_app_needs_its_id_secret_and_a_placement() {
        let app = checked_app(" cid ", " csecret ", "default", "appointmentscheduled").unwrap();
        assert_eq!(
            (app.client_id.as_str(), app.client_secret.as_str()),
            ("cid", "csecret")
        );
        assert_eq!(app.placement.stage, "appointmentscheduled");
        let errors = checked_app("", "with space", "", "stage!").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["client_id", "client_secret", "pipeline", "stage"]);
        assert!(checked_app(&"c".repeat(201), "s", "p", "s").is_err());
    }

    #[test]
    fn the_consent_address_carries_the_app_scopes_state_and_challenge() {
        let url = authorize_url(
            "https://app.hubspot.com/oauth/authorize",
            "cid-1",
            "https://portal.example/crm/hubspot/authorised",
            "st8",
            "ch_al-1",
        );
        assert!(url.starts_with("https://app.hubspot.com/oauth/authorize?client_id=cid-1&"));
        assert!(url
            .contains("&redirect_uri=https%3A%2F%2Fportal.example%2Fcrm%2Fhubspot%2Fauthorised&"));
        assert!(url.contains("&scope=oauth%20crm.objects.contacts.read%20"));
        assert!(url.contains("&state=st8&code_challenge=ch_al-1&code_challenge_method=S256"));
        let with_query = authorize_url("https://h.example/a?x=1", "c", "r", "s", "c");
        assert!(with_query.starts_with("https://h.example/a?x=1&client_id=c"));
        assert_eq!(encoded("a&b=c d/é"), "a%26b%3Dc%20d%2F%C3%A9");
    }
}
