use crate::error::AppError;
use crate::model::{HomeData, OrgDetail, PartnerOrgSummary};
use leptos::prelude::*;

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
            HomeView::Partner(
                orgs::detail(&state.db, &scope)
                    .await?
                    .ok_or(AppError::NotFound)?,
            )
        }
        Role::PartnerManager | Role::VendorAdmin => HomeView::Staff {
            overview: orgs::overview(&state.db.read).await?,
            team: match actor.user.role {
                Role::VendorAdmin => Some(users::vendor_staff(&state.db.read).await?),
                _ => None,
            },
            headlines: crate::api::insights::headlines(&state).await?,
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
