//! Program analytics for vendor staff: each view's numbers under the filters in the page's
//! URL, and the same rows as CSV. The definitions are `domain::insights`; this layer checks
//! the filters, reads the facts and shapes the rows.
use crate::error::AppError;
use crate::model::{
    CertificateInsight, CertifiedInsight, CompletionInsight, RegistrationInsight, Scorecard,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

mod at_risk;
mod funnel;
mod quiz_items;
mod satisfaction;
mod sourced;
mod survival;
pub use at_risk::*;
pub use funnel::*;
pub use quiz_items::*;
pub use satisfaction::*;
pub use sourced::*;
pub use survival::*;

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
    /// The organisation of a scorecard (staff choose; a partner's is its own).
    pub org: Option<String>,
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
            ("org", &self.org),
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
/// The certificate-status view's CSV (`export_certificates_csv` as a file).
pub const CERTIFICATES_CSV_PATH: &str = "/insights/certificates/export.csv";
/// The registration-health view's CSV (`export_registrations_csv` as a file).
pub const REGISTRATIONS_CSV_PATH: &str = "/insights/registrations/export.csv";
/// A scorecard's CSV (`export_scorecard_csv` as a file).
pub const SCORECARD_CSV_PATH: &str = "/scorecard/export.csv";
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

/// The checked filters: the window, the split (one of the view's own, if it has any), and
/// what narrows the facts; with the program's rules they were checked under (the window's
/// zone, the approval SLA), read once per request.
#[cfg(feature = "ssr")]
pub(crate) struct Checked {
    pub window: crate::domain::insights::Window,
    pub split: Option<&'static str>,
    pub filters: crate::domain::insights::Filters,
    pub settings: crate::domain::channel::clocks::ProgramSettings,
}

#[cfg(feature = "ssr")]
impl Checked {
    /// The completion view's split (by tier unless asked otherwise).
    fn segment(&self) -> crate::domain::insights::Segment {
        use crate::domain::insights::Segment;
        self.split.and_then(Segment::parse).unwrap_or(Segment::Tier)
    }
}

/// The splits of the completion view.
#[cfg(feature = "ssr")]
fn segments() -> Vec<&'static str> {
    crate::domain::insights::Segment::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
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

/// The program's rules as the views need them: a row that does not parse (saved by an
/// older or newer release) reads as the defaults, so a view still renders.
#[cfg(feature = "ssr")]
async fn program_settings(
    state: &crate::server::AppState,
) -> Result<crate::domain::channel::clocks::ProgramSettings, AppError> {
    use crate::server::repo::channel;
    match channel::settings(&state.db).await {
        Ok(settings) => Ok(settings),
        Err(channel::ChannelError::Database(error)) => Err(error.into()),
        Err(error) => {
            tracing::error!(%error, "program settings unreadable; the defaults are used");
            Ok(Default::default())
        }
    }
}

/// `check` with the clock's now and the program's rules.
#[cfg(feature = "ssr")]
pub(crate) async fn checked(
    state: &crate::server::AppState,
    query: &InsightQuery,
    splits: &[&'static str],
) -> Result<Checked, AppError> {
    let settings = program_settings(state).await?;
    check(query, state.clock.now_ms(), settings, splits)
}

/// Reads the filters; any value that is not one the view offers is a field error. `splits`
/// are the view's own ways to split its rows (`by`); a view without any ignores `by`.
#[cfg(feature = "ssr")]
pub(crate) fn check(
    query: &InsightQuery,
    now: i64,
    settings: crate::domain::channel::clocks::ProgramSettings,
    splits: &[&'static str],
) -> Result<Checked, AppError> {
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{self as rules, Filters};
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
    let split = if splits.is_empty() {
        None
    } else {
        choice(
            &mut problems,
            ("by", "Choose one of the splits offered."),
            &query.by,
            |by| splits.iter().find(|s| **s == by).copied(),
        )
    };
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
        window: rules::trailing_window(
            now,
            months.unwrap_or(rules::DEFAULT_WINDOW_MONTHS),
            settings.zone(),
        ),
        split,
        filters: Filters {
            partner_type,
            tier,
            region,
            job_role,
            path_id,
        },
        settings,
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
    let assignments = insights::assignments(&state.db, &published, false).await?;
    let (paths, regions) = filter_choices(state, &published).await?;
    let view = completion_by_segment(
        &assignments,
        &checked.filters,
        &checked.window,
        checked.segment(),
    );
    Ok(CompletionInsight {
        window: window_label(&checked.window),
        segment: checked.segment().as_str().to_string(),
        segment_label: checked.segment().label().to_string(),
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
    use crate::domain::insights::certified::{certified_vs_not, RESAMPLES};
    use crate::domain::insights::window_label;
    use crate::server::repo::insights;
    let (orgs, spells, deals, published) = tokio::try_join!(
        insights::orgs(&state.db),
        insights::certificate_spells(&state.db),
        insights::partner_deals(&state.db),
        insights::published_paths(&state.db),
    )?;
    let (paths, regions) = filter_choices(state, &published).await?;
    let view = certified_vs_not(
        &orgs,
        &spells,
        &deals,
        &checked.filters,
        &checked.window,
        RESAMPLES,
    );
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
    let checked = checked(&state, &query, &[]).await?;
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
    let checked = checked(&state, &query, &[]).await?;
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
    let checked = checked(&state, &query, &segments()).await?;
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
    let checked = checked(&state, &query, &segments()).await?;
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

/// The staff home page's three headline figures over the default window: training
/// completed, certified partners' win rate against the rest, and revenue won.
#[cfg(feature = "ssr")]
pub(crate) async fn headlines(
    state: &crate::server::AppState,
) -> Result<Vec<crate::model::Headline>, AppError> {
    use crate::domain::channel::deals::format_money;
    use crate::domain::insights::certified::certified_vs_not;
    use crate::domain::insights::{completion_by_segment, percent, Filters, Segment};
    use crate::model::Headline;
    use crate::server::repo::insights;
    let checked = checked(state, &InsightQuery::default(), &[]).await?;
    let window = &checked.window;
    let months = window.months;
    let published = insights::published_paths(&state.db).await?;
    let (assignments, orgs, spells, deals) = tokio::try_join!(
        insights::assignments(&state.db, &published, false),
        insights::orgs(&state.db),
        insights::certificate_spells(&state.db),
        insights::partner_deals(&state.db),
    )?;
    let completion =
        completion_by_segment(&assignments, &Filters::default(), window, Segment::Tier).overall;
    // No intervals needed for a headline: no bootstrap.
    let pooled = certified_vs_not(&orgs, &spells, &deals, &Filters::default(), window, 0).pooled;
    let rate =
        |r: &crate::domain::stats::Rate| r.shown.map_or("too few".to_string(), |(p, _)| percent(p));
    let won = |arm: &crate::domain::insights::certified::Arm| arm.revenue_cents;
    let won_deals = pooled.certified.win_rate.successes + pooled.uncertified.win_rate.successes;
    Ok(vec![
        Headline {
            label: "Training completed".into(),
            value: completion.shown.map_or("Too few".to_string(), |(p, _)| percent(p)),
            detail: format!(
                "{} of {} people assigned training in the last {months} months",
                completion.successes, completion.n
            ),
            href: "/insights/completion".into(),
        },
        Headline {
            label: "Win rate, certified vs not".into(),
            value: format!(
                "{} vs {}",
                rate(&pooled.certified.win_rate),
                rate(&pooled.uncertified.win_rate)
            ),
            detail: format!(
                "{} and {} deals closed in the last {months} months, all tiers pooled: compare within tiers",
                pooled.certified.win_rate.n, pooled.uncertified.win_rate.n
            ),
            href: "/insights/certified".into(),
        },
        Headline {
            label: "Revenue won through partners".into(),
            value: format_money(won(&pooled.certified) + won(&pooled.uncertified)),
            detail: format!("{won_deals} registered deals won in the last {months} months"),
            href: "/scorecard".into(),
        },
    ])
}

/// The splits of the registration-health view.
#[cfg(feature = "ssr")]
fn registration_splits() -> Vec<&'static str> {
    crate::domain::insights::registrations::RegistrationSplit::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}

#[cfg(feature = "ssr")]
fn health_row(
    label: String,
    health: &crate::domain::insights::registrations::Health,
) -> crate::model::HealthRow {
    crate::model::HealthRow {
        label,
        submitted: health.submitted,
        pending: health.pending,
        approval_rate: rate_row(String::new(), &health.approval_rate),
        median_hours_to_approval: health.median_hours_to_approval,
        within_sla: rate_row(String::new(), &health.within_sla),
        conflict_rate: rate_row(String::new(), &health.conflict_rate),
        expiry_rate: rate_row(String::new(), &health.expiry_rate),
    }
}

/// The registration-health view under checked filters.
#[cfg(feature = "ssr")]
async fn registration_health(
    state: &crate::server::AppState,
    checked: &Checked,
) -> Result<RegistrationInsight, AppError> {
    use crate::domain::insights::registrations::{registration_health, RegistrationSplit};
    use crate::domain::insights::window_label;
    use crate::server::repo::insights;
    let split = checked
        .split
        .and_then(RegistrationSplit::parse)
        .unwrap_or(RegistrationSplit::Approver);
    let sla_hours = checked.settings.approval_sla_hours;
    let orgs = insights::orgs(&state.db).await?;
    let registrations = insights::registrations(&state.db).await?;
    let view = registration_health(
        &registrations,
        &orgs,
        &checked.filters,
        &checked.window,
        split,
        sla_hours,
    );
    let week_of = |ms: i64| checked.window.zone.day_label(ms);
    Ok(RegistrationInsight {
        window: window_label(&checked.window),
        split: split.as_str().to_string(),
        split_label: split.label().to_string(),
        sla_hours,
        overall: health_row("All".to_string(), &view.overall),
        rows: view
            .rows
            .iter()
            .map(|(label, health)| health_row(label.clone(), health))
            .collect(),
        weeks: view
            .weeks
            .iter()
            .map(|week| crate::model::WeekRow {
                week_of: week_of(week.start_ms),
                approved: week.approved,
                median_hours: week.median_hours,
            })
            .collect(),
        regions: insights::regions(&state.db).await?,
    })
}

/// Deal-registration health (view 7): approval rate, time to approval, SLA, conflicts and
/// expiries, split by approver, region or tier (vendor staff).
#[server]
pub async fn load_registration_insight(
    #[server(default)] query: InsightQuery,
) -> Result<RegistrationInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &registration_splits()).await?;
    registration_health(&state, &checked).await
}

/// The registration-health rows as CSV (vendor staff): one line per table row, the overall
/// row last, each repeating the window, split and filters.
#[server]
pub async fn export_registrations_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &registration_splits()).await?;
    let insight = registration_health(&state, &checked).await?;
    let mut header = vec![
        "group",
        "submitted",
        "pending",
        "approved",
        "decided",
        "approval_rate",
        "median_hours_to_approval",
        "within_sla",
        "within_sla_rate",
        "conflicts",
        "conflict_rate",
        "expired",
        "expiry_rate",
        "window",
        "split_by",
    ];
    header.extend(FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone(), insight.split.clone()];
    context.extend(filter_fields(&checked.filters));
    for row in insight.rows.iter().chain(std::iter::once(&insight.overall)) {
        let mut fields = vec![
            row.label.clone(),
            row.submitted.to_string(),
            row.pending.to_string(),
            row.approval_rate.successes.to_string(),
            row.approval_rate.n.to_string(),
            csv_number(row.approval_rate.estimate),
            csv_number(row.median_hours_to_approval),
            row.within_sla.successes.to_string(),
            csv_number(row.within_sla.estimate),
            row.conflict_rate.successes.to_string(),
            csv_number(row.conflict_rate.estimate),
            row.expiry_rate.successes.to_string(),
            csv_number(row.expiry_rate.estimate),
        ];
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}

/// The certificate status and expiry view under checked filters.
#[cfg(feature = "ssr")]
async fn certificate_status(
    state: &crate::server::AppState,
    checked: &Checked,
) -> Result<CertificateInsight, AppError> {
    use crate::domain::insights::certificates::{certificate_pipeline, Pipeline};
    use crate::domain::insights::window_label;
    use crate::model::CertificateStatusRow;
    use crate::server::repo::insights;
    let orgs = insights::orgs(&state.db).await?;
    let certificates = insights::certificates(&state.db).await?;
    let view = certificate_pipeline(
        &certificates,
        &orgs,
        &checked.filters,
        &checked.window,
        state.clock.now_ms(),
    );
    let row = |org_id: i64, org_name: String, p: &Pipeline| CertificateStatusRow {
        org_id,
        org_name,
        active: p.active,
        expiring_30: p.expiring_30,
        expiring_60: p.expiring_60,
        expiring_90: p.expiring_90,
        expired: p.expired,
        revoked: p.revoked,
        recertification: rate_row(String::new(), &p.recertification()),
    };
    let published = insights::published_paths(&state.db).await?;
    let (paths, regions) = filter_choices(state, &published).await?;
    Ok(CertificateInsight {
        window: window_label(&checked.window),
        rows: view
            .rows
            .iter()
            .map(|(org, p)| row(org.id, org.name.clone(), p))
            .collect(),
        total: row(0, "All organisations".to_string(), &view.total),
        paths,
        regions,
    })
}

/// Certification status and expiry pipeline (view 10), per organisation (vendor staff).
#[server]
pub async fn load_certificate_insight(
    #[server(default)] query: InsightQuery,
) -> Result<CertificateInsight, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &[]).await?;
    certificate_status(&state, &checked).await
}

