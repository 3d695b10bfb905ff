//! Deal registration over HTTP on SQLite and PostgreSQL: the uniqueness check, the conflict
//! engine's decisions, the review queue with SLA order and rationale, the audit trail, safe
//! fields for other parties, and protection expiry.
mod common;

use app::api::channel::*;
use app::domain::channel::deals::RegistrationStatus;
use app::error::AppError;
use app::model::{CustomerMatch, PartnerPipeline, QueuePage};
use common::deals::{form, register};
use common::{invoke, sign_in, Backend, ServerFn, TestServer};

const NORTHWIND: &str = "nora@northwind.example";
const BLUEFIN: &str = "ben@bluefin.example";
const MANAGER: &str = "marco@lumen.example";

async fn the_first_registration_is_protected_and_a_rival_sees_only_the_date(backend: Backend) {
    let server = TestServer::start(backend).await;
    let northwind = sign_in(&server, NORTHWIND).await;
    let (status, outcome) = register(
        &northwind,
        &server,
        form(
            "Quantum Widgets GmbH",
            "https://www.quantumwidgets.de/kontakt",
            "120000",
            "Secret: CFO wants 30% off",
        ),
    )
    .await;
    assert_eq!(status, 200, "{outcome:?}");
    let outcome = outcome.unwrap();
    assert_eq!(
        outcome.status,
        RegistrationStatus::Approved,
        "nobody else claims this customer"
    );
    let until = outcome.protected_until.unwrap();
    let now = server.server.state.clock.now_ms();
    assert!(
        (until - now - 90 * 86_400_000).abs() < 60_000,
        "90 days of protection"
    );

    // Another partner types the same customer, spelled differently: it is flagged as
    // protected, with the date, and nothing about who holds it or the money.
    let bluefin = sign_in(&server, BLUEFIN).await;
    let raw = common::call(
        &bluefin,
        &server,
        CheckCustomer::PATH,
        &[("company_name", "Quantum Widgets"), ("domain", "")],
    )
    .await;
    assert_eq!(raw.status(), 200);
    let body = raw.text().await.unwrap();
    for secret in ["Northwind", "120000", "1200000", "Secret", "Nora"] {
        assert!(!body.contains(secret), "the check leaks {secret}: {body}");
    }
    let matches: Vec<CustomerMatch> = serde_json::from_str(&body).unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].protected_until, Some(until));
    let (_, by_domain) = invoke::<Vec<CustomerMatch>>(
        &bluefin,
        &server,
        CheckCustomer::PATH,
        &[("company_name", ""), ("domain", "sales@quantumwidgets.de")],
    )
    .await;
    assert!(by_domain.unwrap()[0].same_domain);

    let before = common::deals::count(&server).await;
    let (status, refused) = register(
        &bluefin,
        &server,
        form("Quantum-Widgets AG", "quantumwidgets.de", "90000", ""),
    )
    .await;
    assert_eq!(status, 409);
    let AppError::Conflict(message) = refused.unwrap_err() else {
        panic!("a conflict")
    };
    assert!(message.contains("protected until"), "{message}");
    assert!(!message.contains("Northwind"));
    assert_eq!(
        common::deals::count(&server).await,
        before,
        "a refused registration stores nothing"
    );

    // Registering the same customer twice from one org is refused too.
    let (status, _) = register(
        &northwind,
        &server,
        form("Quantum Widgets", "quantumwidgets.de", "1", ""),
    )
    .await;
    assert_eq!(status, 409);
    server.stop().await;
}

async fn bad_registrations_name_their_fields_and_change_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, NORTHWIND).await;
    let before = common::deals::count(&server).await;
    let mut body = form("", "not-a-domain", "-3", "");
    body["input"]["close_date"] = serde_json::json!("yesterday");
    let (status, error) = register(&partner, &server, body).await;
    assert_eq!(status, 422);
    let error = error.unwrap_err();
    for field in ["company_name", "domain", "amount", "close_date"] {
        assert!(error.field_message(field).is_some(), "{field}: {error:?}");
    }
    assert_eq!(common::deals::count(&server).await, before);
    let manager = sign_in(&server, MANAGER).await;
    let (status, _) = register(&manager, &server, form("Staff Co", "staffco.com", "10", "")).await;
    assert_eq!(status, 403, "only partner users register deals");
    server.stop().await;
}

