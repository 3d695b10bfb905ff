//! Deal notifications over HTTP on SQLite and PostgreSQL: a contested registration tells the
//! managers (and Slack); decisions and appeal outcomes reach the deal's owner with a link that
//! opens that deal, and only that deal, without a sign-in; each is sent once.
mod common;

use app::api::auth::CurrentUser;
use app::api::channel::{
    DecideRegistration, FileAppeal, LoadDealAudit, LoadOwnDeal, ResolveAppeal, UpdateDeal,
};
use app::api::notifications::SaveSlackWebhook;
use app::domain::channel::deals::RegistrationStatus;
use app::domain::identity::Role;
use app::domain::notifications::{choices_for, Event};
use app::model::{DealAudit, OwnDealPage, SessionUser};
use common::deals::{edit_form, edit_post, form, register};
use common::{
    call, follow_emailed_link, invoke, reply, save_email_choices, sign_in, Backend, ServerFn,
    TestServer,
};

const NORA: &str = "nora@northwind.example";
const BEN: &str = "ben@bluefin.example";
const MARCO: &str = "marco@lumen.example";
const HANNAH: &str = "hannah@lumen.example";
const ADMIN: &str = "admin@lumen.example";

async fn recipients(server: &TestServer, subject: &str) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT to_address FROM email_outbox WHERE subject LIKE $1 ORDER BY to_address",
    )
    .bind(format!("{subject}%"))
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    rows.into_iter().map(|(to,)| to).collect()
}

async fn slack_events(server: &TestServer) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT event FROM slack_outbox ORDER BY id")
        .fetch_all(&server.server.state.db.read)
        .await
        .unwrap();
    rows.into_iter().map(|(event,)| event).collect()
}

async fn decide(
    manager: &reqwest::Client,
    server: &TestServer,
    deal_id: i64,
    decision: &str,
    rationale: &str,
) -> u16 {
    call(
        manager,
        server,
        DecideRegistration::PATH,
        &[
            ("deal_id", &deal_id.to_string()),
            ("decision", decision),
            ("rationale", rationale),
        ],
    )
    .await
    .status()
    .as_u16()
}

async fn own_deal(client: &reqwest::Client, server: &TestServer, deal_id: i64) -> OwnDealPage {
    let (status, page) = invoke::<Option<OwnDealPage>>(
        client,
        server,
        LoadOwnDeal::PATH,
        &[("deal_id", &deal_id.to_string())],
    )
    .await;
    assert_eq!(status, 200, "{page:?}");
    page.unwrap().expect("a partner sees their own deal")
}

