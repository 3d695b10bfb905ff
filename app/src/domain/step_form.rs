//! A step's settings as form fields instead of JSON: each kind's fields as typed text, read
//! into settings with every mistake named at its own field, and written back from stored
//! settings so an edit starts from what is saved (nothing lost on the way).
use super::quiz::attempts::{ReviewLevel, ReviewWhen};
use super::quiz::content::QuizConfig;
use super::steps::{DocumentStep, LiveSessionStep, StepKind, StepSettings, SurveyStep, VideoStep};
use super::validation::FieldError;
use serde::{Deserialize, Serialize};

/// Every kind's fields, as typed (`settings[field]`); a kind reads only its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepForm {
    // Reading
    pub markdown: String,
    // Video
    pub src: String,
    pub captions_src: String,
    pub captions_language: String,
    pub duration_secs: String,
    // Live session (the start in UTC, as a `datetime-local` value)
    pub starts_at: String,
    pub duration_minutes: String,
    pub join_url: String,
    pub capacity: String,
    pub host: String,
    // Survey
    pub question: String,
    // Quiz
    pub pass_mark_percent: String,
    pub max_attempts: String,
    pub cooldown_minutes: String,
    pub time_limit_minutes: String,
    pub draw_count: String,
    pub draw_tags: String,
    /// "true" when ticked.
    pub shuffle_options: String,
    pub review_level: String,
    pub review_when: String,
}

/// Longest Markdown document, in characters.
pub const MAX_MARKDOWN_CHARS: usize = 100_000;
/// Longest single-line setting (titles, links, names), in characters.
pub const MAX_LINE_CHARS: usize = 500;

pub const REVIEW_LEVELS: [(ReviewLevel, &str, &str); 3] = [
    (ReviewLevel::ScoreOnly, "score", "The score only"),
    (
        ReviewLevel::Correctness,
        "correctness",
        "Which answers were right",
    ),
    (
        ReviewLevel::CorrectAnswers,
        "answers",
        "The right answers and explanations",
    ),
];

pub const REVIEW_WHEN: [(ReviewWhen, &str, &str); 2] = [
    (ReviewWhen::AfterEachAttempt, "each", "After every attempt"),
    (
        ReviewWhen::AfterPassingOrFinalAttempt,
        "final",
        "Once passed or after the last attempt",
    ),
];

