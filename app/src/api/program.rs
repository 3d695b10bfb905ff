//! The channel program's rules (managers read them, admins change them) and renewal
//! ownership: renewals default to the incumbent and are confirmed ahead of the date.
use crate::domain::channel::clocks::SettingsForm;
use crate::error::AppError;
use crate::model::RenewalsPage;
use leptos::prelude::*;

/// The program's current rules, as the settings form shows them.
#[server]
pub async fn load_program_settings() -> Result<SettingsForm, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    Ok(SettingsForm::from_settings(
        &channel::settings(&state.db).await?,
    ))
}

/// Changes the program's rules (vendor admins). New values apply to what happens from now
/// on: protections already granted keep their end dates.
#[server]
pub async fn save_program_settings(form: SettingsForm) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::channel;
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let settings = form.parse().map_err(AppError::Validation)?;
    channel::save_settings(&state.db, &settings, state.clock.now_ms()).await?;
    tracing::info!(user_id = actor.user.id, "program settings changed");
    Ok(())
}

/// How far back the renewal list reaches, so a renewal that passed unconfirmed stays in view.
pub const RENEWALS_LOOKBACK_DAYS: i64 = 30;

/// Accounts renewing within the confirmation lead time (and recently passed), soonest first,
/// with who owns each renewal and whether that is confirmed.
#[server]
pub async fn load_renewals() -> Result<RenewalsPage, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::channel::clocks::{renewal_confirmed, DAY_MS};
    use crate::model::RenewalItem;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{channel, orgs};
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let settings = channel::settings(&state.db).await?;
    let now = state.clock.now_ms();
    let rows = channel::renewals_between(
        &state.db,
        now - RENEWALS_LOOKBACK_DAYS * DAY_MS,
        now + settings.renewal_lead_days * DAY_MS,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let confirmed = renewal_confirmed(row.renewal_at, row.confirmed_at);
            RenewalItem {
                confirmation_due: !confirmed
                    && settings.renewal_confirmation_due(row.renewal_at, now),
                confirmed,
                account_id: row.account_id,
                account_name: row.account_name,
                region: row.region,
                renewal_at: row.renewal_at,
                owner_org_id: row.owner_org_id,
                owner_name: row.owner_name.unwrap_or_else(|| "Direct sales".into()),
                confirmed_at: row.confirmed_at.filter(|_| confirmed),
                confirmed_by: row.confirmed_by.filter(|_| confirmed),
                other_open_deals: row.other_open_deals,
            }
        })
        .collect();
    Ok(RenewalsPage {
        items,
        partners: orgs::names(&state.db).await?,
        lead_days: settings.renewal_lead_days,
    })
}

/// Confirms who owns an account's renewal: `owner` is "incumbent" (keep the partner of
/// record), "direct", or a partner organisation's id. `seen_owner` is the owner the manager
/// saw, so a concurrent change is refused. Changing the owner needs a rationale.
#[server]
pub async fn confirm_renewal_owner(
    account_id: i64,
    owner: String,
    seen_owner: Option<i64>,
    rationale: String,
) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::{channel, orgs};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let renewal = channel::renewal(&state.db, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let partners = orgs::names(&state.db).await?;
    let new_owner = match owner.trim() {
        "incumbent" | "" => renewal.owner_org_id,
        "direct" => None,
        id => Some(
            id.parse::<i64>()
                .ok()
                .filter(|id| partners.iter().any(|(org, _)| org == id))
                .ok_or_else(|| {
                    AppError::field("owner", "Choose the incumbent, direct sales or a partner.")
                })?,
        ),
    };
    let name_of = |org: Option<i64>| {
        org.and_then(|id| partners.iter().find(|(p, _)| *p == id))
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| "Direct sales".into())
    };
    let rationale = if new_owner == renewal.owner_org_id {
        match rationale.trim() {
            "" => format!("Confirmed {} for the renewal.", name_of(new_owner)),
            given => given.to_string(),
        }
    } else {
        crate::api::channel::checked_rationale(&rationale)?.to_string()
    };
    if rationale.chars().count() > 2000 {
        return Err(AppError::field(
            "rationale",
            "Keep the rationale under 2,000 characters.",
        ));
    }
    if channel::confirm_renewal_owner(
        &state.db,
        account_id,
        seen_owner,
        new_owner,
        (&name_of(renewal.owner_org_id), &name_of(new_owner)),
        &channel::By {
            actor: actor.user.id,
            rationale: &rationale,
            at: state.clock.now_ms(),
        },
    )
    .await?
    {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "The renewal's owner changed after you opened this page. Reload and decide again."
                .into(),
        ))
    }
}
