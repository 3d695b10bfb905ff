//! Scores a learner's response to one question. Scores are fractions in `0.0..=1.0`.
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

/// Identifies an option (choice, ordering item, matching side) within one question.
pub type OptionId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MultiScoring {
    /// Full marks only for exactly the correct set.
    AllOrNothing,
    /// Each correct pick earns a share; each wrong pick costs a share (never below zero).
    Partial,
}

/// What a correct answer is. Stored server-side only: no type sent to the browser contains
/// one (the browser gets `content::QuestionContent`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AnswerKey {
    SingleChoice {
        options: Vec<OptionId>,
        correct: OptionId,
    },
    MultipleChoice {
        options: Vec<OptionId>,
        correct: BTreeSet<OptionId>,
        scoring: MultiScoring,
    },
    TrueFalse {
        correct: bool,
    },
    /// Items in their correct order.
    Ordering {
        correct_order: Vec<OptionId>,
    },
    /// Each left item's correct right item; one mark share per pair.
    Matching {
        pairs: BTreeMap<OptionId, OptionId>,
    },
    /// Accepted answers, compared after normalising case, width and whitespace.
    ShortText {
        accepted: Vec<String>,
    },
    /// Correct if within `tolerance` of `value` (bounds included).
    Numeric {
        value: f64,
        tolerance: f64,
    },
}

/// What the learner answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Response {
    SingleChoice(OptionId),
    MultipleChoice(BTreeSet<OptionId>),
    TrueFalse(bool),
    Ordering(Vec<OptionId>),
    Matching(BTreeMap<OptionId, OptionId>),
    ShortText(String),
    /// As typed, so the server decides how to read it.
    Numeric(String),
}

/// The most characters a typed answer may have: short-text answers are words or a phrase,
/// numbers a few digits. Longer ones are refused, not stored.
pub const MAX_TYPED_ANSWER_CHARS: usize = 500;
/// The most picks, items or pairs one answer may name (no question has more options).
pub const MAX_ANSWER_PARTS: usize = 100;

impl Response {
    /// Why this answer is too large to store, if it is.
    pub fn size_problem(&self) -> Option<String> {
        let parts = match self {
            Response::SingleChoice(_) | Response::TrueFalse(_) => 0,
            Response::MultipleChoice(picked) => picked.len(),
            Response::Ordering(order) => order.len(),
            Response::Matching(pairs) => pairs.len(),
            Response::ShortText(text) | Response::Numeric(text) => {
                return (text.chars().count() > MAX_TYPED_ANSWER_CHARS)
                    .then(|| format!("Keep the answer under {MAX_TYPED_ANSWER_CHARS} characters."))
            }
        };
        (parts > MAX_ANSWER_PARTS)
            .then(|| format!("An answer names at most {MAX_ANSWER_PARTS} options."))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Correct,
    PartiallyCorrect,
    Incorrect,
    Unanswered,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub score: f64,
    pub outcome: Outcome,
}

impl Grade {
    fn from_score(score: f64) -> Grade {
        let score = score.clamp(0.0, 1.0);
        let outcome = if score >= 1.0 - 1e-9 {
            Outcome::Correct
        } else if score > 0.0 {
            Outcome::PartiallyCorrect
        } else {
            Outcome::Incorrect
        };
        Grade { score, outcome }
    }

    const UNANSWERED: Grade = Grade {
        score: 0.0,
        outcome: Outcome::Unanswered,
    };