async fn contested_registrations_wait_in_the_sla_queue_for_a_reasoned_decision(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let northwind = sign_in(&server, NORTHWIND).await;
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (_, first) = register(
        &northwind,
        &server,
        form("Helios Parcel Ltd", "heliosparcel.co.uk", "50000", ""),
    )
    .await;
    let first = first.unwrap();
    // Put the first back to pending, as if it awaited review, to make the second contested.
    sqlx::query(
        "UPDATE deals SET registration_status = 'pending', protected_until = NULL WHERE id = $1",
    )
    .bind(first.deal_id)
    .execute(&db.write)
    .await
    .unwrap();
    let (status, second) = register(
        &bluefin,
        &server,
        form("Helios Parcel", "https://heliosparcel.co.uk", "70000", ""),
    )
    .await;
    assert_eq!(status, 200);
    let second = second.unwrap();
    assert_eq!(second.status, RegistrationStatus::Pending);
    assert!(
        second
            .explanation
            .iter()
            .any(|line| line.contains("earlier registration wins")
                && line.contains("another partner")),
        "{:?}",
        second.explanation
    );

    let manager = sign_in(&server, MANAGER).await;
    // The queue is paged, most urgent first: a search finds the new one.
    let (status, queue) = invoke::<QueuePage>(
        &manager,
        &server,
        LoadReviewQueue::PATH,
        &[("query[search]", "helios parcel")],
    )
    .await;
    assert_eq!(status, 200);
    let queue = queue.unwrap().items;
    let keys: Vec<i64> = queue.iter().map(|q| q.sla.urgency_key()).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "most urgent first");
    let item = queue
        .iter()
        .find(|q| q.deal_id == second.deal_id)
        .expect("in the queue");
    assert_eq!(item.partner_name, "Bluefin Systems");
    assert!(
        item.explanation
            .iter()
            .any(|l| l.contains("Northwind Resellers")),
        "staff see names: {:?}",
        item.explanation
    );

    let id = second.deal_id.to_string();
    let (status, missing) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &id),
            ("decision", "approve"),
            ("rationale", "ok"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(missing.unwrap_err().field_message("rationale").is_some());
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &id),
            ("decision", "maybe"),
            ("rationale", "A long enough reason."),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = invoke::<()>(
        &bluefin,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &id),
            ("decision", "approve"),
            ("rationale", "Approving my own deal"),
        ],
    )
    .await;
    assert_eq!(status, 403, "partners cannot decide");
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &id),
            ("decision", "decline"),
            ("rationale", "Northwind registered this customer first."),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, twice) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &id),
            ("decision", "approve"),
            ("rationale", "Changed my mind, approve."),
        ],
    )
    .await;
    assert_eq!(status, 409, "{twice:?}");
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &first.deal_id.to_string()),
            ("decision", "approve"),
            ("rationale", "First valid registration."),
        ],
    )
    .await;
    assert_eq!(status, 200);

    let events = app::server::repo::channel::events(db, second.deal_id)
        .await
        .unwrap();
    let trail: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e.from_value.clone(),
                e.to_value.clone(),
                e.actor_name.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            (
                String::new(),
                "pending".to_string(),
                "Ben Okafor".to_string()
            ),
            (
                "pending".to_string(),
                "declined".to_string(),
                "Marco Diaz".to_string()
            ),
        ]
    );
    assert_eq!(
        events[1].rationale,
        "Northwind registered this customer first."
    );
    let row = app::server::repo::channel::deal(db, first.deal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.registration_status, "approved");
    assert!(row.protected_until.is_some());
    server.stop().await;
}

