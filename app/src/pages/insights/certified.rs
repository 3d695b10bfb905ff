//! Certified vs not (view 5): win rate and revenue of partners with and without a valid
//! certificate, pooled and within tier × tenure strata, always worded as an association.
use super::{shown_rate, url_query, FilterBar};
use crate::api::insights::{load_certified_insight, InsightQuery, CERTIFIED_CSV_PATH};
use crate::components::chart::{nice_ceiling, PairMark, PairedChart, PairedRow};
use crate::components::load::loaded;
use crate::domain::channel::deals::format_money;
use crate::domain::insights::percent;
use crate::model::{ArmRow, CertifiedInsight, ComparisonRow, Estimate, RateRow};
use leptos::prelude::*;
use leptos_meta::Title;

const NAMES: (&str, &str) = ("Certified", "Not certified");

#[cfg(test)]
mod tests {
    #[test]
    fn axis_amounts_are_compact() {
        assert_eq!(super::compact_dollars(0.0), "$0");
        assert_eq!(super::compact_dollars(25_000_000.0), "$250k");
        assert_eq!(super::compact_dollars(150_000_000.0), "$1.5M");
        assert_eq!(super::compact_dollars(200_000_000.0), "$2M");
    }
}

#[component]
pub fn CertifiedInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_certified_insight);
    view! {
        <Title text="Certified vs not"/>
        <section class="page insights" aria-labelledby="certified-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <CertifiedView insight query=query()/> })}
        </section>
    }
}

/// A rate with its interval and n, as the page writes it: "41% (33%–49%, n = 142)".
fn rate_text(rate: &RateRow) -> String {
    shown_rate(rate).unwrap_or_else(|| format!("too few (n = {})", rate.n))
}

/// Whole dollars from cents held as a float.
fn dollars(cents: f64) -> String {
    format_money(((cents / 100.0).round() * 100.0) as i64)
}

/// An axis label for an amount in cents: "$0", "$250k", "$1.5M" (the table has the exact
/// figures).
fn compact_dollars(cents: f64) -> String {
    let dollars = cents / 100.0;
    match dollars {
        d if d >= 1_000_000.0 => format!("${}M", trim(d / 1_000_000.0)),
        d if d >= 1_000.0 => format!("${}k", trim(d / 1_000.0)),
        d => format!("${d:.0}"),
    }
}

