//! Announcements partners must read (and, for policy changes, acknowledge): the publishing
//! form's rules, when to remind, and when silence is itself a warning. Time is passed in.
use crate::domain::identity::{JobRole, PartnerType, Tier};
use crate::domain::learning::Audience;
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Days after delivery before someone who has not acknowledged is reminded (once).
pub const REMINDER_AFTER_DAYS: i64 = 3;
/// Days after publishing after which fewer than half acknowledging is flagged as silence.
pub const SILENCE_AFTER_DAYS: i64 = 7;

/// The publishing form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnnouncementForm {
    pub title: String,
    pub body: String,
    pub partner_types: Vec<String>,
    pub tiers: Vec<String>,
    pub job_roles: Vec<String>,
    pub requires_ack: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnnouncement {
    pub title: String,
    pub body: String,
    pub audience: Audience,
    pub requires_ack: bool,
}

/// Checks the form; every problem is named on its field.
pub fn validate(form: &AnnouncementForm) -> Result<ValidAnnouncement, Vec<FieldError>> {
    let mut problems = Vec::new();
    let title = form.title.trim().to_string();
    match title.chars().count() {
        0..=2 => problems.push(FieldError::new("title", "Give the announcement a title.")),
        201.. => problems.push(FieldError::new(
            "title",
            "Keep the title under 200 characters.",
        )),
        _ => problems.extend(crate::domain::validation::one_line_problem("title", &title)),
    }
    let body = form.body.trim().to_string();
    match body.chars().count() {
        0 => problems.push(FieldError::new("body", "Write what partners need to know.")),
        20_001.. => problems.push(FieldError::new(
            "body",
            "Keep the text under 20,000 characters.",
        )),
        _ => {}
    }
    fn parse_all<T>(
        values: &[String],
        parse: impl Fn(&str) -> Option<T>,
        field: &str,
        problems: &mut Vec<FieldError>,
    ) -> Vec<T> {
        let parsed: Vec<Option<T>> = values.iter().map(|v| parse(v.trim())).collect();
        if parsed.iter().any(Option::is_none) {
            problems.push(FieldError::new(field, "Choose from the list."));
        }
        parsed.into_iter().flatten().collect()
    }
    let audience = Audience {
        partner_types: parse_all(
            &form.partner_types,
            PartnerType::parse,
            "partner_types",
            &mut problems,
        ),
        tiers: parse_all(&form.tiers, Tier::parse, "tiers", &mut problems),
        job_roles: parse_all(&form.job_roles, JobRole::parse, "job_roles", &mut problems),
    };
    if problems.is_empty() {
        Ok(ValidAnnouncement {
            title,
            body,
            audience,
            requires_ack: form.requires_ack,
        })
    } else {
        Err(problems)
    }
}

/// Whether someone delivered an announcement at `delivered_at`, and not acknowledging it,
/// is due a reminder.
pub fn reminder_due(requires_ack: bool, delivered_at: i64, now: i64) -> bool {
    requires_ack && now - delivered_at >= REMINDER_AFTER_DAYS * DAY_MS
}

/// Whether a policy change has met silence: a week on, fewer than half acknowledged.
pub fn met_silence(
    requires_ack: bool,
    published_at: i64,
    targeted: i64,
    acknowledged: i64,
    now: i64,
) -> bool {
    requires_ack
        && targeted > 0
        && now - published_at >= SILENCE_AFTER_DAYS * DAY_MS
        && acknowledged * 2 < targeted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AnnouncementForm {
        AnnouncementForm {
            title: "New rules of engagement".into(),
            body: "Registrations now need proof of work.".into(),
            partner_types: vec!["reseller".into()],
            tiers: vec![],
            job_roles: vec!["sales".into()],
            requires_ack: true,
        }
    }

    #[test]
    fn a_complete_form_targets_its_audience() {
        let valid = validate(&form()).unwrap();
        assert_eq!(valid.audience.partner_types, vec![PartnerType::Reseller]);
        assert!(valid.audience.tiers.is_empty());
        assert_eq!(valid.audience.job_roles, vec![JobRole::Sales]);
        assert!(valid.requires_ack);
    }

    #[test]
    fn problems_are_named_on_their_fields() {
        let bad = AnnouncementForm {
            title: " a ".into(),
            body: "   ".into(),
            partner_types: vec!["wholesaler".into()],
            tiers: vec!["diamond".into()],
            job_roles: vec!["ceo".into()],
            requires_ack: false,
        };
        let fields: Vec<String> = validate(&bad)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            vec!["title", "body", "partner_types", "tiers", "job_roles"]
        );
    }

    #[test]
    fn reminders_come_three_days_after_delivery_and_only_when_an_ack_is_needed() {
        assert!(!reminder_due(true, 0, 3 * DAY_MS - 1));
        assert!(reminder_due(true, 0, 3 * DAY_MS));
        assert!(!reminder_due(false, 0, 30 * DAY_MS));
    }

    #[test]
    fn silence_is_fewer_than_half_acknowledging_after_a_week() {
        let week = 7 * DAY_MS;
        assert!(!met_silence(true, 0, 10, 0, week - 1), "too early");
        assert!(met_silence(true, 0, 10, 4, week));
        assert!(!met_silence(true, 0, 10, 5, week), "half is not silence");
        assert!(!met_silence(false, 0, 10, 0, week), "no ack needed");
        assert!(!met_silence(true, 0, 0, 0, week), "nobody targeted");
    }
}
