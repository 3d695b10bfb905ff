//! Learning paths over HTTP: catalog targeting, sequential unlocking, video resume,
//! documents, live-session seats, surveys, completion records, what reaches the browser,
//! authoring, import/export and item statistics. Runs on SQLite and PostgreSQL.
mod common;

use app::api::authoring::*;
use app::api::learning::*;
use app::api::training::*;
use app::domain::learning::StepState;
use app::domain::quiz::grading::AnswerKey;
use app::domain::steps::StepKind;
use app::error::AppError;
use app::model::{AttemptView, CatalogEntry, PlayerData, QuizStatistics, StepBody};
use common::learner::{player, step_call, step_of, take_attempt};
use common::{call, invoke, path_id, reply, sign_in, start_quiz, Backend, ServerFn, TestServer};

const SALES: &str = "nora@northwind.example";
const OTHER_SALES: &str = "ben@bluefin.example";
const SUPPORT: &str = "ines@northwind.example";
const TECHNICAL: &str = "tomas@northwind.example";
const MANAGER: &str = "marco@lumen.example";

async fn catalog_targets_role_type_and_tier(backend: Backend) {
    let server = TestServer::start(backend).await;
    let titles = |entries: Vec<CatalogEntry>| -> Vec<String> {
        entries.into_iter().map(|e| e.title).collect()
    };
    for (email, expected) in [
        (SALES, vec!["Sales Certification"]),
        (SUPPORT, vec!["Support Readiness"]),
        (TECHNICAL, vec!["Technical Certification"]),
    ] {
        let client = sign_in(&server, email).await;
        let (status, entries) =
            invoke::<Vec<CatalogEntry>>(&client, &server, LoadCatalog::PATH, &[]).await;
        assert_eq!(status, 200);
        let entries = entries.unwrap();
        assert!(entries
            .iter()
            .all(|e| e.required && e.progress_percent == 0 && !e.started));
        assert_eq!(titles(entries), expected, "{email}");
    }
    // A referral partner's technical person is not in the technical path's audience.
    let referral_technical: Option<(String,)> = sqlx::query_as(
        "SELECT u.email FROM users u JOIN partner_orgs o ON o.id = u.partner_org_id \
         WHERE o.partner_type = 'referral' AND u.job_role = 'technical'",
    )
    .fetch_optional(&server.server.state.db.read)
    .await
    .unwrap();
    if let Some((email,)) = referral_technical {
        let client = sign_in(&server, &email).await;
        let (_, entries) =
            invoke::<Vec<CatalogEntry>>(&client, &server, LoadCatalog::PATH, &[]).await;
        assert!(entries.unwrap().is_empty());
    }
    let manager = sign_in(&server, MANAGER).await;
    let (_, entries) = invoke::<Vec<CatalogEntry>>(&manager, &server, LoadCatalog::PATH, &[]).await;
    assert_eq!(entries.unwrap().len(), 3, "staff see every path");

    let sales = sign_in(&server, SALES).await;
    let support_path = path_id(&server, "Support Readiness").await;
    let (status, _) = invoke::<PlayerData>(
        &sales,
        &server,
        LoadPlayer::PATH,
        &[("path_id", &support_path.to_string())],
    )
    .await;
    assert_eq!(
        status, 404,
        "a path outside your audience does not exist for you"
    );
    server.stop().await;
}

