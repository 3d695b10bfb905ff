//! Program analytics for vendor staff. Each view: a filter bar that is a plain GET form (the
//! filters live in the URL, so a view can be bookmarked and shared), the window in the title,
//! a server-drawn chart, the same numbers in a table with n, and a CSV of the table.
use crate::api::insights::{load_completion_insight, InsightQuery, COMPLETION_CSV_PATH};
use crate::components::chart::DotWhiskerChart;
use crate::components::load::loaded;
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::insights::{
    percent, Segment, DEFAULT_WINDOW_MONTHS, TIME_TO_COMPLETE_DAYS, WINDOW_MONTHS,
};
use crate::model::{CompletionInsight, RateRow};
use leptos::prelude::*;
use leptos_meta::Title;

mod at_risk;
mod certificates;
mod certified;
mod curves;
mod funnel;
mod quiz;
mod registrations;
mod satisfaction;
mod scorecard;
mod sourced;
pub use at_risk::AtRiskInsightPage;
pub use certificates::CertificateInsightPage;
pub use certified::CertifiedInsightPage;
pub use curves::{CohortInsightPage, FirstDealInsightPage};
pub use funnel::FunnelInsightPage;
pub use quiz::QuizInsightPage;
pub use registrations::RegistrationInsightPage;
pub use satisfaction::SatisfactionInsightPage;
pub use scorecard::ScorecardPage;
pub use sourced::SourcedInsightPage;

/// A rate with its 95% interval and n, as the views write it: "41% (33%–49%, n = 142)";
/// `None` when there are too few to show a rate (each view says so in its own words).
fn shown_rate(rate: &RateRow) -> Option<String> {
    let (p, l, u) = (rate.estimate?, rate.lower?, rate.upper?);
    Some(format!(
        "{} ({}–{}, n = {})",
        percent(p),
        percent(l),
        percent(u),
        rate.n
    ))
}

/// The views built so far, for the index.
const VIEWS: &[(&str, &str, &str)] = &[
    (
        "/insights/funnel",
        "Learning funnel",
        "From assigned to started, lessons finished, passed and certified, by path or segment.",
    ),
    (
        "/insights/completion",
        "Completion rate by segment",
        "Who finishes the training assigned to them, by partner type, tier, region or job role, with 95% intervals.",
    ),
    (
        "/insights/cohorts",
        "Completion by assignment month",
        "How quickly each month's assignments get completed, day by day, without mistaking a recent month for a slow one.",
    ),
    (
        "/insights/first-deal",
        "Time to first won deal",
        "Days from joining to the first won deal, by type, tier, region, quarter joined, or certified by day 60.",
    ),
    (
        "/insights/certified",
        "Certified vs not: pipeline, win rate, revenue",
        "Whether deals of certified partners win more, compared within the same tier and tenure, with intervals.",
    ),
    (
        "/insights/sourced",
        "Partner-sourced pipeline and revenue",
        "Pipeline registered each month by stage, revenue won, and the partners' leaderboard.",
    ),
    (
        "/insights/registrations",
        "Deal registration health",
        "Approval rate, time to approval, SLA, conflicts and lapses, by approver, region or tier.",
    ),
    (
        "/insights/satisfaction",
        "Module satisfaction",
        "Response rate beside the score, the share of 4s and 5s with intervals, the spread of ratings and the latest comments.",
    ),
    (
        "/insights/quiz",
        "Quiz questions and tags",
        "Which tags learners master, and which questions are too easy, too hard or do not separate stronger learners.",
    ),
    (
        "/insights/certificates",
        "Certification status and expiries",
        "Valid certificates by time to expiry per organisation, expiries, revocations and the recertification rate.",
    ),
    (
        "/insights/at-risk",
        "At-risk learners",
        "Who stalled on a path or has a certificate ending, why, and a nudge that emails them a link straight back in.",
    ),
    (
        "/scorecard",
        "Partner scorecard",
        "One organisation's training, certification, pipeline and satisfaction beside its tier's median.",
    ),
];