async fn partners_see_other_parties_only_through_safe_fields(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let northwind = sign_in(&server, NORTHWIND).await;
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (_, mine) = register(
        &northwind,
        &server,
        form(
            "Orbit Analytics",
            "orbitanalytics.com",
            "777777",
            "Top secret pricing note",
        ),
    )
    .await;
    let mine = mine.unwrap();
    sqlx::query("UPDATE deals SET requested_discount_pct = 33.5 WHERE id = $1")
        .bind(mine.deal_id)
        .execute(&db.write)
        .await
        .unwrap();
    // Bluefin also works this customer (declined earlier), so it sees Northwind's deal safely.
    let account: (i64,) = sqlx::query_as("SELECT account_id FROM deals WHERE id = $1")
        .bind(mine.deal_id)
        .fetch_one(&db.read)
        .await
        .unwrap();
    let bluefin_org: (i64,) =
        sqlx::query_as("SELECT id FROM partner_orgs WHERE name = 'Bluefin Systems'")
            .fetch_one(&db.read)
            .await
            .unwrap();
    sqlx::query("INSERT INTO deals (account_id, partner_org_id, owner_name, motion, kind, product_line, amount_cents, stage, registration_status, last_activity_at, created_at, updated_at) \
                 VALUES ($1, $2, 'Ben Okafor', 'resale', 'net_new', 'Lumen Alerts', 100, 'qualify', 'declined', 1, 1, 1)")
        .bind(account.0).bind(bluefin_org.0).execute(&db.write).await.unwrap();

    for (client, who) in [(&bluefin, "Bluefin")] {
        let raw = common::call(client, &server, LoadMyPipeline::PATH, &[])
            .await
            .text()
            .await
            .unwrap();
        for secret in [
            "777777",
            "77777700",
            "33.5",
            "Top secret",
            "Northwind",
            "Nora",
        ] {
            assert!(!raw.contains(secret), "{who} sees {secret}: {raw}");
        }
        let pipeline: PartnerPipeline = serde_json::from_str(&raw).unwrap();
        let safe = pipeline
            .others
            .iter()
            .find(|d| d.account_name == "Orbit Analytics")
            .expect("the other deal, safely");
        assert_eq!(safe.holder, app::model::Holder::AnotherPartner);
        assert_eq!(safe.status, RegistrationStatus::Approved);
        assert_eq!(safe.protected_until, mine.protected_until);
    }
    let (_, own) = invoke::<PartnerPipeline>(&northwind, &server, LoadMyPipeline::PATH, &[]).await;
    let own = own.unwrap();
    let deal = own.own.iter().find(|d| d.deal_id == mine.deal_id).unwrap();
    assert_eq!(deal.amount_cents, 77_777_700);
    assert_eq!(deal.notes, "Top secret pricing note");
    assert!(own
        .others
        .iter()
        .all(|d| d.account_name != "Orbit Analytics" || d.status == RegistrationStatus::Declined));
    server.stop().await;
}

async fn protections_expire_once_when_the_job_runs_late_or_twice(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let northwind = sign_in(&server, NORTHWIND).await;
    let (_, outcome) = register(
        &northwind,
        &server,
        form("Zephyr Kitchens", "zephyrkitchens.com", "1000", ""),
    )
    .await;
    let outcome = outcome.unwrap();
    let until = outcome.protected_until.unwrap();
    use app::server::repo::channel::expire_protections;
    expire_protections(db, until - 1).await.unwrap();
    let row = app::server::repo::channel::deal(db, outcome.deal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.registration_status, "approved", "not yet");
    let late = expire_protections(db, until + 5 * 86_400_000)
        .await
        .unwrap();
    assert!(
        late >= 1,
        "ours expired (with any demo protections ending in between)"
    );
    assert_eq!(
        expire_protections(db, until + 5 * 86_400_000)
            .await
            .unwrap(),
        0,
        "a second run changes nothing"
    );
    let events = app::server::repo::channel::events(db, outcome.deal_id)
        .await
        .unwrap();
    assert_eq!(events.iter().filter(|e| e.to_value == "expired").count(), 1);
    // Now the customer is free again. (Sessions do not survive the jump: sign in after it.)
    server
        .server
        .state
        .clock
        .advance(until + 5 * 86_400_000 - server.server.state.clock.now_ms());
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (status, again) = register(
        &bluefin,
        &server,
        form("Zephyr Kitchens", "zephyrkitchens.com", "2000", ""),
    )
    .await;
    assert_eq!(status, 200, "{again:?}");
    let again = again.unwrap();
    assert_eq!(again.status, RegistrationStatus::Approved);
    assert!(again.explanation.iter().all(|l| !l.contains("Northwind")));
    server.stop().await;
}

