//! After registration, over HTTP on SQLite and PostgreSQL: partners edit deals under the
//! stage rules with an audit trail, extend protections by the program's rules, the clocks
//! escalate SLA breaches and remind before expiry exactly once, managers confirm renewal
//! owners, admins change the program's rules, and eligibility follows the partner type.
mod common;

use app::api::channel::{LoadDealAudit, LoadMyPipeline, LoadSignals, RequestExtension, UpdateDeal};
use app::api::program::{
    ConfirmRenewalOwner, LoadProgramSettings, LoadRenewals, SaveProgramSettings,
};
use app::domain::channel::clocks::{SettingsForm, DAY_MS, HOUR_MS};
use app::domain::channel::deals::{RegistrationStatus, Stage};
use app::error::AppError;
use app::model::{
    DealAudit, DealSignal, ExtensionHint, OwnDeal, PartnerPipeline, RenewalsPage, SignalKind,
};
use common::deals::{edit_form, edit_post, form, register};
use common::{follow_emailed_link, invoke, reply, sign_in, Backend, ServerFn, TestServer};

const NORTHWIND: &str = "nora@northwind.example";
const NORTHWIND_TECH: &str = "tomas@northwind.example";
const BLUEFIN: &str = "ben@bluefin.example";
const MANAGER: &str = "marco@lumen.example";
const ADMIN: &str = "admin@lumen.example";

async fn user_id(server: &TestServer, email: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    id
}

async fn own_deal(client: &reqwest::Client, server: &TestServer, deal_id: i64) -> OwnDeal {
    let (status, pipeline) =
        invoke::<PartnerPipeline>(client, server, LoadMyPipeline::PATH, &[]).await;
    assert_eq!(status, 200);
    pipeline
        .unwrap()
        .own
        .into_iter()
        .find(|d| d.deal_id == deal_id)
        .expect("the deal is in its org's pipeline")
}

