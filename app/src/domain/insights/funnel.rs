//! The learning funnel (view 1): of the paths assigned in the window, how many people have
//! since started, finished the lessons, passed (the path complete, its quizzes passed) and
//! been certified.
//!
//! - A stage counts distinct (person, path) pairs, and someone counts at a stage only with
//!   every stage before it: a later stage is evidence of the earlier ones (a path completed
//!   before a recertification reset its progress still counts as started).
//! - "Started" needs a real event, a step done or a quiz attempt, never a page view.
//! - "Certified" applies only to paths some certification requires; its conversion is over
//!   the people who passed such a path, so paths without a certificate do not drag it down.
use super::{Assignment, Filters, Window};
use crate::domain::stats::{rate, Rate};
use std::collections::BTreeMap;

/// The funnel's stages, in order.
pub const STAGES: [&str; 5] = [
    "Assigned",
    "Started",
    "Finished the lessons",
    "Passed",
    "Certified",
];

/// One funnel: how many reached each stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub label: String,
    /// People at each of `STAGES`; the last counts only paths that lead to a certificate.
    pub reached: [u64; 5],
    /// Of those who passed, the ones on a path that leads to a certificate (the last
    /// stage's denominator); 0 when no path in the funnel leads to one.
    pub passed_toward_certificate: u64,
}

impl Funnel {
    /// Whether the last stage applies (some path here leads to a certificate).
    pub fn certifies(&self) -> bool {
        self.passed_toward_certificate > 0 || self.reached[4] > 0
    }

    /// Each stage's conversion from the stage before it (so one fewer than the stages),
    /// with its Wilson interval; the last is `None` where no path leads to a certificate.
    pub fn conversions(&self) -> Vec<Option<Rate>> {
        (1..STAGES.len())
            .map(|k| {
                let before = if k == 4 {
                    if !self.certifies() {
                        return None;
                    }
                    self.passed_toward_certificate
                } else {
                    self.reached[k - 1]
                };
                Some(rate(self.reached[k], before))
            })
            .collect()
    }

    fn add(&mut self, assignment: &Assignment) {
        let stage = furthest_stage(assignment);
        for reached in self.reached.iter_mut().take(stage + 1) {
            *reached += 1;
        }
        if stage >= 3 && assignment.leads_to_certificate {
            self.passed_toward_certificate += 1;
        }
    }
}

/// The index in `STAGES` of the furthest stage an assignment reached.
pub fn furthest_stage(assignment: &Assignment) -> usize {
    if assignment.leads_to_certificate && assignment.certified_at.is_some() {
        4
    } else if assignment.completed_at.is_some() {
        3
    } else if assignment.lessons_done_at.is_some() {
        2
    } else if assignment.started_at.is_some() {
        1
    } else {
        0
    }
}

/// The whole funnel and one per group (`group_of` names an assignment's group), largest
/// group first: assignments made in the window, under the filters.
pub fn funnels(
    assignments: &[Assignment],
    filters: &Filters,
    window: &Window,
    group_of: impl Fn(&Assignment) -> String,
) -> (Funnel, Vec<Funnel>) {
    let mut overall = Funnel {
        label: "All".to_string(),
        ..Funnel::default()
    };
    let mut groups: BTreeMap<String, Funnel> = BTreeMap::new();
    for assignment in assignments.iter().filter(|a| {
        filters.admits(&a.person, a.path_id)
            && a.assigned_at >= window.start_ms
            && a.assigned_at < window.end_ms
    }) {
        overall.add(assignment);
        let label = group_of(assignment);
        groups
            .entry(label.clone())
            .or_insert_with(|| Funnel {
                label,
                ..Funnel::default()
            })
            .add(assignment);
    }
    let mut rows: Vec<Funnel> = groups.into_values().collect();
    rows.sort_by(|a, b| b.reached[0].cmp(&a.reached[0]).then(a.label.cmp(&b.label)));
    (overall, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{JobRole, PartnerType, Tier};
    use crate::domain::insights::{trailing_window, Person, DAY_MS};
    use crate::domain::zone::Zone;

    const NOW: i64 = 1_796_515_200_000; // 2026-12-06T00:00:00Z

    fn assignment(path_id: i64, days_ago: i64) -> Assignment {
        let person = Person {
            partner_type: PartnerType::Reseller,
            tier: Tier::Gold,
            region: "EMEA".into(),
            job_role: Some(JobRole::Sales),
        };
        Assignment::new(1, 1, person, path_id, NOW - days_ago * DAY_MS)
    }

    #[test]
    fn a_later_stage_counts_every_earlier_one() {
        let mut certified = assignment(1, 10);
        certified.leads_to_certificate = true;
        certified.certified_at = Some(NOW);
        assert_eq!(furthest_stage(&certified), 4);
        // Completed before a reset wiped the step progress: still started and through the lessons.
        let mut completed = assignment(1, 10);
        completed.completed_at = Some(NOW);
        assert_eq!(furthest_stage(&completed), 3);
        let mut lessons = assignment(1, 10);
        lessons.lessons_done_at = Some(NOW);
        assert_eq!(furthest_stage(&lessons), 2);
        let mut started = assignment(1, 10);
        started.started_at = Some(NOW);
        assert_eq!(furthest_stage(&started), 1);
        // Activity alone (a page or video position saved) is not a start.
        let mut looked = assignment(1, 10);
        looked.last_activity_at = Some(NOW);
        assert_eq!(furthest_stage(&looked), 0);
        // A certificate on a path no certification requires is not this funnel's stage.
        let mut stray = assignment(1, 10);
        stray.completed_at = Some(NOW);
        stray.certified_at = Some(NOW);
        assert_eq!(furthest_stage(&stray), 3);
    }

    #[test]
    fn stages_convert_from_the_stage_before_and_certification_only_over_certifying_paths() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        let mut all = Vec::new();
        // Path 1 leads to a certificate: 10 assigned, 8 started, 6 lessons, 5 passed, 2 certified.
        for i in 0..10 {
            let mut a = assignment(1, 40);
            a.leads_to_certificate = true;
            a.started_at = (i < 8).then_some(NOW);
            a.lessons_done_at = (i < 6).then_some(NOW);
            a.completed_at = (i < 5).then_some(NOW);
            a.certified_at = (i < 2).then_some(NOW);
            all.push(a);
        }
        // Path 2 has no certificate: 4 assigned, all passed.
        for _ in 0..4 {
            let mut a = assignment(2, 40);
            a.completed_at = Some(NOW);
            all.push(a);
        }
        // Assigned before the window: not counted.
        all.push(assignment(1, 400));
        let (overall, rows) = funnels(&all, &Filters::default(), &window, |a| {
            format!("Path {}", a.path_id)
        });
        assert_eq!(overall.reached, [14, 12, 10, 9, 2]);
        assert_eq!(overall.passed_toward_certificate, 5);
        let conversions = overall.conversions();
        let shares: Vec<(u64, u64)> = conversions
            .iter()
            .map(|r| r.as_ref().map_or((0, 0), |r| (r.successes, r.n)))
            .collect();
        assert_eq!(shares, [(12, 14), (10, 12), (9, 10), (2, 5)]);
        assert_eq!(rows[0].label, "Path 1");
        assert_eq!(rows[1].reached, [4, 4, 4, 4, 0]);
        assert!(!rows[1].certifies());
        assert_eq!(rows[1].conversions()[3], None);
        let narrowed = funnels(
            &all,
            &Filters {
                path_id: Some(2),
                ..Filters::default()
            },
            &window,
            |_| String::new(),
        );
        assert_eq!(narrowed.0.reached[0], 4);
    }
}
