//! CRM sync measured against the fake HubSpot (the integration tests' fake, with HubSpot's
//! rolling rate limit switched on), on SQLite:
//!
//! 1. The first full sync of N extra partner people and M extra registrations (defaults 10,000
//!    and 5,000) plus the demo program: wall time, requests sent, 429s seen, and whether every
//!    record is in the fake exactly once.
//! 2. Steady state: the lag from a certificate being recorded (its transaction committed) to
//!    its holder's contact being written in HubSpot, p50/p99, with the worker's production
//!    interval.
//!
//!     cargo bench -p server --bench crm_backfill -- --contacts 10000 --registrations 5000 --rate 100 --events 40
use app::domain::crm::{CrmKind, DealPlacement, SyncKind};
use app::server::crm::hubspot::{http_client, HubSpot};
use app::server::crm::{seal, sync};
use app::server::repo::crm;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

mod common;
#[path = "../tests/common/fake_hubspot.rs"]
#[allow(dead_code)] // the benchmark reads only some of the fake's inspection helpers
mod fake_hubspot;

const TOKEN: &str = "pat-bench-token";

fn main() {
    let contacts = common::arg("--contacts", 10_000);
    let registrations = common::arg("--registrations", 5_000);
    // HubSpot's Free/Starter limit is 100 requests per 10 s per app; Professional 190.
    let rate = common::arg("--rate", 100) as usize;
    let events = common::arg("--events", 40);
    let fake = fake_hubspot::FakeHubSpot::new(TOKEN);
    fake.set_rate(rate, Duration::from_secs(10));
    // The fake serves from its own thread, as a remote HubSpot would.
    let fake_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let base = fake_runtime.block_on(fake.start());
    let portal = common::start_with("crm-backfill", &["--hubspot-api-base", &base]);
    let state = portal.state.clone();
    portal.client_runtime.block_on(async {
        seed(&state, contacts, registrations).await;
        let now = state.clock.now_ms();
        let sealed = seal(&state.settings.secret_key, CrmKind::Hubspot.as_str(), TOKEN);
        let id = crm::save_connection(
            &state.db,
            &crm::NewConnection {
                kind: CrmKind::Hubspot,
                api_base: &state.settings.hubspot_api_base,
                api_version: &state.settings.hubspot_api_version,
                secret_sealed: &sealed,
                secret_hint: "…oken",
                placement: &DealPlacement::default(),
                auth_mode: "static_token",
                client_id: "",
                by: 1,
            },
            now,
        )
        .await
        .expect("connect");
        let http = http_client();
        let client = HubSpot {
            http: &http,
            base: &state.settings.hubspot_api_base,
            version: &state.settings.hubspot_api_version,
            token: TOKEN.to_string(),
            generation: 0,
        };
        let problems = client.install().await.expect("install");
        assert!(problems.is_empty(), "{problems:?}");
        crm::mark_installed(&state.db, id, now).await.expect("installed");
        let requests_before = fake.requests().len();
        let queued = crm::enqueue_backfill(&state.db, id, now).await.expect("backfill");

        // The first full sync. The server's own worker runs too (every 5 s), as in production.
        let started = Instant::now();
        let mut runs = 0;
        loop {
            let counts = crm::queue_counts(&state.db, id).await.expect("counts");
            if counts.get("pending").copied().unwrap_or(0) == 0 {
                break;
            }
            sync::run(&state, &http).await.expect("sync");
            runs += 1;
            // Held by a rate limit: wait until the connection may send again.
            let connection = crm::live_connection(&state.db, CrmKind::Hubspot).await.expect("read").expect("live");
            let wait = connection.paused_until - state.clock.now_ms();
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
        }
        let wall = started.elapsed();
        let counts = crm::queue_counts(&state.db, id).await.expect("counts");
        let requests = fake.requests().len() - requests_before;
        let upserts = fake.requests().iter().skip(requests_before).filter(|(_, p)| p.ends_with("/batch/upsert")).count();
        println!("first full sync: {queued} records queued, {runs} worker runs, {:.1} s", wall.as_secs_f64());
        println!(
            "  requests {requests} ({upserts} batch upserts), 429 answers {}, states {counts:?}",
            fake.limited()
        );
        for (kind, object, key) in [
            (SyncKind::Contact, "contacts", "email"),
            (SyncKind::Company, "companies", "prm_org_id"),
            (SyncKind::Registration, "deals", "prm_registration_id"),
        ] {
            let records = fake.records(object);
            let keys: BTreeSet<String> = records.iter().filter_map(|r| r.properties.get(key).cloned()).collect();
            let expected = match kind {
                SyncKind::Contact => count(&state, "SELECT COUNT(*) FROM users WHERE role = 'partner_user'").await,
                SyncKind::Company => count(&state, "SELECT COUNT(*) FROM partner_orgs").await,
                SyncKind::Registration => {
                    count(
                        &state,
                        "SELECT COUNT(*) FROM deals WHERE partner_org_id IS NOT NULL AND registration_status <> 'not_registered'",
                    )
                    .await
                }
                SyncKind::Reply => 0,
            };
            println!(
                "  {object}: {} in HubSpot, {} distinct keys, {expected} in the portal",
                records.len(),
                keys.len()
            );
        }

        // Steady state: one certificate at a time, 0.5–3 s apart, each waited for.
        let mut lags = Vec::new();
        let people: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, email FROM users WHERE role = 'partner_user' AND email LIKE 'bench%' ORDER BY id LIMIT $1")
                .bind(events as i64)
                .fetch_all(&state.db.read)
                .await
                .expect("people");
        for (user_id, email) in people {
            let recorded = record_certificate(&state, user_id).await;
            let email = email.to_lowercase();
            loop {
                let written = fake
                    .inner
                    .lock()
                    .unwrap()
                    .writes
                    .iter()
                    .rev()
                    .find(|(object, key, at)| object == "contacts" && *key == email && *at >= recorded)
                    .map(|(_, _, at)| *at);
                if let Some(at) = written {
                    lags.push(at.duration_since(recorded).as_micros() as u64);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(500 + rand::random::<u64>() % 2_500)).await;
        }
        lags.sort_unstable();
        println!(
            "steady state ({} certificates, worker every {} ms): lag p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            lags.len(),
            state.settings.crm_sync_interval_ms,
            common::quantile_ms(&lags, 0.5),
            common::quantile_ms(&lags, 0.99),
            common::quantile_ms(&lags, 1.0)
        );
    });
    portal.stop();
}

async fn count(state: &app::server::AppState, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&state.db.read)
        .await
        .expect("count");
    n
}

