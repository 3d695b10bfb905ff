//! Taking quizzes over HTTP: who may start, resume, save and submit, and what reaches the
//! browser.
mod common;

use app::api::training::*;
use app::domain::quiz::content::{Choice, QuestionContent, QuestionKind, QuizConfig};
use app::domain::quiz::grading::AnswerKey;
use app::error::AppError;
use app::model::{AttemptView, SubmitResult};
use app::server::repo::quiz;
use common::{invoke, sign_in, start_quiz, Backend, ServerFn, TestServer};

const SALES_NORTHWIND: &str = "nora@northwind.example";
const SALES_BLUEFIN: &str = "ben@bluefin.example";
const SUPPORT_NORTHWIND: &str = "ines@northwind.example";

/// A published sales path with one quiz of two questions; returns the step id.
async fn sales_quiz(server: &TestServer, published: bool) -> i64 {
    let db = &server.server.state.db;
    let path = quiz::insert_path(db, "Sales certification", published, 0)
        .await
        .unwrap();
    sqlx::query("UPDATE learning_paths SET audience_json = $1 WHERE id = $2")
        .bind(r#"{"partner_types": [], "tiers": [], "job_roles": ["Sales"]}"#)
        .bind(path)
        .execute(&db.write)
        .await
        .unwrap();
    let choice = |id: u32, text: &str| Choice {
        id,
        text: text.into(),
    };
    let positioning = QuestionContent {
        kind: QuestionKind::SingleChoice,
        prompt: "Who is the ideal first buyer?".into(),
        options: vec![
            choice(1, "Head of data"),
            choice(2, "Intern"),
            choice(3, "Anyone"),
        ],
        targets: vec![],
    };
    quiz::insert_question(
        db,
        path,
        &positioning,
        &AnswerKey::SingleChoice {
            options: vec![1, 2, 3],
            correct: 1,
        },
        &[],
        0,
    )
    .await
    .unwrap();
    let numeric = QuestionContent {
        kind: QuestionKind::Numeric,
        prompt: "Default protection window in days?".into(),
        options: vec![],
        targets: vec![],
    };
    quiz::insert_question(
        db,
        path,
        &numeric,
        &AnswerKey::Numeric {
            value: 90.0,
            tolerance: 0.0,
        },
        &[],
        0,
    )
    .await
    .unwrap();
    let config = QuizConfig {
        pass_mark_percent: 100,
        ..QuizConfig::default()
    };
    quiz::insert_quiz_step(db, path, 1, "Check your knowledge", &config, 0)
        .await
        .unwrap()
}

async fn save(
    client: &reqwest::Client,
    server: &TestServer,
    attempt: i64,
    question: i64,
    response: serde_json::Value,
    seq: i64,
) -> (u16, Result<i64, AppError>) {
    let body = serde_json::json!({"attempt_id": attempt, "question_id": question, "response": response, "client_seq": seq});
    common::reply(
        client
            .post(server.url(SaveQuizAnswer::PATH))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn open_attempt(
    client: &reqwest::Client,
    server: &TestServer,
    attempt: &str,
) -> (u16, Result<AttemptView, AppError>) {
    invoke::<AttemptView>(
        client,
        server,
        QuizAttempt::PATH,
        &[("attempt_id", attempt)],
    )
    .await
}

async fn a_learner_takes_a_quiz_without_ever_seeing_the_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let step = sales_quiz(&server, true).await;
    let learner = sign_in(&server, SALES_NORTHWIND).await;

    let raw = learner
        .post(server.url(StartQuiz::PATH))
        .form(&[("step_id", step.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    let body = raw.text().await.unwrap();
    // The clock field is a millisecond instant that may contain the digits of the key by chance.
    let mut wire: serde_json::Value = serde_json::from_str(&body).unwrap();
    wire.as_object_mut().unwrap().remove("server_now");
    // Option ids are random per attempt, so their digits may be anything too.
    for question in wire["questions"].as_array_mut().unwrap() {
        for column in ["options", "targets"] {
            for option in question["content"][column].as_array_mut().unwrap() {
                option.as_object_mut().unwrap().remove("id");
            }
        }
    }
    let without_clock = wire.to_string();
    assert!(
        !without_clock.contains("correct")
            && !without_clock.contains("tolerance")
            && !without_clock.contains("90"),
        "no key on the wire: {body}"
    );
    let view: AttemptView = serde_json::from_str(&body).unwrap();
    assert_eq!(view.questions.len(), 2);
    let [first, second] = [view.questions[0].question_id, view.questions[1].question_id];
    let (choice_q, number_q) = if view.questions[0].content.kind == QuestionKind::SingleChoice {
        (first, second)
    } else {
        (second, first)
    };
    // The right option by its text: this attempt's ids are its own.
    let head_of_data = view
        .questions
        .iter()
        .flat_map(|q| &q.content.options)
        .find(|option| option.text == "Head of data")
        .unwrap()
        .id;

    assert_eq!(
        save(
            &learner,
            &server,
            view.attempt_id,
            choice_q,
            serde_json::json!({ "SingleChoice": head_of_data }),
            1
        )
        .await,
        (200, Ok(1))
    );
    assert_eq!(
        save(
            &learner,
            &server,
            view.attempt_id,
            number_q,
            serde_json::json!({"Numeric": "90"}),
            2
        )
        .await,
        (200, Ok(2))
    );
    assert_eq!(
        save(
            &learner,
            &server,
            view.attempt_id,
            number_q,
            serde_json::json!({"Numeric": "90"}),
            2
        )
        .await
        .0,
        200,
        "a retry is harmless"
    );
    let (status, bad) = save(
        &learner,
        &server,
        view.attempt_id,
        987_654,
        serde_json::json!({"TrueFalse": true}),
        3,
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.unwrap_err().field_message("question_id").is_some());

    // Another device resumes with every answer.
    let (status, resumed) = open_attempt(&learner, &server, &view.attempt_id.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(resumed.unwrap().answers.len(), 2);
    let (_, again) = start_quiz(&learner, &server, step).await;
    assert_eq!(
        again.unwrap().attempt_id,
        view.attempt_id,
        "starting again resumes"
    );

    let (status, result) = invoke::<SubmitResult>(
        &learner,
        &server,
        SubmitQuiz::PATH,
        &[("attempt_id", &view.attempt_id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let result = result.unwrap();
    assert!(result.passed && (result.score_percent - 100.0).abs() < 1e-9);
    let (_, twice) = invoke::<SubmitResult>(
        &learner,
        &server,
        SubmitQuiz::PATH,
        &[("attempt_id", &view.attempt_id.to_string())],
    )
    .await;
    assert_eq!(twice.unwrap(), result);
    let (status, late) = save(
        &learner,
        &server,
        view.attempt_id,
        choice_q,
        serde_json::json!({"SingleChoice": 2}),
        9,
    )
    .await;
    assert_eq!(status, 409);
    assert!(matches!(late, Err(AppError::Conflict(_))));
    let (status, _) = start_quiz(&learner, &server, step).await;
    assert_eq!(status, 409, "already passed");
    server.stop().await;
}

async fn nobody_reads_or_writes_another_learners_attempt(backend: Backend) {
    let server = TestServer::start(backend).await;
    let step = sales_quiz(&server, true).await;
    let owner = sign_in(&server, SALES_NORTHWIND).await;
    let (_, view) = start_quiz(&owner, &server, step).await;
    let view = view.unwrap();
    let attempt = view.attempt_id.to_string();
    let question = view.questions[0].question_id;

    let intruder = sign_in(&server, SALES_BLUEFIN).await;
    assert_eq!(
        open_attempt(&intruder, &server, &attempt).await,
        (404, Err(AppError::NotFound))
    );
    assert_eq!(
        save(
            &intruder,
            &server,
            view.attempt_id,
            question,
            serde_json::json!({"SingleChoice": 2}),
            5
        )
        .await
        .0,
        404
    );
    assert_eq!(
        invoke::<SubmitResult>(
            &intruder,
            &server,
            SubmitQuiz::PATH,
            &[("attempt_id", &attempt)]
        )
        .await
        .0,
        404
    );
    let manager = sign_in(&server, "marco@lumen.example").await;
    assert_eq!(
        open_attempt(&manager, &server, &attempt).await.0,
        404,
        "not even staff read a learner's answers here"
    );

    let (_, untouched) = open_attempt(&owner, &server, &attempt).await;
    assert!(untouched.unwrap().answers.is_empty());
    server.stop().await;
}

async fn audience_and_drafts_decide_who_may_start(backend: Backend) {
    let server = TestServer::start(backend).await;
    let published = sales_quiz(&server, true).await;
    let draft = sales_quiz(&server, false).await;
    let support = sign_in(&server, SUPPORT_NORTHWIND).await;
    assert_eq!(
        start_quiz(&support, &server, published).await.0,
        404,
        "not a sales person"
    );
    let sales = sign_in(&server, SALES_NORTHWIND).await;
    assert_eq!(
        start_quiz(&sales, &server, draft).await.0,
        404,
        "drafts are invisible"
    );
    let manager = sign_in(&server, "hannah@lumen.example").await;
    assert_eq!(
        start_quiz(&manager, &server, draft).await.0,
        200,
        "staff preview drafts"
    );
    assert_eq!(
        invoke::<AttemptView>(&sales, &server, StartQuiz::PATH, &[("step_id", "424242")])
            .await
            .0,
        404
    );
    assert_eq!(
        invoke::<AttemptView>(&sales, &server, StartQuiz::PATH, &[("step_id", "abc")])
            .await
            .0,
        422
    );
    server.stop().await;
}

both_backends!(
    a_learner_takes_a_quiz_without_ever_seeing_the_key,
    nobody_reads_or_writes_another_learners_attempt,
    audience_and_drafts_decide_who_may_start,
);
