//! HubSpot webhooks v3, the pure part: which requests are refused and why, the exact
//! string HubSpot signs, and which events matter to the portal. The HMAC itself is computed
//! on the server (`server::crm::webhook`), where the crypto crates live.
//!
//! HubSpot's documented contract (request-validation page, SDK `signature` utilities):
//! `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(app client secret, method + URI + body +
//! timestamp)), `X-HubSpot-Request-Timestamp` in epoch ms, refused when older than five
//! minutes. The URI is the full URL HubSpot called, with a fixed set of percent-escapes
//! decoded; the portal signs against its configured public address, never the `Host` header.
use serde_json::Value;

/// A delivery older than this (or this far in the future) is refused.
pub const TIMESTAMP_WINDOW_MS: i64 = 300_000;
/// HubSpot sends at most 100 events per request; a body far beyond that is not HubSpot.
pub const MAX_BODY_BYTES: usize = 1 << 20;
pub const MAX_EVENTS: usize = 1_000;

/// Why a delivery was refused. Each is answered with a clear status and message, and none
/// changes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No live HubSpot connection has a webhook secret.
    NotConfigured,
    /// A signature or timestamp header is missing or unreadable.
    Unsigned,
    /// The timestamp is outside the five-minute window.
    Stale,
    /// The signature does not match.
    BadSignature,
    /// This exact signed delivery was received before.
    Replayed,
    TooLarge,
    /// Signed, but not a list of HubSpot events.
    Malformed(&'static str),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotConfigured => 404,
            Refusal::Unsigned | Refusal::Stale | Refusal::BadSignature => 401,
            Refusal::Replayed => 409,
            Refusal::TooLarge => 413,
            Refusal::Malformed(_) => 400,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::NotConfigured => "Webhooks are not set up on this portal.".into(),
            Refusal::Unsigned => {
                "The request carries no X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp."
                    .into()
            }
            Refusal::Stale => "The request timestamp is more than five minutes off.".into(),
            Refusal::BadSignature => "The signature does not match.".into(),
            Refusal::Replayed => "This delivery was received before.".into(),
            Refusal::TooLarge => format!("The body is over {MAX_BODY_BYTES} bytes."),
            Refusal::Malformed(why) => format!("The body is not a list of HubSpot events: {why}."),
        }
    }
}

/// The timestamp header, if it is an epoch-ms instant within the window around `now_ms`.
pub fn checked_timestamp(header: &str, now_ms: i64) -> Result<i64, Refusal> {
    let at: i64 = header.trim().parse().map_err(|_| Refusal::Unsigned)?;
    if (now_ms - at).abs() > TIMESTAMP_WINDOW_MS {
        return Err(Refusal::Stale);
    }
    Ok(at)
}

