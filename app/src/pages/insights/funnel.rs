//! The learning funnel (view 1): assigned → started → finished the lessons → passed →
//! certified, for everyone and by path or segment.
use super::{url_query, FilterBar};
use crate::api::insights::{load_funnel_insight, InsightQuery, FUNNEL_CSV_PATH};
use crate::components::chart::{FunnelChart, FunnelStage};
use crate::components::load::loaded;
use crate::domain::insights::funnel::STAGES;
use crate::domain::insights::{percent, Segment};
use crate::model::{FunnelInsight, FunnelRow};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FunnelInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_funnel_insight);
    view! {
        <Title text="Learning funnel"/>
        <section class="page insights" aria-labelledby="funnel-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <FunnelView insight query=query()/> })}
        </section>
    }
}

/// A stage's cell: its count and its share of the stage before ("too few" under n = 10);
/// a dash where the stage does not apply.
fn stage_cell(row: &FunnelRow, stage: usize) -> String {
    let count = row.reached.get(stage).copied().unwrap_or(0);
    if stage == 0 {
        return count.to_string();
    }
    match row.conversions.get(stage - 1).cloned().flatten() {
        None => "—".to_string(),
        Some(rate) => match rate.estimate {
            Some(share) => format!("{count} ({})", percent(share)),
            None => format!("{count} (too few for a %)"),
        },
    }
}

fn chart_stages(row: &FunnelRow) -> Vec<FunnelStage> {
    STAGES
        .iter()
        .enumerate()
        .filter(|(k, _)| *k == 0 || row.conversions.get(k - 1).is_some_and(Option::is_some))
        .map(|(k, name)| FunnelStage {
            name: name.to_string(),
            count: row.reached.get(k).copied().unwrap_or(0),
            from_before: (k > 0)
                .then(|| row.conversions.get(k - 1).cloned().flatten())
                .flatten()
                .and_then(|rate| rate.estimate),
        })
        .collect()
}

#[component]
fn FunnelView(insight: FunnelInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{FUNNEL_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Learning funnel, assigned {}", insight.window);
    let overall = insight.overall.clone();
    let assigned = overall.reached[0];
    let passed = overall.reached[3];
    let summary = if assigned == 0 {
        "Nothing was assigned under these filters in this window.".to_string()
    } else {
        format!(
            "{assigned} path assignments; {} started, {} passed ({}).",
            overall.reached[1],
            passed,
            percent(passed as f64 / assigned as f64)
        )
    };
    let mut splits = vec![("path".to_string(), "Learning path".to_string())];
    splits.extend(
        Segment::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.label().to_string())),
    );
    let split_label = insight.split_label.clone();
    view! {
        <h1 id="funnel-title">{title.clone()}</h1>
        <p class="lead">{summary} " Counted: each person and path assigned in the window, and how far they have gone since. "
            "“Started” needs a step done or a quiz attempted; “Passed” is the path complete, its quizzes passed; "
            "“Certified” counts only paths a certification requires."</p>
        <FilterBar action="/insights/funnel" split=Some(insight.split.clone()) splits
            window_label="Assigned in the last" paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if assigned == 0 {
            view! { <p class="empty">"Try a longer window or fewer filters."</p> }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <FunnelChart id="funnel-chart".to_string() title=title.clone() stages=chart_stages(&overall)/>
                    <p class="hint">"Each bar is the people who reached that stage; the percentage is of the stage before (shown from 10 people)."</p>
                </div>
            }.into_any()
        }}
        <h2 id="numbers-title">{format!("By {}", split_label.to_lowercase())}</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">{split_label.clone()}</th>
                    {STAGES.iter().map(|stage| view! { <th scope="col">{*stage}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {insight.rows.iter().map(|row| (row, "")).chain(std::iter::once((&insight.overall, "overall"))).map(|(row, class)| {
                        view! {
                            <tr class=class>
                                <th scope="row" data-label=split_label.clone()>{row.label.clone()}</th>
                                {STAGES.iter().enumerate().map(|(k, stage)| view! {
                                    <td data-label=*stage>{stage_cell(row, k)}</td>
                                }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="learning-funnel.csv">"Export CSV"</a></p>
    }
}
