//! Partner replies by email on a deal: the conversation (staff and the deal's own
//! organisation), a manager's answer (emailed in the same thread), and the inbound-mail log
//! with each message as it arrived (vendor admins).
use crate::error::AppError;
use crate::model::{DealConversation, InboundLog};
use leptos::prelude::*;

/// Longest answer a manager may send.
pub const MAX_ANSWER_CHARS: usize = 5_000;

/// A deal's conversation: vendor staff, or the deal's own organisation.
#[server]
pub async fn load_deal_conversation(deal_id: i64) -> Result<DealConversation, AppError> {
    use crate::domain::access::Policy;
    use crate::model::DealMessage;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::replies;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    crate::api::channel::visible_deal(&state, &actor, deal_id).await?;
    let messages = replies::messages(&state.db, deal_id)
        .await?
        .into_iter()
        .map(|row| DealMessage {
            id: row.id,
            at: row.at,
            author: row.author.unwrap_or_else(|| "Former user".into()),
            from_partner: row.from_partner == 1,
            body: row.body,
        })
        .collect();
    let answer_to = if actor.user.role.is_vendor_staff() {
        replies::last_reply(&state.db, deal_id).await?.map(|last| {
            match last
                .person
                .or(Some(last.from_name))
                .filter(|n| !n.trim().is_empty())
            {
                Some(name) => format!("{name} <{}>", last.from_address),
                None => last.from_address,
            }
        })
    } else {
        None
    };
    Ok(DealConversation {
        deal_id,
        messages,
        answer_to,
    })
}

/// A manager's answer to the partner's latest reply on a deal: kept in the conversation
/// and emailed to the partner in the same thread (their mail client shows it under their
/// reply). Plain form post; the page comes back to the conversation.
#[server]
pub async fn answer_partner_reply(deal_id: i64, body: String) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    use crate::server::repo::{channel, replies};
    let actor = authorize(Policy::VendorStaff).await?;
    let state = app_state()?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_ANSWER_CHARS {
        return Err(AppError::field(
            "body",
            format!("Write an answer of up to {MAX_ANSWER_CHARS} characters."),
        ));
    }
    let deal = channel::deal(&state.db, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let last = replies::last_reply(&state.db, deal_id)
        .await?
        .ok_or_else(|| {
            AppError::Conflict("The partner has not replied on this deal yet.".into())
        })?;
    let link = match last.user_id {
        Some(user_id) => {
            crate::server::links::place_link(
                &state,
                user_id,
                &crate::server::links::deal_place(deal_id),
            )
            .await?
        }
        None => format!("{}/deals/{deal_id}", state.settings.public_base_url),
    };
    let email_body = format!(
        "Hello {},\n\n{} answered your reply about {}:\n\n{body}\n\nOpen the deal ({}):\n\n{link}\n",
        last.person.as_deref().unwrap_or(&last.from_name),
        actor.user.display_name,
        deal.account_name,
        crate::server::links::link_terms(&state),
    );
    let subject = crate::domain::replies::reply_subject(&last.subject);
    let id = replies::answer(
        &state.db,
        &replies::Answer {
            thread: &crate::server::mail::thread(&state, deal_id),
            author_user_id: actor.user.id,
            body,
            to: &last.from_address,
            subject: &subject,
            email_body: &email_body,
            in_reply_to: last.message_id.as_deref(),
            references: last
                .notification_message_id
                .as_deref()
                .map(|id| format!("<{id}>"))
                .as_deref(),
        },
        state.clock.now_ms(),
    )
    .await?;
    state.mailer.wake();
    redirect_form_post(&format!("/deals/{deal_id}#conversation"));
    Ok(id)
}

/// The newest inbound messages, with what became of each (vendor admins).
#[server]
pub async fn load_inbound_mail() -> Result<InboundLog, AppError> {
    use crate::domain::access::Policy;
    use crate::model::InboundMail;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let messages = crate::server::repo::replies::inbound_log(&state.db, 100)
        .await?
        .into_iter()
        .map(|row| InboundMail {
            id: row.id,
            received_at: row.received_at,
            via: row.via,
            from_address: row.from_address,
            subject: row.subject,
            deal_id: row.deal_id,
            verdict: row.verdict,
            reason: row.reason,
            reply_text: row.reply_text,
            raw_size: row.raw_size,
        })
        .collect();
    Ok(InboundLog {
        reply_domain: state.settings.reply_domain.clone(),
        relay_enabled: state.settings.inbound_mail_token.is_some(),
        messages,
    })
}

/// One inbound message exactly as it arrived ("show original"; vendor admins).
#[server]
pub async fn load_inbound_original(id: i64) -> Result<String, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize};
    authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    crate::server::repo::replies::original(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Lets a held reply through onto its deal and to the CRM (vendor admins), e.g. a
/// colleague's answer to a forwarded email. Plain form post; back to the log.
#[server]
pub async fn release_held_reply(id: i64) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    let deal_id = crate::server::repo::replies::release_held(
        &state.db,
        id,
        (actor.user.id, &actor.user.display_name),
        state.clock.now_ms(),
    )
    .await?
    .ok_or_else(|| AppError::Conflict("This message is not a held reply on a deal.".into()))?;
    state.crm_wake.notify_one();
    redirect_form_post("/crm?released=1#inbound-title");
    Ok(deal_id)
}
