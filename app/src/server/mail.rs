//! Email goes through the outbox table: a request only enqueues, a sender delivers with
//! retries. Without SMTP settings (development) emails stay in the outbox for the dev page.
use super::repo::outbox;
use super::state::AppState;
use crate::domain::replies::ReplyTopic;
use crate::domain::retry::{backoff_ms, should_retry};
use crate::model::OutboxEmail;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
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
    pub tls: SmtpTls,
    /// Extra trusted root certificate (PEM), for a relay with a private CA.
    pub ca_pem: Option<Vec<u8>>,
}

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption: only for a relay on the same machine, and refused in production
    /// unless explicitly allowed (a password would cross the network in the clear).
    None,
}

/// What a delivery needs besides the relay: where links point, and the key that signs the
/// one-click unsubscribe links.
pub struct Envelope<'a> {
    pub public_base_url: &'a str,
    pub host_name: &'a str,
    pub secret: &'a [u8],
    /// Where a reply goes (`reply+<key>@<reply domain>`), for an email a partner may answer.
    pub reply_to: Option<String>,
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
        let secret = &state.settings.secret_key;
        for id in outbox::due(&state.db, now, 50).await? {
            let Some(mut email) = outbox::claim(&state.db, id, now, now + LEASE_MS).await? else {
                continue;
            };
            // Replies reach the portal only where a reply domain is configured.
            let answerable = state
                .settings
                .reply_domain
                .as_deref()
                .filter(|_| topic_of(&email).is_some());
            let fresh = format!(
                "{}@{}",
                super::crypto::new_token(),
                state.settings.host_name()
            );
            let message_id = outbox::fix_message_id(&state.db, id, &fresh, |message_id| {
                answerable.map(|_| {
                    super::crypto::token_hash(secret, &super::crypto::reply_key(secret, message_id))
                })
            })
            .await?;
            email.message_id = Some(message_id);
            let reply_to = reply_address_of(state, &email);
            let envelope = Envelope {
                public_base_url: &state.settings.public_base_url,
                host_name: state.settings.host_name(),
                secret,
                reply_to,
            };
            match send(smtp, &envelope, &email).await {
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

/// What a queued email is about, if a reply to it has somewhere to land.
fn topic_of(email: &OutboxEmail) -> Option<ReplyTopic> {
    ReplyTopic::from_columns(email.deal_id, email.path_id)
}

/// A new thread for an email about `topic`: its Message-ID in the portal's domain and,
/// where replies are on, the hash of the key its reply address will carry.
pub fn thread(state: &AppState, topic: ReplyTopic) -> outbox::Thread {
    let message_id = format!(
        "{}@{}",
        super::crypto::new_token(),
        state.settings.host_name()
    );
    let secret = &state.settings.secret_key;
    let reply_key_hash =
        state.settings.reply_domain.as_ref().map(|_| {
            super::crypto::token_hash(secret, &super::crypto::reply_key(secret, &message_id))
        });
    outbox::Thread {
        topic,
        message_id,
        reply_key_hash,
    }
}

/// The reply address of a queued email, when it is answerable.
pub fn reply_address_of(state: &AppState, email: &OutboxEmail) -> Option<String> {
    let domain = state.settings.reply_domain.as_deref()?;
    topic_of(email)?;
    let message_id = email.message_id.as_deref()?;
    let key = super::crypto::reply_key(&state.settings.secret_key, message_id);
    Some(crate::domain::replies::reply_address(&key, domain))
}

/// Builds the message as it goes on the wire: UTF-8 text and an HTML alternative made from
/// it, a Message-ID in the portal's own domain (not the machine's host name), and for
/// notifications a one-click unsubscribe (RFC 2369 and RFC 8058).
pub fn build_message(
    from: &str,
    envelope: &Envelope,
    email: &OutboxEmail,
) -> Result<Message, String> {
    use crate::domain::notifications::Event;
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = email
        .to_address
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    let unsubscribe = email.event.as_deref().and_then(Event::parse).map(|event| {
        super::unsubscribe::url(
            envelope.public_base_url,
            envelope.secret,
            &email.to_address,
            event,
        )
    });
    let message_id = match &email.message_id {
        Some(id) => format!("<{}>", crate::domain::replies::bare_message_id(id)),
        None => format!("<{}@{}>", super::crypto::new_token(), envelope.host_name),
    };
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(crate::domain::validation::as_one_line(&email.subject))
        .message_id(Some(message_id));
    if let Some(address) = &envelope.reply_to {
        let address = address
            .parse()
            .map_err(|e| format!("bad reply address: {e}"))?;
        builder = builder.reply_to(Mailbox::new(from.name.clone(), address));
    }
    // A manager's answer continues the partner's thread (RFC 5322 §3.6.4).
    if let Some(parent) = &email.in_reply_to {
        builder = builder.in_reply_to(format!(
            "<{}>",
            crate::domain::replies::bare_message_id(parent)
        ));
        let mut references = email.thread_references.clone().unwrap_or_default();
        if !references.is_empty() {
            references.push(' ');
        }
        references.push_str(&format!(
            "<{}>",
            crate::domain::replies::bare_message_id(parent)
        ));
        builder = builder.references(references);
    }
    if let Some(url) = &unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    // Where a reply is read, a marker line says where the partner's words end.
    let body = match &envelope.reply_to {
        Some(_) => format!(
            "{}\n\n{}",
            crate::domain::replies::REPLY_MARKER,
            email.body_text
        ),
        None => email.body_text.clone(),
    };
    let mut text = body.clone();
    if let Some(url) = &unsubscribe {
        text.push_str(&format!("\n--\nStop these emails: {url}\n"));
    }
    let html = crate::domain::email::html_body(&body, unsubscribe.as_deref());
    builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("could not build message: {e}"))
}

async fn send(
    smtp: &SmtpSettings,
    envelope: &Envelope<'_>,
    email: &OutboxEmail,
) -> Result<(), String> {
    let message = build_message(&smtp.from, envelope, email)?;
    let mut transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).port(smtp.port);
    if smtp.tls != SmtpTls::None {
        let mut parameters = TlsParameters::builder(smtp.host.clone());
        if let Some(pem) = &smtp.ca_pem {
            let certificate = Certificate::from_pem(pem)
                .map_err(|e| format!("the SMTP CA certificate could not be read: {e}"))?;
            parameters = parameters.add_root_certificate(certificate);
        }
        let parameters = parameters
            .build_rustls()
            .map_err(|e| format!("TLS settings for SMTP: {e}"))?;
        transport = transport.tls(match smtp.tls {
            SmtpTls::Implicit => Tls::Wrapper(parameters),
            _ => Tls::Required(parameters),
        });
    }
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
