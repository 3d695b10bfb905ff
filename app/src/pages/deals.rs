//! Deal registration and the partner's pipeline; the managers' review queue.
use crate::api::channel::{
    load_my_pipeline, load_open_appeals, load_review_queue, DecideRegistration, FileAppeal,
    RegisterDeal, RequestExtension, ResolveAppeal, UpdateDeal,
};
use crate::components::enhance::EnhancedForm;
use crate::components::form::BoundField as Field;
use crate::components::form::{
    field_signal, last_error, last_error_here, refetch_on_success, FormError,
};
use crate::components::load::loaded;
use crate::components::time::LocalTime;
use crate::domain::channel::clocks::SlaState;
use crate::domain::channel::deals::Stage;
use crate::domain::channel::deals::{format_money, Motion, PRODUCT_LINES};
use crate::domain::channel::updates::{audit_field_label, audit_value, iso_date, DealUpdateInput};
use crate::error::AppError;
use crate::model::{
    AppealItem, CustomerMatch, ExtensionHint, Holder, Member, OwnDeal, PartnerPipeline, QueueItem,
    SafeDeal,
};
use leptos::form::ActionForm;
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
            <OwnPipeline/>
        </section>
    }
}

/// The partner's deals with their actions (appeal, edit, extend). An island (full bundle)
/// until those forms are plain posts; the registration form above it is server HTML.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn OwnPipeline() -> impl IntoView {
    let pipeline = Resource::new(|| (), |_| load_my_pipeline());
    let appeal = ServerAction::<FileAppeal>::new();
    let update = ServerAction::<UpdateDeal>::new();
    let extend = ServerAction::<RequestExtension>::new();
    let actions = DealActions {
        appeal,
        update,
        extend,
    };
    refetch_on_success(appeal, pipeline);
    refetch_on_success(update, pipeline);
    refetch_on_success(extend, pipeline);
    view! { {loaded(pipeline, move |pipeline| view! { <Pipeline pipeline actions/> })} }
}

/// The partner's actions on their own deals, shared by every card on the page.
#[derive(Clone, Copy)]
struct DealActions {
    appeal: ServerAction<FileAppeal>,
    update: ServerAction<UpdateDeal>,
    extend: ServerAction<RequestExtension>,
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
/// hydration and it works before any script. The customer check beside it is an island.
#[component]
fn RegisterForm(action: ServerAction<RegisterDeal>, registered: Option<OwnDeal>) -> impl IntoView {
    let error = last_error(action.value());
    let text = move |label: &'static str, name: &'static str, kind: &'static str| {
        view! {
            <div class="field">
                <label for=format!("deal-{name}")>{label}</label>
                <input id=format!("deal-{name}") name=format!("input[{name}]") type=kind
                    aria-describedby=format!("deal-{name}-error")/>
                <FieldSlot name error/>
            </div>
        }
    };
    view! {
        <EnhancedForm>
            <ActionForm action attr:class="card deal-form" attr:aria-labelledby="register-title" attr:novalidate=true>
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
                        aria-describedby="deal-company_name-error customer-check"/>
                    <FieldSlot name="company_name" error/>
                </div>
                <div class="field">
                    <label for="deal-domain">"Customer website"</label>
                    <input id="deal-domain" name="input[domain]" placeholder="acme.com" inputmode="url"
                        aria-describedby="deal-domain-error"/>
                    <FieldSlot name="domain" error/>
                </div>
                <CustomerCheck/>
                {text("Country", "country", "text")}
                <div class="field">
                    <label for="deal-motion">"How you sell it"</label>
                    <select id="deal-motion" name="input[motion]" aria-describedby="deal-motion-error">
                        {Motion::ALL.iter().filter(|m| **m != Motion::Direct).map(|m| view! {
                            <option value=m.as_str() selected=*m == Motion::Resale>{m.label()}</option>
                        }).collect_view()}
                    </select>
                    <FieldSlot name="motion" error/>
                </div>
                <div class="field">
                    <label for="deal-kind">"Deal type"</label>
                    <select id="deal-kind" name="input[kind]" aria-describedby="deal-kind-error">
                        <option value="net_new" selected=true>"New customer"</option>
                        <option value="expansion">"Expansion"</option>
                        <option value="renewal">"Renewal"</option>
                    </select>
                    <FieldSlot name="kind" error/>
                </div>
                <div class="field">
                    <label for="deal-product_line">"Product line"</label>
                    <select id="deal-product_line" name="input[product_line]" aria-describedby="deal-product_line-error">
                        {PRODUCT_LINES.iter().map(|p| view! { <option value=*p>{*p}</option> }).collect_view()}
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
                    <textarea id="deal-proof_of_work" name="input[proof_of_work]" rows="3" aria-describedby="deal-proof_of_work-error"></textarea>
                    <FieldSlot name="proof_of_work" error/>
                </div>
                <div class="field">
                    <label for="deal-notes">"Private notes (only your organisation sees these)"</label>
                    <textarea id="deal-notes" name="input[notes]" rows="2" aria-describedby="deal-notes-error"></textarea>
                    <FieldSlot name="notes" error/>
                </div>
                <button type="submit" class="button primary">"Register deal"</button>
            </ActionForm>
        </EnhancedForm>
    }
}

