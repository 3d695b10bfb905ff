//! At-risk learners (view 11): a list to act on, not a chart. Someone is listed, with every
//! reason that applies:
//!
//! - Stalled: a path assigned to them in the window, started (a real step, not a page
//!   view), not completed, and nothing done on it for `STALLED_DAYS` or more.
//! - Certificate ending: a certificate they hold ends within `EXPIRY_DAYS` and they have not
//!   earned the same certification again.
//!
//! People whose certificate ends soonest come first, then those stalled longest.
use super::certificates::Certificate;
use super::certified::Org;
use super::{Assignment, Filters, Window, DAY_MS};
use std::collections::{BTreeMap, HashMap};

pub const STALLED_DAYS: i64 = 14;
pub const EXPIRY_DAYS: i64 = 30;
/// A learner is nudged about a path at most once in this many days.
pub const NUDGE_EVERY_DAYS: i64 = 7;

/// Why someone is on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Stalled {
        path_id: i64,
        idle_days: i64,
        last_activity_at: i64,
    },
    CertificateEnding {
        certification_id: i64,
        days_left: i64,
        expires_at: i64,
    },
}

/// One person on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRisk {
    pub user_id: i64,
    pub org_id: i64,
    pub reasons: Vec<Reason>,
}

impl AtRisk {
    fn soonest_expiry(&self) -> Option<i64> {
        self.reasons
            .iter()
            .filter_map(|r| match r {
                Reason::CertificateEnding { days_left, .. } => Some(*days_left),
                Reason::Stalled { .. } => None,
            })
            .min()
    }

    fn longest_idle(&self) -> i64 {
        self.reasons
            .iter()
            .filter_map(|r| match r {
                Reason::Stalled { idle_days, .. } => Some(*idle_days),
                Reason::CertificateEnding { .. } => None,
            })
            .max()
            .unwrap_or(0)
    }
}

/// Whether a stalled path may be nudged now, given when it last was.
pub fn may_nudge(last_nudged_at: Option<i64>, now: i64) -> bool {
    last_nudged_at.is_none_or(|at| at <= now - NUDGE_EVERY_DAYS * DAY_MS)
}

