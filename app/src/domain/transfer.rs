//! The JSON format in which a whole learning path (steps and question bank) moves between
//! deployments, and the checks an import must pass before anything is written.
use super::learning::Audience;
use super::quiz::content::{QuestionContent, QuestionKind};
use super::quiz::grading::AnswerKey;
use super::quiz::review::QuestionFeedback;
use super::steps::{StepKind, StepSettings};
use super::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub const FORMAT: &str = "partner-portal/learning-path";
pub const FORMAT_VERSION: u32 = 1;
pub const MAX_STEPS: usize = 200;
pub const MAX_QUESTIONS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathExport {
    pub format: String,
    pub format_version: u32,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub estimated_minutes: i64,
    pub steps: Vec<StepExport>,
    #[serde(default)]
    pub questions: Vec<QuestionExport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepExport {
    pub kind: StepKind,
    pub title: String,
    #[serde(default = "yes")]
    pub required: bool,
    pub settings: serde_json::Value,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionExport {
    pub content: QuestionContent,
    pub key: AnswerKey,
    #[serde(default)]
    pub feedback: QuestionFeedback,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// Checks a path title: present and of sane length.
pub fn check_title(title: &str) -> Result<String, FieldError> {
    let title = title.trim();
    if title.is_empty() {
        Err(FieldError::new("title", "Give the path a title."))
    } else if title.chars().count() > 120 {
        Err(FieldError::new(
            "title",
            "Keep the title under 120 characters.",
        ))
    } else if let Some(problem) = crate::domain::validation::one_line_problem("title", title) {
        Err(problem)
    } else {
        Ok(title.to_string())
    }
}

/// Every problem in an import, located like `steps[2].join_url` or `questions[5]`.
pub fn import_problems(export: &PathExport) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if export.format != FORMAT || export.format_version != FORMAT_VERSION {
        problems.push(FieldError::new(
            "format",
            format!(
                "This is not a learning path export (expected {FORMAT} version {FORMAT_VERSION})."
            ),
        ));
        return problems;
    }
    if let Err(problem) = check_title(&export.title) {
        problems.push(problem);
    }
    if !(0..=10_000).contains(&export.estimated_minutes) {
        problems.push(FieldError::new(
            "estimated_minutes",
            "The estimated duration must be between 0 and 10,000 minutes.",
        ));
    }
    if export.steps.is_empty() || export.steps.len() > MAX_STEPS {
        problems.push(FieldError::new(
            "steps",
            format!("A path has between 1 and {MAX_STEPS} steps."),
        ));
    }
    if export.questions.len() > MAX_QUESTIONS {
        problems.push(FieldError::new(
            "questions",
            format!("A path has at most {MAX_QUESTIONS} questions."),
        ));
    }
    for (index, step) in export.steps.iter().enumerate() {
        let field = format!("steps[{index}].title");
        if step.title.trim().is_empty() {
            problems.push(FieldError::new(&field, "Give the step a title."));
        } else if step.title.trim().chars().count() > 120 {
            problems.push(FieldError::new(
                &field,
                "Keep the title under 120 characters.",
            ));
        } else {
            problems.extend(crate::domain::validation::one_line_problem(
                &field,
                &step.title,
            ));
        }
        match StepSettings::parse(step.kind, &step.settings.to_string()) {
            Ok(settings) => problems.extend(
                settings
                    .problems()
                    .into_iter()
                    .map(|p| FieldError::new(&format!("steps[{index}].{}", p.field), p.message)),
            ),
            Err(error) => problems.push(FieldError::new(
                &format!("steps[{index}].settings"),
                format!(
                    "These settings do not fit a {} step: {error}",
                    step.kind.label()
                ),
            )),
        }
    }
    let has_quiz = export.steps.iter().any(|s| s.kind == StepKind::Quiz);
    if has_quiz && export.questions.is_empty() {
        problems.push(FieldError::new(
            "questions",
            "A path with a quiz needs questions in its bank.",
        ));
    }
    for (index, question) in export.questions.iter().enumerate() {
        if let Err(message) = check_question(&question.content, &question.key) {
            problems.push(FieldError::new(&format!("questions[{index}]"), message));
        }
        if !(question.weight.is_finite() && question.weight > 0.0 && question.weight <= 100.0) {
            problems.push(FieldError::new(
                &format!("questions[{index}].weight"),
                "A question's weight is a number above 0 and at most 100.",
            ));
        }
    }
    problems
}

/// Whether a question's learner-facing content and its answer key fit together.
pub fn check_question(content: &QuestionContent, key: &AnswerKey) -> Result<(), String> {
    if content.prompt.trim().is_empty() {
        return Err("The question has no prompt.".into());
    }
    let option_ids: Vec<u32> = content.options.iter().map(|c| c.id).collect();
    let target_ids: Vec<u32> = content.targets.iter().map(|c| c.id).collect();
    let unique = |ids: &[u32]| ids.iter().collect::<BTreeSet<_>>().len() == ids.len();
    if !unique(&option_ids) || !unique(&target_ids) {
        return Err("Two options share an id.".into());
    }
    if content
        .options
        .iter()
        .chain(&content.targets)
        .any(|c| c.text.trim().is_empty())
    {
        return Err("An option has no text.".into());
    }
    let same_set = |a: &[u32], b: &[u32]| {
        a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
    };
    let fits = match (content.kind, key) {
        (QuestionKind::SingleChoice, AnswerKey::SingleChoice { options, correct }) => {
            option_ids.len() >= 2 && same_set(options, &option_ids) && option_ids.contains(correct)
        }
        (
            QuestionKind::MultipleChoice,
            AnswerKey::MultipleChoice {
                options, correct, ..
            },
        ) => {
            option_ids.len() >= 2
                && same_set(options, &option_ids)
                && !correct.is_empty()
                && correct.iter().all(|id| option_ids.contains(id))
        }
        (QuestionKind::TrueFalse, AnswerKey::TrueFalse { .. }) => true,
        (QuestionKind::Ordering, AnswerKey::Ordering { correct_order }) => {
            option_ids.len() >= 2
                && correct_order.len() == option_ids.len()
                && same_set(correct_order, &option_ids)
        }
        (QuestionKind::Matching, AnswerKey::Matching { pairs }) => {
            option_ids.len() >= 2
                && !target_ids.is_empty()
                && same_set(&pairs.keys().copied().collect::<Vec<_>>(), &option_ids)
                && pairs.values().all(|t| target_ids.contains(t))
        }
        (QuestionKind::ShortText, AnswerKey::ShortText { accepted }) => {
            !accepted.is_empty() && accepted.iter().all(|a| !a.trim().is_empty())
        }
        (QuestionKind::Numeric, AnswerKey::Numeric { value, tolerance }) => {
            value.is_finite() && tolerance.is_finite() && *tolerance >= 0.0
        }
        _ => return Err("The answer key is for a different kind of question.".into()),
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "The options and the answer key of this {:?} question do not match.",
            content.kind
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::quiz::content::Choice;
    use super::super::quiz::grading::MultiScoring;
    use super::*;
    use std::collections::BTreeMap;

    fn choices(n: u32) -> Vec<Choice> {
        (1..=n)
            .map(|id| Choice {
                id,
                text: format!("Option {id}"),
            })
            .collect()
    }

    fn content(kind: QuestionKind, options: u32, targets: u32) -> QuestionContent {
        QuestionContent {
            kind,
            prompt: "Prompt".into(),
            options: choices(options),
            targets: choices(targets),
        }
    }

    #[test]
    fn matching_keys_pass_and_mismatches_are_named() {
        let ok = [
            (
                content(QuestionKind::SingleChoice, 3, 0),
                AnswerKey::SingleChoice {
                    options: vec![1, 2, 3],
                    correct: 2,
                },
            ),
            (
                content(QuestionKind::MultipleChoice, 3, 0),
                AnswerKey::MultipleChoice {
                    options: vec![3, 2, 1],
                    correct: [1, 3].into(),
                    scoring: MultiScoring::Partial,
                },
            ),
            (
                content(QuestionKind::TrueFalse, 0, 0),
                AnswerKey::TrueFalse { correct: true },
            ),
            (
                content(QuestionKind::Ordering, 3, 0),
                AnswerKey::Ordering {
                    correct_order: vec![2, 3, 1],
                },
            ),
            (
                content(QuestionKind::Matching, 2, 3),
                AnswerKey::Matching {
                    pairs: BTreeMap::from([(1, 3), (2, 3)]),
                },
            ),
            (
                content(QuestionKind::ShortText, 0, 0),
                AnswerKey::ShortText {
                    accepted: vec!["CRM".into()],
                },
            ),
            (
                content(QuestionKind::Numeric, 0, 0),
                AnswerKey::Numeric {
                    value: 1.5,
                    tolerance: 0.1,
                },
            ),
        ];
        for (content, key) in &ok {
            assert_eq!(check_question(content, key), Ok(()), "{content:?}");
        }
        let bad = [
            (
                content(QuestionKind::SingleChoice, 3, 0),
                AnswerKey::SingleChoice {
                    options: vec![1, 2, 3],
                    correct: 9,
                },
            ),
            (
                content(QuestionKind::SingleChoice, 1, 0),
                AnswerKey::SingleChoice {
                    options: vec![1],
                    correct: 1,
                },
            ),
            (
                content(QuestionKind::MultipleChoice, 3, 0),
                AnswerKey::MultipleChoice {
                    options: vec![1, 2, 3],
                    correct: BTreeSet::new(),
                    scoring: MultiScoring::AllOrNothing,
                },
            ),
            (
                content(QuestionKind::Ordering, 3, 0),
                AnswerKey::Ordering {
                    correct_order: vec![1, 2],
                },
            ),
            (
                content(QuestionKind::Matching, 2, 2),
                AnswerKey::Matching {
                    pairs: BTreeMap::from([(1, 5), (2, 1)]),
                },
            ),
            (
                content(QuestionKind::ShortText, 0, 0),
                AnswerKey::ShortText {
                    accepted: vec![" ".into()],
                },
            ),
            (
                content(QuestionKind::Numeric, 0, 0),
                AnswerKey::Numeric {
                    value: f64::NAN,
                    tolerance: 0.0,
                },
            ),
            (
                content(QuestionKind::Numeric, 0, 0),
                AnswerKey::Numeric {
                    value: 1.0,
                    tolerance: -1.0,
                },
            ),
        ];
        for (content, key) in &bad {
            assert!(check_question(content, key).is_err(), "{content:?} {key:?}");
        }
        assert_eq!(
            check_question(
                &content(QuestionKind::TrueFalse, 0, 0),
                &AnswerKey::ShortText {
                    accepted: vec!["x".into()]
                }
            ),
            Err("The answer key is for a different kind of question.".into())
        );
        let mut duplicate = content(QuestionKind::SingleChoice, 2, 0);
        duplicate.options[1].id = 1;
        assert!(check_question(
            &duplicate,
            &AnswerKey::SingleChoice {
                options: vec![1, 1],
                correct: 1
            }
        )
        .is_err());
        let mut blank = content(QuestionKind::TrueFalse, 0, 0);
        blank.prompt = "  ".into();
        assert!(check_question(&blank, &AnswerKey::TrueFalse { correct: true }).is_err());
    }

    fn export() -> PathExport {
        PathExport {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            title: "Sales".into(),
            summary: String::new(),
            audience: Audience::default(),
            required: true,
            estimated_minutes: 30,
            steps: vec![StepExport {
                kind: StepKind::Quiz,
                title: "Check".into(),
                required: true,
                settings: serde_json::json!({"pass_mark_percent": 80}),
            }],
            questions: vec![QuestionExport {
                content: content(QuestionKind::TrueFalse, 0, 0),
                key: AnswerKey::TrueFalse { correct: true },
                feedback: QuestionFeedback::default(),
                tags: vec![],
                weight: 1.0,
            }],
        }
    }

    #[test]
    fn a_valid_export_has_no_problems_and_round_trips_as_json() {
        let export = export();
        assert!(import_problems(&export).is_empty());
        let json = serde_json::to_string(&export).unwrap();
        assert_eq!(serde_json::from_str::<PathExport>(&json).unwrap(), export);
    }

    #[test]
    fn import_problems_are_located() {
        let mut wrong_format = export();
        wrong_format.format = "moodle".into();
        assert_eq!(import_problems(&wrong_format)[0].field, "format");

        let mut broken = export();
        broken.title = " ".into();
        broken.estimated_minutes = -1;
        broken.steps.push(StepExport {
            kind: StepKind::LiveSession,
            title: "".into(),
            required: false,
            settings: serde_json::json!({"starts_at": 1, "duration_minutes": 60, "join_url": "http://x"}),
        });
        broken.steps.push(StepExport {
            kind: StepKind::Video,
            title: "Intro".into(),
            required: true,
            settings: serde_json::json!({"question": "?"}),
        });
        broken.questions[0].weight = 0.0;
        broken.questions.push(QuestionExport {
            content: content(QuestionKind::SingleChoice, 2, 0),
            key: AnswerKey::TrueFalse { correct: true },
            feedback: QuestionFeedback::default(),
            tags: vec![],
            weight: 1.0,
        });
        let fields: Vec<String> = import_problems(&broken)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "estimated_minutes",
                "steps[1].title",
                "steps[1].join_url",
                "steps[2].settings",
                "questions[0].weight",
                "questions[1]",
            ]
        );

        let mut empty = export();
        empty.steps.clear();
        empty.questions.clear();
        assert_eq!(import_problems(&empty)[0].field, "steps");
        let mut no_bank = export();
        no_bank.questions.clear();
        assert_eq!(import_problems(&no_bank)[0].field, "questions");
    }
}
