//! Program analytics for vendor staff: each view's numbers under the filters in the page's
//! URL, and the same rows as CSV. The definitions are `domain::insights`; this layer checks
//! the filters, reads the facts and shapes the rows.
use crate::error::AppError;
use crate::model::{CertifiedInsight, CompletionInsight};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The filters every view takes, as text from the query string (`?months=12&by=tier&…`);
/// anything missing takes its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InsightQuery {
    pub months: Option<String>,
    /// What the rows are split by (`domain::insights::Segment`).
    pub by: Option<String>,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub role: Option<String>,
    pub path: Option<String>,
}

impl InsightQuery {
    /// The query string that reproduces these filters (empty ones left out), for links.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("months", &self.months),
            ("by", &self.by),
            ("partner_type", &self.partner_type),
            ("tier", &self.tier),
            ("region", &self.region),
            ("role", &self.role),
            ("path", &self.path),
        ];
        pairs
            .iter()
            .filter_map(|(name, value)| {
                let value = value.as_deref()?.trim();
                (!value.is_empty()).then(|| {
                    format!(
                        "{name}={}",
                        crate::components::load::encode_query_value(value)
                    )
                })
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The completion view's CSV, as a plain link (`export_completion_csv` as a file).
pub const COMPLETION_CSV_PATH: &str = "/insights/completion/export.csv";
/// The certified-vs-not view's CSV (`export_certified_csv` as a file).
pub const CERTIFIED_CSV_PATH: &str = "/insights/certified/export.csv";

/// The columns every export ends with after its window: the filters it was computed under.
#[cfg(feature = "ssr")]
const FILTER_COLUMNS: [&str; 5] = ["partner_type", "tier", "region", "job_role", "path_id"];

/// The values of `FILTER_COLUMNS` (empty where a filter is off).
#[cfg(feature = "ssr")]
fn filter_fields(filters: &crate::domain::insights::Filters) -> Vec<String> {
    let filter = |value: Option<String>| value.unwrap_or_default();
    vec![
        filter(filters.partner_type.map(|t| t.as_str().to_string())),
        filter(filters.tier.map(|t| t.as_str().to_string())),
        filter(filters.region.clone()),
        filter(filters.job_role.map(|r| r.as_str().to_string())),
        filter(filters.path_id.map(|p| p.to_string())),
    ]
}

/// A number for a CSV cell: four decimals, empty when there is none.
#[cfg(feature = "ssr")]
fn csv_number(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| format!("{v:.4}"))
}

/// The filter bar's choices: the published paths and the regions partners are in.
#[cfg(feature = "ssr")]
async fn filter_choices(
    state: &crate::server::AppState,
    published: &[crate::server::repo::insights::PublishedPath],
) -> Result<(Vec<(i64, String)>, Vec<String>), AppError> {
    use crate::server::repo::insights;
    Ok((
        published.iter().map(|p| (p.id, p.title.clone())).collect(),
        insights::regions(&state.db).await?,
    ))
}

/// The checked filters: the window, the split, and what narrows the facts.
#[cfg(feature = "ssr")]
pub(crate) struct Checked {
    pub window: crate::domain::insights::Window,
    pub segment: crate::domain::insights::Segment,
    pub filters: crate::domain::insights::Filters,
}

/// One filter: absent (or blank) is `None`; present, it must be one the view offers (and
/// no longer than a region name may be), else a field error is noted.
#[cfg(feature = "ssr")]
fn choice<T>(
    problems: &mut Vec<crate::domain::validation::FieldError>,
    (field, message): (&str, &str),
    value: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = (value.chars().count() <= crate::domain::insights::MAX_REGION_CHARS)
        .then(|| parse(value))
        .flatten();
    if parsed.is_none() {
        problems.push(crate::domain::validation::FieldError::new(field, message));
    }
    parsed
}

/// Reads the filters; any value that is not one the view offers is a field error.
#[cfg(feature = "ssr")]
pub(crate) fn check(query: &InsightQuery, now: i64) -> Result<Checked, AppError> {
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{self as rules, Filters, Segment};
    let mut problems = Vec::new();
    let months = choice(
        &mut problems,
        ("months", "Choose one of the windows offered."),
        &query.months,
        |m| {
            m.parse::<u32>()
                .ok()
                .filter(|m| rules::WINDOW_MONTHS.contains(m))
        },
    );
    let segment = choice(
        &mut problems,
        ("by", "Choose one of the splits offered."),
        &query.by,
        Segment::parse,
    );
    let partner_type = choice(
        &mut problems,
        ("partner_type", "Choose a partner type from the list."),
        &query.partner_type,
        PartnerType::parse,
    );
    let tier = choice(
        &mut problems,
        ("tier", "Choose a tier from the list."),
        &query.tier,
        Tier::parse,
    );
    let region = choice(
        &mut problems,
        ("region", "Region names are at most 100 characters."),
        &query.region,
        |r| Some(r.to_string()),
    );
    let job_role = choice(
        &mut problems,
        ("role", "Choose a job role from the list."),
        &query.role,
        JobRole::parse,
    );
    let path_id = choice(
        &mut problems,
        ("path", "Choose a learning path from the list."),
        &query.path,
        |p| p.parse::<i64>().ok().filter(|id| *id > 0),
    );
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(Checked {
        window: rules::trailing_window(now, months.unwrap_or(rules::DEFAULT_WINDOW_MONTHS)),
        segment: segment.unwrap_or(Segment::Tier),
        filters: Filters {
            partner_type,
            tier,
            region,
            job_role,
            path_id,
        },
    })
}

#[cfg(feature = "ssr")]
fn rate_row(label: String, rate: &crate::domain::stats::Rate) -> crate::model::RateRow {
    crate::model::RateRow {
        label,
        successes: rate.successes,
        n: rate.n,
        estimate: rate.shown.map(|(p, _)| p),
        lower: rate.shown.map(|(_, ci)| ci.lower),
        upper: rate.shown.map(|(_, ci)| ci.upper),
    }
}

/// The completion view under checked filters: the facts read once, the rows computed.
#[cfg(feature = "ssr")]
async fn completion(
    state: &crate::server::AppState,
    checked: &Checked,
) -> Result<CompletionInsight, AppError> {
    use crate::domain::insights::{completion_by_segment, window_label};
    use crate::server::repo::insights;
    let published = insights::published_paths(&state.db).await?;
    let assignments = insights::assignments(&state.db, &published).await?;
    let (paths, regions) = filter_choices(state, &published).await?;
    let view = completion_by_segment(
        &assignments,
        &checked.filters,
        &checked.window,
        checked.segment,
    );
    Ok(CompletionInsight {
        window: window_label(&checked.window),
        segment: checked.segment.as_str().to_string(),
        segment_label: checked.segment.label().to_string(),
        overall: rate_row("All".to_string(), &view.overall),
        rows: view
            .rows
            .iter()
            .map(|row| rate_row(row.segment.clone(), &row.rate))
            .collect(),
        paths,
        regions,
    })
}

#[cfg(feature = "ssr")]
fn estimate(
    value: Option<(f64, Option<crate::domain::stats::Interval>)>,
) -> Option<crate::model::Estimate> {
    value.map(|(value, interval)| crate::model::Estimate {
        value,
        lower: interval.map(|i| i.lower),
        upper: interval.map(|i| i.upper),
    })
}

#[cfg(feature = "ssr")]
fn arm_row(arm: &crate::domain::insights::certified::Arm) -> crate::model::ArmRow {
    crate::model::ArmRow {
        orgs: arm.orgs,
        org_quarters: arm.org_quarters,
        deals_created: arm.deals_created,
        pipeline_cents: arm.pipeline_cents,
        pipeline_per_quarter: estimate(arm.pipeline_per_quarter),
        win_rate: rate_row(String::new(), &arm.win_rate),
        revenue_cents: arm.revenue_cents,
        revenue_per_quarter: estimate(arm.revenue_per_quarter),
    }
}

#[cfg(feature = "ssr")]
fn comparison_row(
    comparison: &crate::domain::insights::certified::Comparison,
) -> crate::model::ComparisonRow {
    crate::model::ComparisonRow {
        label: comparison.label(),
        certified: arm_row(&comparison.certified),
        uncertified: arm_row(&comparison.uncertified),
        win_difference: estimate(comparison.win_difference.map(|(d, i)| (d, Some(i)))),
    }
}

/// The certified-vs-not view under checked filters.
#[cfg(feature = "ssr")]
async fn certified(
    state: &crate::server::AppState,
    checked: &Checked,
) -> Result<CertifiedInsight, AppError> {
    use crate::domain::insights::{certified::certified_vs_not, window_label};
    use crate::server::repo::insights;
    let orgs = insights::orgs(&state.db).await?;
    let spells = insights::certificate_spells(&state.db).await?;
    let deals = insights::partner_deals(&state.db).await?;
    let published = insights::published_paths(&state.db).await?;
    let (paths, regions) = filter_choices(state, &published).await?;
    let view = certified_vs_not(&orgs, &spells, &deals, &checked.filters, &checked.window);
    Ok(CertifiedInsight {
        window: window_label(&checked.window),
        pooled: comparison_row(&view.pooled),
        strata: view.strata.iter().map(comparison_row).collect(),
        paths,
        regions,
    })
}

/// Certified vs not (view 5): pipeline, win rate and revenue of certified and uncertified
/// partners, pooled and within tier × tenure strata (vendor staff).
#[server]
pub async fn load_certified_insight(
    #[server(default)] query: InsightQuery,
) -> Result<CertifiedInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = check(&query, state.clock.now_ms())?;
    certified(&state, &checked).await
}