#[component]
pub fn InsightsPage() -> impl IntoView {
    view! {
        <Title text="Insights"/>
        <section class="page" aria-labelledby="insights-title">
            <h1 id="insights-title">"Insights"</h1>
            <p class="lead">"Every rate shows how many people it counts and a 95% interval; groups under 10 people say so instead of showing a rate."</p>
            <ul class="card-list">
                {VIEWS.iter().map(|(href, title, summary)| view! {
                    <li class="card">
                        <h2><a href=*href>{*title}</a></h2>
                        <p>{*summary}</p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The view's filters as the page's URL has them.
pub(super) fn url_query() -> impl Fn() -> InsightQuery + Copy + Send + Sync + 'static {
    use leptos_router::hooks::use_query_map;
    let query_map = use_query_map();
    move || {
        let q = query_map.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        InsightQuery {
            months: get("months"),
            by: get("by"),
            partner_type: get("partner_type"),
            tier: get("tier"),
            region: get("region"),
            role: get("role"),
            path: get("path"),
            org: get("org"),
        }
    }
}

#[component]
pub fn CompletionInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_completion_insight);
    view! {
        <Title text="Completion rate by segment"/>
        <section class="page insights" aria-labelledby="completion-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <CompletionView insight query=query()/> })}
        </section>
    }
}

#[component]
fn CompletionView(insight: CompletionInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{COMPLETION_CSV_PATH}?{}", query.to_query_string());
    let title = format!(
        "Completion rate by {}, assigned {}",
        insight.segment_label.to_lowercase(),
        insight.window
    );
    let overall = insight.overall.clone();
    let summary = match overall.estimate {
        Some(p) => format!(
            "{} of {} people completed what was assigned to them: {}.",
            overall.successes,
            overall.n,
            percent(p)
        ),
        None => format!(
            "{} people were assigned training in this window: too few for a rate.",
            overall.n
        ),
    };
    view! {
        <h1 id="completion-title">{title.clone()}</h1>
        <p class="lead">{summary} " Counted: people assigned a path in the window at least "
            {TIME_TO_COMPLETE_DAYS} " days before it ended, so everyone had time to finish."</p>
        <FilterBar action="/insights/completion" split=Some(insight.segment.clone())
            window_label="Assigned in the last" paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if insight.rows.is_empty() {
            view! {
                <p class="empty">"Nobody counts under these filters yet: people count once a path was assigned to them at least "
                    {TIME_TO_COMPLETE_DAYS} " days before the window ended. Try a longer window or fewer filters."</p>
            }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <DotWhiskerChart id="completion-chart" title=title.clone() rows=insight.rows.clone() reference=overall/>
                    <p class="hint">"Dots are rates, bars their 95% intervals (Wilson); the dashed line is everyone. Rows are ranked by the interval's lower end."</p>
                </div>
            }.into_any()
        }}
        <RateTable rows=insight.rows overall=insight.overall segment=insight.segment_label/>
        <p><a class="button" href=csv download="completion-by-segment.csv">"Export CSV"</a></p>
    }
}

