//! The program's rules (protection, SLA, extensions, appeals, inactivity, renewals,
//! discount bands) and renewal ownership, for vendor staff.
use crate::api::program::{
    load_program_settings, load_renewals, ConfirmRenewalOwner, SaveProgramSettings,
};
use crate::components::form::BoundField as Field;
use crate::components::form::{
    field_signal, last_error, last_error_here, refetch_on_success, FormError,
};
use crate::components::load::loaded;
use crate::components::session::use_session;
use crate::components::time::LocalTime;
use crate::domain::channel::clocks::SettingsForm;
use crate::domain::identity::Role;
use crate::model::{RenewalItem, RenewalsPage as Renewals};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RenewalsPage() -> impl IntoView {
    view! {
        <Title text="Renewals"/>
        <RenewalsBody />
    }
}

/// An island (full bundle) until its forms are plain posts.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn RenewalsBody() -> impl IntoView {
    let renewals = Resource::new(|| (), |_| load_renewals());
    let confirm = ServerAction::<ConfirmRenewalOwner>::new();
    refetch_on_success(confirm, renewals);
    view! {
        <section class="page" aria-labelledby="renewals-title">
            <h1 id="renewals-title">"Renewals"</h1>
            <p class="lead">"Renewals belong to the incumbent unless you decide otherwise. Confirm each owner before the lead time runs out."</p>
            {loaded(renewals, move |page| view! { <RenewalList page confirm/> })}
        </section>
    }
}