async fn demo_data_has_the_conflicts_a_demo_needs(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&db.read).await.unwrap();
        n
    };
    assert!(count("SELECT COUNT(*) FROM accounts").await >= 200);
    assert!(count("SELECT COUNT(*) FROM deals").await >= 300);
    assert!(count("SELECT COUNT(DISTINCT motion) FROM deals").await >= 5);
    // Two pending registrations by different partners on one account.
    assert!(count("SELECT COUNT(*) FROM (SELECT account_id FROM deals WHERE registration_status = 'pending' GROUP BY account_id HAVING COUNT(DISTINCT partner_org_id) > 1) t").await > 0);
    // A referral registration against an open direct opportunity.
    assert!(count("SELECT COUNT(*) FROM deals r JOIN deals d ON d.account_id = r.account_id WHERE r.motion = 'referral' AND r.registration_status = 'pending' AND d.partner_org_id IS NULL").await > 0);
    // A reseller's expansion on an account with an incumbent SI.
    assert!(count("SELECT COUNT(*) FROM deals d JOIN accounts a ON a.id = d.account_id WHERE a.incumbent_org_id IS NOT NULL AND d.kind = 'expansion' AND d.partner_org_id <> a.incumbent_org_id").await > 0);
    // A renewal account touched by direct sales.
    assert!(count("SELECT COUNT(*) FROM deals d JOIN accounts a ON a.id = d.account_id WHERE a.renewal_at IS NOT NULL AND d.partner_org_id IS NULL").await > 0);
    assert!(count("SELECT COUNT(*) FROM deals WHERE registration_status = 'expired'").await > 0);
    assert!(count("SELECT COUNT(*) FROM deals WHERE registration_status = 'declined'").await > 0);
    let manager = sign_in(&server, MANAGER).await;
    let (_, queue) = invoke::<QueuePage>(&manager, &server, LoadReviewQueue::PATH, &[]).await;
    let queue = queue.unwrap();
    let waiting = queue.waiting;
    let queue = queue.items;
    assert!(queue.iter().any(|q| matches!(
        q.sla,
        app::domain::channel::clocks::SlaState::Breached { .. }
    )));
    assert!(
        queue.iter().all(|q| !q.explanation.is_empty()),
        "every queued registration carries its rationale"
    );
    // Weighed again now: a waiting registration is never told it was approved.
    assert!(
        queue
            .iter()
            .flat_map(|q| &q.explanation)
            .all(|line| !line.contains("approved automatically")),
        "{:?}",
        queue.iter().map(|q| &q.explanation).collect::<Vec<_>>()
    );
    // The navigation's count: what the queue page lists, registrations and appeals.
    let (_, appeals) =
        invoke::<Vec<app::model::AppealItem>>(&manager, &server, LoadOpenAppeals::PATH, &[]).await;
    let (_, badges) = invoke::<app::model::NavBadges>(
        &manager,
        &server,
        app::api::navigation::LoadNavBadges::PATH,
        &[],
    )
    .await;
    assert_eq!(badges.unwrap().to_review, waiting + appeals.unwrap().len());
    server.stop().await;
}

