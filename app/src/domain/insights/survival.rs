//! Time-to-event views, drawn as Kaplan–Meier curves of the share that has had the event:
//!
//! - Completion cohort curves (view 3): people grouped by the month a path was assigned to
//!   them; the event is completing it; whoever has not is censored today. A recent cohort's
//!   curve is short, not low: it is drawn only as far as its follow-up.
//! - Time to first deal (view 4): organisations that joined in the window; the event is the
//!   close of their first won deal, counted from joining; those without one are censored
//!   today. Never an average over the winners alone. The landmark split compares those with
//!   a certified person by day 60 against those without, counting only organisations still
//!   without a win at day 60 (so no organisation is credited with time before it certified).
use super::certified::{outcome, Deal, Org, Outcome, Spell};
use super::scorecard::first_win_days;
use super::{Assignment, Filters, Window, DAY_MS};
use crate::domain::identity::text_enum;
use crate::domain::stats::{
    kaplan_meier, km_median, km_median_interval, survival_at, survival_interval_at, Interval,
    KmStep, Observation, MIN_N,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The days the cohort table reads each curve at.
pub const COHORT_DAYS: [u32; 4] = [7, 30, 60, 90];
/// The days the first-deal table reads each curve at.
pub const DEAL_DAYS: [u32; 3] = [90, 180, 365];
/// The landmark: a certified person by this many days after joining.
pub const LANDMARK_DAYS: i64 = 60;

/// One group's curve of the share that has had the event, with its median.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub label: String,
    pub n: u64,
    pub events: u64,
    /// The longest follow-up, in days: the curve stops there.
    pub follow_up: f64,
    steps: Vec<KmStep>,
}

impl Curve {
    pub fn new(label: String, observations: &[Observation]) -> Curve {
        Curve {
            label,
            n: observations.len() as u64,
            events: observations.iter().filter(|o| o.event).count() as u64,
            follow_up: observations.iter().map(|o| o.time).fold(0.0, f64::max),
            steps: kaplan_meier(observations),
        }
    }

    /// (day, share that has had the event by then), one per day the share rises.
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.steps
            .iter()
            .map(|s| (s.time, 1.0 - s.survival))
            .collect()
    }

    /// The share that has had the event by `day`, with its 95% interval; `None` when the
    /// group is too small for a rate or nobody was followed that long.
    pub fn share_by(&self, day: f64) -> Option<(f64, Option<Interval>)> {
        if self.n < MIN_N {
            return None;
        }
        if self.follow_up < day {
            // Past the follow-up only a curve everyone has finished is known: it stays at 1.
            let all_done = self.steps.last().is_some_and(|s| s.survival <= 0.0);
            return all_done.then_some((1.0, None));
        }
        let share = 1.0 - survival_at(&self.steps, day);
        let interval = survival_interval_at(&self.steps, day).map(|i| Interval {
            lower: 1.0 - i.upper,
            upper: 1.0 - i.lower,
        });
        Some((share, interval))
    }

    /// The median time to the event (`None`: not reached) and its 95% interval's bounds.
    pub fn median(&self) -> (Option<f64>, (Option<f64>, Option<f64>)) {
        if self.n < MIN_N {
            return (None, (None, None));
        }
        (km_median(&self.steps), km_median_interval(&self.steps))
    }
}

fn days(ms: i64) -> f64 {
    (ms.max(0) / DAY_MS) as f64
}

/// Completion curves for everyone assigned in the window and per assignment month (oldest
/// first), as of `as_of`.
pub fn completion_cohorts(
    assignments: &[Assignment],
    filters: &Filters,
    window: &Window,
    as_of: i64,
) -> (Curve, Vec<Curve>) {
    let mut all = Vec::new();
    let mut months: BTreeMap<i64, (String, Vec<Observation>)> = BTreeMap::new();
    for assignment in assignments.iter().filter(|a| {
        filters.admits(&a.person, a.path_id)
            && a.assigned_at >= window.start_ms
            && a.assigned_at < window.end_ms
    }) {
        let observation = match assignment.completed_at.filter(|at| *at <= as_of) {
            Some(done) => Observation {
                time: days(done - assignment.assigned_at),
                event: true,
            },
            None => Observation {
                time: days(as_of - assignment.assigned_at),
                event: false,
            },
        };
        all.push(observation);
        let (key, label) = window.zone.month_of(assignment.assigned_at);
        months
            .entry(key)
            .or_insert_with(|| (label, Vec::new()))
            .1
            .push(observation);
    }
    let cohorts = months
        .into_values()
        .map(|(label, observations)| Curve::new(label, &observations))
        .collect();
    (Curve::new("Everyone".to_string(), &all), cohorts)
}

text_enum!(
    /// What the first-deal curves are split by.
    DealSplit {
        Landmark => "landmark" / "Certified by day 60",
        PartnerType => "partner_type" / "Partner type",
        Tier => "tier" / "Tier",
        Region => "region" / "Region",
        Quarter => "quarter" / "Quarter joined",
    }
);

