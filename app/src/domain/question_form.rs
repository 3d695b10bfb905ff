//! A question written through a form of its kind instead of JSON: rows of options with
//! their correct marks, items in their right order, matching pairs, accepted answers or a
//! number with its tolerance. Read into the export format with every mistake named at its
//! field, and checked by the same rules as an import.
use super::quiz::content::{Choice, QuestionContent, QuestionKind};
use super::quiz::grading::{AnswerKey, MultiScoring};
use super::quiz::review::QuestionFeedback;
use super::transfer::{check_question, QuestionExport};
use super::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Rows each form offers for options, items or pairs.
pub const FORM_ROWS: usize = 6;
/// Longest prompt, option, answer or feedback, in characters.
pub const MAX_QUESTION_TEXT_CHARS: usize = 1_000;

/// Every kind's fields as typed (`question[field]`); rows are keyed by their number
/// ("1" to "6"), so a form posts them as `question[options][3]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionForm {
    pub prompt: String,
    /// Choices, ordering items (in their right order) or the left side of pairs.
    pub options: BTreeMap<String, String>,
    /// The right side of matching pairs, by row.
    pub targets: BTreeMap<String, String>,
    /// Ticked rows of a multiple-choice question.
    pub correct: BTreeMap<String, String>,
    /// The right row of a single-choice question.
    pub correct_option: String,
    /// "true" or "false".
    pub true_false: String,
    /// Accepted short answers, one per line.
    pub accepted: String,
    pub value: String,
    pub tolerance: String,
    /// "true" to give a share of the marks per right pick (multiple choice).
    pub partial: String,
    pub explanation: String,
    pub if_correct: String,
    pub if_incorrect: String,
    /// Comma separated.
    pub tags: String,
    pub weight: String,
}

/// The kinds as the forms name them, in the order they are offered.
pub const KINDS: [(QuestionKind, &str, &str); 7] = [
    (QuestionKind::SingleChoice, "single", "Single choice"),
    (QuestionKind::MultipleChoice, "multiple", "Multiple choice"),
    (QuestionKind::TrueFalse, "true-false", "True or false"),
    (QuestionKind::Ordering, "ordering", "Put in order"),
    (QuestionKind::Matching, "matching", "Matching pairs"),
    (QuestionKind::ShortText, "short", "Short answer"),
    (QuestionKind::Numeric, "numeric", "Number"),
];

pub fn kind_label(kind: QuestionKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map_or("Question", |(_, _, label)| label)
}

fn text(value: &str, field: &str, problems: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.chars().count() > MAX_QUESTION_TEXT_CHARS {
        problems.push(FieldError::new(
            field,
            format!("Keep this under {MAX_QUESTION_TEXT_CHARS} characters."),
        ));
    }
    value.to_string()
}

impl QuestionForm {
    /// The filled rows of `column`, in row order, numbered from 1 as they are kept.
    fn rows(
        column: &BTreeMap<String, String>,
        field: &str,
        problems: &mut Vec<FieldError>,
    ) -> Vec<(usize, String)> {
        (1..=FORM_ROWS)
            .filter_map(|row| {
                let value = text(
                    column.get(&row.to_string()).map_or("", String::as_str),
                    field,
                    problems,
                );
                (!value.is_empty()).then_some((row, value))
            })
            .collect()
    }

