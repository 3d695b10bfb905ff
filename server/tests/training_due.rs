//! Required training, on SQLite and PostgreSQL: publishing a required path tells its audience
//! when it is due; once the program's period (30 days unless the admin sets another) has
//! passed, everyone who has not finished it is reminded once, with a link straight into it;
//! finishing in time means no reminder.
mod common;

use app::api::authoring::SetPathPublished;
use app::api::learning::LoadTrainingCompliance;
use app::api::program::{LoadProgramSettings, SaveProgramSettings};
use app::domain::channel::clocks::SettingsForm;
use app::domain::learning::REQUIRED_TRAINING_DUE_DAYS;
use app::model::ComplianceReport;
use common::{call, follow_emailed_link, invoke, path_id, sign_in, Backend, ServerFn, TestServer};

const INES: &str = "ines@northwind.example";
const ADMIN: &str = "admin@lumen.example";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn overdue_emails(server: &TestServer, title: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT to_address, COUNT(*) FROM email_outbox WHERE subject LIKE $1 \
         GROUP BY to_address ORDER BY to_address",
    )
    .bind(format!("Overdue: {title} was due%"))
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap()
}

async fn overdue_required_training_is_reminded_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let state = &server.server.state;
    let support = path_id(&server, "Support Readiness").await;

    // Republishing tells the audience the module is required, and by when; the due date
    // stays the first publication's.
    let admin = sign_in(&server, ADMIN).await;
    for published in ["false", "true"] {
        let response = call(
            &admin,
            &server,
            SetPathPublished::PATH,
            &[("path_id", &support.to_string()), ("published", published)],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let (body,): (String,) = sqlx::query_as(
        "SELECT body_text FROM email_outbox WHERE to_address = $1 AND subject = 'New module: Support Readiness'",
    )
    .bind(INES)
    .fetch_one(&state.db.read)
    .await
    .unwrap();
    assert!(
        body.contains("It is required: please finish it by"),
        "{body}"
    );

    // Nothing is due on a fresh program.
    assert_eq!(
        server::jobs::run_training_reminders(state).await.unwrap(),
        0
    );
    assert!(overdue_emails(&server, "Support Readiness")
        .await
        .is_empty());

    // One of the support audience finishes in time; after the due period the rest are
    // reminded.
    let audience: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, email FROM users WHERE role = 'partner_user' AND job_role = 'support' \
         AND disabled_at IS NULL ORDER BY id",
    )
    .fetch_all(&state.db.read)
    .await
    .unwrap();
    assert!(audience.len() >= 2, "the demo has several support people");
    let (finisher, finisher_email) = audience
        .iter()
        .find(|(_, email)| email != INES)
        .cloned()
        .unwrap();
    sqlx::query(
        "INSERT INTO path_completions (user_id, path_id, path_version, completed_at) VALUES ($1, $2, 1, $3)",
    )
    .bind(finisher)
    .bind(support)
    .bind(state.clock.now_ms())
    .execute(&state.db.write)
    .await
    .unwrap();
    // The admin gives partners two weeks instead of the default month (a bad period is
    // refused on its field).
    let (_, form) = invoke::<SettingsForm>(&admin, &server, LoadProgramSettings::PATH, &[]).await;
    let mut form = form.unwrap();
    assert_eq!(
        form.required_training_due_days,
        REQUIRED_TRAINING_DUE_DAYS.to_string()
    );
    form.required_training_due_days = "3".into();
    let (status, refused) =
        common::submit_form::<()>(&admin, &server, SaveProgramSettings::PATH, &form).await;
    assert_eq!(status, 422);
    assert!(refused
        .unwrap_err()
        .field_message("required_training_due_days")
        .is_some());
    form.required_training_due_days = "14".into();
    let (status, _) =
        common::submit_form::<()>(&admin, &server, SaveProgramSettings::PATH, &form).await;
    assert_eq!(status, 200);
    state.clock.advance(13 * DAY_MS);
    assert_eq!(
        server::jobs::run_training_reminders(state).await.unwrap(),
        0,
        "not due before the two weeks are up"
    );
    state.clock.advance(2 * DAY_MS);
    let (first, second) = tokio::join!(
        server::jobs::run_training_reminders(state),
        server::jobs::run_training_reminders(state)
    );
    assert!(first.unwrap() + second.unwrap() > 0);
    assert_eq!(
        server::jobs::run_training_reminders(state).await.unwrap(),
        0
    );

    let told = overdue_emails(&server, "Support Readiness").await;
    assert!(told.iter().all(|(_, count)| *count == 1), "{told:?}");
    assert!(told.iter().any(|(to, _)| to == INES), "{told:?}");
    assert!(
        !told.iter().any(|(to, _)| *to == finisher_email),
        "who finished is not reminded"
    );
    assert!(
        told.iter()
            .all(|(to, _)| audience.iter().any(|(_, email)| email == to)),
        "only the path's audience: {told:?}"
    );

    // The reminder's link opens the module without a sign-in.
    let (_, landed) =
        follow_emailed_link(&server, INES, "Overdue: Support Readiness was due").await;
    assert_eq!(landed, format!("/learn/{support}"));

    // Staff see the same picture: who finished, and who is overdue since when.
    let admin = sign_in(&server, ADMIN).await;
    let (status, report) =
        invoke::<ComplianceReport>(&admin, &server, LoadTrainingCompliance::PATH, &[]).await;
    assert_eq!(status, 200);
    let report = report.unwrap();
    assert_eq!(report.due_days, 14);
    let path = report
        .paths
        .iter()
        .find(|p| p.path_id == support)
        .expect("the required path is reported");
    assert_eq!(path.assigned, audience.len() as i64);
    assert_eq!(path.done, 1);
    assert_eq!(path.overdue.len(), told.len(), "{path:?}");
    assert!(path.overdue.iter().any(|p| p.name.starts_with("Ines")));
    let partner = sign_in(&server, INES).await;
    let (status, _) =
        invoke::<ComplianceReport>(&partner, &server, LoadTrainingCompliance::PATH, &[]).await;
    assert_eq!(status, 403, "partners do not see the report");
    server.stop().await;
}

both_backends!(overdue_required_training_is_reminded_once);