/// The certified-vs-not rows as CSV (vendor staff): two lines per stratum (certified, then
/// not), pooled first, each repeating the window and the filters.
#[server]
pub async fn export_certified_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::{decimal_amount, line, line_with_numbers};
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = check(&query, state.clock.now_ms())?;
    let insight = certified(&state, &checked).await?;
    let mut header = vec![
        "stratum",
        "certified",
        "orgs",
        "org_quarters",
        "deals_created",
        "pipeline",
        "pipeline_per_org_quarter",
        "pipeline_lower_95",
        "pipeline_upper_95",
        "won",
        "closed",
        "win_rate",
        "win_lower_95",
        "win_upper_95",
        "won_revenue",
        "revenue_per_org_quarter",
        "revenue_lower_95",
        "revenue_upper_95",
        "win_rate_difference",
        "difference_lower_95",
        "difference_upper_95",
        "window",
    ];
    header.extend(FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone()];
    context.extend(filter_fields(&checked.filters));
    // Per-quarter amounts are cents in the DTO; the file has currency units like the pipeline's.
    let money = |value: Option<f64>| csv_number(value.map(|cents| cents / 100.0));
    let per_quarter = |e: &Option<crate::model::Estimate>| {
        [
            money(e.map(|e| e.value)),
            money(e.and_then(|e| e.lower)),
            money(e.and_then(|e| e.upper)),
        ]
    };
    for row in std::iter::once(&insight.pooled).chain(&insight.strata) {
        let difference = [
            csv_number(row.win_difference.map(|d| d.value)),
            csv_number(row.win_difference.and_then(|d| d.lower)),
            csv_number(row.win_difference.and_then(|d| d.upper)),
        ];
        for (certified, arm) in [("yes", &row.certified), ("no", &row.uncertified)] {
            let mut fields = vec![
                row.label.clone(),
                certified.to_string(),
                arm.orgs.to_string(),
                format!("{:.2}", arm.org_quarters),
                arm.deals_created.to_string(),
                decimal_amount(arm.pipeline_cents),
            ];
            fields.extend(per_quarter(&arm.pipeline_per_quarter));
            fields.extend([
                arm.win_rate.successes.to_string(),
                arm.win_rate.n.to_string(),
                csv_number(arm.win_rate.estimate),
                csv_number(arm.win_rate.lower),
                csv_number(arm.win_rate.upper),
                decimal_amount(arm.revenue_cents),
            ]);
            fields.extend(per_quarter(&arm.revenue_per_quarter));
            fields.extend(difference.iter().cloned());
            fields.extend(context.iter().cloned());
            // The difference may be negative: a number we wrote, not text to defuse.
            csv.push_str(&line_with_numbers(&fields, &[18, 19, 20]));
        }
    }
    Ok(csv)
}

