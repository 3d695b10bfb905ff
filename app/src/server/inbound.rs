//! Mail that reaches the portal, through either door (the SMTP listener or the raw-MIME
//! endpoint): parsed, routed to the notification it answers, cut to the partner's words,
//! judged, and stored whole. Nothing here ever answers a message, so two machines can
//! never loop.
use super::repo::replies::{self as repo, NewInbound, Notified};
use super::state::AppState;
use crate::domain::replies::{self as rules, Facts, Verdict};

/// The largest message either door takes (bigger ones are refused before they are read
/// whole), and the most recipients one SMTP transaction may name.
pub const MAX_MESSAGE_BYTES: usize = 10 << 20;
pub const MAX_RECIPIENTS: usize = 50;

/// Which door a message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Smtp,
    Http,
}

impl Door {
    fn as_str(self) -> &'static str {
        match self {
            Door::Smtp => "smtp",
            Door::Http => "http",
        }
    }
}

/// A message as it arrived.
pub struct Arrival<'a> {
    pub door: Door,
    /// The SMTP envelope (`MAIL FROM`, `RCPT TO`); the HTTP door has none.
    pub envelope_from: &'a str,
    pub recipients: &'a [String],
    pub raw: &'a [u8],
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Stored {
        id: i64,
        verdict: &'static str,
    },
    /// Its Message-ID was stored before: a second delivery of the same message.
    Duplicate,
    /// Not a mail message (no sender could be read); nothing was stored.
    Unreadable,
}

/// Whether `RCPT TO:<address>` names a reply address the portal can route: the right shape
/// first (junk costs no query), then a sent notification of a deal or a module, still in its
/// window.
pub async fn accepts_recipient(state: &AppState, address: &str) -> Result<bool, sqlx::Error> {
    Ok(notification_of_address(state, address).await?.is_some())
}

async fn notification_of_address(
    state: &AppState,
    address: &str,
) -> Result<Option<Notified>, sqlx::Error> {
    let Some(domain) = state.settings.reply_domain.as_deref() else {
        return Ok(None);
    };
    let Some(key) = rules::key_of_address(address, domain) else {
        return Ok(None);
    };
    let hash = super::crypto::token_hash(&state.settings.secret_key, &key);
    let now = state.clock.now_ms();
    Ok(repo::notification_by_key(&state.db, &hash)
        .await?
        .filter(|n| n.created_at + rules::REPLY_WINDOW_MS >= now))
}

/// Takes one message: stores it, and for an accepted reply its place on the deal and its
/// CRM timeline job.
pub async fn take(state: &AppState, arrival: &Arrival<'_>) -> Result<Intake, sqlx::Error> {
    let Some(message) = mail_parser::MessageParser::default().parse(arrival.raw) else {
        return Ok(Intake::Unreadable);
    };
    let Some(sender) = message.from().and_then(|from| from.first()) else {
        return Ok(Intake::Unreadable);
    };
    let from_address = sender.address().unwrap_or_default().trim().to_string();
    if from_address.is_empty() {
        return Ok(Intake::Unreadable);
    }
    let from_name = sender.name().unwrap_or_default().to_string();
    // Routing: the reply address (envelope first, then the headers a relay keeps), else
    // the thread headers naming a notification's Message-ID.
    let header_recipients = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|list| list.iter())
        .filter_map(|addr| addr.address().map(str::to_string));
    let mut notified = None;
    for address in arrival
        .recipients
        .iter()
        .cloned()
        .chain(header_recipients)
        .take(rules_limit())
    {
        if let Some(found) = notification_of_address(state, &address).await? {
            notified = Some(found);
            break;
        }
    }
    if notified.is_none() {
        let mut thread: Vec<String> = Vec::new();
        for value in [message.in_reply_to(), message.references()] {
            if let Some(ids) = value.as_text_list() {
                thread.extend(ids.iter().map(|id| rules::bare_message_id(id).to_string()));
            } else if let Some(id) = value.as_text() {
                thread.push(rules::bare_message_id(id).to_string());
            }
        }
        let now = state.clock.now_ms();
        notified = repo::notification_by_thread(&state.db, &thread)
            .await?
            .filter(|n| n.created_at + rules::REPLY_WINDOW_MS >= now);
    }
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let reply = rules::strip_reply(&text);
    // A bounce has an empty envelope sender (RFC 5321 §4.5.5): a machine, like an
    // out-of-office.
    let bounce = arrival.door == Door::Smtp && arrival.envelope_from.trim().is_empty();
    let automatic =
        bounce || rules::is_automatic(|name| message.header_raw(name).map(str::to_string));
    let verdict = rules::judge(&Facts {
        notified: notified.as_ref().map(|n| n.to_address.as_str()),
        sender: &from_address,
        automatic,
        reply: &reply,
    });
    let user_id = match &notified {
        Some(n) => repo::user_by_email(&state.db, &n.to_address).await?,
        None => None,
    };
    let raw = String::from_utf8_lossy(arrival.raw).replace('\0', "");
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(arrival.raw))
    };
    let message_id = message
        .message_id()
        .map(|id| rules::bare_message_id(id).to_string());
    let bounded = |text: &str, chars: usize| -> String { text.chars().take(chars).collect() };
    let envelope_to = bounded(&arrival.recipients.join(", "), 2_000);
    let subject = bounded(message.subject().unwrap_or_default(), 500);
    let place_url = notified
        .as_ref()
        .and_then(Notified::topic)
        .map_or(String::new(), |topic| {
            format!("{}{}", state.settings.public_base_url, topic.place())
        });
    let stored = repo::store_inbound(
        &state.db,
        &NewInbound {
            received_at: state.clock.now_ms(),
            via: arrival.door.as_str(),
            envelope_from: &bounded(arrival.envelope_from, 320),
            envelope_to: &envelope_to,
            from_address: &bounded(&from_address, 320),
            from_name: &bounded(&from_name, 200),
            subject: &subject,
            message_id: message_id.as_deref().map(|id| &id[..id.len().min(998)]),
            notified: notified.as_ref(),
            user_id,
            verdict: verdict.as_str(),
            reason: verdict.reason(),
            reply_text: &reply,
            raw: &raw,
            raw_sha256: &digest,
            raw_size: arrival.raw.len() as i64,
            place_url: &place_url,
        },
    )
    .await?;
    Ok(match stored {
        Some(id) => {
            if verdict == Verdict::Accepted {
                state.crm_wake.notify_one();
            }
            Intake::Stored {
                id,
                verdict: verdict.as_str(),
            }
        }
        None => Intake::Duplicate,
    })
}

/// Addresses looked at for a key: the envelope's and the headers', bounded.
const fn rules_limit() -> usize {
    MAX_RECIPIENTS * 2
}
