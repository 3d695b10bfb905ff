use crate::api::auth::{Logout, LogoutEverywhere};
use crate::components::form::{last_error, FormError, SubmitButton};
use crate::components::load::{ErrorView, Loading};
use crate::components::session::{reload_to, use_session};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let logout = ServerAction::<Logout>::new();
    let logout_all = ServerAction::<LogoutEverywhere>::new();
    let error = Signal::derive(move || {
        last_error(logout.value())
            .get()
            .or_else(|| last_error(logout_all.value()).get())
    });
    Effect::new(move |_| {
        if matches!(logout.value().get(), Some(Ok(())))
            || matches!(logout_all.value().get(), Some(Ok(_)))
        {
            reload_to("/login");
        }
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
                        <div class="card actions">
                            <FormError error fields=&[]/>
                            <ActionForm action=logout>
                                <SubmitButton label="Sign out" busy_label="Signing out…" pending=logout.pending()/>
                            </ActionForm>
                            <ActionForm action=logout_all>
                                <p class="hint">"Lost a phone or used a shared computer? End every session of this account."</p>
                                <SubmitButton label="Sign out everywhere" busy_label="Signing out…" pending=logout_all.pending() class="button danger"/>
                            </ActionForm>
                        </div>
                    </section>
                }.into_any(),
                Ok(None) => view! { <ErrorView error=AppError::Unauthenticated/> }.into_any(),
                Err(error) => view! { <ErrorView error/> }.into_any(),
            })}
        </Suspense>
    }
}
