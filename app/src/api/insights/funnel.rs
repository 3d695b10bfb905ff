//! The learning funnel (view 1): assigned → started → lessons → passed → certified, by path
//! or by segment.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::FunnelInsight;
use leptos::prelude::*;

/// The funnel's CSV, as a plain link (`export_funnel_csv` as a file).
pub const FUNNEL_CSV_PATH: &str = "/insights/funnel/export.csv";

/// The funnel's splits: by path (the default), or by one of the people segments.
#[cfg(feature = "ssr")]
fn splits() -> Vec<&'static str> {
    let mut splits = vec!["path"];
    splits.extend(super::segments());
    splits
}

#[cfg(feature = "ssr")]
fn funnel_row(funnel: &crate::domain::insights::funnel::Funnel) -> crate::model::FunnelRow {
    crate::model::FunnelRow {
        label: funnel.label.clone(),
        reached: funnel.reached.to_vec(),
        conversions: funnel
            .conversions()
            .iter()
            .map(|rate| rate.as_ref().map(|r| super::rate_row(String::new(), r)))
            .collect(),
    }
}

/// The funnel under checked filters: the facts read once, grouped by the split.
#[cfg(feature = "ssr")]
async fn funnel(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<FunnelInsight, AppError> {
    use crate::domain::insights::{funnel::funnels, window_label, Segment};
    use crate::server::repo::insights;
    let published = insights::published_paths(&state.db).await?;
    let assignments = insights::assignments(&state.db, &published, true).await?;
    let (paths, regions) = super::filter_choices(state, &published).await?;
    let segment = checked.split.and_then(Segment::parse);
    let titles: std::collections::HashMap<i64, &str> = paths
        .iter()
        .map(|(id, title)| (*id, title.as_str()))
        .collect();
    let (overall, rows) = funnels(
        &assignments,
        &checked.filters,
        &checked.window,
        |assignment| match segment {
            Some(segment) => assignment.person.segment(segment),
            None => titles
                .get(&assignment.path_id)
                .map_or_else(String::new, |title| title.to_string()),
        },
    );
    Ok(FunnelInsight {
        window: window_label(&checked.window),
        split: segment.map_or("path", Segment::as_str).to_string(),
        split_label: segment.map_or("Learning path", Segment::label).to_string(),
        overall: funnel_row(&overall),
        rows: rows.iter().map(funnel_row).collect(),
        paths,
        regions,
    })
}

/// The learning funnel (view 1) under the query's filters (vendor staff).
#[server]
pub async fn load_funnel_insight(
    #[server(default)] query: InsightQuery,
) -> Result<FunnelInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &splits()).await?;
    funnel(&state, &checked).await
}

/// The funnel as CSV (vendor staff): a line per group and the whole funnel last, with each
/// stage's count and conversion, repeating the window and the filters.
#[server]
pub async fn export_funnel_csv(#[server(default)] query: InsightQuery) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &splits()).await?;
    let insight = funnel(&state, &checked).await?;
    let mut header = vec![
        "group",
        "assigned",
        "started",
        "finished_lessons",
        "passed",
        "certified",
        "passed_on_certifying_paths",
        "started_rate",
        "lessons_rate",
        "passed_rate",
        "certified_rate",
        "window",
        "split_by",
    ];
    header.extend(super::FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone(), insight.split.clone()];
    context.extend(super::filter_fields(&checked.filters));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![row.label.clone()];
        fields.extend(row.reached.iter().map(u64::to_string));
        let certifying = row.conversions.last().cloned().flatten();
        fields.push(certifying.map_or(String::new(), |rate| rate.n.to_string()));
        fields.extend(
            row.conversions
                .iter()
                .map(|rate| super::csv_number(rate.as_ref().and_then(|r| r.estimate))),
        );
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}
