//! Deal registration and the partner's pipeline; the managers' review queue.
use crate::api::channel::{
    load_my_pipeline, load_open_appeals, load_review_queue, ApproveRegistrations,
    DecideRegistration, FileAppeal, RegisterDeal, RequestExtension, ResolveAppeal, UpdateDeal,
};
use crate::components::empty::EmptyState;
use crate::components::enhance::EnhancedForm;
use crate::components::form::{
    field_signal, form_action, form_error, last_error, ticked_before, typed_before, FormError,
    SelectField, TextField,
};
use crate::components::load::loaded;
use crate::components::raw_text::textarea_text;
use crate::components::status::{Pill, StatusPill, Tone};
use crate::components::time::LocalTime;
use crate::domain::channel::clocks::SlaState;
use crate::domain::channel::deals::Stage;
use crate::domain::channel::deals::{format_money, Motion, PRODUCT_LINES};
use crate::domain::channel::updates::{audit_field_label, audit_value, iso_date};
use crate::error::AppError;
use crate::model::{
    AppealItem, CustomerMatch, ExtensionHint, Holder, Member, OwnDeal, PartnerPipeline, QueueItem,
    RegistrationRules, SafeDeal,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DealsPage() -> impl IntoView {
    use crate::api::channel::load_own_deal;
    use leptos_router::hooks::use_query_map;
    // After a registration the server sends the partner here with the new deal's id, so the
    // form can say what was decided (and a reload keeps saying it).
    let registered = use_query_map()
        .read_untracked()
        .get("registered")
        .and_then(|id| id.parse::<i64>().ok());
    let outcome = Resource::new(
        move || registered,
        |id| async move {
            match id {
                Some(id) => load_own_deal(id)
                    .await
                    .map(|page| page.map(|page| page.deal)),
                None => Ok(None),
            }
        },
    );
    let register = ServerAction::<RegisterDeal>::new();
    view! {
        <Title text="Deals"/>
        <section class="page" aria-labelledby="deals-title">
            <h1 id="deals-title">"Deals"</h1>
            {loaded(outcome, move |deal| view! { <RegisterForm action=register registered=deal/> })}
            <EnhancedForm><OwnPipeline/></EnhancedForm>
        </section>
    }
}

/// The partner's deals with their actions (appeal, edit, extend): server HTML whose forms
/// are plain posts, enhanced in place by the page's form island.
#[component]
fn OwnPipeline() -> impl IntoView {
    let pipeline = Resource::new(|| (), |_| load_my_pipeline());
    let actions = DealActions::new();
    view! { {loaded(pipeline, move |pipeline| view! { <Pipeline pipeline actions/> })} }
}

/// The partner's actions on their own deals, shared by every card on the page: on the
/// server they carry the error of a failed plain post back to the card it came from.
#[derive(Clone, Copy)]
struct DealActions {
    appeal: ServerAction<FileAppeal>,
    update: ServerAction<UpdateDeal>,
    extend: ServerAction<RequestExtension>,
}

impl DealActions {
    fn new() -> Self {
        DealActions {
            appeal: ServerAction::new(),
            update: ServerAction::new(),
            extend: ServerAction::new(),
        }
    }
}

/// The registration fields, in the order the form shows them (for the error summary).
const REGISTRATION_FIELDS: &[&str] = &[
    "company_name",
    "domain",
    "country",
    "motion",
    "kind",
    "product_line",
    "amount",
    "requested_discount_pct",
    "close_date",
    "next_step",
    "proof_of_work",
    "notes",
];

/// One field's error slot, named for the enhanced form (`data-field`) and the control's
/// `aria-describedby`.
#[component]
fn FieldSlot(name: &'static str, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <p class="field-error" id=format!("deal-{name}-error") data-field=name aria-live="polite">
            {field_signal(error, name)}
        </p>
    }
}

/// Registering a deal: a real form post (`input[field]`), so what is typed is never lost to
/// hydration and it works before any script; after a failed plain post the form comes back
/// as it was typed. The customer check beside it is an island.
#[component]
fn RegisterForm(action: ServerAction<RegisterDeal>, registered: Option<OwnDeal>) -> impl IntoView {
    let error = last_error(action.value());
    let typed = |name: &str| typed_before("deal", &format!("input[{name}]"));
    let text = move |label: &'static str, name: &'static str, kind: &'static str| {
        view! {
            <div class="field">
                <label for=format!("deal-{name}")>{label}</label>
                <input id=format!("deal-{name}") name=format!("input[{name}]") type=kind
                    value=typed(name) aria-describedby=format!("deal-{name}-error")/>
                <FieldSlot name error/>
            </div>
        }
    };
    let chosen = move |name: &str, value: &str, default: bool| {
        typed(name).map_or(default, |typed| typed == value)
    };
    view! {
        <EnhancedForm>
            <form method="post" action={form_action::<RegisterDeal>("deal")} class="card deal-form"
                aria-labelledby="register-title" novalidate=true>
                <h2 id="register-title">"Register a deal"</h2>
                <FormError error form="deal" fields=REGISTRATION_FIELDS/>
                {registered.map(|deal| view! {
                    <div class="success" role="status">
                        <p><strong>{deal.status.label()}</strong> ": " {deal.account_name.clone()}
                            {deal.protected_until.map(|until| view! { " — protected until " <LocalTime ms=until/> })}
                        </p>
                        <ul>{deal.explanation.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                        <p><a href=format!("/deals/{}", deal.deal_id)>"Open the deal and its history"</a></p>
                    </div>
                })}
                <div class="field">
                    <label for="deal-company_name">"Customer company"</label>
                    <input id="deal-company_name" name="input[company_name]" autocomplete="organization"
                        value=typed("company_name") aria-describedby="deal-company_name-error customer-check"/>
                    <FieldSlot name="company_name" error/>
                </div>
                <div class="field">
                    <label for="deal-domain">"Customer website"</label>
                    <input id="deal-domain" name="input[domain]" placeholder="acme.com" inputmode="url"
                        value=typed("domain") aria-describedby="deal-domain-error"/>
                    <FieldSlot name="domain" error/>
                </div>
                <CustomerCheck/>
                {text("Country", "country", "text")}
                <div class="field">
                    <label for="deal-motion">"How you sell it"</label>
                    <select id="deal-motion" name="input[motion]" aria-describedby="deal-motion-error">
                        {Motion::ALL.iter().filter(|m| **m != Motion::Direct).map(|m| view! {
                            <option value=m.as_str() selected=chosen("motion", m.as_str(), *m == Motion::Resale)>{m.label()}</option>
                        }).collect_view()}
                    </select>
                    <FieldSlot name="motion" error/>
                </div>
                <div class="field">
                    <label for="deal-kind">"Deal type"</label>
                    <select id="deal-kind" name="input[kind]" aria-describedby="deal-kind-error">
                        {[("net_new", "New customer"), ("expansion", "Expansion"), ("renewal", "Renewal")].into_iter().map(|(value, label)| view! {
                            <option value=value selected=chosen("kind", value, value == "net_new")>{label}</option>
                        }).collect_view()}
                    </select>
                    <FieldSlot name="kind" error/>
                </div>
                <div class="field">
                    <label for="deal-product_line">"Product line"</label>
                    <select id="deal-product_line" name="input[product_line]" aria-describedby="deal-product_line-error">
                        {PRODUCT_LINES.iter().enumerate().map(|(i, p)| view! {
                            <option value=*p selected=chosen("product_line", p, i == 0)>{*p}</option>
                        }).collect_view()}
                    </select>
                    <FieldSlot name="product_line" error/>
                </div>
                {text("Amount (USD)", "amount", "text")}
                {text("Requested discount (%)", "requested_discount_pct", "text")}
                {text("Expected close date", "close_date", "date")}
                {text("Next step", "next_step", "text")}
                <div class="field">
                    <label for="deal-proof_of_work">"Proof of work"</label>
                    <p class="hint">"Meetings held, contacts, the need you found. Reviewers rely on this."</p>
                    <textarea id="deal-proof_of_work" name="input[proof_of_work]" rows="3" aria-describedby="deal-proof_of_work-error">{textarea_text(typed("proof_of_work").unwrap_or_default())}</textarea>
                    <FieldSlot name="proof_of_work" error/>
                </div>
                <div class="field">
                    <label for="deal-notes">"Private notes (only your organisation sees these)"</label>
                    <textarea id="deal-notes" name="input[notes]" rows="2" aria-describedby="deal-notes-error">{textarea_text(typed("notes").unwrap_or_default())}</textarea>
                    <FieldSlot name="notes" error/>
                </div>
                <button type="submit" class="button primary">"Register deal"</button>
            </form>
        </EnhancedForm>
    }
}

