//! Channel benchmarks on SQLite, seeded here and measured here:
//!
//! 1. Conflict check of a new registration against N accounts (default 1,000,000): the
//!    uniqueness lookup (domain and name-key indexes), the account's claims, and the conflict
//!    engine — what `register_deal` does before writing. Goal: p99 ≤ 5 ms.
//! 2. The managers' pipeline page with 10,000 deals under 100 concurrent users, over HTTP,
//!    with random filters, sorts and pages. Goal: p99 ≤ 50 ms.
//!
//!     cargo bench -p server --bench channel_load -- --accounts 1000000 --deals 10000 --users 100 --seconds 30
use app::domain::channel::conflict::{decide, DealKind, Party, Registration};
use app::domain::channel::matching::{
    name_keys, normalize_company, normalize_domain, SAME_COMPANY,
};
use app::server::crypto::{new_token, token_hash};
use app::server::repo::{channel, sessions};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

mod common;

const SYLLABLES: &[&str] = &[
    "ar", "bel", "cor", "dan", "el", "fen", "gar", "hol", "is", "jun", "kal", "lor", "mer", "nor",
    "ost", "pra", "quin", "ros", "sol", "tor", "ul", "ver", "wil", "xan", "yor", "zen",
];
const WORDS: &[&str] = &[
    "Logistics",
    "Foods",
    "Health",
    "Systems",
    "Retail",
    "Energy",
    "Freight",
    "Labs",
    "Textiles",
    "Robotics",
    "Insurance",
    "Hotels",
    "Partners",
    "Works",
    "Analytics",
    "Capital",
];

/// A deterministic, mostly unique company name for index `i`.
fn company(i: u64) -> String {
    let s = SYLLABLES.len() as u64;
    let mut n = i;
    let mut stem = String::new();
    for _ in 0..3 {
        stem.push_str(SYLLABLES[(n % s) as usize]);
        n /= s;
    }
    let mut chars = stem.chars();
    let stem: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    format!(
        "{stem} {} {}",
        WORDS[(n % WORDS.len() as u64) as usize],
        i / 17_576 / 16
    )
}

fn percentiles(mut samples: Vec<u64>) -> (f64, f64, f64) {
    samples.sort_unstable();
    (
        common::quantile_ms(&samples, 0.5),
        common::quantile_ms(&samples, 0.99),
        common::quantile_ms(&samples, 1.0),
    )
}

