//! When a learner may start an attempt, when answers are still accepted, whether they
//! passed, and how much of the marking they may review.

/// How much of a marked attempt a learner may see.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ReviewLevel {
    /// Nothing beyond the overall score.
    ScoreOnly,
    /// Which questions were right or wrong.
    Correctness,
    /// The correct answers and explanations too.
    CorrectAnswers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReviewWhen {
    AfterEachAttempt,
    /// Only once the learner has passed or has no attempts left, so answers cannot be
    /// copied into the next try.
    AfterPassingOrFinalAttempt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuizPolicy {
    pub pass_mark_percent: u32,
    pub max_attempts: Option<u32>,
    pub cooldown_ms: i64,
    pub time_limit_ms: Option<i64>,
    pub review_level: ReviewLevel,
    pub review_when: ReviewWhen,
}

/// A finished or running attempt, as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptRecord {
    pub started_at: i64,
    pub submitted_at: Option<i64>,
    pub score_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartDecision {
    Start,
    /// An attempt is still open: continue it instead of starting another.
    Resume {
        index: usize,
    },
    AlreadyPassed,
    NoAttemptsLeft,
    CoolingDown {
        until: i64,
    },
}

/// Time allowed after the deadline for answers already in flight.
pub const DEADLINE_GRACE_MS: i64 = 5_000;

impl QuizPolicy {
    pub fn passed(&self, score_percent: f64) -> bool {
        score_percent + 1e-9 >= self.pass_mark_percent as f64
    }

    pub fn decide_start(&self, attempts: &[AttemptRecord], now: i64) -> StartDecision {
        if let Some(index) = attempts
            .iter()
            .position(|a| a.submitted_at.is_none() && !self.expired(a, now))
        {
            return StartDecision::Resume { index };
        }
        if attempts
            .iter()
            .any(|a| a.score_percent.is_some_and(|s| self.passed(s)))
        {
            return StartDecision::AlreadyPassed;
        }
        if self
            .max_attempts
            .is_some_and(|max| attempts.len() as u64 >= max as u64)
        {
            return StartDecision::NoAttemptsLeft;
        }
        let last_finish = attempts
            .iter()
            .filter_map(|a| a.submitted_at.or_else(|| self.deadline(a)))
            .max();
        match last_finish {
            Some(finished) if now < finished + self.cooldown_ms => StartDecision::CoolingDown {
                until: finished + self.cooldown_ms,
            },
            _ => StartDecision::Start,
        }
    }

    /// When the attempt must be submitted, if the quiz is timed.
    pub fn deadline(&self, attempt: &AttemptRecord) -> Option<i64> {
        self.time_limit_ms.map(|limit| attempt.started_at + limit)
    }

    /// Past deadline and grace: answers are refused and the attempt is submitted as it stands.
    pub fn expired(&self, attempt: &AttemptRecord, now: i64) -> bool {
        self.deadline(attempt)
            .is_some_and(|deadline| now > deadline + DEADLINE_GRACE_MS)
    }

    pub fn accepts_answers(&self, attempt: &AttemptRecord, now: i64) -> bool {
        attempt.submitted_at.is_none() && !self.expired(attempt, now)
    }

    /// What the learner may review of an attempt from before a recertification started the
    /// quiz over, given the current cycle's attempts: the score only until the quiz is passed
    /// afresh, so old answer keys do not help with the new attempt.
    pub fn review_of_earlier_cycle(&self, current: &[AttemptRecord]) -> ReviewLevel {
        if current
            .iter()
            .any(|a| a.score_percent.is_some_and(|s| self.passed(s)))
        {
            self.review(current)
        } else {
            ReviewLevel::ScoreOnly
        }
    }

    /// What the learner may review of a submitted attempt, given all their attempts.
    pub fn review(&self, attempts: &[AttemptRecord]) -> ReviewLevel {
        let passed = attempts
            .iter()
            .any(|a| a.score_percent.is_some_and(|s| self.passed(s)));
        let exhausted = self
            .max_attempts
            .is_some_and(|max| attempts.len() as u64 >= max as u64);
        match self.review_when {
            ReviewWhen::AfterEachAttempt => self.review_level,
            ReviewWhen::AfterPassingOrFinalAttempt if passed || exhausted => self.review_level,
            ReviewWhen::AfterPassingOrFinalAttempt => ReviewLevel::ScoreOnly,
        }
    }
}

/// The attempt's score in percent from per-question scores (fractions) and their weights.
pub fn score_percent(scores: &[(f64, f64)]) -> f64 {
    let total_weight: f64 = scores.iter().map(|(_, weight)| weight.max(0.0)).sum();
    if total_weight <= 0.0 {
        return 0.0;
    }
    let earned: f64 = scores
        .iter()
        .map(|(score, weight)| score.clamp(0.0, 1.0) * weight.max(0.0))
        .sum();
    100.0 * earned / total_weight
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn policy() -> QuizPolicy {
        QuizPolicy {
            pass_mark_percent: 80,
            max_attempts: Some(3),
            cooldown_ms: 10 * MINUTE,
            time_limit_ms: Some(20 * MINUTE),
            review_level: ReviewLevel::CorrectAnswers,
            review_when: ReviewWhen::AfterPassingOrFinalAttempt,
        }
    }

    fn done(started: i64, submitted: i64, score: f64) -> AttemptRecord {
        AttemptRecord {
            started_at: started,
            submitted_at: Some(submitted),
            score_percent: Some(score),
        }
    }

    #[test]
    fn first_attempt_starts() {
        assert_eq!(policy().decide_start(&[], 0), StartDecision::Start);
    }

    #[test]
    fn an_open_attempt_is_resumed_not_duplicated() {
        let open = AttemptRecord {
            started_at: 0,
            submitted_at: None,
            score_percent: None,
        };
        assert_eq!(
            policy().decide_start(&[open], 5 * MINUTE),
            StartDecision::Resume { index: 0 }
        );
    }

    #[test]
    fn an_expired_open_attempt_counts_as_finished_at_its_deadline() {
        let open = AttemptRecord {
            started_at: 0,
            submitted_at: None,
            score_percent: None,
        };
        let after_deadline = 20 * MINUTE + DEADLINE_GRACE_MS + 1;
        assert_eq!(
            policy().decide_start(&[open], after_deadline),
            StartDecision::CoolingDown { until: 30 * MINUTE }
        );
        assert_eq!(
            policy().decide_start(&[open], 30 * MINUTE),
            StartDecision::Start
        );
    }

    #[test]
    fn cooldown_runs_from_submission() {
        let attempts = [done(0, 5 * MINUTE, 50.0)];
        assert_eq!(
            policy().decide_start(&attempts, 14 * MINUTE),
            StartDecision::CoolingDown { until: 15 * MINUTE }
        );
        assert_eq!(
            policy().decide_start(&attempts, 15 * MINUTE),
            StartDecision::Start
        );
    }

    #[test]
    fn attempt_limit_and_passing_stop_new_attempts() {
        let failed = [
            done(0, 1, 10.0),
            done(100 * MINUTE, 101 * MINUTE, 20.0),
            done(200 * MINUTE, 201 * MINUTE, 30.0),
        ];
        assert_eq!(
            policy().decide_start(&failed, 1_000 * MINUTE),
            StartDecision::NoAttemptsLeft
        );
        let passed = [done(0, 1, 80.0)];
        assert_eq!(
            policy().decide_start(&passed, 1_000 * MINUTE),
            StartDecision::AlreadyPassed
        );
        let unlimited = QuizPolicy {
            max_attempts: None,
            ..policy()
        };
        assert_eq!(
            unlimited.decide_start(&failed, 1_000 * MINUTE),
            StartDecision::Start
        );
    }

    #[test]
    fn answers_are_accepted_until_deadline_plus_grace() {
        let attempt = AttemptRecord {
            started_at: 0,
            submitted_at: None,
            score_percent: None,
        };
        let deadline = 20 * MINUTE;
        assert!(policy().accepts_answers(&attempt, deadline));
        assert!(policy().accepts_answers(&attempt, deadline + DEADLINE_GRACE_MS));
        assert!(!policy().accepts_answers(&attempt, deadline + DEADLINE_GRACE_MS + 1));
        let untimed = QuizPolicy {
            time_limit_ms: None,
            ..policy()
        };
        assert!(untimed.accepts_answers(&attempt, i64::MAX / 2));
        let submitted = done(0, 1, 0.0);
        assert!(
            !untimed.accepts_answers(&submitted, 2),
            "a submitted attempt is closed"
        );
    }

    #[test]
    fn pass_mark_is_inclusive() {
        assert!(policy().passed(80.0));
        assert!(
            policy().passed(79.999_999_999_9),
            "rounding noise does not fail a learner"
        );
        assert!(!policy().passed(79.9));
    }

    #[test]
    fn review_waits_for_pass_or_last_attempt_when_asked_to() {
        let p = policy();
        assert_eq!(p.review(&[done(0, 1, 10.0)]), ReviewLevel::ScoreOnly);
        assert_eq!(
            p.review(&[done(0, 1, 10.0), done(2, 3, 90.0)]),
            ReviewLevel::CorrectAnswers
        );
        assert_eq!(
            p.review(&[done(0, 1, 1.0), done(2, 3, 2.0), done(4, 5, 3.0)]),
            ReviewLevel::CorrectAnswers
        );
        let each = QuizPolicy {
            review_when: ReviewWhen::AfterEachAttempt,
            review_level: ReviewLevel::Correctness,
            ..p
        };
        assert_eq!(each.review(&[done(0, 1, 10.0)]), ReviewLevel::Correctness);
    }

    #[test]
    fn an_earlier_cycle_shows_only_its_score_until_passed_afresh() {
        let each = QuizPolicy {
            review_when: ReviewWhen::AfterEachAttempt,
            ..policy()
        };
        // Even a quiz that reviews after every attempt hides old keys during recertification.
        assert_eq!(each.review_of_earlier_cycle(&[]), ReviewLevel::ScoreOnly);
        assert_eq!(
            each.review_of_earlier_cycle(&[done(0, 1, 10.0)]),
            ReviewLevel::ScoreOnly
        );
        assert_eq!(
            each.review_of_earlier_cycle(&[done(0, 1, 90.0)]),
            ReviewLevel::CorrectAnswers
        );
        assert_eq!(
            policy().review_of_earlier_cycle(&[done(0, 1, 90.0)]),
            ReviewLevel::CorrectAnswers
        );
    }

    #[test]
    fn scores_are_weighted_percentages() {
        assert_eq!(score_percent(&[(1.0, 1.0), (0.0, 1.0)]), 50.0);
        assert_eq!(score_percent(&[(1.0, 3.0), (0.0, 1.0)]), 75.0);
        assert_eq!(score_percent(&[(0.5, 2.0)]), 50.0);
        assert_eq!(score_percent(&[]), 0.0);
        assert_eq!(
            score_percent(&[(2.0, 1.0), (-1.0, 1.0)]),
            50.0,
            "scores are clamped"
        );
    }
}
