//! Partner-sourced pipeline and revenue (view 6): by month and stage, with a leaderboard.
use super::InsightQuery;
use crate::error::AppError;
use crate::model::SourcedInsight;
use leptos::prelude::*;

/// The sourced-pipeline view's CSV (`export_sourced_csv` as a file).
pub const SOURCED_CSV_PATH: &str = "/insights/sourced/export.csv";

#[cfg(feature = "ssr")]
fn leader_row(leader: &crate::domain::insights::sourced::Leader) -> crate::model::LeaderRow {
    crate::model::LeaderRow {
        org_id: leader.org_id,
        name: leader.name.clone(),
        deals_created: leader.deals_created,
        pipeline_cents: leader.pipeline_cents,
        won_cents: leader.won_cents,
        win_rate: super::rate_row(leader.name.clone(), &leader.win_rate),
        median_cycle_days: leader.median_cycle_days,
    }
}

#[cfg(feature = "ssr")]
async fn sourced(
    state: &crate::server::AppState,
    checked: &super::Checked,
) -> Result<SourcedInsight, AppError> {
    use crate::domain::channel::deals::Stage;
    use crate::domain::insights::{sourced::sourced, window_label};
    use crate::server::repo::insights;
    let (orgs, deals, published) = tokio::try_join!(
        insights::orgs(&state.db),
        insights::partner_deals(&state.db),
        insights::published_paths(&state.db),
    )?;
    let (paths, regions) = super::filter_choices(state, &published).await?;
    let view = sourced(&orgs, &deals, &checked.filters, &checked.window);
    Ok(SourcedInsight {
        window: window_label(&checked.window),
        stages: Stage::ALL.iter().map(|s| s.label().to_string()).collect(),
        months: view
            .months
            .iter()
            .map(|m| crate::model::MonthRow {
                label: m.label.clone(),
                pipeline_by_stage: m.pipeline_by_stage.clone(),
                won_cents: m.won_cents,
            })
            .collect(),
        total: leader_row(&view.total),
        leaders: view.leaders.iter().map(leader_row).collect(),
        paths,
        regions,
    })
}

/// Partner-sourced pipeline and revenue (view 6) under the query's filters (vendor staff).
#[server]
pub async fn load_sourced_insight(
    #[server(default)] query: InsightQuery,
) -> Result<SourcedInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    sourced(&state, &checked).await
}

/// The leaderboard as CSV (vendor staff): a line per partner and every partner last.
#[server]
pub async fn export_sourced_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::{decimal_amount, line};
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = super::checked(&state, &query, &[]).await?;
    let insight = sourced(&state, &checked).await?;
    let mut header = vec![
        "partner",
        "deals_created",
        "pipeline_created",
        "won_revenue",
        "won",
        "closed",
        "win_rate",
        "win_lower_95",
        "win_upper_95",
        "median_cycle_days",
        "window",
    ];
    header.extend(super::FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone()];
    context.extend(super::filter_fields(&checked.filters));
    for row in insight
        .leaders
        .iter()
        .chain(std::iter::once(&insight.total))
    {
        let mut fields = vec![
            row.name.clone(),
            row.deals_created.to_string(),
            decimal_amount(row.pipeline_cents),
            decimal_amount(row.won_cents),
            row.win_rate.successes.to_string(),
            row.win_rate.n.to_string(),
            super::csv_number(row.win_rate.estimate),
            super::csv_number(row.win_rate.lower),
            super::csv_number(row.win_rate.upper),
            row.median_cycle_days
                .map_or(String::new(), |d| format!("{d:.1}")),
        ];
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}