/// The certificate-status rows as CSV (vendor staff): one line per organisation, the
/// totals last, each repeating the window and filters.
#[server]
pub async fn export_certificates_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &[]).await?;
    let insight = certificate_status(&state, &checked).await?;
    let mut header = vec![
        "organisation",
        "active",
        "expiring_within_30_days",
        "expiring_in_30_to_60_days",
        "expiring_in_60_to_90_days",
        "expired",
        "revoked",
        "came_due",
        "renewed_in_time",
        "recertification_rate",
        "window",
    ];
    header.extend(FILTER_COLUMNS);
    let mut csv = line(&header);
    let mut context = vec![insight.window.clone()];
    context.extend(filter_fields(&checked.filters));
    for row in insight.rows.iter().chain(std::iter::once(&insight.total)) {
        let mut fields = vec![
            row.org_name.clone(),
            row.active.to_string(),
            row.expiring_30.to_string(),
            row.expiring_60.to_string(),
            row.expiring_90.to_string(),
            row.expired.to_string(),
            row.revoked.to_string(),
            row.recertification.n.to_string(),
            row.recertification.successes.to_string(),
            csv_number(row.recertification.estimate),
        ];
        fields.extend(context.iter().cloned());
        csv.push_str(&line(&fields));
    }
    Ok(csv)
}