async fn a_learner_completes_a_path_step_by_step(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let learner = sign_in(&server, SUPPORT).await;
    let path = path_id(&server, "Support Readiness").await;
    let first = player(&learner, &server, path, None).await;
    let states: Vec<StepState> = first.path.steps.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            StepState::Available,
            StepState::Locked,
            StepState::Locked,
            StepState::Locked
        ]
    );
    let docs: Vec<i64> = first
        .path
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Document)
        .map(|s| s.step_id)
        .collect();
    let quiz_step = step_of(&first, StepKind::Quiz);
    let survey = step_of(&first, StepKind::Survey);
    let Some(StepBody::Document { html }) = first.step.map(|s| s.body) else {
        panic!("the first step opens")
    };
    assert!(html.contains("<strong>") && !html.contains("<script"));

    // Locked steps refuse to be done, and change nothing.
    let (status, _) = step_call(
        &learner,
        &server,
        CompleteDocument::PATH,
        &[("step_id", &docs[1].to_string())],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(start_quiz(&learner, &server, quiz_step).await.0, 409);
    let (status, locked) = invoke::<PlayerData>(
        &learner,
        &server,
        LoadPlayer::PATH,
        &[
            ("path_id", &path.to_string()),
            ("step_id", &survey.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        locked.unwrap().step.unwrap().body,
        StepBody::Locked,
        "a locked step shows no content"
    );

    let (_, done) = step_call(
        &learner,
        &server,
        CompleteDocument::PATH,
        &[("step_id", &docs[0].to_string())],
    )
    .await;
    let done = done.unwrap();
    assert!(done.step_done);
    assert_eq!(done.next_step_id, Some(docs[1]));
    let (_, done) = step_call(
        &learner,
        &server,
        CompleteDocument::PATH,
        &[("step_id", &docs[1].to_string())],
    )
    .await;
    assert_eq!(done.unwrap().next_step_id, Some(quiz_step));

    // Fail, then pass: passing marks the quiz step done.
    let (_, view) = start_quiz(&learner, &server, quiz_step).await;
    let failed = take_attempt(&learner, &server, &view.unwrap(), false).await;
    assert!(!failed.passed);
    let after_fail = player(&learner, &server, path, Some(quiz_step)).await;
    let Some(StepBody::Quiz(overview)) = after_fail.step.map(|s| s.body) else {
        panic!()
    };
    assert_eq!(overview.attempts.len(), 1);
    assert!(!overview.passed && overview.start_blocked.is_none());
    let (_, view) = start_quiz(&learner, &server, quiz_step).await;
    let passed = take_attempt(&learner, &server, &view.unwrap(), true).await;
    assert!(passed.passed, "{passed:?}");
    assert!((passed.score_percent - 100.0).abs() < 1e-9);

    // The survey validates, then completes the path.
    let survey_id = survey.to_string();
    let (status, bad) = step_call(
        &learner,
        &server,
        AnswerSurvey::PATH,
        &[("step_id", &survey_id), ("rating", "9"), ("comment", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.unwrap_err().field_message("rating").is_some());
    let long = "x".repeat(MAX_SURVEY_COMMENT_CHARS + 1);
    let (status, _) = step_call(
        &learner,
        &server,
        AnswerSurvey::PATH,
        &[("step_id", &survey_id), ("rating", "4"), ("comment", &long)],
    )
    .await;
    assert_eq!(status, 422);
    let (none,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM survey_responses")
        .fetch_one(&db.read)
        .await
        .unwrap();
    assert_eq!(none, 0, "refused answers change nothing");
    // A certification requires this path: finishing it issues the certificate at once.
    app::server::repo::certifications::insert_certification(
        db,
        &app::server::repo::certifications::NewCertification {
            name: "Path test certification",
            description: "",
            job_role: None,
            validity_months: 12,
            recert_window_days: 60,
            path_ids: &[path],
        },
        server.server.state.clock.now_ms(),
    )
    .await
    .unwrap();
    let certificates = || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM certificates c JOIN certifications k ON k.id = c.certification_id \
             WHERE k.name = 'Path test certification'",
        )
        .fetch_one(&db.read)
        .await
        .unwrap();
        n
    };
    assert_eq!(certificates().await, 0);
    let (_, done) = step_call(
        &learner,
        &server,
        AnswerSurvey::PATH,
        &[
            ("step_id", &survey_id),
            ("rating", "4"),
            ("comment", "Clear and short"),
        ],
    )
    .await;
    let completed_at = done
        .unwrap()
        .path_completed_at
        .expect("the path is complete");
    assert_eq!(certificates().await, 1, "issued on completion, not later");

    // One completion record, stable when steps are repeated.
    let (_, again) = step_call(
        &learner,
        &server,
        AnswerSurvey::PATH,
        &[("step_id", &survey_id), ("rating", "5"), ("comment", "")],
    )
    .await;
    assert_eq!(again.unwrap().path_completed_at, Some(completed_at));
    assert_eq!(
        certificates().await,
        1,
        "repeating a step issues nothing more"
    );
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT path_id, completed_at FROM path_completions")
            .fetch_all(&db.read)
            .await
            .unwrap();
    assert_eq!(rows, vec![(path, completed_at)]);
    let (_, catalog) = invoke::<Vec<CatalogEntry>>(&learner, &server, LoadCatalog::PATH, &[]).await;
    let entry = &catalog.unwrap()[0];
    assert_eq!(
        (entry.progress_percent, entry.completed_at),
        (100, Some(completed_at))
    );
    server.stop().await;
}

async fn video_position_resumes_and_watching_completes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let learner = sign_in(&server, SALES).await;
    let path = path_id(&server, "Sales Certification").await;
    let data = player(&learner, &server, path, None).await;
    let video = step_of(&data, StepKind::Video);
    let id = video.to_string();
    for bad in ["-1", "NaN", "inf", "abc", "999999"] {
        let (status, _) = step_call(
            &learner,
            &server,
            SaveVideoPosition::PATH,
            &[("step_id", &id), ("position_secs", bad)],
        )
        .await;
        assert_eq!(status, 422, "position {bad}");
    }
    let (_, saved) = step_call(
        &learner,
        &server,
        SaveVideoPosition::PATH,
        &[("step_id", &id), ("position_secs", "4.5")],
    )
    .await;
    assert!(!saved.unwrap().step_done);
    // Another device (a new session) resumes at the same place.
    let phone = sign_in(&server, SALES).await;
    let resumed = player(&phone, &server, path, Some(video)).await;
    let Some(StepBody::Video {
        position_secs,
        duration_secs,
        captions_src,
        ..
    }) = resumed.step.map(|s| s.body)
    else {
        panic!()
    };
    assert_eq!(position_secs, 4.5);
    assert_eq!(duration_secs, Some(12.0));
    assert!(captions_src.unwrap().ends_with(".vtt"));
    // The configured duration decides: a browser claiming a 5 s video cannot skip ahead.
    let (_, early) = step_call(
        &learner,
        &server,
        SaveVideoPosition::PATH,
        &[
            ("step_id", &id),
            ("position_secs", "5"),
            ("duration_secs", "5"),
        ],
    )
    .await;
    assert!(!early.unwrap().step_done);
    // A position near the end is not watching: 11 s reported a moment after 5 s earns
    // nothing, and neither does waiting an hour and then reporting the end.
    let report = |position: &'static str| {
        let (learner, server, id) = (&learner, &server, &id);
        async move {
            let (status, done) = step_call(
                learner,
                server,
                SaveVideoPosition::PATH,
                &[("step_id", id), ("position_secs", position)],
            )
            .await;
            assert_eq!(status, 200, "{done:?}");
            done.unwrap()
        }
    };
    assert!(!report("11").await.step_done);
    let clock = &server.server.state.clock;
    clock.advance(3_600_000);
    assert!(!report("0").await.step_done);
    clock.advance(3_600_000);
    assert!(!report("12").await.step_done, "12 s of video in one report");
    // Played through, with reports every 5 s of playback in real time: watched.
    assert!(!report("0").await.step_done);
    clock.advance(5_000);
    assert!(!report("5").await.step_done);
    clock.advance(5_000);
    assert!(!report("10").await.step_done);
    clock.advance(1_500);
    let watched = report("11.5").await;
    assert!(watched.step_done);
    assert_ne!(watched.next_step_id, Some(video));
    // Another learner's progress is their own.
    let other = sign_in(&server, OTHER_SALES).await;
    let theirs = player(&other, &server, path, Some(video)).await;
    let Some(StepBody::Video { position_secs, .. }) = theirs.step.map(|s| s.body) else {
        panic!()
    };
    assert_eq!(position_secs, 0.0);
    server.stop().await;
}

async fn live_sessions_keep_to_capacity(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let path = path_id(&server, "Sales Certification").await;
    let first = sign_in(&server, SALES).await;
    let data = player(&first, &server, path, None).await;
    let session = step_of(&data, StepKind::LiveSession);
    // Open the earlier required steps for both learners; the session is optional.
    let settings: (String,) = sqlx::query_as("SELECT config_json FROM path_steps WHERE id = $1")
        .bind(session)
        .fetch_one(&db.read)
        .await
        .unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&settings.0).unwrap();
    config["capacity"] = serde_json::json!(1);
    sqlx::query("UPDATE path_steps SET config_json = $1 WHERE id = $2")
        .bind(config.to_string())
        .bind(session)
        .execute(&db.write)
        .await
        .unwrap();
    sqlx::query("INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
                 SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s WHERE u.email IN ($1, $2) AND s.path_id = $3 AND s.position < 3")
        .bind(SALES).bind(OTHER_SALES).bind(path).execute(&db.write).await.unwrap();

    let id = session.to_string();
    let (status, booked) = step_call(
        &first,
        &server,
        RsvpLiveSession::PATH,
        &[("step_id", &id), ("attending", "true")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(booked.unwrap().step_done);
    let seat = player(&first, &server, path, Some(session)).await;
    let Some(StepBody::LiveSession {
        attending,
        join_url,
        seats_left,
        ics,
        ..
    }) = seat.step.map(|s| s.body)
    else {
        panic!()
    };
    assert!(attending && join_url.is_some());
    assert_eq!(seats_left, Some(0));
    assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.contains("DTSTART:"));

    let second = sign_in(&server, OTHER_SALES).await;
    let view = player(&second, &server, path, Some(session)).await;
    let Some(StepBody::LiveSession { join_url, .. }) = view.step.map(|s| s.body) else {
        panic!()
    };
    assert_eq!(join_url, None, "the join link is for attendees");
    let (status, full) = step_call(
        &second,
        &server,
        RsvpLiveSession::PATH,
        &[("step_id", &id), ("attending", "true")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(matches!(full, Err(AppError::Conflict(_))));
    let (status, _) = step_call(
        &first,
        &server,
        RsvpLiveSession::PATH,
        &[("step_id", &id), ("attending", "false")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = step_call(
        &second,
        &server,
        RsvpLiveSession::PATH,
        &[("step_id", &id), ("attending", "true")],
    )
    .await;
    assert_eq!(status, 200, "a released seat can be taken");
    server.stop().await;
}

async fn quiz_pages_never_carry_answers(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let learner = sign_in(&server, SUPPORT).await;
    let path = path_id(&server, "Support Readiness").await;
    sqlx::query("INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
                 SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s WHERE u.email = $1 AND s.path_id = $2 AND s.kind = 'document'")
        .bind(SUPPORT).bind(path).execute(&db.write).await.unwrap();
    let data = player(&learner, &server, path, None).await;
    let quiz_step = step_of(&data, StepKind::Quiz);
    let (_, view) = start_quiz(&learner, &server, quiz_step).await;
    let view = view.unwrap();
    // Everything that could give an answer away, from the server's copy of this attempt.
    let secrets: Vec<(String, String)> = sqlx::query_as(
        "SELECT key_json, feedback_json FROM attempt_questions WHERE attempt_id = $1",
    )
    .bind(view.attempt_id)
    .fetch_all(&db.read)
    .await
    .unwrap();
    let mut forbidden: Vec<String> = Vec::new();
    for (key_json, feedback_json) in &secrets {
        let feedback: serde_json::Value = serde_json::from_str(feedback_json).unwrap();
        forbidden.push(feedback["explanation"].as_str().unwrap().to_string());
        if let AnswerKey::ShortText { accepted } =
            serde_json::from_str::<AnswerKey>(key_json).unwrap()
        {
            forbidden.extend(accepted);
        }
    }
    forbidden.extend(
        [
            "correct_order",
            "accepted",
            "tolerance",
            "explanation",
            "\"pairs\"",
        ]
        .map(String::from),
    );
    // The page as first rendered, hydration data included, and the JSON the browser fetches.
    for url in [
        format!("/quiz/{}", view.attempt_id),
        format!("/learn/{path}?step={quiz_step}"),
    ] {
        let page = learner.get(server.url(&url)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("data-question-id") || url.starts_with("/learn"),
            "the quiz renders"
        );
        for secret in &forbidden {
            assert!(!html.contains(secret.as_str()), "{url} leaks {secret:?}");
        }
    }
    let raw = call(
        &learner,
        &server,
        QuizAttempt::PATH,
        &[("attempt_id", &view.attempt_id.to_string())],
    )
    .await
    .text()
    .await
    .unwrap();
    for secret in &forbidden {
        assert!(
            !raw.contains(secret.as_str()),
            "the attempt JSON leaks {secret:?}"
        );
    }
    // After submitting, the review shows answers as this quiz allows (after each attempt).
    take_attempt(&learner, &server, &view, false).await;
    let (_, reviewed) = invoke::<AttemptView>(
        &learner,
        &server,
        QuizAttempt::PATH,
        &[("attempt_id", &view.attempt_id.to_string())],
    )
    .await;
    let review = reviewed
        .unwrap()
        .review
        .expect("a submitted attempt has a review");
    assert!(review
        .questions
        .iter()
        .all(|q| q.correct_answer.is_some() && q.explanation.is_some()));
    server.stop().await;
}

async fn authors_build_publish_export_and_import_paths(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let json_call = |path: &'static str, body: serde_json::Value| {
        let manager = manager.clone();
        let url = server.url(path);
        async move {
            manager
                .post(url)
                .form(&common::form_pairs(&body))
                .send()
                .await
                .unwrap()
        }
    };
    let details = |title: &str| {
        serde_json::json!({"title": title, "summary": "For new partners", "required": false,
        "estimated_minutes": 20, "audience": {"partner_types": [], "tiers": ["Gold"], "job_roles": ["Sales"]}})
    };
    let (status, bad) = reply::<i64>(
        json_call(
            SavePath::PATH,
            serde_json::json!({"path_id": null, "details": details("  ")}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.unwrap_err().field_message("title").is_some());
    let (status, created) = reply::<i64>(
        json_call(
            SavePath::PATH,
            serde_json::json!({"path_id": null, "details": details("Pricing basics")}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let path = created.unwrap();

    // Publishing an empty path is refused with the reason.
    let (status, refused) = invoke::<()>(
        &manager,
        &server,
        SetPathPublished::PATH,
        &[("path_id", &path.to_string()), ("published", "true")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.unwrap_err().field_message("steps").is_some());

    let step = |kind: &str, title: &str, settings: &str| {
        serde_json::json!({"path_id": path, "step_id": null, "kind": kind,
        "title": title, "required": true, "settings_json": settings})
    };
    let (status, bad_settings) = reply::<i64>(
        json_call(
            SaveStep::PATH,
            step(
                "LiveSession",
                "Kick-off",
                r#"{"starts_at": 1, "duration_minutes": 600, "join_url": "http://x"}"#,
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let bad_settings = bad_settings.unwrap_err();
    assert!(
        bad_settings.field_message("join_url").is_some()
            && bad_settings.field_message("duration_minutes").is_some()
    );
    let (status, not_json) =
        reply::<i64>(json_call(SaveStep::PATH, step("Survey", "Feedback", "{question")).await)
            .await;
    assert_eq!(status, 422);
    assert!(not_json.unwrap_err().field_message("settings").is_some());
    let (_, document) = reply::<i64>(
        json_call(
            SaveStep::PATH,
            step(
                "Document",
                "Price list",
                r##"{"markdown": "# Prices\n\nList price is **$40** per seat."}"##,
            ),
        )
        .await,
    )
    .await;
    let (_, quiz) = reply::<i64>(
        json_call(
            SaveStep::PATH,
            step("Quiz", "Pricing check", r#"{"pass_mark_percent": 100}"#),
        )
        .await,
    )
    .await;
    let (document, quiz) = (document.unwrap(), quiz.unwrap());
    let question = serde_json::json!([{"content": {"kind": "Numeric", "prompt": "List price per seat in dollars?"},
        "key": {"Numeric": {"value": 40.0, "tolerance": 0.0}}, "feedback": {"explanation": "Forty dollars."}, "tags": ["price"]}]);
    let (status, mismatch) = reply::<usize>(json_call(AddQuestions::PATH, serde_json::json!({"path_id": path,
        "questions_json": r#"[{"content": {"kind": "TrueFalse", "prompt": "?"}, "key": {"Numeric": {"value": 1.0, "tolerance": 0.0}}}]"#})).await).await;
    assert_eq!(status, 422);
    assert!(mismatch
        .unwrap_err()
        .field_message("questions_json")
        .is_some());
    let (_, added) = reply::<usize>(
        json_call(
            AddQuestions::PATH,
            serde_json::json!({"path_id": path, "questions_json": question.to_string()}),
        )
        .await,
    )
    .await;
    assert_eq!(added.unwrap(), 1);
    // Reorder: the quiz first, then back.
    assert_eq!(
        call(
            &manager,
            &server,
            MoveStep::PATH,
            &[("step_id", &quiz.to_string()), ("up", "true")]
        )
        .await
        .status(),
        200
    );
    let (_, editor) = invoke::<app::model::PathEditorData>(
        &manager,
        &server,
        LoadPathEditor::PATH,
        &[("path_id", &path.to_string())],
    )
    .await;
    let editor = editor.unwrap();
    assert_eq!(
        editor.steps.iter().map(|s| s.step_id).collect::<Vec<_>>(),
        [quiz, document]
    );
    assert!(editor.version > 1, "edits bump the version");
    call(
        &manager,
        &server,
        MoveStep::PATH,
        &[("step_id", &quiz.to_string()), ("up", "false")],
    )
    .await;

    // Drafts are invisible to partners; once published they appear for the audience.
    let gold_sales = sign_in(&server, SALES).await; // Northwind is Gold
    let (_, before) =
        invoke::<Vec<CatalogEntry>>(&gold_sales, &server, LoadCatalog::PATH, &[]).await;
    assert!(!before.unwrap().iter().any(|e| e.path_id == path));
    assert_eq!(
        call(
            &manager,
            &server,
            SetPathPublished::PATH,
            &[("path_id", &path.to_string()), ("published", "true")]
        )
        .await
        .status(),
        200
    );
    let (_, after) =
        invoke::<Vec<CatalogEntry>>(&gold_sales, &server, LoadCatalog::PATH, &[]).await;
    assert!(after.unwrap().iter().any(|e| e.path_id == path));
    let silver_sales = sign_in(&server, OTHER_SALES).await; // Bluefin is Silver
    let (_, silver) =
        invoke::<Vec<CatalogEntry>>(&silver_sales, &server, LoadCatalog::PATH, &[]).await;
    assert!(
        !silver.unwrap().iter().any(|e| e.path_id == path),
        "tier targeting"
    );

    // An attempt in progress keeps its questions when the bank is edited.
    assert_eq!(
        call(
            &gold_sales,
            &server,
            CompleteDocument::PATH,
            &[("step_id", &document.to_string())]
        )
        .await
        .status(),
        200
    );
    let (_, attempt) = start_quiz(&gold_sales, &server, quiz).await;
    let attempt = attempt.unwrap();
    let bank: Vec<(i64,)> = sqlx::query_as("SELECT id FROM quiz_questions WHERE path_id = $1")
        .bind(path)
        .fetch_all(&server.server.state.db.read)
        .await
        .unwrap();
    assert_eq!(
        call(
            &manager,
            &server,
            RetireQuestion::PATH,
            &[
                ("path_id", &path.to_string()),
                ("question_id", &bank[0].0.to_string())
            ]
        )
        .await
        .status(),
        200
    );
    let (_, still) = invoke::<AttemptView>(
        &gold_sales,
        &server,
        QuizAttempt::PATH,
        &[("attempt_id", &attempt.attempt_id.to_string())],
    )
    .await;
    assert_eq!(still.unwrap().questions, attempt.questions);
    assert_eq!(
        call(
            &manager,
            &server,
            DeleteStep::PATH,
            &[("step_id", quiz.to_string().as_str()), ("confirm", "true")]
        )
        .await
        .status(),
        409,
        "attempts protect a quiz"
    );
    reply::<usize>(
        json_call(
            AddQuestions::PATH,
            serde_json::json!({"path_id": path, "questions_json": question.to_string()}),
        )
        .await,
    )
    .await
    .1
    .unwrap();

    // Export, then import into a new draft: the same content.
    let (_, exported) = invoke::<String>(
        &manager,
        &server,
        ExportPath::PATH,
        &[("path_id", &path.to_string())],
    )
    .await;
    let exported = exported.unwrap();
    assert!(exported.contains("\"Numeric\"") && exported.contains("Forty dollars."));
    // The editor's plain link downloads the same JSON as a file, for staff only.
    let link = server.url(&path_export_url(path));
    let download = manager.get(&link).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/json");
    assert_eq!(
        download.headers()["content-disposition"],
        format!("attachment; filename=\"learning-path-{path}.json\"").as_str()
    );
    assert_eq!(download.text().await.unwrap(), exported);
    let partner = sign_in(&server, "nora@northwind.example").await;
    assert_eq!(partner.get(&link).send().await.unwrap().status(), 403);
    let (status, imported) =
        reply::<i64>(json_call(ImportPath::PATH, serde_json::json!({"json": exported})).await)
            .await;
    assert_eq!(status, 200);
    let imported = imported.unwrap();
    let (_, again) = invoke::<String>(
        &manager,
        &server,
        ExportPath::PATH,
        &[("path_id", &imported.to_string())],
    )
    .await;
    assert_eq!(again.unwrap(), exported, "a round trip changes nothing");
    let (_, list) = invoke::<Vec<app::model::AuthoredPathSummary>>(
        &manager,
        &server,
        ListAuthoredPaths::PATH,
        &[],
    )
    .await;
    assert!(
        !list
            .unwrap()
            .iter()
            .find(|p| p.path_id == imported)
            .unwrap()
            .published,
        "imports arrive as drafts"
    );

    // A broken import names its problems and writes nothing.
    let count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM learning_paths")
            .fetch_one(&server.server.state.db.read)
            .await
            .unwrap();
        n
    };
    let paths_before = count().await;
    let mut broken: serde_json::Value = serde_json::from_str(&exported).unwrap();
    broken["steps"][1]["settings"]["pass_mark_percent"] = serde_json::json!(250);
    let (status, problems) = reply::<i64>(
        json_call(
            ImportPath::PATH,
            serde_json::json!({"json": broken.to_string()}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(problems
        .unwrap_err()
        .field_message("steps[1].pass_mark_percent")
        .is_some());
    let (status, _) =
        reply::<i64>(json_call(ImportPath::PATH, serde_json::json!({"json": "not json"})).await)
            .await;
    assert_eq!(status, 422);
    assert_eq!(count().await, paths_before);
    server.stop().await;
}

async fn managers_see_item_statistics(backend: Backend) {
    let server = TestServer::start(backend).await;
    let db = &server.server.state.db;
    let path = path_id(&server, "Support Readiness").await;
    let people: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM users WHERE job_role = 'support' ORDER BY email LIMIT 4")
            .fetch_all(&db.read)
            .await
            .unwrap();
    assert!(people.len() >= 3);
    sqlx::query("INSERT INTO step_progress (user_id, step_id, position_secs, done_at, updated_at) \
                 SELECT u.id, s.id, 0, 1, 1 FROM users u, path_steps s WHERE u.job_role = 'support' AND s.path_id = $1 AND s.kind = 'document'")
        .bind(path).execute(&db.write).await.unwrap();
    let mut quiz_step = 0;
    for (index, (email,)) in people.iter().enumerate() {
        let learner = sign_in(&server, email).await;
        let data = player(&learner, &server, path, None).await;
        quiz_step = step_of(&data, StepKind::Quiz);
        let (_, view) = start_quiz(&learner, &server, quiz_step).await;
        take_attempt(&learner, &server, &view.unwrap(), index % 2 == 0).await;
    }
    let manager = sign_in(&server, MANAGER).await;
    let (status, stats) = invoke::<QuizStatistics>(
        &manager,
        &server,
        LoadQuizStatistics::PATH,
        &[("step_id", &quiz_step.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let stats = stats.unwrap();
    assert_eq!(stats.submitted_attempts, people.len() as i64);
    let passes = people.len().div_ceil(2) as f64;
    assert!((stats.pass_rate_percent.unwrap() - 100.0 * passes / people.len() as f64).abs() < 1e-9);
    assert!(!stats.items.is_empty());
    for item in &stats.items {
        assert!(!item.prompt.is_empty());
        assert!((0.0..=1.0).contains(&item.facility));
        assert!(item.attempts <= people.len());
    }
    server.stop().await;
}

both_backends!(
    catalog_targets_role_type_and_tier,
    a_learner_completes_a_path_step_by_step,
    video_position_resumes_and_watching_completes,
    live_sessions_keep_to_capacity,
    quiz_pages_never_carry_answers,
    authors_build_publish_export_and_import_paths,
    managers_see_item_statistics,
);
