//! Files the browser downloads with a plain link: a GET that only reads, answered with the
//! file itself (a server function answers a browser's GET with a redirect instead). The
//! server function behind each one still decides who may read it.
use crate::ServerState;
use app::api::authoring::export_path;
use app::api::channel::{export_pipeline_csv, PipelineQuery};
use app::api::insights::{
    export_certificates_csv, export_certified_csv, export_completion_csv, export_registrations_csv,
    export_scorecard_csv, InsightQuery,
};
use app::error::AppError;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::*;
use leptos::reactive::computed::ScopedFuture;
use leptos::reactive::owner::Owner;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsvFlavour {
    /// Starts the file with a byte-order mark, which Excel needs to read accents.
    excel: Option<String>,
}

/// The filtered pipeline as `pipeline.csv` (the filters are the pipeline page's own).
pub async fn pipeline_csv(
    State(state): State<ServerState>,
    Query(query): Query<PipelineQuery>,
    Query(flavour): Query<CsvFlavour>,
    request: Request,
) -> Response {
    let with_bom = flavour.excel.is_some_and(|v| v == "1" || v == "true");
    let (parts, _) = request.into_parts();
    let file = File {
        content_type: "text/csv; charset=utf-8",
        name: "pipeline.csv".to_string(),
    };
    serve(&state, parts, file, export_pipeline_csv(query, with_bom)).await
}

/// The completion view's rows as `completion-by-segment.csv`, under the link's filters.
pub async fn completion_csv(
    State(state): State<ServerState>,
    Query(query): Query<InsightQuery>,
    request: Request,
) -> Response {
    insight_csv(
        &state,
        request,
        "completion-by-segment.csv",
        export_completion_csv(query),
    )
    .await
}

/// The certified-vs-not rows as `certified-vs-not.csv`, under the link's filters.
pub async fn certified_csv(
    State(state): State<ServerState>,
    Query(query): Query<InsightQuery>,
    request: Request,
) -> Response {
    insight_csv(
        &state,
        request,
        "certified-vs-not.csv",
        export_certified_csv(query),
    )
    .await
}

/// The certificate-status rows as `certificate-status.csv`, under the link's filters.
pub async fn certificates_csv(
    State(state): State<ServerState>,
    Query(query): Query<InsightQuery>,
    request: Request,
) -> Response {
    insight_csv(
        &state,
        request,
        "certificate-status.csv",
        export_certificates_csv(query),
    )
    .await
}

/// The registration-health rows as `registration-health.csv`, under the link's filters.
pub async fn registrations_csv(
    State(state): State<ServerState>,
    Query(query): Query<InsightQuery>,
    request: Request,
) -> Response {
    insight_csv(
        &state,
        request,
        "registration-health.csv",
        export_registrations_csv(query),
    )
    .await
}

/// A scorecard as `scorecard.csv` (a partner's own organisation, or the one staff chose).
pub async fn scorecard_csv(
    State(state): State<ServerState>,
    Query(query): Query<InsightQuery>,
    request: Request,
) -> Response {
    insight_csv(
        &state,
        request,
        "scorecard.csv",
        export_scorecard_csv(query),
    )
    .await
}

/// An insights view's rows as the CSV file `name` (the view's server function answers).
async fn insight_csv(
    state: &ServerState,
    request: Request,
    name: &str,
    make: impl std::future::Future<Output = Result<String, AppError>>,
) -> Response {
    let (parts, _) = request.into_parts();
    let file = File {
        content_type: "text/csv; charset=utf-8",
        name: name.to_string(),
    };
    serve(state, parts, file, make).await
}

/// A learning path's export as `learning-path-<id>.json`.
pub async fn path_export(
    State(state): State<ServerState>,
    Path(path_id): Path<i64>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let file = File {
        content_type: "application/json",
        name: format!("learning-path-{path_id}.json"),
    };
    serve(&state, parts, file, export_path(path_id)).await
}

struct File {
    content_type: &'static str,
    name: String,
}

/// Runs `make` (a server function's body) with the request's context, as leptos_axum does
/// for a server function call, and answers with its text as the file.
async fn serve(
    state: &ServerState,
    parts: axum::http::request::Parts,
    file: File,
    make: impl std::future::Future<Output = Result<String, AppError>>,
) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let owner = Owner::new();
    let result = owner
        .with(|| {
            provide_context(parts);
            provide_context(state.app.clone());
            provide_context(leptos_axum::ResponseOptions::default());
            ScopedFuture::new(make)
        })
        .await;
    match result {
        Ok(text) => {
            let disposition = format!("attachment; filename=\"{}\"", file.name);
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(file.content_type),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                    ),
                ],
                text,
            )
                .into_response()
        }
        Err(error) => refusal(&error, &here),
    }
}

/// What a person following the link sees when the file is not theirs to have: the sign-in
/// page (coming back here), or the reason in plain text with its status.
fn refusal(error: &AppError, here: &str) -> Response {
    if *error == AppError::Unauthenticated {
        let next = app::components::load::encode_query_value(here);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
    let text = match error {
        AppError::Validation(problems) => problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}
