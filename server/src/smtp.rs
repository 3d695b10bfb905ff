//! The portal's own SMTP listener, for replies to notifications (the MX of the reply domain,
//! or a relay, points here). It speaks the part of RFC 5321 a delivering server needs:
//! HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY (never answered), QUIT. Every input is
//! bounded: command lines, the message size (advertised with SIZE, RFC 1870), recipients
//! per message, bad commands per connection, time per command, open connections. A
//! recipient that is not a live reply address is refused at RCPT, so junk is never read.
//! There is no STARTTLS: terminate TLS at a relay in front if mail crosses networks.
use app::server::inbound::{self, Arrival, Door, Intake, MAX_MESSAGE_BYTES, MAX_RECIPIENTS};
use app::server::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets; we allow some slack.
const MAX_COMMAND_BYTES: usize = 1_024;
/// RFC 5321 §4.5.3.2 asks servers to wait minutes for a command; a data line the same.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_BAD_COMMANDS: u32 = 20;
const MAX_CONNECTIONS: usize = 64;

/// Serves until `stop` turns true.
pub async fn serve(listener: TcpListener, state: AppState, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Busy: say so and hang up (RFC 5321 §3.1 allows 421 as the greeting).
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream
                    .write_all(b"421 4.3.2 Too busy, try again later\r\n")
                    .await;
            });
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = session(stream, &state).await {
                tracing::debug!(%error, "SMTP session ended");
            }
            drop(slot);
        });
    }
}

/// Where a session stands between commands.
#[derive(Default)]
struct Transaction {
    greeted: bool,
    from: Option<String>,
    recipients: Vec<String>,
}

async fn session(stream: TcpStream, state: &AppState) -> std::io::Result<()> {
    let host = state.settings.host_name().to_string();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(format!("220 {host} Partner Portal reply service ESMTP\r\n").as_bytes())
        .await?;
    let mut transaction = Transaction::default();
    let mut bad_commands = 0;
    loop {
        let line = match read_line(&mut reader, MAX_COMMAND_BYTES).await? {
            Line::Text(line) => line,
            Line::TooLong => {
                bad_commands += 1;
                reply(&mut write, "500 5.5.6 Line too long").await?;
                continue;
            }
            Line::Closed => return Ok(()),
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, argument) = text.split_once(' ').unwrap_or((text, ""));
        let answer = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                transaction = Transaction {
                    greeted: true,
                    ..Default::default()
                };
                format!(
                    "250-{host}\r\n250-SIZE {MAX_MESSAGE_BYTES}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES"
                )
            }
            "HELO" => {
                transaction = Transaction {
                    greeted: true,
                    ..Default::default()
                };
                format!("250 {host}")
            }
            "MAIL" => mail(&mut transaction, argument),
            "RCPT" => rcpt(&mut transaction, argument, state).await,
            "DATA" => {
                if transaction.from.is_none() || transaction.recipients.is_empty() {
                    "503 5.5.1 Send MAIL and RCPT first".to_string()
                } else {
                    reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await?;
                    let answer = data(&mut reader, &transaction, state).await?;
                    transaction.from = None;
                    transaction.recipients.clear();
                    answer
                }
            }
            "RSET" => {
                transaction.from = None;
                transaction.recipients.clear();
                "250 2.0.0 OK".to_string()
            }
            "NOOP" => "250 2.0.0 OK".to_string(),
            "VRFY" => "252 2.5.0 Cannot verify the user".to_string(),
            "QUIT" => {
                reply(&mut write, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognised".to_string(),
        };
        if answer.starts_with('5') && !answer.starts_with("550") && !answer.starts_with("552") {
            bad_commands += 1;
        }
        if bad_commands > MAX_BAD_COMMANDS {
            reply(&mut write, "421 4.7.0 Too many errors, closing").await?;
            return Ok(());
        }
        reply(&mut write, &answer).await?;
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> std::io::Result<()> {
    write.write_all(format!("{text}\r\n").as_bytes()).await
}

/// `MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME]`.
fn mail(transaction: &mut Transaction, argument: &str) -> String {
    if !transaction.greeted {
        return "503 5.5.1 Say EHLO first".to_string();
    }
    if transaction.from.is_some() {
        return "503 5.5.1 Sender already given".to_string();
    }
    let Some(rest) = strip_keyword(argument, "FROM:") else {
        return "501 5.5.4 Syntax: MAIL FROM:<address>".to_string();
    };
    let Some((address, parameters)) = path(rest) else {
        return "501 5.1.7 Bad sender address syntax".to_string();
    };
    let declared = parameters
        .split_whitespace()
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("SIZE"))
        .and_then(|(_, size)| size.parse::<u64>().ok());
    if declared.is_some_and(|size| size > MAX_MESSAGE_BYTES as u64) {
        return format!("552 5.3.4 Message size exceeds the limit of {MAX_MESSAGE_BYTES} bytes");
    }
    transaction.from = Some(address.to_string());
    transaction.recipients.clear();
    "250 2.1.0 OK".to_string()
}

/// `RCPT TO:<address>`: only a live reply address is accepted.
async fn rcpt(transaction: &mut Transaction, argument: &str, state: &AppState) -> String {
    if transaction.from.is_none() {
        return "503 5.5.1 Send MAIL first".to_string();
    }
    let Some((address, _)) = strip_keyword(argument, "TO:").and_then(path) else {
        return "501 5.1.3 Bad recipient address syntax".to_string();
    };
    if transaction.recipients.len() >= MAX_RECIPIENTS {
        return "452 4.5.3 Too many recipients".to_string();
    }
    match inbound::accepts_recipient(state, address).await {
        Ok(true) => {
            transaction.recipients.push(address.to_string());
            "250 2.1.5 OK".to_string()
        }
        Ok(false) => "550 5.1.1 No such reply address".to_string(),
        Err(error) => {
            tracing::error!(%error, "checking a reply address failed");
            "451 4.3.0 Temporary failure, try again later".to_string()
        }
    }
}

/// Reads the message up to the lone dot, undoing dot-stuffing (RFC 5321 §4.5.2), and
/// takes it. A message over the limit is read to its end (so the session stays in step)
/// but not kept.
async fn data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    transaction: &Transaction,
    state: &AppState,
) -> std::io::Result<String> {
    let mut message: Vec<u8> = Vec::new();
    let mut too_big = false;
    loop {
        let line = match read_line(reader, MAX_MESSAGE_BYTES + 2).await? {
            Line::Text(line) => line,
            Line::TooLong => {
                too_big = true;
                continue;
            }
            Line::Closed => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed during DATA",
                ))
            }
        };
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if too_big || message.len() + line.len() > MAX_MESSAGE_BYTES {
            too_big = true;
            message.clear();
            continue;
        }
        message.extend_from_slice(line);
    }
    if too_big {
        return Ok(format!(
            "552 5.3.4 Message size exceeds the limit of {MAX_MESSAGE_BYTES} bytes"
        ));
    }
    let arrival = Arrival {
        door: Door::Smtp,
        envelope_from: transaction.from.as_deref().unwrap_or(""),
        recipients: &transaction.recipients,
        raw: &message,
    };
    Ok(match inbound::take(state, &arrival).await {
        Ok(Intake::Stored { id, .. }) => format!("250 2.0.0 Received as {id}"),
        Ok(Intake::Duplicate) => "250 2.0.0 Already received".to_string(),
        Ok(Intake::Unreadable) => "554 5.6.0 The message could not be read".to_string(),
        Err(error) => {
            tracing::error!(%error, "storing an inbound message failed");
            "451 4.3.0 Temporary failure, try again later".to_string()
        }
    })
}

