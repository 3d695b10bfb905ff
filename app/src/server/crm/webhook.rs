//! Receiving HubSpot webhooks v3: verify the signature against the portal's configured
//! address, refuse stale and replayed deliveries, store the events for the worker, answer
//! fast. Reading the deals back happens in `sync::apply_webhook_events`, off the request.
use crate::domain::crm::CrmKind;
use crate::domain::hubspot_webhook::{checked_timestamp, parse_events, signed_source, Refusal};
use crate::server::repo::crm as repo;
use crate::server::AppState;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The path HubSpot is told to call (the app's "target URL" is the public address + this).
pub const HUBSPOT_PATH: &str = "/crm/hubspot/webhooks";

/// The sealing context of a webhook secret: a sealed token cannot be passed off as one.
pub const SECRET_CONTEXT: &str = "hubspot-webhook";

/// HMAC-SHA256 of `source` under `secret`, not yet finalised.
fn keyed_mac(secret: &str, source: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(source);
    mac
}

/// Whether `signature` (base64, as in `X-HubSpot-Signature-v3`) signs `source` under
/// `secret`. The comparison is the MAC library's, in constant time.
pub fn signature_matches(secret: &str, source: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    keyed_mac(secret, source).verify_slice(&expected).is_ok()
}

/// What a delivery's request carries.
pub struct Delivery<'a> {
    pub method: &'a str,
    /// The path and query as requested; the scheme and host come from configuration.
    pub path_and_query: &'a str,
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub body: &'a [u8],
}

/// A stored delivery: how many events it held and how many were new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub events: usize,
    pub new: usize,
}

/// Checks and stores one delivery. A refusal changes nothing but the connection's "last
/// refused delivery" note, which admins see.
pub async fn receive(state: &AppState, delivery: &Delivery<'_>) -> Result<Received, ReceiveError> {
    // A connection that needs a new token still stores events; the worker reads them once
    // it is connected again.
    let Some(connection) = repo::live_connection(&state.db, CrmKind::Hubspot).await? else {
        return Err(Refusal::NotConfigured.into());
    };
    let secret = connection
        .webhook_secret_sealed
        .as_deref()
        .and_then(|sealed| super::unseal(&state.settings.secret_key, SECRET_CONTEXT, sealed));
    let Some(secret) = secret else {
        return Err(Refusal::NotConfigured.into());
    };
    let now = state.clock.now_ms();
    let checked = check(&state.settings.public_base_url, &secret, delivery, now);
    let (signature, events) = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            // Only a signed delivery's refusal is noted: an unsigned stranger cannot write
            // to the page admins read.
            if matches!(refusal, Refusal::Malformed(_)) {
                repo::record_webhook_refusal(&state.db, connection.id, &refusal.message(), now)
                    .await?;
            }
            return Err(refusal.into());
        }
    };
    match repo::store_webhook_delivery(&state.db, connection.id, signature, &events, now).await? {
        Some(new) => Ok(Received {
            events: events.len(),
            new,
        }),
        None => Err(Refusal::Replayed.into()),
    }
}

/// The pure checks, in order: headers present, timestamp in the window, signature, body.
fn check<'a>(
    public_base_url: &str,
    secret: &str,
    delivery: &Delivery<'a>,
    now_ms: i64,
) -> Result<(&'a str, Vec<crate::domain::hubspot_webhook::Event>), Refusal> {
    let (Some(signature), Some(timestamp)) = (delivery.signature, delivery.timestamp) else {
        return Err(Refusal::Unsigned);
    };
    if delivery.body.len() > crate::domain::hubspot_webhook::MAX_BODY_BYTES {
        return Err(Refusal::TooLarge);
    }
    checked_timestamp(timestamp, now_ms)?;
    let uri = format!(
        "{}{}",
        public_base_url.trim_end_matches('/'),
        delivery.path_and_query
    );
    let source = signed_source(delivery.method, &uri, delivery.body, timestamp);
    if !signature_matches(secret, &source, signature) {
        return Err(Refusal::BadSignature);
    }
    Ok((signature, parse_events(delivery.body)?))
}

/// A refusal, or the database failing.
#[derive(Debug)]
pub enum ReceiveError {
    Refused(Refusal),
    Database(sqlx::Error),
}

impl From<Refusal> for ReceiveError {
    fn from(refusal: Refusal) -> Self {
        ReceiveError::Refused(refusal)
    }
}

