//! Program analytics: the definitions behind each view, as pure functions over plain facts
//! the repository reads. Rates come with their counts and Wilson intervals (`stats`).
//!
//! Completion rate by segment (view 2): of the people a path was assigned to in the window,
//! early enough to have had `TIME_TO_COMPLETE_DAYS` to finish before the window ends, the
//! share who completed it. A path is assigned to everybody in its audience when it is first
//! published, or when they join, whichever is later.
pub mod at_risk;
pub mod certificates;
pub mod certified;
pub mod funnel;
pub mod quiz_items;
pub mod registrations;
pub mod satisfaction;
pub mod scorecard;
pub mod sourced;
pub mod survival;

use super::identity::{JobRole, PartnerType, Tier};
use super::stats::{rate, Rate};
use super::zone::Zone;
use chrono::Months;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const DAY_MS: i64 = 86_400_000;
/// Everyone counted had at least this long to finish.
pub const TIME_TO_COMPLETE_DAYS: i64 = 30;
/// The windows a view offers, in months; the default is the trailing twelve.
pub const WINDOW_MONTHS: [u32; 4] = [3, 6, 12, 24];
pub const DEFAULT_WINDOW_MONTHS: u32 = 12;
/// Longest region name a filter takes.
pub const MAX_REGION_CHARS: usize = 100;

super::identity::text_enum!(
    /// What a view's rows are split by.
    Segment {
        PartnerType => "partner_type" / "Partner type",
        Tier => "tier" / "Tier",
        Region => "region" / "Region",
        JobRole => "job_role" / "Job role",
    }
);

/// The trailing window a view covers: `months` calendar months ending at the start of the
/// current day in the program's zone, so a day is never half in. The zone also cuts the
/// window's weeks, months and quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub months: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    pub zone: Zone,
}

pub fn trailing_window(now_ms: i64, months: u32, zone: Zone) -> Window {
    let end = zone.date_of(now_ms);
    let start = end.checked_sub_months(Months::new(months)).unwrap_or(end);
    Window {
        months,
        start_ms: zone.start_of(start),
        end_ms: zone.start_of(end),
        zone,
    }
}

/// The window in words, for a view's title: "Dec 6, 2025 – Dec 5, 2026 (12 months,
/// Europe/Berlin)".
pub fn window_label(window: &Window) -> String {
    format!(
        "{} – {} ({} months, {})",
        window.zone.day_label(window.start_ms),
        window.zone.day_label(window.end_ms - 1),
        window.months,
        window.zone.name()
    )
}

/// Who a fact is about, for filters and segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub partner_type: PartnerType,
    pub tier: Tier,
    pub region: String,
    pub job_role: Option<JobRole>,
}

impl Person {
    /// The person's row in a view split by `segment`.
    pub fn segment(&self, segment: Segment) -> String {
        match segment {
            Segment::PartnerType => self.partner_type.label().to_string(),
            Segment::Tier => self.tier.label().to_string(),
            Segment::Region if self.region.trim().is_empty() => "No region".to_string(),
            Segment::Region => self.region.trim().to_string(),
            Segment::JobRole => self
                .job_role
                .map_or("No job role", JobRole::label)
                .to_string(),
        }
    }
}

/// The filters every view takes, checked (the API turns bad text into field errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub partner_type: Option<PartnerType>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub job_role: Option<JobRole>,
    pub path_id: Option<i64>,
}

impl Filters {
    /// Whether a fact about `person` on `path_id` is in the view.
    pub fn admits(&self, person: &Person, path_id: i64) -> bool {
        self.partner_type.is_none_or(|t| t == person.partner_type)
            && self.tier.is_none_or(|t| t == person.tier)
            && self
                .region
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case(person.region.trim()))
            && self.job_role.is_none_or(|r| Some(r) == person.job_role)
            && self.path_id.is_none_or(|p| p == path_id)
    }
}

/// One person's assignment of one path, and how far they have gone with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The person's organisation.
    pub org_id: i64,
    pub user_id: i64,
    pub person: Person,
    pub path_id: i64,
    pub assigned_at: i64,
    /// Their first real step: a step done or a quiz attempt started (a page view is not one).
    pub started_at: Option<i64>,
    /// When every required lesson (each required step but the quizzes) was done.
    pub lessons_done_at: Option<i64>,
    /// When the path was complete: every required step done, its quizzes passed.
    pub completed_at: Option<i64>,
    /// Whether some certification requires this path.
    pub leads_to_certificate: bool,
    /// Their first certificate of a certification that requires the path.
    pub certified_at: Option<i64>,
    /// Their latest activity on the path (progress saved, a step done, an attempt).
    pub last_activity_at: Option<i64>,
}

