//! Several app instances on one PostgreSQL database: two more server processes (the real
//! binary) start at the same moment next to the test's own server, and each runs the reminder
//! jobs at once. Every reminder is still emailed exactly once.
mod common;

use common::{Backend, TestServer};
use std::process::Child;
use std::time::Duration;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A server process of the real binary on `database_url` (no browser visits it).
fn spawn_instance(database_url: &str, name: &str) -> Child {
    let root = std::env::temp_dir()
        .join("partner-portal-tests")
        .join(format!("instance-{}-{name}", std::process::id()));
    common::real_binary(database_url, "127.0.0.1:0", &root)
        .spawn()
        .expect("the server binary starts")
}

async fn count(server: &TestServer, subject_prefix: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM email_outbox WHERE subject LIKE $1")
        .bind(format!("{subject_prefix}%"))
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_more_processes_on_one_postgres_send_each_reminder_once() {
    let server = TestServer::start(Backend::Postgres).await;
    let db = &server.server.state.db;
    let now = server.server.state.clock.now_ms();

    // Make these reminders due now: a certificate ending in 6 days, a protection
    // ending in 5, and a registration past its approval SLA.
    let (certificate, certification): (i64, String) = sqlx::query_as(
        "SELECT c.id, k.name FROM certificates c JOIN certifications k ON k.id = c.certification_id \
         JOIN users u ON u.id = c.user_id WHERE u.email = 'nora@northwind.example' \
         AND c.revoked_at IS NULL ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE certificates SET expires_at = $1, expiry_30_reminded_at = NULL, expiry_7_reminded_at = NULL WHERE id = $2",
    )
    .bind(now + 6 * DAY_MS)
    .bind(certificate)
    .execute(&db.write)
    .await
    .unwrap();
    // And a recertification window that has just opened (60 days): Ben's certificate ends
    // in 50 days.
    let (renewable, renewable_name): (i64, String) = sqlx::query_as(
        "SELECT c.id, k.name FROM certificates c JOIN certifications k ON k.id = c.certification_id \
         JOIN users u ON u.id = c.user_id WHERE u.email = 'ben@bluefin.example' \
         AND c.revoked_at IS NULL ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query("UPDATE certificates SET expires_at = $1 WHERE id = $2")
        .bind(now + 50 * DAY_MS)
        .bind(renewable)
        .execute(&db.write)
        .await
        .unwrap();
    let (protected, protected_account): (i64, String) = sqlx::query_as(
        "SELECT d.id, a.name FROM deals d JOIN accounts a ON a.id = d.account_id \
         WHERE d.registration_status = 'approved' AND d.partner_org_id IS NOT NULL \
         AND d.owner_user_id IS NOT NULL ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query("UPDATE deals SET protected_until = $1, expiry_reminded_at = NULL WHERE id = $2")
        .bind(now + 5 * DAY_MS)
        .bind(protected)
        .execute(&db.write)
        .await
        .unwrap();
    let (waiting, waiting_account): (i64, String) = sqlx::query_as(
        "SELECT d.id, a.name FROM deals d JOIN accounts a ON a.id = d.account_id \
         WHERE d.registration_status = 'pending' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();
    sqlx::query("UPDATE deals SET submitted_at = $1, sla_escalated_at = NULL WHERE id = $2")
        .bind(now - 10 * DAY_MS)
        .bind(waiting)
        .execute(&db.write)
        .await
        .unwrap();
    let (managers,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE role IN ('vendor_admin', 'partner_manager') AND disabled_at IS NULL",
    )
    .fetch_one(&db.read)
    .await
    .unwrap();

    // Two more instances start together; each runs the jobs as it comes up, next to the
    // test's own server (whose jobs run every minute).
    let mut instances = [
        spawn_instance(&server.database.url, "b"),
        spawn_instance(&server.database.url, "c"),
    ];
    let certificate_subject = format!("Your {certification} certificate expires");
    let protection_subject = format!("Protection of {protected_account} ends");
    let breach_subject = format!("Approval SLA breached: {waiting_account}");
    let window_subject = format!("Recertification is open for your {renewable_name}");
    let mut done = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if count(&server, &certificate_subject).await > 0
            && count(&server, &window_subject).await > 0
            && count(&server, &protection_subject).await > 0
            && count(&server, &breach_subject).await >= managers
        {
            done = true;
            break;
        }
    }
    // Let any slower run finish, so a duplicate would have had its chance.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for instance in &mut instances {
        let exited = instance.try_wait().expect("process status");
        assert!(exited.is_none(), "an instance exited early: {exited:?}");
        instance.kill().expect("stop the instance");
        instance.wait().expect("reap the instance");
    }
    assert!(done, "the instances sent the reminders");
    assert_eq!(count(&server, &certificate_subject).await, 1);
    assert_eq!(count(&server, &window_subject).await, 1);
    // Nora's certificate was both 6 days from its end and inside its window: her one
    // reminder said both, and the window opened once without a second email.
    let (nora_emails,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM email_outbox WHERE to_address = 'nora@northwind.example' AND subject LIKE $1",
    )
    .bind(format!("%{certification}%"))
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(nora_emails, 1);
    let (openings,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM recertification_openings WHERE certificate_id IN ($1, $2)",
    )
    .bind(certificate)
    .bind(renewable)
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(openings, 2);
    assert_eq!(count(&server, &protection_subject).await, 1);
    assert_eq!(count(&server, &breach_subject).await, managers);
    let (breach_events,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deal_events WHERE deal_id = $1 AND field = 'approval_sla'",
    )
    .bind(waiting)
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(breach_events, 1, "one escalation in the audit trail");
    server.stop().await;
}