async fn appeals_are_filed_in_the_window_and_resolved_with_a_rationale(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let northwind = sign_in(&server, NORTHWIND).await;
    let bluefin = sign_in(&server, BLUEFIN).await;
    let manager = sign_in(&server, MANAGER).await;
    let (_, first) = register(
        &northwind,
        &server,
        form("Lynx Robotics", "lynxrobotics.com", "10000", ""),
    )
    .await;
    let first = first.unwrap();
    sqlx::query(
        "UPDATE deals SET registration_status = 'pending', protected_until = NULL WHERE id = $1",
    )
    .bind(first.deal_id)
    .execute(&db.write)
    .await
    .unwrap();
    let (_, second) = register(
        &bluefin,
        &server,
        form("Lynx Robotics", "lynxrobotics.com", "20000", ""),
    )
    .await;
    let second = second.unwrap();
    let decide = |deal: i64, decision: &'static str| {
        let manager = manager.clone();
        let url = server.url(DecideRegistration::PATH);
        async move {
            manager
                .post(url)
                .form(&[
                    ("deal_id", deal.to_string().as_str()),
                    ("decision", decision),
                    ("rationale", "Decided on the evidence at hand."),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(decide(second.deal_id, "decline").await, 200);
    assert_eq!(decide(first.deal_id, "approve").await, 200);

    let deal = second.deal_id.to_string();
    let evidence = "The customer's COO asked us to run the pilot; emails from 3 March attached.";
    let (status, short) = invoke::<i64>(
        &bluefin,
        &server,
        FileAppeal::PATH,
        &[("deal_id", &deal), ("evidence", "trust me")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(short.unwrap_err().field_message("evidence").is_some());
    let (status, _) = invoke::<i64>(
        &northwind,
        &server,
        FileAppeal::PATH,
        &[("deal_id", &deal), ("evidence", evidence)],
    )
    .await;
    assert_eq!(status, 404, "only the affected party appeals");
    let (status, appeal) = invoke::<i64>(
        &bluefin,
        &server,
        FileAppeal::PATH,
        &[("deal_id", &deal), ("evidence", evidence)],
    )
    .await;
    assert_eq!(status, 200);
    let appeal = appeal.unwrap();
    let (status, _) = invoke::<i64>(
        &bluefin,
        &server,
        FileAppeal::PATH,
        &[("deal_id", &deal), ("evidence", evidence)],
    )
    .await;
    assert_eq!(status, 409, "one open appeal at a time");
    let (_, pipeline) =
        invoke::<PartnerPipeline>(&bluefin, &server, LoadMyPipeline::PATH, &[]).await;
    let mine = pipeline
        .unwrap()
        .own
        .into_iter()
        .find(|d| d.deal_id == second.deal_id)
        .unwrap();
    assert_eq!(
        mine.appeal.as_ref().map(|a| a.status.as_str()),
        Some("open")
    );
    assert!(!mine.can_appeal);

    let (_, open) =
        invoke::<Vec<app::model::AppealItem>>(&manager, &server, LoadOpenAppeals::PATH, &[]).await;
    let item = open
        .unwrap()
        .into_iter()
        .find(|a| a.appeal_id == appeal)
        .expect("listed");
    assert_eq!(item.evidence, evidence);
    let id = appeal.to_string();
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ResolveAppeal::PATH,
        &[("appeal_id", &id), ("uphold", "true"), ("rationale", "ok")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = invoke::<()>(
        &bluefin,
        &server,
        ResolveAppeal::PATH,
        &[
            ("appeal_id", &id),
            ("uphold", "true"),
            ("rationale", "I uphold my own appeal."),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ResolveAppeal::PATH,
        &[
            ("appeal_id", "999999"),
            ("uphold", "true"),
            ("rationale", "No such appeal here."),
        ],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ResolveAppeal::PATH,
        &[
            ("appeal_id", &id),
            ("uphold", "true"),
            ("rationale", "The emails show Bluefin led the pilot."),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        ResolveAppeal::PATH,
        &[
            ("appeal_id", &id),
            ("uphold", "false"),
            ("rationale", "Second thoughts, reject it."),
        ],
    )
    .await;
    assert_eq!(status, 409);

    let appellant = app::server::repo::channel::deal(db, second.deal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(appellant.registration_status, "approved");
    assert!(appellant.protected_until.is_some());
    let previous = app::server::repo::channel::deal(db, first.deal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        previous.registration_status, "declined",
        "the protection moved on appeal"
    );
    let trail = app::server::repo::channel::events(db, first.deal_id)
        .await
        .unwrap();
    assert!(trail
        .last()
        .unwrap()
        .rationale
        .contains("transferred on appeal"));
    let fields: Vec<String> = app::server::repo::channel::events(db, second.deal_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}:{}", e.field, e.to_value))
        .collect();
    assert_eq!(
        fields,
        [
            "registration_status:pending",
            "registration_status:declined",
            "appeal:open",
            "appeal:upheld",
            "registration_status:approved"
        ]
    );

    // Past the window, appeals are refused.
    sqlx::query("UPDATE deals SET registration_status = 'declined', decided_at = 1 WHERE id = $1")
        .bind(first.deal_id)
        .execute(&db.write)
        .await
        .unwrap();
    let (status, late) = invoke::<i64>(
        &northwind,
        &server,
        FileAppeal::PATH,
        &[
            ("deal_id", &first.deal_id.to_string()),
            ("evidence", evidence),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(format!("{late:?}").contains("window"));
    server.stop().await;
}

/// The board by stage follows the filters (totals and cards), and managers keep named views
/// of their own: saved from checked filters, replaced by name, bounded, deleted by their
/// owner only; partners have none.
async fn managers_see_the_board_by_stage_and_keep_saved_views(backend: Backend) {
    use app::domain::channel::deals::{Motion, Stage};
    use app::model::PipelinePage;
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let load = |client: reqwest::Client, args: Vec<(&'static str, &'static str)>| {
        let server = &server;
        async move { invoke::<PipelinePage>(&client, server, LoadPipeline::PATH, &args).await }
    };
    let (_, table) = load(manager.clone(), vec![("query[motion]", "resale")]).await;
    let table = table.unwrap();
    assert!(table.board.is_empty(), "the table has no board");
    assert_eq!(
        table
            .by_stage
            .iter()
            .map(|t| t.label.as_str())
            .collect::<Vec<_>>(),
        Stage::ALL.iter().map(|s| s.label()).collect::<Vec<_>>(),
        "every stage, in order"
    );
    assert_eq!(
        table.by_stage.iter().map(|t| t.deals).sum::<i64>(),
        table.total_deals,
        "stage totals follow the filters"
    );
    let (status, board) = load(
        manager.clone(),
        vec![
            ("query[motion]", "resale"),
            ("query[view]", "board"),
            ("query[sort]", "amount"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let board = board.unwrap();
    assert!(board.rows.is_empty());
    assert_eq!(board.board.len(), Stage::ALL.len());
    for (column, total) in board.board.iter().zip(&table.by_stage) {
        assert_eq!(
            (column.deals, column.amount_cents),
            (total.deals, total.amount_cents)
        );
        assert_eq!(column.cards.len() as i64, column.deals.min(BOARD_CARDS));
        assert!(column
            .cards
            .iter()
            .all(|c| c.stage == column.stage && c.motion == Motion::Resale));
        assert!(
            column
                .cards
                .windows(2)
                .all(|w| w[0].amount_cents >= w[1].amount_cents),
            "each column in the chosen order"
        );
    }
    let (_, one_stage) = load(
        manager.clone(),
        vec![("query[stage]", "propose"), ("query[view]", "board")],
    )
    .await;
    assert_eq!(
        one_stage
            .unwrap()
            .board
            .iter()
            .map(|c| c.stage)
            .collect::<Vec<_>>(),
        vec![Stage::Propose]
    );
    let (status, refused) = load(manager.clone(), vec![("query[view]", "kanban")]).await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("view").is_some());

    // Saving: a name is needed; the stored view is rebuilt from checked filters.
    let save = |client: reqwest::Client, fields: Vec<(&'static str, &'static str)>| {
        let server = &server;
        async move { invoke::<()>(&client, server, SavePipelineView::PATH, &fields).await }
    };
    let (status, unnamed) = save(
        manager.clone(),
        vec![("name", "  "), ("query[view]", "board")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(unnamed.unwrap_err().field_message("name").is_some());
    let (status, bad) = save(
        manager.clone(),
        vec![("name", "Odd"), ("query[motion]", "telepathy")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.unwrap_err().field_message("motion").is_some());
    let (status, _) = save(
        manager.clone(),
        vec![
            ("name", "Resale board"),
            ("query[motion]", "resale"),
            ("query[view]", "board"),
            ("query[page]", "3"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (_, page) = load(manager.clone(), vec![]).await;
    let saved = page.unwrap().saved;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "Resale board");
    assert_eq!(saved[0].href, "/deals/pipeline?motion=resale&view=board");
    // The same name replaces its filters.
    let (status, _) = save(
        manager.clone(),
        vec![("name", "Resale board"), ("query[motion]", "referral")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, page) = load(manager.clone(), vec![]).await;
    let saved = page.unwrap().saved;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].href, "/deals/pipeline?motion=referral");

    // Another manager neither sees nor deletes it; its owner does.
    let other = sign_in(&server, "hannah@lumen.example").await;
    let (_, theirs) = load(other.clone(), vec![]).await;
    assert!(theirs.unwrap().saved.is_empty());
    let id = saved[0].view_id.to_string();
    let (status, _) = invoke::<()>(
        &other,
        &server,
        DeletePipelineView::PATH,
        &[("view_id", id.as_str())],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DeletePipelineView::PATH,
        &[("view_id", id.as_str())],
    )
    .await;
    assert_eq!(status, 200);
    let (_, page) = load(manager.clone(), vec![]).await;
    assert!(page.unwrap().saved.is_empty());

    // A bound on how many one person keeps.
    for n in 0..app::server::repo::saved_views::MAX_SAVED_VIEWS {
        let name: &'static str = Box::leak(format!("View {n}").into_boxed_str());
        assert_eq!(save(manager.clone(), vec![("name", name)]).await.0, 200);
    }
    let (status, full) = save(manager.clone(), vec![("name", "One too many")]).await;
    assert_eq!(status, 422);
    assert!(full
        .unwrap_err()
        .field_message("name")
        .is_some_and(|m| m.contains("delete one")));

    // Partners have no pipeline and no views.
    let partner = sign_in(&server, NORTHWIND).await;
    assert_eq!(save(partner.clone(), vec![("name", "Mine")]).await.0, 403);
    server.stop().await;
}

async fn managers_filter_page_total_and_export_the_pipeline(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let page = |args: &'static [(&'static str, &'static str)]| {
        let manager = manager.clone();
        let server = &server;
        async move {
            invoke::<app::model::PipelinePage>(&manager, server, LoadPipeline::PATH, args).await
        }
    };
    let (status, all) = page(&[("query[page]", "1")]).await;
    assert_eq!(status, 200);
    let all = all.unwrap();
    assert!(all.total_deals >= 300);
    assert_eq!(all.rows.len(), 50);
    assert_eq!(all.page_count, (all.total_deals + 49) / 50);
    assert_eq!(
        all.by_motion.iter().map(|t| t.deals).sum::<i64>(),
        all.total_deals
    );
    assert_eq!(
        all.by_status.iter().map(|t| t.deals).sum::<i64>(),
        all.total_deals
    );

    let (_, referral) = page(&[("query[motion]", "referral"), ("query[sort]", "amount")]).await;
    let referral = referral.unwrap();
    assert!(referral.total_deals > 0 && referral.total_deals < all.total_deals);
    assert!(referral
        .rows
        .iter()
        .all(|r| r.motion == app::domain::channel::deals::Motion::Referral));
    assert!(
        referral
            .rows
            .windows(2)
            .all(|w| w[0].amount_cents >= w[1].amount_cents),
        "sorted by amount"
    );

    let (_, expiring) = page(&[("query[expiring_days]", "7")]).await;
    let now = server.server.state.clock.now_ms();
    let expiring = expiring.unwrap();
    assert!(
        expiring.total_deals > 0,
        "the demo has protections ending this week"
    );
    assert!(expiring
        .rows
        .iter()
        .all(|r| r.status == RegistrationStatus::Approved
            && r.protected_until
                .is_some_and(|t| t > now && t <= now + 7 * 86_400_000)));

    let (_, emea_pending) = page(&[("query[region]", "EMEA"), ("query[status]", "pending")]).await;
    assert!(emea_pending
        .unwrap()
        .rows
        .iter()
        .all(|r| r.region == "EMEA" && r.status == RegistrationStatus::Pending));
    let (_, past_end) = page(&[("query[page]", "999")]).await;
    assert!(past_end.unwrap().rows.is_empty());

    let (status, bad) = page(&[
        ("query[motion]", "telepathy"),
        ("query[expiring_days]", "0"),
    ])
    .await;
    assert_eq!(status, 422);
    let bad = bad.unwrap_err();
    assert!(bad.field_message("motion").is_some() && bad.field_message("expiring_days").is_some());

    let (status, csv) = invoke::<String>(
        &manager,
        &server,
        ExportPipelineCsv::PATH,
        &[("query[motion]", "referral")],
    )
    .await;
    assert_eq!(status, 200);
    let csv = csv.unwrap();
    assert!(csv.starts_with("deal_id,customer,region,partner"));
    assert_eq!(csv.lines().count() as i64, referral.total_deals + 1);
    // The page's plain link gives the same file as a download.
    let link = format!("{PIPELINE_CSV_PATH}?motion=referral");
    let download = manager.get(server.url(&link)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"pipeline.csv\""
    );
    assert_eq!(download.text().await.unwrap(), csv);
    let excel = manager
        .get(server.url(&format!("{link}&excel=1")))
        .send()
        .await
        .unwrap();
    assert!(excel.text().await.unwrap().starts_with('\u{feff}'));
    let bad = manager
        .get(server.url(&format!("{PIPELINE_CSV_PATH}?expiring_days=-3")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "a bad filter is refused in words");
    assert!(!bad.text().await.unwrap().is_empty());

    let partner = sign_in(&server, NORTHWIND).await;
    let refused = partner.get(server.url(&link)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let visitor = server.client().get(server.url(&link)).send().await.unwrap();
    assert_eq!(visitor.status(), 303);
    assert!(visitor.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
    let (status, _) = invoke::<app::model::PipelinePage>(
        &partner,
        &server,
        LoadPipeline::PATH,
        &[("query[page]", "1")],
    )
    .await;
    assert_eq!(status, 403, "partners do not see the whole pipeline");
    server.stop().await;
}

async fn a_deals_history_is_visible_to_its_org_and_staff_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let northwind = sign_in(&server, NORTHWIND).await;
    let (_, mine) = register(
        &northwind,
        &server,
        form("Pelican Dairy", "pelicandairy.com", "5000", ""),
    )
    .await;
    let id = mine.unwrap().deal_id.to_string();
    let (status, own) = invoke::<app::model::DealAudit>(
        &northwind,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &id)],
    )
    .await;
    assert_eq!(status, 200);
    let own = own.unwrap();
    assert_eq!(own.events.len(), 1);
    assert_eq!(own.events[0].actor, "Nora Quist");
    assert_eq!(own.events[0].to, "approved");
    let bluefin = sign_in(&server, BLUEFIN).await;
    let (status, _) = invoke::<app::model::DealAudit>(
        &bluefin,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &id)],
    )
    .await;
    assert_eq!(status, 404);
    let manager = sign_in(&server, MANAGER).await;
    let (status, _) = invoke::<app::model::DealAudit>(
        &manager,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &id)],
    )
    .await;
    assert_eq!(status, 200);
    let page = manager
        .get(server.url(&format!("/deals/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Download history (CSV)") && html.contains("data:text/csv"));
    server.stop().await;
}

async fn managers_get_early_warnings_of_every_kind(backend: Backend) {
    use app::model::{DealSignal, SignalKind};
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    // A deal past qualification without a next step, to complete the demo's warnings.
    sqlx::query("UPDATE deals SET stage = 'propose', next_step = '' WHERE id = (SELECT MIN(id) FROM deals WHERE partner_org_id IS NOT NULL AND registration_status = 'approved')")
        .execute(&db.write)
        .await
        .unwrap();
    let manager = sign_in(&server, MANAGER).await;
    let (status, signals) =
        invoke::<Vec<DealSignal>>(&manager, &server, LoadSignals::PATH, &[]).await;
    assert_eq!(status, 200);
    let signals = signals.unwrap();
    for kind in [
        SignalKind::TwoOpenDeals,
        SignalKind::DiscountAboveBand,
        SignalKind::MissingPartnerFields,
        SignalKind::ProtectionExpiringSoon,
        SignalKind::RenewalTouchedByDirect,
        SignalKind::Inactive,
    ] {
        assert!(signals.iter().any(|s| s.kind == kind), "{kind:?} missing");
    }
    let discount = signals
        .iter()
        .find(|s| s.kind == SignalKind::DiscountAboveBand)
        .unwrap();
    assert!(discount.detail.contains("band"), "{}", discount.detail);
    let partner = sign_in(&server, NORTHWIND).await;
    assert_eq!(
        common::call(&partner, &server, LoadSignals::PATH, &[])
            .await
            .status(),
        403
    );
    server.stop().await;
}

/// A failed plain post from one of several forms sharing a server function (a form per
/// deal card) comes back naming that form, so only it shows the error; a success forgets it.
async fn a_failed_plain_post_names_the_form_it_came_from(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, NORTHWIND).await;
    let (_, deal) = register(
        &partner,
        &server,
        form("Pelican Dairy", "pelicandairy.com", "5000", ""),
    )
    .await;
    let deal = deal.unwrap().deal_id.to_string();
    let post = |item: &str, fields: Vec<(&str, String)>| {
        let request = partner
            .post(server.url(&format!("{}?form_item={item}", UpdateDeal::PATH)))
            .header("accept", "text/html")
            .header("referer", server.url("/deals"))
            .form(&fields);
        async move { request.send().await.unwrap() }
    };
    let failed = post(
        &format!("edit-{deal}"),
        vec![
            ("deal_id", deal.clone()),
            ("version", "0".into()),
            ("input[stage]", "won".into()),
        ],
    )
    .await;
    assert_eq!(failed.status(), 302);
    let location = failed.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    assert!(
        location.ends_with(&format!("form_item=edit-{deal}#edit-{deal}")),
        "{location}"
    );
    // The page it leads to shows the error in that card's editor alone.
    let path = location.trim_start_matches(&server.url(""));
    let page = partner
        .get(server.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("data-error-summary").count(),
        1,
        "one summary on the page"
    );
    let editor_at = page
        .find(&format!("id=\"edit-{deal}\""))
        .expect("the card's editor");
    assert!(page[editor_at..].contains("data-error-summary"));
    // A name that is not one of ours is never copied into the address.
    let odd = post("<b>", vec![("deal_id", deal.clone())]).await;
    let location = odd.headers()["location"].to_str().unwrap();
    assert!(!location.contains("form_item"), "{location}");
    server.stop().await;
}

both_backends!(
    managers_see_the_board_by_stage_and_keep_saved_views,
    a_failed_plain_post_names_the_form_it_came_from,
    managers_get_early_warnings_of_every_kind,
    managers_filter_page_total_and_export_the_pipeline,
    a_deals_history_is_visible_to_its_org_and_staff_only,
    appeals_are_filed_in_the_window_and_resolved_with_a_rationale,
    the_first_registration_is_protected_and_a_rival_sees_only_the_date,
    bad_registrations_name_their_fields_and_change_nothing,
    contested_registrations_wait_in_the_sla_queue_for_a_reasoned_decision,
    partners_see_other_parties_only_through_safe_fields,
    protections_expire_once_when_the_job_runs_late_or_twice,
    demo_data_has_the_conflicts_a_demo_needs,
);
