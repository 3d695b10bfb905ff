//! Program tiers: what each tier needs and gives, where organisations stand against the
//! rules (with what is missing for the next tier), the log of tier and rights changes, and
//! the admins' editor for the rules.
use crate::api::tiers::{load_tiers, SaveTierProgram};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, last_error, ticked_before, FormError, SelectField, TextField,
};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::domain::identity::Tier;
use crate::domain::tiers::{tier_rank, LeadDistribution, TierPolicyForm};
use crate::error::AppError;
use crate::model::{
    OrgStandingView, StandingChangeView, TierPolicyView, TierProgramForm, TiersPage as Tiers,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TiersPage() -> impl IntoView {
    view! {
        <Title text="Tiers"/>
        <TiersBody />
    }
}

#[component]
fn TiersBody() -> impl IntoView {
    let page = Resource::new(|| (), |_| load_tiers());
    view! {
        <section class="page" aria-labelledby="tiers-title">
            <h1 id="tiers-title">"Program tiers"</h1>
            <p class="lead">"Tiers follow certifications: they are re-evaluated whenever a certificate is issued, expires or is revoked, and every change is logged and announced."</p>
            {loaded(page, move |page| view! { <TiersView page/> })}
        </section>
    }
}

#[component]
fn TiersView(page: Tiers) -> impl IntoView {
    let staff_view = page.form.is_some() || page.standings.len() > 1;
    view! {
        {(!page.automatic).then(|| view! {
            <p class="notice">"Tiers are set by hand until every tier above Registered has requirements."</p>
        })}
        <h2>"What each tier needs and gives"</h2>
        <ul class="card-list tier-policies">
            {page.policies.into_iter().map(|policy| view! { <PolicyCard policy show_count=staff_view/> }).collect_view()}
        </ul>
        {if staff_view {
            view! { <StandingTable standings=page.standings/> }.into_any()
        } else {
            page.standings.into_iter().next().map(|standing| view! { <OwnStanding standing/> }).into_any()
        }}
        <ChangeLog changes=page.changes/>
        {page.form.map(|form| view! { <TierEditor form certifications=page.certifications/> })}
    }
    .into_any()
}

#[component]
fn PolicyCard(policy: TierPolicyView, show_count: bool) -> impl IntoView {
    let requirements = if policy.requirements.is_empty() {
        vec!["No requirements".to_string()]
    } else {
        policy.requirements
    };
    view! {
        <li class="card tier-card" data-tier=policy.tier.as_str()>
            <div class="path-head">
                <h3>{policy.tier.label()}</h3>
                {show_count.then(|| view! {
                    <span class="meta">{format!("{} organisation(s)", policy.org_count)}</span>
                })}
            </div>
            <p class="meta">"Needs"</p>
            <ul class="tier-requirements">
                {requirements.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            <p class="meta">"Gives"</p>
            <ul class="tier-benefits">
                <li>{format!("Discounts up to {}% without review", policy.discount_pct)}</li>
                <li>{if policy.mdf_eligible { "Eligible for market development funds (MDF)" } else { "No MDF" }}</li>
                <li>{format!("Leads: {}", policy.leads.to_lowercase())}</li>
            </ul>
        </li>
    }
}

/// A partner's own organisation: its tier and every tier's requirements, met or not.
#[component]
fn OwnStanding(standing: OrgStandingView) -> impl IntoView {
    let current = standing.tier;
    view! {
        <section class="card own-standing" aria-labelledby="standing-title">
            <h2 id="standing-title">{format!("{} is {}", standing.org_name, current.label())}</h2>
            <p class="meta">{format!("{} certified people", standing.certified_people)}</p>
            {standing.evaluation.tiers.into_iter().map(|check| {
                let met = check.met();
                let heading = if met {
                    format!("{}: every requirement met", check.tier.label())
                } else if tier_rank(check.tier) > tier_rank(current) {
                    format!("{}: still needed", check.tier.label())
                } else {
                    format!("{}: no longer met", check.tier.label())
                };
                view! {
                    <div class="tier-check" data-tier=check.tier.as_str()>
                        <h3>{heading}</h3>
                        <ul>
                            {check.checks.into_iter().map(|c| view! {
                                <li class:met=c.met class:unmet=!c.met>
                                    <span class="sr-only">{if c.met { "Met: " } else { "Not met: " }}</span>
                                    {format!("{} \u{2014} {}", c.label, c.has)}
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
            }).collect_view()}
            <p><a href="/learn">"Certifications are earned in Learning"</a></p>
        </section>
    }
    .into_any()
}

/// What the next tier still needs, in short.
fn next_tier_gap(standing: &OrgStandingView) -> String {
    let next = standing
        .evaluation
        .tiers
        .iter()
        .find(|t| tier_rank(t.tier) > tier_rank(standing.tier));
    match next {
        None => "Top tier".to_string(),
        Some(next) => {
            let missing: Vec<String> = next
                .checks
                .iter()
                .filter(|c| !c.met)
                .map(|c| c.describe())
                .collect();
            if missing.is_empty() {
                format!("{}: met", next.tier.label())
            } else {
                format!("{}: {}", next.tier.label(), missing.join("; "))
            }
        }
    }
}

#[component]
fn StandingTable(standings: Vec<OrgStandingView>) -> impl IntoView {
    view! {
        <h2>"Where organisations stand"</h2>
        <div class="table-scroll">
            <table class="standings">
                <thead>
                    <tr><th scope="col">"Organisation"</th><th scope="col">"Tier"</th><th scope="col">"Certified people"</th><th scope="col">"Next tier needs"</th></tr>
                </thead>
                <tbody>
                    {standings.into_iter().map(|standing| {
                        let gap = next_tier_gap(&standing);
                        let earned = standing.evaluation.earned;
                        view! {
                            <tr data-org-id=standing.org_id.to_string()>
                                <td><a href=format!("/partners/{}", standing.org_id)>{standing.org_name}</a></td>
                                <td>
                                    {standing.tier.label()}
                                    {(earned != standing.tier).then(|| view! {
                                        <span class="badge status-expiring">{format!("earns {}", earned.label())}</span>
                                    })}
                                </td>
                                <td>{standing.certified_people}</td>
                                <td>{gap}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ChangeLog(changes: Vec<StandingChangeView>) -> impl IntoView {
    view! {
        <h2>"Changes"</h2>
        {if changes.is_empty() {
            view! { <p class="empty">"No tier or rights changes yet."</p> }.into_any()
        } else {
            view! {
                <ol class="change-log">
                    {changes.into_iter().map(|change| view! {
                        <li class="card">
                            <p><strong>{change.org_name}</strong>": " {change.summary}</p>
                            <p>{change.explanation}</p>
                            <p class="meta"><LocalTime ms=change.at/> " \u{b7} " {change.trigger}</p>
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
    .into_any()
}

/// Every field of the editor, so errors on them show beside the field, not at the bottom.
const EDITOR_FIELDS: &[&str] = &[
    "registered_requirements",
    "registered_min_revenue",
    "registered_lead_distribution",
    "silver_requirements",
    "silver_min_revenue",
    "silver_lead_distribution",
    "gold_requirements",
    "gold_min_revenue",
    "gold_lead_distribution",
    "platinum_requirements",
    "platinum_min_revenue",
    "platinum_lead_distribution",
];

/// The admins' editor, a plain post (`form[gold][requirements]`, …). After a save the
/// server sends the admin back here with how many standings changed, so the standings and
/// the change log on the page already show the result.
#[component]
fn TierEditor(form: TierProgramForm, certifications: Vec<String>) -> impl IntoView {
    let save = ServerAction::<SaveTierProgram>::new();
    let error = last_error(save.value());
    let changed = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("changed")
        .and_then(|n| n.parse::<usize>().ok());
    let parts = [
        (Tier::Registered, form.registered),
        (Tier::Silver, form.silver),
        (Tier::Gold, form.gold),
        (Tier::Platinum, form.platinum),
    ];
    view! {
        <h2 id="tier-editor-title">"Change the tier rules"</h2>
        <EnhancedForm>
            <form class="card settings-form tier-editor" method="post" action={form_action::<SaveTierProgram>("tiers")}
                novalidate=true aria-labelledby="tier-editor-title">
                <FormError error form="tiers" fields=EDITOR_FIELDS/>
                {changed.map(|changes| view! {
                    <p class="success" role="status">{if changes == 0 {
                        "Saved. No organisation's standing changed.".to_string()
                    } else {
                        format!("Saved. {changes} change(s) to tiers or rights were logged and announced.")
                    }}</p>
                })}
                <p class="hint">
                    "One requirement per line: a number of people, optionally a job role, optionally a colon and a certification, e.g. \"1 technical: "
                    {certifications.first().cloned().unwrap_or_default()}
                    "\". Certifications: " {certifications.join(", ")} "."
                </p>
                {parts.into_iter().map(|(tier, part)| view! { <TierFieldset tier part error/> }).collect_view()}
                <button type="submit" class="button primary">"Save tier rules"</button>
            </form>
        </EnhancedForm>
    }
    .into_any()
}

#[component]
fn TierFieldset(
    tier: Tier,
    part: TierPolicyForm,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let key = tier.as_str();
    let label = tier.label();
    // Errors are keyed `gold_requirements`; the fields post as `form[gold][requirements]`.
    let (requirements, revenue, leads) = match tier {
        Tier::Registered => (
            "registered_requirements",
            "registered_min_revenue",
            "registered_lead_distribution",
        ),
        Tier::Silver => (
            "silver_requirements",
            "silver_min_revenue",
            "silver_lead_distribution",
        ),
        Tier::Gold => (
            "gold_requirements",
            "gold_min_revenue",
            "gold_lead_distribution",
        ),
        Tier::Platinum => (
            "platinum_requirements",
            "platinum_min_revenue",
            "platinum_lead_distribution",
        ),
    };
    let posted = move |field: &str| format!("form[{key}][{field}]");
    let mdf_id = format!("tiers-{key}-mdf");
    let options = LeadDistribution::ALL
        .iter()
        .map(|leads| (leads.as_str().to_string(), leads.label().to_string()))
        .collect();
    view! {
        <fieldset>
            <legend>{label}</legend>
            {(tier != Tier::Registered).then(|| view! {
                <TextField form="tiers" label=format!("{label} requirements (one per line)") name=requirements post_as=posted("requirements")
                    rows=3 value=part.requirements.clone() error/>
                <TextField form="tiers" label=format!("{label} revenue closed won in 12 months ($, optional)") name=revenue post_as=posted("min_revenue")
                    inputmode="decimal" value=part.min_revenue.clone() error/>
            })}
            <div class="field checkbox">
                <input type="checkbox" id=mdf_id.clone() name=posted("mdf_eligible") value="true"
                    checked=ticked_before("tiers", &posted("mdf_eligible"), "true").unwrap_or(part.mdf_eligible)/>
                <label for=mdf_id>{format!("{label}: eligible for MDF")}</label>
            </div>
            <SelectField form="tiers" label=format!("{label} leads") name=leads post_as=posted("lead_distribution")
                options selected=part.lead_distribution.clone() error/>
        </fieldset>
    }
    .into_any()
}