/// The live uniqueness check: as the partner types the customer's name or website (after a
/// short pause), says who may already have it registered and until when. An island (full
/// bundle); it reads the two inputs of the form around it by id.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
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
                                        (Some(until), _) => format!(" — protected until {}", crate::components::time::utc_text(until)),
                                        (None, true) => " — a registration is under review".to_string(),
                                        (None, false) => " — not protected".to_string(),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
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
    } = pipeline;
    view! {
        <h2>"Your deals (" {own.len()} ")"</h2>
        {if own.is_empty() {
            view! { <p class="empty">"No deals yet. Register your first above."</p> }.into_any()
        } else {
            view! { <ul class="card-list">{own.into_iter().map(|deal| view! { <OwnDealCard deal members=members.clone() actions/> }).collect_view()}</ul> }.into_any()
        }}
        {(!others.is_empty()).then(|| view! {
            <h2>"Other parties on your customers"</h2>
            <p class="hint">"Only stage and protection are shared; never price, discount or notes."</p>
            <div class="table-wrap" role="region" aria-label="Other parties on your customers" tabindex="0">
                <table class="attempts safe-deals">
                    <thead><tr><th scope="col">"Customer"</th><th scope="col">"Who"</th><th scope="col">"Stage"</th><th scope="col">"Status"</th><th scope="col">"Protected until"</th></tr></thead>
                    <tbody>{others.into_iter().map(|deal| view! { <SafeRow deal/> }).collect_view()}</tbody>
                </table>
            </div>
        })}
    }
}

#[component]
fn OwnDealCard(deal: OwnDeal, members: Vec<Member>, actions: DealActions) -> impl IntoView {
    let appeal = actions.appeal;
    let deal_id = deal.deal_id;
    let editor = view! { <DealEditor deal=deal.clone() members update=actions.update/> };
    let extension = deal
        .extension
        .clone()
        .map(|hint| view! { <ExtensionControl deal_id hint extend=actions.extend/> });
    let evidence = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, appeal.value());
    let evidence_id = format!("evidence-{deal_id}");
    let evidence_for = evidence_id.clone();
    view! {
        <li class="card deal-card" data-deal-id=deal_id.to_string()>
            <div class="path-head">
                <h3><a href=format!("/deals/{deal_id}")>{deal.account_name}</a></h3>
                <span class="badge">{deal.status.label()}</span>
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
                <details class="appeal">
                    <summary>"Appeal this decision"</summary>
                    <form on:submit=move |event: leptos::ev::SubmitEvent| {
                        event.prevent_default();
                        mine.set(true);
                        appeal.dispatch(FileAppeal { deal_id, evidence: evidence.get_untracked() });
                    }>
                        <div class="field">
                            <label for=evidence_for>"Evidence"</label>
                            <p class="hint">"Meetings, emails, the customer's own words: what shows this customer is yours."</p>
                            <textarea id=evidence_id rows="3" bind:value=evidence></textarea>
                            <p class="field-error" aria-live="polite">{move || error.get().and_then(|e| e.field_message("evidence"))}</p>
                        </div>
                        <FormError error fields=&["evidence"]/>
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
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, extend.value());
    match hint {
        ExtensionHint::Available { until } => view! {
            <div class="extension">
                <button type="button" class="button" disabled=move || extend.pending().get()
                    on:click=move |_| {
                        mine.set(true);
                        extend.dispatch(RequestExtension { deal_id });
                    }>
                    "Extend protection to " <LocalTime ms=until/>
                </button>
                <FormError error fields=&[]/>
            </div>
        }
        .into_any(),
        ExtensionHint::OpensAt(at) => view! {
            <p class="hint extension">"You can request an extension from " <LocalTime ms=at/> "."</p>
        }
        .into_any(),
        ExtensionHint::Unavailable(why) => view! { <p class="hint extension">{why}</p> }.into_any(),
    }
}

