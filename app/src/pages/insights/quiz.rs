//! Quiz item and tag analysis (view 9): which tags learners master (with intervals), and
//! which questions deserve a look, by the item statistics authors already see per quiz.
use super::{url_query, FilterBar, RateTable};
use crate::api::insights::{load_quiz_insight, InsightQuery, QUESTIONS_SHOWN, QUIZ_CSV_PATH};
use crate::components::chart::DotWhiskerChart;
use crate::components::load::loaded;
use crate::domain::insights::percent;
use crate::model::QuizInsight;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QuizInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_quiz_insight);
    view! {
        <Title text="Quiz questions and tags"/>
        <section class="page insights" aria-labelledby="quiz-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <QuizView insight query=query()/> })}
        </section>
    }
}

#[component]
fn QuizView(insight: QuizInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{QUIZ_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Quiz questions and tags, answered {}", insight.window);
    let shown = insight.questions.len();
    let lead = if shown == 0 {
        "No quiz was submitted under these filters in this window.".to_string()
    } else {
        format!(
            "{} questions answered; {} flagged for a look.{}",
            shown,
            insight.flagged,
            if shown >= QUESTIONS_SHOWN {
                " The flagged and hardest are listed first; narrow the filters for the rest."
            } else {
                ""
            }
        )
    };
    view! {
        <h1 id="quiz-title">{title.clone()}</h1>
        <p class="lead">{lead}</p>
        <p class="hint">{insight.rules.clone()}</p>
        <FilterBar action="/insights/quiz" split=None window_label="Answered in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {(!insight.tags.is_empty()).then(|| view! {
            <div class="card chart-card">
                <h2>"Learners who mastered each tag"</h2>
                <DotWhiskerChart id="tags-chart" title=format!("Learners who mastered each tag, {}", insight.window)
                    rows=insight.tags.clone() reference=insight.all_tags.clone()/>
                <p class="hint">"Dots are shares of learners, bars their 95% intervals; the dashed line is every tag pooled."</p>
            </div>
            <RateTable rows=insight.tags.clone() overall=insight.all_tags.clone() segment="Tag".to_string()
                counted=("Mastered", "Learners (n)")/>
        })}
        <h2 id="questions-title">"Questions"</h2>
        <div class="table-wrap" role="region" aria-labelledby="questions-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="questions-title">
                <thead><tr>
                    <th scope="col">"Question"</th><th scope="col">"Path"</th><th scope="col">"Answers"</th>
                    <th scope="col">"Facility"</th><th scope="col">"Discrimination"</th><th scope="col">"Look at it because"</th>
                </tr></thead>
                <tbody>
                    {insight.questions.into_iter().map(|q| view! {
                        <tr>
                            <th scope="row" data-label="Question">{q.prompt}</th>
                            <td data-label="Path">{q.path_title}</td>
                            <td data-label="Answers">{q.answers}</td>
                            <td data-label="Facility">{percent(q.facility)}</td>
                            <td data-label="Discrimination">{q.discrimination.map_or("—".to_string(), |d| format!("{d:.2}"))}</td>
                            <td data-label="Look at it because">{if q.flags.is_empty() { "—".to_string() } else { q.flags.join("; ") }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="quiz-questions-and-tags.csv">"Export CSV"</a></p>
    }
}