/// Time to first deal for organisations that joined in the window, as of `as_of`: everyone,
/// and one curve per group (the landmark split: certified by day 60 first, then not).
/// `spells` narrowed by the role and path filters decide "certified".
pub fn time_to_first_deal(
    orgs: &[Org],
    deals: &[Deal],
    spells: &[Spell],
    filters: &Filters,
    window: &Window,
    as_of: i64,
    split: DealSplit,
) -> (Curve, Vec<Curve>) {
    let mut deals_of: BTreeMap<i64, Vec<&Deal>> = BTreeMap::new();
    for deal in deals.iter().filter(|d| outcome(d.stage) == Outcome::Won) {
        deals_of.entry(deal.org_id).or_default().push(deal);
    }
    let mut all = Vec::new();
    let mut groups: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    for org in orgs.iter().filter(|o| {
        o.admitted(filters) && o.onboarded_at >= window.start_ms && o.onboarded_at < window.end_ms
    }) {
        let won = deals_of.get(&org.id).map_or(&[][..], Vec::as_slice);
        let (elapsed, event) = first_win_days(org, won, as_of);
        let observation = Observation {
            time: elapsed as f64,
            event,
        };
        all.push(observation);
        let group = match split {
            DealSplit::PartnerType => org.partner_type.label().to_string(),
            DealSplit::Tier => org.tier.label().to_string(),
            DealSplit::Region if org.region.trim().is_empty() => "No region".to_string(),
            DealSplit::Region => org.region.trim().to_string(),
            DealSplit::Quarter => window.zone.quarter_of(org.onboarded_at),
            DealSplit::Landmark => {
                // Only organisations followed past the landmark without a win yet.
                if elapsed < LANDMARK_DAYS || (event && elapsed <= LANDMARK_DAYS) {
                    continue;
                }
                let landmark = org.onboarded_at + LANDMARK_DAYS * DAY_MS;
                let certified = spells
                    .iter()
                    .any(|s| s.org_id == org.id && s.counts(filters) && s.from <= landmark);
                if certified {
                    "Certified by day 60".to_string()
                } else {
                    "Not certified by day 60".to_string()
                }
            }
        };
        groups.entry(group).or_default().push(observation);
    }
    let curves = groups
        .into_iter()
        .map(|(label, observations)| Curve::new(label, &observations))
        .collect();
    (Curve::new("Every organisation".to_string(), &all), curves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::channel::deals::Stage;
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{trailing_window, Person};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn observations(times: &[(f64, bool)]) -> Vec<Observation> {
        times
            .iter()
            .map(|(time, event)| Observation {
                time: *time,
                event: *event,
            })
            .collect()
    }

    /// lifelines 0.30 `KaplanMeierFitter` on T = [1,2,2,3,4,4,5,6,7,8,9,12],
    /// E = [1,1,0,1,1,0,1,0,1,0,1,0]: survival and its log(-log) interval.
    #[test]
    fn the_share_and_its_interval_match_lifelines() {
        let curve = Curve::new(
            "x".into(),
            &observations(&[
                (1.0, true),
                (2.0, true),
                (2.0, false),
                (3.0, true),
                (4.0, true),
                (4.0, false),
                (5.0, true),
                (6.0, false),
                (7.0, true),
                (8.0, false),
                (9.0, true),
                (12.0, false),
            ]),
        );
        assert_eq!((curve.n, curve.events, curve.follow_up), (12, 7, 12.0));
        let (share, interval) = curve.share_by(5.0).unwrap();
        let interval = interval.unwrap();
        // S(5) = 0.540123, interval [0.216561, 0.780364].
        assert!((share - (1.0 - 0.540123)).abs() < 5e-7, "{share}");
        assert!(
            (1.0 - interval.upper - LIFELINES_LOWER_AT_5).abs() < 5e-5,
            "{interval:?}"
        );
        assert!(
            (1.0 - interval.lower - LIFELINES_UPPER_AT_5).abs() < 5e-5,
            "{interval:?}"
        );
        // lifelines' median survival time is 7.
        assert_eq!(curve.median().0, Some(7.0));
        // Nobody followed past 12 days: no share at 30, unless everyone had the event.
        assert_eq!(curve.share_by(30.0), None);
        let everyone = Curve::new("z".into(), &observations(&[(2.0, true); 10]));
        assert_eq!(everyone.share_by(30.0), Some((1.0, None)));
        // Too few for a rate.
        let small = Curve::new("y".into(), &observations(&[(1.0, true), (3.0, false)]));
        assert_eq!(small.share_by(1.0), None);
        assert_eq!(small.median(), (None, (None, None)));
        assert_eq!(small.points(), [(1.0, 0.5)]);
    }

    const LIFELINES_LOWER_AT_5: f64 = 0.216561;
    const LIFELINES_UPPER_AT_5: f64 = 0.780364;

    fn assignment(assigned_days_ago: i64, completed_after: Option<i64>) -> Assignment {
        let person = Person {
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            job_role: Some(JobRole::Sales),
        };
        let assigned_at = NOW - assigned_days_ago * DAY_MS;
        Assignment {
            completed_at: completed_after.map(|d| assigned_at + d * DAY_MS),
            ..Assignment::new(1, 1, person, 1, assigned_at)
        }
    }

    #[test]
    fn cohorts_are_assignment_months_censored_today_and_drawn_to_their_follow_up() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        // November 1 cohort (35 days ago): 10 people, 5 finished on day 3, the rest not yet.
        // December 1 cohort (5 days ago): 10 people, 2 finished on day 1.
        let mut all: Vec<Assignment> = (0..10)
            .map(|i| assignment(35, (i < 5).then_some(3)))
            .collect();
        all.extend((0..10).map(|i| assignment(5, (i < 2).then_some(1))));
        all.push(assignment(400, Some(1)));
        let (everyone, cohorts) = completion_cohorts(&all, &Filters::default(), &window, NOW);
        assert_eq!(everyone.n, 20);
        let labels: Vec<&str> = cohorts.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["Nov 2026", "Dec 2026"]);
        assert_eq!(cohorts[0].share_by(30.0).map(|s| s.0), Some(0.5));
        assert_eq!(cohorts[0].follow_up, 35.0);
        // The December cohort is short, not low: nothing said about day 7.
        assert_eq!(cohorts[1].share_by(7.0), None);
        let december = cohorts[1].share_by(5.0).unwrap().0;
        assert!((december - 0.2).abs() < 1e-12, "{december}");
    }

    fn org(id: i64, joined_days_ago: i64) -> Org {
        Org {
            id,
            name: format!("Org {id}"),
            partner_type: PartnerType::Reseller,
            tier: Tier::Silver,
            region: "EMEA".into(),
            onboarded_at: NOW - joined_days_ago * DAY_MS,
        }
    }

    fn won(org_id: i64, closed_days_ago: i64) -> Deal {
        Deal {
            org_id,
            created_at: NOW - (closed_days_ago + 10) * DAY_MS,
            closed_at: Some(NOW - closed_days_ago * DAY_MS),
            stage: Stage::Won,
            amount_cents: 100,
        }
    }

    #[test]
    fn first_deals_count_slow_partners_as_censored_and_the_landmark_waits_for_day_60() {
        let window = trailing_window(NOW, 24, Zone::UTC);
        // Org 1 joined 300 days ago and won on day 100; org 2 joined 200 days ago and won
        // on day 30; org 3 joined 100 days ago, no win yet; org 4 joined 40 days ago.
        let orgs = [org(1, 300), org(2, 200), org(3, 100), org(4, 40)];
        let mut lost = won(3, 5);
        lost.stage = Stage::Lost;
        let deals = [won(1, 200), won(2, 170), lost];
        // Org 1 certified on day 50; org 3 on day 90 (after the landmark).
        let spell = |org_id: i64, day: i64| Spell {
            org_id,
            from: orgs[(org_id - 1) as usize].onboarded_at + day * DAY_MS,
            until: NOW + DAY_MS,
            holder_role: Some(JobRole::Sales),
            path_ids: vec![1],
        };
        let spells = [spell(1, 50), spell(3, 90)];
        let (everyone, _) = time_to_first_deal(
            &orgs,
            &deals,
            &spells,
            &Filters::default(),
            &window,
            NOW,
            DealSplit::Tier,
        );
        assert_eq!((everyone.n, everyone.events), (4, 2));
        // At day 100 two are still at risk (org 1 wins, org 3 is censored): 1 − 0.75 × 0.5.
        assert_eq!(everyone.points(), [(30.0, 0.25), (100.0, 0.625)]);
        let (_, landmark) = time_to_first_deal(
            &orgs,
            &deals,
            &spells,
            &Filters::default(),
            &window,
            NOW,
            DealSplit::Landmark,
        );
        // Org 2 won before day 60 and org 4 has not reached it: neither is in a group.
        let groups: Vec<(&str, u64, u64)> = landmark
            .iter()
            .map(|c| (c.label.as_str(), c.n, c.events))
            .collect();
        assert_eq!(
            groups,
            [
                ("Certified by day 60", 1, 1),
                ("Not certified by day 60", 1, 0)
            ]
        );
        // Joined before the window: left out.
        let (recent, _) = time_to_first_deal(
            &orgs,
            &deals,
            &spells,
            &Filters::default(),
            &trailing_window(NOW, 6, Zone::UTC),
            NOW,
            DealSplit::Quarter,
        );
        assert_eq!(recent.n, 2);
        assert_eq!(Zone::UTC.quarter_of(NOW), "2026 Q4");
    }
}
