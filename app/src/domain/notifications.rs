//! What the portal tells people about, who it is for, and whether the program's Slack
//! channel hears about it too. People choose which of their events reach them by email;
//! sign-in links are not in the catalogue because they are never optional.
use crate::domain::identity::{text_enum, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

text_enum!(
    /// Every kind of notification.
    Event {
        ModulePublished => "module_published" / "New learning modules for you",
        TrainingOverdue => "training_overdue" / "Required training past its due date",
        TrainingNudge => "training_nudge" / "A reminder from the channel team about training you started",
        CertificationExpiring => "certification_expiring" / "Your certificate expires in 30 and 7 days",
        RecertificationOpen => "recertification_open" / "Your recertification window opened",
        AnnouncementReminder => "announcement_reminder" / "Announcements waiting for your acknowledgment",
        ProtectionExpiring => "protection_expiring" / "Your deal's protection ends in 7 days",
        TierChanged => "tier_changed" / "Your organisation's tier or rights changed",
        SlaBreached => "sla_breached" / "Registrations past the approval SLA",
        RegistrationSubmitted => "registration_submitted" / "Registrations waiting for your review",
        RegistrationDecided => "registration_decided" / "Your registrations approved, declined or needing information",
        AppealFiled => "appeal_filed" / "Appeals filed against a decision",
        AppealResolved => "appeal_resolved" / "Appeals about your deals resolved",
        CrmNeedsReauth => "crm_needs_reauth" / "A CRM connection stopped and needs connecting again",
    }
);

impl Event {
    /// Whether someone of `role` can receive this event at all (so the preferences page
    /// shows only what applies to them).
    pub fn applies_to(self, role: Role) -> bool {
        match self {
            Event::SlaBreached | Event::RegistrationSubmitted | Event::AppealFiled => {
                role.is_vendor_staff()
            }
            Event::TierChanged => true,
            Event::CrmNeedsReauth => role == Role::VendorAdmin,
            _ => role == Role::PartnerUser,
        }
    }

    /// Whether the program's Slack channel is told too: events about the program as a
    /// whole, not one person's reminders.
    pub fn goes_to_slack(self) -> bool {
        matches!(
            self,
            Event::ModulePublished
                | Event::TierChanged
                | Event::SlaBreached
                | Event::RegistrationSubmitted
                | Event::AppealFiled
        )
    }
}

/// The events a person of `role` may choose about, in catalogue order.
pub fn choices_for(role: Role) -> Vec<Event> {
    Event::ALL
        .iter()
        .copied()
        .filter(|event| event.applies_to(role))
        .collect()
}

/// Where Slack's incoming webhooks live. In production the portal posts nowhere else, so a
/// stolen admin session cannot point the program's messages (or the server's requests) at
/// an attacker's host or at the vendor's internal network.
pub const SLACK_WEBHOOK_PREFIX: &str = "https://hooks.slack.com/";

/// Which webhook addresses are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookHosts {
    /// Production: Slack's webhook host only.
    SlackOnly,
    /// Development and tests: any HTTPS host, and plain HTTP to this machine (a test double).
    AnyHttpsOrLocal,
}

