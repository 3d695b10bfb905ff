//! The time-to-event views: completion cohort curves (view 3) and time to first deal
//! (view 4), as Kaplan–Meier curves with their shares by fixed days and medians.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::CurveInsight;
use leptos::prelude::*;

/// The cohort curves' CSV (`export_cohort_csv` as a file).
pub const COHORTS_CSV_PATH: &str = "/insights/cohorts/export.csv";
/// The first-deal curves' CSV (`export_first_deal_csv` as a file).
pub const FIRST_DEAL_CSV_PATH: &str = "/insights/first-deal/export.csv";
/// The first-deal view looks back further by default: organisations join a few a month.
pub const FIRST_DEAL_DEFAULT_MONTHS: u32 = 24;

#[cfg(feature = "ssr")]
fn curve_row(
    curve: &crate::domain::insights::survival::Curve,
    days: &[u32],
) -> crate::model::CurveRow {
    let (median, (lower, upper)) = curve.median();
    crate::model::CurveRow {
        label: curve.label.clone(),
        n: curve.n,
        events: curve.events,
        follow_up: curve.follow_up,
        points: curve.points(),
        shares: days
            .iter()
            .map(|day| super::estimate(curve.share_by(f64::from(*day))))
            .collect(),
        median: median.map(|value| crate::model::Estimate {
            value,
            lower,
            upper,
        }),
    }
}

#[cfg(feature = "ssr")]
fn curve_insight(
    checked: &super::Checked,
    (split, split_label): (&str, &str),
    days: &[u32],
    (overall, rows): (
        crate::domain::insights::survival::Curve,
        Vec<crate::domain::insights::survival::Curve>,
    ),
    (paths, regions): (Vec<(i64, String)>, Vec<String>),
) -> CurveInsight {
    CurveInsight {
        window: crate::domain::insights::window_label(&checked.window),
        split: split.to_string(),
        split_label: split_label.to_string(),
        days: days.to_vec(),
        overall: curve_row(&overall, days),
        rows: rows.iter().map(|c| curve_row(c, days)).collect(),
        paths,
        regions,
    }
}

/// Completion cohort curves under checked filters.
#[cfg(feature = "ssr")]
async fn cohorts(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<CurveInsight, AppError> {
    use crate::domain::insights::survival::{completion_cohorts, COHORT_DAYS};
    use crate::server::repo::insights;
    let published = insights::published_paths(&state.db).await?;
    let assignments = insights::assignments(&state.db, &published, false).await?;
    let choices = super::filter_choices(state, &published).await?;
    let curves = completion_cohorts(
        &assignments,
        &checked.filters,
        &checked.window,
        state.clock.now_ms(),
    );
    Ok(curve_insight(
        checked,
        ("month", "Month assigned"),
        &COHORT_DAYS,
        curves,
        choices,
    ))
}

/// Time to first deal under checked filters.
#[cfg(feature = "ssr")]
async fn first_deal(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<CurveInsight, AppError> {
    use crate::domain::insights::survival::{time_to_first_deal, DealSplit, DEAL_DAYS};
    use crate::server::repo::insights;
    let (orgs, deals, spells, published) = tokio::try_join!(
        insights::orgs(&state.db),
        insights::partner_deals(&state.db),
        insights::certificate_spells(&state.db),
        insights::published_paths(&state.db),
    )?;
    let choices = super::filter_choices(state, &published).await?;
    let split = checked
        .split
        .and_then(DealSplit::parse)
        .unwrap_or(DealSplit::Landmark);
    let curves = time_to_first_deal(
        &orgs,
        &deals,
        &spells,
        &checked.filters,
        &checked.window,
        state.clock.now_ms(),
        split,
    );
    Ok(curve_insight(
        checked,
        (split.as_str(), split.label()),
        &DEAL_DAYS,
        curves,
        choices,
    ))
}

/// The first-deal view's splits.
#[cfg(feature = "ssr")]
fn deal_splits() -> Vec<&'static str> {
    crate::domain::insights::survival::DealSplit::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}

/// The query with the first-deal view's own default window.
pub fn with_first_deal_window(mut query: InsightQuery) -> InsightQuery {
    if query.months.as_deref().is_none_or(|m| m.trim().is_empty()) {
        query.months = Some(FIRST_DEAL_DEFAULT_MONTHS.to_string());
    }
    query
}

/// Completion cohort curves (view 3) under the query's filters (vendor staff).
#[server]
pub async fn load_cohort_insight(
    #[server(default)] query: InsightQuery,
) -> Result<CurveInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    cohorts(&state, &checked).await
}

/// Time to first deal (view 4) under the query's filters (vendor staff).
#[server]
pub async fn load_first_deal_insight(
    #[server(default)] query: InsightQuery,
) -> Result<CurveInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let query = with_first_deal_window(query);
    let checked = super::checked(&state, &query, &deal_splits()).await?;
    first_deal(&state, &checked).await
}

/// A curve view as CSV: a line per group and everyone last, with n, events, follow-up,
/// the median and the share by each day, repeating the window and the filters.
#[cfg(feature = "ssr")]
fn curves_csv(insight: &CurveInsight, filters: &crate::domain::insights::Filters) -> String {
    use crate::domain::channel::csv::line;
    let mut header: Vec<String> = [
        "group",
        "n",
        "events",
        "follow_up_days",
        "median_days",
        "median_lower_95",
        "median_upper_95",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    for day in &insight.days {
        header.extend([
            format!("share_by_day_{day}"),
            format!("lower_95_day_{day}"),
            format!("upper_95_day_{day}"),
        ]);
    }
    header.extend(["window", "split_by"].map(String::from));
    header.extend(super::FILTER_COLUMNS.map(String::from));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone(), insight.split.clone()];
    context.extend(super::filter_fields(filters));
    let number = |value: Option<f64>| value.map_or(String::new(), |v| format!("{v:.0}"));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![
            row.label.clone(),
            row.n.to_string(),
            row.events.to_string(),
            format!("{:.0}", row.follow_up),
            number(row.median.map(|m| m.value)),
            number(row.median.and_then(|m| m.lower)),
            number(row.median.and_then(|m| m.upper)),
        ];
        for share in &row.shares {
            fields.extend([
                super::csv_number(share.map(|s| s.value)),
                super::csv_number(share.and_then(|s| s.lower)),
                super::csv_number(share.and_then(|s| s.upper)),
            ]);
        }
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    csv
}

/// The cohort curves as CSV (vendor staff).
#[server]
pub async fn export_cohort_csv(#[server(default)] query: InsightQuery) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    let insight = cohorts(&state, &checked).await?;
    Ok(curves_csv(&insight, &checked.filters))
}

/// The first-deal curves as CSV (vendor staff).
#[server]
pub async fn export_first_deal_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let query = with_first_deal_window(query);
    let checked = super::checked(&state, &query, &deal_splits()).await?;
    let insight = first_deal(&state, &checked).await?;
    Ok(curves_csv(&insight, &checked.filters))
}
