//! What people are told when a registration moves: managers when one waits for review or is
//! appealed, the deal's people when it is decided or an appeal is resolved. Partner emails
//! carry a link that opens that deal, and nothing else, without a sign-in.
use super::links::{deal_place, place_link};
use super::repo::channel::{self, DealRow};
use super::repo::outbox::Notice;
use super::repo::users;
use super::AppState;
use crate::domain::channel::deals::RegistrationStatus;
use crate::domain::channel::explain::protection_date;
use crate::domain::notifications::Event;
use crate::model::StaffMember;

fn partner_of(deal: &DealRow) -> &str {
    deal.partner_name.as_deref().unwrap_or("Direct sales")
}

/// The same news for each of `managers`, pointing at the review queue; `message` ends by
/// saying what to do there.
fn manager_notices(
    state: &AppState,
    managers: &[StaffMember],
    event: Event,
    subject: &str,
    message: &str,
) -> Vec<Notice> {
    let queue = format!("{}/deals/queue", state.settings.public_base_url);
    managers
        .iter()
        .map(|manager| Notice {
            event,
            to: manager.email.clone(),
            subject: subject.to_string(),
            body: format!("Hello {},\n\n{message}\n\n{queue}\n", manager.display_name),
            thread: None,
        })
        .collect()
}

/// The same news for every active partner manager and vendor admin.
async fn to_managers(
    state: &AppState,
    event: Event,
    subject: &str,
    message: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let managers = users::vendor_staff(&state.db.read).await?;
    Ok(manager_notices(
        state,
        &managers,
        event,
        subject,
        &format!("{message}\n\nReview it here:"),
    ))
}

/// A registration past its approval SLA, for `managers` (read once per clock run).
pub fn sla_breached(
    state: &AppState,
    managers: &[StaffMember],
    account_name: &str,
    partner_name: &str,
    sla_hours: i64,
) -> Vec<Notice> {
    manager_notices(
        state,
        managers,
        Event::SlaBreached,
        &format!("Approval SLA breached: {account_name} ({partner_name})"),
        &format!(
            "The registration of {account_name} by {partner_name} has waited longer than the \
             {sla_hours}-hour approval SLA. Please decide it now:"
        ),
    )
}

/// The same news for each of a deal's people (its owner, and `also` if given), each with
/// their own link into the deal.
async fn to_deal_people(
    state: &AppState,
    (deal_id, also): (i64, Option<i64>),
    event: Event,
    subject: &str,
    message: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let contacts = channel::deal_contacts(&state.db, deal_id, also).await?;
    let place = deal_place(deal_id);
    let terms = super::links::link_terms(state);
    let mut notices = Vec::with_capacity(contacts.len());
    for contact in contacts {
        let link = place_link(state, contact.user_id, &place).await?;
        notices.push(Notice {
            event,
            to: contact.email,
            subject: subject.to_string(),
            body: format!(
                "Hello {},\n\n{message}\n\nOpen the deal directly ({terms}):\n\n{link}\n",
                contact.name
            ),
            thread: Some(super::mail::thread(
                state,
                crate::domain::replies::ReplyTopic::Deal(deal_id),
            )),
        });
    }
    Ok(notices)
}

/// A registration the conflict engine could not approve on its own.
pub async fn submitted_for_review(
    state: &AppState,
    account_name: &str,
    partner_name: &str,
    sla_hours: i64,
) -> Result<Vec<Notice>, sqlx::Error> {
    let subject = format!("Registration to review: {account_name} ({partner_name})");
    let message = format!(
        "{partner_name} registered {account_name} and it needs a decision: the customer is \
         contested or already claimed. Decide within the {sla_hours}-hour approval SLA."
    );
    to_managers(state, Event::RegistrationSubmitted, &subject, &message).await
}

