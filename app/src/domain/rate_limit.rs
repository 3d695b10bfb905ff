//! Sliding-window rate limits. Counting lives in the database so that every app instance
//! shares one budget; the decision lives here.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max_events: i64,
    pub window_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allow,
    /// Refused; the caller may try again after this many seconds.
    Refuse {
        retry_after_secs: i64,
    },
}

impl RateLimit {
    pub const fn new(max_events: i64, window_ms: i64) -> Self {
        RateLimit {
            max_events,
            window_ms,
        }
    }

    /// Start of the window that ends at `now`.
    pub fn window_start(&self, now: i64) -> i64 {
        now - self.window_ms
    }

    /// `recent` is the number of events inside the window; `oldest` the earliest of them.
    pub fn decide(&self, now: i64, recent: i64, oldest: Option<i64>) -> RateDecision {
        if recent < self.max_events {
            return RateDecision::Allow;
        }
        let frees_at = oldest.unwrap_or(now) + self.window_ms;
        let wait_ms = (frees_at - now).max(1_000);
        RateDecision::Refuse {
            retry_after_secs: (wait_ms + 999) / 1_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit::new(3, 60_000);

    #[test]
    fn allows_until_the_budget_is_spent() {
        assert_eq!(LIMIT.decide(100_000, 0, None), RateDecision::Allow);
        assert_eq!(LIMIT.decide(100_000, 2, Some(50_000)), RateDecision::Allow);
    }

    #[test]
    fn refuses_with_time_until_the_oldest_event_leaves_the_window() {
        assert_eq!(
            LIMIT.decide(100_000, 3, Some(70_000)),
            RateDecision::Refuse {
                retry_after_secs: 30
            }
        );
    }

    #[test]
    fn retry_after_is_rounded_up_and_never_zero() {
        assert_eq!(
            LIMIT.decide(100_000, 3, Some(40_001)),
            RateDecision::Refuse {
                retry_after_secs: 1
            }
        );
        assert_eq!(
            LIMIT.decide(100_000, 5, Some(10_000)),
            RateDecision::Refuse {
                retry_after_secs: 1
            }
        );
        assert_eq!(
            LIMIT.decide(100_000, 3, Some(70_500)),
            RateDecision::Refuse {
                retry_after_secs: 31
            }
        );
    }

    #[test]
    fn window_start_is_now_minus_window() {
        assert_eq!(LIMIT.window_start(100_000), 40_000);
    }
}
