//! Recertification over HTTP on SQLite and PostgreSQL, with injected time: the window opens
//! once (however often or late the job runs) and emails the holder a link; the paths start
//! over while the earlier completion and attempts are kept; completing them again renews the
//! certificate from the old end; a lapsed certificate is earned back from the new completion.
mod common;

use app::api::certifications::LoadMyCertificates;
use app::api::learning::LoadCatalog;
use app::api::training::QuizAttempt;
use app::domain::certification::{expiry_after, CertificateStatus, DAY_MS};
use app::domain::learning::StepState;
use app::model::{AttemptView, CertificateView, StepBody};
use common::learner::{player, walk_path};
use common::{follow_emailed_link, invoke, path_id, sign_in, Backend, ServerFn, TestServer};

const SUPPORT: &str = "ines@northwind.example";
const CERTIFICATION: &str = "Lumen Certified Support Associate";
const PATH: &str = "Support Readiness";

async fn mine(client: &reqwest::Client, server: &TestServer) -> Vec<CertificateView> {
    let (status, list) =
        invoke::<Vec<CertificateView>>(client, server, LoadMyCertificates::PATH, &[]).await;
    assert_eq!(status, 200, "{list:?}");
    list.unwrap()
        .into_iter()
        .filter(|c| c.certification_name == CERTIFICATION)
        .collect()
}

/// Subjects of the emails to `to` whose subject contains `text`, oldest first.
async fn subjects(server: &TestServer, to: &str, text: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT subject FROM email_outbox WHERE to_address = $1 AND subject LIKE $2 ORDER BY id",
    )
    .bind(to)
    .bind(format!("%{text}%"))
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap()
    .into_iter()
    .map(|(subject,)| subject)
    .collect()
}

async fn count(server: &TestServer, sql: &str, user_id: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(user_id)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    n
}

async fn user_id(server: &TestServer, email: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&server.server.state.db.read)
        .await
        .unwrap();
    id
}

/// The end of the certificate the learner renews by redoing the path, as the catalog says.
async fn recertify_by(client: &reqwest::Client, server: &TestServer, path: i64) -> Option<i64> {
    let (status, catalog) =
        invoke::<Vec<app::model::CatalogEntry>>(client, server, LoadCatalog::PATH, &[]).await;
    assert_eq!(status, 200);
    catalog
        .unwrap()
        .into_iter()
        .find(|entry| entry.path_id == path)
        .expect("the path is in the catalog")
        .recertify_by
}

/// Moves the test clock to `at`.
fn set_clock(server: &TestServer, at: i64) {
    let clock = &server.server.state.clock;
    clock.advance(at - clock.now_ms());
}