/// One decimal at most, none when whole.
fn trim(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

/// A per-org-quarter amount with its interval and how many organisations it rests on.
fn per_quarter_text(estimate: &Option<Estimate>, orgs: u64) -> String {
    let orgs_text = if orgs == 1 {
        "1 org".to_string()
    } else {
        format!("{orgs} orgs")
    };
    match estimate {
        Some(Estimate {
            value,
            lower: Some(l),
            upper: Some(u),
        }) => {
            format!(
                "{} ({}–{}, {orgs_text})",
                dollars(*value),
                dollars(*l),
                dollars(*u)
            )
        }
        Some(Estimate { value, .. }) => format!("{} ({orgs_text})", dollars(*value)),
        None => format!("too few ({orgs_text})"),
    }
}

fn difference_text(difference: &Option<Estimate>) -> String {
    let points = |share: f64| format!("{:+.0} pts", share * 100.0);
    match difference {
        Some(Estimate {
            value,
            lower: Some(l),
            upper: Some(u),
        }) => {
            format!("{} ({} to {})", points(*value), points(*l), points(*u))
        }
        _ => "—".to_string(),
    }
}

fn win_mark(arm: &ArmRow) -> PairMark {
    let rate = &arm.win_rate;
    PairMark {
        text: rate_text(rate),
        value: rate.estimate.map(|p| (p, rate.lower.zip(rate.upper))),
    }
}

fn revenue_mark(arm: &ArmRow) -> PairMark {
    PairMark {
        text: per_quarter_text(&arm.revenue_per_quarter, arm.orgs),
        value: arm
            .revenue_per_quarter
            .map(|e| (e.value, e.lower.zip(e.upper))),
    }
}

/// The headline in the research brief's wording, from the pooled and stratified rows.
fn headline(insight: &CertifiedInsight) -> String {
    let pooled = &insight.pooled;
    match (pooled.certified.win_rate.estimate, pooled.uncertified.win_rate.estimate) {
        (Some(_), Some(_)) => format!(
            "Certified partners' deals closed at {} vs {} for uncertified partners, all tiers pooled. \
             Compare within each tier and tenure below: bigger, older partners both certify more and sell more.",
            rate_text(&pooled.certified.win_rate),
            rate_text(&pooled.uncertified.win_rate)
        ),
        _ => format!(
            "{} certified and {} uncertified deals closed in this window: too few to compare win rates yet.",
            pooled.certified.win_rate.n, pooled.uncertified.win_rate.n
        ),
    }
}

#[component]
fn CertifiedView(insight: CertifiedInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{CERTIFIED_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Certified vs not, {}", insight.window);
    let rows: Vec<ComparisonRow> = std::iter::once(insight.pooled.clone())
        .chain(insight.strata.iter().cloned())
        .collect();
    // The charts draw the groups with something to show; every group is in the table.
    let win_rows: Vec<PairedRow> = rows
        .iter()
        .filter(|row| {
            row.certified.win_rate.estimate.is_some() || row.uncertified.win_rate.estimate.is_some()
        })
        .map(|row| PairedRow {
            label: row.label.clone(),
            first: win_mark(&row.certified),
            second: win_mark(&row.uncertified),
        })
        .collect();
    let revenue_rows: Vec<PairedRow> = rows
        .iter()
        .filter(|row| {
            row.certified.revenue_per_quarter.is_some()
                || row.uncertified.revenue_per_quarter.is_some()
        })
        .map(|row| PairedRow {
            label: row.label.clone(),
            first: revenue_mark(&row.certified),
            second: revenue_mark(&row.uncertified),
        })
        .collect();
    let revenue_max = nice_ceiling(
        rows.iter()
            .flat_map(|row| [&row.certified, &row.uncertified])
            .filter_map(|arm| arm.revenue_per_quarter)
            .map(|e| e.upper.unwrap_or(e.value).max(e.value))
            .fold(0.0, f64::max),
    );
    let nothing =
        insight.pooled.certified.org_quarters + insight.pooled.uncertified.org_quarters == 0.0;
    view! {
        <h1 id="certified-title">{title.clone()}</h1>
        <p class="lead">{headline(&insight)}</p>
        <p class="caution"><strong>"This is an association, not proof that certification causes wins."</strong>
            " Partners may certify because they have a deal to close, and stronger partners do both."</p>
        <FilterBar action="/insights/certified" split=None window_label="Deals in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        <p class="hint">"A deal counts as certified when its organisation held a valid certificate on the day the deal was created; an organisation's months before it certified count as uncertified. With a job role or path chosen, only certificates held in that role, or requiring that path, count."</p>
        {if nothing {
            view! { <p class="empty">"No partner organisation was in the program in this window under these filters. Try a longer window or fewer filters."</p> }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <h2>"Win rate of deals closed in the window"</h2>
                    {if win_rows.is_empty() {
                        view! { <p class="empty">"No group has 10 closed deals on either side yet: the counts are in the table."</p> }.into_any()
                    } else {
                        view! { <PairedChart id="win-chart" title=format!("Win rate, certified vs not, {}", insight.window)
                            names=NAMES rows=win_rows max=1.0 tick=percent/> }.into_any()
                    }}
                    <p class="hint">"Won of won and lost deals (open deals left out), each with its 95% interval (Wilson). Circles: certified; squares: not certified. Groups with fewer than 10 closed deals on both sides are only in the table."</p>
                </div>
                <div class="card chart-card">
                    <h2>"Closed-won revenue per organisation-quarter"</h2>
                    {if revenue_rows.is_empty() {
                        view! { <p class="empty">"No group has 10 organisations on either side yet: the amounts are in the table."</p> }.into_any()
                    } else {
                        view! { <PairedChart id="revenue-chart" title=format!("Closed-won revenue per org-quarter, certified vs not, {}", insight.window)
                            names=NAMES rows=revenue_rows max=revenue_max tick=compact_dollars/> }.into_any()
                    }}
                    <p class="hint">"Revenue of deals won in the window over the time organisations spent certified or not; 95% intervals resample whole partners (a partner's deals go together). Drawn from 10 organisations on a side; smaller groups are only in the table."</p>
                </div>
            }.into_any()
        }}
        <ComparisonTable rows/>
        <p><a class="button" href=csv download="certified-vs-not.csv">"Export CSV"</a></p>
    }
}

/// Every number of both charts, two rows per group (certified, then not).
#[component]
fn ComparisonTable(rows: Vec<ComparisonRow>) -> impl IntoView {
    let side = |row: &ComparisonRow, name: &'static str, arm: &ArmRow, first: bool| {
        // Each row names its group (a row header is never empty, and a phone shows each row
        // as a card of its own); the difference is the group's, on its first row.
        let group = row.label.clone();
        let difference = first.then(|| difference_text(&row.win_difference));
        view! {
            <tr class=if first { "group-start" } else { "" }>
                <th scope="row" data-label="Group">{group}</th>
                <td data-label="Side">{name}</td>
                <td data-label="Orgs">{arm.orgs}</td>
                <td data-label="Org-quarters">{format!("{:.1}", arm.org_quarters.max(0.0) + 0.0)}</td>
                <td data-label="Deals created">{arm.deals_created}</td>
                <td data-label="Pipeline per org-quarter">{per_quarter_text(&arm.pipeline_per_quarter, arm.orgs)}</td>
                <td data-label="Won / closed">{format!("{} / {}", arm.win_rate.successes, arm.win_rate.n)}</td>
                <td data-label="Win rate">{rate_text(&arm.win_rate)}</td>
                <td data-label="Revenue per org-quarter">{per_quarter_text(&arm.revenue_per_quarter, arm.orgs)}</td>
                <td data-label="Win-rate difference">{difference.unwrap_or_default()}</td>
            </tr>
        }
    };
    view! {
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">"Group"</th><th scope="col">"Side"</th><th scope="col">"Orgs"</th>
                    <th scope="col">"Org-quarters"</th><th scope="col">"Deals created"</th>
                    <th scope="col">"Pipeline per org-quarter"</th><th scope="col">"Won / closed"</th>
                    <th scope="col">"Win rate"</th><th scope="col">"Revenue per org-quarter"</th>
                    <th scope="col">"Win-rate difference"</th>
                </tr></thead>
                <tbody>
                    {rows.iter().map(|row| view! {
                        {side(row, NAMES.0, &row.certified, true)}
                        {side(row, NAMES.1, &row.uncertified, false)}
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
