use crate::error::AppError;
use crate::model::{HomeData, OrgDetail, PartnerOrgSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod imp {
    use crate::domain::next_steps::{
        what_next as tiles, CertificateFact, DealFact, HomeFacts, NextTile, TrainingFact,
    };
    use crate::error::AppError;
    use crate::server::guard::{Actor, OrgScope};
    use crate::server::AppState;

    /// What the partner should do next, gathered from training, the organisation's deals,
    /// announcements and their certificates.
    pub async fn what_next(
        state: &AppState,
        actor: &Actor,
        scope: OrgScope,
    ) -> Result<Vec<NextTile>, AppError> {
        use crate::domain::certification::status_at;
        use crate::domain::learning::training_standing;
        use crate::server::repo::{announcements, certifications, channel, learning};
        let user_id = actor.user.id;
        let now = state.clock.now_ms();
        let settings = channel::settings(&state.db).await?;
        let due_days = settings.required_training_due_days;
        let me: Vec<_> = announcements::recipient(&state.db, user_id)
            .await?
            .into_iter()
            .collect();
        let completed = learning::completions(&state.db, user_id).await?;
        let recertify_by = certifications::recertification_deadlines(&state.db, user_id).await?;
        // A current certificate the path counts towards settles it, as in the catalog.
        let certified = certifications::current_by_path(&state.db, user_id, now).await?;
        let settled = |path_id: i64| {
            completed.contains_key(&path_id)
                || (certified.contains_key(&path_id) && !recertify_by.contains_key(&path_id))
        };
        let mut training = Vec::new();
        for path in learning::required_paths(&state.db).await? {
            for (_, due_at) in learning::assignees(&path, &me, due_days).unwrap_or_default() {
                training.push(TrainingFact {
                    path_id: path.id,
                    title: path.title.clone(),
                    due_at,
                    standing: training_standing(
                        due_at,
                        settled(path.id),
                        recertify_by.contains_key(&path.id),
                        now,
                    ),
                    recertify_by: recertify_by.get(&path.id).copied(),
                });
            }
        }
        let deals = crate::api::channel::imp::own_deals(state, scope, &settings)
            .await?
            .into_iter()
            .map(|deal| DealFact {
                deal_id: deal.deal_id,
                account_name: deal.account_name,
                status: deal.status,
                stage: deal.stage,
                protected_until: deal.protected_until,
                appeal_until: deal.appeal_until,
            })
            .collect();
        let rows = certifications::of_user(&state.db, user_id).await?;
        let certificates = rows
            .iter()
            .map(|row| CertificateFact {
                name: row.certification_name.clone(),
                expires_at: row.expires_at,
                status: status_at(row.expires_at, row.revoked_at, now),
                renewed: rows.iter().any(|later| {
                    later.certification_id == row.certification_id
                        && later.issued_at > row.issued_at
                }),
            })
            .collect();
        let facts = HomeFacts {
            training,
            deals,
            to_acknowledge: announcements::to_acknowledge(&state.db, user_id).await?,
            certificates,
        };
        Ok(tiles(&facts, now))
    }
}

/// The signed-in user's home page: their org for partner users; program counts for vendor
/// staff, plus the vendor team for admins.
#[server]
pub async fn load_home() -> Result<HomeData, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::identity::Role;
    use crate::model::HomeView;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{orgs, users};
    let actor = authorize(Policy::SignedIn).await?;
    let state = app_state()?;
    let view = match actor.user.role {
        Role::PartnerUser => {
            let org_id = actor.user.partner_org_id.ok_or(AppError::NotFound)?;
            let scope = actor.org_scope(org_id)?;
            HomeView::Partner {
                detail: orgs::detail(&state.db, &scope)
                    .await?
                    .ok_or(AppError::NotFound)?,
                next: imp::what_next(&state, &actor, scope).await?,
            }
        }
        Role::PartnerManager | Role::VendorAdmin => HomeView::Staff {
            overview: orgs::overview(&state.db.read).await?,
            team: match actor.user.role {
                Role::VendorAdmin => Some(users::vendor_staff(&state.db.read).await?),
                _ => None,
            },
            headlines: crate::api::insights::headlines(&state).await?,
            demo_reset: state.settings.demo && actor.user.role == Role::VendorAdmin,
        },
    };
    Ok(HomeData {
        user: actor.user,
        view,
    })
}

/// Every partner org, filtered. Vendor staff only.
#[server]
pub async fn list_partner_orgs(
    partner_type: Option<String>,
    tier: Option<String>,
    search: Option<String>,
) -> Result<Vec<PartnerOrgSummary>, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::identity::{PartnerType, Tier};
    use crate::domain::validation::FieldError;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::orgs::{list, OrgFilter};
    authorize(Policy::VendorStaff).await?;
    let blank_to_none = |value: Option<String>| {
        value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let partner_type = blank_to_none(partner_type).and_then(|text| {
        PartnerType::parse(&text).or_else(|| {
            errors.push(FieldError::new(
                "partner_type",
                "Choose a partner type from the list.",
            ));
            None
        })
    });
    let tier = blank_to_none(tier).and_then(|text| {
        Tier::parse(&text).or_else(|| {
            errors.push(FieldError::new("tier", "Choose a tier from the list."));
            None
        })
    });
    let search = blank_to_none(search);
    if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        errors.push(FieldError::new(
            "search",
            "Search for at most 100 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = OrgFilter {
        partner_type,
        tier,
        search,
    };
    Ok(list(&app_state()?.db.read, &filter).await?)
}

/// One partner org and its people. Partner users may only open their own org.
#[server]
pub async fn partner_org(id: i64) -> Result<OrgDetail, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::SignedIn).await?;
    let scope = actor.org_scope(id)?;
    crate::server::repo::orgs::detail(&app_state()?.db, &scope)
        .await?
        .ok_or(AppError::NotFound)
}

/// The signed-in partner user's own org.
#[server]
pub async fn my_org() -> Result<OrgDetail, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    let actor = authorize(Policy::PartnerUser).await?;
    let org_id = actor.user.partner_org_id.ok_or(AppError::NotFound)?;
    let scope = actor.org_scope(org_id)?;
    crate::server::repo::orgs::detail(&app_state()?.db, &scope)
        .await?
        .ok_or(AppError::NotFound)
}
