//! Announcements over HTTP on SQLite and PostgreSQL: targeting by partner type and job role,
//! read receipts (delivered, opened, acknowledged), the managers' list of who has not
//! acknowledged, reminders sent once however often (and wherever) the job runs, and the
//! silence warning.
mod common;

use app::api::announcements::*;
use app::domain::announcements::DAY_MS;
use app::model::{AnnouncementReport, AnnouncementView};
use common::{call, invoke, sign_in, Backend, ServerFn, TestServer};

const NORA: &str = "nora@northwind.example";
const TOMAS: &str = "tomas@northwind.example";
const BEN: &str = "ben@bluefin.example";
const MANAGER: &str = "marco@lumen.example";

async fn publish(
    client: &reqwest::Client,
    server: &TestServer,
    form: serde_json::Value,
) -> (u16, Result<i64, app::error::AppError>) {
    common::submit_form(client, server, PublishAnnouncement::PATH, form).await
}

fn policy_change() -> serde_json::Value {
    serde_json::json!({
        "title": "Rules of engagement v3",
        "body": "Registrations now need **proof of work** from the first meeting.",
        "partner_types": ["reseller"], "tiers": [], "job_roles": ["sales"],
        "requires_ack": true,
    })
}

async fn mine(client: &reqwest::Client, server: &TestServer) -> Vec<AnnouncementView> {
    let (status, list) =
        invoke::<Vec<AnnouncementView>>(client, server, LoadMyAnnouncements::PATH, &[]).await;
    assert_eq!(status, 200, "{list:?}");
    list.unwrap()
}