#[component]
fn RenewalList(page: Renewals, confirm: ServerAction<ConfirmRenewalOwner>) -> impl IntoView {
    let Renewals {
        items,
        partners,
        lead_days,
    } = page;
    let due = items.iter().filter(|i| i.confirmation_due).count();
    if items.is_empty() {
        return view! { <p class="empty">{format!("No renewals in the next {lead_days} days.")}</p> }
            .into_any();
    }
    view! {
        <p>{format!("{} renewals in the next {lead_days} days; {due} need an owner confirmed.", items.len())}</p>
        <ul class="card-list">
            {items.into_iter().map(|item| view! { <RenewalCard item partners=partners.clone() confirm/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn RenewalCard(
    item: RenewalItem,
    partners: Vec<(i64, String)>,
    confirm: ServerAction<ConfirmRenewalOwner>,
) -> impl IntoView {
    let account_id = item.account_id;
    let seen_owner = item.owner_org_id;
    let owner = RwSignal::new("incumbent".to_string());
    let rationale = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, confirm.value());
    let owner_id = format!("renewal-{account_id}-owner");
    let rationale_id = format!("renewal-{account_id}-rationale");
    let (owner_for, rationale_for) = (owner_id.clone(), rationale_id.clone());
    let status = if item.confirmed {
        "Confirmed"
    } else if item.confirmation_due {
        "Confirmation due"
    } else {
        "Not yet due"
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        mine.set(true);
        confirm.dispatch(ConfirmRenewalOwner {
            account_id,
            owner: owner.get_untracked(),
            seen_owner,
            rationale: rationale.get_untracked(),
        });
    };
    view! {
        <li class="card renewal-card" data-account-id=account_id.to_string()>
            <div class="path-head">
                <h2>{item.account_name}</h2>
                <span class="badge" class:warning=item.confirmation_due>{status}</span>
            </div>
            <p class="meta">
                "Renews " <LocalTime ms=item.renewal_at/> " · " {item.region} " · Owner: " <strong>{item.owner_name.clone()}</strong>
            </p>
            {item.confirmed_at.map(|at| view! {
                <p class="meta">"Confirmed " <LocalTime ms=at/> {item.confirmed_by.map(|who| format!(" by {who}"))}</p>
            })}
            {(item.other_open_deals > 0).then(|| view! {
                <p class="notice">{format!("{} open deal(s) by other parties on this customer.", item.other_open_deals)}</p>
            })}
            <form on:submit=submit>
                <div class="field">
                    <label for=owner_for>"Renewal owner"</label>
                    <select id=owner_id on:change=move |e| owner.set(event_target_value(&e))>
                        <option value="incumbent" selected=true>{format!("Keep {}", item.owner_name)}</option>
                        <option value="direct">"Direct sales"</option>
                        {partners.into_iter().filter(|(id, _)| Some(*id) != seen_owner).map(|(id, name)| view! {
                            <option value=id.to_string()>{name}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" aria-live="polite">{field_signal(error, "owner")}</p>
                </div>
                <div class="field">
                    <label for=rationale_for>"Rationale (required to change the owner)"</label>
                    <textarea id=rationale_id rows="2" bind:value=rationale></textarea>
                    <p class="field-error" aria-live="polite">{field_signal(error, "rationale")}</p>
                </div>
                <FormError error fields=&["owner", "rationale"]/>
                <button type="submit" class="button primary" disabled=move || confirm.pending().get()>"Confirm owner"</button>
            </form>
        </li>
    }
    .into_any()
}

#[component]
pub fn ProgramSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| load_program_settings());
    let session = use_session();
    let is_admin = move || session.has_role(Role::VendorAdmin);
    view! {
        <Title text="Program rules"/>
        <section class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Program rules"</h1>
            <p class="lead">"Changes apply from now on: protections already granted keep their end dates."</p>
            {loaded(settings, move |form| view! { <SettingsEditor form is_admin=is_admin()/> })}
        </section>
    }
}

/// An island (full bundle): the rules are still saved as JSON.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn SettingsEditor(form: SettingsForm, is_admin: bool) -> impl IntoView {
    let save = ServerAction::<SaveProgramSettings>::new();
    let error = last_error(save.value());
    let is_admin = move || is_admin;
    let field = |value: &String| RwSignal::new(value.clone());
    let protection_days = field(&form.protection_days);
    let approval_sla_hours = field(&form.approval_sla_hours);
    let max_extensions = field(&form.max_extensions);
    let extension_days = field(&form.extension_days);
    let extension_activity_days = field(&form.extension_activity_days);
    let extension_request_window_days = field(&form.extension_request_window_days);
    let appeal_window_days = field(&form.appeal_window_days);
    let inactivity_days = field(&form.inactivity_days);
    let renewal_lead_days = field(&form.renewal_lead_days);
    let required_training_due_days = field(&form.required_training_due_days);
    let discount_registered = field(&form.discount_registered);
    let discount_silver = field(&form.discount_silver);
    let discount_gold = field(&form.discount_gold);
    let discount_platinum = field(&form.discount_platinum);
    let motion_bands = field(&form.motion_bands);
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveProgramSettings {
            form: SettingsForm {
                protection_days: protection_days.get_untracked(),
                approval_sla_hours: approval_sla_hours.get_untracked(),
                max_extensions: max_extensions.get_untracked(),
                extension_days: extension_days.get_untracked(),
                extension_activity_days: extension_activity_days.get_untracked(),
                extension_request_window_days: extension_request_window_days.get_untracked(),
                appeal_window_days: appeal_window_days.get_untracked(),
                inactivity_days: inactivity_days.get_untracked(),
                renewal_lead_days: renewal_lead_days.get_untracked(),
                required_training_due_days: required_training_due_days.get_untracked(),
                discount_registered: discount_registered.get_untracked(),
                discount_silver: discount_silver.get_untracked(),
                discount_gold: discount_gold.get_untracked(),
                discount_platinum: discount_platinum.get_untracked(),
                motion_bands: motion_bands.get_untracked(),
            },
        });
    };
    let p = "settings";
    view! {
        <form class="card settings-form" on:submit=submit>
            <fieldset>
                <legend>"Protection and review"</legend>
                <Field label="Protection window (days, 30–120)" name="protection_days" value=protection_days error prefix=p/>
                <Field label="Approval SLA (hours)" name="approval_sla_hours" value=approval_sla_hours error prefix=p/>
                <Field label="Appeal window (days after a decision)" name="appeal_window_days" value=appeal_window_days error prefix=p/>
            </fieldset>
            <fieldset>
                <legend>"Extensions"</legend>
                <Field label="Extensions allowed per deal" name="max_extensions" value=max_extensions error prefix=p/>
                <Field label="Days each extension adds" name="extension_days" value=extension_days error prefix=p/>
                <Field label="Activity required within (days)" name="extension_activity_days" value=extension_activity_days error prefix=p/>
                <Field label="Requests open this many days before expiry" name="extension_request_window_days" value=extension_request_window_days error prefix=p/>
            </fieldset>
            <fieldset>
                <legend>"Inactivity and renewals"</legend>
                <Field label="Flag deals without activity for (days)" name="inactivity_days" value=inactivity_days error prefix=p/>
                <Field label="Confirm renewal owners this many days ahead" name="renewal_lead_days" value=renewal_lead_days error prefix=p/>
            </fieldset>
            <fieldset>
                <legend>"Training"</legend>
                <Field label="Days to finish required training once assigned (7–365)" name="required_training_due_days" value=required_training_due_days error prefix=p/>
            </fieldset>
            <fieldset>
                <legend>"Discount bands (highest discount without a warning, %)"</legend>
                <Field label="Registered" name="discount_registered" value=discount_registered error prefix=p/>
                <Field label="Silver" name="discount_silver" value=discount_silver error prefix=p/>
                <Field label="Gold" name="discount_gold" value=discount_gold error prefix=p/>
                <Field label="Platinum" name="discount_platinum" value=discount_platinum error prefix=p/>
                <div class="field">
                    <label for="settings-motion_bands">"Bands for one motion (one per line)"</label>
                    <p class="hint">"E.g. \"Gold, Marketplace: 15\". A motion without a line uses the tier's band."</p>
                    <textarea id="settings-motion_bands" rows="3" bind:value=motion_bands></textarea>
                    <p class="field-error" aria-live="polite">{field_signal(error, "motion_bands")}</p>
                </div>
            </fieldset>
            <FormError error fields=&["protection_days", "approval_sla_hours", "appeal_window_days", "max_extensions", "extension_days", "extension_activity_days", "extension_request_window_days", "inactivity_days", "renewal_lead_days", "required_training_due_days", "discount_registered", "discount_silver", "discount_gold", "discount_platinum", "motion_bands"]/>
            {move || if is_admin() {
                view! { <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save rules"</button> }.into_any()
            } else {
                view! { <p class="hint">"Only vendor admins change the program's rules."</p> }.into_any()
            }}
            <p class="success" role="status">{move || saved().then_some("Saved. New registrations follow these rules.")}</p>
        </form>
    }
    .into_any()
}
