//! A real SMTP server for tests: it speaks enough of RFC 5321 for lettre to deliver, and
//! keeps every received message.
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub recipients: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut recipients = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let answer: &[u8] =
                            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                                b"250-sink\r\n250 8BITMIME\r\n"
                            } else if upper.starts_with("RCPT TO:") {
                                recipients.push(
                                    line[8..]
                                        .trim()
                                        .trim_matches(|c| c == '<' || c == '>')
                                        .to_string(),
                                );
                                b"250 OK\r\n"
                            } else if upper.starts_with("DATA") {
                                let _ = write.write_all(b"354 go ahead\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(body_line)) = lines.next_line().await {
                                    if body_line == "." {
                                        break;
                                    }
                                    data.push_str(&body_line);
                                    data.push('\n');
                                }
                                store.lock().expect("store").push(ReceivedMail {
                                    recipients: std::mem::take(&mut recipients),
                                    data,
                                });
                                b"250 queued\r\n"
                            } else if upper.starts_with("QUIT") {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            } else {
                                b"250 OK\r\n"
                            };
                        if write.write_all(answer).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        SmtpSink { port, received }
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("store").clone()
    }
}

impl SmtpSink {
    /// A test server that sends its email to this sink, with `extra` flags.
    pub async fn server(&self, backend: super::Backend, extra: &[&str]) -> super::TestServer {
        let port = self.port.to_string();
        let mut flags = vec!["--smtp-host", "127.0.0.1", "--smtp-port", &port];
        flags.extend_from_slice(extra);
        super::TestServer::start_with(backend, &flags).await
    }

    /// Waits up to 10 s for the first message.
    pub async fn wait_for_message(&self) -> ReceivedMail {
        for _ in 0..200 {
            if let Some(mail) = self.messages().into_iter().next() {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no email arrived at the SMTP sink");
    }
}

/// The `nth` email `to` received (the mail job may be sending it already), within 10 s.
pub async fn nth_mail_to(
    server: &super::TestServer,
    sink: &SmtpSink,
    to: &str,
    nth: usize,
) -> ReceivedMail {
    let state = &server.server.state;
    for _ in 0..200 {
        state.mailer.deliver_due(state).await.unwrap();
        let mails: Vec<_> = sink
            .messages()
            .into_iter()
            .filter(|m| m.recipients == [to])
            .collect();
        if mails.len() >= nth {
            return mails[nth - 1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{to} received fewer than {nth} emails");
}

/// Reads a message with Python's standard MIME parser.
pub fn parse_mime(data: &str) -> serde_json::Value {
    super::python_json_of("parse_mime.py", "eml", data)
}

/// Delivers `raw` over SMTP to the portal's listener as a mail server would (lettre, a real
/// SMTP client); the listener's final answer.
pub async fn deliver(
    server: &super::TestServer,
    from: &str,
    to: &str,
    raw: &str,
) -> Result<String, String> {
    use lettre::address::Envelope;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let port = server.server.smtp_addr.expect("the listener runs").port();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let from = if from.is_empty() {
        None
    } else {
        Some(from.parse().unwrap())
    };
    let envelope = Envelope::new(from, vec![to.parse().unwrap()]).unwrap();
    match transport.send_raw(&envelope, raw.as_bytes()).await {
        Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
        Err(error) => Err(format!(
            "{} {error}",
            error.status().map(|c| c.to_string()).unwrap_or_default()
        )),
    }
}

/// A test server that emails this sink, takes replies for `reply.test` on its own SMTP
/// listener (and, with `relay_token`, over HTTP), and syncs with a fake HubSpot at
/// `hubspot_base` only when a test says so.
pub async fn replying_server(
    sink: &SmtpSink,
    backend: super::Backend,
    hubspot_base: &str,
    relay_token: Option<&str>,
) -> super::TestServer {
    let mut flags = vec![
        "--smtp-tls",
        "none",
        "--reply-domain",
        "reply.test",
        "--inbound-smtp-bind",
        "127.0.0.1:0",
        "--hubspot-api-base",
        hubspot_base,
        "--crm-sync-interval-secs",
        "86400",
    ];
    if let Some(token) = relay_token {
        flags.extend(["--inbound-mail-token", token]);
    }
    sink.server(backend, &flags).await
}
