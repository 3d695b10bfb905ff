//! Module satisfaction (view 8): response rate beside the score, the share of 4s and 5s
//! with its interval, the 1–5 spread and the latest comments, per learning path.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::SatisfactionInsight;
use leptos::prelude::*;

/// The satisfaction view's CSV (`export_satisfaction_csv` as a file).
pub const SATISFACTION_CSV_PATH: &str = "/insights/satisfaction/export.csv";

#[cfg(feature = "ssr")]
fn module_row(
    module: &crate::domain::insights::satisfaction::ModuleSatisfaction,
    title: String,
    zone: crate::domain::zone::Zone,
) -> crate::model::ModuleRow {
    use crate::domain::identity::JobRole;
    let day = |at: i64| zone.day_label_named(at);
    crate::model::ModuleRow {
        path_id: module.path_id,
        title: title.clone(),
        response: super::rate_row(title.clone(), &module.response),
        top_two: super::rate_row(title, &module.top_two),
        mean: module.mean,
        distribution: module.distribution.to_vec(),
        comments: module
            .comments
            .iter()
            .map(|comment| crate::model::CommentRow {
                day: day(comment.at),
                role: comment
                    .job_role
                    .map_or("No job role", JobRole::label)
                    .to_string(),
                text: comment.text.clone(),
            })
            .collect(),
    }
}

#[cfg(feature = "ssr")]
async fn satisfaction(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<SatisfactionInsight, AppError> {
    use crate::domain::insights::satisfaction::satisfaction;
    use crate::domain::insights::window_label;
    use crate::server::repo::insights;
    let published = insights::published_paths(&state.db).await?;
    let assignments = insights::assignments(&state.db, &published, false).await?;
    let ratings = insights::path_ratings(&state.db).await?;
    let (paths, regions) = super::filter_choices(state, &published).await?;
    let (overall, rows) = satisfaction(&ratings, &assignments, &checked.filters, &checked.window);
    let titles: std::collections::HashMap<i64, String> = paths.iter().cloned().collect();
    Ok(SatisfactionInsight {
        window: window_label(&checked.window),
        overall: module_row(&overall, "Every module".to_string(), checked.window.zone),
        rows: rows
            .iter()
            // Only published paths are offered; a retired path's old ratings are left out.
            .filter_map(|row| {
                Some(module_row(
                    row,
                    titles.get(&row.path_id)?.clone(),
                    checked.window.zone,
                ))
            })
            .collect(),
        paths,
        regions,
    })
}

/// Module satisfaction (view 8) under the query's filters (vendor staff).
#[server]
pub async fn load_satisfaction_insight(
    #[server(default)] query: InsightQuery,
) -> Result<SatisfactionInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    satisfaction(&state, &checked).await
}

/// Module satisfaction as CSV (vendor staff): a line per module and every module last,
/// with the counts behind each share, repeating the window and the filters. Comments stay
/// on the page (free text by named-role learners is not for a spreadsheet).
#[server]
pub async fn export_satisfaction_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    let insight = satisfaction(&state, &checked).await?;
    let mut header = vec![
        "module",
        "completed",
        "rated",
        "response_rate",
        "ratings",
        "rated_4_or_5",
        "top_two_share",
        "top_two_lower_95",
        "top_two_upper_95",
        "mean",
        "rated_1",
        "rated_2",
        "rated_3",
        "rated_4",
        "rated_5",
        "window",
    ];
    header.extend(super::FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone()];
    context.extend(super::filter_fields(&checked.filters));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![
            row.title.clone(),
            row.response.n.to_string(),
            row.response.successes.to_string(),
            super::csv_number(row.response.estimate),
            row.top_two.n.to_string(),
            row.top_two.successes.to_string(),
            super::csv_number(row.top_two.estimate),
            super::csv_number(row.top_two.lower),
            super::csv_number(row.top_two.upper),
            super::csv_number(row.mean),
        ];
        fields.extend(row.distribution.iter().map(u64::to_string));
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}
