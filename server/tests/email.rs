//! Email as a real mail server receives it, on SQLite and PostgreSQL: delivered over
//! STARTTLS with authentication to aiosmtpd (a third-party SMTP server from PyPI that
//! refuses anything else), then read back with Python's standard MIME parser: UTF-8
//! multipart/alternative text and HTML, a Message-ID in the portal's domain, and a working
//! RFC 8058 one-click unsubscribe on notifications (honoured by the preferences).
mod common;

use app::domain::notifications::Event;
use app::server::repo::outbox::{self, Notice};
use common::{Backend, ServerFn, TestServer};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const PARTNER: &str = "nora@northwind.example";

/// The relay: a child process, stopped when dropped (its stdin closes).
struct Relay {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl Relay {
    async fn start() -> Relay {
        let dir = std::env::temp_dir()
            .join("partner-portal-tests")
            .join(format!("smtp-{}-{}", std::process::id(), rand_suffix()));
        let mut child = std::process::Command::new("python3")
            .arg(common::tool("smtp_tls_server.py"))
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the SMTP server (scripts/setup.sh installs aiosmtpd)");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let port = line.trim().parse().expect("the relay prints its port");
        Relay { child, port, dir }
    }

    /// Waits for the `count`-th message and returns its file.
    async fn message(&self, count: usize) -> PathBuf {
        let path = self.dir.join(format!("{count}.eml"));
        for _ in 0..200 {
            if path.exists() && self.dir.join(format!("{count}.json")).exists() {
                return path;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("message {count} never arrived");
    }

    fn session(&self, count: usize) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.join(format!("{count}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Runs one delivery (as the mail job does) and fails with the relay's answer if any
/// queued message could not be delivered.
async fn deliver(server: &TestServer) {
    let state = &server.server.state;
    state.mailer.deliver_due(state).await.unwrap();
    for email in outbox::recent(&state.db, 5).await.unwrap() {
        assert!(
            email.last_error.is_none(),
            "delivery failed: {:?}",
            email.last_error
        );
    }
}

fn parse(path: &Path) -> serde_json::Value {
    common::python_json("parse_mime.py", path)
}

fn part<'a>(message: &'a serde_json::Value, content_type: &str) -> &'a serde_json::Value {
    message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == content_type)
        .unwrap_or_else(|| panic!("no {content_type} part: {message}"))
}

async fn mutes(server: &TestServer) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notification_mutes m JOIN users u ON u.id = m.user_id \
         WHERE u.email = $1 AND m.event = 'module_published'",
    )
    .bind(PARTNER)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    n
}

async fn mail_is_standard_encrypted_and_one_click_unsubscribes(backend: Backend) {
    let relay = Relay::start().await;
    let ca = relay.dir.join("ca.pem");
    let port = relay.port.to_string();
    let server = TestServer::start_with(
        backend,
        &[
            "--smtp-host",
            "localhost",
            "--smtp-port",
            &port,
            "--smtp-tls",
            "starttls",
            "--smtp-ca-file",
            ca.to_str().unwrap(),
            "--smtp-username",
            "portal",
            "--smtp-password",
            "relay-password-0451",
            "--public-url",
            "http://portal.example.test",
        ],
    )
    .await;
    let state = &server.server.state;
    let body = "Hello Nora,\n\nMüller Café GmbH asked about the new module: https://portal.example.test/learn/4\n\n<b>not bold</b>\n";
    outbox::queue_notices(
        &state.db,
        &[Notice {
            event: Event::ModulePublished,
            to: PARTNER.into(),
            subject: "New for you: Müller Café GmbH onboarding".into(),
            body: body.into(),
            thread: None,
        }],
        state.clock.now_ms(),
    )
    .await
    .unwrap();
    deliver(&server).await;
    let message = parse(&relay.message(1).await);
    let session = relay.session(1);
    assert_eq!(session["tls"], true, "delivered over TLS: {session}");
    assert_eq!(session["authenticated"], true);
    assert_eq!(session["rcpt_tos"][0], PARTNER);

    let headers = &message["headers"];
    assert_eq!(headers["MIME-Version"], "1.0");
    assert_eq!(message["content_type"], "multipart/alternative");
    assert_eq!(message["defects"], serde_json::json!([]));
    assert_eq!(
        headers["Subject"],
        "New for you: Müller Café GmbH onboarding"
    );
    let message_id = headers["Message-ID"].as_str().unwrap();
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@portal.example.test>"),
        "{message_id}"
    );
    let text = part(&message, "text/plain");
    assert_eq!(text["charset"], "utf-8");
    assert!(text["text"]
        .as_str()
        .unwrap()
        .contains("Müller Café GmbH asked"));
    let html = part(&message, "text/html");
    assert_eq!(html["charset"], "utf-8");
    let html_text = html["text"].as_str().unwrap();
    assert!(html_text.contains("Müller Café GmbH asked"));
    assert!(
        html_text.contains("&lt;b&gt;not bold&lt;/b&gt;"),
        "{html_text}"
    );
    assert!(html_text.contains("<a href=\"https://portal.example.test/learn/4\">"));

