//! Replies by email on the CRM page (vendor admins): how replies reach the portal, and the
//! newest messages with what became of each; each opens as it arrived.
use crate::api::replies::{load_inbound_mail, load_inbound_original, ReleaseHeldReply};
use crate::components::form::{form_action, form_error, FormError};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::error::AppError;
use crate::model::InboundLog;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn InboundMailSection() -> impl IntoView {
    let log = Resource::new(|| (), |_| load_inbound_mail());
    view! {
        <section class="card" aria-labelledby="inbound-title">
            <h2 id="inbound-title">"Replies by email"</h2>
            {loaded(log, |log| view! { <InboundLogView log/> })}
        </section>
    }
}

#[component]
fn InboundLogView(log: InboundLog) -> impl IntoView {
    let setup = match &log.reply_domain {
        Some(domain) => format!(
            "Emails about a deal carry a reply address at {domain}; point its MX at the portal's reply listener{}. Verified replies appear on the deal and in the CRM timeline.",
            if log.relay_enabled { " or let your relay post them to /inbound/mime" } else { "" }
        ),
        None => "Replies are off: set REPLY_DOMAIN (and the listener or relay token) so emails about a deal or a module carry a reply address.".to_string(),
    };
    if log.messages.is_empty() {
        return view! {
            <p class="hint">{setup}</p>
            <p class="hint">"No replies have arrived yet."</p>
        }
        .into_any();
    }
    let release = ServerAction::<ReleaseHeldReply>::new();
    let rows = log.messages.into_iter().map(|mail| {
        let item = format!("release-{}", mail.id);
        let error = form_error(release, &item);
        // Where the reply belongs: a deal's conversation, or the learner's about a module.
        let place = match (mail.deal_id, mail.path_id, mail.user_id) {
            (Some(deal), _, _) => Some((format!("/deals/{deal}#conversation"), "Open the deal", "On the deal", "Put it on the deal")),
            (None, Some(path), Some(learner)) => Some((
                format!("/learner-questions/{path}/{learner}"),
                "Open the conversation",
                "In the learner's questions",
                "Put it in the learner's questions",
            )),
            _ => None,
        };
        let releasable = mail.verdict == "held" && place.is_some();
        let outcome = match mail.verdict.as_str() {
            "accepted" => place.as_ref().map_or("Accepted", |p| p.2).to_string(),
            "held" => format!("Held: {}", mail.reason),
            _ => format!("Ignored: {}", mail.reason),
        };
        view! {
            <tr>
                <td data-label="Received"><LocalTime ms=mail.received_at/></td>
                <td data-label="From">{mail.from_address}</td>
                <td data-label="Subject">{mail.subject}
                    {(!mail.reply_text.is_empty()).then(|| view! { <span class="hint block">{mail.reply_text}</span> })}</td>
                <td data-label="Outcome">{outcome}
                    {place.clone().map(|(href, open, _, _)| view! { " " <a href=href>{open}</a> })}
                    {place.filter(|_| releasable).map(|(_, _, _, release_label)| view! {
                        <form method="post" action={form_action::<ReleaseHeldReply>(&item)} data-done="The reply is let through.">
                            <FormError error fields=&[]/>
                            <input type="hidden" name="id" value=mail.id.to_string()/>
                            <button type="submit" class="button">{release_label}</button>
                        </form>
                    })}</td>
                <td data-label="Original"><a href=format!("/crm/inbound/{}", mail.id)>{format!("Show original ({} KB)", (mail.raw_size + 1023) / 1024)}</a></td>
            </tr>
        }
    }).collect_view();
    view! {
        <p class="hint">{setup}</p>
        <div class="table-wrap" role="region" aria-label="Inbound mail" tabindex="0">
            <table class="attempts cards">
                <thead><tr><th scope="col">"Received"</th><th scope="col">"From"</th><th scope="col">"Subject and reply"</th><th scope="col">"Outcome"</th><th scope="col">"Original"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// One inbound message exactly as it arrived, as plain text.
#[component]
pub fn InboundOriginalPage() -> impl IntoView {
    use leptos_router::hooks::use_params_map;
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok());
    let original = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => load_inbound_original(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Original message"/>
        <section class="page" aria-labelledby="original-title">
            <h1 id="original-title">"Original message"</h1>
            <p><a href="/crm#inbound-title">"Back to the CRM page"</a></p>
            {loaded(original, |raw| view! { <pre class="raw-mail" tabindex="0" aria-label="The message as received">{raw}</pre> })}
        </section>
    }
}