async fn recertifying_in_the_window_renews_the_certificate_from_its_old_end(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let ines_id = user_id(&server, SUPPORT).await;
    let path = path_id(&server, PATH).await;
    let ines = sign_in(&server, SUPPORT).await;
    walk_path(&ines, &server, path, true).await;
    let first = mine(&ines, &server).await.remove(0);
    assert_eq!(first.status, CertificateStatus::Active);
    let expires = first.expires_at;
    let (passed_attempt,): (i64,) = sqlx::query_as(
        "SELECT id FROM quiz_attempts WHERE user_id = $1 AND score_percent >= 70 ORDER BY id LIMIT 1",
    )
    .bind(ines_id)
    .fetch_one(&state.db.read)
    .await
    .unwrap();

    // 61 days before the end, the 60-day window is still shut.
    set_clock(&server, expires - 61 * DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    assert!(subjects(&server, SUPPORT, "Recertification")
        .await
        .is_empty());

    // 59 days before: two instances at once, then a third run. Opened once, one email.
    set_clock(&server, expires - 59 * DAY_MS);
    let (one, two) = tokio::join!(
        server::jobs::run_certification_clock(state),
        server::jobs::run_certification_clock(state)
    );
    one.unwrap();
    two.unwrap();
    server::jobs::run_certification_clock(state).await.unwrap();
    assert_eq!(
        subjects(&server, SUPPORT, "Recertification is open").await,
        vec![format!(
            "Recertification is open for your {CERTIFICATION} certificate"
        )]
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM recertification_openings r JOIN certificates c \
             ON c.id = r.certificate_id WHERE c.user_id = $1",
            ines_id
        )
        .await,
        1
    );

    // The path starts over; the earlier completion is kept in the history.
    let completions = "SELECT COUNT(*) FROM path_completions WHERE user_id = $1";
    let history = "SELECT COUNT(*) FROM path_completion_history WHERE user_id = $1";
    assert_eq!(count(&server, completions, ines_id).await, 0);
    assert_eq!(count(&server, history, ines_id).await, 1);
    let ines = sign_in(&server, SUPPORT).await;
    assert_eq!(
        recertify_by(&ines, &server, path).await,
        Some(expires),
        "the catalog says why the path started over"
    );
    let fresh = player(&ines, &server, path, None).await;
    assert_eq!(fresh.path.steps[0].state, StepState::Available);
    assert!(fresh.path.steps[1..]
        .iter()
        .all(|s| s.state == StepState::Locked));
    let quiz_step = fresh
        .path
        .steps
        .iter()
        .find(|s| s.kind == app::domain::steps::StepKind::Quiz)
        .unwrap()
        .step_id;
    // Unlock the quiz by reading the documents, then look at it: no attempts count yet.
    for step in &fresh.path.steps[..2] {
        let (status, _) = common::learner::step_call(
            &ines,
            &server,
            app::api::learning::CompleteDocument::PATH,
            &[("step_id", &step.step_id.to_string())],
        )
        .await;
        assert_eq!(status, 200);
    }
    let Some(StepBody::Quiz(overview)) = player(&ines, &server, path, Some(quiz_step))
        .await
        .step
        .map(|s| s.body)
    else {
        panic!("the quiz opens")
    };
    assert!(overview.attempts.is_empty() && !overview.passed);
    assert!(overview.start_blocked.is_none(), "{overview:?}");

    // The earlier passed attempt now shows its score only: its keys would give the new
    // attempt away, although this quiz reviews answers after every attempt.
    let (status, old) = invoke::<AttemptView>(
        &ines,
        &server,
        QuizAttempt::PATH,
        &[("attempt_id", &passed_attempt.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let review = old
        .unwrap()
        .review
        .expect("a submitted attempt has a review");
    assert!(review
        .questions
        .iter()
        .all(|q| q.correct_answer.is_none() && q.outcome.is_none()));

    // Still valid while the window is open, and no "overdue" for a path being redone.
    let view = mine(&ines, &server).await.remove(0);
    assert!(view.recertification_open && view.status == CertificateStatus::Active);
    server::jobs::run_training_reminders(state).await.unwrap();
    assert!(subjects(&server, SUPPORT, "Overdue").await.is_empty());

    // The emailed link lands on the path with no sign-in; recertify there.
    let (linked, landed) = follow_emailed_link(&server, SUPPORT, "Recertification is open").await;
    assert!(landed.ends_with(&format!("/learn/{path}")), "{landed}");
    walk_path(&linked, &server, path, false).await;
    let renewed_at = state.clock.now_ms();
    let ines = sign_in(&server, SUPPORT).await;
    let list = mine(&ines, &server).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let (renewal, old) = (&list[0], &list[1]);
    assert_eq!(old.certificate_id, first.certificate_id);
    assert!(old.renewed && !renewal.renewed);
    assert!(renewal.issued_at <= renewed_at && renewal.issued_at > expires - 59 * DAY_MS);
    assert_eq!(
        renewal.expires_at,
        expiry_after(expires, 12),
        "an early renewal runs on from the old end"
    );
    assert!(!renewal.recertification_open && !old.recertification_open);
    assert_eq!(recertify_by(&ines, &server, path).await, None);
    assert_eq!(count(&server, completions, ines_id).await, 1);
    assert_eq!(count(&server, history, ines_id).await, 1);

    // The replaced certificate's expiry reminders never go, and its end changes nothing.
    set_clock(&server, expires - 25 * DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    set_clock(&server, expires - 5 * DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    assert!(subjects(&server, SUPPORT, "expires").await.is_empty());
    set_clock(&server, expires + DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    let ines = sign_in(&server, SUPPORT).await;
    let list = mine(&ines, &server).await;
    assert_eq!(list[0].status, CertificateStatus::Active);
    assert_eq!(list[1].status, CertificateStatus::Expired);
    assert_eq!(
        subjects(&server, SUPPORT, "Recertification").await.len(),
        1,
        "the renewal's window is a year away"
    );
    server.stop().await;
}

async fn a_lapsed_certificate_is_earned_back_from_the_new_completion(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let path = path_id(&server, PATH).await;
    let ines = sign_in(&server, SUPPORT).await;
    walk_path(&ines, &server, path, false).await;
    let first = mine(&ines, &server).await.remove(0);

    // Nobody ran the job for months: it first runs 3 days after the end, then again.
    set_clock(&server, first.expires_at + 3 * DAY_MS);
    server::jobs::run_certification_clock(state).await.unwrap();
    server::jobs::run_certification_clock(state).await.unwrap();
    assert_eq!(
        subjects(&server, SUPPORT, CERTIFICATION).await,
        vec![format!(
            "Your {CERTIFICATION} certificate has expired: recertify"
        )],
        "one email, and no expiry reminder after the end"
    );
    let ines = sign_in(&server, SUPPORT).await;
    walk_path(&ines, &server, path, false).await;
    let earned_at = state.clock.now_ms();
    let list = mine(&ines, &server).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].status, CertificateStatus::Active);
    assert_eq!(list[1].status, CertificateStatus::Expired);
    assert!(list[0].issued_at > first.expires_at && list[0].issued_at <= earned_at);
    assert_eq!(
        list[0].expires_at,
        expiry_after(list[0].issued_at, 12),
        "after a lapse the new certificate runs from the new completion"
    );
    server.stop().await;
}

both_backends!(
    recertifying_in_the_window_renews_the_certificate_from_its_old_end,
    a_lapsed_certificate_is_earned_back_from_the_new_completion,
);
