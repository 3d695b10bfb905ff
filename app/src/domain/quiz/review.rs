//! What a learner sees of a submitted attempt, limited by the quiz's review setting.
use super::attempts::ReviewLevel;
use super::content::QuestionContent;
use super::grading::{grade, AnswerKey, Outcome, Response};
use serde::{Deserialize, Serialize};

/// Per-question feedback written by the author. Stored beside the answer key and, like it,
/// only sent to the browser after submission, as the review level allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionFeedback {
    /// Why the right answer is right.
    pub explanation: String,
    pub if_correct: String,
    pub if_incorrect: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewOutcome {
    Correct,
    PartiallyCorrect,
    Incorrect,
    Unanswered,
}

impl From<Outcome> for ReviewOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Correct => ReviewOutcome::Correct,
            Outcome::PartiallyCorrect => ReviewOutcome::PartiallyCorrect,
            Outcome::Incorrect => ReviewOutcome::Incorrect,
            Outcome::Unanswered => ReviewOutcome::Unanswered,
        }
    }
}

/// One question of a submitted attempt, as far as the learner may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionReview {
    pub question_id: i64,
    pub prompt: String,
    /// The learner's own answer, in words.
    pub your_answer: String,
    /// Present from `Correctness` on.
    pub outcome: Option<ReviewOutcome>,
    /// Feedback for the outcome; present from `Correctness` on.
    pub feedback: Option<String>,
    /// The right answer in words and the explanation; present at `CorrectAnswers` only.
    pub correct_answer: Option<String>,
    pub explanation: Option<String>,
}

/// The topics to study before another attempt: the tags of every question not answered
/// fully right, the most missed first (then by name), each once. Tags name topics, not
/// answers, so they may be shown at any review level.
pub fn topics_to_review<'a>(
    questions: impl IntoIterator<Item = (&'a [String], ReviewOutcome)>,
) -> Vec<String> {
    let mut missed: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (tags, outcome) in questions {
        if outcome == ReviewOutcome::Correct {
            continue;
        }
        for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            *missed.entry(tag).or_default() += 1;
        }
    }
    let mut topics: Vec<(&str, usize)> = missed.into_iter().collect();
    topics.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    topics.into_iter().map(|(tag, _)| tag.to_owned()).collect()
}

/// Builds the review of one question at the allowed level.
pub fn review_question(
    question_id: i64,
    content: &QuestionContent,
    key: &AnswerKey,
    feedback: &QuestionFeedback,
    response: Option<&Response>,
    level: ReviewLevel,
) -> QuestionReview {
    let outcome: ReviewOutcome = grade(key, response).outcome.into();
    let shows_correctness = level >= ReviewLevel::Correctness;
    let shows_answers = level >= ReviewLevel::CorrectAnswers;
    let feedback_text = match outcome {
        ReviewOutcome::Correct => &feedback.if_correct,
        _ => &feedback.if_incorrect,
    };
    QuestionReview {
        question_id,
        prompt: content.prompt.clone(),
        your_answer: response
            .map(|r| describe_response(content, r))
            .unwrap_or_else(|| "No answer".to_string()),
        outcome: shows_correctness.then_some(outcome),
        feedback: (shows_correctness && !feedback_text.is_empty()).then(|| feedback_text.clone()),
        correct_answer: shows_answers.then(|| describe_key(content, key)),
        explanation: (shows_answers && !feedback.explanation.is_empty())
            .then(|| feedback.explanation.clone()),
    }
}

fn choice_text(choices: &[super::content::Choice], id: u32) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.text.clone())
        .unwrap_or_else(|| "(unknown option)".to_string())
}

fn option_text(content: &QuestionContent, id: u32) -> String {
    choice_text(&content.options, id)
}

fn target_text(content: &QuestionContent, id: u32) -> String {
    choice_text(&content.targets, id)
}

fn yes_no(value: bool) -> String {
    if value { "True" } else { "False" }.to_string()
}

/// A response in words, e.g. "B; C" or "1. Discover → 2. Demo".
pub fn describe_response(content: &QuestionContent, response: &Response) -> String {
    let described = match response {
        Response::SingleChoice(id) => option_text(content, *id),
        Response::MultipleChoice(ids) => listed(content, ids.iter()),
        Response::TrueFalse(value) => yes_no(*value),
        Response::Ordering(ids) => numbered(ids.iter().map(|id| option_text(content, *id))),
        Response::Matching(pairs) => matched(content, pairs),
        Response::ShortText(text) | Response::Numeric(text) => text.trim().to_string(),
    };
    if described.is_empty() {
        "No answer".to_string()
    } else {
        described
    }
}