/// The filter bar: a plain GET form back to the view (`action`), so the filters live in the
/// URL. `split`, when the view has one, is the current "split by".
#[component]
pub(super) fn FilterBar(
    action: &'static str,
    split: Option<String>,
    /// The view's splits as (value, label), when it has any (the completion view's by default).
    #[prop(optional)]
    splits: Option<Vec<(String, String)>>,
    /// Leaves out the job-role and path filters, for views about deals alone.
    #[prop(optional)]
    deals_only: bool,
    window_label: &'static str,
    paths: Vec<(i64, String)>,
    regions: Vec<String>,
    query: InsightQuery,
) -> impl IntoView {
    let months = query
        .months
        .clone()
        .unwrap_or_else(|| DEFAULT_WINDOW_MONTHS.to_string());
    let by = split.map(|split| query.by.clone().unwrap_or(split));
    let given = |value: &Option<String>| value.clone().unwrap_or_default();
    let listed = |all: &[(&str, &str)]| -> Vec<(String, String)> {
        all.iter()
            .map(|(v, l)| (v.to_string(), l.to_string()))
            .collect()
    };
    let segments: Vec<(&str, &str)> = Segment::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    let windows: Vec<(String, String)> = WINDOW_MONTHS
        .iter()
        .map(|m| (m.to_string(), format!("{m} months")))
        .collect();
    let types: Vec<(&str, &str)> = PartnerType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect();
    let tiers: Vec<(&str, &str)> = Tier::ALL.iter().map(|t| (t.as_str(), t.label())).collect();
    let roles: Vec<(&str, &str)> = JobRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect();
    let regions: Vec<(String, String)> = regions.iter().map(|r| (r.clone(), r.clone())).collect();
    let paths: Vec<(String, String)> = paths
        .iter()
        .map(|(id, title)| (id.to_string(), title.clone()))
        .collect();
    view! {
        <form method="get" action=action class="filters card" role="search" aria-label="Filter the view">
            {by.map(|by| view! { <Choice name="by" label="Split by" current=by options=splits.clone().unwrap_or_else(|| listed(&segments))/> })}
            <Choice name="months" label=window_label current=months options=windows/>
            <Choice name="partner_type" label="Partner type" any="Any type" current=given(&query.partner_type) options=listed(&types)/>
            <Choice name="tier" label="Tier" any="Any tier" current=given(&query.tier) options=listed(&tiers)/>
            <Choice name="region" label="Region" any="Any region" current=given(&query.region) options=regions/>
            {(!deals_only).then(|| view! {
                <Choice name="role" label="Job role" any="Any role" current=given(&query.role) options=listed(&roles)/>
                <Choice name="path" label="Learning path" any="Every path" current=given(&query.path) options=paths.clone()/>
            })}
            <div class="field actions">
                <button type="submit" class="button primary">"Apply"</button>
                <a href=action>"Clear"</a>
            </div>
        </form>
    }
}

/// One filter of the bar: a labelled select of `(value, label)` options with `current`
/// selected, and, with `any`, a first option that leaves the filter off.
#[component]
pub(super) fn Choice(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] any: Option<&'static str>,
    current: String,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let id = format!("f-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                {any.map(|any| view! { <option value="">{any}</option> })}
                {options.into_iter().map(|(value, text)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// The chart's numbers as a table: every row with its counts, and the overall row last.
#[component]
fn RateTable(
    rows: Vec<RateRow>,
    overall: RateRow,
    segment: String,
    /// The names of the successes and n columns (completion's unless given).
    #[prop(optional)]
    counted: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let (done, n) = counted.unwrap_or(("Completed", "Assigned (n)"));
    let line = |row: RateRow, class: &'static str| {
        let (rate, interval) = match (row.estimate, row.lower, row.upper) {
            (Some(p), Some(l), Some(u)) => (percent(p), format!("{}–{}", percent(l), percent(u))),
            _ => ("Too few".to_string(), "—".to_string()),
        };
        view! {
            <tr class=class>
                <th scope="row" data-label=segment.clone()>{row.label}</th>
                <td data-label=done>{row.successes}</td>
                <td data-label=n>{row.n}</td>
                <td data-label="Rate">{rate}</td>
                <td data-label="95% interval">{interval}</td>
            </tr>
        }
    };
    view! {
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">{segment.clone()}</th><th scope="col">{done}</th><th scope="col">{n}</th>
                    <th scope="col">"Rate"</th><th scope="col">"95% interval"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| line(row, "")).collect_view()}
                    {line(overall, "overall")}
                </tbody>
            </table>
        </div>
    }
}
