//! Email goes through the outbox table: a request only enqueues, a sender delivers with
//! retries. Without SMTP settings (development) emails stay in the outbox for the dev page.
use super::repo::outbox;
use super::state::AppState;
use crate::domain::retry::{backoff_ms, should_retry};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

#[derive(Clone)]
pub struct Mailer {
    smtp: Option<SmtpSettings>,
    /// Wakes the sender when an email is enqueued, so magic links arrive at once.
    wake: Arc<Notify>,
}

/// How long a claimed email stays reserved for the instance sending it.
const LEASE_MS: i64 = 120_000;

impl Mailer {
    pub fn new(smtp: Option<SmtpSettings>) -> Self {
        Mailer {
            smtp,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.smtp.is_some()
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Delivers every due email once. Safe to run concurrently in several instances.
    pub async fn deliver_due(&self, state: &AppState) -> Result<usize, sqlx::Error> {
        let Some(smtp) = &self.smtp else { return Ok(0) };
        let now = state.clock.now_ms();
        let mut delivered = 0;
        for id in outbox::due(&state.db, now, 50).await? {
            let Some(email) = outbox::claim(&state.db, id, now, now + LEASE_MS).await? else {
                continue;
            };
            match send(smtp, &email.to_address, &email.subject, &email.body_text).await {
                Ok(()) => {
                    outbox::mark_sent(&state.db, id, state.clock.now_ms()).await?;
                    delivered += 1;
                }
                Err(error) => {
                    tracing::warn!(email_id = id, %error, "email delivery failed");
                    let retry_at = should_retry(email.attempts + 1)
                        .then(|| state.clock.now_ms() + backoff_ms(email.attempts));
                    outbox::mark_failed(&state.db, id, &error, retry_at).await?;
                }
            }
        }
        Ok(delivered)
    }
}

async fn send(smtp: &SmtpSettings, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .body(body.to_string())
        .map_err(|e| format!("could not build message: {e}"))?;
    let mut transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).port(smtp.port);
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
    }
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
