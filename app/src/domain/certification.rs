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

/// Whether a certificate should be issued for an earning at `earned`: only if it is newer
/// than the learner's latest certificate, so old completions never re-issue an expired or
/// revoked certificate.
pub fn should_issue(earned: i64, latest_issued_at: Option<i64>) -> bool {
    latest_issued_at.is_none_or(|latest| earned > latest)
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

    #[test]
    fn old_completions_never_reissue() {
        assert!(should_issue(300, None));
        assert!(should_issue(300, Some(200)));
        assert!(!should_issue(300, Some(300)));
        assert!(!should_issue(300, Some(400)));
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
