//! The one-click unsubscribe endpoint (RFC 8058). Mail clients POST
//! `List-Unsubscribe=One-Click` to the link from the `List-Unsubscribe` header, from their
//! own servers, so this POST is exempt from the same-site check: the keyed token in the
//! link is what authorises it, and all it can do is turn one notification off for one
//! person. A person who opens the link in a browser gets a page with a button (a GET never
//! changes anything).
use crate::ServerState;
use app::domain::html::escape_html_text;
use app::server::unsubscribe::{apply, Unsubscribed};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The link's parameters.
#[derive(Debug, serde::Deserialize)]
pub struct Link {
    #[serde(default)]
    email: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    token: String,
}

/// The exact path the exemption from the same-site check applies to.
pub const PATH: &str = "/unsubscribe";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Partner Portal</title></head><body><main><h1>{}</h1>{body}</main></body></html>",
        escape_html_text(title),
        escape_html_text(title)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn bounded(link: &Link) -> bool {
    link.email.len() <= 254 && link.event.len() <= 64 && link.token.len() <= 128
}

pub async fn confirm_page(Query(link): Query<Link>) -> Response {
    if !bounded(&link) {
        return page(StatusCode::BAD_REQUEST, "This link is not valid", "");
    }
    let action = format!(
        "{PATH}?email={}&event={}&token={}",
        app::components::load::encode_query_value(&link.email),
        app::components::load::encode_query_value(&link.event),
        app::components::load::encode_query_value(&link.token)
    );
    let body = format!(
        "<p>Stop emails like this one to {}?</p>\
         <form method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Stop these emails</button></form>\
         <p>You can turn them back on under Account, Email notifications.</p>",
        escape_html_text(&link.email),
        escape_html_text(&action)
    );
    page(StatusCode::OK, "Stop these emails", &body)
}

pub async fn one_click(State(state): State<ServerState>, Query(link): Query<Link>) -> Response {
    if !bounded(&link) {
        return page(StatusCode::BAD_REQUEST, "This link is not valid", "");
    }
    let app = &state.app;
    match apply(
        &app.db,
        &app.settings.secret_key,
        &link.email,
        &link.event,
        &link.token,
        app.clock.now_ms(),
    )
    .await
    {
        Ok(Unsubscribed::Done(event)) => {
            tracing::info!(event = event.as_str(), "unsubscribed by one-click link");
            let body = format!(
                "<p>You will no longer get emails for “{}”. You can turn them back on under Account, Email notifications.</p>",
                escape_html_text(event.label())
            );
            page(StatusCode::OK, "Done: these emails are off", &body)
        }
        Ok(Unsubscribed::Refused) => page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "<p>Manage your emails under Account, Email notifications.</p>",
        ),
        Err(error) => {
            tracing::error!(%error, "unsubscribe failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>Something went wrong on our side.</p>",
            )
        }
    }
}
