//! The partner scorecard (view 12): one organisation's figures beside its tier's median. A
//! partner sees its own organisation's; staff choose any.
use super::{url_query, Choice};
use crate::api::insights::{load_scorecard, InsightQuery, SCORECARD_CSV_PATH};
use crate::components::chart::{nice_ceiling, Bar, CompareBars};
use crate::components::load::loaded;
use crate::domain::channel::deals::format_money;
use crate::domain::insights::scorecard::MIN_PEERS;
use crate::domain::insights::{percent, DEFAULT_WINDOW_MONTHS, WINDOW_MONTHS};
use crate::model::{Scorecard, ScorecardFigure};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ScorecardPage() -> impl IntoView {
    let query = url_query();
    let card = Resource::new(query, load_scorecard);
    view! {
        <Title text="Scorecard"/>
        <section class="page insights" aria-labelledby="scorecard-title">
            {loaded(card, move |card| view! { <ScorecardView card query=query()/> })}
        </section>
    }
}

/// A figure's value in its unit.
fn shown(unit: &str, value: f64) -> String {
    match unit {
        "share" => percent(value),
        "days" => format!("{value:.0} days"),
        _ => format_money(((value / 100.0).round() * 100.0) as i64),
    }
}

/// The tier median in words, or why there is none.
fn median_text(figure: &ScorecardFigure, tier: &str) -> String {
    match figure.tier_median {
        Some(median) => format!(
            "{} ({} organisations)",
            shown(&figure.unit, median),
            figure.tier_orgs
        ),
        None if figure.tier_orgs <= MIN_PEERS as u64 => format!(
            "not shown: too few {tier} organisations to compare ({})",
            figure.tier_orgs
        ),
        None => "no figure in the tier".to_string(),
    }
}

#[component]
fn ScorecardView(card: Scorecard, query: InsightQuery) -> impl IntoView {
    let mut link_query = query.clone();
    link_query.org = Some(card.org_id.to_string());
    let csv = format!("{SCORECARD_CSV_PATH}?{}", link_query.to_query_string());
    let title = format!("{} scorecard, {}", card.org_name, card.window);
    let months = query
        .months
        .clone()
        .unwrap_or_else(|| DEFAULT_WINDOW_MONTHS.to_string());
    let windows: Vec<(String, String)> = WINDOW_MONTHS
        .iter()
        .map(|m| (m.to_string(), format!("{m} months")))
        .collect();
    let orgs: Vec<(String, String)> = card
        .orgs
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    let staff = !orgs.is_empty();
    let tier = card.tier.clone();
    let org_name = card.org_name.clone();
    let multiples = card
        .figures
        .iter()
        .map(|figure| {
            let value_text = figure
                .value
                .map_or("—".to_string(), |v| shown(&figure.unit, v));
            let median = median_text(figure, &tier);
            let bars = vec![
                Bar {
                    name: org_name.clone(),
                    value: figure.value,
                    text: format!("{value_text} ({})", figure.basis),
                },
                Bar {
                    name: format!("{tier} median"),
                    value: figure.tier_median,
                    text: median.clone(),
                },
            ];
            let max = if figure.unit == "share" {
                1.0
            } else {
                nice_ceiling(figure.value.unwrap_or(0.0).max(figure.tier_median.unwrap_or(0.0)))
            };
            let direction = if figure.lower_is_better { "lower is better" } else { "higher is better" };
            view! {
                <li class="card chart-card figure">
                    <h2>{figure.label.clone()}</h2>
                    <p class="figure-value">{value_text}<span class="stat-detail">{format!(" {}", figure.basis)}</span></p>
                    <CompareBars id=format!("figure-{}", figure.metric) title=format!("{}: {} vs {tier} median", figure.label, org_name) bars max/>
                    <p class="hint"><span class="swatch solid" aria-hidden="true"></span>{org_name.clone()}
                        " · " <span class="swatch hatched" aria-hidden="true"></span>{format!("{tier} median: {median}")}
                        {format!(" ({direction})")}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        {staff.then(|| view! { <p><a href="/insights">"All insights"</a></p> })}
        <h1 id="scorecard-title">{title}</h1>
        <p class="lead">{format!(
            "Each figure beside the median of {} organisations. Training completed counts people assigned a path at least 30 days before the window ended; revenue and win rate count deals closed in the window.",
            card.tier
        )}</p>
        <form method="get" action="/scorecard" class="filters card" role="search" aria-label="Filter the view">
            {staff.then(|| view! { <Choice name="org" label="Organisation" current=card.org_id.to_string() options=orgs.clone()/> })}
            <Choice name="months" label="Window" current=months options=windows/>
            <div class="field actions">
                <button type="submit" class="button primary">"Apply"</button>
            </div>
        </form>
        <ul class="scorecard-grid">{multiples}</ul>
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">"Figure"</th><th scope="col">{card.org_name.clone()}</th>
                    <th scope="col">"Counts"</th><th scope="col">{format!("{} median", card.tier)}</th>
                </tr></thead>
                <tbody>
                    {card.figures.iter().map(|figure| view! {
                        <tr>
                            <th scope="row" data-label="Figure">{figure.label.clone()}</th>
                            <td data-label=card.org_name.clone()>{figure.value.map_or("—".to_string(), |v| shown(&figure.unit, v))}</td>
                            <td data-label="Counts">{figure.basis.clone()}</td>
                            <td data-label="Tier median">{median_text(figure, &card.tier)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="scorecard.csv">"Export CSV"</a></p>
    }
}
