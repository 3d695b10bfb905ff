//! Instants are stored in UTC and shown in the viewer's time zone: the server renders UTC,
//! and the page's loader rewrites it in local time (before any wasm arrives).
use leptos::prelude::*;

pub fn utc_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// An instant: UTC (named) in the server's HTML, rewritten by the page's loader into the
/// viewer's own zone, with the zone named and no seconds.
#[component]
pub fn LocalTime(ms: i64) -> impl IntoView {
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    view! { <time datetime=iso data-local="">{utc_text(ms)}</time> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_text_formats_minutes() {
        assert_eq!(super::utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_text(1_795_000_000_000), "2026-11-18 11:06 UTC");
    }
}