async fn badges(client: &reqwest::Client, server: &TestServer) -> app::model::NavBadges {
    let (status, badges) = invoke::<app::model::NavBadges>(
        client,
        server,
        app::api::navigation::LoadNavBadges::PATH,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    badges.unwrap()
}

async fn report(server: &TestServer, id: i64) -> AnnouncementReport {
    let manager = sign_in(server, MANAGER).await;
    let (_, reports) =
        invoke::<Vec<AnnouncementReport>>(&manager, server, LoadAnnouncementReports::PATH, &[])
            .await;
    reports
        .unwrap()
        .into_iter()
        .find(|r| r.announcement_id == id)
        .unwrap()
}

async fn announcements_reach_their_audience_and_receipts_are_kept(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (status, refused) = publish(
        &manager,
        &server,
        serde_json::json!({"title": "x", "body": "", "tiers": ["diamond"], "requires_ack": true}),
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    for field in ["title", "body", "tiers"] {
        assert!(refused.field_message(field).is_some(), "{field}");
    }
    let nora = sign_in(&server, NORA).await;
    assert!(
        mine(&nora, &server).await.is_empty(),
        "nothing was published"
    );

    let (status, id) = publish(&manager, &server, policy_change()).await;
    assert_eq!(status, 200);
    let id = id.unwrap();
    // Resellers' sales people get it; a technical colleague does not.
    let list = mine(&nora, &server).await;
    assert_eq!(list.len(), 1);
    assert!(list[0].body_html.contains("<strong>proof of work</strong>"));
    assert!(list[0].requires_ack && list[0].acknowledged_at.is_none());
    let tomas = sign_in(&server, TOMAS).await;
    assert!(mine(&tomas, &server).await.is_empty());
    let id_arg = id.to_string();
    let args = [("announcement_id", id_arg.as_str())];
    assert_eq!(
        call(&tomas, &server, AcknowledgeAnnouncement::PATH, &args)
            .await
            .status(),
        404,
        "not addressed to him"
    );

    // The navigation counts it for her until she acknowledges (opening it is not enough);
    // staff and visitors see none.
    assert_eq!(badges(&nora, &server).await.announcements_waiting, 1);
    assert_eq!(badges(&tomas, &server).await.announcements_waiting, 0);
    assert_eq!(badges(&server.client(), &server).await, Default::default());

    // Nora opens, then acknowledges (twice: the first time counts).
    assert_eq!(
        call(&nora, &server, OpenAnnouncement::PATH, &args)
            .await
            .status(),
        200
    );
    assert_eq!(badges(&nora, &server).await.announcements_waiting, 1);
    assert_eq!(
        call(&nora, &server, AcknowledgeAnnouncement::PATH, &args)
            .await
            .status(),
        200
    );
    assert_eq!(badges(&nora, &server).await.announcements_waiting, 0);
    let first = mine(&nora, &server).await[0].acknowledged_at.unwrap();
    server.server.state.clock.advance(60_000);
    assert_eq!(
        call(&nora, &server, AcknowledgeAnnouncement::PATH, &args)
            .await
            .status(),
        200
    );
    assert_eq!(mine(&nora, &server).await[0].acknowledged_at, Some(first));
    // An announcement that asks for no acknowledgment counts until it is opened.
    let mut news = policy_change();
    news["title"] = "New webinar series".into();
    news["requires_ack"] = false.into();
    let (_, news_id) = publish(&manager, &server, news).await;
    assert_eq!(badges(&nora, &server).await.announcements_waiting, 1);
    let news_id = news_id.unwrap().to_string();
    call(
        &nora,
        &server,
        OpenAnnouncement::PATH,
        &[("announcement_id", news_id.as_str())],
    )
    .await;
    assert_eq!(badges(&nora, &server).await.announcements_waiting, 0);

    // Managers see the receipts and who has not acknowledged.
    let seen = report(&server, id).await;
    assert!(seen.delivered >= 2, "every reseller's sales person");
    assert_eq!((seen.opened, seen.acknowledged), (1, 1));
    assert!(seen.waiting.iter().any(|p| p.name == "Ben Okafor"));
    assert!(seen.waiting.iter().all(|p| p.name != "Nora Quist"));
    assert!(!seen.silence, "too early to call it silence");
    assert_eq!(
        call(&nora, &server, LoadAnnouncementReports::PATH, &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        publish(&nora, &server, policy_change()).await.0,
        403,
        "partners cannot publish"
    );
    server.stop().await;
}

async fn reminders_go_once_to_those_who_have_not_acknowledged(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let manager = sign_in(&server, MANAGER).await;
    let (_, id) = publish(&manager, &server, policy_change()).await;
    let id = id.unwrap();
    let nora = sign_in(&server, NORA).await;
    let args = [("announcement_id", id.to_string())];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        call(&nora, &server, AcknowledgeAnnouncement::PATH, &args)
            .await
            .status(),
        200
    );
    // Not yet due.
    assert_eq!(
        server::jobs::run_announcement_reminders(state)
            .await
            .unwrap(),
        0
    );
    state.clock.advance(3 * DAY_MS);
    let (first, second) = tokio::join!(
        server::jobs::run_announcement_reminders(state),
        server::jobs::run_announcement_reminders(state)
    );
    let sent = first.unwrap() + second.unwrap();
    assert!(sent >= 1);
    assert_eq!(
        server::jobs::run_announcement_reminders(state)
            .await
            .unwrap(),
        0
    );
    let emails: Vec<(String,)> = sqlx::query_as(
        "SELECT to_address FROM email_outbox WHERE subject = 'Please acknowledge: Rules of engagement v3'",
    )
    .fetch_all(&state.db.read)
    .await
    .unwrap();
    assert_eq!(emails.len(), sent);
    assert!(emails.iter().any(|(to,)| to == BEN));
    assert!(emails.iter().all(|(to,)| to != NORA), "she acknowledged");
    let mut unique: Vec<&String> = emails.iter().map(|(to,)| to).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), emails.len(), "one reminder each");

    // Ben acknowledges from the reminder's link, with no sign-in; the link opens nothing else.
    let (linked, landed) =
        common::follow_emailed_link(&server, BEN, "Please acknowledge: Rules of engagement v3")
            .await;
    assert!(landed.ends_with("/announcements"), "{landed}");
    assert!(mine(&linked, &server)
        .await
        .iter()
        .any(|a| a.announcement_id == id));
    assert_eq!(
        call(&linked, &server, AcknowledgeAnnouncement::PATH, &args)
            .await
            .status(),
        200
    );
    common::assert_rest_needs_sign_in(&linked, &server).await;

    // A week on, with fewer than half acknowledging, the policy change has met silence.
    state.clock.advance(4 * DAY_MS);
    let seen = report(&server, id).await;
    assert!(seen.waiting.iter().all(|p| p.reminded_at.is_some()));
    assert_eq!(seen.silence, seen.acknowledged * 2 < seen.delivered);
    assert!(seen.silence, "{} of {}", seen.acknowledged, seen.delivered);
    server.stop().await;
}

both_backends!(
    announcements_reach_their_audience_and_receipts_are_kept,
    reminders_go_once_to_those_who_have_not_acknowledged,
);
