//! Module satisfaction (view 8), per learning path (a "module" of the program): how many of
//! the people who completed it rated it (non-response is shown beside the score, never
//! hidden), the share of 4s and 5s with its Wilson interval, the mean, the 1–5 spread and
//! the latest comments. A score needs at least `MIN_N` ratings; modules are ranked by the
//! interval's lower bound, so a module with three glowing ratings does not top the list.
use super::{Assignment, Filters, Person, Window};
use crate::domain::identity::JobRole;
use crate::domain::stats::{rate, Rate};
use std::collections::{BTreeMap, HashSet};

/// The latest comments shown per module.
pub const COMMENTS_SHOWN: usize = 3;

/// One rating a partner user gave a path's survey step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingFact {
    pub user_id: i64,
    pub path_id: i64,
    pub person: Person,
    pub rating: i64,
    pub comment: String,
    pub at: i64,
}

/// A comment as the view shows it: when, and the writer's role (never their name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub at: i64,
    pub job_role: Option<JobRole>,
    pub text: String,
}

/// One module's satisfaction.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleSatisfaction {
    pub path_id: i64,
    /// Of the people who completed it in the window, those who rated it.
    pub response: Rate,
    /// Ratings given in the window, by score 1 to 5.
    pub distribution: [u64; 5],
    /// Ratings of 4 or 5 among the window's ratings.
    pub top_two: Rate,
    /// The mean rating (shown only with enough ratings, like the share).
    pub mean: Option<f64>,
    /// The latest comments, newest first.
    pub comments: Vec<Comment>,
}

impl ModuleSatisfaction {
    pub fn ratings(&self) -> u64 {
        self.distribution.iter().sum()
    }
}

#[derive(Default)]
struct Tally {
    completed: u64,
    responded: u64,
    distribution: [u64; 5],
    total: i64,
    comments: Vec<Comment>,
}

impl Tally {
    fn finish(self, path_id: i64) -> ModuleSatisfaction {
        let ratings: u64 = self.distribution.iter().sum();
        let top_two = rate(self.distribution[3] + self.distribution[4], ratings);
        let mut comments = self.comments;
        comments.sort_by_key(|c| std::cmp::Reverse(c.at));
        comments.truncate(COMMENTS_SHOWN);
        ModuleSatisfaction {
            path_id,
            response: rate(self.responded.min(self.completed), self.completed),
            mean: top_two.shown.map(|_| self.total as f64 / ratings as f64),
            distribution: self.distribution,
            top_two,
            comments,
        }
    }
}

