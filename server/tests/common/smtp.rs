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
