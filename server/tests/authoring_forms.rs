//! Authoring without JSON, over HTTP on SQLite and PostgreSQL: a step's settings saved from
//! its kind's fields (mistakes named at their fields, the stored settings shown back as
//! fields), the Markdown preview rendered and sanitized as the player does, a delete that
//! needs its confirmation, and a question of every kind written through its form and drawn
//! into a learner's attempt. Staff only throughout.
mod common;

use app::api::authoring::{
    AddQuestion, DeleteStep, LoadPathEditor, PreviewMarkdown, SavePath, SaveStep,
};
use app::domain::quiz::content::QuestionKind;
use app::domain::quiz::grading::AnswerKey;
use app::domain::steps::StepKind;
use app::model::PathEditorData;
use common::{form_pairs, invoke, reply, sign_in, Backend, ServerFn, TestServer};

const MANAGER: &str = "hannah@lumen.example";
const PARTNER: &str = "nora@northwind.example";

async fn post(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    body: serde_json::Value,
) -> (u16, Result<i64, app::error::AppError>) {
    reply::<i64>(
        client
            .post(server.url(path))
            .form(&form_pairs(&body))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn editor(client: &reqwest::Client, server: &TestServer, path: i64) -> PathEditorData {
    let (status, data) = invoke::<PathEditorData>(
        client,
        server,
        LoadPathEditor::PATH,
        &[("path_id", &path.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    data.unwrap()
}

async fn new_path(client: &reqwest::Client, server: &TestServer, title: &str) -> i64 {
    let (status, created) = post(
        client,
        server,
        SavePath::PATH,
        serde_json::json!({"path_id": null, "details": {"title": title, "summary": "", "required": false,
            "estimated_minutes": 10, "audience": {"partner_types": [], "tiers": [], "job_roles": []}}}),
    )
    .await;
    assert_eq!(status, 200, "{created:?}");
    created.unwrap()
}

async fn step_settings_are_fields_and_deleting_needs_a_confirmation(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let path = new_path(&manager, &server, "Forms only").await;
    // A new step with no settings starts from its kind's defaults.
    let (status, quiz) = post(
        &manager,
        &server,
        SaveStep::PATH,
        serde_json::json!({"path_id": path, "kind": "Quiz", "title": "Check", "required": true}),
    )
    .await;
    assert_eq!(status, 200, "{quiz:?}");
    let quiz = quiz.unwrap();
    let shown = editor(&manager, &server, path).await.steps[0]
        .settings
        .clone();
    assert_eq!(shown.pass_mark_percent, "80");
    assert_eq!(shown.cooldown_minutes, "10");

    // Fields as the editor posts them; every mistake at its field, nothing saved.
    let fields = |settings: serde_json::Value| {
        serde_json::json!({"path_id": path, "step_id": quiz, "kind": "Quiz", "title": "Check",
            "required": true, "settings": settings})
    };
    let (status, refused) = post(
        &manager,
        &server,
        SaveStep::PATH,
        fields(
            serde_json::json!({"pass_mark_percent": "eighty", "max_attempts": "0",
            "cooldown_minutes": "5", "review_level": "answers", "review_when": "each"}),
        ),
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    assert!(
        refused.field_message("pass_mark_percent").is_some(),
        "{refused:?}"
    );
    assert_eq!(
        editor(&manager, &server, path).await.steps[0].settings,
        shown
    );
    let (status, saved) = post(
        &manager,
        &server,
        SaveStep::PATH,
        fields(
            serde_json::json!({"pass_mark_percent": "75", "max_attempts": "2",
            "cooldown_minutes": "0.5", "time_limit_minutes": "", "draw_count": "",
            "draw_tags": "pricing", "shuffle_options": "true",
            "review_level": "correctness", "review_when": "each"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{saved:?}");
    let data = editor(&manager, &server, path).await;
    let stored: serde_json::Value = serde_json::from_str(&data.steps[0].settings_json).unwrap();
    assert_eq!(stored["pass_mark_percent"], 75);
    assert_eq!(stored["cooldown_secs"], 30);
    assert_eq!(stored["time_limit_secs"], serde_json::Value::Null);
    assert_eq!(stored["review_level"], "Correctness");
    assert_eq!(data.steps[0].settings.cooldown_minutes, "0.5");

    // A reading step from its Markdown field; the preview renders it as the player does,
    // scripts removed.
    let (status, reading) = post(
        &manager,
        &server,
        SaveStep::PATH,
        serde_json::json!({"path_id": path, "kind": "Document", "title": "Read me", "required": true,
            "settings": {"markdown": "# Deal desk\n\nQuotes above **20%** go to the desk."}}),
    )
    .await;
    assert_eq!(status, 200, "{reading:?}");
    let reading = reading.unwrap();
    let (status, html) = invoke::<String>(
        &manager,
        &server,
        PreviewMarkdown::PATH,
        &[(
            "markdown",
            "## Hello\n\n<script>alert(1)</script>\n\n**bold** [x](javascript:alert(1))",
        )],
    )
    .await;
    assert_eq!(status, 200);
    let html = html.unwrap();
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    let huge = "x".repeat(app::domain::step_form::MAX_MARKDOWN_CHARS + 1);
    let (status, _) = invoke::<String>(
        &manager,
        &server,
        PreviewMarkdown::PATH,
        &[("markdown", &huge)],
    )
    .await;
    assert_eq!(status, 422);
    let partner = sign_in(&server, PARTNER).await;
    let (status, _) = invoke::<String>(
        &partner,
        &server,
        PreviewMarkdown::PATH,
        &[("markdown", "# x")],
    )
    .await;
    assert_eq!(status, 403);

    // Deleting needs its box ticked.
    let id = reading.to_string();
    let (status, unconfirmed) = invoke::<()>(
        &manager,
        &server,
        DeleteStep::PATH,
        &[("step_id", id.as_str())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(unconfirmed.unwrap_err().field_message("confirm").is_some());
    assert_eq!(editor(&manager, &server, path).await.steps.len(), 2);
    let (status, _) = invoke::<()>(
        &manager,
        &server,
        DeleteStep::PATH,
        &[("step_id", id.as_str()), ("confirm", "true")],
    )
    .await;
    assert_eq!(status, 200);
    let left = editor(&manager, &server, path).await.steps;
    assert_eq!(
        left.iter().map(|s| s.kind).collect::<Vec<_>>(),
        vec![StepKind::Quiz]
    );
    server.stop().await;
}

async fn a_question_of_every_kind_is_written_through_its_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let manager = sign_in(&server, MANAGER).await;
    let path = new_path(&manager, &server, "Every kind").await;
    let add = |kind: &'static str, question: serde_json::Value| {
        let manager = manager.clone();
        let server = &server;
        async move {
            post(
                &manager,
                server,
                AddQuestion::PATH,
                serde_json::json!({"path_id": path, "kind": kind, "question": question}),
            )
            .await
        }
    };
    let forms = [
        (
            "single",
            serde_json::json!({"prompt": "Who approves?", "options": {"1": "Customer", "3": "Manager"}, "correct_option": "3"}),
        ),
        (
            "multiple",
            serde_json::json!({"prompt": "Which need proof?", "options": {"1": "Negotiate", "2": "Won", "3": "Qualify"},
            "correct": {"1": "on", "2": "on"}, "tags": "stages, proof", "weight": "2"}),
        ),
        (
            "true-false",
            serde_json::json!({"prompt": "Protection is exclusive.", "true_false": "true"}),
        ),
        (
            "ordering",
            serde_json::json!({"prompt": "Order the stages.", "options": {"1": "Qualify", "2": "Discover", "3": "Propose"}}),
        ),
        (
            "matching",
            serde_json::json!({"prompt": "Match tiers.", "options": {"1": "Gold", "2": "Silver"}, "targets": {"1": "20%", "2": "10%"}}),
        ),
        (
            "short",
            serde_json::json!({"prompt": "Which CRM?", "accepted": "HubSpot\nHubSpot CRM"}),
        ),
        (
            "numeric",
            serde_json::json!({"prompt": "SLA hours?", "value": "48", "tolerance": "0.5",
            "explanation": "Two working days."}),
        ),
    ];
    for (kind, question) in forms {
        let (status, added) = add(kind, question).await;
        assert_eq!((status, added), (200, Ok(1)), "{kind}");
    }
    let bank = editor(&manager, &server, path).await.questions;
    assert_eq!(
        bank.iter().map(|q| q.kind).collect::<Vec<_>>(),
        vec![
            QuestionKind::SingleChoice,
            QuestionKind::MultipleChoice,
            QuestionKind::TrueFalse,
            QuestionKind::Ordering,
            QuestionKind::Matching,
            QuestionKind::ShortText,
            QuestionKind::Numeric
        ]
    );
    assert_eq!(bank[0].answer, "Manager");
    assert_eq!(bank[4].answer, "Gold → 20%; Silver → 10%");
    assert_eq!(bank[1].tags, vec!["stages", "proof"]);
    // The stored keys are the ones the forms described.
    let keys: Vec<(String, f64)> = sqlx::query_as(
        "SELECT key_json, weight FROM quiz_questions WHERE path_id = $1 ORDER BY id",
    )
    .bind(path)
    .fetch_all(&server.server.state.db.read)
    .await
    .unwrap();
    let key = |i: usize| serde_json::from_str::<AnswerKey>(&keys[i].0).unwrap();
    assert_eq!(
        key(0),
        AnswerKey::SingleChoice {
            options: vec![1, 2],
            correct: 2
        }
    );
    assert_eq!(keys[1].1, 2.0);
    assert_eq!(
        key(6),
        AnswerKey::Numeric {
            value: 48.0,
            tolerance: 0.5
        }
    );

    // Mistakes at their fields; nothing added; an unknown kind refused; partners refused.
    let (status, refused) = add(
        "matching",
        serde_json::json!({"prompt": "", "options": {"1": "Gold"}, "targets": {"2": "20%"}, "weight": "-1"}),
    )
    .await;
    assert_eq!(status, 422);
    let refused = refused.unwrap_err();
    for field in ["prompt", "options", "weight"] {
        assert!(
            refused.field_message(field).is_some(),
            "{field}: {refused:?}"
        );
    }
    let (status, _) = add("essay", serde_json::json!({"prompt": "Why?"})).await;
    assert_eq!(status, 422);
    assert_eq!(editor(&manager, &server, path).await.questions.len(), 7);
    let partner = sign_in(&server, PARTNER).await;
    let (status, _) = post(
        &partner,
        &server,
        AddQuestion::PATH,
        serde_json::json!({"path_id": path, "kind": "true-false",
            "question": {"prompt": "Mine?", "true_false": "true"}}),
    )
    .await;
    assert_eq!(status, 403);
    server.stop().await;
}

both_backends!(
    step_settings_are_fields_and_deleting_needs_a_confirmation,
    a_question_of_every_kind_is_written_through_its_form,
);
