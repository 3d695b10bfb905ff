//! The HubSpot webhook endpoint. HubSpot waits five seconds and retries any 4xx or 5xx for a
//! day, so the request only verifies and stores; the worker reads the deals back. Refusals
//! are plain JSON with a status that says why (and HubSpot's retries of a forged delivery
//! fail the same way, changing nothing).
use crate::ServerState;
use app::domain::hubspot_webhook::{Refusal, MAX_BODY_BYTES};
use app::server::crm::webhook::{receive, Delivery, ReceiveError};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn refused(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    answer(status, serde_json::json!({ "error": refusal.message() }))
}

pub async fn hubspot(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return refused(&Refusal::TooLarge);
    };
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let path_and_query = uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or(app::server::crm::webhook::HUBSPOT_PATH);
    let delivery = Delivery {
        method: method.as_str(),
        path_and_query,
        signature: header("x-hubspot-signature-v3"),
        timestamp: header("x-hubspot-request-timestamp"),
        body: &body,
    };
    match receive(&state.app, &delivery).await {
        Ok(received) => {
            if received.new > 0 {
                state.app.crm_wake.notify_one();
            }
            answer(
                StatusCode::OK,
                serde_json::json!({ "events": received.events, "new": received.new }),
            )
        }
        Err(ReceiveError::Refused(refusal)) => {
            tracing::warn!(reason = %refusal.message(), "refused a HubSpot webhook delivery");
            refused(&refusal)
        }
        Err(ReceiveError::Database(error)) => {
            tracing::error!(%error, "storing a HubSpot webhook delivery failed");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "The portal could not store the delivery; HubSpot will retry." }),
            )
        }
    }
}

/// Where relays deliver raw replies (`message/rfc822`), e.g. a Postfix pipe or a mail
/// provider's inbound hook, with `Authorization: Bearer <INBOUND_MAIL_TOKEN>`. The envelope
/// recipient, when the relay knows it, goes in `?recipient=` (repeatable).
pub const INBOUND_MIME_PATH: &str = "/inbound/mime";

pub async fn inbound_mime(
    State(state): State<ServerState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    use app::server::inbound::{take, Arrival, Door, Intake, MAX_MESSAGE_BYTES};
    let Some(expected) = state.app.settings.inbound_mail_token.as_deref() else {
        return answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "Inbound mail over HTTP is not enabled." }),
        );
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if !app::server::crypto::same_secret(presented, expected) {
        return answer(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({ "error": "A valid bearer token is required." }),
        );
    }
    let Ok(raw) = axum::body::to_bytes(body, MAX_MESSAGE_BYTES).await else {
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            serde_json::json!({ "error": format!("A message may be at most {MAX_MESSAGE_BYTES} bytes.") }),
        );
    };
    let recipients: Vec<String> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(name, _)| name == "recipient")
        .map(|(_, value)| value.chars().take(320).collect())
        .take(app::server::inbound::MAX_RECIPIENTS)
        .collect();
    let arrival = Arrival {
        door: Door::Http,
        envelope_from: "",
        recipients: &recipients,
        raw: &raw,
    };
    match take(&state.app, &arrival).await {
        Ok(Intake::Stored { id, verdict }) => answer(
            StatusCode::OK,
            serde_json::json!({ "id": id, "verdict": verdict }),
        ),
        Ok(Intake::Duplicate) => answer(StatusCode::OK, serde_json::json!({ "duplicate": true })),
        Ok(Intake::Unreadable) => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({ "error": "The body is not a mail message with a sender." }),
        ),
        Err(error) => {
            tracing::error!(%error, "storing an inbound message failed");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "The portal could not store the message; try again." }),
            )
        }
    }
}
