//! The program's time zone: where its days, weeks, months and quarters begin.
//!
//! Instants are stored in UTC. Figures that count by the calendar (an insights window, a
//! week of the registration trend, a cohort month, the quarter an organisation joined) are
//! cut at local midnight in the zone the program's admins chose, an IANA name such as
//! `Europe/Berlin`, so a Monday-morning report in Berlin does not put Sunday evening's
//! registrations in the wrong week. Durations (days to complete, hours to decide) do not
//! depend on the zone.
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// Longest zone name the settings take (the longest IANA name is 32 characters).
pub const MAX_ZONE_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// An IANA zone by name, ignoring case and surrounding spaces; `None` for anything else.
    pub fn parse(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_ZONE_CHARS {
            return None;
        }
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|zone| zone.name().eq_ignore_ascii_case(name))
            .map(|zone| Zone(*zone))
    }

    /// The zone's IANA name, as the views print it.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Every zone name, for the settings form's suggestions.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())
    }

    fn local(&self, at: i64) -> DateTime<Tz> {
        self.0.from_utc_datetime(
            &DateTime::from_timestamp_millis(at)
                .unwrap_or_default()
                .naive_utc(),
        )
    }

    /// The calendar day an instant falls on in the zone.
    pub fn date_of(&self, at: i64) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// The first instant of `date` in the zone: local midnight, the earlier one when the
    /// clocks go back over midnight, and when they jump forward over it (Havana, Santiago,
    /// Beirut) the instant of the jump, which is the first moment that day exists.
    pub fn start_of(&self, date: NaiveDate) -> i64 {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        match self.0.from_local_datetime(&midnight) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.timestamp_millis(),
            LocalResult::None => {
                // Midnight was skipped: read it with the offset in force the day before.
                let before = self
                    .0
                    .offset_from_utc_datetime(&(midnight - Duration::days(1)))
                    .fix();
                (midnight - Duration::seconds(i64::from(before.local_minus_utc())))
                    .and_utc()
                    .timestamp_millis()
            }
        }
    }

    /// The start of the day `at` falls on.
    pub fn start_of_day(&self, at: i64) -> i64 {
        self.start_of(self.date_of(at))
    }

    /// The start of the Monday of the week `at` falls in.
    pub fn week_start(&self, at: i64) -> i64 {
        let date = self.date_of(at);
        self.start_of(date - Duration::days(i64::from(date.weekday().num_days_from_monday())))
    }

    /// The start of the week after the one starting at `week` (167 to 169 hours later
    /// across a change of the clocks).
    pub fn next_week(&self, week: i64) -> i64 {
        self.start_of(self.date_of(week) + Duration::days(7))
    }

    /// The month an instant falls in: a key that sorts in time (year × 12 + month) and its
    /// label, "Mar 2026".
    pub fn month_of(&self, at: i64) -> (i64, String) {
        let date = self.date_of(at);
        (
            i64::from(date.year()) * 12 + i64::from(date.month0()),
            date.format("%b %Y").to_string(),
        )
    }

    /// The quarter an instant falls in, "2026 Q1".
    pub fn quarter_of(&self, at: i64) -> String {
        let date = self.date_of(at);
        format!("{} Q{}", date.year(), date.month0() / 3 + 1)
    }

    /// The day an instant falls on, "Mar 8, 2026".
    pub fn day_label(&self, at: i64) -> String {
        self.date_of(at).format("%b %-d, %Y").to_string()
    }

    /// The day with the zone named, "Mar 8, 2026 (Europe/Berlin)", for a date printed
    /// alone.
    pub fn day_label_named(&self, at: i64) -> String {
        format!("{} ({})", self.day_label(at), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).expect("a zone")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    // Expected instants come from Python's zoneinfo (CPython 3.11), not from chrono-tz.

    #[test]
    fn names_are_iana_names_in_any_case_and_nothing_else() {
        assert_eq!(zone(" europe/berlin ").name(), "Europe/Berlin");
        assert_eq!(zone("UTC"), Zone::UTC);
        assert_eq!(Zone::default(), Zone::UTC);
        for bad in ["", "Mars/Olympus", "Berlin", "+01:00", &"A".repeat(65)] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
        assert!(Zone::names().any(|n| n == "America/Havana"));
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(berlin.start_of(date(2026, 12, 7)), 1_796_598_000_000);
        assert_eq!(berlin.start_of(date(2025, 12, 7)), 1_765_062_000_000);
        // 23:30 UTC on Dec 6 is already Dec 7 in Berlin.
        assert_eq!(berlin.date_of(1_796_599_800_000), date(2026, 12, 7));
        assert_eq!(berlin.start_of_day(1_796_599_800_000), 1_796_598_000_000);
        assert_eq!(Zone::UTC.date_of(1_796_599_800_000), date(2026, 12, 6));
    }

    #[test]
    fn when_the_clocks_skip_midnight_the_day_starts_at_the_jump() {
        // Havana: 00:00 → 01:00 on Mar 8, 2026, so the day begins at 01:00 CDT (05:00 UTC).
        assert_eq!(
            zone("America/Havana").start_of(date(2026, 3, 8)),
            1_772_946_000_000
        );
        assert_eq!(
            zone("America/Santiago").start_of(date(2026, 9, 6)),
            1_788_667_200_000
        );
        assert_eq!(
            zone("Asia/Beirut").start_of(date(2026, 3, 29)),
            1_774_735_200_000
        );
    }

    #[test]
    fn when_the_clocks_repeat_midnight_the_day_starts_at_the_first() {
        // Havana: 01:00 → 00:00 on Nov 1, 2026; the first midnight is 04:00 UTC.
        assert_eq!(
            zone("America/Havana").start_of(date(2026, 11, 1)),
            1_793_505_600_000
        );
    }

    #[test]
    fn weeks_start_on_local_monday_and_are_shorter_across_spring_forward() {
        let new_york = zone("America/New_York");
        // Sunday Mar 8, 23:00 EDT (03:00 UTC Mar 9) is still the week of Monday Mar 2.
        let sunday_night = 1_773_025_200_000;
        assert_eq!(new_york.week_start(sunday_night), 1_772_427_600_000);
        assert_eq!(
            Zone::UTC.date_of(Zone::UTC.week_start(sunday_night)),
            date(2026, 3, 9)
        );
        let next = new_york.next_week(1_772_427_600_000);
        assert_eq!(next, 1_773_028_800_000);
        assert_eq!(next - 1_772_427_600_000, 167 * 3_600_000);
    }

    #[test]
    fn months_and_quarters_follow_the_local_calendar() {
        // Jan 31, 12:00 UTC is Feb 1, 01:00 in Auckland.
        assert_eq!(
            zone("Pacific/Auckland").month_of(1_769_860_800_000).1,
            "Feb 2026"
        );
        assert_eq!(Zone::UTC.month_of(1_769_860_800_000).1, "Jan 2026");
        assert_eq!(
            Zone::UTC.month_of(1_769_860_800_000).0 + 1,
            zone("Pacific/Auckland").month_of(1_769_860_800_000).0
        );
        // Mar 31, 16:00 UTC is Apr 1, 01:00 in Tokyo.
        assert_eq!(zone("Asia/Tokyo").quarter_of(1_774_972_800_000), "2026 Q2");
        assert_eq!(Zone::UTC.quarter_of(1_774_972_800_000), "2026 Q1");
        assert_eq!(
            zone("Asia/Tokyo").day_label_named(1_774_972_800_000),
            "Apr 1, 2026 (Asia/Tokyo)"
        );
    }
}
