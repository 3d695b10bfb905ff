//! Program tiers: what each tier needs and gives, where organisations stand against the
//! rules (with what is missing for the next tier), the log of tier and rights changes, and
//! the admins' editor for the rules.
use crate::api::tiers::{load_tiers, SaveTierProgram};
use crate::components::enhance::reload_with_confirmation;
use crate::components::form::{last_error, FormError};
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

/// One tier's part of the editor.
#[derive(Clone, Copy)]
struct TierFields {
    tier: Tier,
    requirements: RwSignal<String>,
    min_revenue: RwSignal<String>,
    mdf_eligible: RwSignal<bool>,
    lead_distribution: RwSignal<String>,
}

impl TierFields {
    fn new(tier: Tier, form: &TierPolicyForm) -> TierFields {
        TierFields {
            tier,
            requirements: RwSignal::new(form.requirements.clone()),
            min_revenue: RwSignal::new(form.min_revenue.clone()),
            mdf_eligible: RwSignal::new(form.mdf_eligible),
            lead_distribution: RwSignal::new(form.lead_distribution.clone()),
        }
    }

    fn form(self) -> TierPolicyForm {
        TierPolicyForm {
            requirements: self.requirements.get_untracked(),
            min_revenue: self.min_revenue.get_untracked(),
            mdf_eligible: self.mdf_eligible.get_untracked(),
            lead_distribution: self.lead_distribution.get_untracked(),
        }
    }
}

/// The admins' editor: an island (full bundle), as the rules are saved as JSON. After a save
/// the page loads again, so standings and the change log show the result.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn TierEditor(form: TierProgramForm, certifications: Vec<String>) -> impl IntoView {
    let save = ServerAction::<SaveTierProgram>::new();
    let error = last_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            reload_with_confirmation(&if changes == 0 {
                "Saved. No organisation's standing changed.".to_string()
            } else {
                format!("Saved. {changes} change(s) to tiers or rights were logged and announced.")
            });
        }
    });
    let parts = [
        TierFields::new(Tier::Registered, &form.registered),
        TierFields::new(Tier::Silver, &form.silver),
        TierFields::new(Tier::Gold, &form.gold),
        TierFields::new(Tier::Platinum, &form.platinum),
    ];
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveTierProgram {
            form: TierProgramForm {
                registered: parts[0].form(),
                silver: parts[1].form(),
                gold: parts[2].form(),
                platinum: parts[3].form(),
            },
        });
    };
    view! {
        <h2>"Change the tier rules"</h2>
        <form class="card settings-form tier-editor" on:submit=submit>
            <p class="hint">
                "One requirement per line: a number of people, optionally a job role, optionally a colon and a certification, e.g. \"1 technical: "
                {certifications.first().cloned().unwrap_or_default()}
                "\". Certifications: " {certifications.join(", ")} "."
            </p>
            {parts.into_iter().map(|part| view! { <TierFieldset part error/> }).collect_view()}
            <FormError error fields=EDITOR_FIELDS/>
            <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save tier rules"</button>
        </form>
    }
    .into_any()
}

#[component]
fn TierFieldset(part: TierFields, error: Signal<Option<AppError>>) -> impl IntoView {
    let key = part.tier.as_str();
    let id = |name: &str| format!("tiers-{key}-{name}");
    let requirements_for = id("requirements");
    let requirements_id = requirements_for.clone();
    let revenue_for = id("min_revenue");
    let revenue_id = revenue_for.clone();
    let mdf_for = id("mdf");
    let mdf_id = mdf_for.clone();
    let leads_for = id("leads");
    let leads_id = leads_for.clone();
    let field = move |name: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.field_message(&format!("{key}_{name}")))
        }
    };
    let registered = part.tier == Tier::Registered;
    view! {
        <fieldset>
            <legend>{part.tier.label()}</legend>
            {(!registered).then(|| view! {
                <div class="field">
                    <label for=requirements_for>{format!("{} requirements (one per line)", part.tier.label())}</label>
                    <textarea id=requirements_id rows="3" bind:value=part.requirements></textarea>
                    <p class="field-error" aria-live="polite">{field("requirements")}</p>
                </div>
                <div class="field">
                    <label for=revenue_for>{format!("{} revenue closed won in 12 months ($, optional)", part.tier.label())}</label>
                    <input id=revenue_id inputmode="decimal" bind:value=part.min_revenue/>
                    <p class="field-error" aria-live="polite">{field("min_revenue")}</p>
                </div>
            })}
            <div class="field checkbox">
                <input type="checkbox" id=mdf_id bind:checked=part.mdf_eligible/>
                <label for=mdf_for>{format!("{}: eligible for MDF", part.tier.label())}</label>
            </div>
            <div class="field">
                <label for=leads_for>{format!("{} leads", part.tier.label())}</label>
                <select id=leads_id on:change=move |e| part.lead_distribution.set(event_target_value(&e))>
                    {LeadDistribution::ALL.iter().map(|leads| view! {
                        <option value=leads.as_str() selected=part.lead_distribution.get_untracked() == leads.as_str()>{leads.label()}</option>
                    }).collect_view()}
                </select>
                <p class="field-error" aria-live="polite">{field("lead_distribution")}</p>
            </div>
        </fieldset>
    }
    .into_any()
}
