//! What a learner sees of a question, and how a quiz step is configured. These types are
//! safe to send to the browser: none of them holds an answer key.
use super::attempts::{QuizPolicy, ReviewLevel, ReviewWhen};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuestionKind {
    SingleChoice,
    MultipleChoice,
    TrueFalse,
    Ordering,
    Matching,
    ShortText,
    Numeric,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionContent {
    pub kind: QuestionKind,
    pub prompt: String,
    /// Choices, ordering items, or the left column of a matching question.
    #[serde(default)]
    pub options: Vec<Choice>,
    /// The right column of a matching question.
    #[serde(default)]
    pub targets: Vec<Choice>,
}

/// Settings of a quiz step, stored as its `config_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuizConfig {
    pub pass_mark_percent: u32,
    pub max_attempts: Option<u32>,
    pub cooldown_secs: i64,
    pub time_limit_secs: Option<i64>,
    /// Draw this many questions from the bank (all when `None`).
    pub draw_count: Option<usize>,
    /// Draw only questions with one of these tags (any when empty).
    pub draw_tags: Vec<String>,
    pub shuffle_options: bool,
    pub review_level: ReviewLevel,
    pub review_when: ReviewWhen,
}

impl Default for QuizConfig {
    fn default() -> Self {
        QuizConfig {
            pass_mark_percent: 80,
            max_attempts: None,
            cooldown_secs: 0,
            time_limit_secs: None,
            draw_count: None,
            draw_tags: Vec::new(),
            shuffle_options: true,
            review_level: ReviewLevel::Correctness,
            review_when: ReviewWhen::AfterEachAttempt,
        }
    }
}

impl QuizConfig {
    pub fn policy(&self) -> QuizPolicy {
        QuizPolicy {
            pass_mark_percent: self.pass_mark_percent,
            max_attempts: self.max_attempts,
            cooldown_ms: self.cooldown_secs.max(0) * 1000,
            time_limit_ms: self.time_limit_secs.map(|secs| secs.max(0) * 1000),
            review_level: self.review_level,
            review_when: self.review_when,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_partial_json_with_defaults() {
        let config: QuizConfig =
            serde_json::from_str(r#"{"pass_mark_percent": 70, "time_limit_secs": 600}"#).unwrap();
        assert_eq!(config.pass_mark_percent, 70);
        assert!(config.shuffle_options);
        let policy = config.policy();
        assert_eq!(policy.time_limit_ms, Some(600_000));
        assert_eq!(policy.cooldown_ms, 0);
    }

    #[test]
    fn negative_durations_are_treated_as_zero() {
        let config = QuizConfig {
            cooldown_secs: -5,
            time_limit_secs: Some(-1),
            ..QuizConfig::default()
        };
        assert_eq!(config.policy().cooldown_ms, 0);
        assert_eq!(config.policy().time_limit_ms, Some(0));
    }
}
