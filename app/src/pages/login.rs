use crate::api::auth::{
    demo_accounts, DemoSignIn, LoginWithPassword, RedeemMagicLink, RequestFreshLink,
    RequestMagicLink,
};
use crate::components::enhance::EnhancedForm;
use crate::components::form::{form_action, last_error, FormError, SubmitButton, TextField};
use crate::components::load::loaded;
use crate::components::session::use_session;
use crate::model::DemoAccount;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let link_sent_by_form_post = move || query.read().get("link_sent").is_some();
    let reset = query.read_untracked().get("reset").is_some();

    let login = ServerAction::<LoginWithPassword>::new();
    let login_error = last_error(login.value());

    let request_link = ServerAction::<RequestMagicLink>::new();
    let link_error = last_error(request_link.value());
    let link_sent =
        move || link_sent_by_form_post() || matches!(request_link.value().get(), Some(Ok(())));

    let session = use_session();
    let demo = Resource::new(|| (), |_| demo_accounts());

    view! {
        <Title text="Sign in"/>
        <section class="page narrow" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <Transition fallback=|| ()>
                {move || session.user.get().and_then(|r| r.ok().flatten()).map(|user| view! {
                    <p class="notice">"You are signed in as " {user.display_name} ". " <a href="/">"Go to your home page"</a></p>
                })}
            </Transition>
            {reset.then(|| view! {
                <p class="success" role="status">"The demo data was reset and everyone was signed out. Sign in again to carry on."</p>
            })}
            // On a demo deployment the demo accounts come first: visitors on a phone reach
            // them without scrolling past the two forms.
            {loaded(demo, |accounts| view! { <DemoAccounts accounts/> })}
            <EnhancedForm>
            <form method="post" action={form_action::<LoginWithPassword>("login")} class="card form" novalidate=true aria-label="Sign in with password" id="password-sign-in">
                <h2>"With your password"</h2>
                <input type="hidden" name="next" value=next/>
                <TextField form="login" label="Email" name="email" kind="email" autocomplete="username" error=login_error/>
                <TextField form="login" label="Password" name="password" kind="password" autocomplete="current-password" error=login_error/>
                <FormError error=login_error form="login" fields=&["email", "password"]/>
                <SubmitButton label="Sign in" busy_label="Signing in…" pending=login.pending()/>
            </form></EnhancedForm>

            <EnhancedForm>

            <form method="post" action={form_action::<RequestMagicLink>("link")} class="card form" novalidate=true aria-label="Email me a sign-in link">
                <h2>"Or get a sign-in link by email"</h2>
                <p class="hint">"No password needed. The link works once, for 15 minutes."</p>
                <input type="hidden" name="next" value=next/>
                <TextField form="link" label="Work email" name="email" kind="email" autocomplete="email" error=link_error/>
                <FormError error=link_error form="link" fields=&["email"]/>
                <Show when=link_sent>
                    <p class="success" role="status">
                        "If an account exists for that address, a sign-in link is on its way. Check your inbox."
                    </p>
                </Show>
                <SubmitButton label="Email me a link" busy_label="Sending…" pending=request_link.pending() class="button"/>
            </form></EnhancedForm>

            <Transition fallback=|| ()>
                {move || session.info.get().and_then(|r| r.ok()).filter(|info| info.dev_outbox).map(|_| view! {
                    <p class="hint">"Development mode: sent emails appear in the " <a href="/dev/outbox">"dev outbox"</a> "."</p>
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DemoAccounts(accounts: Vec<DemoAccount>) -> impl IntoView {
    if accounts.is_empty() {
        return ().into_any();
    }
    let sign_in = ServerAction::<DemoSignIn>::new();
    let password = crate::api::auth::DEMO_PASSWORD_HINT;
    view! {
        <section class="card demo" aria-labelledby="demo-title">
            <h2 id="demo-title">"Demo accounts"</h2>
            <p class="hint">"This is a demo deployment: pick a role to try it. Every account's password is " <code>{password}</code> ". "
                <a href="#password-sign-in">"Sign in with your own account"</a></p>
            <ul class="demo-list">
                {accounts.into_iter().map(|account| {
                    let detail = match (&account.org_name, account.job_role) {
                        (Some(org), Some(job)) => format!("{} · {} · {}", account.role, org, job),
                        (Some(org), None) => format!("{} · {}", account.role, org),
                        _ => account.role.to_string(),
                    };
                    view! {
                        <li>
                            <EnhancedForm>
                            <ActionForm action=sign_in>
                                <input type="hidden" name="email" value=account.email.clone()/>
                                <button type="submit" class="button demo-button" disabled=move || sign_in.pending().get()>
                                    <span class="demo-name">{format!("Sign in as {}", account.display_name)}</span>
                                    <span class="demo-detail">{detail}</span>
                                </button>
                            </ActionForm></EnhancedForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// Landing page of an emailed link. Opening it changes nothing; the button signs in.
#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let redeem = ServerAction::<RedeemMagicLink>::new();
    let fresh = ServerAction::<RequestFreshLink>::new();
    let error = last_error(redeem.value());
    let fresh_error = last_error(fresh.value());
    // Without JavaScript the request posts and comes back here with `fresh_sent`.
    let fresh_sent = move || {
        query.read().get("fresh_sent").is_some() || matches!(fresh.value().get(), Some(Ok(())))
    };
    let spent = move || error.get().is_some() || fresh_sent() || fresh_error.get().is_some();
    view! {
        <Title text="Continue signing in"/>
        <section class="page narrow" aria-labelledby="magic-title">
            <h1 id="magic-title">"Continue to the partner portal"</h1>
            <EnhancedForm>
            <ActionForm action=redeem attr:class="card form" attr:data-plain=true>
                <input type="hidden" name="token" value=token/>
                <p>"Your sign-in link is ready. It works once."</p>
                <FormError error=error fields=&[]/>
                <SubmitButton label="Continue" busy_label="Signing in…" pending=redeem.pending()/>
            </ActionForm></EnhancedForm>
            // A link to one module, deal or page can be renewed for its owner, straight to
            // the same place; the answer never says whether the link was ours.
            <Show when=spent>
                <EnhancedForm>
                <ActionForm action=fresh attr:class="card form" attr:aria-label="Get a fresh link">
                    <input type="hidden" name="token" value=token/>
                    <p>"Was this link to a module, a deal or a page? We can email its owner a fresh one to the same place."</p>
                    <FormError error=fresh_error fields=&[]/>
                    <SubmitButton label="Email me a fresh link" busy_label="Sending…" pending=fresh.pending()/>
                    <Show when=fresh_sent>
                        <p class="success" role="status">"If that link was ours, a fresh one is on its way to its owner's inbox."</p>
                    </Show>
                </ActionForm></EnhancedForm>
            </Show>
            <p><a href="/login">"Request a new sign-in link"</a></p>
        </section>
    }
}
