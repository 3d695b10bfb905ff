//! Tiers and rights over HTTP on SQLite and PostgreSQL, with injected time: the demo's tiers
//! are justified by its certificates; a revocation moves an organisation down at once, a new
//! certificate moves one up and its expiry down again, each change logged and announced
//! once however often (and wherever) the job runs; revenue requirements and rule changes.
mod common;

use app::api::certifications::RevokeCertificate;
use app::api::tiers::{LoadTiers, SaveTierProgram};
use app::domain::certification::DAY_MS;
use app::domain::identity::Tier;
use app::model::{TierProgramForm, TiersPage};
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};
use server::jobs::run_certification_clock;

const ADMIN: &str = "admin@lumen.example";
const MANAGER: &str = "marco@lumen.example";
const NORA: &str = "nora@northwind.example";
const KENJI: &str = "kenji@cobalt.example";

async fn tier_of(server: &TestServer, org: &str) -> String {
    let (tier,): (String,) = sqlx::query_as("SELECT tier FROM partner_orgs WHERE name = $1")
        .bind(org)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    tier
}

/// Emails queued with exactly this subject, by recipient.
async fn emails(server: &TestServer, subject: &str) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT to_address FROM email_outbox WHERE subject = $1 ORDER BY to_address",
    )
    .bind(subject)
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    rows.into_iter().map(|(to,)| to).collect()
}

async fn page(client: &reqwest::Client, server: &TestServer) -> TiersPage {
    let (status, page) = invoke::<TiersPage>(client, server, LoadTiers::PATH, &[]).await;
    assert_eq!(status, 200, "{page:?}");
    page.unwrap()
}

async fn certificate_of(server: &TestServer, email: &str, certification: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "SELECT c.id FROM certificates c JOIN users u ON u.id = c.user_id \
         JOIN certifications k ON k.id = c.certification_id \
         WHERE u.email = $1 AND k.name = $2 ORDER BY c.issued_at DESC LIMIT 1",
    )
    .bind(email)
    .bind(certification)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    id
}

