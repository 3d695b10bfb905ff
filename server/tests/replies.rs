//! Partner replies by email, on SQLite and PostgreSQL. A decision emailed to a partner
//! carries a reply address and a fixed Message-ID (read back with Python's MIME parser);
//! replies written as Gmail, Outlook, an iPhone and French and German clients write them are
//! delivered by lettre, a real SMTP client, to the portal's listener, cut to the partner's
//! words and shown on the deal; an auto-reply is ignored, a forged sender held, a bad key
//! refused at RCPT, a repeat stored once, an oversized message refused. The raw-MIME door
//! takes relays' deliveries behind a bearer token. A manager's answer goes back in the same
//! thread, and the reply reaches HubSpot as a note on the contact and the deal.
mod common;

use app::api::channel::{DecideRegistration, LoadDealAudit};
use app::api::replies::{
    AnswerPartnerReply, LoadDealConversation, LoadInboundMail, LoadInboundOriginal,
    ReleaseHeldReply,
};
use app::model::{DealAudit, DealConversation, InboundLog, InboundMail};
use common::crm::{connect_hubspot, count, sync};
use common::fake_hubspot::FakeHubSpot;
use common::smtp::{deliver, parse_mime as parse, SmtpSink};
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};

const NORA: &str = "nora@northwind.example";
const BEN: &str = "ben@bluefin.example";
const MARCO: &str = "marco@lumen.example";
const ADMIN: &str = "admin@lumen.example";
const RELAY_TOKEN: &str = "relay-token-0123456789abcdef";
const HUBSPOT_TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

struct Setup {
    server: TestServer,
    sink: SmtpSink,
    fake: FakeHubSpot,
    deal_id: i64,
    /// The decision email as Nora's mail server received it.
    reply_address: String,
    message_id: String,
    subject: String,
}

async fn setup(backend: Backend) -> Setup {
    let sink = SmtpSink::start().await;
    let fake = FakeHubSpot::new(HUBSPOT_TOKEN);
    let base = fake.start().await;
    let server = common::smtp::replying_server(&sink, backend, &base, Some(RELAY_TOKEN)).await;
    connect_hubspot(&server, HUBSPOT_TOKEN).await;
    sync(&server, 50).await;
    // One of Nora's registrations waiting for review; Marco approves it.
    let (deal_id,): (i64,) = sqlx::query_as(
        "SELECT d.id FROM deals d JOIN users u ON u.id = d.owner_user_id \
         WHERE u.email = $1 AND d.registration_status = 'pending' ORDER BY d.id LIMIT 1",
    )
    .bind(NORA)
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    let marco = sign_in(&server, MARCO).await;
    let decided = call(
        &marco,
        &server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &deal_id.to_string()),
            ("decision", "approve"),
            ("rationale", "Clean registration, no other claim."),
        ],
    )
    .await;
    assert_eq!(decided.status(), 200);
    let mail = mail_to_nora(&server, &sink, 1).await;
    let parsed = parse(&mail.data);
    let headers = &parsed["headers"];
    let reply_to = headers["Reply-To"]
        .as_str()
        .expect("a Reply-To")
        .to_string();
    let reply_address = reply_to
        .split(['<', '>'])
        .find(|part| part.starts_with("reply+"))
        .expect("a reply address")
        .to_string();
    assert!(reply_address.ends_with("@reply.test"), "{reply_address}");
    let text = parsed["parts"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(app::domain::replies::REPLY_MARKER),
        "{text}"
    );
    // Only the key's hash is stored.
    let key = reply_address
        .trim_start_matches("reply+")
        .split('@')
        .next()
        .unwrap();
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM email_outbox WHERE reply_key_hash LIKE '%{key}%'")
        )
        .await,
        0
    );
    Setup {
        message_id: headers["Message-ID"].as_str().unwrap().to_string(),
        subject: headers["Subject"].as_str().unwrap().to_string(),
        server,
        sink,
        fake,
        deal_id,
        reply_address,
    }
}

/// The `nth` email Nora received (the mail job may be sending it already), within 10 s.
async fn mail_to_nora(
    server: &TestServer,
    sink: &SmtpSink,
    nth: usize,
) -> common::smtp::ReceivedMail {
    common::smtp::nth_mail_to(server, sink, NORA, nth).await
}

/// A reply as a client writes it: headers, then `body` (already in its transfer encoding).
fn reply_mail(from: &str, setup: &Setup, id: &str, headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: Partner Portal <{}>\r\nSubject: Re: {}\r\nMessage-ID: <{id}>\r\n\
         In-Reply-To: {}\r\nReferences: {}\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{headers}\r\n{body}",
        setup.reply_address, setup.subject, setup.message_id, setup.message_id
    )
    .replace("\r\n", "\n")
    .replace('\n', "\r\n")
}

