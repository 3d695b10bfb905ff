//! Session lifetime rules, with time passed in so they can be tested exactly.

/// How long sessions live, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_timeout_ms: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout_ms: i64,
    /// Recording activity costs a write, so it is recorded at most this often.
    pub touch_interval_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        const HOUR: i64 = 60 * 60 * 1000;
        SessionPolicy {
            idle_timeout_ms: 12 * HOUR,
            absolute_timeout_ms: 14 * 24 * HOUR,
            touch_interval_ms: 60 * 1000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Valid; `touch` says whether to record the activity now.
    Active {
        touch: bool,
    },
    IdleExpired,
    AbsoluteExpired,
}

impl SessionPolicy {
    pub fn evaluate(&self, now: i64, created_at: i64, last_seen_at: i64) -> SessionState {
        if now >= created_at.saturating_add(self.absolute_timeout_ms) {
            SessionState::AbsoluteExpired
        } else if now >= last_seen_at.saturating_add(self.idle_timeout_ms) {
            SessionState::IdleExpired
        } else {
            SessionState::Active {
                touch: now - last_seen_at >= self.touch_interval_ms,
            }
        }
    }

    /// The latest instant the session can still be used, for the cookie's lifetime.
    pub fn expires_at(&self, created_at: i64) -> i64 {
        created_at + self.absolute_timeout_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: SessionPolicy = SessionPolicy {
        idle_timeout_ms: 100,
        absolute_timeout_ms: 1_000,
        touch_interval_ms: 10,
    };

    #[test]
    fn fresh_session_is_active_without_touch() {
        assert_eq!(
            POLICY.evaluate(1_005, 1_000, 1_000),
            SessionState::Active { touch: false }
        );
    }

    #[test]
    fn activity_is_recorded_after_the_touch_interval() {
        assert_eq!(
            POLICY.evaluate(1_010, 1_000, 1_000),
            SessionState::Active { touch: true }
        );
    }

    #[test]
    fn idle_timeout_is_exclusive_at_the_boundary() {
        assert_eq!(
            POLICY.evaluate(1_099, 1_000, 1_000),
            SessionState::Active { touch: true }
        );
        assert_eq!(
            POLICY.evaluate(1_100, 1_000, 1_000),
            SessionState::IdleExpired
        );
    }

    #[test]
    fn absolute_timeout_wins_over_recent_activity() {
        assert_eq!(
            POLICY.evaluate(1_999, 1_000, 1_990),
            SessionState::Active { touch: false }
        );
        assert_eq!(
            POLICY.evaluate(2_000, 1_000, 1_999),
            SessionState::AbsoluteExpired
        );
    }

    #[test]
    fn expiry_is_creation_plus_absolute_timeout() {
        assert_eq!(POLICY.expires_at(5), 1_005);
    }

    #[test]
    fn default_policy_is_sane() {
        let policy = SessionPolicy::default();
        assert!(policy.idle_timeout_ms < policy.absolute_timeout_ms);
        assert!(policy.touch_interval_ms < policy.idle_timeout_ms);
    }
}
