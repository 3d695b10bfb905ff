//! Durability with the real binary: a server killed with SIGKILL in the middle of a quiz, and
//! a PostgreSQL restart under a stream of answer saves. Every answer the server acknowledged
//! is still there afterwards, and the server recovers from the restart on its own.
//!
//! The restart test runs its own PostgreSQL cluster (initdb in a temporary folder, on a
//! free port) so that restarting it cannot disturb the other tests running at the same time.
mod common;

use common::{Backend, TestDatabase};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LEARNER: &str = "ines@northwind.example";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, killed when dropped (also when a test fails half-way).
struct ServerProcess(Child);

impl ServerProcess {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The real binary on `database_url`, listening on `port`.
fn spawn_server(database_url: &str, port: u16, root: &Path) -> ServerProcess {
    common::real_binary(database_url, &format!("127.0.0.1:{port}"), root)
        .spawn()
        .map(ServerProcess)
        .expect("the server binary starts")
}

fn client(port: u16) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        format!("http://127.0.0.1:{port}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn wait_healthy(client: &reqwest::Client, port: u16) {
    for _ in 0..300 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if response.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never became healthy");
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

/// Signs the learner in and opens the quiz of Support Readiness (its earlier steps marked
/// done in the database); returns the attempt and its question ids.
async fn open_quiz(client: &reqwest::Client, port: u16, database_url: &str) -> (i64, Vec<i64>) {
    use common::ServerFn;
    let signed_in = client
        .post(url(port, app::api::auth::LoginWithPassword::PATH))
        .form(&[("email", LEARNER), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let db = app::server::db::Db::connect(database_url, 2).await.unwrap();
    let (step,): (i64,) = sqlx::query_as(
        "SELECT s.id FROM path_steps s JOIN learning_paths p ON p.id = s.path_id \
         WHERE p.title = 'Support Readiness' AND s.kind = 'quiz'",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
         SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s WHERE u.email = $1 \
         AND s.path_id = (SELECT path_id FROM path_steps WHERE id = $2) \
         AND s.position < (SELECT position FROM path_steps WHERE id = $2)",
    )
    .bind(LEARNER)
    .bind(step)
    .execute(&db.write)
    .await
    .unwrap();
    db.close().await;
    let view = attempt_view(
        client,
        port,
        app::api::training::StartQuiz::PATH,
        "step_id",
        step,
    )
    .await;
    let questions = view.questions.iter().map(|q| q.question_id).collect();
    (view.attempt_id, questions)
}

/// Posts one id to a quiz server function that answers with the attempt.
async fn attempt_view(
    client: &reqwest::Client,
    port: u16,
    path: &str,
    name: &str,
    id: i64,
) -> app::model::AttemptView {
    client
        .post(url(port, path))
        .form(&[(name, id.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Saves a typed answer; `Some(seq)` when the server acknowledged it.
async fn save(
    client: &reqwest::Client,
    port: u16,
    attempt: i64,
    question: i64,
    seq: i64,
) -> Option<i64> {
    use common::ServerFn;
    let body = serde_json::json!({"attempt_id": attempt, "question_id": question,
        "response": {"ShortText": format!("answer {seq}")}, "client_seq": seq});
    let response = client
        .post(url(port, app::api::training::SaveQuizAnswer::PATH))
        .json(&body)
        .send()
        .await
        .ok()?;
    (response.status() == 200).then_some(seq)
}

/// The newest saved answer per question, as the attempt page would show it.
async fn saved(
    client: &reqwest::Client,
    port: u16,
    attempt: i64,
) -> std::collections::BTreeMap<i64, i64> {
    use common::ServerFn;
    let view = attempt_view(
        client,
        port,
        app::api::training::QuizAttempt::PATH,
        "attempt_id",
        attempt,
    )
    .await;
    view.answers
        .iter()
        .map(|(q, (_, seq))| (*q, *seq))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join("partner-portal-tests")
        .join(format!("{name}-{}-{}", std::process::id(), free_port()))
}

async fn kill_nine_mid_quiz_loses_no_acknowledged_answer(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let root = scratch("kill9");
    let port = free_port();
    let mut first = spawn_server(&database.url, port, &root);
    let browser = client(port);
    wait_healthy(&browser, port).await;
    let (attempt, questions) = open_quiz(&browser, port, &database.url).await;
    let mut acknowledged = std::collections::BTreeMap::new();
    // Saves in flight while the process dies: some are acknowledged, some are cut off.
    let saving = async {
        for seq in 1..=200 {
            let question = questions[seq as usize % questions.len()];
            if let Some(seq) = save(&browser, port, attempt, question, seq).await {
                acknowledged.insert(question, seq);
            } else {
                break;
            }
        }
    };
    let killing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // `Child::kill` sends SIGKILL.
        first.kill();
    };
    tokio::join!(saving, killing);
    assert!(
        !acknowledged.is_empty(),
        "some saves were acknowledged before the kill"
    );

    let mut second = spawn_server(&database.url, port, &root);
    wait_healthy(&browser, port).await;
    let after = saved(&browser, port, attempt).await;
    for (question, seq) in &acknowledged {
        assert!(
            after.get(question).is_some_and(|kept| kept >= seq),
            "answer {seq} to question {question} was acknowledged but is gone: {after:?}"
        );
    }
    second.kill();
    database.drop_database().await;
}

/// A private PostgreSQL cluster, run as the `postgres` user (PostgreSQL refuses root).
struct Cluster {
    data: PathBuf,
    port: u16,
}

impl Cluster {
    fn bin(tool: &str) -> PathBuf {
        let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL installed");
        let mut dirs: Vec<PathBuf> = versions.map(|d| d.unwrap().path()).collect();
        dirs.sort();
        dirs.last().unwrap().join("bin").join(tool)
    }

    fn as_postgres(tool: &str, args: &[&str]) {
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(Cluster::bin(tool))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("runuser");
        assert!(status.success(), "{tool} {args:?}");
    }

    fn start() -> Cluster {
        let data = scratch("pg-cluster");
        std::fs::create_dir_all(&data).unwrap();
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&data)
            .status()
            .unwrap();
        let data_text = data.display().to_string();
        Cluster::as_postgres(
            "initdb",
            &["-D", &data_text, "-A", "trust", "-U", "postgres"],
        );
        let port = free_port();
        let cluster = Cluster { data, port };
        cluster.pg_ctl(&["start", "-w"]);
        cluster
    }

    fn pg_ctl(&self, action: &[&str]) {
        let data = self.data.display().to_string();
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, data);
        let mut args = vec!["-D", data.as_str(), "-o", options.as_str(), "-l"];
        let log = format!("{data}/log.txt");
        args.push(&log);
        args.extend_from_slice(action);
        Cluster::as_postgres("pg_ctl", &args);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_recovers_and_keeps_every_acknowledged_answer() {
    let cluster = Cluster::start();
    let root = scratch("pg-restart");
    let port = free_port();
    let mut server = spawn_server(&cluster.url(), port, &root);
    let browser = client(port);
    wait_healthy(&browser, port).await;
    let (attempt, questions) = open_quiz(&browser, port, &cluster.url()).await;
    let started_before = postmaster_start(&cluster.url()).await;

    let mut acknowledged = std::collections::BTreeMap::new();
    let mut refused = 0;
    let saving = async {
        let started = std::time::Instant::now();
        let mut seq = 0;
        // Keep saving through the restart and for a while after it.
        while started.elapsed() < Duration::from_secs(12) {
            seq += 1;
            let question = questions[seq as usize % questions.len()];
            match save(&browser, port, attempt, question, seq).await {
                Some(seq) => {
                    acknowledged.insert(question, seq);
                }
                None => refused += 1,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seq
    };
    let restarting = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        // An immediate shutdown is a crash as far as clients are concerned.
        tokio::task::spawn_blocking({
            let data = cluster.data.clone();
            let port = cluster.port;
            move || Cluster { data, port }.restart_immediately()
        })
        .await
        .unwrap();
    };
    let (sent, ()) = tokio::join!(saving, restarting);
    // The database really restarted. (Saves in flight then may fail, or just wait: the
    // pool reconnects on its own, so some runs see no refusal at all.)
    assert_ne!(postmaster_start(&cluster.url()).await, started_before);
    eprintln!("{sent} saves through the restart, {refused} refused");
    // Recovered with no one's help: healthy, and new saves are acknowledged.
    wait_healthy(&browser, port).await;
    let last = sent + 1;
    assert_eq!(
        save(&browser, port, attempt, questions[0], last).await,
        Some(last)
    );
    acknowledged.insert(questions[0], last);
    let after = saved(&browser, port, attempt).await;
    for (question, seq) in &acknowledged {
        assert!(
            after.get(question).is_some_and(|kept| kept >= seq),
            "answer {seq} to question {question} was acknowledged but is gone: {after:?}"
        );
    }
    server.kill();
    drop(cluster);
}

/// When the PostgreSQL server process started, as text.
async fn postmaster_start(url: &str) -> String {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    let (started,): (String,) = sqlx::query_as("SELECT pg_postmaster_start_time()::text")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    started
}

impl Cluster {
    /// Restarts with `-m immediate` (no checkpoint; recovery from the WAL), leaving the
    /// cluster running, then forgets this handle without stopping it.
    fn restart_immediately(self) {
        self.pg_ctl(&["restart", "-w", "-m", "immediate"]);
        std::mem::forget(self);
    }
}

both_backends!(kill_nine_mid_quiz_loses_no_acknowledged_answer);
