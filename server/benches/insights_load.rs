//! Insights at program scale: every view's page, rendered by a real server over HTTP, on a
//! program of N partner organisations, M learners, A quiz attempts and D deals (defaults
//! 200, 5,000, 50,000 and 20,000) on top of the demo. Goal: p99 ≤ 150 ms per view.
//!
//! The views compute from whole-program reads, which an instance keeps while their tables
//! are unchanged (`fact_cache`); every view is timed both with those reads kept and from
//! scratch, arithmetic (bootstrap included) and rendering always counted.
//!
//!     cargo bench -p server --bench insights_load -- --orgs 200 --learners 5000 --attempts 50000 --deals 20000 --requests 60
//!     cargo bench -p server --bench insights_load -- --postgres 1
use app::server::crypto::{new_token, token_hash};
use app::server::repo::sessions;
use app::server::AppState;
use rand::{Rng, SeedableRng};
use std::time::Instant;

mod common;

const DAY_MS: i64 = 86_400_000;
const MONTH_MS: i64 = 2_629_746_000;
const REGIONS: [&str; 5] = ["EMEA", "North America", "APAC", "LATAM", "Nordics"];
const TYPES: [&str; 4] = ["reseller", "referral", "implementation", "distributor"];
const TIERS: [&str; 4] = ["registered", "silver", "gold", "platinum"];
const ROLES: [&str; 3] = ["sales", "technical", "support"];

struct Options {
    orgs: i64,
    learners: i64,
    attempts: i64,
    deals: i64,
    requests: usize,
    postgres: bool,
    /// Also time each whole-program read and each computation on its own.
    profile: bool,
}

fn main() {
    sqlx::any::install_default_drivers();
    let options = Options {
        orgs: common::arg("--orgs", 200) as i64,
        learners: common::arg("--learners", 5_000) as i64,
        attempts: common::arg("--attempts", 50_000) as i64,
        deals: common::arg("--deals", 20_000) as i64,
        requests: common::arg("--requests", 60) as usize,
        postgres: common::arg("--postgres", 0) == 1,
        profile: common::arg("--profile", 0) == 1,
    };
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let database = options
        .postgres
        .then(|| setup.block_on(postgres_database()));
    let portal = match &database {
        Some((url, _)) => common::start_on("insights-load", Some(url), &[]),
        None => common::start_with("insights-load", &[]),
    };
    let (state, base) = (&portal.state, portal.running.url());
    let started = Instant::now();
    let (cookie, some_org) = portal.client_runtime.block_on(seed(state, &options));
    println!(
        "{}: seeded {} orgs, {} learners, {} attempts, {} deals in {:.1} s",
        if options.postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        options.orgs,
        options.learners,
        options.attempts,
        options.deals,
        started.elapsed().as_secs_f64()
    );
    let views = [
        "/".to_string(),
        "/insights/completion".to_string(),
        "/insights/completion?by=region&months=24".to_string(),
        "/insights/certified".to_string(),
        "/insights/certified?months=24&tier=gold".to_string(),
        "/insights/registrations".to_string(),
        format!("/scorecard?org={some_org}"),
        "/insights/funnel".to_string(),
        "/insights/cohorts".to_string(),
        "/insights/first-deal".to_string(),
        "/insights/sourced".to_string(),
        "/insights/satisfaction".to_string(),
        "/insights/quiz".to_string(),
        "/insights/certificates".to_string(),
        "/insights/at-risk".to_string(),
    ];
    if options.profile {
        portal.client_runtime.block_on(profile(state));
    }
    let client = reqwest::Client::new();
    // Twice: with the whole-program reads kept between requests (the usual case: nothing
    // changed since the last view), and from scratch (as after a write to their tables).
    for from_scratch in [false, true] {
        println!(
            "{}",
            if from_scratch {
                "from scratch (kept reads dropped before each request):"
            } else {
                "kept reads (nothing written between requests):"
            }
        );
        for view in &views {
            let mut samples = portal.client_runtime.block_on(async {
                let mut samples = Vec::with_capacity(options.requests);
                for i in 0..=options.requests {
                    if from_scratch {
                        state.db.facts.clear();
                    }
                    let began = Instant::now();
                    let response = client
                        .get(format!("{base}{view}"))
                        .header("cookie", &cookie)
                        .send()
                        .await
                        .expect("request");
                    let status = response.status();
                    let body = response.text().await.expect("body");
                    assert!(status.is_success(), "{view}: {status}");
                    assert!(!body.contains("Something went wrong"), "{view}");
                    // The first request warms caches and is not counted.
                    if i > 0 {
                        samples.push(began.elapsed().as_micros() as u64);
                    }
                }
                samples
            });
            samples.sort_unstable();
            println!(
                "  {view:<45} n={} p50={:.1}ms p99={:.1}ms max={:.1}ms",
                samples.len(),
                common::quantile_ms(&samples, 0.50),
                common::quantile_ms(&samples, 0.99),
                common::quantile_ms(&samples, 1.0),
            );
        }
    }
    portal.stop();
    if let Some((_, name)) = database {
        setup.block_on(drop_postgres_database(&name));
    }
}

