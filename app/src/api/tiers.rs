//! Program tiers: what each requires and gives, where organisations stand, and the log of
//! tier and rights changes. Partners see their own organisation; vendor staff see all;
//! vendor admins change the rules.
use crate::error::AppError;
use crate::model::{TierProgramForm, TiersPage};
use leptos::prelude::*;

/// How many logged changes the page shows.
pub const CHANGES_SHOWN: i64 = 50;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::channel::eligibility::Right;
    use crate::model::StandingChangeView;
    use crate::server::repo::tiers::ChangeRow;

    pub fn change_view(row: ChangeRow) -> StandingChangeView {
        let right = |key: &str| {
            Right::from_key(key)
                .map(|right| right.label())
                .unwrap_or_else(|| key.to_string())
        };
        let summary = match row.kind.as_str() {
            "tier" => format!(
                "{} \u{2192} {}",
                tier_label(&row.from_value),
                tier_label(&row.to_value)
            ),
            "right_gained" => format!("{} unlocked", right(&row.to_value)),
            _ => format!("{} withdrawn", right(&row.from_value)),
        };
        StandingChangeView {
            org_name: row.org_name,
            at: row.at,
            summary,
            explanation: row.explanation,
            trigger: row.trigger_text,
        }
    }

    fn tier_label(text: &str) -> String {
        crate::domain::identity::Tier::parse(text)
            .map(|tier| tier.label().to_string())
            .unwrap_or_else(|| text.to_string())
    }
}

/// The tier program and standings: every organisation for vendor staff, the partner's own
/// organisation otherwise.
#[server]
pub async fn load_tiers() -> Result<TiersPage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::identity::{Role, Tier};
    use crate::domain::tiers::{evaluate, is_automatic, revenue_label, TierPolicyForm};
    use crate::model::{OrgStandingView, TierPolicyView};
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::links::TIERS_PLACE;
    use crate::server::repo::{certifications, channel, tiers};
    // A tier-change email's link opens this page (and only this page) without a sign-in.
    let actor = authorize_scoped(Policy::SignedIn).await?;
    actor.require_place(TIERS_PLACE)?;
    let state = app_state()?;
    let only_org = if actor.user.role.is_vendor_staff() {
        None
    } else {
        Some(actor.user.partner_org_id.ok_or(AppError::Forbidden)?)
    };
    let policies = tiers::policies(&state.db).await?;
    let settings = channel::settings(&state.db).await?;
    // Every organisation once: the tier counts need all; the standings the visible ones.
    let all_orgs = tiers::orgs(&state.db, None).await?;
    let standings = tiers::standings(&state.db, only_org, state.clock.now_ms()).await?;
    let policy_views = policies
        .iter()
        .map(|policy| TierPolicyView {
            tier: policy.tier,
            requirements: policy
                .requirements
                .iter()
                .map(|r| r.label())
                .chain(policy.min_revenue_cents.map(revenue_label))
                .collect(),
            discount_pct: settings.tier_discount_limit(policy.tier),
            mdf_eligible: policy.mdf_eligible,
            leads: policy.lead_distribution.label().to_string(),
            org_count: all_orgs.iter().filter(|o| o.tier == policy.tier).count() as i64,
        })
        .collect();
    let form_of = |tier: Tier| {
        policies
            .iter()
            .find(|p| p.tier == tier)
            .map(TierPolicyForm::from_policy)
            .unwrap_or_default()
    };
    let form = (actor.user.role == Role::VendorAdmin).then(|| TierProgramForm {
        registered: form_of(Tier::Registered),
        silver: form_of(Tier::Silver),
        gold: form_of(Tier::Gold),
        platinum: form_of(Tier::Platinum),
    });
    let standings = all_orgs
        .into_iter()
        .filter(|org| only_org.is_none_or(|id| id == org.id))
        .map(|org| {
            let standing = standings.get(&org.id).cloned().unwrap_or_default();
            OrgStandingView {
                org_id: org.id,
                org_name: org.name,
                tier: org.tier,
                evaluation: evaluate(&policies, &standing),
                certified_people: standing.people.len() as i64,
                revenue_cents: standing.revenue_cents,
            }
        })
        .collect();
    Ok(TiersPage {
        automatic: is_automatic(&policies),
        policies: policy_views,
        form,
        certifications: certifications::certifications(&state.db)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect(),
        standings,
        changes: tiers::changes(&state.db, only_org, CHANGES_SHOWN)
            .await?
            .into_iter()
            .map(imp::change_view)
            .collect(),
    })
}

/// Replaces the tier rules (vendor admins), then re-evaluates every organisation at once.
/// Every mistake comes back on its field and nothing changes.
#[server]
pub async fn save_tier_program(form: TierProgramForm) -> Result<usize, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::identity::Tier;
    use crate::domain::tiers::is_automatic;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{certifications, tiers};
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let known: Vec<(i64, String)> = certifications::certifications(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for (tier, part) in [
        (Tier::Registered, &form.registered),
        (Tier::Silver, &form.silver),
        (Tier::Gold, &form.gold),
        (Tier::Platinum, &form.platinum),
    ] {
        match part.parse(tier, &known) {
            Ok(policy) => policies.push(policy),
            Err(errors) => problems.extend(errors),
        }
    }
    // Half-configured rules would make tiers without requirements unreachable, so either
    // every tier above Registered has requirements or none has (tiers set by hand).
    let configured = policies.iter().filter(|p| p.requires_anything()).count();
    if problems.is_empty() && configured > 0 && !is_automatic(&policies) {
        for policy in policies
            .iter()
            .filter(|p| p.tier != Tier::Registered && !p.requires_anything())
        {
            problems.push(crate::domain::validation::FieldError::new(
                &format!("{}_requirements", policy.tier.as_str()),
                format!(
                    "Give {} at least one requirement, or clear every tier's to set tiers by hand.",
                    policy.tier
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    tiers::save_policies(&state.db, &policies, state.clock.now_ms()).await?;
    let trigger = format!("Tier rules changed by {}", actor.user.display_name);
    let changes = crate::server::standing::reevaluate(&state, None, &trigger).await?;
    tracing::info!(
        user_id = actor.user.id,
        changes = changes.len(),
        "tier rules changed"
    );
    crate::server::guard::redirect_form_post(&format!("/tiers?changed={}", changes.len()));
    Ok(changes.len())
}