/// Editing a deal: stage, numbers, next step, proof, notes and owner. Stage rules come back
/// on their fields from the server.
#[component]
fn DealEditor(
    deal: OwnDeal,
    members: Vec<Member>,
    update: ServerAction<UpdateDeal>,
) -> impl IntoView {
    let deal_id = deal.deal_id;
    let version = deal.version;
    let prefix = format!("deal-{deal_id}");
    let stage = RwSignal::new(deal.stage.as_str().to_string());
    let amount = RwSignal::new(format_money(deal.amount_cents));
    let discount = RwSignal::new(format!("{}", deal.requested_discount_pct));
    let close = RwSignal::new(iso_date(deal.close_at));
    let next_step = RwSignal::new(deal.next_step.clone());
    let proof = RwSignal::new(deal.proof_of_work.clone());
    let notes = RwSignal::new(deal.notes.clone());
    let owner = RwSignal::new(
        deal.owner_user_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    );
    let reason = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, update.value());
    let saved = move || mine.get() && update.value().get().is_some_and(|r| r.is_ok());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        mine.set(true);
        update.dispatch(UpdateDeal {
            deal_id,
            version,
            input: DealUpdateInput {
                stage: stage.get_untracked(),
                amount: amount.get_untracked(),
                requested_discount_pct: discount.get_untracked(),
                close_date: close.get_untracked(),
                next_step: next_step.get_untracked(),
                proof_of_work: proof.get_untracked(),
                notes: notes.get_untracked(),
                owner_user_id: owner.get_untracked(),
                reason: reason.get_untracked(),
            },
        });
    };
    let id = |name: &str| format!("{prefix}-{name}");
    let (stage_id, owner_id, proof_id, notes_id, reason_id) = (
        id("stage"),
        id("owner_user_id"),
        id("proof_of_work"),
        id("notes"),
        id("reason"),
    );
    let (stage_for, owner_for, proof_for, notes_for, reason_for) = (
        stage_id.clone(),
        owner_id.clone(),
        proof_id.clone(),
        notes_id.clone(),
        reason_id.clone(),
    );
    let current_owner = deal.owner_user_id;
    let current_stage = deal.stage;
    view! {
        <details class="deal-editor">
            <summary>"Update deal"</summary>
            <form on:submit=submit>
                <div class="field">
                    <label for=stage_for>"Stage"</label>
                    <select id=stage_id on:change=move |e| stage.set(event_target_value(&e))>
                        {Stage::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=*s == current_stage>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" aria-live="polite">{field_signal(error, "stage")}</p>
                </div>
                <Field label="Amount (USD)" name="amount" value=amount error prefix=prefix.clone()/>
                <Field label="Requested discount (%)" name="requested_discount_pct" value=discount error prefix=prefix.clone()/>
                <Field label="Expected close date" name="close_date" value=close error kind="date" prefix=prefix.clone()/>
                <Field label="Next step" name="next_step" value=next_step error prefix=prefix.clone()/>
                <div class="field">
                    <label for=proof_for>"Proof of work"</label>
                    <textarea id=proof_id rows="3" bind:value=proof></textarea>
                    <p class="field-error" aria-live="polite">{field_signal(error, "proof_of_work")}</p>
                </div>
                <div class="field">
                    <label for=owner_for>"Owner"</label>
                    <select id=owner_id on:change=move |e| owner.set(event_target_value(&e))>
                        {members.into_iter().map(|m| view! {
                            <option value=m.user_id.to_string() selected=Some(m.user_id) == current_owner>{m.name}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" aria-live="polite">{field_signal(error, "owner_user_id")}</p>
                </div>
                <div class="field">
                    <label for=notes_for>"Private notes"</label>
                    <textarea id=notes_id rows="2" bind:value=notes></textarea>
                    <p class="field-error" aria-live="polite">{field_signal(error, "notes")}</p>
                </div>
                <div class="field">
                    <label for=reason_for>"Reason (required when closing as lost)"</label>
                    <input id=reason_id bind:value=reason/>
                    <p class="field-error" aria-live="polite">{field_signal(error, "reason")}</p>
                </div>
                <FormError error fields=&["stage", "amount", "requested_discount_pct", "close_date", "next_step", "proof_of_work", "owner_user_id", "notes", "reason"]/>
                <button type="submit" class="button primary" disabled=move || update.pending().get()>"Save changes"</button>
                <p class="success" role="status">{move || saved().then_some("Saved.")}</p>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn SafeRow(deal: SafeDeal) -> impl IntoView {
    view! {
        <tr>
            <td>{deal.account_name}</td>
            <td>{match deal.holder { Holder::AnotherPartner => "Another partner", Holder::Direct => "Direct sales" }}</td>
            <td>{deal.stage.label()}</td>
            <td>{deal.status.label()}</td>
            <td>{deal.protected_until.map(|until| view! { <LocalTime ms=until/> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
        </tr>
    }
}

#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    view! {
        <Title text="Registration queue"/>
        <ReviewQueueBody />
    }
}

/// An island (full bundle) until its forms are plain posts.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn ReviewQueueBody() -> impl IntoView {
    let queue = Resource::new(|| (), |_| load_review_queue());
    let appeals = Resource::new(|| (), |_| load_open_appeals());
    let decide = ServerAction::<DecideRegistration>::new();
    let resolve = ServerAction::<ResolveAppeal>::new();
    refetch_on_success(decide, queue);
    refetch_on_success(resolve, appeals);
    view! {
        <section class="page" aria-labelledby="queue-title">
            <h1 id="queue-title">"Registrations to review"</h1>
            <p class="lead">"Most urgent first: breached SLAs, then the least time left."</p>
            {loaded(queue, move |items| view! { <Queue items decide/> })}
            <h2>"Open appeals"</h2>
            {loaded(appeals, move |items| view! { <Appeals items resolve/> })}
        </section>
    }
}

#[component]
fn Queue(items: Vec<QueueItem>, decide: ServerAction<DecideRegistration>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty">"Nothing waits for review."</p> }.into_any();
    }
    view! {
        <ul class="card-list">{items.into_iter().map(|item| view! { <QueueCard item decide/> }).collect_view()}</ul>
    }
    .into_any()
}

fn hours(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} h")
    }
}

#[component]
fn QueueCard(item: QueueItem, decide: ServerAction<DecideRegistration>) -> impl IntoView {
    let deal_id = item.deal_id;
    let rationale = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, decide.value());
    let (sla_class, sla_text) = match item.sla {
        SlaState::Breached { overdue_ms } => (
            "sla breached",
            format!("SLA breached {} ago", hours(overdue_ms)),
        ),
        SlaState::DueSoon { left_ms } => ("sla due-soon", format!("Due in {}", hours(left_ms))),
        SlaState::OnTrack { left_ms } => ("sla on-track", format!("Due in {}", hours(left_ms))),
    };
    let send = move |decision: &'static str| {
        mine.set(true);
        decide.dispatch(DecideRegistration {
            deal_id,
            decision: decision.to_string(),
            rationale: rationale.get_untracked(),
        });
    };
    let rationale_id = format!("rationale-{deal_id}");
    let rationale_for = rationale_id.clone();
    view! {
        <li class="card queue-card" data-deal-id=deal_id.to_string()>
            <div class="path-head">
                <h2>{item.account_name.clone()}</h2>
                <span class=sla_class>{sla_text}</span>
            </div>
            <p class="meta">
                {item.partner_name} " (" {item.owner_name} ") · " {item.motion.label()} " · " {item.kind.label()} " · "
                {item.product_line} " · " {format_money(item.amount_cents)} " · " {format!("{:.0}% discount", item.requested_discount_pct)}
            </p>
            <p class="meta">"Submitted " <LocalTime ms=item.submitted_at/> " · " {item.status.label()}</p>
            <p><span class="label">"Proof of work: "</span>{item.proof_of_work}</p>
            <h3>"Conflict check"</h3>
            <ol class="rationale">{item.explanation.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            <div class="field">
                <label for=rationale_for>"Rationale (shared with the partner and kept in the audit trail)"</label>
                <textarea id=rationale_id rows="2" bind:value=rationale></textarea>
                <p class="field-error" aria-live="polite">{move || error.get().and_then(|e| e.field_message("rationale"))}</p>
            </div>
            <FormError error fields=&["rationale"]/>
            <div class="quiz-actions">
                <button type="button" class="button primary" on:click=move |_| send("approve")>"Approve"</button>
                <button type="button" class="button" on:click=move |_| send("request_info")>"Request info"</button>
                <button type="button" class="button danger" on:click=move |_| send("decline")>"Decline"</button>
            </div>
        </li>
    }
}

#[component]
fn Appeals(items: Vec<AppealItem>, resolve: ServerAction<ResolveAppeal>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty">"No open appeals."</p> }.into_any();
    }
    view! {
        <ul class="card-list">{items.into_iter().map(|item| view! { <AppealCard item resolve/> }).collect_view()}</ul>
    }
    .into_any()
}

