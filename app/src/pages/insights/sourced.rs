//! Partner-sourced pipeline and revenue (view 6): pipeline created each month by today's
//! stage, revenue won each month, and the partners' leaderboard.
use super::{shown_rate, url_query, FilterBar};
use crate::api::insights::{load_sourced_insight, InsightQuery, SOURCED_CSV_PATH};
use crate::components::chart::StackedBars;
use crate::components::load::loaded;
use crate::domain::channel::deals::format_money;
use crate::model::{LeaderRow, SourcedInsight};
use leptos::prelude::*;
use leptos_meta::Title;

/// The stacked parts: each stage's pipeline, in whole dollars (the order of `Stage::ALL`).
const PARTS: &[&str] = &[
    "$ in Qualify",
    "$ in Discover",
    "$ in Propose",
    "$ in Negotiate",
    "$ won",
    "$ lost",
];

#[component]
pub fn SourcedInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_sourced_insight);
    view! {
        <Title text="Partner-sourced pipeline and revenue"/>
        <section class="page insights" aria-labelledby="sourced-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <SourcedView insight query=query()/> })}
        </section>
    }
}

fn win_text(row: &LeaderRow) -> String {
    shown_rate(&row.win_rate).unwrap_or_else(|| {
        format!(
            "{} of {} (too few for a rate)",
            row.win_rate.successes, row.win_rate.n
        )
    })
}

#[component]
fn SourcedView(insight: SourcedInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{SOURCED_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Partner-sourced pipeline and revenue, {}", insight.window);
    let total = insight.total.clone();
    let bars: Vec<(String, Vec<u64>)> = insight
        .months
        .iter()
        .map(|m| {
            let created: i64 = m.pipeline_by_stage.iter().sum();
            (
                format!(
                    "{} · created {} · won {}",
                    m.label,
                    format_money(created),
                    format_money(m.won_cents)
                ),
                m.pipeline_by_stage
                    .iter()
                    .map(|c| (c.max(&0) / 100) as u64)
                    .collect(),
            )
        })
        .collect();
    let anything = total.deals_created > 0 || total.win_rate.n > 0;
    view! {
        <h1 id="sourced-title">{title.clone()}</h1>
        <p class="lead">{format!(
            "{} registered {} in pipeline ({} deals) and won {}; win rate {}; median sales cycle {}.",
            if insight.leaders.len() == 1 { "1 partner".to_string() } else { format!("{} partners", insight.leaders.len()) },
            format_money(total.pipeline_cents),
            total.deals_created,
            format_money(total.won_cents),
            win_text(&total),
            total.median_cycle_days.map_or("—".to_string(), |d| format!("{d:.0} days")),
        )}</p>
        <p class="hint">"Sourced: registered through the portal by the partner and not turned down. Pipeline counts when a deal is created, revenue when it is won; open amounts are the partner’s estimates."</p>
        <FilterBar action="/insights/sourced" split=None deals_only=true window_label="Deals in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if anything {
            view! {
                <div class="card chart-card">
                    <h2>"Pipeline created each month, by today’s stage"</h2>
                    <StackedBars id="sourced-chart" title=title.clone() parts=PARTS rows=bars class_prefix="stage" plain_labels=true/>
                    <p class="hint">"Each bar is the pipeline created that month, split by where those deals stand today; its line gives the month’s total and the revenue won in it."</p>
                </div>
            }.into_any()
        } else {
            view! { <p class="empty">"No partner-sourced deals under these filters in this window."</p> }.into_any()
        }}
        <h2 id="numbers-title">"Leaderboard"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">"Partner"</th><th scope="col">"Revenue won"</th><th scope="col">"Pipeline created"</th>
                    <th scope="col">"Deals created"</th><th scope="col">"Win rate"</th><th scope="col">"Median cycle"</th>
                </tr></thead>
                <tbody>
                    {insight.leaders.iter().map(|row| (row, "")).chain(std::iter::once((&insight.total, "overall"))).map(|(row, class)| view! {
                        <tr class=class>
                            <th scope="row" data-label="Partner">{row.name.clone()}</th>
                            <td data-label="Revenue won">{format_money(row.won_cents)}</td>
                            <td data-label="Pipeline created">{format_money(row.pipeline_cents)}</td>
                            <td data-label="Deals created">{row.deals_created}</td>
                            <td data-label="Win rate">{win_text(row)}</td>
                            <td data-label="Median cycle">{row.median_cycle_days.map_or("—".to_string(), |d| format!("{d:.0} days"))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="sourced-pipeline.csv">"Export CSV"</a></p>
    }
}