    // RFC 8058: the header pair, and a POST from the mail provider's server (no Origin,
    // cross-site) with the one-click body turns the event off.
    assert_eq!(
        headers["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = headers["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .replace("http://portal.example.test", &server.server.url());
    let provider = reqwest::Client::new();
    let opened = provider.get(&unsubscribe).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    assert_eq!(mutes(&server).await, 0, "opening the link changes nothing");
    let forged = provider
        .post(unsubscribe.replace("token=", "token=0"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let other = provider
        .post(unsubscribe.replace("nora%40", "ben%40"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 400, "the token is for Nora only");
    for _ in 0..2 {
        let done = provider
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200, "and again: idempotent");
    }
    assert_eq!(mutes(&server).await, 1);
    // The preferences honour it: the next such notice is not emailed.
    let queued_before = outbox::recent(&state.db, 100).await.unwrap().len();
    outbox::queue_notices(
        &state.db,
        &[Notice {
            event: Event::ModulePublished,
            to: PARTNER.into(),
            subject: "Another module".into(),
            body: "x".into(),
            thread: None,
        }],
        state.clock.now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(
        outbox::recent(&state.db, 100).await.unwrap().len(),
        queued_before
    );

    // A sign-in link is not a notification: no unsubscribe on it.
    let client = server.client();
    let asked = common::call(
        &client,
        &server,
        app::api::auth::RequestMagicLink::PATH,
        &[("email", PARTNER)],
    )
    .await;
    assert_eq!(asked.status(), 200);
    deliver(&server).await;
    let link_mail = parse(&relay.message(2).await);
    assert!(link_mail["headers"].get("List-Unsubscribe").is_none());
    assert!(part(&link_mail, "text/plain")["text"]
        .as_str()
        .unwrap()
        .contains("/auth/magic?token="));
    server.stop().await;
}

/// A relay that does not offer STARTTLS gets nothing: the message stays queued with the
/// error, rather than crossing the network (with the password) in the clear.
async fn no_plaintext_fallback(backend: Backend) {
    let sink = common::smtp::SmtpSink::start().await;
    let server = sink
        .server(
            backend,
            &[
                "--smtp-username",
                "portal",
                "--smtp-password",
                "secret-password",
            ],
        )
        .await;
    let state = &server.server.state;
    outbox::enqueue(&state.db.write, PARTNER, "Hi", "Body", state.clock.now_ms())
        .await
        .unwrap();
    // This run or the background mail job (whichever claims the email first) tries it.
    state.mailer.deliver_due(state).await.unwrap();
    let mut recent = outbox::recent(&state.db, 1).await.unwrap();
    for _ in 0..100 {
        if recent[0].last_error.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        recent = outbox::recent(&state.db, 1).await.unwrap();
    }
    assert!(recent[0].sent_at.is_none());
    assert!(recent[0].last_error.is_some(), "{:?}", recent[0]);
    assert!(sink.received.lock().unwrap().is_empty());
    server.stop().await;
}

both_backends!(
    mail_is_standard_encrypted_and_one_click_unsubscribes,
    no_plaintext_fallback,
);
