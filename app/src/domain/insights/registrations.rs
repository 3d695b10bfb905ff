//! Deal-registration health (view 7): how registrations submitted in the window were
//! handled. Medians rather than means (decision times have a long tail), and registrations
//! still waiting are counted apart, never as a zero.
//!
//! - Approval rate: approved (including those whose protection later expired) of decided.
//! - Hours to approval: submission to decision, for approved registrations; the median.
//! - Within SLA: decided within the program's approval SLA, of decided.
//! - Conflict rate: registrations the conflict engine did not clear on its own (review or
//!   duplicate), of submitted.
//! - Expiry rate: approved registrations whose protection ran out while the deal was still
//!   open (a lapse, not the end of a deal already won or lost), of approved.
use super::certified::Org;
use super::scorecard::median;
use super::{Filters, Window};
use crate::domain::channel::deals::RegistrationStatus;
use crate::domain::identity::text_enum;
use crate::domain::stats::{rate, Rate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

const HOUR_MS: f64 = 3_600_000.0;

text_enum!(
    /// What the registration-health rows are split by.
    RegistrationSplit {
        Approver => "approver" / "Approver",
        Region => "region" / "Region",
        Tier => "tier" / "Tier",
    }
);

/// One registration as the view needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub org_id: i64,
    pub region: String,
    pub submitted_at: i64,
    pub decided_at: Option<i64>,
    pub status: RegistrationStatus,
    /// The conflict engine did not clear it on its own.
    pub flagged: bool,
    /// Who decided it; `None` when nobody has, or the engine approved it alone.
    pub approver: Option<String>,
    /// The deal is still open (neither won nor lost).
    pub open: bool,
}

impl Registration {
    fn decided(&self) -> bool {
        !matches!(
            self.status,
            RegistrationStatus::Pending | RegistrationStatus::InfoRequested
        ) && self.decided_at.is_some()
    }

    fn approved(&self) -> bool {
        matches!(
            self.status,
            RegistrationStatus::Approved | RegistrationStatus::Expired
        )
    }

    fn hours_to_decision(&self) -> Option<f64> {
        let decided = self.decided_at.filter(|_| self.decided())?;
        Some((decided - self.submitted_at).max(0) as f64 / HOUR_MS)
    }
}

/// The health figures of a set of registrations.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub submitted: u64,
    pub pending: u64,
    pub approval_rate: Rate,
    pub median_hours_to_approval: Option<f64>,
    pub within_sla: Rate,
    pub conflict_rate: Rate,
    pub expiry_rate: Rate,
}

pub fn health(registrations: &[&Registration], sla_hours: i64) -> Health {
    let count = |keep: &dyn Fn(&Registration) -> bool| {
        registrations.iter().filter(|r| keep(r)).count() as u64
    };
    let decided = count(&|r| r.decided());
    let approved = count(&|r| r.decided() && r.approved());
    let mut approval_hours: Vec<f64> = registrations
        .iter()
        .filter(|r| r.approved())
        .filter_map(|r| r.hours_to_decision())
        .collect();
    let within = count(&|r| r.hours_to_decision().is_some_and(|h| h <= sla_hours as f64));
    Health {
        submitted: registrations.len() as u64,
        pending: registrations.len() as u64 - decided,
        approval_rate: rate(approved, decided),
        median_hours_to_approval: median(&mut approval_hours),
        within_sla: rate(within, decided),
        conflict_rate: rate(count(&|r| r.flagged), registrations.len() as u64),
        expiry_rate: rate(
            count(&|r| r.status == RegistrationStatus::Expired && r.open),
            approved,
        ),
    }
}

/// One week of the trend: the median hours to approval of registrations submitted that
/// week and approved, and how many there were.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    pub start_ms: i64,
    pub approved: u64,
    pub median_hours: Option<f64>,
}

/// The view: overall health, one row per split value, and the weekly trend.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationHealth {
    pub overall: Health,
    pub rows: Vec<(String, Health)>,
    pub weeks: Vec<Week>,
}