    fn all_or_nothing(correct: bool) -> Grade {
        Grade::from_score(if correct { 1.0 } else { 0.0 })
    }
}

/// Grades one response. A response of the wrong kind for the question scores zero: the
/// browser cannot earn marks by sending a different shape.
pub fn grade(key: &AnswerKey, response: Option<&Response>) -> Grade {
    let Some(response) = response else {
        return Grade::UNANSWERED;
    };
    match (key, response) {
        (AnswerKey::SingleChoice { correct, .. }, Response::SingleChoice(choice)) => {
            Grade::all_or_nothing(choice == correct)
        }
        (
            AnswerKey::MultipleChoice {
                options,
                correct,
                scoring,
            },
            Response::MultipleChoice(picked),
        ) => {
            if picked.is_empty() {
                return Grade::UNANSWERED;
            }
            grade_multiple(options, correct, *scoring, picked)
        }
        (AnswerKey::TrueFalse { correct }, Response::TrueFalse(answer)) => {
            Grade::all_or_nothing(answer == correct)
        }
        (AnswerKey::Ordering { correct_order }, Response::Ordering(order)) => {
            if order.is_empty() {
                return Grade::UNANSWERED;
            }
            Grade::all_or_nothing(order == correct_order)
        }
        (AnswerKey::Matching { pairs }, Response::Matching(given)) => {
            if given.is_empty() {
                return Grade::UNANSWERED;
            }
            if pairs.is_empty() {
                return Grade::from_score(0.0);
            }
            let right = pairs
                .iter()
                .filter(|(left, target)| given.get(left) == Some(target))
                .count();
            Grade::from_score(right as f64 / pairs.len() as f64)
        }
        (AnswerKey::ShortText { accepted }, Response::ShortText(text)) => {
            let answer = normalize_text(text);
            if answer.is_empty() {
                return Grade::UNANSWERED;
            }
            Grade::all_or_nothing(accepted.iter().any(|a| normalize_text(a) == answer))
        }
        (AnswerKey::Numeric { value, tolerance }, Response::Numeric(text)) => {
            if text.trim().is_empty() {
                return Grade::UNANSWERED;
            }
            match parse_number(text) {
                Some(number) => Grade::all_or_nothing(within_tolerance(number, *value, *tolerance)),
                None => Grade::from_score(0.0),
            }
        }
        _ => Grade::from_score(0.0),
    }
}

fn grade_multiple(
    options: &[OptionId],
    correct: &BTreeSet<OptionId>,
    scoring: MultiScoring,
    picked: &BTreeSet<OptionId>,
) -> Grade {
    match scoring {
        MultiScoring::AllOrNothing => Grade::all_or_nothing(picked == correct),
        MultiScoring::Partial => {
            if correct.is_empty() {
                return Grade::from_score(0.0);
            }
            let hits = picked.intersection(correct).count() as f64;
            // Picks of ids that are not options at all count as wrong picks.
            let wrong_picks = picked.difference(correct).count() as f64;
            let wrong_options = options
                .iter()
                .filter(|o| !correct.contains(o))
                .count()
                .max(1) as f64;
            Grade::from_score(hits / correct.len() as f64 - wrong_picks / wrong_options)
        }
    }
}

/// Compatibility-normalised, lower-cased, with runs of whitespace collapsed to one space.
pub fn normalize_text(text: &str) -> String {
    let folded: String = text.nfkc().collect::<String>().to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a typed number: `1234.5`, `-3`, `1e3`, or a decimal comma (`3,5`) when no point is
/// present. Thousands separators, NaN and infinities are refused.
pub fn parse_number(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let normalized = if !trimmed.contains('.') && trimmed.matches(',').count() == 1 {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_string()
    };
    let plain = normalized
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !plain {
        return None;
    }
    normalized.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Inclusive bounds, with a tiny allowance for binary floating point (0.1 + 0.2).
pub fn within_tolerance(answer: f64, expected: f64, tolerance: f64) -> bool {
    let slack = 1e-9 * expected.abs().max(1.0);
    (answer - expected).abs() <= tolerance.abs() + slack
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_answers_are_named() {
        assert!(Response::ShortText("x".repeat(500))
            .size_problem()
            .is_none());
        assert!(Response::ShortText("x".repeat(501))
            .size_problem()
            .is_some());
        assert!(Response::Numeric("9".repeat(2_000_000))
            .size_problem()
            .is_some());
        assert!(Response::Ordering((0..101).collect())
            .size_problem()
            .is_some());
        assert!(Response::SingleChoice(7).size_problem().is_none());
    }

    fn set(ids: &[OptionId]) -> BTreeSet<OptionId> {
        ids.iter().copied().collect()
    }

    fn multiple(scoring: MultiScoring) -> AnswerKey {
        AnswerKey::MultipleChoice {
            options: vec![1, 2, 3, 4],
            correct: set(&[1, 2]),
            scoring,
        }
    }

    #[test]
    fn unanswered_questions_score_zero_and_say_so() {
        assert_eq!(
            grade(&AnswerKey::TrueFalse { correct: true }, None),
            Grade::UNANSWERED
        );
        assert_eq!(
            grade(
                &multiple(MultiScoring::Partial),
                Some(&Response::MultipleChoice(set(&[])))
            )
            .outcome,
            Outcome::Unanswered
        );
        assert_eq!(
            grade(
                &AnswerKey::ShortText {
                    accepted: vec!["x".into()]
                },
                Some(&Response::ShortText("  \t ".into()))
            )
            .outcome,
            Outcome::Unanswered
        );
        assert_eq!(
            grade(
                &AnswerKey::Numeric {
                    value: 1.0,
                    tolerance: 0.0
                },
                Some(&Response::Numeric(" ".into()))
            )
            .outcome,
            Outcome::Unanswered
        );
        assert_eq!(
            grade(
                &AnswerKey::Ordering {
                    correct_order: vec![1, 2]
                },
                Some(&Response::Ordering(vec![]))
            )
            .outcome,
            Outcome::Unanswered
        );
        assert_eq!(
            grade(
                &AnswerKey::Matching {
                    pairs: BTreeMap::from([(1, 2)])
                },
                Some(&Response::Matching(BTreeMap::new()))
            )
            .outcome,
            Outcome::Unanswered
        );
    }

    #[test]
    fn single_choice_and_true_false() {
        let key = AnswerKey::SingleChoice {
            options: vec![1, 2, 3],
            correct: 2,
        };
        assert_eq!(
            grade(&key, Some(&Response::SingleChoice(2))).outcome,
            Outcome::Correct
        );
        assert_eq!(
            grade(&key, Some(&Response::SingleChoice(3))).outcome,
            Outcome::Incorrect
        );
        assert_eq!(
            grade(&key, Some(&Response::SingleChoice(99))).score,
            0.0,
            "not an option"
        );
        let key = AnswerKey::TrueFalse { correct: false };
        assert_eq!(grade(&key, Some(&Response::TrueFalse(false))).score, 1.0);
        assert_eq!(grade(&key, Some(&Response::TrueFalse(true))).score, 0.0);
    }

    #[test]
    fn a_response_of_the_wrong_kind_scores_nothing() {
        let key = AnswerKey::TrueFalse { correct: true };
        assert_eq!(
            grade(&key, Some(&Response::SingleChoice(1))).outcome,
            Outcome::Incorrect
        );
        let key = AnswerKey::SingleChoice {
            options: vec![1],
            correct: 1,
        };
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(set(&[1])))).score,
            0.0
        );
    }