/// A manager's decision, for the deal's owner.
pub async fn decided(
    state: &AppState,
    deal: &DealRow,
    to: RegistrationStatus,
    protected_until: Option<i64>,
    rationale: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let account = &deal.account_name;
    let (subject, message) = match (to, protected_until) {
        (RegistrationStatus::Approved, Some(until)) => (
            format!(
                "Approved: {account} is protected until {}",
                protection_date(until)
            ),
            format!(
                "Your registration of {account} was approved. It is protected until {}.\n\n\
                 Reason: {rationale}",
                protection_date(until)
            ),
        ),
        (RegistrationStatus::Declined, _) => (
            format!("Declined: your registration of {account}"),
            format!(
                "Your registration of {account} was declined.\n\nReason: {rationale}\n\nIf you \
                 can show the customer is yours, appeal from the deal page."
            ),
        ),
        _ => (
            format!("More information needed: {account}"),
            format!(
                "Your partner manager needs more before deciding on {account}:\n\n{rationale}\n\n\
                 Add it to the deal (proof of work, next step) and they will see it in their queue."
            ),
        ),
    };
    to_deal_people(
        state,
        (deal.id, None),
        Event::RegistrationDecided,
        &subject,
        &message,
    )
    .await
}

/// A partner answered a manager's request for more information: the registration is back
/// in the review queue.
pub async fn info_answered(state: &AppState, deal: &DealRow) -> Result<Vec<Notice>, sqlx::Error> {
    let subject = format!(
        "Answer to review: {} ({})",
        deal.account_name,
        partner_of(deal)
    );
    let message = format!(
        "{} answered your request for more information on {}. The deal's history shows what \
         changed; the registration is back in the queue for a decision.",
        partner_of(deal),
        deal.account_name
    );
    to_managers(state, Event::RegistrationSubmitted, &subject, &message).await
}

/// A partner contests a decline.
pub async fn appeal_filed(state: &AppState, deal: &DealRow) -> Result<Vec<Notice>, sqlx::Error> {
    let subject = format!("Appeal filed: {} ({})", deal.account_name, partner_of(deal));
    let message = format!(
        "{} appealed the decline of their registration of {}, with evidence.",
        partner_of(deal),
        deal.account_name
    );
    to_managers(state, Event::AppealFiled, &subject, &message).await
}

/// The outcome of an appeal, for the deal's owner and whoever filed it.
pub async fn appeal_resolved(
    state: &AppState,
    deal: &DealRow,
    appellant: i64,
    upheld: Option<i64>,
    rationale: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let account = &deal.account_name;
    let (subject, message) = match upheld {
        Some(until) => (
            format!("Appeal upheld: {account} is yours"),
            format!(
                "Your appeal about {account} was upheld. The registration is approved and protected \
                 until {}.\n\nReason: {rationale}",
                protection_date(until)
            ),
        ),
        None => (
            format!("Appeal rejected: {account}"),
            format!("Your appeal about {account} was rejected.\n\nReason: {rationale}"),
        ),
    };
    to_deal_people(
        state,
        (deal.id, Some(appellant)),
        Event::AppealResolved,
        &subject,
        &message,
    )
    .await
}

/// Another partner's appeal was upheld on the same customer, so this deal lost its
/// protection.
pub async fn protection_transferred(
    state: &AppState,
    deal_id: i64,
    rationale: &str,
) -> Result<Vec<Notice>, sqlx::Error> {
    let Some(deal) = channel::deal(&state.db, deal_id).await? else {
        return Ok(Vec::new());
    };
    let subject = format!("Protection of {} transferred on appeal", deal.account_name);
    let message = format!(
        "An appeal about {} was upheld in another party's favour, so your registration's \
         protection has ended.\n\nReason: {rationale}",
        deal.account_name
    );
    to_deal_people(
        state,
        (deal.id, None),
        Event::AppealResolved,
        &subject,
        &message,
    )
    .await
}

/// A reminder that a protection ends soon, for the deal's owner.
pub async fn protection_ending(
    state: &AppState,
    deal_id: i64,
    account_name: &str,
    until: i64,
) -> Result<Vec<Notice>, sqlx::Error> {
    let date = protection_date(until);
    let subject = format!("Protection of {account_name} ends {date}");
    let message = format!(
        "Your registration of {account_name} is protected until {date}. If the deal is still \
         active, log your latest activity and request an extension."
    );
    to_deal_people(
        state,
        (deal_id, None),
        Event::ProtectionExpiring,
        &subject,
        &message,
    )
    .await
}