#[component]
fn AppealCard(item: AppealItem, resolve: ServerAction<ResolveAppeal>) -> impl IntoView {
    let appeal_id = item.appeal_id;
    let rationale = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let error = last_error_here(mine, resolve.value());
    let send = move |uphold: bool| {
        mine.set(true);
        resolve.dispatch(ResolveAppeal {
            appeal_id,
            uphold,
            rationale: rationale.get_untracked(),
        });
    };
    let rationale_id = format!("appeal-rationale-{appeal_id}");
    let rationale_for = rationale_id.clone();
    view! {
        <li class="card appeal-card">
            <h3>{item.account_name} " — " {item.partner_name}</h3>
            <p class="meta">"Filed " <LocalTime ms=item.filed_at/></p>
            <p><span class="label">"Evidence: "</span>{item.evidence}</p>
            <ol class="rationale">{item.explanation.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            <div class="field">
                <label for=rationale_for>"Resolution (shared with the partner)"</label>
                <textarea id=rationale_id rows="2" bind:value=rationale></textarea>
                <p class="field-error" aria-live="polite">{move || error.get().and_then(|e| e.field_message("rationale"))}</p>
            </div>
            <FormError error fields=&["rationale"]/>
            <div class="quiz-actions">
                <button type="button" class="button primary" on:click=move |_| send(true)>"Uphold"</button>
                <button type="button" class="button danger" on:click=move |_| send(false)>"Reject"</button>
            </div>
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
    use crate::components::load::encode_query_value;
    use crate::domain::channel::deals::{RegistrationStatus, Stage};
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let link_for = {
        let query = query.clone();
        move |page: i64| {
            let mut parts = Vec::new();
            for (key, value) in [
                ("partner", &query.partner),
                ("motion", &query.motion),
                ("stage", &query.stage),
                ("region", &query.region),
                ("status", &query.status),
                ("expiring_days", &query.expiring_days),
                ("sort", &query.sort),
            ] {
                if let Some(value) = value {
                    parts.push(format!("{key}={}", encode_query_value(value)));
                }
            }
            parts.push(format!("page={page}"));
            format!("/deals/pipeline?{}", parts.join("&"))
        }
    };
    let export_query = query.clone();
    let previous = (page.page > 1).then(|| link_for(page.page - 1));
    let next = (page.page < page.page_count).then(|| link_for(page.page + 1));
    view! {
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
            <button type="submit" class="button">"Apply"</button>
        </form>
        <p class="count" role="status">{page.total_deals} " deals · page " {page.page} " of " {page.page_count}</p>
        <div class="totals">
            <Totals title="By motion" totals=page.by_motion/>
            <Totals title="By registration" totals=page.by_status/>
        </div>
        <PipelineExport query=export_query/>
        <div class="table-wrap" role="region" aria-label="Pipeline deals" tabindex="0">
            <table class="attempts pipeline">
                <thead><tr>
                    <th scope="col">"Customer"</th><th scope="col">"Partner"</th><th scope="col">"Motion"</th><th scope="col">"Stage"</th>
                    <th scope="col">"Registration"</th><th scope="col">"Amount"</th><th scope="col">"Discount"</th><th scope="col">"Protected until"</th>
                </tr></thead>
                <tbody>
                    {page.rows.into_iter().map(|row| view! {
                        <tr>
                            <td><a href=format!("/deals/{}", row.deal_id)>{row.account_name}</a><br/><span class="meta">{row.region}</span></td>
                            <td>{row.partner_name}</td>
                            <td>{row.motion.label()}</td>
                            <td>{row.stage.label()}</td>
                            <td>{row.status.label()}</td>
                            <td>{format_money(row.amount_cents)}</td>
                            <td>{format!("{:.0}%", row.requested_discount_pct)}</td>
                            <td>{row.protected_until.map(|t| view! { <LocalTime ms=t/> }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
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
    .into_any()
}

/// The CSV export of the filtered pipeline, built by the server and offered as a download.
/// An island (full bundle).
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn PipelineExport(query: crate::api::channel::PipelineQuery) -> impl IntoView {
    use crate::api::channel::ExportPipelineCsv;
    use crate::components::load::encode_query_value;
    let export = ServerAction::<ExportPipelineCsv>::new();
    let export_query = query.clone();
    view! {
        <p>
            <button type="button" class="button" on:click={
                let query = export_query.clone();
                move |_| { export.dispatch(ExportPipelineCsv { query: query.clone(), with_bom: false }); }
            }>"Export CSV"</button>
            " "
            <button type="button" class="button" on:click=move |_| { export.dispatch(ExportPipelineCsv { query: export_query.clone(), with_bom: true }); }>"Export CSV for Excel"</button>
            {move || export.value().get().and_then(Result::ok).map(|csv| view! {
                " " <a class="button primary" download="pipeline.csv" href=format!("data:text/csv;charset=utf-8,{}", encode_query_value(&csv))>"Download pipeline.csv"</a>
            })}
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

/// An island (full bundle) until its forms are plain posts.
#[cfg_attr(any(feature = "ssr", feature = "staff"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "staff")), component)]
pub fn DealAuditBody(deal_id: Option<i64>) -> impl IntoView {
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
    let actions = DealActions {
        appeal: ServerAction::<FileAppeal>::new(),
        update: ServerAction::<UpdateDeal>::new(),
        extend: ServerAction::<RequestExtension>::new(),
    };
    refetch_on_success(actions.appeal, own);
    refetch_on_success(actions.update, own);
    refetch_on_success(actions.extend, own);
    refetch_on_success(actions.appeal, audit);
    refetch_on_success(actions.update, audit);
    refetch_on_success(actions.extend, audit);
    view! {
        <section class="page" aria-labelledby="audit-title">
            {loaded(audit, move |audit| view! { <AuditView audit own actions/> })}
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
        // The partner's own deal, to act on where an emailed link lands. Errors show once,
        // from the history.
        <Suspense fallback=|| ()>
            {move || own.get().and_then(Result::ok).flatten().map(|page| view! {
                <ul class="card-list own-deal">
                    <OwnDealCard deal=page.deal members=page.members actions/>
                </ul>
            })}
        </Suspense>
        <h2>"History"</h2>
        <p><a class="button" href=href download=format!("deal-{}-history.csv", audit.deal_id)>"Download history (CSV)"</a></p>
        <div class="table-wrap" role="region" aria-label="Deal history" tabindex="0">
            <table class="attempts audit">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"From → to"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {audit.events.into_iter().map(|e| view! {
                        <tr>
                            <td><LocalTime ms=e.at/></td>
                            <td>{e.actor}</td>
                            <td>{audit_field_label(&e.field).to_string()}</td>
                            <td>{
                                let (from, to) = (audit_value(&e.field, &e.from), audit_value(&e.field, &e.to));
                                if from.is_empty() { to } else { format!("{from} → {to}") }
                            }</td>
                            <td>{e.rationale}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
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