fn main() {
    let accounts = common::arg("--accounts", 1_000_000);
    let deals = common::arg("--deals", 10_000);
    let users = common::arg("--users", 100);
    let seconds = common::arg("--seconds", 30);
    // Pause between one user's page loads; 0 = each user reloads as fast as answers come.
    let think_ms = common::arg("--think-ms", 0);
    let portal = common::start_with("channel-load", &[]);
    let (state, running, client_runtime) = (&portal.state, &portal.running, &portal.client_runtime);
    client_runtime.block_on(async {
        let started = Instant::now();
        seed_accounts(state, accounts).await;
        println!(
            "seeded {accounts} accounts in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        measure_conflict_check(state, accounts).await;
        let started = Instant::now();
        seed_deals(state, deals).await;
        println!(
            "seeded {deals} more deals in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        measure_pipeline(state, &running.url(), users, seconds, think_ms).await;
    });
    portal.stop();
}

/// Bulk-inserts accounts with their domains and name keys, 500 per statement.
async fn seed_accounts(state: &app::server::AppState, count: u64) {
    let db = &state.db;
    let now = chrono::Utc::now().timestamp_millis();
    let (start,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM accounts")
        .fetch_one(&db.read)
        .await
        .expect("max id");
    let batch = 500u64;
    let mut tx = db.write.begin().await.expect("tx");
    for first in (0..count).step_by(batch as usize) {
        let last = (first + batch).min(count);
        let mut accounts = String::from("INSERT INTO accounts (id, name, normalized_name, country, region, vertical, created_at) VALUES ");
        let mut domains = String::from("INSERT INTO account_domains (domain, account_id) VALUES ");
        let mut keys = String::from("INSERT INTO account_name_keys (name_key, account_id) VALUES ");
        let mut first_key = true;
        for i in first..last {
            let id = start + 1 + i as i64;
            let name = company(i);
            let normalized = normalize_company(&name);
            let sep = if i == first { "" } else { "," };
            accounts.push_str(&format!(
                "{sep}({id}, '{name}', '{normalized}', 'Germany', 'EMEA', 'Retail', {now})"
            ));
            domains.push_str(&format!(
                "{sep}('{}-{i}.com', {id})",
                normalized.replace(' ', "")
            ));
            for key in name_keys(&normalized) {
                keys.push_str(&format!(
                    "{}('{key}', {id})",
                    if first_key { "" } else { "," }
                ));
                first_key = false;
            }
        }
        for sql in [accounts, domains, keys] {
            sqlx::query(&sql)
                .execute(&mut *tx)
                .await
                .expect("bulk insert");
        }
        if last.is_multiple_of(100_000) {
            tx.commit().await.expect("commit");
            tx = db.write.begin().await.expect("tx");
        }
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(&db.write)
        .await
        .expect("analyze");
}

async fn measure_conflict_check(state: &app::server::AppState, accounts: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let now = chrono::Utc::now().timestamp_millis();
    let mut samples = Vec::new();
    let mut matched = [0usize; 4];
    for probe in 0..2_000u64 {
        // Half existing customers (some with a typo, some by domain), half new ones.
        let i = rng.gen_range(0..accounts);
        let (name, domain) = match probe % 4 {
            0 => (company(i), None),
            1 => (company(i).replacen('a', "e", 1), None),
            2 => (
                String::from("Unrelated"),
                Some(format!(
                    "www.{}-{i}.com",
                    normalize_company(&company(i)).replace(' ', "")
                )),
            ),
            _ => (
                format!("Brandnew Venture {probe}"),
                Some(format!("brandnew{probe}.com")),
            ),
        };
        let started = Instant::now();
        let domain = domain.as_deref().and_then(normalize_domain);
        let found = channel::find_matches(&state.db, &name, domain.as_deref(), SAME_COMPANY)
            .await
            .expect("matches");
        let claims = match found.first() {
            Some(m) => channel::claims(&state.db, m.account_id, now)
                .await
                .expect("claims"),
            None => Vec::new(),
        };
        let verdict = decide(
            &Registration {
                party: Party::Partner(1),
                kind: DealKind::NetNew,
                submitted_at: now,
                certified: false,
            },
            &claims,
            now,
        );
        samples.push(started.elapsed().as_micros() as u64);
        matched[(probe % 4) as usize] += usize::from(!found.is_empty());
        std::hint::black_box(verdict);
    }
    let (p50, p99, max) = percentiles(samples);
    println!(
        "conflict check: accounts={accounts} probes=2000 found exact={}/500 typo={}/500 domain={}/500 new={}/500 \
         p50={p50:.2}ms p99={p99:.2}ms max={max:.2}ms",
        matched[0], matched[1], matched[2], matched[3]
    );
}

/// Adds deals spread over the first accounts, partners, motions, stages and statuses.
async fn seed_deals(state: &app::server::AppState, count: u64) {
    let db = &state.db;
    let now = chrono::Utc::now().timestamp_millis();
    let orgs: Vec<(i64,)> = sqlx::query_as("SELECT id FROM partner_orgs")
        .fetch_all(&db.read)
        .await
        .expect("orgs");
    let motions = ["referral", "resale", "marketplace", "si", "direct"];
    let stages = ["qualify", "discover", "propose", "negotiate", "won", "lost"];
    let statuses = [
        "pending",
        "approved",
        "declined",
        "expired",
        "not_registered",
    ];
    let mut tx = db.write.begin().await.expect("tx");
    for first in (0..count).step_by(500) {
        let mut sql = String::from(
            "INSERT INTO deals (account_id, partner_org_id, owner_name, motion, kind, product_line, amount_cents, requested_discount_pct, \
             stage, close_at, registration_status, submitted_at, protected_until, last_activity_at, created_at, updated_at, region) VALUES ",
        );
        for i in first..(first + 500).min(count) {
            let org = orgs[(i as usize) % orgs.len()].0;
            let status = statuses[(i as usize) % statuses.len()];
            let protected = if status == "approved" {
                (now + ((i % 120) as i64 - 10) * 86_400_000).to_string()
            } else {
                "NULL".into()
            };
            sql.push_str(&format!(
                "{}({}, {org}, 'Load owner', '{}', 'net_new', 'Lumen Dashboards', {}, {}, '{}', {}, '{status}', {}, {protected}, {now}, {now}, {}, 'EMEA')",
                if i == first { "" } else { "," },
                1 + (i % 200_000),
                motions[(i as usize) % motions.len()],
                (i % 500 + 1) * 100_000,
                i % 30,
                stages[(i as usize / 5) % stages.len()],
                now + (i % 180) as i64 * 86_400_000,
                now - (i % 72) as i64 * 3_600_000,
                now - (i % 1000) as i64,
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.expect("deals");
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(&db.write)
        .await
        .expect("analyze");
}

async fn measure_pipeline(
    state: &app::server::AppState,
    base: &str,
    users: u64,
    seconds: u64,
    think_ms: u64,
) {
    let (manager,): (i64,) =
        sqlx::query_as("SELECT id FROM users WHERE role = 'partner_manager' ORDER BY id LIMIT 1")
            .fetch_one(&state.db.read)
            .await
            .expect("a manager");
    let now = chrono::Utc::now().timestamp_millis();
    let url = format!(
        "{base}{}",
        <app::api::channel::LoadPipeline as server_fn::ServerFn>::PATH
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for user in 0..users {
        let token = new_token();
        sessions::create(
            &state.db,
            &token_hash(&state.settings.secret_key, &token),
            manager,
            None,
            now,
        )
        .await
        .expect("session");
        let url = url.clone();
        let origin = base.to_string();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut rng = rand::rngs::StdRng::seed_from_u64(user);
            let (mut samples, mut errors) = (Vec::new(), 0usize);
            // Users arrive spread over one think time, not all in the same millisecond.
            if think_ms > 0 {
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..think_ms))).await;
            }
            while Instant::now() < deadline {
                let mut form: Vec<(&str, String)> =
                    vec![("query[page]", rng.gen_range(1..20).to_string())];
                match rng.gen_range(0..5) {
                    0 => form.push((
                        "query[motion]",
                        ["referral", "resale", "si"][rng.gen_range(0..3)].into(),
                    )),
                    1 => form.push(("query[status]", "pending".into())),
                    2 => form.push(("query[expiring_days]", "30".into())),
                    3 => form.push(("query[sort]", "amount".into())),
                    _ => {}
                }
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("cookie", format!("pp_session={token}"))
                    .header("origin", &origin)
                    .form(&form)
                    .send()
                    .await;
                let ok = match response {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                samples.push(started.elapsed().as_micros() as u64);
                errors += usize::from(!ok);
                if think_ms > 0 {
                    let jitter = rng.gen_range(0..=think_ms / 2);
                    tokio::time::sleep(Duration::from_millis(think_ms - think_ms / 4 + jitter))
                        .await;
                }
            }
            (samples, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (samples, failed) = task.await.expect("user");
        all.extend(samples);
        errors += failed;
    }
    let requests = all.len();
    let (p50, p99, max) = percentiles(all);
    println!(
        "pipeline: users={users} think={think_ms}ms requests={requests} ({:.0}/s) errors={errors} p50={p50:.1}ms p99={p99:.1}ms max={max:.1}ms",
        requests as f64 / seconds as f64
    );
}