/// The live uniqueness check: as the partner types the customer's name or website (after a
/// short pause), says who may already have it registered and until when. An island (in the
/// checks bundle, with the form enhancer); it reads the two inputs of the form around it by
/// id.
#[cfg_attr(any(feature = "ssr", feature = "checks"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "checks")), component)]
pub fn CustomerCheck() -> impl IntoView {
    let matches: RwSignal<Vec<CustomerMatch>> = RwSignal::new(Vec::new());
    #[cfg(feature = "hydrate")]
    customer_check::watch(matches);
    view! {
        <div id="customer-check" aria-live="polite">
            {move || {
                let found = matches.get();
                (!found.is_empty()).then(|| view! {
                    <div class="notice duplicate-warning" role="status">
                        <p><strong>"This customer may already be registered."</strong></p>
                        <ul>
                            {found.into_iter().map(|m| view! {
                                <li>
                                    {m.account_name}
                                    {if m.same_domain { " (same website)" } else { " (similar name)" }}
                                    {match (m.protected_until, m.under_review) {
                                        (Some(until), _) => format!(" — protected until {}", crate::components::time::instant_text(until)),
                                        (None, true) => " — a registration is under review".to_string(),
                                        (None, false) => " — not protected".to_string(),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                        <p>"Protected: another party's registration was approved, so until that date a new registration is marked a duplicate. Under review: an earlier registration waits and is weighed first. You can still register; the decision gives its reasons, and a declined registration can be appealed from its deal card."</p>
                        <p><a href="#how-registration-works">"How registration, protection and appeals work"</a></p>
                    </div>
                })
            }}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod customer_check {
    use crate::api::channel::check_customer;
    use crate::model::CustomerMatch;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    fn value_of(id: &str) -> String {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    }

    pub fn watch(matches: RwSignal<Vec<CustomerMatch>>) {
        let sequence = StoredValue::new(0u64);
        let run = move || {
            sequence.update_value(|s| *s += 1);
            let mine = sequence.get_value();
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(350).await;
                if sequence.get_value() != mine {
                    return;
                }
                let (name, site) = (value_of("deal-company_name"), value_of("deal-domain"));
                if let Ok(found) = check_customer(name, site).await {
                    if sequence.get_value() == mine {
                        matches.set(found);
                    }
                }
            });
        };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        for id in ["deal-company_name", "deal-domain"] {
            if let Some(input) = document.get_element_by_id(id) {
                let handler = Closure::<dyn Fn()>::new(run);
                let _ = input
                    .add_event_listener_with_callback("input", handler.as_ref().unchecked_ref());
                handler.forget();
            }
        }
        // Text typed before this island woke up is checked at once.
        if !value_of("deal-company_name").is_empty() || !value_of("deal-domain").is_empty() {
            run();
        }
    }
}

#[component]
fn Pipeline(pipeline: PartnerPipeline, actions: DealActions) -> impl IntoView {
    let PartnerPipeline {
        own,
        others,
        members,
        rules,
    } = pipeline;
    view! {
        <RulesSummary rules/>
        <h2>"Your deals (" {own.len()} ")"</h2>
        {if own.is_empty() {
            view! { <EmptyState title="No deals yet." next="Register your first deal above: it is checked against every other registration at once, and protected once approved."/> }.into_any()
        } else {
            view! { <ul class="card-list">{own.into_iter().map(|deal| view! { <OwnDealCard deal members=members.clone() actions/> }).collect_view()}</ul> }.into_any()
        }}
        {(!others.is_empty()).then(|| view! {
            <h2>"Other parties on your customers"</h2>
            <p class="hint">"Only stage and protection are shared; never price, discount or notes."</p>
            <div class="table-wrap" role="region" aria-label="Other parties on your customers" tabindex="0">
                <table class="attempts safe-deals cards">
                    <thead><tr><th scope="col">"Customer"</th><th scope="col">"Who"</th><th scope="col">"Stage"</th><th scope="col">"Status"</th><th scope="col">"Protected until"</th></tr></thead>
                    <tbody>{others.into_iter().map(|deal| view! { <SafeRow deal/> }).collect_view()}</tbody>
                </table>
            </div>
        })}
    }
}

/// How registration works, with the program's own numbers: where the duplicate warning
/// leads (`#how-registration-works`).
#[component]
fn RulesSummary(rules: RegistrationRules) -> impl IntoView {
    let RegistrationRules {
        protection_days,
        approval_sla_hours,
        max_extensions,
        extension_days,
        extension_request_window_days,
        appeal_window_days,
    } = rules;
    view! {
        <section class="card rules-summary" id="how-registration-works" aria-labelledby="rules-title">
            <h2 id="rules-title">"How registration works"</h2>
            <dl class="rules">
                <div><dt>"Review"</dt><dd>{format!("A partner manager decides each registration within {approval_sla_hours} hours. Registrations are weighed in the order they arrive.")}</dd></div>
                <div><dt>"Protection"</dt><dd>{format!("An approved registration protects the customer for you for {protection_days} days: any other registration of the same customer is marked a duplicate until the protection ends, even an incumbent's.")}</dd></div>
                <div><dt>"Precedence"</dt><dd>"A registered deal comes before an unregistered one; for renewals and expansions the incumbent (the partner of record) before net-new; then the earlier registration; a certification breaks a tie. Each decision lists the rules it used."</dd></div>
                <div><dt>"Extensions"</dt><dd>{format!("Up to {max_extensions} extensions of {extension_days} days each, requested in the last {extension_request_window_days} days of protection and with recent activity on the deal. A deal closed as won or lost needs none.")}</dd></div>
                <div><dt>"Appeals"</dt><dd>{format!("If a registration is declined, you have {appeal_window_days} days to appeal from the deal's card, with evidence of your work (meetings, emails, the customer's own words).")}</dd></div>
            </dl>
        </section>
    }
}

#[component]
fn OwnDealCard(deal: OwnDeal, members: Vec<Member>, actions: DealActions) -> impl IntoView {
    let deal_id = deal.deal_id;
    let editor = view! { <DealEditor deal=deal.clone() members update=actions.update/> };
    let extension = deal
        .extension
        .clone()
        .map(|hint| view! { <ExtensionControl deal_id hint extend=actions.extend/> });
    let appeal_item = format!("appeal-{deal_id}");
    let error = form_error(actions.appeal, &appeal_item);
    view! {
        <li class="card deal-card" data-deal-id=deal_id.to_string()>
            <div class="path-head">
                <h3><a href=format!("/deals/{deal_id}")>{deal.account_name}</a></h3>
                <StatusPill status=deal.status/>
            </div>
            <p class="meta">
                {deal.motion.label()} " · " {deal.kind.label()} " · " {deal.product_line} " · "
                {format_money(deal.amount_cents)} " · " {format!("{:.0}% discount", deal.requested_discount_pct)} " · " {deal.stage.label()}
            </p>
            <p class="meta">"Owner: " {deal.owner_name.clone()}
                {(!deal.next_step.is_empty()).then(|| format!(" · Next: {}", deal.next_step))}</p>
            {deal.protected_until.map(|until| view! { <p>"Protected until " <LocalTime ms=until/></p> })}
            {extension}
            {(!deal.explanation.is_empty()).then(|| view! {
                <details><summary>"Why"</summary><ul>{deal.explanation.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul></details>
            })}
            {deal.appeal.map(|a| view! {
                <p class="appeal-status">"Appeal " {a.status.clone()} " (filed " <LocalTime ms=a.filed_at/> ")"
                    {(!a.resolution.is_empty()).then(|| format!(": {}", a.resolution))}</p>
            })}
            {deal.can_appeal.then(|| view! {
                <details class="appeal" id=appeal_item.clone() open=move || error.get().is_some()>
                    <summary>"Appeal this decision"</summary>
                    <form method="post" action={form_action::<FileAppeal>(&appeal_item)} novalidate=true
                        data-done="Appeal filed. A channel manager will review it.">
                        <FormError error form=appeal_item.clone() fields=&["evidence"]/>
                        <input type="hidden" name="deal_id" value=deal_id.to_string()/>
                        <TextField form=appeal_item.clone() label="Evidence" name="evidence" rows=3 error
                            hint="Meetings, emails, the customer's own words: what shows this customer is yours."/>
                        <button type="submit" class="button">"File appeal"</button>
                    </form>
                </details>
            })}
            {editor}
        </li>
    }
    .into_any()
}

/// Extending a protection: a button when the rules allow it now, otherwise when or why not.
#[component]
fn ExtensionControl(
    deal_id: i64,
    hint: ExtensionHint,
    extend: ServerAction<RequestExtension>,
) -> impl IntoView {
    let item = format!("extend-{deal_id}");
    let error = form_error(extend, &item);
    match hint {
        ExtensionHint::Available { until } => view! {
            <form class="extension" id=item.clone() method="post" action={form_action::<RequestExtension>(&item)}
                data-done="Protection extended.">
                <FormError error fields=&[]/>
                <input type="hidden" name="deal_id" value=deal_id.to_string()/>
                <button type="submit" class="button">"Extend protection to " <LocalTime ms=until/></button>
            </form>
        }
        .into_any(),
        ExtensionHint::OpensAt(at) => view! {
            <p class="hint extension">"You can request an extension from " <LocalTime ms=at/> "."</p>
        }
        .into_any(),
        ExtensionHint::Unavailable(why) => view! { <p class="hint extension">{why}</p> }.into_any(),
    }
}

/// The editor's fields, in the order it shows them (for the error summary).
const EDIT_FIELDS: &[&str] = &[
    "stage",
    "confirm_won",
    "amount",
    "requested_discount_pct",
    "close_date",
    "next_step",
    "proof_of_work",
    "owner_user_id",
    "notes",
    "reason",
];

/// Editing a deal: stage, numbers, next step, proof, notes and owner, as a plain post
/// (`input[field]`). Stage rules come back on their fields from the server.
#[component]
fn DealEditor(
    deal: OwnDeal,
    members: Vec<Member>,
    update: ServerAction<UpdateDeal>,
) -> impl IntoView {
    let deal_id = deal.deal_id;
    let item = format!("edit-{deal_id}");
    let error = form_error(update, &item);
    let form = item.clone();
    let stages = Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.label().to_string()))
        .collect();
    let owners = members
        .into_iter()
        .map(|m| (m.user_id.to_string(), m.name))
        .collect();
    let owner = deal
        .owner_user_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    view! {
        <details class="deal-editor" id=item.clone() open=move || error.get().is_some()>
            <summary>"Update deal"</summary>
            <form method="post" action={form_action::<UpdateDeal>(&item)} novalidate=true data-done="Deal saved.">
                <FormError error form=form.clone() fields=EDIT_FIELDS/>
                <input type="hidden" name="deal_id" value=deal_id.to_string()/>
                <input type="hidden" name="version" value=deal.version.to_string()/>
                <SelectField form=form.clone() label="Stage" name="stage" within="input" options=stages
                    selected=deal.stage.as_str() error/>
                {(!matches!(deal.stage, Stage::Won | Stage::Lost)).then(|| view! { <ConfirmWon form=form.clone() error/> })}
                <TextField form=form.clone() label="Amount (USD)" name="amount" within="input"
                    value=format_money(deal.amount_cents) error/>
                <TextField form=form.clone() label="Requested discount (%)" name="requested_discount_pct"
                    within="input" value=format!("{}", deal.requested_discount_pct) error/>
                <TextField form=form.clone() label="Expected close date" name="close_date" kind="date"
                    within="input" value=iso_date(deal.close_at) error/>
                <TextField form=form.clone() label="Next step" name="next_step" within="input"
                    value=deal.next_step.clone() error/>
                <TextField form=form.clone() label="Proof of work" name="proof_of_work" rows=3
                    within="input" value=deal.proof_of_work.clone() error/>
                <SelectField form=form.clone() label="Owner" name="owner_user_id" within="input"
                    options=owners selected=owner error/>
                <TextField form=form.clone() label="Private notes" name="notes" rows=2 within="input"
                    value=deal.notes.clone() error/>
                <TextField form=form.clone() label="Reason (required when closing as lost)" name="reason"
                    within="input" error/>
                <button type="submit" class="button primary">"Save changes"</button>
            </form>
        </details>
    }
    .into_any()
}

/// The confirmation a move to Closed won needs. Shown by the stylesheet only while "Closed
/// won" is chosen (no script), and always when the server asked for it.
#[component]
fn ConfirmWon(form: String, error: Signal<Option<AppError>>) -> impl IntoView {
    let id = format!("{form}-confirm_won");
    let error_id = format!("{id}-error");
    let message = field_signal(error, "confirm_won");
    let ticked = ticked_before(&form, "input[confirm_won]", "on").unwrap_or(false);
    view! {
        <div class="field check confirm-won" class:invalid=move || message().is_some()>
            <input type="checkbox" id=id.clone() name="input[confirm_won]" value="on" checked=ticked
                aria-describedby=error_id.clone() aria-invalid=move || message().is_some().to_string()/>
            <label for=id>"The customer has signed. Closing as won is final: the deal cannot be reopened and its protection is no longer extended."</label>
            <p class="field-error" id=error_id data-field="confirm_won" aria-live="polite">{message}</p>
        </div>
    }
}

#[component]
fn SafeRow(deal: SafeDeal) -> impl IntoView {
    view! {
        <tr>
            <td data-label="Customer">{deal.account_name}</td>
            <td data-label="Who">{match deal.holder { Holder::AnotherPartner => "Another partner", Holder::Direct => "Direct sales" }}</td>
            <td data-label="Stage">{deal.stage.label()}</td>
            <td data-label="Status"><StatusPill status=deal.status/></td>
            <td data-label="Protected until">{deal.protected_until.map(|until| view! { <LocalTime ms=until/> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
        </tr>
    }
}

#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    use crate::api::channel::QueueQuery;
    use leptos_router::hooks::use_query_map;
    let query_map = use_query_map();
    let query = move || {
        let q = query_map.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        QueueQuery {
            search: get("search"),
            partner: get("partner"),
            motion: get("motion"),
            region: get("region"),
            conflict: get("conflict"),
            sla: get("sla"),
            page: get("page"),
            decided: get("decided"),
            skipped: get("skipped"),
        }
    };
    let queue = Resource::new(query, load_review_queue);
    let appeals = Resource::new(|| (), |_| load_open_appeals());
    let actions = QueueActions {
        decide: ServerAction::new(),
        approve: ServerAction::new(),
    };
    let resolve = ServerAction::<ResolveAppeal>::new();
    view! {
        <Title text="Registration queue"/>
        <section class="page" aria-labelledby="queue-title">
            <h1 id="queue-title">"Registrations to review"</h1>
            <EnhancedForm>
                {loaded(queue, move |page| view! { <QueueView page query=query() actions/> })}
                <h2 id="appeals">"Open appeals"</h2>
                {loaded(appeals, move |items| view! { <Appeals items resolve/> })}
            </EnhancedForm>
        </section>
    }
}

/// The queue's decisions, shared by its cards and its bulk form.
#[derive(Clone, Copy)]
struct QueueActions {
    decide: ServerAction<DecideRegistration>,
    approve: ServerAction<ApproveRegistrations>,
}

/// The queue's filters as query parameters (`key=value`, encoded), optionally with the page.
fn queue_params(query: &crate::api::channel::QueueQuery, with_page: bool) -> Vec<String> {
    use crate::components::load::encode_query_value;
    [
        ("search", &query.search),
        ("partner", &query.partner),
        ("motion", &query.motion),
        ("region", &query.region),
        ("conflict", &query.conflict),
        ("sla", &query.sla),
    ]
    .into_iter()
    .chain(with_page.then_some(("page", &query.page)))
    .filter_map(|(key, value)| {
        value
            .as_ref()
            .map(|v| format!("{key}={}", encode_query_value(v)))
    })
    .collect()
}

fn queue_href(params: Vec<String>) -> String {
    if params.is_empty() {
        "/deals/queue".into()
    } else {
        format!("/deals/queue?{}", params.join("&"))
    }
}

const QUEUE_FILTERS: &[&str] = &[
    "search", "partner", "motion", "region", "conflict", "sla", "page",
];

#[component]
fn QueueView(
    page: crate::model::QueuePage,
    query: crate::api::channel::QueueQuery,
    actions: QueueActions,
) -> impl IntoView {
    use crate::domain::channel::queue::{ConflictKind, SlaBucket};
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let back = queue_params(&query, true).join("&");
    let sla_link = {
        let query = query.clone();
        move |sla: Option<SlaBucket>| {
            let mut query = query.clone();
            query.sla = sla.map(|s| s.as_str().to_string());
            queue_href(queue_params(&query, false))
        }
    };
    let page_link = {
        let query = query.clone();
        move |number: usize| {
            let mut params = queue_params(&query, false);
            params.push(format!("page={number}"));
            queue_href(params)
        }
    };
    let current_sla = query.sla.clone();
    let tabs = [
        None,
        Some(SlaBucket::Breached),
        Some(SlaBucket::DueSoon),
        Some(SlaBucket::OnTrack),
    ]
    .into_iter()
    .map(|sla| {
        let count = sla.map_or(page.counts.total(), |s| page.counts.of(s));
        let label = sla.map_or("All", |s| s.label());
        let current = current_sla.as_deref() == sla.map(|s| s.as_str());
        let class = match sla {
            Some(SlaBucket::Breached) => "queue-tab breached",
            Some(SlaBucket::DueSoon) => "queue-tab due-soon",
            _ => "queue-tab",
        };
        view! {
            <li><a class=class href=sla_link(sla) aria-current=current.then_some("page")>
                <span class="queue-tab-count">{count}</span>" "{label}
            </a></li>
        }
    })
    .collect_view();
    let problems = page.problems.clone();
    let problem = move |field: &str| {
        problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let filter_error = Signal::stored(
        (!page.problems.is_empty()).then(|| AppError::Validation(page.problems.clone())),
    );
    let invalid = {
        let problem = problem.clone();
        move |field: &str| problem(field).is_some().then_some("true")
    };
    let clean_here = page
        .items
        .iter()
        .filter(|item| item.conflicts.is_empty())
        .count();
    let filtered = queue_params(&query, false)
        .iter()
        .any(|p| !p.starts_with("sla="));
    let in_use = [
        &query.partner,
        &query.motion,
        &query.region,
        &query.conflict,
    ]
    .into_iter()
    .filter(|value| value.is_some())
    .count();
    let filters_in_use = in_use > 0 || !page.problems.is_empty();
    let filters_summary = match in_use {
        0 => "More filters: partner, motion, region, conflict".to_string(),
        n => format!("More filters ({n} in use)"),
    };
    let previous = (page.page > 1).then(|| page_link(page.page - 1));
    let next = (page.page < page.page_count).then(|| page_link(page.page + 1));
    let last = page.first + page.items.len() - usize::from(!page.items.is_empty());
    view! {
        <DecidedBanner decided=page.decided skipped=page.skipped/>
        <nav class="queue-tabs-nav" aria-label="By SLA state">
            <ul class="queue-tabs">{tabs}</ul>
        </nav>
        <form method="get" action="/deals/queue" class="filters queue-filters card" role="search" aria-label="Filter the queue" data-plain="">
            <FormError error=filter_error form="q" fields=QUEUE_FILTERS/>
            <div class="queue-search-row">
            <div class="field queue-search">
                <label for="q-search">"Search customer, partner or owner"</label>
                <input id="q-search" name="search" type="search" maxlength="100" value=query.search.clone().unwrap_or_default()
                    aria-invalid=invalid("search") aria-describedby="q-search-error"/>
                <p class="field-error" id="q-search-error">{problem("search")}</p>
            </div>
                <button type="submit" class="button">"Apply filters"</button>
            </div>
            // The other filters fold away (open while one is in use), so a phone shows
            // the first registration without scrolling past a form.
            <details class="more-filters" open=filters_in_use>
                <summary>{filters_summary}</summary>
                <div class="more-filter-grid">
                <div class="field">
                    <label for="q-partner">"Partner"</label>
                    <select id="q-partner" name="partner" aria-invalid=invalid("partner") aria-describedby="q-partner-error">
                        <option value="">"Any partner"</option>
                        {page.partners.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=selected(&query.partner, &id.to_string())>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="q-partner-error">{problem("partner")}</p>
                </div>
                <div class="field">
                    <label for="q-motion">"Motion"</label>
                    <select id="q-motion" name="motion" aria-invalid=invalid("motion") aria-describedby="q-motion-error">
                        <option value="">"Any motion"</option>
                        {Motion::ALL.iter().filter(|m| **m != Motion::Direct).map(|m| view! {
                            <option value=m.as_str() selected=selected(&query.motion, m.as_str())>{m.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="q-motion-error">{problem("motion")}</p>
                </div>
                <div class="field">
                    <label for="q-region">"Region"</label>
                    <select id="q-region" name="region" aria-invalid=invalid("region") aria-describedby="q-region-error">
                        <option value="">"Any region"</option>
                        {page.regions.iter().map(|r| view! { <option value=r.clone() selected=selected(&query.region, r)>{r.clone()}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id="q-region-error">{problem("region")}</p>
                </div>
                <div class="field">
                    <label for="q-conflict">"Conflict"</label>
                    <select id="q-conflict" name="conflict" aria-invalid=invalid("conflict") aria-describedby="q-conflict-error">
                        <option value="">"Any"</option>
                        <option value="clean" selected=selected(&query.conflict, "clean")>"Clean: no other claim"</option>
                        {ConflictKind::ALL.iter().map(|k| view! {
                            <option value=k.as_str() selected=selected(&query.conflict, k.as_str())>{k.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="q-conflict-error">{problem("conflict")}</p>
                </div>
                </div>
            </details>
            {query.sla.clone().map(|sla| view! { <input type="hidden" name="sla" value=sla/> })}
            <p class="field-error" id="q-sla-error">{problem("sla")}</p>
            <p class="field-error" id="q-page-error">{problem("page")}</p>
            {filtered.then(|| view! { <p class="filter-actions"><a href=sla_link(None)>"Clear filters"</a></p> })}
        </form>
        <p class="count" role="status" id="queue-count">
            {if page.items.is_empty() {
                format!("Nothing matches these filters ({} waiting in all).", page.waiting)
            } else {
                format!("Showing {}–{} of {} matching · {} waiting in all", page.first, last, page.matching, page.waiting)
            }}
            {(clean_here > 0).then(|| view! {
                " · " <a href="#bulk-approve">{format!("{clean_here} clean on this page: approve them together")}</a>
            })}
        </p>
        {if page.items.is_empty() && page.waiting == 0 {
            view! { <EmptyState title="Nothing waits for review." next="New registrations that need a decision appear here, most urgent first."/> }.into_any()
        } else {
            view! {
                <ul class="card-list queue-list">
                    {page.items.into_iter().map(|item| view! { <QueueCard item actions back=back.clone()/> }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(clean_here > 0).then(|| view! { <BulkApprove action=actions.approve back=back.clone()/> })}
        <nav class="pager" aria-label="Queue pages">
            {previous.map(|href| view! { <a class="button" href=href rel="prev">"← Previous"</a> })}
            <span class="meta">{format!("Page {} of {}", page.page, page.page_count)}</span>
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next →"</a> })}
        </nav>
    }
    .into_any()
}

/// What the last post decided, each with a link to its deal and audit trail; and what a
/// bulk approval left waiting. It takes focus, so a keyboard user hears it first.
#[component]
fn DecidedBanner(
    decided: Vec<crate::model::DecidedNote>,
    skipped: Vec<crate::model::DecidedNote>,
) -> impl IntoView {
    use crate::domain::channel::deals::RegistrationStatus;
    let line = |note: crate::model::DecidedNote| {
        let waiting = matches!(
            note.status,
            RegistrationStatus::Pending | RegistrationStatus::InfoRequested
        );
        view! {
            <li>
                <a href=format!("/deals/{}", note.deal_id)>{note.account_name}</a>
                " (" {note.partner_name} "): " <strong>{note.status.label()}</strong>
                {note.protected_until.filter(|_| !waiting).map(|until| view! { ", protected until " <LocalTime ms=until/> })}
                " · " <a href=format!("/deals/{}#trail", note.deal_id)>"audit trail"</a>
            </li>
        }
    };
    let any = !decided.is_empty() || !skipped.is_empty();
    any.then(|| view! {
        <div class="success decided" role="status" tabindex="-1" autofocus=true id="decided">
            {(!decided.is_empty()).then(|| view! {
                <p><strong>{if decided.len() == 1 { "Decision recorded".to_string() } else { format!("{} decisions recorded", decided.len()) }}</strong>
                    ". The partner has been told, with your rationale."</p>
                <ul>{decided.into_iter().map(line).collect_view()}</ul>
            })}
            {(!skipped.is_empty()).then(|| view! {
                <p><strong>{format!("{} left for review", skipped.len())}</strong>
                    ": no longer clean (another claim appeared) or already decided by someone else."</p>
                <ul>{skipped.into_iter().map(line).collect_view()}</ul>
            })}
        </div>
    })
}

/// One rationale for every ticked clean registration on the page.
#[component]
fn BulkApprove(action: ServerAction<ApproveRegistrations>, back: String) -> impl IntoView {
    let error = form_error(action, "bulk");
    view! {
        <form id="bulk-approve" method="post" action={form_action::<ApproveRegistrations>("bulk")}
            class="card bulk-approve" novalidate=true data-done="Approved." aria-labelledby="bulk-title">
            <h2 id="bulk-title">"Approve clean registrations together"</h2>
            <p class="hint">"Tick “Include in bulk approval” on the clean registrations above. Each is checked again when you approve: one that gained a competing claim in the meantime stays in the queue."</p>
            <FormError error form="bulk" fields=&["rationale"]/>
            <p class="field-error" id="bulk-approve-error" data-field="approve" aria-live="polite">{field_signal(error, "approve")}</p>
            <input type="hidden" name="back" value=back/>
            <TextField form="bulk" label="Rationale for all of them (each partner sees it; each audit trail keeps it)"
                name="rationale" rows=2 error/>
            <button type="submit" class="button primary">"Approve ticked registrations"</button>
        </form>
    }
}

fn hours(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} h")
    }
}

/// A registration's SLA clock as a pill: its tone and what it says.
fn sla_pill(sla: SlaState) -> (Tone, String) {
    match sla {
        SlaState::Breached { overdue_ms } => (
            Tone::Negative,
            format!("SLA breached {} ago", hours(overdue_ms)),
        ),
        SlaState::DueSoon { left_ms } => (Tone::Waiting, format!("Due in {}", hours(left_ms))),
        SlaState::OnTrack { left_ms } => (Tone::Neutral, format!("Due in {}", hours(left_ms))),
    }
}

#[component]
fn QueueCard(item: QueueItem, actions: QueueActions, back: String) -> impl IntoView {
    let deal_id = item.deal_id;
    let form = format!("decide-{deal_id}");
    let error = form_error(actions.decide, &form);
    let (sla_tone, sla_text) = sla_pill(item.sla);
    let sla_class = match item.sla {
        SlaState::Breached { .. } => "sla breached",
        SlaState::DueSoon { .. } => "sla due-soon",
        SlaState::OnTrack { .. } => "sla on-track",
    };
    let clean = item.conflicts.is_empty();
    let title_id = format!("queue-{deal_id}-title");
    let labelled_by = title_id.clone();
    let account = item.account_name.clone();
    let partner = match item.partner_org_id {
        Some(org) => {
            view! { <a href=format!("/partners/{org}")>{item.partner_name.clone()}</a> }.into_any()
        }
        None => item.partner_name.clone().into_any(),
    };
    view! {
        <li class="card queue-card" data-deal-id=deal_id.to_string() data-clean=clean.to_string() id=form.clone() aria-labelledby=labelled_by>
            <div class="path-head">
                <h2 id=title_id.clone()><a href=format!("/deals/{deal_id}")>{item.account_name.clone()}</a></h2>
                <Pill tone=sla_tone text=sla_text extra=sla_class/>
            </div>
            <p class="meta">
                {partner} " (" {item.owner_name} ") · " {item.motion.label()} " · " {item.kind.label()} " · "
                {item.product_line} {(!item.region.is_empty()).then(|| format!(" · {}", item.region))}
            </p>
            <p class="meta">
                <strong>{format_money(item.amount_cents)}</strong> " · " {format!("{:.0}% discount", item.requested_discount_pct)}
                " · submitted " <LocalTime ms=item.submitted_at/> " · " <StatusPill status=item.status/>
            </p>
            <div class="conflict-summary">
                {if clean {
                    view! { <Pill tone=Tone::Positive text="Clean" extra="conflict clean"/> }.into_any()
                } else {
                    item.conflicts.iter().map(|kind| view! { <Pill tone=Tone::Waiting text=kind.label() extra="conflict"/> }).collect_view().into_any()
                }}
            </div>
            <ol class="rationale">{item.explanation.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            {(!item.others.is_empty()).then(|| view! {
                <h3>"Other claims on this customer"</h3>
                <ul class="other-claims">
                    {item.others.into_iter().map(|other| view! {
                        <li>
                            <a href=format!("/deals/{}", other.deal_id)>{other.party}</a>
                            ": " {other.status.label()} " · " {other.stage.label()}
                            {other.protected_until.filter(|_| other.status == crate::domain::channel::deals::RegistrationStatus::Approved)
                                .map(|until| view! { " · protected until " <LocalTime ms=until/> })}
                            {other.submitted_at.map(|at| view! { " · submitted " <LocalTime ms=at/> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <p><span class="label">"Proof of work: "</span>{item.proof_of_work}</p>
            {clean.then(|| view! {
                <label class="check bulk-pick">
                    <input type="checkbox" name=format!("approve[{deal_id}]") value="on" form="bulk-approve"/>
                    " Include in bulk approval"
                </label>
            })}
            <form method="post" action={form_action::<DecideRegistration>(&form)} novalidate=true data-done="Decision recorded.">
                <FormError error form=form.clone() fields=&["rationale"]/>
                <input type="hidden" name="deal_id" value=deal_id.to_string()/>
                <input type="hidden" name="back" value=back/>
                <TextField form=form.clone() label="Rationale (shared with the partner and kept in the audit trail)"
                    name="rationale" rows=2 error/>
                <div class="quiz-actions">
                    <button type="submit" class="button primary" name="decision" value="approve">"Approve"<span class="sr-only">" " {account.clone()}</span></button>
                    <button type="submit" class="button" name="decision" value="request_info">"Request info"<span class="sr-only">" from " {item.partner_name.clone()}</span></button>
                    <button type="submit" class="button danger" name="decision" value="decline">"Decline"<span class="sr-only">" " {account}</span></button>
                </div>
            </form>
        </li>
    }
}

#[component]
fn Appeals(items: Vec<AppealItem>, resolve: ServerAction<ResolveAppeal>) -> impl IntoView {
    if items.is_empty() {
        return view! { <EmptyState title="No open appeals." next="When a partner appeals a declined registration, it waits here with their evidence."/> }.into_any();
    }
    view! {
        <ul class="card-list">{items.into_iter().map(|item| view! { <AppealCard item resolve/> }).collect_view()}</ul>
    }
    .into_any()
}

#[component]
fn AppealCard(item: AppealItem, resolve: ServerAction<ResolveAppeal>) -> impl IntoView {
    let appeal_id = item.appeal_id;
    let form = format!("resolve-{appeal_id}");
    let error = form_error(resolve, &form);
    view! {
        <li class="card appeal-card" id=form.clone()>
            <h3>{item.account_name} " — " {item.partner_name}</h3>
            <p class="meta">"Filed " <LocalTime ms=item.filed_at/></p>
            <p><span class="label">"Evidence: "</span>{item.evidence}</p>
            <ol class="rationale">{item.explanation.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            <form method="post" action={form_action::<ResolveAppeal>(&form)} novalidate=true data-done="Appeal resolved.">
                <FormError error form=form.clone() fields=&["rationale"]/>
                <input type="hidden" name="appeal_id" value=appeal_id.to_string()/>
                <TextField form=form.clone() label="Resolution (shared with the partner)" name="rationale" rows=2 error/>
                <div class="quiz-actions">
                    <button type="submit" class="button primary" name="uphold" value="true">"Uphold"</button>
                    <button type="submit" class="button danger" name="uphold" value="false">"Reject"</button>
                </div>
            </form>
        </li>
    }
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    use crate::api::channel::{load_pipeline, PipelineQuery};
    use leptos_router::hooks::use_query_map;
    let query_map = use_query_map();
    let query = move || {
        let q = query_map.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        PipelineQuery {
            partner: get("partner"),
            motion: get("motion"),
            stage: get("stage"),
            region: get("region"),
            status: get("status"),
            expiring_days: get("expiring_days"),
            sort: get("sort"),
            page: get("page"),
            view: get("view"),
        }
    };
    let pipeline = Resource::new(query, load_pipeline);
    view! {
        <Title text="Pipeline"/>
        <section class="page" aria-labelledby="pipeline-title">
            <h1 id="pipeline-title">"Pipeline"</h1>
            {loaded(pipeline, move |page| view! { <PipelineView page query=query()/> })}
        </section>
    }
}

#[component]
fn PipelineView(
    page: crate::model::PipelinePage,
    query: crate::api::channel::PipelineQuery,
) -> impl IntoView {
    use crate::domain::channel::deals::{RegistrationStatus, Stage};
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let link_for = {
        let filters = query.params();
        move |page: i64| {
            let mut parts = filters.clone();
            parts.push(format!("page={page}"));
            format!("/deals/pipeline?{}", parts.join("&"))
        }
    };
    let export_query = query.clone();
    let board = query.board();
    // "Filters", or "Filters in use: Resale, Propose" naming each chosen value.
    let partner_name = query.partner.as_ref().and_then(|id| {
        page.partners
            .iter()
            .find(|(p, _)| p.to_string() == *id)
            .map(|(_, name)| name.clone())
    });
    let chosen: Vec<String> = [
        partner_name,
        query
            .motion
            .as_deref()
            .and_then(Motion::parse)
            .map(|m| m.label().to_string()),
        query
            .stage
            .as_deref()
            .and_then(Stage::parse)
            .map(|s| s.label().to_string()),
        query.region.clone(),
        query
            .status
            .as_deref()
            .and_then(RegistrationStatus::parse)
            .map(|s| s.label().to_string()),
        query
            .expiring_days
            .as_ref()
            .map(|d| format!("protection ends within {d} days")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let filters_summary = if chosen.is_empty() {
        "Filters and sorting".to_string()
    } else {
        format!("Filters in use: {}", chosen.join(", "))
    };
    let previous = (page.page > 1).then(|| link_for(page.page - 1));
    let next = (page.page < page.page_count).then(|| link_for(page.page + 1));
    view! {
        <ViewSwitch query=query.clone()/>
        <SavedViews saved=page.saved query=query.clone()/>
        // Folded, so the deals come first on a phone; the summary says what is in use.
        <details class="filters-panel">
        <summary>{filters_summary}</summary>
        <form method="get" action="/deals/pipeline" class="filters pipeline-filters card" role="search" aria-label="Filter the pipeline">
            <div class="field">
                <label for="f-partner">"Partner"</label>
                <select id="f-partner" name="partner">
                    <option value="">"Any partner"</option>
                    {page.partners.iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=selected(&query.partner, &id.to_string())>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-motion">"Motion"</label>
                <select id="f-motion" name="motion">
                    <option value="">"Any motion"</option>
                    {Motion::ALL.iter().map(|m| view! { <option value=m.as_str() selected=selected(&query.motion, m.as_str())>{m.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-stage">"Stage"</label>
                <select id="f-stage" name="stage">
                    <option value="">"Any stage"</option>
                    {Stage::ALL.iter().map(|s| view! { <option value=s.as_str() selected=selected(&query.stage, s.as_str())>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-region">"Region"</label>
                <select id="f-region" name="region">
                    <option value="">"Any region"</option>
                    {page.regions.iter().map(|r| view! { <option value=r.clone() selected=selected(&query.region, r)>{r.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-status">"Registration"</label>
                <select id="f-status" name="status">
                    <option value="">"Any status"</option>
                    {RegistrationStatus::ALL.iter().map(|s| view! { <option value=s.as_str() selected=selected(&query.status, s.as_str())>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-expiring">"Protection ends within (days)"</label>
                <input id="f-expiring" name="expiring_days" inputmode="numeric" value=query.expiring_days.clone().unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="f-sort">"Sort by"</label>
                <select id="f-sort" name="sort">
                    <option value="updated" selected=selected(&query.sort, "updated")>"Last updated"</option>
                    <option value="amount" selected=selected(&query.sort, "amount")>"Amount"</option>
                    <option value="close" selected=selected(&query.sort, "close")>"Close date"</option>
                    <option value="protection" selected=selected(&query.sort, "protection")>"Protection end"</option>
                </select>
            </div>
            {board.then(|| view! { <input type="hidden" name="view" value="board"/> })}
            <button type="submit" class="button">"Apply"</button>
        </form>
        </details>
        <p class="count" role="status">
            {page.total_deals} " deals match"
            {(!board).then(|| format!(" · page {} of {}", page.page, page.page_count))}
        </p>
        {if board {
            view! { <Board columns=page.board query=query.clone()/> }.into_any()
        } else {
            view! { <PipelineTable rows=page.rows previous next/> }.into_any()
        }}
        <h2 class="totals-title">"Totals of these deals"</h2>
        <div class="totals">
            <Totals title="By stage" totals=page.by_stage/>
            <Totals title="By motion" totals=page.by_motion/>
            <Totals title="By registration" totals=page.by_status/>
        </div>
        <PipelineExport query=export_query/>
    }
    .into_any()
}

/// The deals of one page as a table (cards on a phone), with the pager.
#[component]
fn PipelineTable(
    rows: Vec<crate::model::PipelineRow>,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Pipeline deals" tabindex="0">
            <table class="attempts pipeline cards">
                <thead><tr>
                    <th scope="col">"Customer"</th><th scope="col">"Partner"</th><th scope="col">"Motion"</th><th scope="col">"Stage"</th>
                    <th scope="col">"Registration"</th><th scope="col">"Amount"</th><th scope="col">"Discount"</th><th scope="col">"Protected until"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>
                            <td data-label="Customer"><a href=format!("/deals/{}", row.deal_id)>{row.account_name}</a><br/><span class="meta">{row.region}</span></td>
                            <td data-label="Partner">{row.partner_name}</td>
                            <td data-label="Motion">{row.motion.label()}</td>
                            <td data-label="Stage">{row.stage.label()}</td>
                            <td data-label="Registration"><StatusPill status=row.status/></td>
                            <td data-label="Amount">{format_money(row.amount_cents)}</td>
                            <td data-label="Discount">{format!("{:.0}%", row.requested_discount_pct)}</td>
                            <td data-label="Protected until">{row.protected_until.map(|t| view! { <LocalTime ms=t/> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a class="button" href=href rel="prev">"← Previous"</a> })}
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next →"</a> })}
        </nav>
    }
}

/// The pipeline's address with these filters and `view` ("board", or `None` for the table).
fn pipeline_href(query: &crate::api::channel::PipelineQuery, view: Option<&str>) -> String {
    let params = crate::api::channel::PipelineQuery {
        view: view.map(str::to_string),
        page: None,
        ..query.clone()
    }
    .params();
    if params.is_empty() {
        "/deals/pipeline".to_string()
    } else {
        format!("/deals/pipeline?{}", params.join("&"))
    }
}

/// Table or board, keeping the filters; the current one is marked.
#[component]
fn ViewSwitch(query: crate::api::channel::PipelineQuery) -> impl IntoView {
    let board = query.board();
    let current = |on: bool| on.then_some("page");
    view! {
        <nav class="view-switch" aria-label="Pipeline view">
            <a href=pipeline_href(&query, None) aria-current=current(!board)>"Table"</a>
            <a href=pipeline_href(&query, Some("board")) aria-current=current(board)>"Board by stage"</a>
        </nav>
    }
}

/// The board: a column per stage with its count and amount under the filters and its
/// first cards; the rest of a stage is a link to it in the table. On a phone the columns
/// sit side by side at half the width, two in view, and scroll sideways.
#[component]
fn Board(
    columns: Vec<crate::model::BoardColumn>,
    query: crate::api::channel::PipelineQuery,
) -> impl IntoView {
    view! {
        <div class="board" role="region" aria-label="Pipeline board by stage" tabindex="0">
            {columns.into_iter().map(|column| {
                let id = format!("stage-{}", column.stage.as_str());
                let labelled_by = id.clone();
                let shown = column.cards.len() as i64;
                let all = pipeline_href(&crate::api::channel::PipelineQuery {
                    stage: Some(column.stage.as_str().to_string()),
                    ..query.clone()
                }, None);
                view! {
                    <section class="board-column" aria-labelledby=labelled_by data-stage=column.stage.as_str()>
                        <h2 id=id>{column.stage.label()}</h2>
                        <p class="board-total">{column.deals} " deals · " {format_money(column.amount_cents)}</p>
                        {if column.cards.is_empty() {
                            view! { <p class="empty">"No deals"</p> }.into_any()
                        } else {
                            view! {
                                <ul class="board-cards">
                                    {column.cards.into_iter().map(|card| view! {
                                        <li class="board-card">
                                            <a href=format!("/deals/{}", card.deal_id)>{card.account_name}</a>
                                            <span class="meta">{card.partner_name}</span>
                                            <span class="board-amount">{format_money(card.amount_cents)}</span>
                                            <StatusPill status=card.status/>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {(column.deals > shown).then(|| view! {
                            <a class="board-more" href=all>{format!("All {} in {}", column.deals, column.stage.label())}</a>
                        })}
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// The viewer's saved views as links (the one matching these filters marked), each with a
/// delete button, and a form that saves the current filters under a name.
#[component]
fn SavedViews(
    saved: Vec<crate::model::SavedView>,
    query: crate::api::channel::PipelineQuery,
) -> impl IntoView {
    use crate::api::channel::{DeletePipelineView, SavePipelineView};
    let save = ServerAction::<SavePipelineView>::new();
    let error = form_error(save, "save-view");
    let here = pipeline_href(&query, query.board().then_some("board"));
    let hidden = [
        ("partner", query.partner.clone()),
        ("motion", query.motion.clone()),
        ("stage", query.stage.clone()),
        ("region", query.region.clone()),
        ("status", query.status.clone()),
        ("expiring_days", query.expiring_days.clone()),
        ("sort", query.sort.clone()),
        ("view", query.view.clone()),
    ];
    view! {
        <section class="saved-views" aria-labelledby="saved-views-title">
            <h2 id="saved-views-title" class="sr-only">"Saved views"</h2>
            {(!saved.is_empty()).then(|| view! {
                <ul class="saved-list" aria-label="Your saved views">
                    {saved.into_iter().map(|view| {
                        let current = (view.href == here).then_some("page");
                        view! {
                            <li>
                                <a class="saved-view" href=view.href aria-current=current>{view.name.clone()}</a>
                                <form method="post" action={form_action::<DeletePipelineView>(&format!("delete-view-{}", view.view_id))}>
                                    <input type="hidden" name="view_id" value=view.view_id.to_string()/>
                                    <button type="submit" class="link-button" aria-label=format!("Delete the saved view {}", view.name)>"Delete"</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <details class="save-view" open=move || error.get().is_some()>
                <summary>"Save these filters as a view"</summary>
                <form method="post" action={form_action::<SavePipelineView>("save-view")} novalidate=true>
                    <FormError error form="save-view" fields=&["name"]/>
                    {hidden.into_iter().filter_map(|(key, value)| value.filter(|v| !v.is_empty()).map(|value| view! {
                        <input type="hidden" name=format!("query[{key}]") value=value/>
                    })).collect_view()}
                    <TextField form="save-view" label="Name" name="name" autocomplete="off" error/>
                    <button type="submit" class="button">"Save view"</button>
                </form>
            </details>
        </section>
    }
}

/// The CSV export of the filtered pipeline: plain links to the file, with the page's
/// filters (no script; the browser downloads it).
#[component]
fn PipelineExport(query: crate::api::channel::PipelineQuery) -> impl IntoView {
    use crate::api::channel::PIPELINE_CSV_PATH;
    let plain = format!("{PIPELINE_CSV_PATH}?{}", query.params().join("&"));
    let excel = format!("{plain}&excel=1");
    view! {
        <p class="actions">
            <a class="button" href=plain download="pipeline.csv">"Export CSV"</a>
            " "
            <a class="button" href=excel download="pipeline.csv">"Export CSV for Excel"</a>
        </p>
    }
}

#[component]
fn Totals(title: &'static str, totals: Vec<crate::model::PipelineTotal>) -> impl IntoView {
    view! {
        <div class="card">
            <h2>{title}</h2>
            <table class="attempts">
                <tbody>
                    {totals.into_iter().map(|t| view! {
                        <tr><th scope="row">{t.label}</th><td>{t.deals}</td><td>{format_money(t.amount_cents)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn DealAuditPage() -> impl IntoView {
    use leptos_router::hooks::use_params_map;
    let deal_id = use_params_map()
        .read_untracked()
        .get("deal_id")
        .and_then(|id| id.parse::<i64>().ok());
    view! {
        <Title text="Deal history"/>
        <DealAuditBody deal_id/>
    }
}

/// A deal's history, and for the partner the deal's own card with its forms (plain posts).
#[component]
fn DealAuditBody(deal_id: Option<i64>) -> impl IntoView {
    use crate::api::channel::{load_deal_audit, load_own_deal};
    let deal_id = move || deal_id;
    let audit = Resource::new(deal_id, |id| async move {
        match id {
            Some(id) => load_deal_audit(id).await,
            None => Err(AppError::NotFound),
        }
    });
    // The partner's own deal, to act on where an emailed link lands; staff get `None`.
    let own = Resource::new(deal_id, |id| async move {
        match id {
            Some(id) => load_own_deal(id).await,
            None => Ok(None),
        }
    });
    let actions = DealActions::new();
    view! {
        <section class="page" aria-labelledby="audit-title">
            <EnhancedForm>
                {loaded(audit, move |audit| view! { <AuditView audit own actions/> })}
            </EnhancedForm>
        </section>
    }
}

#[component]
fn AuditView(
    audit: crate::model::DealAudit,
    own: Resource<Result<Option<crate::model::OwnDealPage>, AppError>>,
    actions: DealActions,
) -> impl IntoView {
    use crate::components::load::encode_query_value;
    use crate::domain::channel::csv::{instant, line};
    let mut csv = line(&["at", "actor", "field", "from", "to", "rationale"]);
    for e in &audit.events {
        let at = instant(Some(e.at));
        csv.push_str(&line(&[
            at.as_str(),
            &e.actor,
            &e.field,
            &e.from,
            &e.to,
            &e.rationale,
        ]));
    }
    let href = format!("data:text/csv;charset=utf-8,{}", encode_query_value(&csv));
    view! {
        <h1 id="audit-title">{audit.account_name} " — " {audit.partner_name}</h1>
        <p class="meta">"Registration: " {audit.status.label()}</p>
        {audit.crm_owner.map(|(name, crm)| view! {
            <p class="meta">"Vendor deal owner: " <strong>{name}</strong> {format!(" (in {crm})")}</p>
        })}
        // The partner's own deal, to act on where an emailed link lands. Errors show once,
        // from the history.
        <Suspense fallback=|| ()>
            {move || own.get().and_then(Result::ok).flatten().map(|page| view! {
                <ul class="card-list own-deal">
                    <OwnDealCard deal=page.deal members=page.members actions/>
                </ul>
            })}
        </Suspense>
        {(!audit.partner_view).then(|| view! { <StaffDealPanel deal_id=audit.deal_id/> })}
        <super::conversation::DealConversationSection deal_id=audit.deal_id partner_view=audit.partner_view/>
        <h2 id="trail">"History"</h2>
        <p><a class="button" href=href download=format!("deal-{}-history.csv", audit.deal_id)>"Download history (CSV)"</a></p>
        <div class="table-wrap" role="region" aria-label="Deal history" tabindex="0">
            <table class="attempts audit cards">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"From → to"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {audit.events.into_iter().map(|e| view! {
                        <tr>
                            <td data-label="When"><LocalTime ms=e.at/></td>
                            <td data-label="Who">{e.actor}</td>
                            <td data-label="What">{audit_field_label(&e.field).to_string()}</td>
                            <td data-label="From → to">{
                                let (from, to) = (audit_value(&e.field, &e.from), audit_value(&e.field, &e.to));
                                if from.is_empty() { to } else { format!("{from} → {to}") }
                            }</td>
                            <td data-label="Why">{e.rationale}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The deal itself for vendor staff: its facts, what competes with it now, the other
/// claims on its customer, its early warnings, and the decision when it waits for one.
#[component]
fn StaffDealPanel(deal_id: i64) -> impl IntoView {
    use crate::api::channel::load_staff_deal;
    let deal = Resource::new(move || deal_id, load_staff_deal);
    let decide = ServerAction::<DecideRegistration>::new();
    let decided = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("decided")
        .is_some();
    view! {
        <Suspense fallback=|| ()>
            {move || deal.get().and_then(Result::ok).map(|deal| view! { <StaffDealView deal decide decided/> })}
        </Suspense>
    }
}

#[component]
fn StaffDealView(
    deal: crate::model::StaffDeal,
    decide: ServerAction<DecideRegistration>,
    decided: bool,
) -> impl IntoView {
    use crate::domain::channel::deals::RegistrationStatus;
    let deal_id = deal.deal_id;
    let form = format!("decide-{deal_id}");
    let error = form_error(decide, &form);
    let partner = match deal.partner_org_id {
        Some(org) => {
            view! { <a href=format!("/partners/{org}")>{deal.partner_name.clone()}</a> }.into_any()
        }
        None => deal.partner_name.clone().into_any(),
    };
    let dash = || "—".to_string();
    let protection = match (deal.status, deal.protected_until) {
        (RegistrationStatus::Approved, Some(until)) => {
            view! { "Protected until " <LocalTime ms=until/> }.into_any()
        }
        (RegistrationStatus::Expired, Some(until)) => {
            view! { "Ended " <LocalTime ms=until/> }.into_any()
        }
        _ => "Not protected".into_any(),
    };
    let waiting = deal.review.clone();
    view! {
        {decided.then(|| view! {
            <div class="success decided" role="status" tabindex="-1" autofocus=true id="decided">
                <p><strong>"Decision recorded: " {deal.status.label()}</strong>
                    ". The partner has been told, with your rationale; the history below keeps it. "
                    <a href="/deals/queue">"Back to the queue"</a></p>
            </div>
        })}
        <div class="card staff-deal">
            <div class="path-head">
                <h2>"The deal"</h2>
                <StatusPill status=deal.status/>
            </div>
            <dl class="facts deal-facts">
                <dt>"Partner"</dt><dd>{partner}</dd>
                <dt>"Owner"</dt><dd>{deal.owner_name.clone()}</dd>
                <dt>"Motion"</dt><dd>{deal.motion.label()} " · " {deal.kind.label()}</dd>
                <dt>"Product line"</dt><dd>{deal.product_line.clone()}</dd>
                <dt>"Region"</dt><dd>{if deal.region.is_empty() { dash() } else { deal.region.clone() }}</dd>
                <dt>"Stage"</dt><dd>{deal.stage.label()}</dd>
                <dt>"Amount"</dt><dd>{format_money(deal.amount_cents)}</dd>
                <dt>"Requested discount"</dt><dd>{format!("{:.0}%", deal.requested_discount_pct)}</dd>
                <dt>"Expected close"</dt><dd>{deal.close_at.map(|at| view! { <LocalTime ms=at/> }.into_any()).unwrap_or_else(|| dash().into_any())}</dd>
                <dt>"Submitted"</dt><dd>{deal.submitted_at.map(|at| view! { <LocalTime ms=at/> }.into_any()).unwrap_or_else(|| "Not registered".into_any())}</dd>
                <dt>"Protection"</dt><dd>{protection}</dd>
                <dt>"Next step"</dt><dd>{if deal.next_step.is_empty() { dash() } else { deal.next_step.clone() }}</dd>
            </dl>
            <p><span class="label">"Proof of work: "</span>{if deal.proof_of_work.is_empty() { dash() } else { deal.proof_of_work.clone() }}</p>
        </div>
        <div class="card">
            <h2>"Conflict check"</h2>
            {match &waiting {
                Some(review) => view! {
                    <p class="meta">"Weighed now, against the claims on this customer today:"</p>
                    <div class="conflict-summary">
                        {if review.conflicts.is_empty() {
                            view! { <Pill tone=Tone::Positive text="Clean" extra="conflict clean"/> }.into_any()
                        } else {
                            review.conflicts.iter().map(|kind| view! { <Pill tone=Tone::Waiting text=kind.label() extra="conflict"/> }).collect_view().into_any()
                        }}
                    </div>
                    <ol class="rationale">{review.explanation.clone().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
                }.into_any(),
                None => ().into_any(),
            }}
            {(!deal.at_registration.is_empty()).then(|| view! {
                <p class="meta">"When it was registered:"</p>
                <ol class="rationale">{deal.at_registration.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            })}
            <h3>"Other claims on this customer"</h3>
            {if deal.others.is_empty() {
                view! { <p class="meta">"None: no other party claims this customer."</p> }.into_any()
            } else {
                view! {
                    <ul class="other-claims">
                        {deal.others.into_iter().map(|other| view! {
                            <li>
                                <a href=format!("/deals/{}", other.deal_id)>{other.party}</a>
                                ": " {other.status.label()} " · " {other.stage.label()}
                                {other.protected_until.filter(|_| other.status == RegistrationStatus::Approved)
                                    .map(|until| view! { " · protected until " <LocalTime ms=until/> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!deal.signals.is_empty()).then(|| view! {
                <h3>"Early warnings"</h3>
                <ul class="signals">
                    {deal.signals.into_iter().map(|s| view! { <li><strong>{s.kind.label()}</strong> ": " {s.detail}</li> }).collect_view()}
                </ul>
            })}
        </div>
        {waiting.map(|review| {
            let (sla_tone, sla_text) = sla_pill(review.sla);
            view! {
                <form method="post" action={form_action::<DecideRegistration>(&form)} class="card decision" id="decision"
                        novalidate=true data-done="Decision recorded." aria-labelledby="decision-title">
                        <div class="path-head">
                            <h2 id="decision-title">"Decide this registration"</h2>
                            <Pill tone=sla_tone text=sla_text/>
                        </div>
                        <FormError error form=form.clone() fields=&["rationale"]/>
                        <input type="hidden" name="deal_id" value=deal_id.to_string()/>
                        <input type="hidden" name="back" value="deal"/>
                        <TextField form=form.clone() label="Rationale (shared with the partner and kept in the audit trail)"
                            name="rationale" rows=2 error/>
                        <div class="quiz-actions">
                            <button type="submit" class="button primary" name="decision" value="approve">"Approve"</button>
                            <button type="submit" class="button" name="decision" value="request_info">"Request info"</button>
                            <button type="submit" class="button danger" name="decision" value="decline">"Decline"</button>
                        </div>
                </form>
            }
        })}
    }
}

#[component]
pub fn SignalsPage() -> impl IntoView {
    use crate::api::channel::load_signals;
    let signals = Resource::new(|| (), |_| load_signals());
    view! {
        <Title text="Early warnings"/>
        <section class="page" aria-labelledby="signals-title">
            <h1 id="signals-title">"Early warnings"</h1>
            <p class="lead">"Conflicts in the making, before they cost a deal."</p>
            {loaded(signals, |signals| view! { <SignalList signals/> })}
        </section>
    }
}

#[component]
fn SignalList(signals: Vec<crate::model::DealSignal>) -> impl IntoView {
    use crate::model::SignalKind;
    let kinds = [
        SignalKind::TwoOpenDeals,
        SignalKind::RenewalTouchedByDirect,
        SignalKind::RenewalUnconfirmed,
        SignalKind::OwnerChanged,
        SignalKind::DiscountAboveBand,
        SignalKind::ProtectionExpiringSoon,
        SignalKind::MissingPartnerFields,
        SignalKind::Inactive,
    ];
    view! {
        {kinds.into_iter().map(|kind| {
            let rows: Vec<_> = signals.iter().filter(|s| s.kind == kind).cloned().collect();
            let count = rows.len();
            let open = (1..=10).contains(&count);
            view! {
                <details class="card signal-group" open=open>
                    <summary><strong>{kind.label()}</strong> " (" {count} ")"</summary>
                    <ul class="signals">
                        {rows.into_iter().map(|s| view! {
                            <li><a href=s.deal_id.map_or("/deals/renewals".to_string(), |id| format!("/deals/{id}"))>{s.account_name}</a> " — " {s.partner_name} ": " {s.detail}</li>
                        }).collect_view()}
                    </ul>
                </details>
            }
        }).collect_view()}
    }
}
