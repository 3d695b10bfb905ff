//! Back-off for retried deliveries (email now, webhooks later).

pub const MAX_ATTEMPTS: i64 = 8;

/// Delay before attempt number `attempts + 1`, doubling from 30 s and capped at 6 hours.
pub fn backoff_ms(attempts: i64) -> i64 {
    const BASE_MS: i64 = 30_000;
    const CAP_MS: i64 = 6 * 60 * 60 * 1000;
    let exponent = attempts.clamp(0, 20) as u32;
    BASE_MS.saturating_mul(1i64 << exponent).min(CAP_MS)
}

/// Whether a failed delivery should be tried again.
pub fn should_retry(attempts: i64) -> bool {
    attempts < MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(3), 240_000);
        assert_eq!(backoff_ms(20), 6 * 60 * 60 * 1000);
        assert_eq!(backoff_ms(i64::MAX), 6 * 60 * 60 * 1000);
        assert_eq!(backoff_ms(-5), 30_000);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        assert!(should_retry(MAX_ATTEMPTS - 1));
        assert!(!should_retry(MAX_ATTEMPTS));
    }
}