async fn registrations_decisions_and_appeals_reach_the_right_people_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    // Slack is configured (at an address nothing listens on: delivery is tested elsewhere;
    // here, what is queued for it).
    let admin = sign_in(&server, ADMIN).await;
    let (status, _) = invoke::<()>(
        &admin,
        &server,
        SaveSlackWebhook::PATH,
        &[("url", "http://127.0.0.1:9/services/T0/B0/x")],
    )
    .await;
    assert_eq!(status, 200);
    // Hannah turns new-registration emails off.
    let hannah = sign_in(&server, HANNAH).await;
    let enabled: Vec<Event> = choices_for(Role::PartnerManager)
        .into_iter()
        .filter(|event| *event != Event::RegistrationSubmitted)
        .collect();
    save_email_choices(&hannah, &server, &enabled).await;

    // Northwind's registration is approved on its own: nobody needs to review it.
    let nora = sign_in(&server, NORA).await;
    let (_, first) = register(
        &nora,
        &server,
        form("Helios Parcel Ltd", "heliosparcel.co.uk", "50000", ""),
    )
    .await;
    let first = first.unwrap();
    assert_eq!(first.status, RegistrationStatus::Approved);
    assert!(recipients(&server, "Registration to review")
        .await
        .is_empty());
    // Put it back to pending, as if it awaited review, so Bluefin's is contested.
    sqlx::query(
        "UPDATE deals SET registration_status = 'pending', protected_until = NULL, decided_at = NULL WHERE id = $1",
    )
    .bind(first.deal_id)
    .execute(&db.write)
    .await
    .unwrap();
    let ben = sign_in(&server, BEN).await;
    let (_, second) = register(
        &ben,
        &server,
        form(
            "Helios Parcel",
            "heliosparcel.co.uk",
            "70000",
            "Our price: 61k",
        ),
    )
    .await;
    let second = second.unwrap();
    assert_eq!(second.status, RegistrationStatus::Pending);
    let told = recipients(&server, "Registration to review: Helios Parcel Ltd (").await;
    assert!(told.contains(&MARCO.to_string()), "{told:?}");
    assert!(told.contains(&ADMIN.to_string()), "{told:?}");
    assert!(
        !told.contains(&HANNAH.to_string()),
        "Hannah turned these off"
    );
    assert!(told.iter().all(|to| to.ends_with("@lumen.example")));
    assert_eq!(slack_events(&server).await, vec!["registration_submitted"]);

    // The manager asks Bluefin for more; Ben gets the question and a link into the deal.
    let marco = sign_in(&server, MARCO).await;
    let (status, staff_view) = invoke::<Option<OwnDealPage>>(
        &marco,
        &server,
        LoadOwnDeal::PATH,
        &[("deal_id", &second.deal_id.to_string())],
    )
    .await;
    assert_eq!(
        (status, staff_view.unwrap()),
        (200, None),
        "staff see the history, not a partner's card"
    );
    let question = "Who at Helios asked you for the quote, and when?";
    assert_eq!(
        decide(&marco, &server, second.deal_id, "request_info", question).await,
        200
    );
    assert_eq!(
        recipients(&server, "More information needed: Helios Parcel Ltd").await,
        vec![BEN.to_string()]
    );
    let (browser, landed) =
        follow_emailed_link(&server, BEN, "More information needed: Helios Parcel Ltd").await;
    let place = format!("/deals/{}", second.deal_id);
    assert_eq!(landed, place);
    let (_, me) = invoke::<Option<SessionUser>>(&browser, &server, CurrentUser::PATH, &[]).await;
    assert_eq!(me.unwrap().unwrap().scope.as_deref(), Some(place.as_str()));

    // The link's session opens this deal, answers the question, and reaches nothing else.
    let page = own_deal(&browser, &server, second.deal_id).await;
    assert_eq!(page.deal.status, RegistrationStatus::InfoRequested);
    assert_eq!(page.deal.notes, "Our price: 61k");
    let (status, saved) = reply::<()>(
        browser
            .post(server.url(UpdateDeal::PATH))
            .form(&edit_post(&edit_form(
                &page.deal,
                &[(
                    "proof_of_work",
                    "Call with Helios's COO on 2 November; quote requested.",
                )],
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{saved:?}");
    let (status, audit) = invoke::<DealAudit>(
        &browser,
        &server,
        LoadDealAudit::PATH,
        &[("deal_id", &second.deal_id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let audit = audit.unwrap();
    assert!(audit
        .events
        .iter()
        .any(|e| e.field == "registration_status" && e.rationale == question));
    // The answer puts the registration back in the queue and tells the managers, once.
    assert!(audit.events.iter().any(|e| e.field == "registration_status"
        && e.from == "info_requested"
        && e.to == "pending"));
    let answered = own_deal(&browser, &server, second.deal_id).await;
    assert_eq!(answered.deal.status, RegistrationStatus::Pending);
    let answer_subject = "Answer to review: Helios Parcel Ltd (Bluefin Systems)";
    let told_of_answer = recipients(&server, answer_subject).await;
    assert!(
        told_of_answer.contains(&MARCO.to_string()),
        "{told_of_answer:?}"
    );
    assert!(
        !told_of_answer.contains(&HANNAH.to_string()),
        "Hannah turned these off"
    );
    let (status, _) = reply::<()>(
        browser
            .post(server.url(UpdateDeal::PATH))
            .form(&edit_post(&edit_form(
                &answered.deal,
                &[("next_step", "Demo on Friday.")],
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        recipients(&server, answer_subject).await,
        told_of_answer,
        "a later edit is not another answer"
    );
    for (path, deal) in [
        (LoadOwnDeal::PATH, first.deal_id),
        (LoadDealAudit::PATH, first.deal_id),
    ] {
        let response = call(&browser, &server, path, &[("deal_id", &deal.to_string())]).await;
        assert_eq!(response.status(), 401, "{path} of another deal");
    }
    common::assert_rest_needs_sign_in(&browser, &server).await;

    // Northwind's is approved and Bluefin's declined; each owner hears once, even when the
    // manager clicks twice.
    assert_eq!(
        decide(
            &marco,
            &server,
            first.deal_id,
            "approve",
            "Registered first, with proof of work."
        )
        .await,
        200
    );
    let (a, b) = tokio::join!(
        decide(
            &marco,
            &server,
            second.deal_id,
            "decline",
            "Northwind registered this customer first."
        ),
        decide(
            &marco,
            &server,
            second.deal_id,
            "decline",
            "Northwind registered this customer first."
        )
    );
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(
        recipients(&server, "Approved: Helios Parcel Ltd is protected until").await,
        vec![NORA.to_string()]
    );
    assert_eq!(
        recipients(&server, "Declined: your registration of Helios Parcel Ltd").await,
        vec![BEN.to_string()]
    );

    // Ben appeals from the decline email's link, without signing in; the managers hear.
    let (appealing, _) = follow_emailed_link(
        &server,
        BEN,
        "Declined: your registration of Helios Parcel Ltd",
    )
    .await;
    assert!(
        own_deal(&appealing, &server, second.deal_id)
            .await
            .deal
            .can_appeal
    );
    let (status, appeal_id) = invoke::<i64>(
        &appealing,
        &server,
        FileAppeal::PATH,
        &[
            ("deal_id", &second.deal_id.to_string()),
            (
                "evidence",
                "Helios's COO asked us for this quote on 2 November; the email is attached.",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{appeal_id:?}");
    let told = recipients(&server, "Appeal filed: Helios Parcel Ltd (").await;
    assert!(told.contains(&MARCO.to_string()) && told.contains(&HANNAH.to_string()));
    assert_eq!(
        slack_events(&server).await,
        vec![
            "registration_submitted",
            "registration_submitted",
            "appeal_filed"
        ],
        "the answer is back in review and goes to the channel; decisions about one partner's \
         deal stay out of it"
    );

    // Upheld: Ben hears the outcome, and Nora that her protection moved to Bluefin.
    let response = call(
        &marco,
        &server,
        ResolveAppeal::PATH,
        &[
            ("appeal_id", &appeal_id.unwrap().to_string()),
            ("uphold", "true"),
            (
                "rationale",
                "The COO's email predates Northwind's registration.",
            ),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        recipients(&server, "Appeal upheld: Helios Parcel Ltd is yours").await,
        vec![BEN.to_string()]
    );
    assert_eq!(
        recipients(
            &server,
            "Protection of Helios Parcel Ltd transferred on appeal"
        )
        .await,
        vec![NORA.to_string()]
    );
    let (nora_browser, landed) = follow_emailed_link(
        &server,
        NORA,
        "Protection of Helios Parcel Ltd transferred on appeal",
    )
    .await;
    assert_eq!(landed, format!("/deals/{}", first.deal_id));
    assert_eq!(
        own_deal(&nora_browser, &server, first.deal_id)
            .await
            .deal
            .status,
        RegistrationStatus::Declined
    );
    server.stop().await;
}

both_backends!(registrations_decisions_and_appeals_reach_the_right_people_once);