/// Everyone at risk as of `now`, under the filters (people filters on the learner; role
/// and path narrow the certificates as they do elsewhere).
pub fn at_risk(
    assignments: &[Assignment],
    certificates: &[Certificate],
    orgs: &[Org],
    filters: &Filters,
    window: &Window,
    now: i64,
) -> Vec<AtRisk> {
    let mut people: BTreeMap<i64, AtRisk> = BTreeMap::new();
    let mut add = |user_id: i64, org_id: i64, reason: Reason| {
        people
            .entry(user_id)
            .or_insert_with(|| AtRisk {
                user_id,
                org_id,
                reasons: Vec::new(),
            })
            .reasons
            .push(reason);
    };
    for assignment in assignments.iter().filter(|a| {
        filters.admits(&a.person, a.path_id)
            && a.assigned_at >= window.start_ms
            && a.assigned_at < window.end_ms
            && a.started_at.is_some()
            && a.completed_at.is_none()
    }) {
        let last = assignment
            .last_activity_at
            .or(assignment.started_at)
            .unwrap_or(assignment.assigned_at);
        let idle_days = (now - last) / DAY_MS;
        if idle_days >= STALLED_DAYS {
            add(
                assignment.user_id,
                assignment.org_id,
                Reason::Stalled {
                    path_id: assignment.path_id,
                    idle_days,
                    last_activity_at: last,
                },
            );
        }
    }
    let org_of: HashMap<i64, &Org> = orgs.iter().map(|o| (o.id, o)).collect();
    for certificate in certificates.iter().filter(|c| {
        c.counts(filters)
            && c.active_at(now)
            && c.expires_at <= now + EXPIRY_DAYS * DAY_MS
            && org_of.get(&c.org_id).is_some_and(|o| o.admitted(filters))
    }) {
        let renewed = certificates.iter().any(|other| {
            other.user_id == certificate.user_id
                && other.certification_id == certificate.certification_id
                && other.issued_at > certificate.issued_at
                && other.revoked_at.is_none()
        });
        if !renewed {
            add(
                certificate.user_id,
                certificate.org_id,
                Reason::CertificateEnding {
                    certification_id: certificate.certification_id,
                    days_left: (certificate.expires_at - now).max(0) / DAY_MS,
                    expires_at: certificate.expires_at,
                },
            );
        }
    }
    let mut list: Vec<AtRisk> = people.into_values().collect();
    list.sort_by(|a, b| {
        let expiry = |p: &AtRisk| p.soonest_expiry().unwrap_or(i64::MAX);
        expiry(a)
            .cmp(&expiry(b))
            .then(b.longest_idle().cmp(&a.longest_idle()))
            .then(a.user_id.cmp(&b.user_id))
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{trailing_window, Person};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn person() -> Person {
        Person {
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            job_role: Some(JobRole::Sales),
        }
    }

    fn assignment(user_id: i64, idle_days: Option<i64>, completed: bool) -> Assignment {
        Assignment {
            started_at: idle_days.map(|d| NOW - (d + 5) * DAY_MS),
            last_activity_at: idle_days.map(|d| NOW - d * DAY_MS),
            completed_at: completed.then_some(NOW),
            ..Assignment::new(1, user_id, person(), 7, NOW - 100 * DAY_MS)
        }
    }

    fn certificate(user_id: i64, issued_days_ago: i64, ends_in_days: i64) -> Certificate {
        Certificate {
            org_id: 1,
            user_id,
            certification_id: 3,
            issued_at: NOW - issued_days_ago * DAY_MS,
            expires_at: NOW + ends_in_days * DAY_MS,
            revoked_at: None,
            left_at: None,
            holder_role: Some(JobRole::Sales),
            path_ids: vec![7],
        }
    }

    fn org() -> Org {
        Org {
            id: 1,
            name: "Org".into(),
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            onboarded_at: NOW - 900 * DAY_MS,
        }
    }

    #[test]
    fn stalled_learners_and_ending_certificates_are_listed_with_their_reasons() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        let assignments = [
            assignment(1, Some(20), false), // stalled 20 days
            assignment(2, Some(13), false), // active 13 days ago: fine
            assignment(3, None, false),     // never started: not "at risk", just not started
            assignment(4, Some(40), true),  // finished
            assignment(5, Some(30), false), // stalled 30 days
        ];
        let certificates = [
            certificate(6, 700, 10), // ends in 10 days
            certificate(7, 700, 40), // ends in 40 days: not yet
            certificate(8, 700, 5),  // ends in 5 days but renewed:
            certificate(8, 10, 700), // … here
            certificate(1, 700, 25), // the stalled learner's certificate ends too
        ];
        let list = at_risk(
            &assignments,
            &certificates,
            &[org()],
            &Filters::default(),
            &window,
            NOW,
        );
        let order: Vec<i64> = list.iter().map(|p| p.user_id).collect();
        assert_eq!(
            order,
            [6, 1, 5],
            "soonest expiry first, then the longest stalled"
        );
        assert_eq!(list[1].reasons.len(), 2);
        assert_eq!(
            list[2].reasons,
            [Reason::Stalled {
                path_id: 7,
                idle_days: 30,
                last_activity_at: NOW - 30 * DAY_MS
            }]
        );
        let tier_filtered = at_risk(
            &assignments,
            &certificates,
            &[org()],
            &Filters {
                tier: Some(Tier::Silver),
                ..Filters::default()
            },
            &window,
            NOW,
        );
        assert!(tier_filtered.is_empty());
    }

    #[test]
    fn a_path_is_nudged_at_most_once_a_week() {
        assert!(may_nudge(None, NOW));
        assert!(!may_nudge(Some(NOW - 6 * DAY_MS), NOW));
        assert!(may_nudge(Some(NOW - 7 * DAY_MS), NOW));
    }
}
