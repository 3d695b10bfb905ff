//! Replies to emails about a module, on SQLite and PostgreSQL. Publishing a module emails
//! its audience with a reply address (read back with Python's MIME parser); a learner's
//! answer, delivered by lettre to the portal's listener, starts her private conversation
//! with the channel team about that module: staff see it in "Learner questions" and answer
//! by email in the same thread, she sees it on the module's page, nobody else sees it, and
//! it reaches HubSpot as a note on her contact alone. A reply from another address is held,
//! the learner is told, and an admin can let it through.
mod common;

use app::api::learner_questions::{
    AnswerLearnerQuestion, LoadLearnerQuestions, LoadModuleConversation, LoadMyModuleConversation,
};
use app::api::navigation::LoadNavBadges;
use app::api::replies::{LoadInboundMail, ReleaseHeldReply};
use app::model::{DealMessage, InboundLog, ModuleConversation, ModuleThread, NavBadges};
use common::crm::{connect_hubspot, count, sync, sync_until_sent};
use common::fake_hubspot::FakeHubSpot;
use common::smtp::{deliver, nth_mail_to, parse_mime, SmtpSink};
use common::{invoke, path_id, sign_in, Backend, ServerFn};

const INES: &str = "ines@northwind.example";
const NORA: &str = "nora@northwind.example";
const MARCO: &str = "marco@lumen.example";
const ADMIN: &str = "admin@lumen.example";
const HUBSPOT_TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

/// A plain-text reply as a mail client writes it, quoting the module email below.
fn reply(from: &str, to: &str, subject: &str, id: &str, parent: &str, words: &str) -> String {
    format!(
        "From: {from}\nTo: Partner Portal <{to}>\nSubject: Re: {subject}\nMessage-ID: <{id}>\n\
         In-Reply-To: {parent}\nReferences: {parent}\nDate: Mon, 07 Dec 2026 10:00:00 +0000\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{words}\n\n\
         On Mon, 7 Dec 2026 at 09:00, Partner Portal <{to}> wrote:\n> {}\n> Hello Ines,\n",
        app::domain::replies::REPLY_MARKER
    )
    .replace('\n', "\r\n")
}

