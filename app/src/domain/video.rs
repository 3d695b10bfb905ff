//! How much of a video the server can vouch for. The browser reports only positions, and a
//! position alone proves nothing (anyone can post "11 s of 12"). Each report is therefore
//! compared with the one before: the stretch between them counts as watched only if real
//! time passed for it (at most `MAX_PLAYBACK_RATE`× speed, plus network slack) and it is
//! no longer than one save interval could cover. Seeks, jumps and replays of old reports
//! earn nothing. Completion needs `WATCHED_SHARE` of the video covered by such stretches.
use serde::{Deserialize, Serialize};

/// The fastest playback the player offers.
pub const MAX_PLAYBACK_RATE: f64 = 2.0;
/// Allowance for requests that arrive late or bunched together.
pub const SLACK_SECS: f64 = 2.0;
/// The longest stretch one report can earn: the player reports every 5 s of playback, so
/// a longer gap between two reports is a skip (or a forged report), whatever time passed.
pub const MAX_STRETCH_SECS: f64 = 10.0;
/// Share of the video that must be watched (credits and a slow last second aside).
pub const WATCHED_SHARE: f64 = 0.9;

/// The parts of a video watched, as sorted, non-overlapping `[start, end)` second ranges.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Watched(Vec<(f64, f64)>);

/// The learner's previous report: where the video was, and when (UTC ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastReport {
    pub position_secs: f64,
    pub at_ms: i64,
}

impl Watched {
    pub fn seconds(&self) -> f64 {
        self.0.iter().map(|(start, end)| end - start).sum()
    }

    /// Adds the stretch from the previous report to `position_secs` (reported at `now_ms`)
    /// if real time accounts for it. Returns whether anything was credited.
    pub fn credit(&mut self, last: Option<LastReport>, position_secs: f64, now_ms: i64) -> bool {
        let Some(last) = last else { return false };
        let advanced = position_secs - last.position_secs;
        let elapsed_secs = (now_ms - last.at_ms) as f64 / 1000.0;
        let plausible = advanced > 0.0
            && advanced <= MAX_STRETCH_SECS
            && elapsed_secs >= 0.0
            && advanced <= elapsed_secs * MAX_PLAYBACK_RATE + SLACK_SECS;
        if !plausible || !position_secs.is_finite() || last.position_secs < 0.0 {
            return false;
        }
        self.add(last.position_secs, position_secs);
        true
    }

    fn add(&mut self, start: f64, end: f64) {
        self.0.push((start, end));
        self.0.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut merged: Vec<(f64, f64)> = Vec::with_capacity(self.0.len());
        for (start, end) in self.0.drain(..) {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        self.0 = merged;
    }

    /// Whether enough of a video of `duration_secs` was watched to count it done.
    pub fn completes(&self, duration_secs: Option<f64>) -> bool {
        Watched::covers(self.seconds(), duration_secs)
    }

    /// Whether `watched_secs` of a video of `duration_secs` is enough to count it done.
    pub fn covers(watched_secs: f64, duration_secs: Option<f64>) -> bool {
        match duration_secs.filter(|d| d.is_finite() && *d > 0.0) {
            Some(duration) => watched_secs >= duration * WATCHED_SHARE - 1e-9,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position_secs: f64, at_ms: i64) -> Option<LastReport> {
        Some(LastReport {
            position_secs,
            at_ms,
        })
    }

    #[test]
    fn playing_through_in_real_time_completes() {
        let mut watched = Watched::default();
        let mut last = at(0.0, 0);
        for step in 1..=24 {
            let position = f64::from(step) * 5.0;
            assert!(watched.credit(last, position, i64::from(step) * 5_000));
            last = at(position, i64::from(step) * 5_000);
        }
        assert_eq!(watched.seconds(), 120.0);
        assert!(watched.completes(Some(120.0)));
        assert!(watched.completes(Some(130.0)), "90 % is enough");
        assert!(!watched.completes(Some(140.0)));
    }

    #[test]
    fn a_claimed_position_without_the_time_earns_nothing() {
        let mut watched = Watched::default();
        assert!(!watched.credit(None, 11.0, 1_000), "no earlier report");
        assert!(
            !watched.credit(at(0.0, 0), 11.0, 1_000),
            "11 s of video in 1 s"
        );
        assert!(
            !watched.credit(at(0.0, 0), 100.0, 3_600_000),
            "more than one report covers"
        );
        assert!(!watched.credit(at(50.0, 0), 10.0, 5_000), "backwards");
        assert!(
            !watched.credit(at(0.0, 10_000), 5.0, 5_000),
            "a report from the future"
        );
        assert!(!watched.credit(at(0.0, 0), f64::NAN, 5_000));
        assert_eq!(watched.seconds(), 0.0);
        assert!(!watched.completes(Some(12.0)));
    }

    #[test]
    fn double_speed_counts_but_rewatching_does_not_count_twice() {
        let mut watched = Watched::default();
        assert!(watched.credit(at(0.0, 0), 10.0, 5_000), "2x speed");
        assert!(
            watched.credit(at(0.0, 0), 10.0, 5_000),
            "the same stretch again"
        );
        assert!(watched.credit(at(5.0, 0), 12.0, 5_000));
        assert_eq!(watched.seconds(), 12.0);
        assert!(watched.completes(Some(12.0)));
    }

    #[test]
    fn separate_stretches_stay_separate() {
        let mut watched = Watched::default();
        watched.credit(at(0.0, 0), 5.0, 5_000);
        watched.credit(at(60.0, 0), 65.0, 5_000);
        assert_eq!(watched.0, vec![(0.0, 5.0), (60.0, 65.0)]);
        assert!(!watched.completes(None));
        assert!(!watched.completes(Some(0.0)));
    }
}
