//! Load test: N concurrent quiz takers autosaving against a real server on SQLite.
//!
//! Each taker has its own session and attempt and saves one answer every 10 seconds (with
//! ±2 s of think-time jitter), over real HTTP. At the end it reports autosave latency
//! (p50/p90/p99/max), errors, and lost answers: saves the server acknowledged that are not
//! in the database afterwards.
//!
//! The server runs in this process on its own Tokio runtime and threads, on a fresh SQLite
//! file; the load generator runs on another runtime. Both share the machine's cores, as a
//! load generator on the same box would.
//!
//!     cargo bench -p server --bench quiz_load -- --takers 1000 --seconds 60
use app::server::crypto::{new_token, token_hash};
use app::server::repo::{sessions, users};
use rand::Rng;
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SAVE_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Options {
    takers: usize,
    seconds: u64,
}

fn options() -> Options {
    Options {
        takers: common::arg("--takers", 1000) as usize,
        seconds: common::arg("--seconds", 60),
    }
}

struct Taker {
    cookie: String,
    attempt_id: i64,
    questions: Vec<i64>,
}

#[derive(Default)]
struct Results {
    latencies_us: Vec<u64>,
    errors: usize,
    /// (attempt, question) → highest sequence number the server acknowledged.
    acknowledged: HashMap<(i64, i64), i64>,
}

fn main() {
    let options = options();
    let portal = common::start_with("quiz-load", &[]);
    let (state, base, client_runtime) =
        (&portal.state, portal.running.url(), &portal.client_runtime);
    let takers = client_runtime.block_on(prepare(state, &base, options.takers));
    println!(
        "prepared {} takers with open attempts; running {} s",
        takers.len(),
        options.seconds
    );
    let results = client_runtime.block_on(run(&base, takers, options.seconds));
    let lost = client_runtime.block_on(count_lost(state, &results));

    let mut sorted = results.latencies_us.clone();
    sorted.sort_unstable();
    println!(
        "takers={} saves={} ({:.0}/s) errors={} lost={} p50={:.1}ms p90={:.1}ms p99={:.1}ms max={:.1}ms",
        options.takers,
        sorted.len(),
        sorted.len() as f64 / options.seconds as f64,
        results.errors,
        lost,
        common::quantile_ms(&sorted, 0.50),
        common::quantile_ms(&sorted, 0.90),
        common::quantile_ms(&sorted, 0.99),
        common::quantile_ms(&sorted, 1.0),
    );
    portal.stop();
}

/// Creates learners with sessions (directly in the database: sign-in speed is not what is
/// measured), opens the path's documents, and starts each attempt over HTTP.
async fn prepare(state: &app::server::AppState, base: &str, count: usize) -> Vec<Taker> {
    let db = &state.db;
    let now = chrono::Utc::now().timestamp_millis();
    let (org_id,): (i64,) = sqlx::query_as("SELECT id FROM partner_orgs ORDER BY id LIMIT 1")
        .fetch_one(&db.read)
        .await
        .expect("an org");
    let (step_id, path_id): (i64, i64) = sqlx::query_as(
        "SELECT s.id, s.path_id FROM path_steps s JOIN learning_paths p ON p.id = s.path_id \
         WHERE p.title = 'Support Readiness' AND s.kind = 'quiz'",
    )
    .fetch_one(&db.read)
    .await
    .expect("the support quiz");
    let mut cookies = Vec::with_capacity(count);
    for i in 0..count {
        let email = format!("taker{i}@load.example");
        let user = users::NewUser {
            email: &email,
            display_name: "Load taker",
            role: app::domain::identity::Role::PartnerUser,
            job_role: Some(app::domain::identity::JobRole::Support),
            partner_org_id: Some(org_id),
            password_hash: None,
        };
        let user_id = users::insert(&db.write, &user, now).await.expect("user");
        let token = new_token();
        sessions::create(
            db,
            &token_hash(&state.settings.secret_key, &token),
            user_id,
            None,
            now,
        )
        .await
        .expect("session");
        cookies.push(format!("pp_session={token}"));
    }
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
         SELECT u.id, s.id, 0, $1, $1 FROM users u, path_steps s \
         WHERE u.email LIKE '%@load.example' AND s.path_id = $2 AND s.kind = 'document'",
    )
    .bind(now)
    .bind(path_id)
    .execute(&db.write)
    .await
    .expect("documents done");

    let client = http_client(base);
    let start_url = format!(
        "{base}{}",
        <app::api::training::StartQuiz as server_fn::ServerFn>::PATH
    );
    let mut takers = Vec::with_capacity(count);
    for chunk in cookies.chunks(32) {
        let mut starts = Vec::new();
        for cookie in chunk {
            let (client, url, cookie) = (client.clone(), start_url.clone(), cookie.clone());
            starts.push(tokio::spawn(async move {
                let view: app::model::AttemptView = client
                    .post(&url)
                    .header("cookie", &cookie)
                    .form(&[("step_id", step_id.to_string())])
                    .send()
                    .await
                    .expect("start")
                    .json()
                    .await
                    .expect("attempt view");
                Taker {
                    cookie,
                    attempt_id: view.attempt_id,
                    questions: view.questions.iter().map(|q| q.question_id).collect(),
                }
            }));
        }
        for start in starts {
            takers.push(start.await.expect("start task"));
        }
    }
    takers
}

