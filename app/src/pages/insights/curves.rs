//! The time-to-event views, drawn as step curves of the share that has had the event:
//! completion cohort curves (view 3) and time to first deal (view 4).
use super::{url_query, FilterBar};
use crate::api::insights::{
    load_cohort_insight, load_first_deal_insight, with_first_deal_window, InsightQuery,
    COHORTS_CSV_PATH, FIRST_DEAL_CSV_PATH,
};
use crate::components::chart::{StepCurves, StepSeries};
use crate::components::load::loaded;
use crate::domain::insights::percent;
use crate::model::{CurveInsight, CurveRow, Estimate};
use leptos::prelude::*;
use leptos_meta::Title;

/// What differs between the two views.
struct Wording {
    action: &'static str,
    csv_path: &'static str,
    file: &'static str,
    title: &'static str,
    /// The event, as the chart says it ("completed").
    event: &'static str,
    /// Who the n counts ("people", "organisations").
    units: &'static str,
    window_label: &'static str,
    deals_only: bool,
    x_max: f64,
    lead: &'static str,
}

const COHORTS: Wording = Wording {
    action: "/insights/cohorts",
    csv_path: COHORTS_CSV_PATH,
    file: "completion-cohorts.csv",
    title: "Completion by assignment month",
    event: "completed",
    units: "people",
    window_label: "Assigned in the last",
    deals_only: false,
    x_max: 90.0,
    lead: "Each panel is the people a path was assigned to in one month: the share who completed it by each day after. \
           Whoever has not finished yet counts until today (Kaplan–Meier), so a recent month's curve is short, not low.",
};

const FIRST_DEAL: Wording = Wording {
    action: "/insights/first-deal",
    csv_path: FIRST_DEAL_CSV_PATH,
    file: "time-to-first-deal.csv",
    title: "Time to first won deal",
    event: "won a first deal",
    units: "organisations",
    window_label: "Joined in the last",
    deals_only: true,
    x_max: 365.0,
    lead: "Days from an organisation joining the program to the close of its first won deal. Organisations without a win yet \
           count until today (Kaplan–Meier), never left out. “Certified by day 60” compares only organisations still without \
           a win at day 60, so nobody is credited with time before they certified. This is an association, not proof that \
           certification causes wins.",
};

#[component]
pub fn CohortInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_cohort_insight);
    view! {
        <Title text="Completion by assignment month"/>
        <section class="page insights" aria-labelledby="curves-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <CurvesView insight query=query() wording=&COHORTS/> })}
        </section>
    }
}

#[component]
pub fn FirstDealInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_first_deal_insight);
    view! {
        <Title text="Time to first won deal"/>
        <section class="page insights" aria-labelledby="curves-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! {
                <CurvesView insight query=with_first_deal_window(query()) wording=&FIRST_DEAL/>
            })}
        </section>
    }
}

/// A share with its interval, "45% (38%–52%)"; why there is none otherwise.
fn share_text(share: &Option<Estimate>) -> String {
    match share {
        Some(Estimate {
            value,
            lower: Some(l),
            upper: Some(u),
        }) => format!("{} ({}–{})", percent(*value), percent(*l), percent(*u)),
        Some(estimate) => percent(estimate.value),
        None => "—".to_string(),
    }
}

fn median_text(row: &CurveRow) -> String {
    let days = |d: Option<f64>| d.map_or("not reached".to_string(), |d| format!("{d:.0}"));
    match row.median {
        Some(m) => format!("{:.0} days ({}–{})", m.value, days(m.lower), days(m.upper)),
        None if row.n < 10 => "too few".to_string(),
        None => "not reached".to_string(),
    }
}

fn series(row: &CurveRow, units: &str, days: &[u32]) -> StepSeries {
    let mut note = format!("n = {} {units}, {} events", row.n, row.events);
    if let Some((day, share)) = days
        .iter()
        .zip(&row.shares)
        .rev()
        .find_map(|(day, share)| share.map(|s| (day, s)))
    {
        note.push_str(&format!(" · {} by day {day}", percent(share.value)));
    }
    StepSeries {
        label: row.label.clone(),
        points: row.points.clone(),
        follow_up: row.follow_up,
        note,
    }
}

#[component]
fn CurvesView(
    insight: CurveInsight,
    query: InsightQuery,
    wording: &'static Wording,
) -> impl IntoView {
    let csv = format!("{}?{}", wording.csv_path, query.to_query_string());
    let title = format!("{}, {}", wording.title, insight.window);
    let splits = (insight.split != "month").then(|| {
        crate::domain::insights::survival::DealSplit::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.label().to_string()))
            .collect::<Vec<_>>()
    });
    let split = splits.as_ref().map(|_| insight.split.clone());
    let overall = insight.overall.clone();
    let summary = format!(
        "{} {}, {} {}; median {}.",
        overall.n,
        wording.units,
        overall.events,
        wording.event,
        median_text(&overall)
    );
    let reference = series(&overall, wording.units, &insight.days);
    let panels: Vec<StepSeries> = insight
        .rows
        .iter()
        .filter(|row| row.n > 0)
        .map(|row| series(row, wording.units, &insight.days))
        .collect();
    let days = insight.days.clone();
    let split_label = insight.split_label.clone();
    view! {
        <h1 id="curves-title">{title.clone()}</h1>
        <p class="lead">{summary}</p>
        <p>{wording.lead}</p>
        <FilterBar action=wording.action split splits=splits.unwrap_or_default() deals_only=wording.deals_only
            window_label=wording.window_label paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if overall.n == 0 {
            view! { <p class="empty">"Nobody counts under these filters in this window. Try a longer window or fewer filters."</p> }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <StepCurves id="curves" title=title.clone() series=panels reference x_max=wording.x_max event=wording.event/>
                    <p class="hint">"The solid line is the group, the dashed one everyone. A line ends where the group’s follow-up ends."</p>
                </div>
            }.into_any()
        }}
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">{split_label.clone()}</th>
                    <th scope="col">"n"</th>
                    <th scope="col">"Events"</th>
                    <th scope="col">"Median (95% interval)"</th>
                    {days.iter().map(|day| view! { <th scope="col">{format!("By day {day}")}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {insight.rows.iter().map(|row| (row, "")).chain(std::iter::once((&insight.overall, "overall"))).map(|(row, class)| {
                        view! {
                            <tr class=class>
                                <th scope="row" data-label=split_label.clone()>{row.label.clone()}</th>
                                <td data-label="n">{row.n}</td>
                                <td data-label="Events">{row.events}</td>
                                <td data-label="Median (95% interval)">{median_text(row)}</td>
                                {days.iter().zip(&row.shares).map(|(day, share)| view! {
                                    <td data-label=format!("By day {day}")>{share_text(share)}</td>
                                }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p class="hint">"“—”: fewer than 10 in the group, or nobody in it followed that long yet."</p>
        <p><a class="button" href=csv download=wording.file>"Export CSV"</a></p>
    }
}
