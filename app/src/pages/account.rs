use crate::api::auth::{Logout, LogoutEverywhere};
use crate::api::notifications::{
    load_notification_settings, SaveNotificationPreferences, SaveSlackWebhook,
};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{last_error, FormError, SubmitButton};
use crate::components::load::{ErrorView, Loading};
use crate::components::session::use_session;
use crate::domain::notifications::Event;
use crate::error::AppError;
use crate::model::NotificationSettings;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    // Created here, outside the session's Suspense, so server and browser agree on it.
    let settings = Resource::new(|| (), |_| load_notification_settings());
    let logout = ServerAction::<Logout>::new();
    let logout_all = ServerAction::<LogoutEverywhere>::new();
    let error = Signal::derive(move || {
        last_error(logout.value())
            .get()
            .or_else(|| last_error(logout_all.value()).get())
    });
    view! {
        <Title text="Account"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || session.user.get().map(|result| match result {
                Ok(Some(user)) => view! {
                    <section class="page narrow" aria-labelledby="account-title">
                        <h1 id="account-title">"Your account"</h1>
                        <div class="card">
                            <dl class="facts">
                                <div><dt>"Name"</dt><dd>{user.display_name.clone()}</dd></div>
                                <div><dt>"Email"</dt><dd>{user.email.clone()}</dd></div>
                                <div><dt>"Role"</dt><dd>{user.role.label()}</dd></div>
                                {user.partner_org_name.clone().map(|org| view! { <div><dt>"Organisation"</dt><dd>{org}</dd></div> })}
                                {user.job_role.map(|job| view! { <div><dt>"Job role"</dt><dd>{job.label()}</dd></div> })}
                            </dl>
                        </div>
                        <NotificationPreferences settings/>
                        <div class="card actions">
                            <FormError error fields=&[]/>
                            <EnhancedForm>
                                <ActionForm action=logout>
                                    <SubmitButton label="Sign out" busy_label="Signing out…" pending=logout.pending()/>
                                </ActionForm>
                                <ActionForm action=logout_all>
                                    <p class="hint">"Lost a phone or used a shared computer? End every session of this account."</p>
                                    <SubmitButton label="Sign out everywhere" busy_label="Signing out…" pending=logout_all.pending() class="button danger"/>
                                </ActionForm>
                            </EnhancedForm>
                        </div>
                    </section>
                }.into_any(),
                Ok(None) => view! { <ErrorView error=AppError::Unauthenticated/> }.into_any(),
                Err(error) => view! { <ErrorView error/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Which events reach the person by email, and (admins) the program's Slack webhook.
#[component]
fn NotificationPreferences(
    settings: Resource<Result<NotificationSettings, AppError>>,
) -> impl IntoView {
    view! {
        {crate::components::load::loaded(settings, |settings| view! { <NotificationForms settings/> })}
    }
}

/// An island (staff bundle): the choices are live checkboxes saved as JSON.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn NotificationForms(settings: NotificationSettings) -> impl IntoView {
    let save = ServerAction::<SaveNotificationPreferences>::new();
    let error = last_error(save.value());
    let choices: Vec<(Event, RwSignal<bool>)> = settings
        .choices
        .iter()
        .map(|(event, on)| (*event, RwSignal::new(*on)))
        .collect();
    let chosen = choices.clone();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveNotificationPreferences {
            enabled: chosen
                .iter()
                .filter(|(_, on)| on.get_untracked())
                .map(|(event, _)| *event)
                .collect(),
        });
    };
    view! {
        <form class="card notification-preferences" on:submit=submit>
            <fieldset>
                <legend>"Email me about"</legend>
                {choices.into_iter().map(|(event, on)| {
                    let id = format!("notify-{}", event.as_str());
                    let label_for = id.clone();
                    view! {
                        <div class="field checkbox">
                            <input type="checkbox" id=id bind:checked=on/>
                            <label for=label_for>{event.label()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <p class="hint">"Sign-in links always arrive."</p>
            <FormError error fields=&[]/>
            <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save email choices"</button>
            <p class="success" role="status">{move || save.value().get().is_some_and(|r| r.is_ok()).then_some("Saved.")}</p>
        </form>
        {settings.slack_webhook.map(|url| view! { <SlackWebhookForm url/> })}
    }
    .into_any()
}

#[component]
fn SlackWebhookForm(url: String) -> impl IntoView {
    let save = ServerAction::<SaveSlackWebhook>::new();
    let error = last_error(save.value());
    let url = RwSignal::new(url);
    let message = crate::components::form::field_signal(error, "slack_webhook");
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveSlackWebhook {
            url: url.get_untracked(),
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <div class="field" class:invalid=move || message().is_some()>
                <label for="slack-webhook">"Program Slack channel (incoming webhook URL)"</label>
                <p class="hint" id="slack-webhook-hint">"New modules, tier changes and approval SLA breaches are posted there. Leave empty for no Slack."</p>
                <input id="slack-webhook" inputmode="url" autocomplete="off" bind:value=url aria-describedby="slack-webhook-hint slack-webhook-error"/>
                <p class="field-error" id="slack-webhook-error" aria-live="polite">{message}</p>
            </div>
            <FormError error fields=&["slack_webhook"]/>
            <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save Slack webhook"</button>
            <p class="success" role="status">{move || save.value().get().is_some_and(|r| r.is_ok()).then_some("Saved.")}</p>
        </form>
    }
    .into_any()
}
