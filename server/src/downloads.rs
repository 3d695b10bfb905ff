//! Files the browser downloads with a plain link: a GET that only reads, answered with the
//! file itself (a server function answers a browser's GET with a redirect instead). The
//! server function behind each one still decides who may read it.
use crate::ServerState;
use app::api::authoring::export_path;
use app::api::channel::{export_pipeline_csv, PipelineQuery};
use app::api::insights::{
    export_at_risk_csv, export_certificates_csv, export_certified_csv, export_cohort_csv,
    export_completion_csv, export_first_deal_csv, export_funnel_csv, export_quiz_csv,
    export_registrations_csv, export_satisfaction_csv, export_scorecard_csv, export_sourced_csv,
    InsightQuery,
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

/// The handler of one insights view's CSV link: the rows its server function exports
/// under the link's filters, as the file `$file`.
macro_rules! insight_csv_handler {
    ($(#[$doc:meta])* $handler:ident, $file:literal, $export:ident) => {
        $(#[$doc])*
        pub async fn $handler(
            State(state): State<ServerState>,
            Query(query): Query<InsightQuery>,
            request: Request,
        ) -> Response {
            insight_csv(&state, request, $file, $export(query)).await
        }
    };
}

insight_csv_handler!(
    /// The completion rows as `completion-by-segment.csv`.
    completion_csv,
    "completion-by-segment.csv",
    export_completion_csv
);
insight_csv_handler!(
    /// The learning funnel as `learning-funnel.csv`.
    funnel_csv,
    "learning-funnel.csv",
    export_funnel_csv
);
insight_csv_handler!(
    /// The completion cohort curves as `completion-cohorts.csv`.
    cohorts_csv,
    "completion-cohorts.csv",
    export_cohort_csv
);
insight_csv_handler!(
    /// The first-deal curves as `time-to-first-deal.csv`.
    first_deal_csv,
    "time-to-first-deal.csv",
    export_first_deal_csv
);
insight_csv_handler!(
    /// Module satisfaction as `module-satisfaction.csv`.
    satisfaction_csv,
    "module-satisfaction.csv",
    export_satisfaction_csv
);
insight_csv_handler!(
    /// The at-risk learners as `at-risk-learners.csv`.
    at_risk_csv,
    "at-risk-learners.csv",
    export_at_risk_csv
);
insight_csv_handler!(
    /// The sourced-pipeline leaderboard as `sourced-pipeline.csv`.
    sourced_csv,
    "sourced-pipeline.csv",
    export_sourced_csv
);
insight_csv_handler!(
    /// The quiz analysis as `quiz-questions-and-tags.csv`.
    quiz_csv,
    "quiz-questions-and-tags.csv",
    export_quiz_csv
);
insight_csv_handler!(
    /// The certified-vs-not rows as `certified-vs-not.csv`.
    certified_csv,
    "certified-vs-not.csv",
    export_certified_csv
);
insight_csv_handler!(
    /// The certificate-status rows as `certificate-status.csv`.
    certificates_csv,
    "certificate-status.csv",
    export_certificates_csv
);
insight_csv_handler!(
    /// The registration-health rows as `registration-health.csv`.
    registrations_csv,
    "registration-health.csv",
    export_registrations_csv
);
insight_csv_handler!(
    /// A scorecard as `scorecard.csv` (a partner's own organisation, or the one staff chose).
    scorecard_csv,
    "scorecard.csv",
    export_scorecard_csv
);

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
