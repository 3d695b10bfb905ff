//! Module satisfaction (view 8): per learning path, the response rate beside the score, the
//! share of 4s and 5s with its interval, the spread of 1–5 and the latest comments.
use super::{shown_rate, url_query, FilterBar};
use crate::api::insights::{load_satisfaction_insight, InsightQuery, SATISFACTION_CSV_PATH};
use crate::components::chart::StackedBars;
use crate::components::load::loaded;
use crate::model::{ModuleRow, SatisfactionInsight};
use leptos::prelude::*;
use leptos_meta::Title;

const RATINGS: &[&str] = &["rated 1", "rated 2", "rated 3", "rated 4", "rated 5"];

#[component]
pub fn SatisfactionInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_satisfaction_insight);
    view! {
        <Title text="Module satisfaction"/>
        <section class="page insights" aria-labelledby="satisfaction-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <SatisfactionView insight query=query()/> })}
        </section>
    }
}

fn top_two_text(row: &ModuleRow) -> String {
    shown_rate(&row.top_two).unwrap_or_else(|| format!("too few ratings (n = {})", row.top_two.n))
}

fn response_text(row: &ModuleRow) -> String {
    shown_rate(&row.response).unwrap_or_else(|| {
        format!(
            "{} of {} (too few for a rate)",
            row.response.successes, row.response.n
        )
    })
}

#[component]
fn SatisfactionView(insight: SatisfactionInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{SATISFACTION_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Module satisfaction, rated {}", insight.window);
    let overall = insight.overall.clone();
    let bars: Vec<(String, Vec<u64>)> = insight
        .rows
        .iter()
        .filter(|row| row.top_two.n > 0)
        .map(|row| {
            (
                format!("{} · 4–5: {}", row.title, top_two_text(row)),
                row.distribution.clone(),
            )
        })
        .collect();
    view! {
        <h1 id="satisfaction-title">{title.clone()}</h1>
        <p class="lead">{format!(
            "{} ratings; {} rated 4 or 5. Response rate (people who completed a module in the window and rated it): {}.",
            overall.top_two.n,
            shown_rate(&overall.top_two).unwrap_or_else(|| "too few for a share".to_string()),
            response_text(&overall),
        )}</p>
        <p class="hint">"A low response rate means the score speaks for few: read the two together. A score needs 10 ratings; modules are ranked by the lower end of the interval."</p>
        <FilterBar action="/insights/satisfaction" split=None window_label="Rated in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if bars.is_empty() {
            view! { <p class="empty">"No ratings under these filters in this window."</p> }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <h2>"Ratings from 1 to 5, per module"</h2>
                    <StackedBars id="ratings-chart" title=title.clone() parts=RATINGS rows=bars normalised=true class_prefix="rating" plain_labels=true/>
                    <p class="hint">"Each bar is one module’s ratings as shares, 1 (left, red) to 5 (right, blue); its line states every count."</p>
                </div>
            }.into_any()
        }}
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">"Module"</th><th scope="col">"Response rate"</th><th scope="col">"Rated 4 or 5"</th>
                    <th scope="col">"Mean"</th><th scope="col">"1 / 2 / 3 / 4 / 5"</th>
                </tr></thead>
                <tbody>
                    {insight.rows.iter().map(|row| (row, "")).chain(std::iter::once((&insight.overall, "overall"))).map(|(row, class)| view! {
                        <tr class=class>
                            <th scope="row" data-label="Module">{row.title.clone()}</th>
                            <td data-label="Response rate">{response_text(row)}</td>
                            <td data-label="Rated 4 or 5">{top_two_text(row)}</td>
                            <td data-label="Mean">{row.mean.map_or("—".to_string(), |m| format!("{m:.1}"))}</td>
                            <td data-label="1 / 2 / 3 / 4 / 5">{row.distribution.iter().map(u64::to_string).collect::<Vec<_>>().join(" / ")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h2>"Latest comments"</h2>
        {let commented: Vec<ModuleRow> = insight.rows.iter().filter(|r| !r.comments.is_empty()).cloned().collect();
        if commented.is_empty() {
            view! { <p class="empty">"No comments in this window."</p> }.into_any()
        } else {
            view! {
                <ul class="card-list">
                    {commented.into_iter().map(|row| view! {
                        <li class="card">
                            <h3>{row.title}</h3>
                            <ul class="comments">
                                {row.comments.into_iter().map(|c| view! {
                                    <li><q>{c.text}</q>" — "{c.role}", "{c.day}</li>
                                }).collect_view()}
                            </ul>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <p><a class="button" href=csv download="module-satisfaction.csv">"Export CSV"</a></p>
    }
}