impl From<sqlx::Error> for ReceiveError {
    fn from(error: sqlx::Error) -> Self {
        ReceiveError::Database(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signs a delivery as HubSpot does.
    fn sign(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
        let mac = keyed_mac(secret, &signed_source(method, uri, body, timestamp));
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    // HubSpot's own test vector (hubspot-api-python tests/spec/utils/test_signature.py),
    // recomputed independently with Python's hmac module.
    const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
    const BODY: &[u8] = b"{'example_field':'example_value'}";
    const EXPECTED: &str = "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=";

    #[test]
    fn hubspots_published_v3_vector_verifies() {
        let source = signed_source(
            "POST",
            "https://www.example.com/webhook_uri",
            BODY,
            "15000000",
        );
        assert!(signature_matches(SECRET, &source, EXPECTED));
        assert_eq!(
            sign(
                SECRET,
                "POST",
                "https://www.example.com/webhook_uri",
                BODY,
                "15000000"
            ),
            EXPECTED
        );
    }

    #[test]
    fn any_change_to_what_is_signed_breaks_the_signature() {
        let uri = "https://www.example.com/webhook_uri";
        let ok = |method: &str, uri: &str, body: &[u8], at: &str| {
            signature_matches(SECRET, &signed_source(method, uri, body, at), EXPECTED)
        };
        assert!(!ok("GET", uri, BODY, "15000000"));
        assert!(!ok(
            "POST",
            "https://www.example.com/webhook_uri2",
            BODY,
            "15000000"
        ));
        assert!(!ok(
            "POST",
            "http://www.example.com/webhook_uri",
            BODY,
            "15000000"
        ));
        assert!(!ok(
            "POST",
            uri,
            b"{'example_field':'example_valuE'}",
            "15000000"
        ));
        assert!(!ok("POST", uri, BODY, "15000001"));
        assert!(!signature_matches(
            "another secret",
            &signed_source("POST", uri, BODY, "15000000"),
            EXPECTED
        ));
        assert!(!signature_matches(SECRET, b"x", "not base64!"));
        assert!(!signature_matches(SECRET, b"x", ""));
    }

    fn delivery<'a>(
        body: &'a [u8],
        signature: Option<&'a str>,
        timestamp: Option<&'a str>,
    ) -> Delivery<'a> {
        Delivery {
            method: "POST",
            path_and_query: HUBSPOT_PATH,
            signature,
            timestamp,
            body,
        }
    }

    #[test]
    fn checks_run_in_order_and_sign_against_the_configured_address() {
        let now = 1_800_000_000_000_i64;
        let at = now.to_string();
        let body = br#"[{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":4,"subscriptionType":"deal.propertyChange","objectId":5,"propertyName":"amount"}]"#;
        let base = "https://partners.example.com";
        let uri = format!("{base}{HUBSPOT_PATH}");
        let good = sign("s3cret", "POST", &uri, body, &at);
        let (signature, events) =
            check(base, "s3cret", &delivery(body, Some(&good), Some(&at)), now).unwrap();
        assert_eq!(signature, good);
        assert_eq!(events.len(), 1);
        // The trailing slash of the configured address does not matter.
        assert!(check(
            "https://partners.example.com/",
            "s3cret",
            &delivery(body, Some(&good), Some(&at)),
            now
        )
        .is_ok());
        // A delivery signed for another host (what a forged Host header would claim).
        let elsewhere = sign(
            "s3cret",
            "POST",
            &format!("https://evil.example{HUBSPOT_PATH}"),
            body,
            &at,
        );
        let refused = |d: Delivery| check(base, "s3cret", &d, now).unwrap_err();
        assert_eq!(
            refused(delivery(body, Some(&elsewhere), Some(&at))),
            Refusal::BadSignature
        );
        assert_eq!(refused(delivery(body, None, Some(&at))), Refusal::Unsigned);
        assert_eq!(
            refused(delivery(body, Some(&good), None)),
            Refusal::Unsigned
        );
        let old = (now - 400_000).to_string();
        let old_signed = sign("s3cret", "POST", &uri, body, &old);
        assert_eq!(
            refused(delivery(body, Some(&old_signed), Some(&old))),
            Refusal::Stale
        );
        // Signed but not events: malformed, reported only after the signature held.
        let junk = b"{\"not\":\"events\"}";
        let junk_signed = sign("s3cret", "POST", &uri, junk, &at);
        assert!(matches!(
            refused(delivery(junk, Some(&junk_signed), Some(&at))),
            Refusal::Malformed(_)
        ));
        assert_eq!(
            refused(delivery(junk, Some(&good), Some(&at))),
            Refusal::BadSignature
        );
    }
}