    /// The question in the export format, or every problem at its field.
    pub fn to_export(&self, kind: QuestionKind) -> Result<QuestionExport, Vec<FieldError>> {
        let mut problems = Vec::new();
        let prompt = text(&self.prompt, "prompt", &mut problems);
        if prompt.is_empty() {
            problems.push(FieldError::new("prompt", "Write the question."));
        }
        let choices = |rows: &[(usize, String)]| -> Vec<Choice> {
            rows.iter()
                .enumerate()
                .map(|(i, (_, text))| Choice {
                    id: i as u32 + 1,
                    text: text.clone(),
                })
                .collect()
        };
        let mut options = Vec::new();
        let mut targets = Vec::new();
        let key = match kind {
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                let rows = Self::rows(&self.options, "options", &mut problems);
                if rows.len() < 2 {
                    problems.push(FieldError::new("options", "Give at least two options."));
                }
                options = choices(&rows);
                let id_of_row = |row: usize| {
                    rows.iter()
                        .position(|(r, _)| *r == row)
                        .map(|i| i as u32 + 1)
                };
                let ids: Vec<u32> = options.iter().map(|c| c.id).collect();
                if kind == QuestionKind::SingleChoice {
                    let correct = self
                        .correct_option
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .and_then(id_of_row);
                    if correct.is_none() {
                        problems.push(FieldError::new(
                            "correct",
                            "Mark the right answer (an option with text).",
                        ));
                    }
                    AnswerKey::SingleChoice {
                        options: ids,
                        correct: correct.unwrap_or(1),
                    }
                } else {
                    let correct: BTreeSet<u32> = self
                        .correct
                        .iter()
                        .filter(|(_, ticked)| !ticked.trim().is_empty())
                        .filter_map(|(row, _)| row.parse::<usize>().ok().and_then(id_of_row))
                        .collect();
                    if correct.is_empty() {
                        problems.push(FieldError::new(
                            "correct",
                            "Tick every right answer (at least one option with text).",
                        ));
                    }
                    AnswerKey::MultipleChoice {
                        options: ids,
                        correct,
                        scoring: if self.partial.trim().is_empty() {
                            MultiScoring::AllOrNothing
                        } else {
                            MultiScoring::Partial
                        },
                    }
                }
            }
            QuestionKind::TrueFalse => match self.true_false.trim() {
                "true" => AnswerKey::TrueFalse { correct: true },
                "false" => AnswerKey::TrueFalse { correct: false },
                _ => {
                    problems.push(FieldError::new(
                        "true_false",
                        "Choose whether the statement is true or false.",
                    ));
                    AnswerKey::TrueFalse { correct: true }
                }
            },
            QuestionKind::Ordering => {
                let rows = Self::rows(&self.options, "options", &mut problems);
                if rows.len() < 2 {
                    problems.push(FieldError::new(
                        "options",
                        "Give at least two items, in their right order.",
                    ));
                }
                options = choices(&rows);
                AnswerKey::Ordering {
                    correct_order: options.iter().map(|c| c.id).collect(),
                }
            }
            QuestionKind::Matching => {
                let left = Self::rows(&self.options, "options", &mut problems);
                let right = Self::rows(&self.targets, "options", &mut problems);
                let left_rows: Vec<usize> = left.iter().map(|(r, _)| *r).collect();
                let right_rows: Vec<usize> = right.iter().map(|(r, _)| *r).collect();
                if left_rows != right_rows {
                    problems.push(FieldError::new(
                        "options",
                        "Fill in both sides of each pair you use.",
                    ));
                } else if left.len() < 2 {
                    problems.push(FieldError::new("options", "Give at least two pairs."));
                }
                options = choices(&left);
                targets = choices(&right);
                AnswerKey::Matching {
                    pairs: options.iter().map(|c| (c.id, c.id)).collect(),
                }
            }
            QuestionKind::ShortText => {
                let accepted: Vec<String> = self
                    .accepted
                    .lines()
                    .map(|line| text(line, "accepted", &mut problems))
                    .filter(|line| !line.is_empty())
                    .collect();
                if accepted.is_empty() {
                    problems.push(FieldError::new(
                        "accepted",
                        "Give at least one accepted answer, one per line.",
                    ));
                }
                AnswerKey::ShortText { accepted }
            }
            QuestionKind::Numeric => {
                let number = |value: &str| {
                    value
                        .trim()
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                };
                let value = number(&self.value);
                if value.is_none() {
                    problems.push(FieldError::new(
                        "value",
                        "Enter the right number, like 48 or 2.5.",
                    ));
                }
                let tolerance = if self.tolerance.trim().is_empty() {
                    Some(0.0)
                } else {
                    number(&self.tolerance).filter(|t| *t >= 0.0)
                };
                if tolerance.is_none() {
                    problems.push(FieldError::new(
                        "tolerance",
                        "Enter how far off an answer may be (0 for exactly), like 0.5.",
                    ));
                }
                AnswerKey::Numeric {
                    value: value.unwrap_or(0.0),
                    tolerance: tolerance.unwrap_or(0.0),
                }
            }
        };
        let weight = if self.weight.trim().is_empty() {
            Some(1.0)
        } else {
            self.weight
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w > 0.0 && *w <= 100.0)
        };
        if weight.is_none() {
            problems.push(FieldError::new(
                "weight",
                "Enter a weight above 0 and up to 100 (1 counts like most questions).",
            ));
        }
        let tags: Vec<String> = self
            .tags
            .split(',')
            .map(|t| text(t, "tags", &mut problems))
            .filter(|t| !t.is_empty())
            .collect();
        let feedback = QuestionFeedback {
            explanation: text(&self.explanation, "explanation", &mut problems),
            if_correct: text(&self.if_correct, "if_correct", &mut problems),
            if_incorrect: text(&self.if_incorrect, "if_incorrect", &mut problems),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let content = QuestionContent {
            kind,
            prompt,
            options,
            targets,
        };
        // The import's own rules, so a form can never save what an import would refuse.
        check_question(&content, &key)
            .map_err(|message| vec![FieldError::new("prompt", message)])?;
        Ok(QuestionExport {
            content,
            key,
            feedback,
            tags,
            weight: weight.unwrap_or(1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[(&str, &str)]) -> BTreeMap<String, String> {
        values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields(result: Result<QuestionExport, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn single_and_multiple_choice_skip_empty_rows_and_keep_the_marks_on_the_right_options() {
        let form = QuestionForm {
            prompt: " Who approves registrations? ".into(),
            options: rows(&[
                ("1", "The customer"),
                ("2", " "),
                ("3", "The partner manager"),
                ("4", "Nobody"),
            ]),
            correct_option: "3".into(),
            tags: "process, ,approvals".into(),
            ..QuestionForm::default()
        };
        let single = form.to_export(QuestionKind::SingleChoice).unwrap();
        assert_eq!(single.content.prompt, "Who approves registrations?");
        assert_eq!(
            single
                .content
                .options
                .iter()
                .map(|c| (c.id, c.text.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (1, "The customer"),
                (2, "The partner manager"),
                (3, "Nobody")
            ]
        );
        assert_eq!(
            single.key,
            AnswerKey::SingleChoice {
                options: vec![1, 2, 3],
                correct: 2
            }
        );
        assert_eq!(single.tags, vec!["process", "approvals"]);
        assert_eq!(single.weight, 1.0);

        // The mark on an empty row is no mark.
        let empty_mark = QuestionForm {
            correct_option: "2".into(),
            ..form.clone()
        };
        assert_eq!(
            fields(empty_mark.to_export(QuestionKind::SingleChoice)),
            vec!["correct"]
        );

        let multiple = QuestionForm {
            correct: rows(&[("1", "on"), ("4", "on"), ("2", "on")]),
            partial: "true".into(),
            ..form.clone()
        };
        let key = multiple
            .to_export(QuestionKind::MultipleChoice)
            .unwrap()
            .key;
        assert_eq!(
            key,
            AnswerKey::MultipleChoice {
                options: vec![1, 2, 3],
                correct: BTreeSet::from([1, 3]),
                scoring: MultiScoring::Partial
            }
        );
        let none = QuestionForm {
            correct: rows(&[]),
            ..form.clone()
        };
        assert_eq!(
            fields(none.to_export(QuestionKind::MultipleChoice)),
            vec!["correct"]
        );
        let one_option = QuestionForm {
            prompt: String::new(),
            options: rows(&[("1", "Alone")]),
            correct_option: "1".into(),
            ..QuestionForm::default()
        };
        assert_eq!(
            fields(one_option.to_export(QuestionKind::SingleChoice)),
            vec!["prompt", "options"]
        );
    }

    #[test]
    fn true_false_ordering_and_matching() {
        let statement = QuestionForm {
            prompt: "Protection lasts 90 days.".into(),
            true_false: "false".into(),
            ..QuestionForm::default()
        };
        assert_eq!(
            statement.to_export(QuestionKind::TrueFalse).unwrap().key,
            AnswerKey::TrueFalse { correct: false }
        );
        let unset = QuestionForm {
            true_false: String::new(),
            ..statement
        };
        assert_eq!(
            fields(unset.to_export(QuestionKind::TrueFalse)),
            vec!["true_false"]
        );

        let order = QuestionForm {
            prompt: "Put the stages in order.".into(),
            options: rows(&[("1", "Qualify"), ("2", "Propose"), ("4", "Close")]),
            ..QuestionForm::default()
        };
        let ordering = order.to_export(QuestionKind::Ordering).unwrap();
        assert_eq!(
            ordering.key,
            AnswerKey::Ordering {
                correct_order: vec![1, 2, 3]
            }
        );
        assert_eq!(ordering.content.options[2].text, "Close");

        let pairs = QuestionForm {
            prompt: "Match each tier to its discount.".into(),
            options: rows(&[("1", "Gold"), ("2", "Silver")]),
            targets: rows(&[("1", "20%"), ("2", "10%")]),
            ..QuestionForm::default()
        };
        let matching = pairs.to_export(QuestionKind::Matching).unwrap();
        assert_eq!(
            matching.key,
            AnswerKey::Matching {
                pairs: BTreeMap::from([(1, 1), (2, 2)])
            }
        );
        assert_eq!(matching.content.targets[1].text, "10%");
        let lopsided = QuestionForm {
            targets: rows(&[("1", "20%"), ("3", "5%")]),
            ..pairs
        };
        assert_eq!(
            fields(lopsided.to_export(QuestionKind::Matching)),
            vec!["options"]
        );
    }

    #[test]
    fn short_answers_numbers_weights_and_bounds() {
        let short = QuestionForm {
            prompt: "Name the CRM we sync to.".into(),
            accepted: "HubSpot\n\n  Hubspot CRM \n".into(),
            ..QuestionForm::default()
        };
        assert_eq!(
            short.to_export(QuestionKind::ShortText).unwrap().key,
            AnswerKey::ShortText {
                accepted: vec!["HubSpot".into(), "Hubspot CRM".into()]
            }
        );
        assert_eq!(
            fields(
                QuestionForm {
                    accepted: " \n".into(),
                    ..short.clone()
                }
                .to_export(QuestionKind::ShortText)
            ),
            vec!["accepted"]
        );
        let number = QuestionForm {
            prompt: "How many hours is the SLA?".into(),
            value: "48".into(),
            tolerance: "0,5".into(),
            weight: "2".into(),
            ..QuestionForm::default()
        };
        let numeric = number.to_export(QuestionKind::Numeric).unwrap();
        assert_eq!(
            numeric.key,
            AnswerKey::Numeric {
                value: 48.0,
                tolerance: 0.5
            }
        );
        assert_eq!(numeric.weight, 2.0);
        let bad = QuestionForm {
            value: "forty".into(),
            tolerance: "-1".into(),
            weight: "0".into(),
            ..number.clone()
        };
        assert_eq!(
            fields(bad.to_export(QuestionKind::Numeric)),
            vec!["value", "tolerance", "weight"]
        );
        let long = QuestionForm {
            prompt: "x".repeat(MAX_QUESTION_TEXT_CHARS + 1),
            ..number
        };
        assert_eq!(
            fields(long.to_export(QuestionKind::Numeric)),
            vec!["prompt"]
        );
        for (kind, _, label) in KINDS {
            assert_eq!(kind_label(kind), label);
        }
    }
}
