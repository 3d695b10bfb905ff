//! Program analytics for vendor staff: each view's numbers under the filters in the page's
//! URL, and the same rows as CSV. The definitions are `domain::insights`; this layer checks
//! the filters, reads the facts and shapes the rows.
use crate::error::AppError;
use crate::model::CompletionInsight;
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
    let paths = insights::published_paths(&state.db).await?;
    let assignments = insights::assignments(&state.db, &paths).await?;
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
        paths: paths.into_iter().map(|p| (p.id, p.title)).collect(),
        regions: insights::regions(&state.db).await?,
    })
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
    let filter = |value: Option<String>| value.unwrap_or_default();
    let filters = [
        insight.window.clone(),
        insight.segment.clone(),
        filter(checked.filters.partner_type.map(|t| t.as_str().to_string())),
        filter(checked.filters.tier.map(|t| t.as_str().to_string())),
        filter(checked.filters.region.clone()),
        filter(checked.filters.job_role.map(|r| r.as_str().to_string())),
        filter(checked.filters.path_id.map(|p| p.to_string())),
    ];
    let mut csv = line(&[
        "segment",
        "completed",
        "assigned",
        "rate",
        "lower_95",
        "upper_95",
        "window",
        "split_by",
        "partner_type",
        "tier",
        "region",
        "job_role",
        "path_id",
    ]);
    let number = |value: Option<f64>| value.map_or(String::new(), |v| format!("{v:.4}"));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![
            row.label.clone(),
            row.successes.to_string(),
            row.n.to_string(),
            number(row.estimate),
            number(row.lower),
            number(row.upper),
        ];
        fields.extend(filters.iter().cloned());
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
