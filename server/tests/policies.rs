//! Policy documents over HTTP on SQLite and PostgreSQL: everyone signed in reads every
//! version with its history and what changed; only vendor staff publish; bad or stale edits
//! are refused field by field and change nothing; two editors cannot publish the same
//! version; an announced change reaches partners to acknowledge, in the same transaction.
mod common;

use app::api::announcements::LoadMyAnnouncements;
use app::api::documents::*;
use app::domain::documents::{DiffRow, DocumentKind, LineChange};
use app::error::AppError;
use app::model::{AnnouncementView, PolicyPage, PolicySummary};
use common::{invoke, sign_in, Backend, ServerFn, TestServer};

const PARTNER: &str = "nora@northwind.example";
const MANAGER: &str = "marco@lumen.example";
const RULES: &str = "rules-of-engagement";

async fn page(
    client: &reqwest::Client,
    server: &TestServer,
    kind: &str,
    version: Option<i64>,
) -> (u16, Result<PolicyPage, AppError>) {
    let version = version.map(|v| v.to_string());
    let mut args = vec![("kind", kind)];
    if let Some(version) = &version {
        args.push(("version", version.as_str()));
    }
    invoke::<PolicyPage>(client, server, LoadPolicy::PATH, &args).await
}

async fn publish(
    client: &reqwest::Client,
    server: &TestServer,
    form: serde_json::Value,
) -> (u16, Result<i64, AppError>) {
    common::submit_form(client, server, PublishPolicyVersion::PATH, form).await
}

async fn version_count(server: &TestServer) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM policy_document_versions")
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

fn changed_lines(rows: &[DiffRow], wanted: LineChange) -> Vec<String> {
    rows.iter()
        .filter_map(|row| match row {
            DiffRow::Line { change, text } if *change == wanted => Some(text.clone()),
            _ => None,
        })
        .collect()
}

async fn partners_read_every_version_with_what_changed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let partner = sign_in(&server, PARTNER).await;
    let (status, list) =
        invoke::<Vec<PolicySummary>>(&partner, &server, LoadPolicies::PATH, &[]).await;
    assert_eq!(status, 200);
    let list = list.unwrap();
    assert_eq!(
        list.iter().map(|p| p.kind).collect::<Vec<_>>(),
        DocumentKind::ALL.to_vec()
    );
    let rules = list
        .iter()
        .find(|p| p.kind == DocumentKind::RulesOfEngagement)
        .unwrap();
    assert_eq!(rules.current_version, Some(2));
    assert!(rules.change_summary.contains("Appeals now have 10 days"));

    // The current version, rendered, with the changes from version 1.
    let (status, current) = page(&partner, &server, RULES, None).await;
    assert_eq!(status, 200);
    let current = current.unwrap();
    assert_eq!(current.shown.as_ref().unwrap().version, 2);
    assert_eq!(current.history.len(), 2);
    assert!(
        current.shown_html.contains("<h3>Renewals</h3>"),
        "{}",
        current.shown_html
    );
    let added = changed_lines(&current.changes, LineChange::Added);
    let removed = changed_lines(&current.changes, LineChange::Removed);
    assert!(
        added.iter().any(|l| l.contains("within 10 days")),
        "{added:?}"
    );
    assert!(
        removed.iter().any(|l| l.contains("within 7 days")),
        "{removed:?}"
    );
    assert!(added.contains(&"## Renewals".to_string()));
    assert!(current
        .changes
        .iter()
        .any(|row| matches!(row, DiffRow::Skipped { .. })));
    assert_eq!(current.editable_markdown, None, "partners do not edit");

    // An older version stays readable; it has nothing before it to compare with.
    let (_, first) = page(&partner, &server, RULES, Some(1)).await;
    let first = first.unwrap();
    assert!(first.shown_html.contains("within 7 days"));
    assert!(first.changes.is_empty());
    assert_eq!(first.current_version, 2);

    // Unknown documents and versions are "not found".
    assert_eq!(page(&partner, &server, "memo", None).await.0, 404);
    assert_eq!(page(&partner, &server, RULES, Some(9)).await.0, 404);
    // A partner cannot publish.
    let (status, _) = publish(
        &partner,
        &server,
        serde_json::json!({"kind": RULES, "based_on_version": 2, "body": "Mine now",
            "change_summary": "Partners own everything."}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(version_count(&server).await, 4);
    server.stop().await;
}

async fn staff_publish_versions_and_announce_them(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let (_, current) = page(&manager, &server, RULES, None).await;
    let text = current.unwrap().editable_markdown.expect("staff edit");
    let body = text.replace("within 10 days", "within 14 days");

    // Mistakes are named by field and change nothing.
    let (status, bad) = publish(
        &manager,
        &server,
        serde_json::json!({"kind": RULES, "based_on_version": 2, "body": " ",
            "change_summary": "short"}),
    )
    .await;
    assert_eq!(status, 422);
    let bad = bad.unwrap_err();
    assert!(bad.field_message("body").is_some() && bad.field_message("change_summary").is_some());
    let (status, same) = publish(
        &manager,
        &server,
        serde_json::json!({"kind": RULES, "based_on_version": 2, "body": text,
            "change_summary": "No change at all, really."}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(same
        .unwrap_err()
        .field_message("body")
        .unwrap()
        .contains("version 2"));
    // Someone editing from version 1 is told version 2 exists.
    let (status, stale) = publish(
        &manager,
        &server,
        serde_json::json!({"kind": RULES, "based_on_version": 1, "body": body,
            "change_summary": "Appeals get two weeks."}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(stale
        .unwrap_err()
        .field_message("body")
        .unwrap()
        .contains("Version 2 was published"));
    assert_eq!(version_count(&server).await, 4);

    // Two editors publish version 3 at the same moment: one wins, the other is told.
    let other = sign_in(&server, "hannah@lumen.example").await;
    let form = |summary: &str, announce: bool| {
        serde_json::json!({"kind": RULES, "based_on_version": 2, "body": body,
            "change_summary": summary, "announce": announce})
    };
    let (first, second) = tokio::join!(
        publish(&manager, &server, form("Appeals get two weeks.", true)),
        publish(&other, &server, form("Appeals get fourteen days.", true))
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert!(
        statuses == [200, 409] || statuses == [200, 422],
        "one publishes, the other is refused: {first:?} {second:?}"
    );
    assert_eq!(version_count(&server).await, 5);
    let winner = if first.0 == 200 { first.1 } else { second.1 };
    assert_eq!(winner.unwrap(), 3);

    // The announced change reached partners, once, asking for acknowledgment.
    let partner = sign_in(&server, PARTNER).await;
    let (_, announcements) =
        invoke::<Vec<AnnouncementView>>(&partner, &server, LoadMyAnnouncements::PATH, &[]).await;
    let updates: Vec<_> = announcements
        .unwrap()
        .into_iter()
        .filter(|a| a.title.starts_with("Updated: Rules of engagement"))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].title, "Updated: Rules of engagement (version 3)");
    assert!(updates[0].requires_ack);
    assert!(updates[0]
        .body_html
        .contains("href=\"/policies/rules-of-engagement?version=3\""));
    let (_, now) = page(&partner, &server, RULES, None).await;
    let now = now.unwrap();
    assert_eq!(now.current_version, 3);
    assert!(now.history[0].announced);
    let added = changed_lines(&now.changes, LineChange::Added);
    let removed = changed_lines(&now.changes, LineChange::Removed);
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].contains("within 14 days"));
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(removed[0].contains("within 10 days"));
    server.stop().await;
}

both_backends!(
    partners_read_every_version_with_what_changed,
    staff_publish_versions_and_announce_them,
);