fn http_client(base: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().expect("origin"));
    reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn run(base: &str, takers: Vec<Taker>, seconds: u64) -> Results {
    let client = http_client(base);
    let url = format!(
        "{base}{}",
        <app::api::training::SaveQuizAnswer as server_fn::ServerFn>::PATH
    );
    let results = Arc::new(Mutex::new(Results::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(takers.len());
    for taker in takers {
        let (client, url, results) = (client.clone(), url.clone(), results.clone());
        tasks.push(tokio::spawn(async move {
            // Spread the first saves over one interval, as real takers start at different times.
            let first = rand::thread_rng().gen_range(0..SAVE_EVERY.as_millis() as u64);
            tokio::time::sleep(Duration::from_millis(first)).await;
            let mut local = Results::default();
            let mut seq = 0i64;
            while Instant::now() < deadline {
                seq += 1;
                let question = taker.questions[seq as usize % taker.questions.len()];
                let body = serde_json::json!({
                    "attempt_id": taker.attempt_id,
                    "question_id": question,
                    "response": {"ShortText": format!("answer {seq}")},
                    "client_seq": seq,
                });
                let started = Instant::now();
                let sent = client
                    .post(&url)
                    .header("cookie", &taker.cookie)
                    .json(&body)
                    .send()
                    .await;
                let ok = matches!(&sent, Ok(response) if response.status().is_success());
                local
                    .latencies_us
                    .push(started.elapsed().as_micros() as u64);
                if ok {
                    local.acknowledged.insert((taker.attempt_id, question), seq);
                } else {
                    local.errors += 1;
                }
                let jitter = rand::thread_rng().gen_range(0..4000u64);
                tokio::time::sleep(
                    SAVE_EVERY - Duration::from_millis(2000) + Duration::from_millis(jitter),
                )
                .await;
            }
            let mut all = results.lock().expect("results");
            all.latencies_us.extend(local.latencies_us);
            all.errors += local.errors;
            all.acknowledged.extend(local.acknowledged);
        }));
    }
    for task in tasks {
        task.await.expect("taker");
    }
    Arc::try_unwrap(results)
        .ok()
        .expect("all takers finished")
        .into_inner()
        .expect("results")
}

/// Acknowledged saves whose answer is not in the database (missing, or an older one).
async fn count_lost(state: &app::server::AppState, results: &Results) -> usize {
    let stored: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT attempt_id, question_id, client_seq FROM attempt_answers")
            .fetch_all(&state.db.read)
            .await
            .expect("answers");
    let stored: HashMap<(i64, i64), i64> = stored
        .into_iter()
        .map(|(a, q, seq)| ((a, q), seq))
        .collect();
    results
        .acknowledged
        .iter()
        .filter(|(key, seq)| stored.get(key).is_none_or(|saved| saved < seq))
        .count()
}