    #[test]
    fn multiple_choice_all_or_nothing() {
        let key = multiple(MultiScoring::AllOrNothing);
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(set(&[1, 2])))).score,
            1.0
        );
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(set(&[1])))).score,
            0.0
        );
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(set(&[1, 2, 3])))).score,
            0.0
        );
    }

    #[test]
    fn multiple_choice_partial_credit_rewards_hits_and_penalises_wrong_picks() {
        let key = multiple(MultiScoring::Partial);
        let score = |ids: &[OptionId]| grade(&key, Some(&Response::MultipleChoice(set(ids)))).score;
        assert_eq!(score(&[1, 2]), 1.0);
        assert_eq!(score(&[1]), 0.5);
        assert_eq!(score(&[1, 2, 3]), 0.5);
        assert_eq!(score(&[1, 3]), 0.0);
        assert_eq!(score(&[3, 4]), 0.0, "never below zero");
        assert_eq!(
            score(&[1, 2, 3, 4]),
            0.0,
            "ticking everything earns nothing"
        );
        assert_eq!(
            score(&[1, 2, 77]),
            0.5,
            "ids that are not options count as wrong picks"
        );
        assert_eq!(
            grade(&key, Some(&Response::MultipleChoice(set(&[1])))).outcome,
            Outcome::PartiallyCorrect
        );
    }

    #[test]
    fn ordering_must_match_exactly() {
        let key = AnswerKey::Ordering {
            correct_order: vec![3, 1, 2],
        };
        assert_eq!(
            grade(&key, Some(&Response::Ordering(vec![3, 1, 2]))).score,
            1.0
        );
        assert_eq!(
            grade(&key, Some(&Response::Ordering(vec![1, 3, 2]))).score,
            0.0
        );
        assert_eq!(
            grade(&key, Some(&Response::Ordering(vec![3, 1]))).score,
            0.0,
            "missing items"
        );
        assert_eq!(
            grade(&key, Some(&Response::Ordering(vec![3, 1, 2, 2]))).score,
            0.0,
            "extra items"
        );
    }

    #[test]
    fn matching_gives_a_share_per_correct_pair() {
        let key = AnswerKey::Matching {
            pairs: BTreeMap::from([(1, 10), (2, 20), (3, 30), (4, 40)]),
        };
        let score = |given: &[(OptionId, OptionId)]| {
            grade(
                &key,
                Some(&Response::Matching(given.iter().copied().collect())),
            )
            .score
        };
        assert_eq!(score(&[(1, 10), (2, 20), (3, 30), (4, 40)]), 1.0);
        assert_eq!(score(&[(1, 10), (2, 30), (3, 20), (4, 40)]), 0.5);
        assert_eq!(
            score(&[(1, 10), (9, 90)]),
            0.25,
            "unknown left items are ignored"
        );
        assert_eq!(score(&[(1, 20), (2, 10)]), 0.0);
    }

    #[test]
    fn short_text_ignores_case_width_and_spacing() {
        let key = AnswerKey::ShortText {
            accepted: vec!["Single Sign-On".into(), "SSO".into()],
        };
        let correct = |text: &str| {
            grade(&key, Some(&Response::ShortText(text.into()))).outcome == Outcome::Correct
        };
        assert!(correct("single sign-on"));
        assert!(correct("  SINGLE   sign-on\n"));
        assert!(correct("ｓｓｏ"), "full-width letters");
        assert!(!correct("single signon"));
        assert!(!correct("SSO2"));
        let key = AnswerKey::ShortText {
            accepted: vec!["Straße".into(), "café".into()],
        };
        assert!(grade(&key, Some(&Response::ShortText("STRAßE".into()))).score == 1.0);
        assert!(
            grade(&key, Some(&Response::ShortText("cafe\u{301}".into()))).score == 1.0,
            "combining accent"
        );
    }

    #[test]
    fn numbers_are_read_leniently_but_safely() {
        assert_eq!(parse_number(" 42 "), Some(42.0));
        assert_eq!(parse_number("-3.5"), Some(-3.5));
        assert_eq!(parse_number("3,5"), Some(3.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        for bad in [
            "1,000.5",
            "1,000,000",
            "NaN",
            "inf",
            "12abc",
            "",
            "0x10",
            "½",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numeric_tolerance_bounds_are_inclusive() {
        let key = AnswerKey::Numeric {
            value: 99.9,
            tolerance: 0.1,
        };
        let score = |text: &str| grade(&key, Some(&Response::Numeric(text.into()))).score;
        assert_eq!(score("99.9"), 1.0);
        assert_eq!(score("99.8"), 1.0);
        assert_eq!(score("100.0"), 1.0);
        assert_eq!(score("100.01"), 0.0);
        assert_eq!(score("99.79"), 0.0);
        assert_eq!(score("lots"), 0.0);
        assert!(
            within_tolerance(0.1 + 0.2, 0.3, 0.0),
            "float error is not a wrong answer"
        );
        assert!(
            within_tolerance(5.0, 5.0, -1.0),
            "a negative tolerance acts as its size"
        );
    }
}
