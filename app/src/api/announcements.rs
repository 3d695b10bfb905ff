//! Announcements: vendor staff publish to an audience; partners read and acknowledge;
//! managers see read receipts and who has not acknowledged.
use crate::domain::announcements::AnnouncementForm;
use crate::error::AppError;
use crate::model::{AnnouncementReport, AnnouncementView};
use leptos::prelude::*;

/// Publishes an announcement and delivers it to everyone in its audience now. Returns its id.
#[server]
pub async fn publish_announcement(form: AnnouncementForm) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::announcements::validate;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::announcements;
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let valid = validate(&form).map_err(AppError::Validation)?;
    let recipients: Vec<i64> = announcements::recipients(&state.db)
        .await?
        .into_iter()
        .filter(|r| r.is_in(&valid.audience))
        .map(|r| r.user_id)
        .collect();
    let id = announcements::publish(
        &state.db,
        &valid,
        actor.user.id,
        &recipients,
        state.clock.now_ms(),
    )
    .await?;
    // A fresh page, not a reload: a reload would put the published text back in the form.
    crate::server::guard::redirect_form_post(&format!("/announcements/manage?published={id}"));
    Ok(id)
}

/// The announcements addressed to the signed-in partner, newest first. Someone who joined
/// an audience after publishing receives it now.
#[server]
pub async fn load_my_announcements() -> Result<Vec<AnnouncementView>, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::links::ANNOUNCEMENTS_PLACE;
    use crate::server::markdown::render_markdown;
    use crate::server::repo::announcements;
    // The reminder email's link opens this page (and only this page) without a sign-in.
    let actor = authorize_scoped(Policy::PartnerUser).await?;
    actor.require_place(ANNOUNCEMENTS_PLACE)?;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let me = announcements::recipient(&state.db, actor.user.id)
        .await?
        .ok_or(AppError::Forbidden)?;
    let receipts = announcements::receipts_of_user(&state.db, me.user_id).await?;
    let mut views = Vec::new();
    for row in announcements::all(&state.db).await? {
        let receipt = receipts.iter().find(|r| r.announcement_id == row.id);
        if receipt.is_none() {
            if !row.audience().is_some_and(|audience| me.is_in(&audience)) {
                continue;
            }
            // Delivered just now: nothing is opened or acknowledged yet.
            announcements::deliver(&state.db, row.id, me.user_id, now).await?;
        }
        views.push(AnnouncementView {
            announcement_id: row.id,
            body_html: render_markdown(&row.body_markdown),
            title: row.title,
            published_at: row.published_at,
            requires_ack: row.requires_ack == 1,
            opened_at: receipt.and_then(|r| r.opened_at),
            acknowledged_at: receipt.and_then(|r| r.acknowledged_at),
        });
    }
    Ok(views)
}

/// Records the caller's opening or acknowledgment of an announcement addressed to them.
#[cfg(feature = "ssr")]
async fn record_receipt(announcement_id: i64, acknowledged: bool) -> Result<(), AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::links::ANNOUNCEMENTS_PLACE;
    use crate::server::repo::announcements;
    let actor = authorize_scoped(Policy::PartnerUser).await?;
    actor.require_place(ANNOUNCEMENTS_PLACE)?;
    let state = app_state()?;
    if announcements::record_receipt(
        &state.db,
        announcement_id,
        actor.user.id,
        acknowledged,
        state.clock.now_ms(),
    )
    .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Records that the partner opened an announcement (the first time counts).
#[server]
pub async fn open_announcement(announcement_id: i64) -> Result<(), AppError> {
    record_receipt(announcement_id, false).await
}

/// Acknowledges an announcement (the first time counts).
#[server]
pub async fn acknowledge_announcement(announcement_id: i64) -> Result<(), AppError> {
    record_receipt(announcement_id, true).await
}

/// Read receipts of every announcement, newest first, with who has not acknowledged and
/// whether a policy change has met silence.
#[server]
pub async fn load_announcement_reports() -> Result<Vec<AnnouncementReport>, AppError> {
    use crate::domain::access::Policy;
    use crate::domain::announcements::met_silence;
    use crate::model::WaitingPerson;
    use crate::server::guard::{app_state, authorize};
    use crate::server::repo::announcements;
    authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let now = state.clock.now_ms();
    let people = announcements::recipients(&state.db).await?;
    let receipts = announcements::receipts(&state.db).await?;
    Ok(announcements::all(&state.db)
        .await?
        .into_iter()
        .map(|row| {
            let mine: Vec<_> = receipts
                .iter()
                .filter(|r| r.announcement_id == row.id)
                .collect();
            let count = |f: &dyn Fn(&&announcements::ReceiptRow) -> bool| {
                mine.iter().filter(|r| f(r)).count() as i64
            };
            let delivered = mine.len() as i64;
            let opened = count(&|r| r.opened_at.is_some());
            let acknowledged = count(&|r| r.acknowledged_at.is_some());
            let requires_ack = row.requires_ack == 1;
            let waiting = if requires_ack {
                mine.iter()
                    .filter(|r| r.acknowledged_at.is_none())
                    .filter_map(|r| {
                        let person = people.iter().find(|p| p.user_id == r.user_id)?;
                        Some(WaitingPerson {
                            name: person.name.clone(),
                            org_name: person.org_name.clone(),
                            delivered_at: r.delivered_at,
                            opened_at: r.opened_at,
                            reminded_at: r.reminded_at,
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            AnnouncementReport {
                announcement_id: row.id,
                silence: met_silence(requires_ack, row.published_at, delivered, acknowledged, now),
                title: row.title,
                published_at: row.published_at,
                requires_ack,
                delivered,
                opened,
                acknowledged,
                waiting,
            }
        })
        .collect())
}
