//! Certification status and expiry pipeline (view 10): per organisation, today's valid
//! certificates by time to expiry, what expired or was revoked in the window, and how much
//! of what came due was renewed in time.
use super::{shown_rate, url_query, FilterBar};
use crate::api::insights::{load_certificate_insight, InsightQuery, CERTIFICATES_CSV_PATH};
use crate::components::chart::StackedBars;
use crate::components::load::loaded;
use crate::domain::insights::percent;
use crate::model::{CertificateInsight, CertificateStatusRow, RateRow};
use leptos::prelude::*;
use leptos_meta::Title;

/// The parts of each bar, latest expiry first (the chart's left) to most urgent.
const PARTS: &[&str] = &["later", "61–90 days", "31–60 days", "≤ 30 days"];

#[component]
pub fn CertificateInsightPage() -> impl IntoView {
    let query = url_query();
    let insight = Resource::new(query, load_certificate_insight);
    view! {
        <Title text="Certification status and expiries"/>
        <section class="page insights" aria-labelledby="certificates-title">
            <p><a href="/insights">"All insights"</a></p>
            {loaded(insight, move |insight| view! { <CertificateView insight query=query()/> })}
        </section>
    }
}

fn recertification_text(rate: &RateRow) -> String {
    shown_rate(rate).unwrap_or_else(|| {
        if rate.n == 0 {
            "none came due".to_string()
        } else {
            format!("{} of {} (too few for a rate)", rate.successes, rate.n)
        }
    })
}

fn parts_of(row: &CertificateStatusRow) -> Vec<u64> {
    let later = row.active - row.expiring_30 - row.expiring_60 - row.expiring_90;
    vec![later, row.expiring_90, row.expiring_60, row.expiring_30]
}

#[component]
fn CertificateView(insight: CertificateInsight, query: InsightQuery) -> impl IntoView {
    let csv = format!("{CERTIFICATES_CSV_PATH}?{}", query.to_query_string());
    let title = format!("Certification status and expiries, {}", insight.window);
    let total = insight.total.clone();
    let bars: Vec<(String, Vec<u64>)> = insight
        .rows
        .iter()
        .filter(|row| row.active > 0)
        .map(|row| (row.org_name.clone(), parts_of(row)))
        .collect();
    view! {
        <h1 id="certificates-title">{title.clone()}</h1>
        <p class="lead">{format!(
            "{} certificates are valid today; {} end within 30 days and {} more within 90. Of the {} that came due in the window, {}.",
            total.active,
            total.expiring_30,
            total.expiring_60 + total.expiring_90,
            total.recertification.n,
            match total.recertification.estimate {
                Some(p) => format!("{} were renewed in time", percent(p)),
                None => format!("{} were renewed in time", total.recertification.successes),
            }
        )}</p>
        <p class="hint">"Expiry is a rights event: an organisation's tier and selling rights follow its valid certificates. The tier change log is under Program, Tiers."</p>
        <FilterBar action="/insights/certificates" split=None window_label="Expired or came due in the last"
            paths=insight.paths.clone() regions=insight.regions.clone() query/>
        {if bars.is_empty() {
            view! { <p class="empty">"No valid certificates under these filters."</p> }.into_any()
        } else {
            view! {
                <div class="card chart-card">
                    <h2>"Valid certificates by time to expiry"</h2>
                    <StackedBars id="expiry-chart" title=format!("Valid certificates by time to expiry, as of today ({})", insight.window) parts=PARTS rows=bars/>
                    <p class="hint">"Most urgent organisations first. The darker the part, the sooner it ends."</p>
                </div>
            }.into_any()
        }}
        <h2 id="numbers-title">"The numbers"</h2>
        <div class="table-wrap" role="region" aria-labelledby="numbers-title" tabindex="0">
            <table class="attempts cards rate-table" aria-labelledby="numbers-title">
                <thead><tr>
                    <th scope="col">"Organisation"</th><th scope="col">"Valid today"</th>
                    <th scope="col">"Ending ≤ 30 days"</th><th scope="col">"31–60 days"</th><th scope="col">"61–90 days"</th>
                    <th scope="col">"Expired"</th><th scope="col">"Revoked"</th><th scope="col">"Renewed in time"</th>
                </tr></thead>
                <tbody>
                    {insight.rows.into_iter().chain(std::iter::once(total)).map(|row| {
                        let class = if row.org_id == 0 { "overall" } else { "" };
                        view! {
                            <tr class=class>
                                <th scope="row" data-label="Organisation">{row.org_name.clone()}</th>
                                <td data-label="Valid today">{row.active}</td>
                                <td data-label="Ending ≤ 30 days">{row.expiring_30}</td>
                                <td data-label="31–60 days">{row.expiring_60}</td>
                                <td data-label="61–90 days">{row.expiring_90}</td>
                                <td data-label="Expired">{row.expired}</td>
                                <td data-label="Revoked">{row.revoked}</td>
                                <td data-label="Renewed in time">{recertification_text(&row.recertification)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p><a class="button" href=csv download="certificate-status.csv">"Export CSV"</a></p>
    }
}