impl Assignment {
    /// An assignment nobody has acted on yet.
    pub fn new(org_id: i64, user_id: i64, person: Person, path_id: i64, assigned_at: i64) -> Self {
        Assignment {
            org_id,
            user_id,
            person,
            path_id,
            assigned_at,
            started_at: None,
            lessons_done_at: None,
            completed_at: None,
            leads_to_certificate: false,
            certified_at: None,
            last_activity_at: None,
        }
    }
}

/// Whether an assignment counts in a completion rate over `window`: assigned inside it, and
/// early enough to have had the time to finish before it ends.
pub fn counts_for_completion(assignment: &Assignment, window: &Window) -> bool {
    assignment.assigned_at >= window.start_ms
        && assignment.assigned_at < window.end_ms
        && assignment.assigned_at <= window.end_ms - TIME_TO_COMPLETE_DAYS * DAY_MS
}

/// One row of a view split by segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRate {
    pub segment: String,
    pub rate: Rate,
}

/// Completion by segment: the overall rate (the reference line) and one row per segment,
/// best first by the interval's lower bound (a small segment cannot top the list by luck);
/// segments with too few people follow, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionBySegment {
    pub overall: Rate,
    pub rows: Vec<SegmentRate>,
}

pub fn completion_by_segment(
    assignments: &[Assignment],
    filters: &Filters,
    window: &Window,
    segment: Segment,
) -> CompletionBySegment {
    let mut counts: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let (mut done, mut total) = (0, 0);
    for assignment in assignments
        .iter()
        .filter(|a| filters.admits(&a.person, a.path_id) && counts_for_completion(a, window))
    {
        let completed = u64::from(assignment.completed_at.is_some());
        let entry = counts
            .entry(assignment.person.segment(segment))
            .or_default();
        entry.0 += completed;
        entry.1 += 1;
        done += completed;
        total += 1;
    }
    let mut rows: Vec<SegmentRate> = counts
        .into_iter()
        .map(|(segment, (x, n))| SegmentRate {
            segment,
            rate: rate(x, n),
        })
        .collect();
    rows.sort_by(|a, b| match (a.rate.shown, b.rate.shown) {
        (Some((_, x)), Some((_, y))) => y
            .lower
            .total_cmp(&x.lower)
            .then_with(|| a.segment.cmp(&b.segment)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b
            .rate
            .n
            .cmp(&a.rate.n)
            .then_with(|| a.segment.cmp(&b.segment)),
    });
    CompletionBySegment {
        overall: rate(done, total),
        rows,
    }
}

/// A share as the views print it: "64%" (whole percents; intervals are coarse anyway).
pub fn percent(share: f64) -> String {
    format!("{:.0}%", (share * 100.0).clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn person(tier: Tier, region: &str) -> Person {
        Person {
            partner_type: PartnerType::Reseller,
            tier,
            region: region.into(),
            job_role: Some(JobRole::Sales),
        }
    }

    fn assigned(tier: Tier, days_ago: i64, completed: bool) -> Assignment {
        Assignment {
            completed_at: completed.then_some(NOW),
            ..Assignment::new(1, 1, person(tier, "EMEA"), 1, NOW - days_ago * DAY_MS)
        }
    }

    #[test]
    fn the_window_is_whole_calendar_months_ending_at_the_start_of_today() {
        let window = trailing_window(NOW + 5 * 3_600_000, 12, Zone::UTC);
        assert_eq!(window.end_ms, NOW);
        assert_eq!(window.start_ms, NOW - 365 * DAY_MS);
        assert_eq!(
            window_label(&window),
            "Dec 6, 2025 – Dec 5, 2026 (12 months, UTC)"
        );
        assert_eq!(
            trailing_window(NOW, 3, Zone::UTC).start_ms,
            NOW - 91 * DAY_MS
        );
    }

    #[test]
    fn the_window_ends_at_midnight_in_the_program_zone() {
        // 23:30 UTC on Dec 6 is 00:30 on Dec 7 in Berlin: Dec 6 is a whole day there and in.
        let berlin = Zone::parse("Europe/Berlin").expect("a zone");
        let window = trailing_window(NOW + DAY_MS - 1_800_000, 12, berlin);
        assert_eq!(window.end_ms, 1_796_598_000_000); // 2026-12-07T00:00+01:00
        assert_eq!(window.start_ms, 1_765_062_000_000); // 2025-12-07T00:00+01:00
        assert_eq!(
            window_label(&window),
            "Dec 7, 2025 – Dec 6, 2026 (12 months, Europe/Berlin)"
        );
        // The same instant in UTC is still Dec 6: the window ends at its start.
        assert_eq!(
            trailing_window(NOW + DAY_MS - 1_800_000, 12, Zone::UTC).end_ms,
            NOW
        );
        // A window over a change of the clocks holds whole local days.
        let summer = trailing_window(1_782_864_000_000, 6, berlin); // 2026-07-01T00:00Z
        assert_eq!(summer.end_ms, 1_782_856_800_000); // 2026-07-01T00:00+02:00
        assert_eq!(summer.start_ms, 1_767_222_000_000); // 2026-01-01T00:00+01:00
    }

    #[test]
    fn only_assignments_with_time_to_finish_count() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        assert!(counts_for_completion(
            &assigned(Tier::Gold, 30, false),
            &window
        ));
        assert!(!counts_for_completion(
            &assigned(Tier::Gold, 29, false),
            &window
        ));
        assert!(counts_for_completion(
            &assigned(Tier::Gold, 365, false),
            &window
        ));
        assert!(!counts_for_completion(
            &assigned(Tier::Gold, 366, false),
            &window
        ));
    }

    #[test]
    fn segments_are_ranked_by_their_lower_bound_and_small_ones_say_too_few() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        let mut all = Vec::new();
        // Gold: 10 of 14 done. Silver: 30 of 40. Platinum: 3 of 3 (too few to rank).
        all.extend((0..14).map(|i| assigned(Tier::Gold, 40, i < 10)));
        all.extend((0..40).map(|i| assigned(Tier::Silver, 100, i < 30)));
        all.extend((0..3).map(|_| assigned(Tier::Platinum, 50, true)));
        // Too recent to count, and outside the window.
        all.push(assigned(Tier::Gold, 5, false));
        all.push(assigned(Tier::Gold, 400, false));
        let view = completion_by_segment(&all, &Filters::default(), &window, Segment::Tier);
        assert_eq!((view.overall.successes, view.overall.n), (43, 57));
        let order: Vec<&str> = view.rows.iter().map(|r| r.segment.as_str()).collect();
        assert_eq!(order, ["Silver", "Gold", "Platinum"]);
        let gold = view.rows[1].rate.shown.unwrap().1;
        assert!((gold.lower - 0.4535).abs() < 5e-5, "{gold:?}");
        assert_eq!(view.rows[2].rate.shown, None);
        assert_eq!(view.rows[2].rate.n, 3);
    }

    #[test]
    fn filters_narrow_every_dimension() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        let mut east = assigned(Tier::Gold, 40, true);
        east.person.region = " apac ".into();
        let west = assigned(Tier::Gold, 40, false);
        let all = [east, west];
        let only = |filters: Filters| {
            completion_by_segment(&all, &filters, &window, Segment::Region)
                .overall
                .n
        };
        assert_eq!(only(Filters::default()), 2);
        assert_eq!(
            only(Filters {
                region: Some("APAC".into()),
                ..Filters::default()
            }),
            1
        );
        assert_eq!(
            only(Filters {
                tier: Some(Tier::Silver),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            only(Filters {
                partner_type: Some(PartnerType::Distributor),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            only(Filters {
                job_role: Some(JobRole::Support),
                ..Filters::default()
            }),
            0
        );
        assert_eq!(
            only(Filters {
                path_id: Some(2),
                ..Filters::default()
            }),
            0
        );
        let rows = completion_by_segment(&all, &Filters::default(), &window, Segment::Region).rows;
        let names: Vec<&str> = rows.iter().map(|r| r.segment.as_str()).collect();
        assert_eq!(names, ["EMEA", "apac"]);
    }

    #[test]
    fn people_without_a_region_or_role_have_a_named_row() {
        let mut nobody = person(Tier::Registered, "  ");
        nobody.job_role = None;
        assert_eq!(nobody.segment(Segment::Region), "No region");
        assert_eq!(nobody.segment(Segment::JobRole), "No job role");
        assert_eq!(nobody.segment(Segment::Tier), "Registered");
        assert_eq!(nobody.segment(Segment::PartnerType), "Reseller");
        assert_eq!(Segment::parse("job_role"), Some(Segment::JobRole));
        assert_eq!(percent(0.6449), "64%");
        assert_eq!(percent(1.2), "100%");
    }
}