/// The escapes HubSpot decodes before signing (`%3F` is decoded too, but the `?` that starts
/// the query is never an escape, so it needs no special case).
const DECODED: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The URI as HubSpot signs it: the listed escapes decoded, everything else as sent. Decoded
/// left to right in one pass, so a decoded `%` never starts a second escape.
pub fn signed_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let candidate = rest.get(at..at + 3).unwrap_or("");
        match DECODED.iter().find(|(escape, _)| *escape == candidate) {
            Some((_, decoded)) => {
                out.push(*decoded);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The bytes HubSpot signs: method, URI, body and timestamp, with no separators.
pub fn signed_source(method: &str, uri: &str, body: &[u8], timestamp: &str) -> Vec<u8> {
    let mut source = Vec::with_capacity(method.len() + uri.len() + body.len() + timestamp.len());
    source.extend_from_slice(method.as_bytes());
    source.extend_from_slice(signed_uri(uri).as_bytes());
    source.extend_from_slice(body);
    source.extend_from_slice(timestamp.as_bytes());
    source
}

/// One event of a delivery, as far as the portal reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub portal_id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub occurred_at: i64,
    pub subscription_type: String,
    /// The HubSpot id of the changed record.
    pub object_id: String,
    pub property_name: Option<String>,
    pub change_source: Option<String>,
    /// Set for the generic `object.*` subscriptions (deals are `0-3`).
    pub object_type_id: Option<String>,
}

/// The deal properties whose change the portal reads back.
pub const WATCHED_DEAL_PROPERTIES: [&str; 5] = [
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "pipeline",
];

impl Event {
    /// Whether the event may change a registration: a change to a watched property of a
    /// deal. Creations and deletions are not (the portal creates its deals, and a deal
    /// deleted in HubSpot leaves the registration as it is).
    pub fn changes_a_deal(&self) -> bool {
        let is_deal = match self.subscription_type.split_once('.') {
            Some(("deal", _)) => true,
            Some(("object", _)) => self.object_type_id.as_deref() == Some("0-3"),
            _ => false,
        };
        is_deal
            && self.subscription_type.ends_with(".propertyChange")
            && self
                .property_name
                .as_deref()
                .is_some_and(|name| WATCHED_DEAL_PROPERTIES.contains(&name))
    }
}

/// An id HubSpot sends as a number (or, in newer payloads, sometimes a string).
fn id_of(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(value: Option<&Value>, limit: usize) -> Option<String> {
    let text = value?.as_str()?;
    (text.len() <= limit).then(|| text.to_string())
}

/// The events of a delivery body, bounded: a JSON array of at most `MAX_EVENTS` objects,
/// each with the identifying fields HubSpot always sends.
pub fn parse_events(body: &[u8]) -> Result<Vec<Event>, Refusal> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Refusal::TooLarge);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|_| Refusal::Malformed("it is not JSON"))?;
    let items = value
        .as_array()
        .ok_or(Refusal::Malformed("it is not a JSON array"))?;
    if items.len() > MAX_EVENTS {
        return Err(Refusal::Malformed("it holds too many events"));
    }
    items
        .iter()
        .map(|item| {
            let field = |name: &str| item.get(name);
            Some(Event {
                portal_id: id_of(field("portalId"))?,
                subscription_id: id_of(field("subscriptionId"))?,
                event_id: id_of(field("eventId"))?,
                occurred_at: id_of(field("occurredAt"))?,
                subscription_type: text_of(field("subscriptionType"), 100)?,
                object_id: id_of(field("objectId"))?.to_string(),
                property_name: text_of(field("propertyName"), 200),
                change_source: text_of(field("changeSource"), 100),
                object_type_id: text_of(field("objectTypeId"), 20),
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(Refusal::Malformed(
            "an event lacks portalId, subscriptionId, eventId, occurredAt, subscriptionType or objectId",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timestamp_must_be_within_five_minutes_either_way() {
        let now = 1_800_000_000_000;
        assert_eq!(checked_timestamp(&now.to_string(), now), Ok(now));
        assert_eq!(
            checked_timestamp(&(now - 300_000).to_string(), now),
            Ok(now - 300_000)
        );
        assert_eq!(
            checked_timestamp(&(now - 300_001).to_string(), now),
            Err(Refusal::Stale)
        );
        assert_eq!(
            checked_timestamp(&(now + 300_001).to_string(), now),
            Err(Refusal::Stale)
        );
        assert_eq!(checked_timestamp("", now), Err(Refusal::Unsigned));
        assert_eq!(checked_timestamp("soon", now), Err(Refusal::Unsigned));
        assert_eq!(
            checked_timestamp("99999999999999999999999", now),
            Err(Refusal::Unsigned)
        );
    }

    #[test]
    fn the_signed_uri_decodes_only_the_listed_escapes() {
        assert_eq!(
            signed_uri(
                "https://p.example/crm/hubspot/webhooks?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B"
            ),
            "https://p.example/crm/hubspot/webhooks?a=:/?@!$'()*,;"
        );
        // Others stay escaped; a lone or short `%` stays as sent.
        assert_eq!(
            signed_uri("https://p.example/a%20b?x=%25&y=%"),
            "https://p.example/a%20b?x=%25&y=%"
        );
        assert_eq!(signed_uri("https://p.example/%2"), "https://p.example/%2");
        // One pass: `%253A` is `%25` then `3A`, not a colon.
        assert_eq!(signed_uri("/x%253A"), "/x%253A");
        // HubSpot's table is upper case; a lower-case escape is signed as sent.
        assert_eq!(signed_uri("/x%3a"), "/x%3a");
    }

    #[test]
    fn the_signed_source_is_method_uri_body_timestamp() {
        assert_eq!(
            signed_source("POST", "https://p.example/h%3Ax", b"[1]", "15000000"),
            b"POSThttps://p.example/h:x[1]15000000".to_vec()
        );
    }

    #[test]
    fn refusals_have_a_status_and_a_message() {
        for refusal in [
            Refusal::NotConfigured,
            Refusal::Unsigned,
            Refusal::Stale,
            Refusal::BadSignature,
            Refusal::Replayed,
            Refusal::TooLarge,
            Refusal::Malformed("x"),
        ] {
            assert!((400..500).contains(&refusal.status()));
            assert!(refusal.message().ends_with('.'));
        }
        assert_eq!(Refusal::Replayed.status(), 409);
        assert_eq!(Refusal::TooLarge.status(), 413);
    }

    fn delivery(events: &str) -> Vec<u8> {
        events.as_bytes().to_vec()
    }

    #[test]
    fn events_are_read_with_numeric_or_string_ids() {
        let events = parse_events(&delivery(
            r#"[{"eventId":100,"subscriptionId":7,"portalId":62515,"appId":1,"occurredAt":1700000000000,
                "subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":"812",
                "propertyName":"dealstage","propertyValue":"closedwon","changeSource":"CRM_UI"},
               {"eventId":"101","subscriptionId":7,"portalId":62515,"occurredAt":1700000000001,
                "subscriptionType":"object.propertyChange","objectTypeId":"0-3","objectId":813,
                "propertyName":"amount"}]"#,
        ))
        .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].object_id, "812");
        assert_eq!(events[0].change_source.as_deref(), Some("CRM_UI"));
        assert_eq!(events[1].event_id, 101);
        assert!(events.iter().all(Event::changes_a_deal));
    }

    #[test]
    fn only_watched_deal_property_changes_matter() {
        let event = |kind: &str, object_type: Option<&str>, property: Option<&str>| Event {
            portal_id: 1,
            subscription_id: 1,
            event_id: 1,
            occurred_at: 1,
            subscription_type: kind.into(),
            object_id: "1".into(),
            property_name: property.map(str::to_string),
            change_source: None,
            object_type_id: object_type.map(str::to_string),
        };
        assert!(event("deal.propertyChange", None, Some("closedate")).changes_a_deal());
        assert!(event("deal.propertyChange", None, Some("hubspot_owner_id")).changes_a_deal());
        assert!(!event("deal.propertyChange", None, Some("dealname")).changes_a_deal());
        assert!(!event("deal.creation", None, None).changes_a_deal());
        assert!(!event("deal.deletion", None, None).changes_a_deal());
        assert!(!event("contact.propertyChange", None, Some("dealstage")).changes_a_deal());
        assert!(!event("object.propertyChange", Some("0-1"), Some("amount")).changes_a_deal());
        assert!(event("object.propertyChange", Some("0-3"), Some("amount")).changes_a_deal());
        assert!(!event("deal", None, Some("amount")).changes_a_deal());
    }

    #[test]
    fn bodies_that_are_not_event_lists_are_refused() {
        let refused = |body: &str| parse_events(body.as_bytes()).unwrap_err();
        assert_eq!(refused("not json"), Refusal::Malformed("it is not JSON"));
        assert_eq!(refused("{}"), Refusal::Malformed("it is not a JSON array"));
        assert!(matches!(
            refused(r#"[{"eventId":1}]"#),
            Refusal::Malformed(_)
        ));
        assert!(matches!(refused(r#"[1]"#), Refusal::Malformed(_)));
        let many = format!("[{}]", vec![r#"{"eventId":1}"#; MAX_EVENTS + 1].join(","));
        assert_eq!(
            refused(&many),
            Refusal::Malformed("it holds too many events")
        );
        assert_eq!(
            parse_events(&vec![b' '; MAX_BODY_BYTES + 1]).unwrap_err(),
            Refusal::TooLarge
        );
        assert_eq!(parse_events(b"[]").unwrap(), vec![]);
    }
}
