use crate::api::auth::{Logout, LogoutEverywhere};
use crate::api::notifications::{
    load_notification_settings, SaveNotificationPreferences, SaveSlackWebhook,
};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, last_error, ticked_before, typed_before, FormError, SubmitButton,
};
use crate::components::load::{ErrorView, Loading};
use crate::components::session::use_session;
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
        <EnhancedForm>
            {crate::components::load::loaded(settings, |settings| view! { <NotificationForms settings/> })}
        </EnhancedForm>
    }
}

/// The email choices as checkboxes in a plain post: each checked one is posted as
/// `enabled[i]`; what is not posted is turned off.
#[component]
fn NotificationForms(settings: NotificationSettings) -> impl IntoView {
    let save = ServerAction::<SaveNotificationPreferences>::new();
    let error = last_error(save.value());
    view! {
        <form class="card notification-preferences" method="post" action={form_action::<SaveNotificationPreferences>("notify")}
            data-done="Email choices saved.">
            <FormError error fields=&[]/>
            <fieldset>
                <legend>"Email me about"</legend>
                {settings.choices.into_iter().enumerate().map(|(index, (event, on))| {
                    let id = format!("notify-{}", event.as_str());
                    let name = format!("enabled[{index}]");
                    // Posted with serde's name for the event, which the server decodes.
                    let checked = ticked_before("notify", &name, event.serde_name()).unwrap_or(on);
                    view! {
                        <div class="field checkbox">
                            <input type="checkbox" id=id.clone() name=name value=event.serde_name() checked=checked/>
                            <label for=id>{event.label()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <p class="hint">"Sign-in links always arrive."</p>
            <button type="submit" class="button primary">"Save email choices"</button>
        </form>
        {settings.slack_webhook.map(|saved| view! { <SlackWebhookForm saved/> })}
    }
    .into_any()
}

#[component]
fn SlackWebhookForm(
    /// The saved webhook's last characters (empty: none saved).
    saved: String,
) -> impl IntoView {
    let save = ServerAction::<SaveSlackWebhook>::new();
    let error = last_error(save.value());
    let message = crate::components::form::field_signal(error, "slack_webhook");
    view! {
        <form class="card" method="post" action={form_action::<SaveSlackWebhook>("slack")} novalidate=true data-done="Slack webhook saved.">
            <FormError error form="slack" fields=&["slack_webhook"]/>
            <div class="field" class:invalid=move || message().is_some()>
                <label for="slack-slack_webhook">"Program Slack channel (incoming webhook URL)"</label>
                <p class="hint" id="slack-webhook-hint">"New modules, tier changes and approval SLA breaches are posted there. "{
                    if saved.is_empty() {
                        "Leave empty for no Slack.".to_string()
                    } else {
                        format!("A webhook ending {saved} is saved (stored encrypted, never shown again). Paste a new address to replace it, or save empty to stop posting to Slack.")
                    }
                }</p>
                <input id="slack-slack_webhook" name="url" inputmode="url" autocomplete="off" value=typed_before("slack", "url").unwrap_or_default()
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby="slack-webhook-hint slack-webhook-error"/>
                <p class="field-error" id="slack-webhook-error" data-field="slack_webhook" aria-live="polite">{message}</p>
            </div>
            <button type="submit" class="button primary">"Save Slack webhook"</button>
        </form>
    }
    .into_any()
}