/// `FROM:`/`TO:` at the start of an argument, any case, with optional space after it.
fn strip_keyword<'a>(argument: &'a str, keyword: &str) -> Option<&'a str> {
    let head = argument.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| argument[keyword.len()..].trim_start())
}

/// `<address> parameters`: the address inside the brackets (empty for the null sender).
fn path(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.strip_prefix('<')?;
    let (address, parameters) = rest.split_once('>')?;
    if address.len() > 320 || address.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some((address, parameters.trim()))
}

enum Line {
    Text(Vec<u8>),
    /// Longer than allowed: the rest of the line was read and dropped.
    TooLong,
    Closed,
}

/// One line, ending in LF, of at most `limit` bytes, within the command timeout.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    limit: usize,
) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buffer = match tokio::time::timeout(COMMAND_TIMEOUT, reader.fill_buf()).await {
            Ok(buffer) => buffer?,
            Err(_) => return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle")),
        };
        if buffer.is_empty() {
            return Ok(Line::Closed);
        }
        let (chunk, done) = match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => (&buffer[..=end], true),
            None => (buffer, false),
        };
        let used = chunk.len();
        if !too_long && line.len() + used <= limit {
            line.extend_from_slice(chunk);
        } else {
            too_long = true;
            line.clear();
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Text(line)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_keywords() {
        assert_eq!(strip_keyword("from:<a@b>", "FROM:"), Some("<a@b>"));
        assert_eq!(strip_keyword("FROM: <a@b>", "FROM:"), Some("<a@b>"));
        assert_eq!(strip_keyword("TO:<a@b>", "FROM:"), None);
        assert_eq!(path("<a@b> SIZE=10"), Some(("a@b", "SIZE=10")));
        assert_eq!(path("<>"), Some(("", "")));
        assert_eq!(path("a@b"), None);
        assert_eq!(path("<a b@c>"), None);
    }

    #[test]
    fn mail_checks_order_and_declared_size() {
        let mut transaction = Transaction::default();
        assert!(mail(&mut transaction, "FROM:<a@b>").starts_with("503"));
        transaction.greeted = true;
        assert!(mail(&mut transaction, "FROM:<a@b> SIZE=99999999999").starts_with("552"));
        assert!(mail(&mut transaction, "FROM:<a@b> SIZE=100").starts_with("250"));
        assert!(mail(&mut transaction, "FROM:<a@b>").starts_with("503"));
    }
}