/// Whose scorecard: a partner's own organisation (asking for another is forbidden), or
/// the one staff chose (by default the first by name).
#[cfg(feature = "ssr")]
fn scorecard_org(
    actor: &crate::server::guard::Actor,
    query: &InsightQuery,
    orgs: &[crate::domain::insights::certified::Org],
) -> Result<i64, AppError> {
    use crate::domain::validation::FieldError;
    let asked = query
        .org
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let asked_id = match asked {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| orgs.iter().any(|o| o.id == *id))
                .ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        "org",
                        "Choose an organisation from the list.",
                    )])
                })?,
        ),
    };
    if actor.user.role.is_vendor_staff() {
        return asked_id
            .or_else(|| orgs.first().map(|o| o.id))
            .ok_or(AppError::NotFound);
    }
    let own = actor.user.partner_org_id.ok_or(AppError::Forbidden)?;
    match asked_id {
        Some(id) if id != own => Err(AppError::Forbidden),
        _ => Ok(actor.org_scope(own)?.org_id()),
    }
}

/// The scorecard the actor may see under the query.
#[cfg(feature = "ssr")]
async fn scorecard(
    state: &crate::server::AppState,
    actor: &crate::server::guard::Actor,
    query: &InsightQuery,
    checked: &Checked,
) -> Result<Scorecard, AppError> {
    use crate::domain::insights::scorecard::{scorecard, Facts, Unit};
    use crate::domain::insights::window_label;
    use crate::server::repo::insights;
    let mut orgs = insights::orgs(&state.db).await?;
    orgs.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let org_id = scorecard_org(actor, query, &orgs)?;
    let staff = actor.user.role.is_vendor_staff();
    let published = insights::published_paths(&state.db).await?;
    let (people, assignments, holdings, deals, ratings) = tokio::try_join!(
        insights::people_per_org(&state.db),
        insights::assignments(&state.db, &published, false),
        insights::holdings(&state.db),
        insights::partner_deals(&state.db),
        insights::ratings(&state.db),
    )?;
    let facts = Facts {
        people,
        assignments: assignments.to_vec(),
        holdings,
        deals: deals.to_vec(),
        ratings,
        orgs,
    };
    let figures = scorecard(&facts, org_id, &checked.window, !staff).ok_or(AppError::NotFound)?;
    let org = facts
        .orgs
        .iter()
        .find(|o| o.id == org_id)
        .ok_or(AppError::NotFound)?;
    Ok(Scorecard {
        org_id,
        org_name: org.name.clone(),
        tier: org.tier.label().to_string(),
        window: window_label(&checked.window),
        figures: figures
            .into_iter()
            .map(|figure| crate::model::ScorecardFigure {
                metric: figure.metric.as_str().to_string(),
                label: figure.metric.label().to_string(),
                unit: match figure.metric.unit() {
                    Unit::Share => "share",
                    Unit::Days => "days",
                    Unit::Cents => "cents",
                }
                .to_string(),
                value: figure.value,
                basis: figure.basis,
                tier_median: figure.tier_median,
                tier_orgs: figure.tier_orgs as u64,
                lower_is_better: figure.metric.lower_is_better(),
            })
            .collect(),
        orgs: if staff {
            facts.orgs.iter().map(|o| (o.id, o.name.clone())).collect()
        } else {
            Vec::new()
        },
    })
}

/// One organisation's scorecard (view 12): a partner's own, or any for staff, each figure
/// beside its tier's median.
#[server]
pub async fn load_scorecard(#[server(default)] query: InsightQuery) -> Result<Scorecard, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &[]).await?;
    scorecard(&state, &actor, &query, &checked).await
}

/// A scorecard as CSV: one line per figure, with the organisation, tier and window.
#[server]
pub async fn export_scorecard_csv(
    #[server(default)] query: InsightQuery,
) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::csv::line;
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let checked = checked(&state, &query, &[]).await?;
    let card = scorecard(&state, &actor, &query, &checked).await?;
    let mut csv = line(&[
        "metric",
        "unit",
        "value",
        "basis",
        "tier_median",
        "tier_orgs",
        "organisation",
        "tier",
        "window",
    ]);
    for figure in &card.figures {
        csv.push_str(&line(&[
            figure.metric.clone(),
            figure.unit.clone(),
            csv_number(figure.value),
            figure.basis.clone(),
            csv_number(figure.tier_median),
            figure.tier_orgs.to_string(),
            card.org_name.clone(),
            card.tier.clone(),
            card.window.clone(),
        ]));
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