/// Satisfaction over every module (path id 0) and per module, best first by the lower bound
/// of the share of 4s and 5s; modules with too few ratings follow, most rated first.
pub fn satisfaction(
    ratings: &[RatingFact],
    assignments: &[Assignment],
    filters: &Filters,
    window: &Window,
) -> (ModuleSatisfaction, Vec<ModuleSatisfaction>) {
    let inside = |at: i64| at >= window.start_ms && at < window.end_ms;
    let raters: HashSet<(i64, i64)> = ratings.iter().map(|r| (r.user_id, r.path_id)).collect();
    let mut all = Tally::default();
    let mut modules: BTreeMap<i64, Tally> = BTreeMap::new();
    for assignment in assignments
        .iter()
        .filter(|a| filters.admits(&a.person, a.path_id) && a.completed_at.is_some_and(inside))
    {
        let responded = u64::from(raters.contains(&(assignment.user_id, assignment.path_id)));
        for tally in [&mut all, modules.entry(assignment.path_id).or_default()] {
            tally.completed += 1;
            tally.responded += responded;
        }
    }
    for rating in ratings
        .iter()
        .filter(|r| filters.admits(&r.person, r.path_id) && inside(r.at))
    {
        let Some(slot) = usize::try_from(rating.rating - 1).ok().filter(|i| *i < 5) else {
            continue;
        };
        let comment = rating.comment.trim();
        for tally in [&mut all, modules.entry(rating.path_id).or_default()] {
            tally.distribution[slot] += 1;
            tally.total += rating.rating;
            if !comment.is_empty() {
                tally.comments.push(Comment {
                    at: rating.at,
                    job_role: rating.person.job_role,
                    text: comment.to_string(),
                });
            }
        }
    }
    let mut rows: Vec<ModuleSatisfaction> = modules
        .into_iter()
        .map(|(path_id, tally)| tally.finish(path_id))
        .collect();
    rows.sort_by(|a, b| match (a.top_two.shown, b.top_two.shown) {
        (Some((_, x)), Some((_, y))) => y.lower.total_cmp(&x.lower).then(a.path_id.cmp(&b.path_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b
            .ratings()
            .cmp(&a.ratings())
            .then(a.path_id.cmp(&b.path_id)),
    });
    // Comments belong to their module; the overall row has none.
    let mut overall = all.finish(0);
    overall.comments.clear();
    (overall, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::{PartnerType, Tier};
    use crate::domain::insights::{trailing_window, DAY_MS};
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

    fn completed(user_id: i64, path_id: i64, days_ago: i64) -> Assignment {
        Assignment {
            completed_at: Some(NOW - days_ago * DAY_MS),
            ..Assignment::new(1, user_id, person(), path_id, NOW - 200 * DAY_MS)
        }
    }

    fn rated(user_id: i64, path_id: i64, rating: i64, comment: &str, days_ago: i64) -> RatingFact {
        RatingFact {
            user_id,
            path_id,
            person: person(),
            rating,
            comment: comment.into(),
            at: NOW - days_ago * DAY_MS,
        }
    }

    #[test]
    fn response_rate_sits_beside_a_top_two_share_that_needs_ten_ratings() {
        let window = trailing_window(NOW, 12, Zone::UTC);
        // Path 1: 20 completed, 12 rated (9 fours or fives). Path 2: 4 completed, 3 rated 5.
        let mut assignments: Vec<Assignment> = (0..20).map(|u| completed(u, 1, 30)).collect();
        assignments.extend((100..104).map(|u| completed(u, 2, 30)));
        let mut ratings: Vec<RatingFact> = (0..12)
            .map(|u| rated(u, 1, if u < 9 { 5 - u % 2 } else { 2 }, "", 20))
            .collect();
        ratings.extend((100..103).map(|u| rated(u, 2, 5, "", 20)));
        ratings[0].comment = "  Clear and short  ".into();
        ratings[1].comment = "Too long".into();
        ratings[1].at = NOW - 5 * DAY_MS;
        // Out of the window and out of range: ignored.
        ratings.push(rated(50, 1, 1, "old", 500));
        ratings.push(rated(51, 1, 9, "", 5));
        let (overall, rows) = satisfaction(&ratings, &assignments, &Filters::default(), &window);
        assert_eq!(rows.iter().map(|r| r.path_id).collect::<Vec<_>>(), [1, 2]);
        let first = &rows[0];
        assert_eq!((first.response.successes, first.response.n), (12, 20));
        assert_eq!(first.distribution, [0, 3, 0, 4, 5]);
        assert_eq!((first.top_two.successes, first.top_two.n), (9, 12));
        assert!(first.top_two.shown.is_some());
        assert!((first.mean.unwrap() - 47.0 / 12.0).abs() < 1e-12);
        let texts: Vec<&str> = first.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Too long", "Clear and short"],
            "newest first, trimmed"
        );
        // Three perfect ratings: counted, but no share or mean to rank by.
        assert_eq!(rows[1].top_two.shown, None);
        assert_eq!(rows[1].mean, None);
        assert_eq!(rows[1].ratings(), 3);
        assert_eq!((overall.response.successes, overall.response.n), (15, 24));
        assert!(overall.comments.is_empty());
    }
}
