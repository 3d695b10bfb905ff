//! The conversation on a deal: the partner's email replies and the channel team's answers,
//! in order, with the answer form for staff (a plain post that works before hydration). The
//! message list is shared with learners' conversations about modules.
use crate::api::replies::{load_deal_conversation, AnswerPartnerReply};
use crate::components::form::{form_action, form_error, FormError, TextField};
use crate::components::time::LocalTime;
use crate::error::AppError;
use crate::model::{DealConversation, DealMessage};
use leptos::prelude::*;

#[component]
pub fn DealConversationSection(deal_id: i64, partner_view: bool) -> impl IntoView {
    let conversation = Resource::new(move || deal_id, load_deal_conversation);
    let answer = ServerAction::<AnswerPartnerReply>::new();
    view! {
        <section id="conversation" class="conversation" aria-labelledby="conversation-title">
            <h2 id="conversation-title">"Conversation"</h2>
            <Suspense fallback=|| view! { <p class="hint">"Loading the conversation…"</p> }>
                {move || conversation.get().map(|loaded| match loaded {
                    Ok(conversation) => view! { <Messages conversation partner_view answer/> }.into_any(),
                    // The deal's history above says why the deal cannot be shown.
                    Err(_) => ().into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Messages(
    conversation: DealConversation,
    partner_view: bool,
    answer: ServerAction<AnswerPartnerReply>,
) -> impl IntoView {
    let empty = if partner_view {
        "Answer any email the portal sends you about this deal, and your reply appears here for the channel team."
    } else {
        "When the partner answers an email about this deal, the reply appears here and in the CRM."
    };
    let item = format!("answer-{}", conversation.deal_id);
    let error = form_error(answer, &item);
    let answer_form = conversation.answer_to.map(|to| {
        view! {
            <AnswerForm action={form_action::<AnswerPartnerReply>(&item)} item=item.clone() error to
                label="Answer the partner" hidden={vec![("deal_id", conversation.deal_id.to_string())]}/>
        }
    });
    view! {
        <MessageList messages=conversation.messages empty/>
        {answer_form}
    }
}

/// A conversation's messages, oldest first, or what to expect while there are none.
#[component]
pub fn MessageList(messages: Vec<DealMessage>, empty: &'static str) -> impl IntoView {
    if messages.is_empty() {
        return view! { <p class="hint">{empty}</p> }.into_any();
    }
    view! {
        <ol class="messages">
            {messages.into_iter().map(|message| {
                let class = if message.from_partner { "message from-partner" } else { "message from-staff" };
                let how = if message.from_partner { "replied by email" } else { "answered" };
                view! {
                    <li class=class>
                        <p class="meta"><strong>{message.author}</strong> " " {how} " · " <LocalTime ms=message.at/></p>
                        <p class="message-body">{message.body}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// The form a staff member answers a partner's latest reply with (a plain post): the text,
/// who it is emailed to, and the `hidden` fields that name the conversation.
#[component]
pub fn AnswerForm(
    action: String,
    item: String,
    error: Signal<Option<AppError>>,
    to: String,
    label: &'static str,
    hidden: Vec<(&'static str, String)>,
) -> impl IntoView {
    view! {
        <form class="answer-form" method="post" action=action novalidate=true data-done="Answer sent.">
            <FormError error form=item.clone() fields=&["body"]/>
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
            <TextField form=item label=label name="body" rows=4 error/>
            <p class="hint">"Emailed to " {to} " in the same thread, and kept here."</p>
            <button type="submit" class="button primary">"Send answer"</button>
        </form>
    }
}