/// Options by id, in words, separated by semicolons.
fn listed<'a>(content: &QuestionContent, ids: impl Iterator<Item = &'a u32>) -> String {
    ids.map(|id| option_text(content, *id))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Matching pairs in words: "left → right; …".
fn matched(content: &QuestionContent, pairs: &std::collections::BTreeMap<u32, u32>) -> String {
    pairs
        .iter()
        .map(|(left, right)| {
            format!(
                "{} → {}",
                option_text(content, *left),
                target_text(content, *right)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The right answer in words.
pub fn describe_key(content: &QuestionContent, key: &AnswerKey) -> String {
    match key {
        AnswerKey::SingleChoice { correct, .. } => option_text(content, *correct),
        AnswerKey::MultipleChoice { correct, .. } => listed(content, correct.iter()),
        AnswerKey::TrueFalse { correct } => yes_no(*correct),
        AnswerKey::Ordering { correct_order } => {
            numbered(correct_order.iter().map(|id| option_text(content, *id)))
        }
        AnswerKey::Matching { pairs } => matched(content, pairs),
        AnswerKey::ShortText { accepted } => accepted.join(" or "),
        AnswerKey::Numeric { value, tolerance } if *tolerance > 0.0 => {
            format!("{value} (± {tolerance})")
        }
        AnswerKey::Numeric { value, .. } => value.to_string(),
    }
}

fn numbered(items: impl Iterator<Item = String>) -> String {
    items
        .enumerate()
        .map(|(i, text)| format!("{}. {text}", i + 1))
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::super::content::{Choice, QuestionKind};
    use super::super::grading::MultiScoring;
    use super::*;
    use std::collections::BTreeMap;

    fn choices(texts: &[&str]) -> Vec<Choice> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Choice {
                id: i as u32 + 1,
                text: t.to_string(),
            })
            .collect()
    }

    fn single() -> (QuestionContent, AnswerKey, QuestionFeedback) {
        (
            QuestionContent {
                kind: QuestionKind::SingleChoice,
                prompt: "Pick B".into(),
                options: choices(&["A", "B", "C"]),
                targets: vec![],
            },
            AnswerKey::SingleChoice {
                options: vec![1, 2, 3],
                correct: 2,
            },
            QuestionFeedback {
                explanation: "B is the letter after A.".into(),
                if_correct: "Well done.".into(),
                if_incorrect: "Not quite.".into(),
            },
        )
    }

    #[test]
    fn score_only_reveals_nothing_but_the_learners_own_answer() {
        let (content, key, feedback) = single();
        let review = review_question(
            7,
            &content,
            &key,
            &feedback,
            Some(&Response::SingleChoice(1)),
            ReviewLevel::ScoreOnly,
        );
        assert_eq!(review.your_answer, "A");
        assert_eq!(review.outcome, None);
        assert_eq!(review.feedback, None);
        assert_eq!(review.correct_answer, None);
        assert_eq!(review.explanation, None);
    }

    #[test]
    fn correctness_adds_outcome_and_feedback_but_not_the_answer() {
        let (content, key, feedback) = single();
        let wrong = review_question(
            7,
            &content,
            &key,
            &feedback,
            Some(&Response::SingleChoice(3)),
            ReviewLevel::Correctness,
        );
        assert_eq!(wrong.outcome, Some(ReviewOutcome::Incorrect));
        assert_eq!(wrong.feedback.as_deref(), Some("Not quite."));
        assert_eq!(wrong.correct_answer, None);
        let right = review_question(
            7,
            &content,
            &key,
            &feedback,
            Some(&Response::SingleChoice(2)),
            ReviewLevel::Correctness,
        );
        assert_eq!(right.outcome, Some(ReviewOutcome::Correct));
        assert_eq!(right.feedback.as_deref(), Some("Well done."));
    }

    #[test]
    fn correct_answers_level_shows_key_and_explanation() {
        let (content, key, feedback) = single();
        let review = review_question(
            7,
            &content,
            &key,
            &feedback,
            None,
            ReviewLevel::CorrectAnswers,
        );
        assert_eq!(review.your_answer, "No answer");
        assert_eq!(review.outcome, Some(ReviewOutcome::Unanswered));
        assert_eq!(review.correct_answer.as_deref(), Some("B"));
        assert_eq!(
            review.explanation.as_deref(),
            Some("B is the letter after A.")
        );
    }

    #[test]
    fn every_kind_of_key_and_response_is_described_in_words() {
        let content = QuestionContent {
            kind: QuestionKind::Matching,
            prompt: "p".into(),
            options: choices(&["Discover", "Demo", "Close"]),
            targets: choices(&["first", "second", "third"]),
        };
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::Ordering {
                    correct_order: vec![1, 2, 3]
                }
            ),
            "1. Discover → 2. Demo → 3. Close"
        );
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::Matching {
                    pairs: BTreeMap::from([(1, 1), (2, 2)])
                }
            ),
            "Discover → first; Demo → second"
        );
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::MultipleChoice {
                    options: vec![1, 2, 3],
                    correct: [1, 3].into(),
                    scoring: MultiScoring::Partial
                }
            ),
            "Discover; Close"
        );
        assert_eq!(
            describe_key(&content, &AnswerKey::TrueFalse { correct: false }),
            "False"
        );
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::ShortText {
                    accepted: vec!["CRM".into(), "customer relationship management".into()]
                }
            ),
            "CRM or customer relationship management"
        );
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::Numeric {
                    value: 90.0,
                    tolerance: 0.0
                }
            ),
            "90"
        );
        assert_eq!(
            describe_key(
                &content,
                &AnswerKey::Numeric {
                    value: 2.5,
                    tolerance: 0.5
                }
            ),
            "2.5 (± 0.5)"
        );
        assert_eq!(
            describe_response(&content, &Response::SingleChoice(99)),
            "(unknown option)"
        );
        assert_eq!(
            describe_response(&content, &Response::ShortText("   ".into())),
            "No answer"
        );
        assert_eq!(
            describe_response(&content, &Response::Matching(BTreeMap::from([(3, 3)]))),
            "Close → third"
        );
    }

    #[test]
    fn topics_to_review_are_the_missed_questions_tags_most_missed_first() {
        use super::{topics_to_review, ReviewOutcome::*};
        let tags = |list: &[&str]| list.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let (a, b, c, d) = (
            tags(&["pricing", "discounts"]),
            tags(&["discounts", " "]),
            tags(&["security"]),
            tags(&[]),
        );
        let topics = topics_to_review([
            (a.as_slice(), Incorrect),
            (b.as_slice(), Unanswered),
            (c.as_slice(), Correct),
            (d.as_slice(), PartiallyCorrect),
        ]);
        assert_eq!(topics, vec!["discounts", "pricing"]);
        assert!(topics_to_review([(c.as_slice(), Correct)]).is_empty());
    }
}