pub fn registration_health(
    registrations: &[Registration],
    orgs: &[Org],
    filters: &Filters,
    window: &Window,
    split: RegistrationSplit,
    sla_hours: i64,
) -> RegistrationHealth {
    let org_of: BTreeMap<i64, &Org> = orgs.iter().map(|o| (o.id, o)).collect();
    let counted: Vec<(&Registration, &Org)> = registrations
        .iter()
        .filter(|r| r.submitted_at >= window.start_ms && r.submitted_at < window.end_ms)
        .filter_map(|r| Some((r, *org_of.get(&r.org_id)?)))
        .filter(|(r, org)| {
            filters.partner_type.is_none_or(|t| t == org.partner_type)
                && filters.tier.is_none_or(|t| t == org.tier)
                && filters
                    .region
                    .as_deref()
                    .is_none_or(|region| region.eq_ignore_ascii_case(r.region.trim()))
        })
        .collect();
    let mut groups: BTreeMap<String, Vec<&Registration>> = BTreeMap::new();
    for (registration, org) in &counted {
        let key = match split {
            RegistrationSplit::Approver => match (&registration.approver, registration.decided()) {
                (Some(name), _) => name.clone(),
                (None, true) => "Approved automatically".to_string(),
                (None, false) => "Not decided yet".to_string(),
            },
            RegistrationSplit::Region if registration.region.trim().is_empty() => {
                "No region".to_string()
            }
            RegistrationSplit::Region => registration.region.trim().to_string(),
            RegistrationSplit::Tier => org.tier.label().to_string(),
        };
        groups.entry(key).or_default().push(registration);
    }
    let all: Vec<&Registration> = counted.iter().map(|(r, _)| *r).collect();
    let mut by_week: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    // Weeks start on Monday in the program's zone (so one may be an hour short or long).
    let zone = window.zone;
    let mut week = zone.week_start(window.start_ms);
    while week < window.end_ms {
        by_week.insert(week, Vec::new());
        week = zone.next_week(week);
    }
    for registration in all.iter().filter(|r| r.approved()) {
        if let (Some(hours), Some(bucket)) = (
            registration.hours_to_decision(),
            by_week.get_mut(&zone.week_start(registration.submitted_at)),
        ) {
            bucket.push(hours);
        }
    }
    let mut rows: Vec<(String, Health)> = groups
        .into_iter()
        .map(|(key, members)| (key, health(&members, sla_hours)))
        .collect();
    // Busiest first: the rows a manager acts on.
    rows.sort_by(|a, b| b.1.submitted.cmp(&a.1.submitted).then(a.0.cmp(&b.0)));
    RegistrationHealth {
        overall: health(&all, sla_hours),
        rows,
        weeks: by_week
            .into_iter()
            .map(|(start_ms, mut hours)| Week {
                start_ms,
                approved: hours.len() as u64,
                median_hours: median(&mut hours),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{PartnerType, Tier};
    use crate::domain::insights::{trailing_window, DAY_MS};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z, a Sunday
    const HOUR: i64 = 3_600_000;

    fn org(id: i64, tier: Tier) -> Org {
        Org {
            id,
            name: format!("Org {id}"),
            partner_type: PartnerType::Reseller,
            tier,
            region: "EMEA".into(),
            onboarded_at: 0,
        }
    }

    fn registration(
        org_id: i64,
        days_ago: i64,
        hours_to_decide: Option<i64>,
        status: RegistrationStatus,
    ) -> Registration {
        let submitted_at = NOW - days_ago * DAY_MS;
        Registration {
            org_id,
            region: "EMEA".into(),
            submitted_at,
            decided_at: hours_to_decide.map(|h| submitted_at + h * HOUR),
            status,
            flagged: false,
            approver: hours_to_decide.map(|_| "Marco".to_string()),
            open: true,
        }
    }

    #[test]
    fn weeks_start_on_monday_in_the_program_zone() {
        // 2026-12-06 is a Sunday; its week began on Monday 2026-11-30.
        let utc = Zone::UTC;
        assert_eq!(utc.week_start(NOW), NOW - 6 * DAY_MS);
        assert_eq!(utc.week_start(NOW - 6 * DAY_MS), NOW - 6 * DAY_MS);
        assert_eq!(utc.week_start(NOW + DAY_MS), NOW + DAY_MS);
        // Submitted Sunday 20:00 in New York (01:00 UTC Monday) and approved at once: in
        // New York it belongs to the week before, in UTC to the week it opens.
        let new_york = Zone::parse("America/New_York").expect("a zone");
        let mut late_sunday = registration(1, 0, Some(2), RegistrationStatus::Approved);
        late_sunday.submitted_at = NOW + DAY_MS + HOUR;
        late_sunday.decided_at = Some(late_sunday.submitted_at + 2 * HOUR);
        let orgs = [org(1, Tier::Gold)];
        let week_of = |zone: Zone| {
            let window = trailing_window(NOW + 3 * DAY_MS, 3, zone);
            let view = registration_health(
                std::slice::from_ref(&late_sunday),
                &orgs,
                &Filters::default(),
                &window,
                RegistrationSplit::Approver,
                48,
            );
            let counted: Vec<i64> = view
                .weeks
                .iter()
                .filter(|w| w.approved > 0)
                .map(|w| w.start_ms)
                .collect();
            (counted, view.weeks.len())
        };
        assert_eq!(week_of(utc).0, [NOW + DAY_MS]);
        // Monday 2026-11-30, 00:00 EST.
        assert_eq!(week_of(new_york).0, [NOW - 6 * DAY_MS + 5 * HOUR]);
        // Every week of the window is listed, each starting on a Monday in the zone.
        let window = trailing_window(NOW, 12, new_york);
        let view = registration_health(
            &[],
            &orgs,
            &Filters::default(),
            &window,
            RegistrationSplit::Approver,
            48,
        );
        assert!(view.weeks.len() >= 52);
        for week in &view.weeks {
            let day = new_york.date_of(week.start_ms);
            assert_eq!(chrono::Datelike::weekday(&day), chrono::Weekday::Mon);
            assert_eq!(new_york.start_of(day), week.start_ms);
        }
    }

    #[test]
    fn health_counts_as_defined_and_keeps_pending_apart() {
        use RegistrationStatus::*;
        let mut flagged = registration(1, 10, Some(100), Declined);
        flagged.flagged = true;
        // Protection also ends on deals already won or lost: that is no lapse.
        let mut won = registration(1, 10, Some(30), Expired);
        won.open = false;
        let all = [
            registration(1, 10, Some(2), Approved),
            registration(1, 10, Some(10), Approved),
            registration(1, 10, Some(60), Expired),
            won,
            flagged,
            registration(1, 10, None, Pending),
            registration(1, 10, None, InfoRequested),
        ];
        let refs: Vec<&Registration> = all.iter().collect();
        let health = health(&refs, 48);
        assert_eq!((health.submitted, health.pending), (7, 2));
        assert_eq!(
            (health.approval_rate.successes, health.approval_rate.n),
            (4, 5)
        );
        // Median of 2, 10, 30 and 60 hours; the declined one is not an approval.
        assert_eq!(health.median_hours_to_approval, Some(20.0));
        assert_eq!((health.within_sla.successes, health.within_sla.n), (3, 5));
        assert_eq!(
            (health.conflict_rate.successes, health.conflict_rate.n),
            (1, 7)
        );
        assert_eq!((health.expiry_rate.successes, health.expiry_rate.n), (1, 4));
        // Under ten: counted, not shown as a rate.
        assert_eq!(health.approval_rate.shown, None);
    }

    #[test]
    fn the_view_filters_splits_and_trends_by_week() {
        use RegistrationStatus::*;
        let orgs = [org(1, Tier::Gold), org(2, Tier::Silver)];
        let mut automatic = registration(2, 3, Some(0), Approved);
        automatic.approver = None;
        let all = [
            registration(1, 1, Some(4), Approved),
            registration(1, 2, Some(8), Approved),
            registration(1, 20, Some(30), Approved),
            registration(1, 400, Some(30), Approved), // before the window
            automatic,
            registration(2, 3, None, Pending),
        ];
        let window = trailing_window(NOW, 3, Zone::UTC);
        let view = registration_health(
            &all,
            &orgs,
            &Filters::default(),
            &window,
            RegistrationSplit::Approver,
            48,
        );
        assert_eq!(view.overall.submitted, 5);
        let rows: Vec<(&str, u64)> = view
            .rows
            .iter()
            .map(|(k, h)| (k.as_str(), h.submitted))
            .collect();
        assert_eq!(
            rows,
            [
                ("Marco", 3),
                ("Approved automatically", 1),
                ("Not decided yet", 1)
            ]
        );
        let last = view.weeks.last().unwrap();
        assert_eq!(last.start_ms, NOW - 6 * DAY_MS);
        // Submitted 1, 2 and 3 days ago and approved after 4, 8 and 0 hours.
        assert_eq!((last.approved, last.median_hours), (3, Some(4.0)));
        assert!(view.weeks.iter().any(|w| w.median_hours.is_none()));
        let gold = Filters {
            tier: Some(Tier::Gold),
            ..Filters::default()
        };
        let by_tier = registration_health(&all, &orgs, &gold, &window, RegistrationSplit::Tier, 48);
        assert_eq!(by_tier.rows.len(), 1);
        assert_eq!(by_tier.rows[0].0, "Gold");
        assert_eq!(
            RegistrationSplit::parse("region"),
            Some(RegistrationSplit::Region)
        );
    }
}