async fn demo_tiers_hold_and_a_revocation_moves_the_organisation_down_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    // The demo's tiers are what its certificates earn: the job changes nothing.
    let first = run_certification_clock(state).await.unwrap();
    assert!(first.standing.is_empty(), "{:?}", first.standing);
    let nora = sign_in(&server, NORA).await;
    let own = page(&nora, &server).await;
    assert!(own.automatic);
    assert_eq!(
        own.standings.len(),
        1,
        "a partner sees only their organisation"
    );
    assert_eq!(own.standings[0].org_name, "Northwind Resellers");
    assert_eq!(own.standings[0].tier, Tier::Gold);
    assert_eq!(own.standings[0].evaluation.earned, Tier::Gold);
    assert!(own.form.is_none());

    // Tomas's technical certificate is revoked: Northwind keeps one certified person.
    let admin = sign_in(&server, ADMIN).await;
    let tomas_certificate = certificate_of(
        &server,
        "tomas@northwind.example",
        "Lumen Certified Technical Specialist",
    )
    .await;
    let response = call(
        &admin,
        &server,
        RevokeCertificate::PATH,
        &[
            ("certificate_id", &tomas_certificate.to_string()),
            ("reason", "Left Northwind; certificate withdrawn."),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(tier_of(&server, "Northwind Resellers").await, "silver");

    let own = page(&nora, &server).await;
    assert_eq!(own.standings[0].tier, Tier::Silver);
    let summaries: Vec<&str> = own.changes.iter().map(|c| c.summary.as_str()).collect();
    assert!(summaries.contains(&"Gold \u{2192} Silver"), "{summaries:?}");
    assert!(summaries.contains(&"Delivering implementations withdrawn"));
    assert!(summaries.contains(&"Selling Lumen Connect withdrawn"));
    assert!(
        own.changes
            .iter()
            .all(|c| c.org_name == "Northwind Resellers"),
        "a partner sees only their organisation's changes"
    );
    let tier_change = own
        .changes
        .iter()
        .find(|c| c.summary == "Gold \u{2192} Silver")
        .unwrap();
    assert_eq!(
        tier_change.explanation,
        "No longer meets Gold: 2 people with any certification (has 1)."
    );
    assert!(tier_change
        .trigger
        .contains("Tomas Berg's Lumen Certified Technical Specialist certificate was revoked"));

    // The organisation's people and the partner managers are told, once.
    let subject = "Northwind Resellers is now Silver (was Gold)";
    let told = emails(&server, subject).await;
    for who in [
        NORA,
        "tomas@northwind.example",
        "ines@northwind.example",
        MANAGER,
        "hannah@lumen.example",
    ] {
        assert!(told.iter().any(|t| t == who), "{who} missing from {told:?}");
    }
    assert!(!told
        .iter()
        .any(|t| t == ADMIN || t.ends_with("@bluefin.example")));
    let (body,): (String,) =
        sqlx::query_as("SELECT body_text FROM email_outbox WHERE subject = $1 AND to_address = $2")
            .bind(subject)
            .bind(NORA)
            .fetch_one(&state.db.read)
            .await
            .unwrap();
    assert!(body.contains("No longer meets Gold"), "{body}");
    // Nora's link opens her organisation's tier without a sign-in, and nothing else.
    let (linked, landed) = common::follow_emailed_link(&server, NORA, subject).await;
    assert!(landed.ends_with("/tiers"), "{landed}");
    let mine = page(&linked, &server).await;
    assert_eq!(mine.standings.len(), 1);
    common::assert_rest_needs_sign_in(&linked, &server).await;
    // Managers sign in as usual: their copy links to the page, not a session.
    let (manager_body,): (String,) =
        sqlx::query_as("SELECT body_text FROM email_outbox WHERE subject = $1 AND to_address = $2")
            .bind(subject)
            .bind(MANAGER)
            .fetch_one(&state.db.read)
            .await
            .unwrap();
    assert!(manager_body.contains("/tiers") && !manager_body.contains("/auth/magic"));
    assert_eq!(
        emails(
            &server,
            "Northwind Resellers: Selling Lumen Connect withdrawn"
        )
        .await
        .len(),
        told.len()
    );

    // Two instances run the job at once, then again: nothing more changes or is sent.
    let (a, b) = tokio::join!(
        run_certification_clock(state),
        run_certification_clock(state)
    );
    assert!(a.unwrap().standing.is_empty() && b.unwrap().standing.is_empty());
    assert_eq!(emails(&server, subject).await.len(), told.len());

    // Managers see every organisation, with the gap to the next tier.
    let manager = sign_in(&server, MANAGER).await;
    let all = page(&manager, &server).await;
    assert_eq!(all.standings.len(), 14);
    assert!(all.form.is_none(), "only admins edit the rules");
    let silver = all
        .policies
        .iter()
        .find(|p| p.tier == Tier::Silver)
        .unwrap();
    assert_eq!(silver.requirements, ["1 person with any certification"]);
    assert!(all
        .changes
        .iter()
        .any(|c| c.org_name == "Keystone Consulting"));
    server.stop().await;
}

async fn a_new_certificate_moves_an_organisation_up_and_its_expiry_down(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    assert_eq!(tier_of(&server, "Cobalt IT").await, "registered");
    common::complete_certification_paths(&server, KENJI, "Lumen Certified Sales Professional")
        .await;
    // Issued by this run, or by the server's own job if it got there first: either way once.
    run_certification_clock(state).await.unwrap();
    let (certificates,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.email = $1",
    )
    .bind(KENJI)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert_eq!(certificates, 1);
    assert_eq!(tier_of(&server, "Cobalt IT").await, "silver");
    assert_eq!(
        emails(&server, "Cobalt IT is now Silver (was Registered)")
            .await
            .len(),
        3,
        "Kenji and the two partner managers"
    );
    let kenji = sign_in(&server, KENJI).await;
    let own = page(&kenji, &server).await;
    assert_eq!(
        own.changes[0].explanation,
        "Now meets every Silver requirement: 1 person with any certification (has 1)."
    );

    // A year later the certificate expires: back to Registered, whenever the job runs.
    state.clock.advance(366 * DAY_MS);
    run_certification_clock(state).await.unwrap();
    assert_eq!(tier_of(&server, "Cobalt IT").await, "registered");
    assert!(run_certification_clock(state)
        .await
        .unwrap()
        .standing
        .is_empty());
    assert_eq!(
        emails(&server, "Cobalt IT is now Registered (was Silver)")
            .await
            .len(),
        3
    );
    server.stop().await;
}

async fn save(
    client: &reqwest::Client,
    server: &TestServer,
    form: &TierProgramForm,
) -> (u16, Result<usize, app::error::AppError>) {
    common::submit_form(client, server, SaveTierProgram::PATH, form).await
}

async fn admins_change_the_rules_and_revenue_counts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    run_certification_clock(state).await.unwrap();
    let admin = sign_in(&server, ADMIN).await;
    let current = page(&admin, &server).await.form.unwrap();
    assert_eq!(
        current.platinum.requirements,
        "3\n1 technical: Lumen Certified Technical Specialist"
    );

    // Mistakes come back on their fields and change nothing.
    let mut bad = current.clone();
    bad.gold.requirements = "2\ntwo technical".into();
    bad.platinum.min_revenue = "lots".into();
    bad.silver.lead_distribution = "everything".into();
    let (status, refused) = save(&admin, &server, &bad).await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(refused
        .field_message("gold_requirements")
        .unwrap()
        .starts_with("Line 2:"));
    assert!(refused.field_message("platinum_min_revenue").is_some());
    assert!(refused.field_message("silver_lead_distribution").is_some());
    let mut half = current.clone();
    half.silver.requirements = String::new();
    let (status, refused) = save(&admin, &server, &half).await;
    assert_eq!(status, 422);
    assert!(refused
        .unwrap_err()
        .field_message("silver_requirements")
        .unwrap()
        .contains("at least one requirement"));
    assert_eq!(page(&admin, &server).await.form.unwrap(), current);
    let manager = sign_in(&server, MANAGER).await;
    assert_eq!(save(&manager, &server, &current).await.0, 403);

    // Gold now also needs $100,000 closed won in 12 months: the Gold organisations without
    // it drop to Silver at once.
    let mut revenue = current.clone();
    revenue.gold.min_revenue = "100000".into();
    let (status, changes) = save(&admin, &server, &revenue).await;
    assert_eq!(status, 200, "{changes:?}");
    assert_eq!(tier_of(&server, "Northwind Resellers").await, "silver");

    // Northwind closes a $150,000 deal: the job moves it back to Gold.
    sqlx::query(
        "UPDATE deals SET stage = 'won', amount_cents = 15000000, close_at = $1 \
         WHERE id = (SELECT MIN(d.id) FROM deals d JOIN partner_orgs o ON o.id = d.partner_org_id \
         WHERE o.name = 'Northwind Resellers')",
    )
    .bind(state.clock.now_ms() - DAY_MS)
    .execute(&state.db.write)
    .await
    .unwrap();
    run_certification_clock(state).await.unwrap();
    assert_eq!(tier_of(&server, "Northwind Resellers").await, "gold");
    let nora = sign_in(&server, NORA).await;
    let own = page(&nora, &server).await;
    assert_eq!(own.standings[0].revenue_cents, 15_000_000);
    let gold = own.standings[0]
        .evaluation
        .tiers
        .iter()
        .find(|t| t.tier == Tier::Gold)
        .unwrap();
    assert!(gold
        .checks
        .iter()
        .any(|c| c.label == "$100,000 closed won in the last 12 months" && c.met));

    // Clearing every requirement hands tiers back to people: nothing is evaluated.
    let mut manual = current.clone();
    for part in [&mut manual.silver, &mut manual.gold, &mut manual.platinum] {
        part.requirements = String::new();
        part.min_revenue = String::new();
    }
    let (status, changes) = save(&admin, &server, &manual).await;
    assert_eq!((status, changes.unwrap()), (200, 0));
    assert!(!page(&admin, &server).await.automatic);
    server.stop().await;
}

both_backends!(
    demo_tiers_hold_and_a_revocation_moves_the_organisation_down_once,
    a_new_certificate_moves_an_organisation_up_and_its_expiry_down,
    admins_change_the_rules_and_revenue_counts,
);
