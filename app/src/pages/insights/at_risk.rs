//! At-risk learners (view 11): a list to act on. Each person with every reason they are on
//! it, and for a stalled path a "Nudge" that emails them a no-login link back into it.
use super::{url_query, FilterBar};
use crate::api::insights::{
    load_at_risk, InsightQuery, NudgeLearner, AT_RISK_CSV_PATH, AT_RISK_PAGE, AT_RISK_SHOWN,
};
use crate::components::form::{form_action, form_error, FormError};
use crate::components::load::loaded;
use crate::domain::insights::at_risk::{EXPIRY_DAYS, NUDGE_EVERY_DAYS, STALLED_DAYS};
use crate::model::{AtRiskInsight, AtRiskRow};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AtRiskInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_at_risk);
    view! {
        <Title text="At-risk learners"/>
        <section class="page insights" aria-labelledby="at-risk-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <AtRiskView insight query=query()/> })}
        </section>
    }
}

#[component]
fn AtRiskView(insight: AtRiskInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{AT_RISK_CSV_PATH}?{}", query.to_query_string());
    let back = match query.to_query_string() {
        filters if filters.is_empty() => AT_RISK_PAGE.to_string(),
        filters => format!("{AT_RISK_PAGE}?{filters}"),
    };
    let nudge = ServerAction::<NudgeLearner>::new();
    let shown = insight.rows.len() as u64;
    let summary = match insight.total {
        0 => "Nobody is at risk under these filters.".to_string(),
        1 => "1 person is at risk.".to_string(),
        n if n > shown => format!("{n} people are at risk; the first {AT_RISK_SHOWN} are listed. Narrow the filters to see the rest."),
        n => format!("{n} people are at risk."),
    };
    let rows = insight
        .rows
        .into_iter()
        .map(|row| person_row(row, nudge, &back))
        .collect_view();
    view! {
        <h1 id="at-risk-title">{format!("At-risk learners, as of {}", insight.as_of)}</h1>
        <p class="lead">{summary}</p>
        <p class="hint">{format!(
            "Listed: someone who started a path assigned in the window ({}) and has done nothing on it for {STALLED_DAYS} days or more, \
             or whose certificate ends within {EXPIRY_DAYS} days without a renewal. A nudge emails them a link straight back into the path \
             (no sign-in needed), at most once every {NUDGE_EVERY_DAYS} days per path; their reply reaches Learner questions.",
            insight.window
        )}</p>
        <FilterBar action=AT_RISK_PAGE split=None window_label="Assigned in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        <h2 id="who-title">"Who, and why"</h2>
        <div class="table-wrap" role="region" aria-labelledby="who-title" tabindex="0">
            <table class="attempts cards rate-table at-risk" aria-labelledby="who-title">
                <thead><tr>
                    <th scope="col">"Learner"</th><th scope="col">"Why"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="at-risk-learners.csv">"Export CSV"</a></p>
    }
}

fn person_row(row: AtRiskRow, nudge: ServerAction<NudgeLearner>, back: &str) -> impl IntoView {
    let reasons = row
        .reasons
        .into_iter()
        .map(|reason| {
            let action = reason.path_id.map(|path_id| {
                let item = format!("nudge-{}-{path_id}", row.user_id);
                let error = form_error(nudge, &item);
                let nudged = reason.nudged.clone();
                if reason.may_nudge {
                    view! {
                        <form method="post" action={form_action::<NudgeLearner>(&item)} class="nudge"
                            data-done={format!("{} was sent a link back into the path.", row.name)}>
                            <FormError error fields=&[]/>
                            <input type="hidden" name="user_id" value=row.user_id.to_string()/>
                            <input type="hidden" name="path_id" value=path_id.to_string()/>
                            <input type="hidden" name="back" value=back.to_string()/>
                            <button type="submit" class="button">{format!("Nudge {}", row.name)}</button>
                            {nudged.map(|n| view! { <span class="hint block">{n}</span> })}
                        </form>
                    }
                    .into_any()
                } else {
                    view! { <span class="hint block">{nudged.unwrap_or_default()}</span> }.into_any()
                }
            });
            view! { <li>{reason.text}{action}</li> }
        })
        .collect_view();
    view! {
        <tr>
            <th scope="row" data-label="Learner">{row.name.clone()}<span class="hint block">{row.org}</span></th>
            <td data-label="Why"><ul class="reasons">{reasons}</ul></td>
        </tr>
    }
}