/// Minutes as the form shows them: whole when they are, else to a tenth of a second's
/// precision ("0.1" for six seconds), so saving an untouched form keeps the seconds.
fn minutes_text(secs: i64) -> String {
    if secs % 60 == 0 {
        (secs / 60).to_string()
    } else {
        let text = format!("{:.4}", secs as f64 / 60.0);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A `datetime-local` value (UTC) for an instant.
fn datetime_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

impl StepForm {
    /// The form filled in from stored settings.
    pub fn from_settings(settings: &StepSettings) -> StepForm {
        match settings {
            StepSettings::Document(document) => StepForm {
                markdown: document.markdown.clone(),
                ..StepForm::default()
            },
            StepSettings::Video(video) => StepForm {
                src: video.src.clone(),
                captions_src: video.captions_src.clone().unwrap_or_default(),
                captions_language: video.captions_language.clone(),
                duration_secs: video
                    .duration_secs
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                ..StepForm::default()
            },
            StepSettings::LiveSession(session) => StepForm {
                starts_at: datetime_text(session.starts_at),
                duration_minutes: session.duration_minutes.to_string(),
                join_url: session.join_url.clone(),
                capacity: session.capacity.map(|c| c.to_string()).unwrap_or_default(),
                host: session.host.clone(),
                ..StepForm::default()
            },
            StepSettings::Survey(survey) => StepForm {
                question: survey.question.clone(),
                ..StepForm::default()
            },
            StepSettings::Quiz(quiz) => StepForm {
                pass_mark_percent: quiz.pass_mark_percent.to_string(),
                max_attempts: quiz.max_attempts.map(|n| n.to_string()).unwrap_or_default(),
                cooldown_minutes: minutes_text(quiz.cooldown_secs),
                time_limit_minutes: quiz.time_limit_secs.map(minutes_text).unwrap_or_default(),
                draw_count: quiz.draw_count.map(|n| n.to_string()).unwrap_or_default(),
                draw_tags: quiz.draw_tags.join(", "),
                shuffle_options: if quiz.shuffle_options { "true" } else { "" }.to_string(),
                review_level: REVIEW_LEVELS
                    .iter()
                    .find(|(level, ..)| *level == quiz.review_level)
                    .map(|(_, value, _)| value.to_string())
                    .unwrap_or_default(),
                review_when: REVIEW_WHEN
                    .iter()
                    .find(|(when, ..)| *when == quiz.review_when)
                    .map(|(_, value, _)| value.to_string())
                    .unwrap_or_default(),
                ..StepForm::default()
            },
        }
    }

    /// The settings of a `kind` step, or every problem at its field. The settings' own
    /// rules (`StepSettings::problems`) are checked too, so nothing saved here could be
    /// refused by them.
    pub fn to_settings(&self, kind: StepKind) -> Result<StepSettings, Vec<FieldError>> {
        let mut problems = Vec::new();
        let settings = match kind {
            StepKind::Document => {
                let markdown = self.markdown.trim().to_string();
                if markdown.chars().count() > MAX_MARKDOWN_CHARS {
                    problems.push(FieldError::new(
                        "markdown",
                        format!("Keep the document under {MAX_MARKDOWN_CHARS} characters."),
                    ));
                }
                StepSettings::Document(DocumentStep { markdown })
            }
            StepKind::Video => StepSettings::Video(VideoStep {
                src: line(&self.src, "src", &mut problems),
                captions_src: Some(line(&self.captions_src, "captions_src", &mut problems))
                    .filter(|c| !c.is_empty()),
                captions_language: Some(line(
                    &self.captions_language,
                    "captions_language",
                    &mut problems,
                ))
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "en".to_string()),
                duration_secs: optional_number::<f64>(
                    &self.duration_secs,
                    "duration_secs",
                    "Enter the length in seconds, like 95.",
                    &mut problems,
                ),
            }),
            StepKind::LiveSession => {
                let starts_at = match chrono::NaiveDateTime::parse_from_str(
                    self.starts_at.trim(),
                    "%Y-%m-%dT%H:%M",
                ) {
                    Ok(at) => at.and_utc().timestamp_millis(),
                    Err(_) => {
                        problems.push(FieldError::new(
                            "starts_at",
                            "Choose the date and time the session starts (UTC).",
                        ));
                        0
                    }
                };
                StepSettings::LiveSession(LiveSessionStep {
                    starts_at,
                    duration_minutes: required_number(
                        &self.duration_minutes,
                        "duration_minutes",
                        "Enter the length in minutes, like 60.",
                        &mut problems,
                    )
                    .unwrap_or(0),
                    join_url: line(&self.join_url, "join_url", &mut problems),
                    capacity: optional_number(
                        &self.capacity,
                        "capacity",
                        "Enter a number of seats, or leave it empty for no limit.",
                        &mut problems,
                    ),
                    host: line(&self.host, "host", &mut problems),
                    sequence: 0,
                })
            }
            StepKind::Survey => StepSettings::Survey(SurveyStep {
                question: line(&self.question, "question", &mut problems),
            }),
            StepKind::Quiz => {
                let minutes = |text: &str, field: &str, problems: &mut Vec<FieldError>| {
                    optional_number::<f64>(
                        text,
                        field,
                        "Enter a number of minutes, like 10 (or 0.5 for thirty seconds).",
                        problems,
                    )
                    .filter(|m| {
                        let ok = m.is_finite() && *m >= 0.0 && *m <= 525_600.0;
                        if !ok {
                            problems
                                .push(FieldError::new(field, "Enter minutes from 0 up to a year."));
                        }
                        ok
                    })
                    .map(|m| (m * 60.0).round() as i64)
                };
                let review_level = choice(
                    &self.review_level,
                    &REVIEW_LEVELS,
                    "review_level",
                    &mut problems,
                )
                .unwrap_or(ReviewLevel::CorrectAnswers);
                let review_when = choice(
                    &self.review_when,
                    &REVIEW_WHEN,
                    "review_when",
                    &mut problems,
                )
                .unwrap_or(ReviewWhen::AfterPassingOrFinalAttempt);
                StepSettings::Quiz(QuizConfig {
                    pass_mark_percent: required_number(
                        &self.pass_mark_percent,
                        "pass_mark_percent",
                        "Enter the pass mark as a percentage, like 80.",
                        &mut problems,
                    )
                    .unwrap_or(80),
                    max_attempts: optional_number(
                        &self.max_attempts,
                        "max_attempts",
                        "Enter a number of attempts, or leave it empty for no limit.",
                        &mut problems,
                    ),
                    cooldown_secs: minutes(
                        &self.cooldown_minutes,
                        "cooldown_minutes",
                        &mut problems,
                    )
                    .unwrap_or(0),
                    time_limit_secs: minutes(
                        &self.time_limit_minutes,
                        "time_limit_minutes",
                        &mut problems,
                    ),
                    draw_count: optional_number(
                        &self.draw_count,
                        "draw_count",
                        "Enter how many questions to ask, or leave it empty to ask them all.",
                        &mut problems,
                    ),
                    draw_tags: self
                        .draw_tags
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect(),
                    shuffle_options: !self.shuffle_options.trim().is_empty(),
                    review_level,
                    review_when,
                })
            }
        };
        if problems.is_empty() {
            // The settings' own rules, named at the form's fields.
            problems.extend(settings.problems().into_iter().map(|mut problem| {
                problem.field = match problem.field.as_str() {
                    "cooldown_secs" => "cooldown_minutes".to_string(),
                    "time_limit_secs" => "time_limit_minutes".to_string(),
                    other => other.to_string(),
                };
                problem
            }));
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

/// One line of text, trimmed, bounded, no line breaks.
fn line(text: &str, field: &str, problems: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    if text.chars().count() > MAX_LINE_CHARS {
        problems.push(FieldError::new(
            field,
            format!("Keep this under {MAX_LINE_CHARS} characters."),
        ));
    }
    problems.extend(super::validation::one_line_problem(field, text));
    text.to_string()
}

fn optional_number<T: std::str::FromStr>(
    text: &str,
    field: &str,
    message: &str,
    problems: &mut Vec<FieldError>,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<T>() {
        Ok(value) => Some(value),
        Err(_) => {
            problems.push(FieldError::new(field, message));
            None
        }
    }
}

fn required_number<T: std::str::FromStr>(
    text: &str,
    field: &str,
    message: &str,
    problems: &mut Vec<FieldError>,
) -> Option<T> {
    if text.trim().is_empty() {
        problems.push(FieldError::new(field, message));
        return None;
    }
    optional_number(text, field, message, problems)
}

fn choice<T: Copy>(
    text: &str,
    choices: &[(T, &str, &str)],
    field: &str,
    problems: &mut Vec<FieldError>,
) -> Option<T> {
    let found = choices
        .iter()
        .find(|(_, value, _)| *value == text.trim())
        .map(|(item, ..)| *item);
    if found.is_none() {
        problems.push(FieldError::new(field, "Choose one of the options."));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::steps::settings_template;

    fn fields(result: Result<StepSettings, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn every_kinds_stored_settings_survive_the_form_unchanged() {
        for kind in StepKind::ALL {
            let stored = StepSettings::parse(*kind, settings_template(*kind)).unwrap();
            let form = StepForm::from_settings(&stored);
            assert_eq!(form.to_settings(*kind), Ok(stored), "{kind:?}");
        }
        // Seconds that are not whole minutes are kept too.
        let quiz = StepSettings::Quiz(QuizConfig {
            cooldown_secs: 6,
            time_limit_secs: Some(90),
            ..QuizConfig::default()
        });
        let form = StepForm::from_settings(&quiz);
        assert_eq!(
            (
                form.cooldown_minutes.as_str(),
                form.time_limit_minutes.as_str()
            ),
            ("0.1", "1.5")
        );
        assert_eq!(form.to_settings(StepKind::Quiz), Ok(quiz));
    }

    #[test]
    fn quiz_fields_are_read_and_each_mistake_is_named_at_its_field() {
        let form = StepForm {
            pass_mark_percent: "75".into(),
            max_attempts: "3".into(),
            cooldown_minutes: "10".into(),
            time_limit_minutes: "".into(),
            draw_count: "5".into(),
            draw_tags: " pricing, ,discovery ".into(),
            shuffle_options: "true".into(),
            review_level: "correctness".into(),
            review_when: "each".into(),
            ..StepForm::default()
        };
        let StepSettings::Quiz(quiz) = form.to_settings(StepKind::Quiz).unwrap() else {
            panic!("a quiz");
        };
        assert_eq!(quiz.pass_mark_percent, 75);
        assert_eq!(quiz.max_attempts, Some(3));
        assert_eq!(quiz.cooldown_secs, 600);
        assert_eq!(quiz.time_limit_secs, None);
        assert_eq!(quiz.draw_count, Some(5));
        assert_eq!(quiz.draw_tags, vec!["pricing", "discovery"]);
        assert!(quiz.shuffle_options);
        assert_eq!(quiz.review_level, ReviewLevel::Correctness);
        assert_eq!(quiz.review_when, ReviewWhen::AfterEachAttempt);

        let bad = StepForm {
            pass_mark_percent: "eighty".into(),
            max_attempts: "-1".into(),
            cooldown_minutes: "-5".into(),
            review_level: "everything".into(),
            review_when: "each".into(),
            ..StepForm::default()
        };
        assert_eq!(
            fields(bad.to_settings(StepKind::Quiz)),
            vec![
                "review_level",
                "pass_mark_percent",
                "max_attempts",
                "cooldown_minutes"
            ]
        );
        // Rules of the settings themselves come back at the form's fields.
        let too_short = StepForm {
            time_limit_minutes: "0.25".into(),
            ..StepForm::from_settings(&StepSettings::Quiz(QuizConfig::default()))
        };
        assert_eq!(
            fields(too_short.to_settings(StepKind::Quiz)),
            vec!["time_limit_minutes"]
        );
        let over = StepForm {
            pass_mark_percent: "120".into(),
            ..StepForm::from_settings(&StepSettings::Quiz(QuizConfig::default()))
        };
        assert_eq!(
            fields(over.to_settings(StepKind::Quiz)),
            vec!["pass_mark_percent"]
        );
    }

    #[test]
    fn reading_video_live_and_survey_fields() {
        let document = StepForm {
            markdown: "  # Hello\n\nText.  ".into(),
            ..StepForm::default()
        };
        assert_eq!(
            document.to_settings(StepKind::Document),
            Ok(StepSettings::Document(DocumentStep {
                markdown: "# Hello\n\nText.".into()
            }))
        );
        assert_eq!(
            fields(StepForm::default().to_settings(StepKind::Document)),
            vec!["markdown"]
        );
        let huge = StepForm {
            markdown: "x".repeat(MAX_MARKDOWN_CHARS + 1),
            ..StepForm::default()
        };
        assert_eq!(
            fields(huge.to_settings(StepKind::Document)),
            vec!["markdown"]
        );

        let video = StepForm {
            src: "javascript:alert(1)".into(),
            duration_secs: "long".into(),
            ..StepForm::default()
        };
        assert_eq!(
            fields(video.to_settings(StepKind::Video)),
            vec!["duration_secs"]
        );
        let video = StepForm {
            src: "javascript:alert(1)".into(),
            ..StepForm::default()
        };
        assert_eq!(fields(video.to_settings(StepKind::Video)), vec!["src"]);

        let live = StepForm {
            starts_at: "2027-03-01T15:30".into(),
            duration_minutes: "45".into(),
            join_url: "https://meet.example.com/x".into(),
            capacity: "".into(),
            host: "Dana".into(),
            ..StepForm::default()
        };
        let StepSettings::LiveSession(session) = live.to_settings(StepKind::LiveSession).unwrap()
        else {
            panic!("a live session");
        };
        assert_eq!(session.starts_at, 1_803_915_000_000);
        assert_eq!((session.duration_minutes, session.capacity), (45, None));
        let bad_live = StepForm {
            starts_at: "tomorrow".into(),
            duration_minutes: "".into(),
            join_url: "http://plain".into(),
            ..StepForm::default()
        };
        assert_eq!(
            fields(bad_live.to_settings(StepKind::LiveSession)),
            vec!["starts_at", "duration_minutes"]
        );
        let survey = StepForm {
            question: "Was it\nuseful?".into(),
            ..StepForm::default()
        };
        assert_eq!(
            fields(survey.to_settings(StepKind::Survey)),
            vec!["question"]
        );
    }
}