/// A Slack incoming-webhook address, checked against `hosts`. Empty means "no Slack".
pub fn checked_webhook_url(text: &str, hosts: WebhookHosts) -> Result<Option<String>, String> {
    let url = text.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if url.len() > 500 || url.chars().any(char::is_whitespace) {
        return Err("Paste the webhook address exactly as Slack shows it.".into());
    }
    let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if local.iter().any(|prefix| url.starts_with(prefix)) {
        url.trim_start_matches("http://")
    } else {
        return Err(
            "Use the https:// address Slack gives you (Incoming Webhooks, \u{201c}Webhook URL\u{201d}).".into(),
        );
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || !rest.contains('/') {
        return Err(
            "The address needs a host and a path, like https://hooks.slack.com/services/\u{2026}"
                .into(),
        );
    }
    if hosts == WebhookHosts::SlackOnly && !url.starts_with(SLACK_WEBHOOK_PREFIX) {
        return Err(format!(
            "Only Slack's own webhook addresses are accepted ({SLACK_WEBHOOK_PREFIX}\u{2026})."
        ));
    }
    Ok(Some(url.to_string()))
}

/// The JSON body of a Slack incoming-webhook message. Slack reads `&`, `<` and `>` as
/// markup, so they are escaped as its documentation asks.
pub fn slack_message(text: &str) -> serde_json::Value {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    serde_json::json!({ "text": escaped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_and_staff_choose_among_their_own_events() {
        let partner = choices_for(Role::PartnerUser);
        assert!(partner.contains(&Event::CertificationExpiring));
        assert!(partner.contains(&Event::RecertificationOpen));
        assert!(!Event::RecertificationOpen.goes_to_slack());
        assert!(partner.contains(&Event::TierChanged));
        assert!(!partner.contains(&Event::SlaBreached));
        assert!(partner.contains(&Event::RegistrationDecided));
        assert!(partner.contains(&Event::AppealResolved));
        assert!(!partner.contains(&Event::RegistrationSubmitted));
        let manager = choices_for(Role::PartnerManager);
        assert_eq!(
            manager,
            vec![
                Event::TierChanged,
                Event::SlaBreached,
                Event::RegistrationSubmitted,
                Event::AppealFiled
            ]
        );
        let admin = choices_for(Role::VendorAdmin);
        assert!(admin.contains(&Event::CrmNeedsReauth));
        assert!(!Event::CrmNeedsReauth.goes_to_slack());
        for event in Event::ALL {
            assert_eq!(Event::parse(event.as_str()), Some(*event));
        }
    }

    #[test]
    fn only_program_wide_events_go_to_slack() {
        assert!(Event::TierChanged.goes_to_slack());
        assert!(Event::SlaBreached.goes_to_slack());
        assert!(!Event::CertificationExpiring.goes_to_slack());
        assert!(!Event::ProtectionExpiring.goes_to_slack());
        assert!(Event::RegistrationSubmitted.goes_to_slack());
        assert!(Event::AppealFiled.goes_to_slack());
        assert!(!Event::RegistrationDecided.goes_to_slack());
        assert!(!Event::AppealResolved.goes_to_slack());
    }

    #[test]
    fn webhook_addresses_must_be_https_except_to_this_machine() {
        assert_eq!(
            checked_webhook_url("  ", WebhookHosts::AnyHttpsOrLocal).unwrap(),
            None
        );
        assert_eq!(
            checked_webhook_url(
                "https://hooks.slack.com/services/T0/B0/x",
                WebhookHosts::SlackOnly
            )
            .unwrap(),
            Some("https://hooks.slack.com/services/T0/B0/x".into())
        );
        assert!(
            checked_webhook_url("http://127.0.0.1:9000/hook", WebhookHosts::AnyHttpsOrLocal)
                .is_ok()
        );
        assert!(checked_webhook_url(
            "http://hooks.slack.com/services/x",
            WebhookHosts::AnyHttpsOrLocal
        )
        .unwrap_err()
        .contains("https://"));
        assert!(
            checked_webhook_url("https://hooks.slack.com", WebhookHosts::AnyHttpsOrLocal).is_err()
        );
        assert!(checked_webhook_url("https://a b/c", WebhookHosts::AnyHttpsOrLocal).is_err());
        assert!(checked_webhook_url("javascript:alert(1)", WebhookHosts::AnyHttpsOrLocal).is_err());
    }

    #[test]
    fn production_posts_only_to_slack() {
        let only = WebhookHosts::SlackOnly;
        assert!(checked_webhook_url("https://hooks.slack.com/services/T0/B0/x", only).is_ok());
        for other in [
            "http://127.0.0.1:9000/hook",
            "https://hooks.slack.com.evil.example/services/x",
            "https://evil.example/hooks.slack.com/services/x",
            "https://10.0.0.5/internal",
        ] {
            assert!(checked_webhook_url(other, only).is_err(), "{other}");
        }
        assert_eq!(checked_webhook_url("", only).unwrap(), None);
    }

    #[test]
    fn slack_text_is_escaped() {
        assert_eq!(
            slack_message("A & B <now>")["text"],
            "A &amp; B &lt;now&gt;"
        );
    }
}