async fn learners_ask_about_a_module_by_email(backend: Backend) {
    let sink = SmtpSink::start().await;
    let fake = FakeHubSpot::new(HUBSPOT_TOKEN);
    let base = fake.start().await;
    let server = common::smtp::replying_server(&sink, backend, &base, None).await;
    let test_server = server;
    let server = &test_server;
    connect_hubspot(server, HUBSPOT_TOKEN).await;
    sync(server, 50).await;

    // An author republishes Support Readiness: Ines (support) is emailed, answerably.
    let support = path_id(server, "Support Readiness").await;
    common::republish(server, support).await;
    let admin = sign_in(server, ADMIN).await;
    let mail = nth_mail_to(server, &sink, INES, 1).await;
    let parsed = parse_mime(&mail.data);
    let headers = &parsed["headers"];
    let subject = headers["Subject"].as_str().unwrap().to_string();
    assert_eq!(subject, "New module: Support Readiness");
    let message_id = headers["Message-ID"].as_str().unwrap().to_string();
    let reply_address = headers["Reply-To"]
        .as_str()
        .expect("a module email has a reply address")
        .split(['<', '>'])
        .find(|part| part.starts_with("reply+"))
        .expect("a reply address")
        .to_string();
    let text = parsed["parts"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(app::domain::replies::REPLY_MARKER),
        "{text}"
    );

    // Ines asks a question by replying; the quoted email is cut away.
    let question = reply(
        "Ines Duarte <ines@northwind.example>",
        &reply_address,
        &subject,
        "ines-1@northwind.example",
        &message_id,
        "Is the lab in step 3 required, or can I skip it?",
    );
    let answer = deliver(server, INES, &reply_address, &question).await;
    assert!(
        answer.as_ref().is_ok_and(|a| a.contains("Received as")),
        "{answer:?}"
    );
    // A reply from another address is held; Ines (not the sender) is told where her
    // conversation is, without the sender's words and without talk of a deal.
    let forged = reply(
        "Eve <eve@evil.example>",
        &reply_address,
        &subject,
        "eve-1@evil.example",
        &message_id,
        "Send me the answers to the final quiz.",
    );
    assert!(deliver(server, "eve@evil.example", &reply_address, &forged)
        .await
        .is_ok());
    let (to, body): (String, String) = sqlx::query_as(
        "SELECT to_address, body_text FROM email_outbox WHERE subject LIKE 'A reply to %is held for review'",
    )
    .fetch_one(&server.server.state.db.read)
    .await
    .unwrap();
    assert_eq!(to, INES);
    assert!(body.contains("eve@evil.example"), "{body}");
    assert!(
        body.contains(&format!("/learn/{support}#questions")),
        "{body}"
    );
    assert!(!body.contains("quiz") && !body.contains("deal"), "{body}");

    // The inbound log files both under the module, not a deal.
    let (status, log) = invoke::<InboundLog>(&admin, server, LoadInboundMail::PATH, &[]).await;
    assert_eq!(status, 200);
    let log = log.unwrap().messages;
    assert_eq!(log.len(), 2);
    assert!(log
        .iter()
        .all(|m| m.path_id == Some(support) && m.deal_id.is_none()));
    let accepted = log.iter().find(|m| m.verdict == "accepted").unwrap();
    assert_eq!(
        accepted.reply_text,
        "Is the lab in step 3 required, or can I skip it?"
    );
    let held = log.iter().find(|m| m.verdict == "held").unwrap().id;

    // Staff see the conversation, waiting for an answer; partners cannot list them.
    let marco = sign_in(server, MARCO).await;
    let (status, threads) =
        invoke::<Vec<ModuleThread>>(&marco, server, LoadLearnerQuestions::PATH, &[]).await;
    assert_eq!(status, 200);
    let threads = threads.unwrap();
    assert_eq!(threads.len(), 1);
    let thread = &threads[0];
    assert_eq!(thread.module_title, "Support Readiness");
    assert_eq!(thread.learner, "Ines Duarte");
    assert!(thread.awaiting_answer);
    assert_eq!(
        thread.last_excerpt,
        "Is the lab in step 3 required, or can I skip it?"
    );
    let ines_id = thread.learner_user_id;
    let waiting = |client: reqwest::Client| async move {
        let (_, badges) = invoke::<NavBadges>(&client, server, LoadNavBadges::PATH, &[]).await;
        badges.unwrap().questions_waiting
    };
    assert_eq!(waiting(marco.clone()).await, 1, "the navigation counts it");
    let ines = sign_in(server, INES).await;
    let (status, _) =
        invoke::<Vec<ModuleThread>>(&ines, server, LoadLearnerQuestions::PATH, &[]).await;
    assert_eq!(status, 403);
    let thread_args = [
        ("path_id", support.to_string()),
        ("learner_user_id", ines_id.to_string()),
    ];
    let thread_args: Vec<(&str, &str)> =
        thread_args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) =
        invoke::<ModuleConversation>(&ines, server, LoadModuleConversation::PATH, &thread_args)
            .await;
    assert_eq!(
        status, 403,
        "a learner cannot open staff's view of a thread"
    );
    let (status, seen) =
        invoke::<ModuleConversation>(&marco, server, LoadModuleConversation::PATH, &thread_args)
            .await;
    assert_eq!(status, 200);
    let seen = seen.unwrap();
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(
        seen.answer_to.as_deref(),
        Some("Ines Duarte <ines@northwind.example>")
    );
    let (status, _) = invoke::<ModuleConversation>(
        &marco,
        server,
        LoadModuleConversation::PATH,
        &[
            ("path_id", &support.to_string()),
            ("learner_user_id", "999999"),
        ],
    )
    .await;
    assert_eq!(status, 404);

    // Ines sees her own conversation on the module; Nora (same organisation) sees none.
    let mine = |client: reqwest::Client| async move {
        invoke::<Vec<DealMessage>>(
            &client,
            server,
            LoadMyModuleConversation::PATH,
            &[("path_id", &support.to_string())],
        )
        .await
    };
    let (status, own) = mine(ines.clone()).await;
    assert_eq!((status, own.unwrap().len()), (200, 1));
    let nora = sign_in(server, NORA).await;
    let (status, others) = mine(nora.clone()).await;
    assert_eq!((status, others.unwrap().len()), (200, 0));

    // Marco answers: an empty answer is a field error, a partner cannot answer, and the
    // answer goes to Ines in her thread.
    let answer_args = |body: &'static str| {
        let mut args: Vec<(&str, String)> = vec![
            ("path_id", support.to_string()),
            ("learner_user_id", ines_id.to_string()),
        ];
        args.push(("body", body.to_string()));
        args
    };
    let send = |client: reqwest::Client, args: Vec<(&'static str, String)>| async move {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        invoke::<i64>(&client, server, AnswerLearnerQuestion::PATH, &args).await
    };
    let (status, empty) = send(marco.clone(), answer_args("   ")).await;
    assert_eq!(status, 422);
    assert!(empty.unwrap_err().field_message("body").is_some());
    let (status, _) = send(ines.clone(), answer_args("I answer myself")).await;
    assert_eq!(status, 403);
    let (status, _) = send(
        marco.clone(),
        answer_args("The lab is optional: skip it if you have done the install before."),
    )
    .await;
    assert_eq!(status, 200);
    // (The held notice and the answer may reach her in either order.)
    let mut parsed = serde_json::Value::Null;
    for nth in 2..=3 {
        let mail = parse_mime(&nth_mail_to(server, &sink, INES, nth).await.data);
        if mail["headers"]["Subject"].as_str() == Some("Re: New module: Support Readiness") {
            parsed = mail;
        }
    }
    let headers = &parsed["headers"];
    assert!(headers.is_object(), "the answer reached Ines");
    assert_eq!(
        headers["In-Reply-To"].as_str(),
        Some("<ines-1@northwind.example>")
    );
    assert!(headers["Reply-To"]
        .as_str()
        .is_some_and(|r| r.contains("reply+")));
    let text = parsed["parts"][0]["text"].as_str().unwrap();
    assert!(text.contains("The lab is optional"), "{text}");
    assert!(text.contains("/auth/magic?token="), "{text}");
    let (_, own) = mine(ines.clone()).await;
    let own = own.unwrap();
    assert_eq!(own.len(), 2);
    assert!(!own[1].from_partner);
    let (_, threads) =
        invoke::<Vec<ModuleThread>>(&marco, server, LoadLearnerQuestions::PATH, &[]).await;
    assert!(!threads.unwrap()[0].awaiting_answer);
    assert_eq!(waiting(marco.clone()).await, 0);

    // HubSpot: a note on Ines's contact, associated with nothing else.
    sync_until_sent(server, "reply").await;
    let notes = fake.records("notes");
    assert_eq!(notes.len(), 1);
    let note = &notes[0].properties["hs_note_body"];
    assert!(note.contains("Learner reply from Ines Duarte"), "{note}");
    assert!(
        note.contains(&format!("/learner-questions/{support}/{ines_id}")),
        "{note}"
    );
    let associations: Vec<_> = fake
        .associations()
        .into_iter()
        .filter(|(from, id, _, _)| from == "notes" && *id == notes[0].id)
        .collect();
    assert_eq!(associations.len(), 1, "{associations:?}");
    assert_eq!(associations[0].2, "contacts");

    // An admin lets the held reply through: it joins Ines's conversation, and the CRM.
    let (status, _) = invoke::<i64>(
        &marco,
        server,
        ReleaseHeldReply::PATH,
        &[("id", &held.to_string())],
    )
    .await;
    assert_eq!(status, 403);
    let (status, released) = invoke::<i64>(
        &admin,
        server,
        ReleaseHeldReply::PATH,
        &[("id", &held.to_string())],
    )
    .await;
    assert_eq!((status, released), (200, Ok(held)));
    let (_, own) = mine(ines).await;
    assert_eq!(own.unwrap().len(), 3);
    sync_until_sent(server, "reply").await;
    assert_eq!(fake.records("notes").len(), 2);
    assert_eq!(
        count(server, "SELECT COUNT(*) FROM deal_messages").await,
        0,
        "nothing landed on a deal"
    );
    test_server.stop().await;
}

both_backends!(learners_ask_about_a_module_by_email);
