//! HubSpot through OAuth on the CRM page: the form that sends an admin to HubSpot's consent
//! screen with the vendor's own app, and `/crm/hubspot/authorised`, where HubSpot sends
//! them back and one press finishes connecting.
use crate::api::hubspot_oauth::{FinishHubspotOauth, StartHubspotOauth};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{form_action, form_error, FormError, TextField};
use crate::domain::hubspot_oauth::{callback_value, SCOPES};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OAuthForm(
    redirect_uri: String,
    reconnect: bool,
    client_id: String,
    pipeline: String,
    stage: String,
) -> impl IntoView {
    let action = ServerAction::<StartHubspotOauth>::new();
    let error = form_error(action, "oauth-start");
    let title = if reconnect {
        "Connect with HubSpot again"
    } else {
        "Or connect with your own HubSpot app (OAuth)"
    };
    view! {
        <form class="card settings-form" id="hubspot-oauth" method="post" action={form_action::<StartHubspotOauth>("oauth-start")} novalidate=true aria-labelledby="oauth-start-title">
            <h2 id="oauth-start-title">{title}</h2>
            <FormError error form="oauth-start" fields=&["client_id", "client_secret", "pipeline", "stage"]/>
            <ol class="steps">
                <li><p>"In your HubSpot developer account, create an app (or open the one you use) and, on its Auth tab, add this redirect URL:"</p>
                    <p><code class="wrap">{redirect_uri}</code></p></li>
                <li><p>"Give it these scopes: " <code class="wrap">{SCOPES.join(" ")}</code></p></li>
                <li><p>"Copy its client ID and client secret here. HubSpot then asks you to choose the account and approve; the portal renews its access by itself from then on."</p></li>
            </ol>
            <TextField form="oauth-start" label="Client ID" name="client_id" value=client_id error/>
            <TextField form="oauth-start" label="Client secret" name="client_secret" kind="password" error
                hint="Stored encrypted and never shown again."/>
            <fieldset>
                <legend>"New deal registrations go to"</legend>
                <TextField form="oauth-start" label="Pipeline id" name="pipeline" value=pipeline error/>
                <TextField form="oauth-start" label="First stage id" name="stage" value=stage error/>
            </fieldset>
            <button type="submit" class="button primary">"Connect with HubSpot"</button>
        </form>
    }
}

/// Where HubSpot sends the admin after consent (`?code=…&state=…`, or `?error=…` when they
/// declined). Nothing is written by opening it: the button posts the code.
#[component]
pub fn HubspotConsentPage() -> impl IntoView {
    let query = use_query_map();
    let read = move |key: &str| query.with_untracked(|q| q.get(key).unwrap_or_default());
    let (code, state, declined) = (read("code"), read("state"), read("error"));
    let action = ServerAction::<FinishHubspotOauth>::new();
    let error = form_error(action, "oauth-finish");
    let answer = match (callback_value(&code), callback_value(&state)) {
        (Some(code), Some(state)) if declined.is_empty() => {
            Some((code.to_string(), state.to_string()))
        }
        _ => None,
    };
    let body = match answer {
        Some((code, state)) => view! {
            <p>"HubSpot approved the portal's access. Finish connecting: the portal exchanges HubSpot's one-time code for its tokens and tries them before saving."</p>
            <EnhancedForm>
                <form method="post" action={form_action::<FinishHubspotOauth>("oauth-finish")} data-done="HubSpot is connected.">
                    <FormError error form="oauth-finish" fields=&[]/>
                    <input type="hidden" name="code" value=code/>
                    <input type="hidden" name="state" value=state/>
                    <button type="submit" class="button primary">"Finish connecting HubSpot"</button>
                </form>
            </EnhancedForm>
        }
        .into_any(),
        None => view! {
            <p class="notice" role="alert">{if declined.is_empty() {
                "This address does not carry an answer from HubSpot.".to_string()
            } else {
                "HubSpot did not approve the portal's access (the account was not chosen, or the consent was declined).".to_string()
            }}</p>
        }
        .into_any(),
    };
    view! {
        <Title text="Connect HubSpot"/>
        <section class="page narrow" aria-labelledby="consent-title">
            <h1 id="consent-title">"Connect HubSpot"</h1>
            {body}
            <p><a href="/crm">"Back to the CRM page"</a></p>
        </section>
    }
}
