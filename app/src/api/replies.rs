//! Partner replies by email on a deal: the conversation (staff and the deal's own
//! organisation), a manager's answer (emailed in the same thread), and the inbound-mail log
//! with each message as it arrived (vendor admins). The helpers that answer are shared with
//! learners' conversations about modules (`learner_questions`).
use crate::error::AppError;
use crate::model::{DealConversation, InboundLog};
use leptos::prelude::*;

/// Longest answer a manager may send.
pub const MAX_ANSWER_CHARS: usize = 5_000;

/// A deal's conversation: vendor staff, or the deal's own organisation.
#[server]
pub async fn load_deal_conversation(deal_id: i64) -> Result<DealConversation, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize_scoped};
    use crate::server::repo::replies;
    let actor = authorize_scoped(Policy::SignedIn).await?;
    let state = app_state()?;
    crate::api::channel::visible_deal(&state, &actor, deal_id).await?;
    let conversation = replies::Conversation::Deal(deal_id);
    let messages = conversation_messages(&state, conversation).await?;
    let answer_to = if actor.user.role.is_vendor_staff() {
        answer_target(&state, conversation).await?
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
    let body = checked_answer(&body)?;
    let deal = channel::deal(&state.db, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = send_answer(
        &state,
        &actor,
        replies::Conversation::Deal(deal_id),
        &format!("your reply about {}", deal.account_name),
        body,
    )
    .await?;
    redirect_form_post(&format!("/deals/{deal_id}#conversation"));
    Ok(id)
}

/// An answer's text, trimmed, or the field error that says what fits.
#[cfg(feature = "ssr")]
pub(crate) fn checked_answer(body: &str) -> Result<&str, AppError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_ANSWER_CHARS {
        return Err(AppError::field(
            "body",
            format!("Write an answer of up to {MAX_ANSWER_CHARS} characters."),
        ));
    }
    Ok(body)
}

/// A conversation's messages as the pages show them.
#[cfg(feature = "ssr")]
pub(crate) async fn conversation_messages(
    state: &crate::server::AppState,
    conversation: crate::server::repo::replies::Conversation,
) -> Result<Vec<crate::model::DealMessage>, AppError> {
    Ok(
        crate::server::repo::replies::messages(&state.db, conversation)
            .await?
            .into_iter()
            .map(|row| crate::model::DealMessage {
                id: row.id,
                at: row.at,
                author: row.author.unwrap_or_else(|| "Former user".into()),
                from_partner: row.from_partner == 1,
                body: row.body,
            })
            .collect(),
    )
}

/// Who a staff answer in a conversation goes to ("Name <address>"), once the partner has
/// replied in it.
#[cfg(feature = "ssr")]
pub(crate) async fn answer_target(
    state: &crate::server::AppState,
    conversation: crate::server::repo::replies::Conversation,
) -> Result<Option<String>, AppError> {
    let last = crate::server::repo::replies::last_reply(&state.db, conversation).await?;
    Ok(last.map(|last| {
        match last
            .person
            .or(Some(last.from_name))
            .filter(|n| !n.trim().is_empty())
        {
            Some(name) => format!("{name} <{}>", last.from_address),
            None => last.from_address,
        }
    }))
}

/// A staff answer to the partner's latest reply in a conversation: kept there and emailed
/// to the partner in the same thread (their mail client shows it under their reply), with a
/// link that opens the conversation for them. `about` ends "… answered <about>:".
#[cfg(feature = "ssr")]
pub(crate) async fn send_answer(
    state: &crate::server::AppState,
    actor: &crate::server::guard::Actor,
    conversation: crate::server::repo::replies::Conversation,
    about: &str,
    body: &str,
) -> Result<i64, AppError> {
    use crate::domain::replies::ReplyTopic;
    use crate::server::repo::replies::{self, Conversation};
    let last = replies::last_reply(&state.db, conversation)
        .await?
        .ok_or_else(|| AppError::Conflict("The partner has not replied here yet.".into()))?;
    let (topic, place, what) = match conversation {
        Conversation::Deal(deal_id) => (
            ReplyTopic::Deal(deal_id),
            crate::server::links::deal_place(deal_id),
            "Open the deal",
        ),
        Conversation::Module { path_id, .. } => (
            ReplyTopic::Module(path_id),
            crate::server::links::path_place(path_id),
            "Open the module",
        ),
    };
    let link = match last.user_id {
        Some(user_id) => crate::server::links::place_link(state, user_id, &place).await?,
        None => format!("{}{place}", state.settings.public_base_url),
    };
    let email_body = format!(
        "Hello {},\n\n{} answered {about}:\n\n{body}\n\n{what} ({}):\n\n{link}\n",
        last.person.as_deref().unwrap_or(&last.from_name),
        actor.user.display_name,
        crate::server::links::link_terms(state),
    );
    let subject = crate::domain::replies::reply_subject(&last.subject);
    let id = replies::answer(
        &state.db,
        &replies::Answer {
            conversation,
            thread: &crate::server::mail::thread(state, topic),
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
            path_id: row.path_id,
            user_id: row.user_id,
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

/// Lets a held reply through into its conversation (a deal's or a module's) and to the CRM
/// (vendor admins), e.g. a colleague's answer to a forwarded email. Plain form post; back to
/// the log. Returns the message let through.
#[server]
pub async fn release_held_reply(id: i64) -> Result<i64, AppError> {
    use crate::domain::access::Policy;
    use crate::server::guard::{app_state, authorize, redirect_form_post};
    let actor = authorize(Policy::VendorAdmin).await?;
    let state = app_state()?;
    crate::server::repo::replies::release_held(
        &state.db,
        id,
        (actor.user.id, &actor.user.display_name),
        state.clock.now_ms(),
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict("This message is not a held reply to a deal or module email.".into())
    })?;
    state.crm_wake.notify_one();
    redirect_form_post("/crm?released=1#inbound-title");
    Ok(id)
}
