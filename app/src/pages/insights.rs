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

/// The views built so far, for the index.
const VIEWS: &[(&str, &str, &str)] = &[(
    "/insights/completion",
    "Completion rate by segment",
    "Who finishes the training assigned to them, by partner type, tier, region or job role, with 95% intervals.",
)];

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

#[component]
pub fn CompletionInsightPage() -> impl IntoView {
    use leptos_router::hooks::use_query_map;
    let query_map = use_query_map();
    let query = move || {
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
        }
    };
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
        <FilterBar insight=insight.clone() query/>
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

#[component]
fn FilterBar(insight: CompletionInsight, query: InsightQuery) -> impl IntoView {
    let is = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let months = query
        .months
        .clone()
        .unwrap_or_else(|| DEFAULT_WINDOW_MONTHS.to_string());
    let by = query.by.clone().unwrap_or_else(|| insight.segment.clone());
    view! {
        <form method="get" action="/insights/completion" class="filters card" role="search" aria-label="Filter the view">
            <div class="field">
                <label for="f-by">"Split by"</label>
                <select id="f-by" name="by">
                    {Segment::ALL.iter().map(|s| view! { <option value=s.as_str() selected=by == s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-months">"Assigned in the last"</label>
                <select id="f-months" name="months">
                    {WINDOW_MONTHS.iter().map(|m| view! { <option value=m.to_string() selected=months == m.to_string()>{format!("{m} months")}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-type">"Partner type"</label>
                <select id="f-type" name="partner_type">
                    <option value="">"Any type"</option>
                    {PartnerType::ALL.iter().map(|t| view! { <option value=t.as_str() selected=is(&query.partner_type, t.as_str())>{t.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-tier">"Tier"</label>
                <select id="f-tier" name="tier">
                    <option value="">"Any tier"</option>
                    {Tier::ALL.iter().map(|t| view! { <option value=t.as_str() selected=is(&query.tier, t.as_str())>{t.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-region">"Region"</label>
                <select id="f-region" name="region">
                    <option value="">"Any region"</option>
                    {insight.regions.iter().map(|r| view! { <option value=r.clone() selected=is(&query.region, r)>{r.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-role">"Job role"</label>
                <select id="f-role" name="role">
                    <option value="">"Any role"</option>
                    {JobRole::ALL.iter().map(|r| view! { <option value=r.as_str() selected=is(&query.role, r.as_str())>{r.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-path">"Learning path"</label>
                <select id="f-path" name="path">
                    <option value="">"Every path"</option>
                    {insight.paths.iter().map(|(id, title)| view! { <option value=id.to_string() selected=is(&query.path, &id.to_string())>{title.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field actions">
                <button type="submit" class="button primary">"Apply"</button>
                <a href="/insights/completion">"Clear"</a>
            </div>
        </form>
    }
}

/// The chart's numbers as a table: every row with its counts, and the overall row last.
#[component]
fn RateTable(rows: Vec<RateRow>, overall: RateRow, segment: String) -> impl IntoView {
    let line = |row: RateRow, class: &'static str| {
        let (rate, interval) = match (row.estimate, row.lower, row.upper) {
            (Some(p), Some(l), Some(u)) => (percent(p), format!("{}–{}", percent(l), percent(u))),
            _ => ("Too few".to_string(), "—".to_string()),
        };
        view! {
            <tr class=class>
                <th scope="row" data-label=segment.clone()>{row.label}</th>
                <td data-label="Completed">{row.successes}</td>
                <td data-label="Assigned (n)">{row.n}</td>
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
                    <th scope="col">{segment.clone()}</th><th scope="col">"Completed"</th><th scope="col">"Assigned (n)"</th>
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
