//! Certifications: earned by completing learning paths, valid for a number of months, with
//! a recertification window before expiry, and revocable. Time is passed in.
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Certificates expiring within this many days count as "expiring".
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// Where a certificate stands for people and for rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateStatus {
    Active,
    /// Active, but expiring within 30 days.
    Expiring,
    Expired,
    Revoked,
}

impl CertificateStatus {
    pub fn label(self) -> &'static str {
        match self {
            CertificateStatus::Active => "Active",
            CertificateStatus::Expiring => "Expiring soon",
            CertificateStatus::Expired => "Expired",
            CertificateStatus::Revoked => "Revoked",
        }
    }

    /// Whether the certificate grants rights now.
    pub fn is_valid(self) -> bool {
        matches!(
            self,
            CertificateStatus::Active | CertificateStatus::Expiring
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Active => "active",
            CertificateStatus::Expiring => "expiring",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<CertificateStatus> {
        [
            CertificateStatus::Active,
            CertificateStatus::Expiring,
            CertificateStatus::Expired,
            CertificateStatus::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The status of a certificate at `now`. A revocation wins over everything; expiry is read
/// from the dates, so a certificate is expired the moment it ends, even before the job has
/// recorded it.
pub fn status_at(expires_at: i64, revoked_at: Option<i64>, now: i64) -> CertificateStatus {
    if revoked_at.is_some_and(|at| at <= now) {
        CertificateStatus::Revoked
    } else if now >= expires_at {
        CertificateStatus::Expired
    } else if expires_at - now <= EXPIRING_SOON_DAYS * DAY_MS {
        CertificateStatus::Expiring
    } else {
        CertificateStatus::Active
    }
}

/// The end of a certificate issued at `issued_at` for `months` months (same day of month,
/// clamped to the month's last day, UTC).
pub fn expiry_after(issued_at: i64, months: u32) -> i64 {
    use chrono::{DateTime, Months};
    DateTime::from_timestamp_millis(issued_at)
        .and_then(|t| t.checked_add_months(Months::new(months)))
        .map(|t| t.timestamp_millis())
        .unwrap_or(issued_at + i64::from(months) * 30 * DAY_MS)
}

/// Whether the recertification window is open: `window_days` before expiry, until expiry.
pub fn recertification_open(expires_at: i64, window_days: i64, now: i64) -> bool {
    now >= expires_at - window_days * DAY_MS && now < expires_at
}

/// When a learner earned a certification: the latest completion among its required paths,
/// once every one of them is complete.
pub fn earned_at(required_paths: &[i64], completions: &HashMap<i64, i64>) -> Option<i64> {
    if required_paths.is_empty() {
        return None;
    }
    required_paths
        .iter()
        .map(|path| completions.get(path).copied())
        .collect::<Option<Vec<i64>>>()
        .and_then(|times| times.into_iter().max())
}

/// A learner's latest certificate of one certification, as issuing and renewing need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestCertificate {
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

/// Whether a certificate should be issued for an earning at `earned`. Only an earning newer
/// than the latest certificate counts, so old completions never re-issue an expired or
/// revoked certificate. While the latest certificate is valid, only an earning inside its
/// recertification window renews it: completing a path shared with another certification
/// early must not renew this one out of turn.
pub fn should_issue(earned: i64, latest: Option<LatestCertificate>, window_days: i64) -> bool {
    match latest {
        None => true,
        Some(latest) if earned <= latest.issued_at => false,
        Some(latest) if latest.revoked => true,
        Some(latest) => earned >= window_opens_at(latest.expires_at, window_days),
    }
}

/// When a certificate earned at `earned` ends. A renewal earned before the previous
/// certificate ends runs on from that end, so recertifying early never costs the holder
/// time; after a lapse (or a revocation) it runs from the earning.
pub fn renewal_expiry(earned: i64, months: u32, previous: Option<LatestCertificate>) -> i64 {
    match previous.filter(|previous| is_early_renewal(earned, previous)) {
        Some(previous) => expiry_after(previous.expires_at, months),
        None => expiry_after(earned, months),
    }
}

/// Whether an earning at `earned` renews `previous` before it ends (not after a lapse or a
/// revocation).
pub fn is_early_renewal(earned: i64, previous: &LatestCertificate) -> bool {
    !previous.revoked && earned < previous.expires_at
}

/// When the recertification window of a certificate ending at `expires_at` opens.
pub fn window_opens_at(expires_at: i64, window_days: i64) -> i64 {
    expires_at - window_days.max(0) * DAY_MS
}

/// Whether a certificate's paths should be started over for recertification at `now`: its
/// window has opened (or, with no window, it has ended). A job that runs late still does it.
pub fn recertification_due(expires_at: i64, window_days: i64, now: i64) -> bool {
    now >= window_opens_at(expires_at, window_days)
}

/// The paths to start over when a certificate issued at `issued_at` opens for
/// recertification: those whose completion earned it. A path completed again since (for
/// another certification that shares it) already counts as fresh and is left alone.
pub fn paths_to_reopen(
    required_paths: &[i64],
    completions: &HashMap<i64, i64>,
    issued_at: i64,
) -> Vec<i64> {
    required_paths
        .iter()
        .copied()
        .filter(|path| completions.get(path).is_some_and(|at| *at <= issued_at))
        .collect()
}

/// Whether opening the window should email the holder: not when an expiry reminder sent
/// since the window opened already carried the same message and link (a job that ran late).
pub fn window_email_needed(reminders_sent: &[Option<i64>], window_opens_at: i64) -> bool {
    !reminders_sent
        .iter()
        .flatten()
        .any(|sent| *sent >= window_opens_at)
}

pub const MIN_REVOKE_REASON_CHARS: usize = 10;

/// A revocation's reason: required, because the holder and the verification page show it.
pub fn checked_revoke_reason(reason: &str) -> Result<String, FieldError> {
    let reason = reason.trim();
    let count = reason.chars().count();
    if count < MIN_REVOKE_REASON_CHARS {
        Err(FieldError::new(
            "reason",
            "Give the reason in a sentence; the holder will see it.",
        ))
    } else if count > 1000 {
        Err(FieldError::new(
            "reason",
            "Keep the reason under 1,000 characters.",
        ))
    } else {
        Ok(reason.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-31 00:00 UTC.
    const JAN_31: i64 = 1_769_817_600_000;

    #[test]
    fn status_follows_the_dates_and_revocation_wins() {
        let expires = JAN_31 + 365 * DAY_MS;
        assert_eq!(status_at(expires, None, JAN_31), CertificateStatus::Active);
        assert_eq!(
            status_at(expires, None, expires - 31 * DAY_MS),
            CertificateStatus::Active
        );
        assert_eq!(
            status_at(expires, None, expires - 30 * DAY_MS),
            CertificateStatus::Expiring
        );
        assert_eq!(
            status_at(expires, None, expires - 1),
            CertificateStatus::Expiring
        );
        assert_eq!(
            status_at(expires, None, expires),
            CertificateStatus::Expired
        );
        assert_eq!(
            status_at(expires, Some(JAN_31 + DAY_MS), JAN_31 + 2 * DAY_MS),
            CertificateStatus::Revoked
        );
        // A revocation recorded for later does not apply yet.
        assert_eq!(
            status_at(expires, Some(JAN_31 + DAY_MS), JAN_31),
            CertificateStatus::Active
        );
        for status in [
            CertificateStatus::Active,
            CertificateStatus::Expiring,
            CertificateStatus::Expired,
            CertificateStatus::Revoked,
        ] {
            assert_eq!(CertificateStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                status.is_valid(),
                matches!(
                    status,
                    CertificateStatus::Active | CertificateStatus::Expiring
                )
            );
        }
    }

    #[test]
    fn validity_counts_calendar_months() {
        // 31 January + 1 month is the last day of February.
        let feb_28 = 1_772_236_800_000;
        assert_eq!(expiry_after(JAN_31, 1), feb_28);
        assert_eq!(expiry_after(JAN_31, 12), JAN_31 + 365 * DAY_MS);
        assert_eq!(expiry_after(JAN_31, 0), JAN_31);
    }

    #[test]
    fn the_recertification_window_opens_before_expiry_and_closes_at_it() {
        let expires = JAN_31 + 365 * DAY_MS;
        assert!(!recertification_open(expires, 60, expires - 61 * DAY_MS));
        assert!(recertification_open(expires, 60, expires - 60 * DAY_MS));
        assert!(recertification_open(expires, 60, expires - 1));
        assert!(!recertification_open(expires, 60, expires));
    }

    #[test]
    fn a_certification_is_earned_when_every_path_is_complete() {
        let completions: HashMap<i64, i64> = [(1, 100), (2, 300), (3, 200)].into();
        assert_eq!(earned_at(&[1, 2], &completions), Some(300));
        assert_eq!(earned_at(&[1, 3], &completions), Some(200));
        assert_eq!(earned_at(&[1, 4], &completions), None);
        assert_eq!(earned_at(&[], &completions), None);
    }

    fn held(issued_at: i64, expires_at: i64, revoked: bool) -> Option<LatestCertificate> {
        Some(LatestCertificate {
            issued_at,
            expires_at,
            revoked,
        })
    }

    #[test]
    fn old_completions_never_reissue() {
        let expires = JAN_31 + 365 * DAY_MS;
        assert!(should_issue(JAN_31, None, 60));
        // Not newer than the latest certificate: never.
        assert!(!should_issue(JAN_31, held(JAN_31, expires, false), 60));
        assert!(!should_issue(JAN_31 - 1, held(JAN_31, expires, true), 60));
        // Newer, after a revocation or a lapse: a new certificate.
        assert!(should_issue(
            JAN_31 + DAY_MS,
            held(JAN_31, expires, true),
            60
        ));
        assert!(should_issue(
            expires + DAY_MS,
            held(JAN_31, expires, false),
            60
        ));
    }

    #[test]
    fn a_valid_certificate_renews_only_inside_its_window() {
        let expires = JAN_31 + 365 * DAY_MS;
        let latest = held(JAN_31, expires, false);
        assert!(!should_issue(expires - 61 * DAY_MS, latest, 60));
        assert!(should_issue(expires - 60 * DAY_MS, latest, 60));
        assert!(should_issue(expires - 1, latest, 60));
        // No window: only once it has ended.
        assert!(!should_issue(expires - 1, latest, 0));
        assert!(should_issue(expires, latest, 0));
    }

    #[test]
    fn an_early_renewal_runs_on_from_the_old_end() {
        let expires = JAN_31 + 365 * DAY_MS;
        let renewed_at = expires - 20 * DAY_MS;
        assert_eq!(
            renewal_expiry(renewed_at, 12, held(JAN_31, expires, false)),
            expiry_after(expires, 12)
        );
        // After a lapse or a revocation, from the earning.
        assert_eq!(
            renewal_expiry(expires + DAY_MS, 12, held(JAN_31, expires, false)),
            expiry_after(expires + DAY_MS, 12)
        );
        assert_eq!(
            renewal_expiry(renewed_at, 12, held(JAN_31, expires, true)),
            expiry_after(renewed_at, 12)
        );
        assert_eq!(renewal_expiry(JAN_31, 12, None), expiry_after(JAN_31, 12));
    }

    #[test]
    fn recertification_is_due_from_the_window_on_even_when_late() {
        let expires = JAN_31 + 365 * DAY_MS;
        assert_eq!(window_opens_at(expires, 60), expires - 60 * DAY_MS);
        assert_eq!(window_opens_at(expires, -5), expires);
        assert!(!recertification_due(expires, 60, expires - 60 * DAY_MS - 1));
        assert!(recertification_due(expires, 60, expires - 60 * DAY_MS));
        assert!(recertification_due(expires, 60, expires + 400 * DAY_MS));
        assert!(!recertification_due(expires, 0, expires - 1));
        assert!(recertification_due(expires, 0, expires));
    }

    #[test]
    fn only_the_completions_that_earned_the_certificate_start_over() {
        let completions: HashMap<i64, i64> = [(1, 100), (2, 300), (3, 500)].into();
        assert_eq!(paths_to_reopen(&[1, 2, 3], &completions, 300), vec![1, 2]);
        assert_eq!(
            paths_to_reopen(&[3, 4], &completions, 300),
            Vec::<i64>::new()
        );
        assert_eq!(paths_to_reopen(&[], &completions, 300), Vec::<i64>::new());
    }

    #[test]
    fn the_window_email_is_skipped_when_a_reminder_already_said_it() {
        let opens = 1_000;
        assert!(window_email_needed(&[None, None], opens));
        // A 30-day reminder sent before the window opened (a short window) does not count.
        assert!(window_email_needed(&[Some(opens - 1), None], opens));
        assert!(!window_email_needed(&[Some(opens), None], opens));
        assert!(!window_email_needed(&[None, Some(opens + 5)], opens));
    }

    #[test]
    fn a_revocation_needs_a_reason() {
        assert!(checked_revoke_reason("  short ").is_err());
        assert_eq!(
            checked_revoke_reason(" Shared exam answers publicly. ").unwrap(),
            "Shared exam answers publicly."
        );
        assert!(checked_revoke_reason(&"x".repeat(1001)).is_err());
    }
}