/// Completion rate by segment (view 2), under the query's filters (vendor staff).
#[server]
pub async fn load_completion_insight(
    #[server(default)] query: InsightQuery,
) -> Result<CompletionInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = check(&query, state.clock.now_ms())?;
    completion(&state, &checked).await
}

/// The completion view's rows as CSV (vendor staff): one line per table row, the overall
/// row last, each repeating the window and the filters it was computed under.
#[server]
pub async fn export_completion_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = check(&query, state.clock.now_ms())?;
    let insight = completion(&state, &checked).await?;
    let mut header = vec![
        "segment",
        "completed",
        "assigned",
        "rate",
        "lower_95",
        "upper_95",
        "window",
        "split_by",
    ];
    header.extend(FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone(), insight.segment.clone()];
    context.extend(filter_fields(&checked.filters));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![
            row.label.clone(),
            row.successes.to_string(),
            row.n.to_string(),
            csv_number(row.estimate),
            csv_number(row.lower),
            csv_number(row.upper),
        ];
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_round_trips_through_its_query_string() {
        let query = InsightQuery {
            months: Some("6".into()),
            by: Some("region".into()),
            region: Some("North America & Co".into()),
            tier: Some(" ".into()),
            ..InsightQuery::default()
        };
        assert_eq!(
            query.to_query_string(),
            "months=6&by=region&region=North%20America%20%26%20Co"
        );
        assert_eq!(InsightQuery::default().to_query_string(), "");
    }
}