/// Issues a certificate the way the portal does (the row and its queued CRM sync in one
/// transaction); returns when it committed.
async fn record_certificate(state: &app::server::AppState, user_id: i64) -> Instant {
    let now = state.clock.now_ms();
    let mut tx = state.db.write.begin().await.expect("tx");
    let (certificate,): (i64,) = sqlx::query_as(
        "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
         SELECT MIN(id), $1, $2, $3, $4 FROM certifications RETURNING id",
    )
    .bind(user_id)
    .bind(format!("BENCH{user_id:011}"))
    .bind(now)
    .bind(now + 365 * 86_400_000)
    .fetch_one(&mut *tx)
    .await
    .expect("certificate");
    crm::enqueue_certificate_holder(&mut tx, certificate, "certificate issued", now)
        .await
        .expect("queued");
    tx.commit().await.expect("commit");
    Instant::now()
}

/// Adds `contacts` partner people (in 20 organisations) and `registrations` pending deals.
async fn seed(state: &app::server::AppState, contacts: u64, registrations: u64) {
    let db = &state.db;
    let now = state.clock.now_ms();
    let started = Instant::now();
    let mut tx = db.write.begin().await.expect("tx");
    let mut orgs = Vec::new();
    for n in 0..20 {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
             VALUES ($1, 'reseller', 'silver', 'EMEA', 'Retail', $2) RETURNING id",
        )
        .bind(format!("Bench Partner {n}"))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .expect("org");
        orgs.push(id);
    }
    for first in (0..contacts).step_by(500) {
        let rows: Vec<String> = (first..(first + 500).min(contacts))
            .map(|i| {
                let org = orgs[(i % 20) as usize];
                format!("('bench{i}@partner{}.example', 'Bench Person {i}', 'partner_user', 'sales', {org}, {now})", i % 20)
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await
        .expect("people");
    }
    let (first_account,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts")
        .fetch_one(&mut *tx)
        .await
        .expect("accounts");
    for first in (0..registrations).step_by(500) {
        let range = first..(first + 500).min(registrations);
        let accounts: Vec<String> = range
            .clone()
            .map(|i| {
                format!(
                    "({}, 'Bench Customer {i}', 'bench customer {i}', {now})",
                    first_account + i as i64
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO accounts (id, name, normalized_name, created_at) VALUES {}",
            accounts.join(",")
        ))
        .execute(&mut *tx)
        .await
        .expect("accounts");
        let deals: Vec<String> = range
            .map(|i| {
                format!(
                    "({}, {}, 'resale', 'net_new', 'Core', {}, 'qualify', 'pending', {now}, {now}, {now}, {now})",
                    first_account + i as i64,
                    orgs[(i % 20) as usize],
                    100_000 + i as i64 * 100
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO deals (account_id, partner_org_id, motion, kind, product_line, amount_cents, stage, \
             registration_status, submitted_at, last_activity_at, created_at, updated_at) VALUES {}",
            deals.join(",")
        ))
        .execute(&mut *tx)
        .await
        .expect("deals");
    }
    tx.commit().await.expect("seed");
    println!(
        "seeded {contacts} partner people and {registrations} registrations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