async fn update(
    client: &reqwest::Client,
    server: &TestServer,
    body: &serde_json::Value,
) -> (u16, Result<(), AppError>) {
    reply(
        client
            .post(server.url(UpdateDeal::PATH))
            .form(&edit_post(body))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn registered(client: &reqwest::Client, server: &TestServer, company: &str) -> i64 {
    let domain = format!("{}.de", company.to_lowercase().replace(' ', ""));
    let (status, outcome) = register(client, server, form(company, &domain, "48000", "")).await;
    assert_eq!(status, 200, "{outcome:?}");
    outcome.unwrap().deal_id
}

async fn partners_edit_their_deals_under_the_stage_rules_with_an_audit_trail(backend: Backend) {
    let server = TestServer::start(backend).await;
    let northwind = sign_in(&server, NORTHWIND).await;
    let deal_id = registered(&northwind, &server, "Oberon Mills").await;
    let deal = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(deal.stage, Stage::Qualify);

    // Jumping to Negotiate without proof of work is refused on that field; nothing changes.
    let (status, refused) = update(
        &northwind,
        &server,
        &edit_form(&deal, &[("stage", "negotiate"), ("proof_of_work", " ")]),
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(
        refused
            .field_message("proof_of_work")
            .is_some_and(|m| m.contains("Negotiate")),
        "{refused:?}"
    );
    assert_eq!(own_deal(&northwind, &server, deal_id).await, deal);

    // A valid edit: advance, new amount, hand over to a colleague.
    let tomas = user_id(&server, NORTHWIND_TECH).await;
    let (status, saved) = update(
        &northwind,
        &server,
        &edit_form(
            &deal,
            &[
                ("stage", "propose"),
                ("amount", "52,500"),
                ("owner_user_id", &tomas.to_string()),
                ("notes", "Budget signed off"),
            ],
        ),
    )
    .await;
    assert_eq!(status, 200, "{saved:?}");
    let after = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(after.stage, Stage::Propose);
    assert_eq!(after.amount_cents, 5_250_000);
    assert_eq!(after.owner_user_id, Some(tomas));
    assert_eq!(after.owner_name, "Tomas Berg");
    assert!(after.version > deal.version);

    // The audit trail names each change, with people by name and private notes withheld.
    let (_, audit) = invoke::<DealAudit>(
        &northwind,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &deal_id.to_string())],
    )
    .await;
    let events = audit.unwrap().events;
    let change = |field: &str| events.iter().find(|e| e.field == field).cloned();
    assert_eq!(
        change("stage").map(|e| (e.from, e.to)),
        Some(("qualify".into(), "propose".into()))
    );
    assert_eq!(change("amount").map(|e| e.to), Some("$52,500".into()));
    assert_eq!(
        change("owner").map(|e| (e.from, e.to)),
        Some(("Nora Quist".into(), "Tomas Berg".into()))
    );
    let notes = change("notes").unwrap();
    assert!(!notes.to.contains("Budget"), "notes stay out of the trail");
    assert!(events
        .iter()
        .all(|e| e.actor != "System" || e.field == "registration_status"));

    // The hand-over shows up for managers as a recent owner change.
    let manager = sign_in(&server, MANAGER).await;
    let (_, signals) = invoke::<Vec<DealSignal>>(&manager, &server, LoadSignals::PATH, &[]).await;
    assert!(signals
        .unwrap()
        .iter()
        .any(|s| s.kind == SignalKind::OwnerChanged
            && s.deal_id == Some(deal_id)
            && s.account_name == "Oberon Mills"));

    // An edit based on the old version is refused, not silently overwritten.
    let (status, stale) = update(
        &northwind,
        &server,
        &edit_form(&deal, &[("next_step", "Call")]),
    )
    .await;
    assert_eq!(status, 409, "{stale:?}");
    assert_eq!(own_deal(&northwind, &server, deal_id).await, after);

    // Losing needs a reason; a closed deal then keeps everything but notes.
    let (status, _) = update(
        &northwind,
        &server,
        &edit_form(&after, &[("stage", "lost")]),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = update(
        &northwind,
        &server,
        &edit_form(
            &after,
            &[("stage", "lost"), ("reason", "Chose an in-house build.")],
        ),
    )
    .await;
    assert_eq!(status, 200);
    let lost = own_deal(&northwind, &server, deal_id).await;
    let (status, reopened) = update(
        &northwind,
        &server,
        &edit_form(&lost, &[("stage", "negotiate")]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(reopened.unwrap_err().field_message("stage").is_some());

    // Another organisation can neither edit nor see it; owners come from the deal's org.
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (status, _) = update(&bluefin, &server, &edit_form(&lost, &[("notes", "x")])).await;
    assert_eq!(status, 404);
    let ben = user_id(&server, BLUEFIN).await;
    let (status, outsider) = update(
        &northwind,
        &server,
        &edit_form(&lost, &[("owner_user_id", &ben.to_string())]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(outsider
        .unwrap_err()
        .field_message("owner_user_id")
        .is_some());

    server.stop().await;
}

async fn extensions_follow_the_program_rules(backend: Backend) {
    let server = TestServer::start(backend).await;
    let clock = &server.server.state.clock;
    let northwind = sign_in(&server, NORTHWIND).await;
    let deal_id = registered(&northwind, &server, "Perseus Tools").await;
    let deal = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(deal.status, RegistrationStatus::Approved);
    let until = deal.protected_until.unwrap();
    let extend = |client: reqwest::Client| {
        let server = &server;
        async move {
            invoke::<i64>(
                &client,
                server,
                RequestExtension::PATH,
                &[("deal_id", &deal_id.to_string())],
            )
            .await
        }
    };
    // Too early: the hint and the refusal both say when requests open.
    let Some(ExtensionHint::OpensAt(opens_at)) = deal.extension else {
        panic!("{:?}", deal.extension)
    };
    assert_eq!(opens_at, until - 30 * DAY_MS);
    let (status, early) = extend(northwind.clone()).await;
    assert_eq!(status, 409);
    assert!(
        format!("{early:?}").contains("Extensions open on"),
        "{early:?}"
    );

    // Inside the window but without recent activity: refused.
    clock.advance(until - 10 * DAY_MS - clock.now_ms());
    let northwind = sign_in(&server, NORTHWIND).await;
    let (status, idle) = extend(northwind.clone()).await;
    assert_eq!(status, 409);
    assert!(format!("{idle:?}").contains("recent activity"), "{idle:?}");

    // Logging activity (an edit) makes it available; the extension adds 30 days, once.
    let current = own_deal(&northwind, &server, deal_id).await;
    let (status, _) = update(
        &northwind,
        &server,
        &edit_form(&current, &[("next_step", "Security review on Friday")]),
    )
    .await;
    assert_eq!(status, 200);
    let current = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(
        current.extension,
        Some(ExtensionHint::Available {
            until: until + 30 * DAY_MS
        })
    );
    let (status, extended) = extend(northwind.clone()).await;
    assert_eq!(status, 200, "{extended:?}");
    assert_eq!(extended.unwrap(), until + 30 * DAY_MS);
    let (status, again) = extend(northwind.clone()).await;
    assert_eq!(status, 409);
    assert!(
        format!("{again:?}").contains("all the extensions"),
        "{again:?}"
    );
    let (_, audit) = invoke::<DealAudit>(
        &northwind,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &deal_id.to_string())],
    )
    .await;
    let audit = audit.unwrap();
    let extension = audit
        .events
        .iter()
        .find(|e| e.field == "protected_until")
        .expect("the extension is audited");
    assert!(
        extension.rationale.contains("Extension 1 of 1"),
        "{extension:?}"
    );

    // Nobody else can extend it.
    let bluefin = sign_in(&server, BLUEFIN).await;
    assert_eq!(extend(bluefin).await.0, 404);
    server.stop().await;
}

/// Closing as won asks for a confirmation (named at its field, nothing saved without it),
/// and a closed deal is offered no extension and refused one, even inside the window.
async fn closing_as_won_is_confirmed_and_ends_extensions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let clock = &server.server.state.clock;
    let northwind = sign_in(&server, NORTHWIND).await;
    let deal_id = registered(&northwind, &server, "Hermes Freight").await;
    let deal = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(deal.status, RegistrationStatus::Approved);
    let until = deal.protected_until.unwrap();
    // Inside the extension window, with fresh activity: an extension is on offer.
    clock.advance(until - 10 * DAY_MS - clock.now_ms());
    let northwind = sign_in(&server, NORTHWIND).await;
    let (status, _) = update(
        &northwind,
        &server,
        &edit_form(&deal, &[("next_step", "Contract signature")]),
    )
    .await;
    assert_eq!(status, 200);
    let open = own_deal(&northwind, &server, deal_id).await;
    assert!(matches!(
        open.extension,
        Some(ExtensionHint::Available { .. })
    ));

    let (status, unconfirmed) =
        update(&northwind, &server, &edit_form(&open, &[("stage", "won")])).await;
    assert_eq!(status, 422);
    assert!(
        unconfirmed
            .unwrap_err()
            .field_message("confirm_won")
            .is_some_and(|m| m.contains("cannot be reopened")),
        "the confirmation is asked for at its own field"
    );
    assert_eq!(own_deal(&northwind, &server, deal_id).await, open);

    let (status, saved) = update(
        &northwind,
        &server,
        &edit_form(&open, &[("stage", "won"), ("confirm_won", "on")]),
    )
    .await;
    assert_eq!(status, 200, "{saved:?}");
    let won = own_deal(&northwind, &server, deal_id).await;
    assert_eq!(won.stage, Stage::Won);
    assert_eq!(won.extension, None, "no extension is offered once closed");
    let (status, refused) = invoke::<i64>(
        &northwind,
        &server,
        RequestExtension::PATH,
        &[("deal_id", &deal_id.to_string())],
    )
    .await;
    assert_eq!(status, 409);
    assert!(format!("{refused:?}").contains("closed"), "{refused:?}");
    assert_eq!(
        own_deal(&northwind, &server, deal_id).await.protected_until,
        Some(until)
    );
    server.stop().await;
}

async fn outbox_count(server: &TestServer, subject_like: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM email_outbox WHERE subject LIKE $1")
        .bind(format!("%{subject_like}%"))
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

async fn clocks_escalate_breached_slas_and_remind_before_expiry_exactly_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let northwind = sign_in(&server, NORTHWIND).await;
    let waiting = registered(&northwind, &server, "Quillon Dairy").await;
    let protected = registered(&northwind, &server, "Rhea Ceramics").await;
    // Make the first wait for review, submitted now.
    sqlx::query("UPDATE deals SET registration_status = 'pending', protected_until = NULL, decided_at = NULL WHERE id = $1")
        .bind(waiting)
        .execute(&state.db.write)
        .await
        .unwrap();
    let until = own_deal(&northwind, &server, protected)
        .await
        .protected_until
        .unwrap();

    // Within the SLA: nothing for our deals.
    server::jobs::run_channel_clocks(state).await.unwrap();
    assert_eq!(outbox_count(&server, "Quillon Dairy").await, 0);

    // 49 hours later the SLA (48 h) is breached. Two instances run the clocks at once, then
    // one runs again: the managers get one email each, once.
    state.clock.advance(49 * HOUR_MS);
    let (first, second) = tokio::join!(
        server::jobs::run_channel_clocks(state),
        server::jobs::run_channel_clocks(state)
    );
    let escalated = first.unwrap().escalated + second.unwrap().escalated;
    assert!(escalated >= 1);
    server::jobs::run_channel_clocks(state).await.unwrap();
    let staff = app::server::repo::users::vendor_staff(&state.db.read)
        .await
        .unwrap()
        .len() as i64;
    assert_eq!(
        outbox_count(&server, "Approval SLA breached: Quillon Dairy").await,
        staff
    );
    let events = app::server::repo::channel::events(&state.db, waiting)
        .await
        .unwrap();
    assert_eq!(
        events.iter().filter(|e| e.field == "approval_sla").count(),
        1
    );

    // Run late: 6 days before the protection ends, the owner is reminded, once.
    state
        .clock
        .advance(until - 6 * DAY_MS - state.clock.now_ms());
    let (first, second) = tokio::join!(
        server::jobs::run_channel_clocks(state),
        server::jobs::run_channel_clocks(state)
    );
    first.unwrap();
    second.unwrap();
    server::jobs::run_channel_clocks(state).await.unwrap();
    let (to,): (String,) = sqlx::query_as(
        "SELECT to_address FROM email_outbox WHERE subject LIKE '%Protection of Rhea Ceramics%'",
    )
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!(to, NORTHWIND);
    // The email's link opens that deal without a sign-in.
    let (_, landed) = follow_emailed_link(&server, NORTHWIND, "Protection of Rhea Ceramics").await;
    assert_eq!(landed, format!("/deals/{protected}"));
    server.stop().await;
}

async fn managers_confirm_renewal_owners_and_changes_need_a_rationale(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (status, page) = invoke::<RenewalsPage>(&manager, &server, LoadRenewals::PATH, &[]).await;
    assert_eq!(status, 200);
    let page = page.unwrap();
    assert_eq!(page.lead_days, 90);
    assert!(
        page.items.iter().any(|i| i.confirmed),
        "the demo has confirmed renewals"
    );
    let item = page
        .items
        .iter()
        .find(|i| i.confirmation_due)
        .expect("the demo has renewals to confirm")
        .clone();
    let incumbent = item.owner_org_id.expect("demo renewals have an incumbent");
    let account = item.account_id.to_string();
    let seen = incumbent.to_string();

    // The warning lists the unconfirmed renewal.
    let (_, signals) = invoke::<Vec<DealSignal>>(&manager, &server, LoadSignals::PATH, &[]).await;
    assert!(signals
        .unwrap()
        .iter()
        .any(|s| s.kind == SignalKind::RenewalUnconfirmed
            && s.account_name == item.account_name
            && s.deal_id.is_none()));

    // Moving it to direct sales needs a rationale; nothing changes without one.
    let (status, refused) = invoke::<()>(
        &manager,
        &server,
        ConfirmRenewalOwner::PATH,
        &[
            ("account_id", &account),
            ("owner", "direct"),
            ("seen_owner", &seen),
            ("rationale", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("rationale").is_some());

    // Keeping the incumbent needs no rationale.
    let (status, kept) = invoke::<()>(
        &manager,
        &server,
        ConfirmRenewalOwner::PATH,
        &[
            ("account_id", &account),
            ("owner", "incumbent"),
            ("seen_owner", &seen),
            ("rationale", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{kept:?}");
    let (_, page) = invoke::<RenewalsPage>(&manager, &server, LoadRenewals::PATH, &[]).await;
    let confirmed = page
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.account_id == item.account_id)
        .unwrap();
    assert!(confirmed.confirmed && !confirmed.confirmation_due);
    assert_eq!(confirmed.confirmed_by.as_deref(), Some("Marco Diaz"));

    // Reassigning with a stale view is refused; with the current owner it applies, and the
    // conflict engine's incumbent follows.
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ConfirmRenewalOwner::PATH,
        &[
            ("account_id", &account),
            ("owner", "direct"),
            ("seen_owner", "999999"),
            ("rationale", "The customer asked to buy direct at renewal."),
        ],
    )
    .await;
    assert_eq!(status, 409);
    let (status, moved) = invoke::<()>(
        &manager,
        &server,
        ConfirmRenewalOwner::PATH,
        &[
            ("account_id", &account),
            ("owner", "direct"),
            ("seen_owner", &seen),
            ("rationale", "The customer asked to buy direct at renewal."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{moved:?}");
    let db = &server.server.state.db;
    let (owner,): (Option<i64>,) =
        sqlx::query_as("SELECT incumbent_org_id FROM accounts WHERE id = $1")
            .bind(item.account_id)
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(owner, None);
    let events = app::server::repo::channel::account_events(db, item.account_id)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].to_value, "Direct sales");
    assert!(events[1].rationale.contains("buy direct"));

    // Partners cannot see or confirm renewals.
    let partner = sign_in(&server, NORTHWIND).await;
    assert_eq!(
        common::call(&partner, &server, LoadRenewals::PATH, &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        common::call(
            &partner,
            &server,
            ConfirmRenewalOwner::PATH,
            &[
                ("account_id", &account),
                ("owner", "incumbent"),
                ("rationale", "")
            ]
        )
        .await
        .status(),
        403
    );
    server.stop().await;
}

async fn program_rules_are_checked_and_only_admins_change_them(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (status, current) =
        invoke::<SettingsForm>(&manager, &server, LoadProgramSettings::PATH, &[]).await;
    assert_eq!(status, 200);
    let current = current.unwrap();
    assert_eq!(current.protection_days, "90");
    let save = |client: reqwest::Client, form: SettingsForm| {
        let server = &server;
        async move { common::submit_form::<()>(&client, server, SaveProgramSettings::PATH, form).await }
    };
    let mut shorter = current.clone();
    shorter.protection_days = "60".into();
    assert_eq!(save(manager.clone(), shorter.clone()).await.0, 403);

    let admin = sign_in(&server, ADMIN).await;
    let mut bad = current.clone();
    bad.protection_days = "200".into();
    bad.discount_gold = "lots".into();
    let (status, refused) = save(admin.clone(), bad).await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(refused.field_message("protection_days").is_some());
    assert!(refused.field_message("discount_gold").is_some());
    let (_, unchanged) =
        invoke::<SettingsForm>(&manager, &server, LoadProgramSettings::PATH, &[]).await;
    assert_eq!(unchanged.unwrap(), current);

    shorter.motion_bands = "Gold, Marketplace: 12".into();
    let (status, saved) = save(admin.clone(), shorter).await;
    assert_eq!(status, 200, "{saved:?}");
    let (_, reloaded) =
        invoke::<SettingsForm>(&manager, &server, LoadProgramSettings::PATH, &[]).await;
    let reloaded = reloaded.unwrap();
    assert_eq!(reloaded.protection_days, "60");
    assert_eq!(reloaded.motion_bands, "Gold, Marketplace: 12");
    // New registrations follow the new window.
    let northwind = sign_in(&server, NORTHWIND).await;
    let now = server.server.state.clock.now_ms();
    let (_, outcome) = register(
        &northwind,
        &server,
        form("Sirius Optics", "siriusoptics.de", "1000", ""),
    )
    .await;
    let until = outcome.unwrap().protected_until.unwrap();
    assert!(
        (until - now - 60 * DAY_MS).abs() < 60_000,
        "{}",
        until - now
    );
    server.stop().await;
}

async fn eligibility_follows_the_partner_type_and_new_customers_get_a_region(backend: Backend) {
    let server = TestServer::start(backend).await;
    let northwind = sign_in(&server, NORTHWIND).await;
    let mut body = form("Triton Valves", "tritonvalves.de", "9000", "");
    body["input"]["motion"] = "si".into();
    let before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    let (status, refused) = register(&northwind, &server, body).await;
    assert_eq!(status, 422);
    let message = refused.unwrap_err().field_message("motion").unwrap();
    assert!(message.contains("As a reseller"), "{message}");
    let after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deals")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    assert_eq!(before, after);

    let deal_id = registered(&northwind, &server, "Triton Valves").await;
    let (region,): (String,) = sqlx::query_as("SELECT region FROM deals WHERE id = $1")
        .bind(deal_id)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    assert_eq!(region, "EMEA", "Germany is in EMEA");
    server.stop().await;
}

both_backends!(
    partners_edit_their_deals_under_the_stage_rules_with_an_audit_trail,
    extensions_follow_the_program_rules,
    closing_as_won_is_confirmed_and_ends_extensions,
    clocks_escalate_breached_slas_and_remind_before_expiry_exactly_once,
    managers_confirm_renewal_owners_and_changes_need_a_rationale,
    program_rules_are_checked_and_only_admins_change_them,
    eligibility_follows_the_partner_type_and_new_customers_get_a_region,
);