async fn inbound(setup: &Setup) -> Vec<InboundMail> {
    let admin = sign_in(&setup.server, ADMIN).await;
    let (status, log) =
        invoke::<InboundLog>(&admin, &setup.server, LoadInboundMail::PATH, &[]).await;
    assert_eq!(status, 200);
    let log = log.unwrap();
    assert_eq!(log.reply_domain.as_deref(), Some("reply.test"));
    assert!(log.relay_enabled);
    log.messages
}

async fn conversation(
    client: &reqwest::Client,
    setup: &Setup,
) -> (u16, Result<DealConversation, app::error::AppError>) {
    invoke(
        client,
        &setup.server,
        LoadDealConversation::PATH,
        &[("deal_id", &setup.deal_id.to_string())],
    )
    .await
}

async fn replies_from_every_kind_of_client_land_on_the_deal(backend: Backend) {
    let setup = setup(backend).await;
    let server = &setup.server;
    let nora = "Nora Lind <nora@northwind.example>";
    let quote = |header: &str| {
        format!(
            "\n\n{header}\n> {}\n>\n> Hello Nora,\n> Your registration was approved.\n",
            app::domain::replies::REPLY_MARKER
        )
    };
    let gmail = reply_mail(
        nora,
        &setup,
        "gmail-1@mail.gmail.com",
        "Content-Type: multipart/alternative; boundary=\"b1\"\n",
        &format!(
            "--b1\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\nSounds good, we=E2=80=99ll book the demo for Tuesday.{}\n--b1\nContent-Type: text/html; charset=\"UTF-8\"\n\n<div>Sounds good</div>\n--b1--\n",
            quote("On Mon, 30 Nov 2026 at 09:00, Partner Portal <\nreply@reply.test> wrote:")
        ),
    );
    let outlook = reply_mail(
        nora,
        &setup,
        "outlook-1@eurprd.outlook.com",
        "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n",
        &{
            use base64::Engine;
            let text = "The customer signed today.\r\n\r\n________________________________\r\nFrom: Partner Portal <reply@reply.test>\r\nSent: Monday, November 30, 2026 9:00 AM\r\nTo: Nora Lind\r\nSubject: Registration approved\r\n\r\nHello Nora,\r\n";
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            encoded
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    let iphone = reply_mail(
        nora,
        &setup,
        "iphone-1@icloud.com",
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n",
        &format!(
            "Yes, please extend the protection.\n\nSent from my iPhone{}",
            quote("On 30 Nov 2026, at 09:00, Partner Portal <reply@reply.test> wrote:")
        ),
    );
    let french = reply_mail(
        nora,
        &setup,
        "fr-1@orange.fr",
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
        &format!("Merci, c'est not=C3=A9.{}", quote("Le lun. 30 nov. 2026 =C3=A0 09:00, Partner Portal <reply@reply.test> a =C3=A9crit :")),
    );
    let german = reply_mail(
        nora,
        &setup,
        "de-1@web.de",
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
        &format!(
            "Danke, wir melden uns bis Freitag.{}",
            quote("Am 30.11.2026 um 09:00 schrieb Partner Portal <reply@reply.test>:")
        ),
    );
    for raw in [&gmail, &outlook, &iphone, &french, &german] {
        let answer = deliver(server, NORA, &setup.reply_address, raw).await;
        assert!(
            answer.as_ref().is_ok_and(|a| a.contains("Received as")),
            "{answer:?}"
        );
    }
    // A repeat of one (a relay retrying) is stored once.
    let again = deliver(server, NORA, &setup.reply_address, &gmail).await;
    assert!(
        again.as_ref().is_ok_and(|a| a.contains("Already received")),
        "{again:?}"
    );

    // An out-of-office, a forged sender, a key that is not one, an unknown address, a
    // message over the size limit.
    let away = reply_mail(
        nora,
        &setup,
        "away-1@northwind.example",
        "Auto-Submitted: auto-replied\nContent-Type: text/plain\n",
        "I am out of the office until Monday.\n",
    );
    assert!(deliver(server, NORA, &setup.reply_address, &away)
        .await
        .is_ok());
    let forged = reply_mail(
        "Eve <eve@evil.example>",
        &setup,
        "forged-1@evil.example",
        "Content-Type: text/plain\n",
        "Please transfer the deal to Evil Corp.\n",
    );
    assert!(
        deliver(server, "eve@evil.example", &setup.reply_address, &forged)
            .await
            .is_ok()
    );
    // Nora, the person emailed, is told a reply in her thread is held (not Eve: that would
    // be backscatter to a forger), without Eve's words.
    let notices: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT to_address, subject, body_text FROM email_outbox WHERE subject LIKE 'A reply to %is held for review'",
    )
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (to, subject, body) = &notices[0];
    assert_eq!(to, NORA);
    assert!(subject.contains(&setup.subject), "{subject}");
    assert!(
        body.contains("eve@evil.example") && body.contains(&format!("/deals/{}", setup.deal_id))
    );
    assert!(!body.contains("transfer"), "{body}");
    let stored_before = count(server, "SELECT COUNT(*) FROM inbound_mail").await;
    let bad_key = format!("reply+{}@reply.test", "a".repeat(32));
    for to in [
        bad_key.as_str(),
        "reply+short@reply.test",
        "postmaster@reply.test",
    ] {
        let refused = deliver(server, NORA, to, &gmail.replace("gmail-1", "other-1")).await;
        assert!(
            refused.as_ref().is_err_and(|e| e.starts_with("550")),
            "{to}: {refused:?}"
        );
    }
    let huge = reply_mail(
        nora,
        &setup,
        "huge-1@x",
        "Content-Type: text/plain\n",
        &"x".repeat(76)
            .repeat(140_000)
            .chars()
            .collect::<Vec<_>>()
            .chunks(76)
            .map(|c| c.iter().collect::<String>() + "\n")
            .collect::<String>(),
    );
    let refused = deliver(server, NORA, &setup.reply_address, &huge).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.starts_with("552")),
        "{refused:?}"
    );
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM inbound_mail").await,
        stored_before
    );

    // The log: five replies accepted with the partner's words only, the rest explained.
    let log = inbound(&setup).await;
    let text_of = |id: &str| {
        let row = log
            .iter()
            .find(|m| m.subject.starts_with("Re:") && m.reply_text.contains(id));
        row.map(|m| (m.verdict.clone(), m.reply_text.clone()))
    };
    assert_eq!(
        text_of("Tuesday"),
        Some((
            "accepted".into(),
            "Sounds good, we’ll book the demo for Tuesday.".into()
        ))
    );
    assert_eq!(
        text_of("signed"),
        Some(("accepted".into(), "The customer signed today.".into()))
    );
    assert_eq!(
        text_of("extend"),
        Some((
            "accepted".into(),
            "Yes, please extend the protection.".into()
        ))
    );
    assert_eq!(
        text_of("Merci"),
        Some(("accepted".into(), "Merci, c'est noté.".into()))
    );
    assert_eq!(
        text_of("Danke"),
        Some((
            "accepted".into(),
            "Danke, wir melden uns bis Freitag.".into()
        ))
    );
    let verdict_of = |from: &str| {
        log.iter()
            .find(|m| m.from_address == from && !m.reply_text.contains("Sounds"))
            .map(|m| m.verdict.clone())
    };
    assert_eq!(log.iter().filter(|m| m.verdict == "ignored").count(), 1);
    assert_eq!(verdict_of("eve@evil.example"), Some("held".into()));
    assert_eq!(log.len(), 7);
    // "Show original" gives the message as it arrived.
    let admin = sign_in(server, ADMIN).await;
    let first = log
        .iter()
        .find(|m| m.reply_text.contains("Tuesday"))
        .unwrap();
    let (status, original) = invoke::<String>(
        &admin,
        server,
        LoadInboundOriginal::PATH,
        &[("id", &first.id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(original.unwrap().contains("we=E2=80=99ll book the demo"));
    let marco = sign_in(server, MARCO).await;
    let (status, _) = invoke::<String>(
        &marco,
        server,
        LoadInboundOriginal::PATH,
        &[("id", &first.id.to_string())],
    )
    .await;
    assert_eq!(status, 403, "only admins read raw mail");

    // The deal shows the five replies to its own organisation and to staff, nobody else.
    let partner = sign_in(server, NORA).await;
    let (status, seen) = conversation(&partner, &setup).await;
    assert_eq!(status, 200);
    let seen = seen.unwrap();
    assert_eq!(seen.messages.len(), 5);
    assert!(seen
        .messages
        .iter()
        .all(|m| m.from_partner && m.author == "Nora Quist"));
    assert_eq!(seen.answer_to, None, "partners do not answer themselves");
    let other = sign_in(server, BEN).await;
    let (status, _) = conversation(&other, &setup).await;
    assert_eq!(status, 404);
    let (status, audit) = invoke::<DealAudit>(
        &marco,
        server,
        LoadDealAudit::PATH,
        &[("deal_id", &setup.deal_id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        audit
            .unwrap()
            .events
            .iter()
            .filter(|e| e.field == "email_reply")
            .count(),
        5
    );

    // Marco answers; the email continues Nora's thread. A partner cannot post an answer,
    // and an empty one is a field error.
    let (status, seen) = conversation(&marco, &setup).await;
    assert_eq!(status, 200);
    assert_eq!(
        seen.unwrap().answer_to.as_deref(),
        Some("Nora Quist <nora@northwind.example>")
    );
    let deal = setup.deal_id.to_string();
    let (status, refused) = invoke::<i64>(
        &partner,
        server,
        AnswerPartnerReply::PATH,
        &[("deal_id", &deal), ("body", "hi")],
    )
    .await;
    assert_eq!(status, 403, "{refused:?}");
    let (status, refused) = invoke::<i64>(
        &marco,
        server,
        AnswerPartnerReply::PATH,
        &[("deal_id", &deal), ("body", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        matches!(refused, Err(app::error::AppError::Validation(ref fields)) if fields.iter().any(|f| f.field == "body"))
    );
    let (status, _) = invoke::<i64>(
        &marco,
        server,
        AnswerPartnerReply::PATH,
        &[
            ("deal_id", &deal),
            ("body", "Great — I extended it to March."),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // Nora's mail: the decision, the notice that Eve's reply is held and the answer (read
    // with Python's MIME parser; the last two in either order).
    mail_to_nora(server, &setup.sink, 3).await;
    let later: Vec<serde_json::Value> = setup
        .sink
        .messages()
        .into_iter()
        .filter(|m| m.recipients == [NORA])
        .skip(1)
        .map(|m| parse(&m.data))
        .collect();
    let subject_of =
        |mail: &serde_json::Value| mail["headers"]["Subject"].as_str().unwrap().to_string();
    assert_eq!(later.len(), 2);
    assert!(
        later
            .iter()
            .any(|m| subject_of(m).ends_with("is held for review")),
        "{later:?}"
    );
    let parsed = later
        .into_iter()
        .find(|m| subject_of(m).starts_with("Re: "))
        .expect("the answer");
    let headers = &parsed["headers"];
    assert_eq!(headers["In-Reply-To"], "<de-1@web.de>");
    assert!(
        headers["References"]
            .as_str()
            .unwrap()
            .contains(&setup.message_id),
        "{headers}"
    );
    assert!(headers["Subject"].as_str().unwrap().starts_with("Re: "));
    assert!(headers["Reply-To"].as_str().unwrap().contains("reply+"));
    assert!(parsed["parts"][0]["text"]
        .as_str()
        .unwrap()
        .contains("Great — I extended it to March."));
    let (_, seen) = conversation(&partner, &setup).await;
    let seen = seen.unwrap();
    assert_eq!(seen.messages.len(), 6);
    assert!(!seen.messages[5].from_partner);

    // HubSpot: each accepted reply is a note on Nora's contact, associated with the deal.
    common::crm::sync_until_sent(server, "reply").await;
    let notes = setup.fake.records("notes");
    assert_eq!(notes.len(), 5, "{notes:?}");
    let contact = setup
        .fake
        .record("contacts", "email", NORA)
        .expect("Nora's contact");
    let deal = setup
        .fake
        .record("deals", "prm_registration_id", &setup.deal_id.to_string())
        .expect("the deal in HubSpot");
    let associations = setup.fake.associations();
    for note in &notes {
        assert!(associations.contains(&(
            "notes".into(),
            note.id.clone(),
            "contacts".into(),
            contact.id.clone()
        )));
        assert!(associations.contains(&(
            "notes".into(),
            note.id.clone(),
            "deals".into(),
            deal.id.clone()
        )));
    }
    let body = &notes
        .iter()
        .find(|n| n.properties["hs_note_body"].contains("Tuesday"))
        .unwrap()
        .properties["hs_note_body"];
    assert!(
        body.contains("Partner reply from Nora Quist &lt;nora@northwind.example&gt;"),
        "{body}"
    );
    // Sent once: another run sends nothing.
    assert_eq!(sync(server, 5).await.requests, 0);
    assert_eq!(setup.fake.records("notes").len(), 5);

    // An admin lets the held message through (say Eve is a colleague Nora forwarded it to):
    // it joins the conversation under its writer and reaches HubSpot; only once, and only
    // by an admin.
    let held_id = log.iter().find(|m| m.verdict == "held").unwrap().id;
    let held = held_id.to_string();
    let (status, _) = invoke::<i64>(&marco, server, ReleaseHeldReply::PATH, &[("id", &held)]).await;
    assert_eq!(status, 403);
    let (status, released) =
        invoke::<i64>(&admin, server, ReleaseHeldReply::PATH, &[("id", &held)]).await;
    assert_eq!((status, released), (200, Ok(held_id)));
    let (status, _) = invoke::<i64>(&admin, server, ReleaseHeldReply::PATH, &[("id", &held)]).await;
    assert_eq!(status, 409);
    let (_, seen) = conversation(&partner, &setup).await;
    let seen = seen.unwrap();
    assert_eq!(seen.messages.len(), 7);
    assert_eq!(seen.messages[6].author, "Eve");
    let (_, audit) = invoke::<DealAudit>(
        &marco,
        server,
        LoadDealAudit::PATH,
        &[("deal_id", &setup.deal_id.to_string())],
    )
    .await;
    let audit = audit.unwrap();
    let let_through = audit
        .events
        .iter()
        .rfind(|e| e.field == "email_reply")
        .unwrap();
    assert!(let_through
        .rationale
        .starts_with("Held for review, then let through by"));
    assert!(!let_through.actor.is_empty());
    common::crm::sync_until_sent(server, "reply").await;
    let notes = setup.fake.records("notes");
    assert_eq!(notes.len(), 6);
    assert!(notes.iter().any(|n| n.properties["hs_note_body"]
        .contains("Partner reply from Eve &lt;eve@evil.example&gt;")));

    // Another forged reply in the same thread is held too, but Nora is told only once.
    let again = reply_mail(
        "Eve <eve@evil.example>",
        &setup,
        "forged-2@evil.example",
        "Content-Type: text/plain\n",
        "Really, transfer it.\n",
    );
    assert!(
        deliver(server, "eve@evil.example", &setup.reply_address, &again)
            .await
            .is_ok()
    );
    assert_eq!(
        count(
            server,
            "SELECT COUNT(*) FROM email_outbox WHERE subject LIKE 'A reply to %is held for review'"
        )
        .await,
        1
    );
    setup.server.stop().await;
}

async fn relays_deliver_raw_mime_behind_a_token(backend: Backend) {
    let setup = setup(backend).await;
    let server = &setup.server;
    let http = reqwest::Client::new();
    let post = |token: Option<&str>, body: Vec<u8>, query: &str| {
        let mut request = http
            .post(server.url(&format!("/inbound/mime{query}")))
            .header("content-type", "message/rfc822")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    // A client that dropped the reply address (sent to a catch-all) but kept the thread.
    let raw = reply_mail(
        "nora@northwind.example",
        &setup,
        "thread-1@northwind.example",
        "Content-Type: text/plain; charset=utf-8\n",
        "> Your registration was approved.\n\nBelow the quote: thanks, all clear.\n",
    )
    .replace(&setup.reply_address, "partners@reply.test");
    for token in [None, Some("wrong-token")] {
        let refused = post(token, raw.clone().into_bytes(), "").await.unwrap();
        assert_eq!(refused.status(), 401);
    }
    assert_eq!(count(server, "SELECT COUNT(*) FROM inbound_mail").await, 0);
    let taken = post(
        Some(RELAY_TOKEN),
        raw.clone().into_bytes(),
        "?recipient=partners%40reply.test",
    )
    .await
    .unwrap();
    assert_eq!(taken.status(), 200);
    let answer: serde_json::Value = taken.json().await.unwrap();
    assert_eq!(answer["verdict"], "accepted", "{answer}");
    let again = post(Some(RELAY_TOKEN), raw.into_bytes(), "").await.unwrap();
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["duplicate"],
        true
    );
    let junk = post(Some(RELAY_TOKEN), b"hello".to_vec(), "")
        .await
        .unwrap();
    assert_eq!(junk.status(), 422);
    let huge = post(Some(RELAY_TOKEN), vec![b'x'; (10 << 20) + 1], "")
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let log = inbound(&setup).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].reply_text,
        "> Your registration was approved.\n\nBelow the quote: thanks, all clear."
    );
    assert_eq!(log[0].via, "http");
    setup.server.stop().await;
}

both_backends!(
    replies_from_every_kind_of_client_land_on_the_deal,
    relays_deliver_raw_mime_behind_a_token,
);
