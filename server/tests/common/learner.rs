//! Taking learning paths as a learner's browser does: the player, steps, quiz attempts.
use super::{invoke, start_quiz, TestServer};
use app::api::learning::*;
use app::api::training::*;
use app::domain::learning::StepState;
use app::domain::quiz::grading::{AnswerKey, Response};
use app::domain::steps::StepKind;
use app::error::AppError;
use app::model::{AttemptView, PlayerData, StepDone, SubmitResult};
use server_fn::ServerFn;

pub async fn player(
    client: &reqwest::Client,
    server: &TestServer,
    path: i64,
    step: Option<i64>,
) -> PlayerData {
    let path = path.to_string();
    let step = step.map(|s| s.to_string());
    let mut args = vec![("path_id", path.as_str())];
    if let Some(step) = &step {
        args.push(("step_id", step.as_str()));
    }
    let (status, data) = invoke::<PlayerData>(client, server, LoadPlayer::PATH, &args).await;
    assert_eq!(status, 200, "{data:?}");
    data.unwrap()
}

pub fn step_of(data: &PlayerData, kind: StepKind) -> i64 {
    data.path
        .steps
        .iter()
        .find(|s| s.kind == kind)
        .map(|s| s.step_id)
        .expect("step of that kind")
}

pub async fn step_call(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    args: &[(&str, &str)],
) -> (u16, Result<StepDone, AppError>) {
    invoke::<StepDone>(client, server, path, args).await
}

/// The right answer to a question, read from the server's copy of its key.
pub fn correct(key: &AnswerKey) -> Response {
    match key {
        AnswerKey::SingleChoice { correct, .. } => Response::SingleChoice(*correct),
        AnswerKey::MultipleChoice { correct, .. } => Response::MultipleChoice(correct.clone()),
        AnswerKey::TrueFalse { correct } => Response::TrueFalse(*correct),
        AnswerKey::Ordering { correct_order } => Response::Ordering(correct_order.clone()),
        AnswerKey::Matching { pairs } => Response::Matching(pairs.clone()),
        AnswerKey::ShortText { accepted } => Response::ShortText(accepted[0].to_uppercase()),
        AnswerKey::Numeric { value, .. } => Response::Numeric(value.to_string()),
    }
}

/// Answers every question of an attempt: right when `right`, else with an empty text or a
/// wrong choice; returns the result of submitting.
pub async fn take_attempt(
    client: &reqwest::Client,
    server: &TestServer,
    view: &AttemptView,
    right: bool,
) -> SubmitResult {
    let keys: Vec<(i64, String)> =
        sqlx::query_as("SELECT question_id, key_json FROM attempt_questions WHERE attempt_id = $1")
            .bind(view.attempt_id)
            .fetch_all(&server.server.state.db.read)
            .await
            .unwrap();
    for (seq, (question_id, key_json)) in keys.iter().enumerate() {
        let key: AnswerKey = serde_json::from_str(key_json).unwrap();
        let response = if right {
            correct(&key)
        } else {
            Response::ShortText("no idea".into())
        };
        let body = serde_json::json!({"attempt_id": view.attempt_id, "question_id": question_id,
            "response": response, "client_seq": seq as i64 + 1});
        let saved = client
            .post(server.url(SaveQuizAnswer::PATH))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 200);
    }
    let (status, result) = invoke::<SubmitResult>(
        client,
        server,
        SubmitQuiz::PATH,
        &[("attempt_id", &view.attempt_id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    result.unwrap()
}

/// Takes every step of a path in order, passing its quiz (after one failed attempt when
/// `fail_first`), until the path is complete.
pub async fn walk_path(client: &reqwest::Client, server: &TestServer, path: i64, fail_first: bool) {
    let mut failed_once = !fail_first;
    for _ in 0..50 {
        let data = player(client, server, path, None).await;
        let Some(next) = data
            .path
            .steps
            .iter()
            .find(|s| s.state == StepState::Available)
        else {
            assert!(
                data.path
                    .steps
                    .iter()
                    .all(|s| s.state == StepState::Done || !s.required),
                "no step to take, yet the path is not done: {:?}",
                data.path.steps
            );
            return;
        };
        let step = next.step_id.to_string();
        match next.kind {
            StepKind::Document => {
                let (status, done) = step_call(
                    client,
                    server,
                    CompleteDocument::PATH,
                    &[("step_id", &step)],
                )
                .await;
                assert_eq!(status, 200, "{done:?}");
            }
            StepKind::Survey => {
                let (status, done) = step_call(
                    client,
                    server,
                    AnswerSurvey::PATH,
                    &[("step_id", &step), ("rating", "5"), ("comment", "")],
                )
                .await;
                assert_eq!(status, 200, "{done:?}");
            }
            StepKind::Quiz => {
                let (status, view) = start_quiz(client, server, next.step_id).await;
                assert_eq!(status, 200, "{view:?}");
                let passed = take_attempt(client, server, &view.unwrap(), failed_once).await;
                assert_eq!(passed.passed, failed_once, "{passed:?}");
                failed_once = true;
            }
            other => panic!("walk_path does not take {other:?} steps"),
        }
    }
    panic!("the path never completed");
}
