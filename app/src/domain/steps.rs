//! The kinds of step in a learning path and their settings, as stored in `config_json`.
use super::identity::text_enum;
use super::quiz::content::QuizConfig;
use super::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// What a learner does in a step.
    StepKind {
        Video => "video" / "Video",
        Document => "document" / "Reading",
        Quiz => "quiz" / "Quiz",
        LiveSession => "live_session" / "Live session",
        Survey => "survey" / "Survey",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoStep {
    /// A file under `public/` (e.g. `/media/intro.webm`) or an https URL.
    pub src: String,
    /// A WebVTT captions file, same rules as `src`.
    #[serde(default)]
    pub captions_src: Option<String>,
    #[serde(default = "default_language")]
    pub captions_language: String,
    /// Known length, so "watched" does not depend on what the browser reports.
    #[serde(default)]
    pub duration_secs: Option<f64>,
}

fn default_language() -> String {
    "en".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentStep {
    /// Markdown; rendered and sanitized on the server.
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSessionStep {
    /// UTC milliseconds.
    pub starts_at: i64,
    pub duration_minutes: i64,
    pub join_url: String,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub host: String,
    /// How many times the schedule (time, length or join link) changed: the calendar
    /// file's SEQUENCE, so a rescheduled session updates the entry people already added.
    #[serde(default)]
    pub sequence: u32,
}

impl LiveSessionStep {
    /// These settings as saved over `previous`: the schedule revision goes up when the
    /// time, length or join link changed, and is never taken from the editor's form.
    pub fn revised_from(mut self, previous: &LiveSessionStep) -> LiveSessionStep {
        let rescheduled = self.starts_at != previous.starts_at
            || self.duration_minutes != previous.duration_minutes
            || self.join_url != previous.join_url;
        self.sequence = previous.sequence + u32::from(rescheduled);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyStep {
    pub question: String,
}

/// The settings of one step, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum StepSettings {
    Video(VideoStep),
    Document(DocumentStep),
    Quiz(QuizConfig),
    LiveSession(LiveSessionStep),
    Survey(SurveyStep),
}

impl StepSettings {
    pub fn kind(&self) -> StepKind {
        match self {
            StepSettings::Video(_) => StepKind::Video,
            StepSettings::Document(_) => StepKind::Document,
            StepSettings::Quiz(_) => StepKind::Quiz,
            StepSettings::LiveSession(_) => StepKind::LiveSession,
            StepSettings::Survey(_) => StepKind::Survey,
        }
    }

    pub fn parse(kind: StepKind, json: &str) -> Result<StepSettings, serde_json::Error> {
        Ok(match kind {
            StepKind::Video => StepSettings::Video(serde_json::from_str(json)?),
            StepKind::Document => StepSettings::Document(serde_json::from_str(json)?),
            StepKind::Quiz => StepSettings::Quiz(serde_json::from_str(json)?),
            StepKind::LiveSession => StepSettings::LiveSession(serde_json::from_str(json)?),
            StepKind::Survey => StepSettings::Survey(serde_json::from_str(json)?),
        })
    }

    pub fn to_value(&self) -> serde_json::Value {
        let value = match self {
            StepSettings::Video(s) => serde_json::to_value(s),
            StepSettings::Document(s) => serde_json::to_value(s),
            StepSettings::Quiz(s) => serde_json::to_value(s),
            StepSettings::LiveSession(s) => serde_json::to_value(s),
            StepSettings::Survey(s) => serde_json::to_value(s),
        };
        // Plain structs of strings and numbers always serialize.
        value.unwrap_or_default()
    }

    /// Problems an author must fix, each on the `settings` field or a named sub-field.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                problems.push(FieldError::new(field, message));
            }
        };
        match self {
            StepSettings::Video(video) => {
                check(
                    is_media_reference(&video.src),
                    "src",
                    "Use a file path like /media/intro.webm or an https:// address.",
                );
                if let Some(captions) = &video.captions_src {
                    check(
                        is_media_reference(captions),
                        "captions_src",
                        "Use a file path like /media/intro.vtt or an https:// address.",
                    );
                }
                check(
                    video.duration_secs.is_none_or(|d| d.is_finite() && d > 0.0),
                    "duration_secs",
                    "The duration must be a positive number of seconds.",
                );
            }
            StepSettings::Document(document) => check(
                !document.markdown.trim().is_empty(),
                "markdown",
                "Write the document's text.",
            ),
            StepSettings::Quiz(quiz) => {
                check(
                    quiz.pass_mark_percent <= 100,
                    "pass_mark_percent",
                    "The pass mark is a percentage from 0 to 100.",
                );
                check(
                    quiz.max_attempts != Some(0),
                    "max_attempts",
                    "Allow at least one attempt, or leave it empty for no limit.",
                );
                check(
                    quiz.cooldown_secs >= 0,
                    "cooldown_secs",
                    "The cooldown cannot be negative.",
                );
                check(
                    quiz.time_limit_secs.is_none_or(|t| t >= 30),
                    "time_limit_secs",
                    "A time limit must be at least 30 seconds.",
                );
                check(
                    quiz.draw_count != Some(0),
                    "draw_count",
                    "Draw at least one question, or leave it empty to ask them all.",
                );
            }
            StepSettings::LiveSession(session) => {
                check(
                    session.join_url.starts_with("https://"),
                    "join_url",
                    "The join link must start with https://.",
                );
                check(
                    (5..=8 * 60).contains(&session.duration_minutes),
                    "duration_minutes",
                    "A session lasts between 5 minutes and 8 hours.",
                );
                check(
                    session.capacity.is_none_or(|c| c > 0),
                    "capacity",
                    "Capacity must be at least 1, or empty for no limit.",
                );
                check(
                    session.starts_at > 0,
                    "starts_at",
                    "Choose when the session starts.",
                );
            }
            StepSettings::Survey(survey) => check(
                !survey.question.trim().is_empty(),
                "question",
                "Write the survey question.",
            ),
        }
        problems
    }
}

/// A same-site absolute path (no `..`, no scheme tricks) or an https URL.
pub fn is_media_reference(reference: &str) -> bool {
    let local = reference.starts_with('/')
        && !reference.starts_with("//")
        && !reference.contains("..")
        && !reference.contains('\\');
    let remote = reference.starts_with("https://") && reference.len() > "https://".len();
    (local || remote) && !reference.chars().any(char::is_whitespace)
}

/// Seats left at a live session, if it has a capacity.
pub fn seats_left(capacity: Option<i64>, attending: i64) -> Option<i64> {
    capacity.map(|c| (c - attending).max(0))
}

/// A starting point for a new step's settings, by kind: what the editor shows, and what a
/// new step added without settings starts from.
pub fn settings_template(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Video => "{\n  \"src\": \"/media/lumen-intro.webm\",\n  \"captions_src\": \"/media/lumen-intro.en.vtt\",\n  \"captions_language\": \"en\",\n  \"duration_secs\": 12\n}",
        StepKind::Document => "{\n  \"markdown\": \"# Title\\n\\nWrite the document here.\"\n}",
        StepKind::Quiz => "{\n  \"pass_mark_percent\": 80,\n  \"max_attempts\": 3,\n  \"cooldown_secs\": 600,\n  \"time_limit_secs\": 900,\n  \"draw_count\": null,\n  \"draw_tags\": [],\n  \"shuffle_options\": true,\n  \"review_level\": \"CorrectAnswers\",\n  \"review_when\": \"AfterPassingOrFinalAttempt\"\n}",
        StepKind::LiveSession => "{\n  \"starts_at\": 1798819200000,\n  \"duration_minutes\": 60,\n  \"join_url\": \"https://meet.example.com/session\",\n  \"capacity\": 40,\n  \"host\": \"\"\n}",
        StepKind::Survey => "{\n  \"question\": \"How useful was this step?\"\n}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kinds_template_is_valid_settings() {
        for kind in StepKind::ALL {
            let settings = StepSettings::parse(*kind, settings_template(*kind))
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(
                settings.problems().is_empty(),
                "{kind:?}: {:?}",
                settings.problems()
            );
        }
    }

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in StepKind::ALL {
            assert_eq!(StepKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(StepKind::parse("podcast"), None);
    }

    #[test]
    fn settings_parse_by_kind_and_serialize_back() {
        let video = StepSettings::parse(
            StepKind::Video,
            r#"{"src": "/media/a.webm", "duration_secs": 12.5}"#,
        )
        .unwrap();
        assert_eq!(video.kind(), StepKind::Video);
        let StepSettings::Video(ref v) = video else {
            panic!("expected a video")
        };
        assert_eq!(v.captions_language, "en");
        let again = StepSettings::parse(StepKind::Video, &video.to_value().to_string()).unwrap();
        assert_eq!(again, video);
        assert!(StepSettings::parse(StepKind::Survey, r#"{"src": "x"}"#).is_err());
        assert!(StepSettings::parse(StepKind::Quiz, "{}").is_ok());
    }

    #[test]
    fn media_references_must_be_local_paths_or_https() {
        assert!(is_media_reference("/media/intro.webm"));
        assert!(is_media_reference("https://cdn.example.com/v.mp4"));
        for bad in [
            "",
            "media/intro.webm",
            "//evil.example/v.mp4",
            "/../etc/passwd",
            "http://insecure.example/v.mp4",
            "javascript:alert(1)",
            "https://",
            "/media/a b.webm",
            "/media\\a.webm",
        ] {
            assert!(!is_media_reference(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn each_kind_reports_its_own_problems() {
        let fields = |settings: StepSettings| -> Vec<String> {
            settings.problems().into_iter().map(|p| p.field).collect()
        };
        assert_eq!(
            fields(StepSettings::Video(VideoStep {
                src: "x".into(),
                captions_src: Some("ftp://x".into()),
                captions_language: "en".into(),
                duration_secs: Some(-1.0),
            })),
            ["src", "captions_src", "duration_secs"]
        );
        assert_eq!(
            fields(StepSettings::Document(DocumentStep {
                markdown: "  \n".into()
            })),
            ["markdown"]
        );
        assert_eq!(
            fields(StepSettings::Quiz(QuizConfig {
                pass_mark_percent: 101,
                max_attempts: Some(0),
                cooldown_secs: -1,
                time_limit_secs: Some(10),
                draw_count: Some(0),
                ..QuizConfig::default()
            })),
            [
                "pass_mark_percent",
                "max_attempts",
                "cooldown_secs",
                "time_limit_secs",
                "draw_count"
            ]
        );
        assert_eq!(
            fields(StepSettings::LiveSession(LiveSessionStep {
                starts_at: 0,
                duration_minutes: 2,
                join_url: "http://meet".into(),
                capacity: Some(0),
                host: String::new(),
                sequence: 0,
            })),
            ["join_url", "duration_minutes", "capacity", "starts_at"]
        );
        assert_eq!(
            fields(StepSettings::Survey(SurveyStep {
                question: String::new()
            })),
            ["question"]
        );
        assert!(StepSettings::Quiz(QuizConfig::default())
            .problems()
            .is_empty());
    }

    #[test]
    fn rescheduling_raises_the_calendar_sequence() {
        let first = LiveSessionStep {
            starts_at: 1_000,
            duration_minutes: 60,
            join_url: "https://meet.example/a".into(),
            capacity: None,
            host: "Ada".into(),
            sequence: 3,
        };
        let renamed_host = LiveSessionStep {
            host: "Grace".into(),
            sequence: 99,
            ..first.clone()
        };
        assert_eq!(
            renamed_host.revised_from(&first).sequence,
            3,
            "not a reschedule; form value ignored"
        );
        let moved = LiveSessionStep {
            starts_at: 2_000,
            ..first.clone()
        };
        assert_eq!(moved.revised_from(&first).sequence, 4);
        let new_link = LiveSessionStep {
            join_url: "https://meet.example/b".into(),
            ..first.clone()
        };
        assert_eq!(new_link.revised_from(&first).sequence, 4);
    }

    #[test]
    fn seats_never_go_negative() {
        assert_eq!(seats_left(None, 10), None);
        assert_eq!(seats_left(Some(10), 3), Some(7));
        assert_eq!(seats_left(Some(10), 12), Some(0));
    }
}
