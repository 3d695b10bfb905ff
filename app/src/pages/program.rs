//! The program's rules (protection, SLA, extensions, appeals, inactivity, renewals,
//! discount bands) and renewal ownership, for vendor staff.
use crate::api::program::{
    load_program_settings, load_renewals, ConfirmRenewalOwner, SaveProgramSettings,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    form_action, form_error, last_error, FormError, SelectField, TextField,
};
use crate::components::load::loaded;
use crate::components::session::use_session;
use crate::components::time::{LocalDate, LocalTime};
use crate::domain::channel::clocks::SettingsForm;
use crate::domain::identity::Role;
use crate::domain::zone::Zone;
use crate::model::{RenewalItem, RenewalsPage as Renewals};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RenewalsPage() -> impl IntoView {
    let renewals = Resource::new(|| (), |_| load_renewals());
    let confirm = ServerAction::<ConfirmRenewalOwner>::new();
    view! {
        <Title text="Renewals"/>
        <section class="page" aria-labelledby="renewals-title">
            <h1 id="renewals-title">"Renewals"</h1>
            <p class="lead">"Renewals belong to the incumbent unless you decide otherwise. Confirm each owner before the lead time runs out."</p>
            <EnhancedForm>
                {loaded(renewals, move |page| view! { <RenewalList page confirm/> })}
            </EnhancedForm>
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
        return view! {
            <EmptyState title=format!("No renewals in the next {lead_days} days.") next="Accounts appear here when their renewal falls within the lead time set in the program rules."
                action=("Program rules", "/deals/settings")/>
        }
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
    use crate::components::status::{Pill, Tone};
    let account_id = item.account_id;
    let seen_owner = item.owner_org_id;
    let form = format!("renewal-{account_id}");
    let error = form_error(confirm, &form);
    let (tone, status) = if item.confirmed {
        (Tone::Positive, "Confirmed")
    } else if item.confirmation_due {
        (Tone::Waiting, "Confirmation due")
    } else {
        (Tone::Neutral, "Not yet due")
    };
    let mut owners = vec![
        ("incumbent".to_string(), format!("Keep {}", item.owner_name)),
        ("direct".to_string(), "Direct sales".to_string()),
    ];
    owners.extend(
        partners
            .into_iter()
            .filter(|(id, _)| Some(*id) != seen_owner)
            .map(|(id, name)| (id.to_string(), name)),
    );
    view! {
        <li class="card renewal-card" data-account-id=account_id.to_string() id=form.clone()>
            <div class="path-head">
                <h2>{item.account_name}</h2>
                <Pill tone text=status/>
            </div>
            <p class="meta">
                "Renews " <LocalDate ms=item.renewal_at/> " · " {item.region} " · Owner: " <strong>{item.owner_name.clone()}</strong>
            </p>
            {item.confirmed_at.map(|at| view! {
                <p class="meta">"Confirmed " <LocalTime ms=at/> {item.confirmed_by.map(|who| format!(" by {who}"))}</p>
            })}
            {(item.other_open_deals > 0).then(|| view! {
                <p class="notice">{format!("{} open deal(s) by other parties on this customer.", item.other_open_deals)}</p>
            })}
            <form method="post" action={form_action::<ConfirmRenewalOwner>(&form)} novalidate=true data-done="Renewal owner confirmed.">
                <FormError error form=form.clone() fields=&["owner", "rationale"]/>
                <input type="hidden" name="account_id" value=account_id.to_string()/>
                {seen_owner.map(|id| view! { <input type="hidden" name="seen_owner" value=id.to_string()/> })}
                <SelectField form=form.clone() label="Renewal owner" name="owner" options=owners selected="incumbent" error/>
                <TextField form=form.clone() label="Rationale (required to change the owner)" name="rationale" rows=2 error/>
                <button type="submit" class="button primary">"Confirm owner"</button>
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
            <EnhancedForm>
                {loaded(settings, move |form| view! { <SettingsEditor form is_admin=is_admin()/> })}
            </EnhancedForm>
        </section>
    }
}

/// The settings fields, in the order the form shows them (for the error summary).
const SETTINGS_FIELDS: &[&str] = &[
    "protection_days",
    "approval_sla_hours",
    "appeal_window_days",
    "max_extensions",
    "extension_days",
    "extension_activity_days",
    "extension_request_window_days",
    "inactivity_days",
    "renewal_lead_days",
    "required_training_due_days",
    "time_zone",
    "discount_registered",
    "discount_silver",
    "discount_gold",
    "discount_platinum",
    "motion_bands",
];

/// The program's rules as a plain post (`form[field]`); only vendor admins get the button.
#[component]
fn SettingsEditor(form: SettingsForm, is_admin: bool) -> impl IntoView {
    let save = ServerAction::<SaveProgramSettings>::new();
    let error = last_error(save.value());
    let field = move |label: &'static str, name: &'static str, value: &String| {
        view! { <TextField form="settings" label name within="form" value=value.clone() error/> }
    };
    view! {
        <form class="card settings-form" method="post" action={form_action::<SaveProgramSettings>("settings")} novalidate=true
            data-done="Saved. New registrations follow these rules.">
            <FormError error form="settings" fields=SETTINGS_FIELDS/>
            <fieldset>
                <legend>"Protection and review"</legend>
                {field("Protection window (days, 30–120)", "protection_days", &form.protection_days)}
                {field("Approval SLA (hours)", "approval_sla_hours", &form.approval_sla_hours)}
                {field("Appeal window (days after a decision)", "appeal_window_days", &form.appeal_window_days)}
            </fieldset>
            <fieldset>
                <legend>"Extensions"</legend>
                {field("Extensions allowed per deal", "max_extensions", &form.max_extensions)}
                {field("Days each extension adds", "extension_days", &form.extension_days)}
                {field("Activity required within (days)", "extension_activity_days", &form.extension_activity_days)}
                {field("Requests open this many days before expiry", "extension_request_window_days", &form.extension_request_window_days)}
            </fieldset>
            <fieldset>
                <legend>"Inactivity and renewals"</legend>
                {field("Flag deals without activity for (days)", "inactivity_days", &form.inactivity_days)}
                {field("Confirm renewal owners this many days ahead", "renewal_lead_days", &form.renewal_lead_days)}
            </fieldset>
            <fieldset>
                <legend>"Training"</legend>
                {field("Days to finish required training once assigned (7–365)", "required_training_due_days", &form.required_training_due_days)}
            </fieldset>
            <fieldset>
                <legend>"Reporting"</legend>
                <TextField form="settings" label="Time zone" name="time_zone" within="form"
                    value=form.time_zone.clone() error suggestions=Zone::names().collect()
                    hint="Where the insights' days, weeks, months and quarters begin. A zone name such as Europe/Berlin or America/New_York."/>
            </fieldset>
            <fieldset>
                <legend>"Discount bands (highest discount without a warning, %)"</legend>
                {field("Registered", "discount_registered", &form.discount_registered)}
                {field("Silver", "discount_silver", &form.discount_silver)}
                {field("Gold", "discount_gold", &form.discount_gold)}
                {field("Platinum", "discount_platinum", &form.discount_platinum)}
                <TextField form="settings" label="Bands for one motion (one per line)" name="motion_bands" within="form"
                    rows=3 value=form.motion_bands.clone() error
                    hint="E.g. \"Gold, Marketplace: 15\". A motion without a line uses the tier's band."/>
            </fieldset>
            {if is_admin {
                view! { <button type="submit" class="button primary">"Save rules"</button> }.into_any()
            } else {
                view! { <p class="hint">"Only vendor admins change the program's rules."</p> }.into_any()
            }}
        </form>
    }
    .into_any()
}
