//! Deal-registration health (view 7): how fast and how well registrations are decided,
//! overall and by approver, region or tier, with the weekly trend of approval times.
use super::{shown_rate, url_query, FilterBar};
use crate::api::insights::{load_registration_insight, InsightQuery, REGISTRATIONS_CSV_PATH};
use crate::components::chart::TrendLine;
use crate::components::load::loaded;
use crate::domain::insights::percent;
use crate::domain::insights::registrations::RegistrationSplit;
use crate::model::{HealthRow, RateRow, RegistrationInsight};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegistrationInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_registration_insight);
    view! {
        <Title text="Deal registration health"/>
        <section class="page insights" aria-labelledby="registrations-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <RegistrationView insight query=query()/> })}
        </section>
    }
}

/// A rate with its n: "75% (n = 40)", "too few (n = 4)", or "none" with nothing to count.
fn rate_text(rate: &RateRow) -> String {
    shown_rate(rate).unwrap_or_else(|| {
        if rate.n == 0 {
            "none".to_string()
        } else {
            format!("{} of {} (too few for a rate)", rate.successes, rate.n)
        }
    })
}

/// A tile's value and the detail under it: "98%" and "96%–98%, n = 943".
fn tile(rate: &RateRow) -> (String, String) {
    match (rate.estimate, rate.lower, rate.upper) {
        (Some(p), Some(l), Some(u)) => (
            percent(p),
            format!("{}–{}, n = {}", percent(l), percent(u), rate.n),
        ),
        _ if rate.n == 0 => ("—".to_string(), "nothing to count".to_string()),
        _ => (
            format!("{} of {}", rate.successes, rate.n),
            "too few for a rate".to_string(),
        ),
    }
}

fn hours_text(hours: Option<f64>) -> String {
    match hours {
        Some(h) if h < 10.0 => format!("{h:.1} h"),
        Some(h) => format!("{h:.0} h"),
        None => "—".to_string(),
    }
}

#[component]
fn RegistrationView(insight: RegistrationInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{REGISTRATIONS_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Deal registration health, submitted {}", insight.window);
    let overall = insight.overall.clone();
    let splits: Vec<(String, String)> = RegistrationSplit::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.label().to_string()))
        .collect();
    let points: Vec<(String, Option<f64>)> = insight
        .weeks
        .iter()
        .map(|w| (w.week_of.clone(), w.median_hours))
        .collect();
    let with =
        |(value, interval): (String, String), what: &str| (value, format!("{interval} · {what}"));
    let tiles = [
        (
            "Submitted",
            (
                overall.submitted.to_string(),
                format!("{} still waiting for a decision", overall.pending),
            ),
        ),
        ("Approved", with(tile(&overall.approval_rate), "of decided")),
        (
            "Median time to approval",
            (
                hours_text(overall.median_hours_to_approval),
                "submission to approval".to_string(),
            ),
        ),
        (
            "Decided within SLA",
            with(
                tile(&overall.within_sla),
                &format!("within {} hours", insight.sla_hours),
            ),
        ),
        (
            "Conflicts",
            with(
                tile(&overall.conflict_rate),
                "not cleared by the rules alone",
            ),
        ),
        (
            "Protection lapsed",
            with(tile(&overall.expiry_rate), "ended while the deal was open"),
        ),
    ];
    view! {
        <h1 id="registrations-title">{title.clone()}</h1>
        <p class="lead">"How registrations submitted in the window were handled. Times are medians (a few slow decisions would swamp an average); registrations still waiting are counted apart."</p>
        <FilterBar action="/insights/registrations" split=Some(insight.split.clone()) splits deals_only=true
            window_label="Submitted in the last" paths=Vec::new() regions=insight.regions.clone() query/>
        <ul class="kpis" aria-label="Overall">
            {tiles.into_iter().map(|(label, (value, detail))| view! {
                <li class="card">
                    <span class="stat-label">{label}</span>
                    <span class="stat-value">{value}</span>
                    <span class="stat-detail">{detail}</span>
                </li>
            }).collect_view()}
        </ul>
        <div class="card chart-card">
            <h2>"Median hours to approval, by week submitted"</h2>
            <TrendLine id="approval-trend" title=format!("Median hours to approval by week, {}", insight.window) points unit="h"/>
            <p class="hint">"Weeks without an approval leave a gap in the line."</p>
        </div>
        <HealthTable rows=insight.rows overall=insight.overall split=insight.split_label/>
        <details class="card">
            <summary>"Weekly numbers"</summary>
            <table class="attempts rate-table">
                <thead><tr><th scope="col">"Week of"</th><th scope="col">"Approved"</th><th scope="col">"Median hours to approval"</th></tr></thead>
                <tbody>
                    {insight.weeks.into_iter().map(|w| view! {
                        <tr><th scope="row">{w.week_of}</th><td>{w.approved}</td><td>{hours_text(w.median_hours)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
        <p><a class="button" href=csv download="registration-health.csv">"Export CSV"</a></p>
    }
}

#[component]
fn HealthTable(rows: Vec<HealthRow>, overall: HealthRow, split: String) -> impl IntoView {
    let line = |row: HealthRow, class: &'static str| {
        view! {
            <tr class=class>
                <th scope="row" data-label=split.clone()>{row.label}</th>
                <td data-label="Submitted">{row.submitted}</td>
                <td data-label="Waiting">{row.pending}</td>
                <td data-label="Approved">{rate_text(&row.approval_rate)}</td>
                <td data-label="Median time to approval">{hours_text(row.median_hours_to_approval)}</td>
                <td data-label="Within SLA">{rate_text(&row.within_sla)}</td>
                <td data-label="Conflicts">{rate_text(&row.conflict_rate)}</td>
                <td data-label="Protection lapsed">{rate_text(&row.expiry_rate)}</td>
            </tr>
        }
    };
    view! {
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">{split.clone()}</th><th scope="col">"Submitted"</th><th scope="col">"Waiting"</th>
                    <th scope="col">"Approved"</th><th scope="col">"Median time to approval"</th>
                    <th scope="col">"Within SLA"</th><th scope="col">"Conflicts"</th><th scope="col">"Protection lapsed"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| line(row, "")).collect_view()}
                    {line(overall, "overall")}
                </tbody>
            </table>
        </div>
    }
}
