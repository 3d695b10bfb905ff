//! Item statistics for spotting bad questions, as in classical test theory (and Moodle).
//!
//! - Facility index: the mean score on the item, 0 (nobody right) to 1 (everybody right).
//! - Discrimination index: the correlation between the item's score and the rest of the
//!   test's score. Good questions are answered better by stronger learners (r > 0.3); a
//!   negative value usually means a wrong key or a misleading question.

/// One learner's attempt: score on the item and total score on all *other* items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemObservation {
    pub item_score: f64,
    pub rest_score: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemStats {
    pub attempts: usize,
    pub facility: f64,
    /// `None` when either score never varies (correlation undefined).
    pub discrimination: Option<f64>,
}

pub fn item_stats(observations: &[ItemObservation]) -> Option<ItemStats> {
    if observations.is_empty() {
        return None;
    }
    let n = observations.len() as f64;
    let mean_item = observations.iter().map(|o| o.item_score).sum::<f64>() / n;
    let mean_rest = observations.iter().map(|o| o.rest_score).sum::<f64>() / n;
    let (mut covariance, mut var_item, mut var_rest) = (0.0, 0.0, 0.0);
    for o in observations {
        let (di, dr) = (o.item_score - mean_item, o.rest_score - mean_rest);
        covariance += di * dr;
        var_item += di * di;
        var_rest += dr * dr;
    }
    let discrimination = (var_item > 1e-12 && var_rest > 1e-12)
        .then(|| covariance / (var_item.sqrt() * var_rest.sqrt()));
    Some(ItemStats {
        attempts: observations.len(),
        facility: mean_item,
        discrimination,
    })
}

/// Flags worth a manager's attention.
pub fn needs_review(stats: &ItemStats) -> bool {
    const MIN_ATTEMPTS: usize = 10;
    stats.attempts >= MIN_ATTEMPTS
        && (stats.facility < 0.2
            || stats.facility > 0.95
            || stats.discrimination.is_some_and(|d| d < 0.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(pairs: &[(f64, f64)]) -> Vec<ItemObservation> {
        pairs
            .iter()
            .map(|&(item_score, rest_score)| ItemObservation {
                item_score,
                rest_score,
            })
            .collect()
    }

    #[test]
    fn no_attempts_no_statistics() {
        assert_eq!(item_stats(&[]), None);
    }

    #[test]
    fn facility_is_the_mean_item_score() {
        let stats = item_stats(&obs(&[(1.0, 5.0), (0.0, 3.0), (0.5, 4.0), (0.5, 1.0)])).unwrap();
        assert!((stats.facility - 0.5).abs() < 1e-12);
        assert_eq!(stats.attempts, 4);
    }

    #[test]
    fn a_good_item_discriminates_positively() {
        let stats = item_stats(&obs(&[(1.0, 9.0), (1.0, 8.0), (0.0, 2.0), (0.0, 3.0)])).unwrap();
        assert!(stats.discrimination.unwrap() > 0.9);
    }

    #[test]
    fn a_miskeyed_item_discriminates_negatively() {
        let stats = item_stats(&obs(&[(0.0, 9.0), (0.0, 8.0), (1.0, 2.0), (1.0, 3.0)])).unwrap();
        assert!(stats.discrimination.unwrap() < -0.9);
    }

    #[test]
    fn discrimination_is_undefined_without_variation() {
        assert_eq!(
            item_stats(&obs(&[(1.0, 2.0), (1.0, 5.0)]))
                .unwrap()
                .discrimination,
            None
        );
        assert_eq!(
            item_stats(&obs(&[(1.0, 5.0), (0.0, 5.0)]))
                .unwrap()
                .discrimination,
            None
        );
    }

    #[test]
    fn review_flags_need_enough_attempts() {
        let too_easy = ItemStats {
            attempts: 50,
            facility: 0.99,
            discrimination: Some(0.5),
        };
        let fine = ItemStats {
            attempts: 50,
            facility: 0.7,
            discrimination: Some(0.4),
        };
        let miskeyed = ItemStats {
            attempts: 50,
            facility: 0.5,
            discrimination: Some(-0.3),
        };
        let few = ItemStats {
            attempts: 3,
            facility: 0.0,
            discrimination: None,
        };
        assert!(needs_review(&too_easy));
        assert!(!needs_review(&fine));
        assert!(needs_review(&miskeyed));
        assert!(!needs_review(&few));
    }
}