/// Times each read the views share, and the heavier computations, five times each (best
/// and worst), to show where a view's time goes.
async fn profile(state: &AppState) {
    use app::domain::insights::{self as rules, certified::certified_vs_not, Filters};
    use app::server::repo::insights;
    let db = &state.db;
    macro_rules! time {
        ($label:expr, $work:expr) => {{
            let mut spent = Vec::new();
            let mut value = None;
            for _ in 0..5 {
                db.facts.clear();
                let began = Instant::now();
                value = Some($work);
                spent.push(began.elapsed().as_secs_f64() * 1000.0);
            }
            spent.sort_by(f64::total_cmp);
            println!(
                "  {:<40} best {:>7.1} ms  worst {:>7.1} ms",
                $label, spent[0], spent[4]
            );
            value.expect("ran")
        }};
    }
    println!("profile (reads and computations on their own):");
    let published = time!(
        "published paths",
        insights::published_paths(db).await.unwrap()
    );
    let assignments = time!(
        "assignments",
        insights::assignments(db, &published, false).await.unwrap()
    );
    let with_progress = time!(
        "assignments with progress",
        insights::assignments(db, &published, true).await.unwrap()
    );
    let orgs = time!("orgs", insights::orgs(db).await.unwrap());
    let spells = time!(
        "certificate spells",
        insights::certificate_spells(db).await.unwrap()
    );
    let deals = time!("partner deals", insights::partner_deals(db).await.unwrap());
    time!("registrations", insights::registrations(db).await.unwrap());
    time!("certificates", insights::certificates(db).await.unwrap());
    time!("holdings", insights::holdings(db).await.unwrap());
    time!("ratings", insights::ratings(db).await.unwrap());
    time!(
        "people per org",
        insights::people_per_org(db).await.unwrap()
    );
    let window = rules::trailing_window(state.clock.now_ms(), 12, Default::default());
    let all = Filters::default();
    println!(
        "  ({} assignments, {} deals)",
        assignments.len(),
        deals.len()
    );
    time!(
        "compute completion",
        rules::completion_by_segment(&assignments, &all, &window, rules::Segment::Tier)
    );
    time!(
        "compute certified, no bootstrap",
        certified_vs_not(&orgs, &spells, &deals, &all, &window, 0)
    );
    time!(
        "compute certified, bootstrap",
        certified_vs_not(
            &orgs,
            &spells,
            &deals,
            &all,
            &window,
            app::domain::insights::certified::RESAMPLES
        )
    );
    time!(
        "compute funnel",
        rules::funnel::funnels(&with_progress, &all, &window, |a| a.path_id.to_string())
    );
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

async fn postgres_database() -> (String, String) {
    use sqlx::{Connection, Executor};
    let name = format!("insights_bench_{}", std::process::id());
    let admin = admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .expect("PostgreSQL running");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    (format!("{base}/{name}"), name)
}

async fn drop_postgres_database(name: &str) {
    use sqlx::{Connection, Executor};
    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url()).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

/// Fills the program; returns a manager's session cookie and one generated org's id.
async fn seed(state: &AppState, options: &Options) -> (String, i64) {
    let db = &state.db;
    let now = state.clock.now_ms();
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    let paths: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT p.id, MIN(s.id) FROM learning_paths p JOIN path_steps s ON s.path_id = p.id \
         WHERE p.status = 'published' GROUP BY p.id ORDER BY p.id",
    )
    .fetch_all(&db.read)
    .await
    .expect("paths");
    let certifications: Vec<(i64, i64)> =
        sqlx::query_as("SELECT certification_id, path_id FROM certification_paths")
            .fetch_all(&db.read)
            .await
            .expect("certifications");
    let mut tx = db.write.begin().await.expect("transaction");
    let mut orgs = Vec::new();
    for i in 0..options.orgs {
        let onboarded = now - rng.gen_range(2..40) * MONTH_MS;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO partner_orgs (name, partner_type, tier, region, vertical, created_at) \
             VALUES ($1, $2, $3, $4, 'Software', $5) RETURNING id",
        )
        .bind(format!("Bench Partner {i:04}"))
        .bind(TYPES[i as usize % TYPES.len()])
        .bind(TIERS[(i as usize * 7 / 3) % TIERS.len()])
        .bind(REGIONS[i as usize % REGIONS.len()])
        .bind(onboarded)
        .fetch_one(&mut *tx)
        .await
        .expect("org");
        orgs.push((id, onboarded));
    }
    let mut learners = Vec::new();
    for i in 0..options.learners {
        let (org, onboarded) = orgs[i as usize % orgs.len()];
        let role = i as usize % ROLES.len();
        let joined = rng.gen_range(onboarded..now - DAY_MS);
        let (user,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, role, job_role, partner_org_id, created_at) \
             VALUES ($1, $2, 'partner_user', $3, $4, $5) RETURNING id",
        )
        .bind(format!("learner{i}@bench.example"))
        .bind(format!("Learner {i}"))
        .bind(ROLES[role])
        .bind(org)
        .bind(joined)
        .fetch_one(&mut *tx)
        .await
        .expect("learner");
        learners.push(user);
        let (path, step) = paths[role % paths.len()];
        if rng.gen_bool(0.5) {
            let completed = rng.gen_range(joined..now);
            sqlx::query("INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, 1, $3)")
                .bind(user)
                .bind(path)
                .bind(completed)
                .execute(&mut *tx)
                .await
                .expect("completion");
            if rng.gen_bool(0.6) {
                sqlx::query("INSERT INTO survey_responses (step_id, user_id, rating, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(step)
                    .bind(user)
                    .bind(rng.gen_range(1..=5_i64))
                    .bind(completed)
                    .execute(&mut *tx)
                    .await
                    .expect("rating");
            }
            if let Some((certification, _)) = certifications.iter().find(|(_, p)| *p == path) {
                sqlx::query(
                    "INSERT INTO certificates (certification_id, user_id, verify_code, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(certification)
                .bind(user)
                .bind(format!("bench-{user}"))
                .bind(completed)
                .bind(completed + 12 * MONTH_MS)
                .execute(&mut *tx)
                .await
                .expect("certificate");
            }
        }
    }
    let quiz_step = paths.first().map_or(0, |p| p.1);
    for i in 0..options.attempts {
        let user = learners[i as usize % learners.len()];
        let started = now - rng.gen_range(1..700) * DAY_MS;
        sqlx::query(
            "INSERT INTO quiz_attempts (step_id, user_id, attempt_number, seed, started_at, submitted_at, score_percent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(quiz_step)
        .bind(user)
        .bind(i / learners.len() as i64 + 1)
        .bind(i)
        .bind(started)
        .bind(started + 600_000)
        .bind(rng.gen_range(20.0..100.0_f64))
        .execute(&mut *tx)
        .await
        .expect("attempt");
    }
    for i in 0..options.deals {
        let (org, onboarded) = orgs[rng.gen_range(0..orgs.len())];
        let created = rng.gen_range(onboarded.max(now - 24 * MONTH_MS)..now - DAY_MS);
        let close = created + rng.gen_range(20..150) * DAY_MS;
        let stage = if close >= now {
            "propose"
        } else if rng.gen_bool(0.35) {
            "won"
        } else {
            "lost"
        };
        let decided = created + rng.gen_range(1..96) * 3_600_000;
        let (account,): (i64,) = sqlx::query_as(
            "INSERT INTO accounts (name, normalized_name, region, created_at) VALUES ($1, $1, 'EMEA', $2) RETURNING id",
        )
        .bind(format!("bench customer {i}"))
        .bind(created)
        .fetch_one(&mut *tx)
        .await
        .expect("account");
        sqlx::query(
            "INSERT INTO deals (account_id, partner_org_id, motion, kind, product_line, amount_cents, stage, close_at, \
               registration_status, submitted_at, decided_at, decision_json, last_activity_at, region, created_at, updated_at) \
             VALUES ($1, $2, 'resale', 'net_new', 'Lumen Dashboards', $3, $4, $5, 'approved', $6, $7, \
               '{\"decision\":\"AutoApprove\",\"favoured\":\"Direct\",\"rationale\":[]}', $6, 'EMEA', $6, $6)",
        )
        .bind(account)
        .bind(org)
        .bind(rng.gen_range(5_000..200_000_i64) * 100)
        .bind(stage)
        .bind(close)
        .bind(created)
        .bind(decided)
        .execute(&mut *tx)
        .await
        .expect("deal");
    }
    tx.commit().await.expect("commit");
    let (manager,): (i64,) =
        sqlx::query_as("SELECT id FROM users WHERE email = 'marco@lumen.example'")
            .fetch_one(&db.read)
            .await
            .expect("manager");
    let token = new_token();
    sessions::create(
        db,
        &token_hash(&state.settings.secret_key, &token),
        manager,
        None,
        now,
    )
    .await
    .expect("session");
    (format!("pp_session={token}"), orgs[0].0)
}
