//! Instants are stored in UTC and shown in the viewer's time zone: the server renders UTC,
//! and the page's loader rewrites it in local time (before any wasm arrives).
use leptos::prelude::*;

pub fn utc_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A wait as words, rounded up to the second: "1 h 5 min 0 s", "4 min 9 s", "12 s". The
/// page's loader counts it down in the same form (`island_loader` in lib.rs).
pub fn wait_text(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds} s"),
        (0, _) => format!("{minutes} min {seconds} s"),
        _ => format!("{hours} h {minutes} min {seconds} s"),
    }
}

/// A live countdown to `until`: the remaining wait in words, counted down each second by the
/// page's loader (no wasm), which then hides this and reveals the element `opens` (given
/// `hidden`). `now` is the server's clock, so a wrong device clock does not move the end.
#[component]
pub fn Countdown(until: i64, now: i64, opens: &'static str, children: Children) -> impl IntoView {
    view! {
        <p class="countdown" role="timer" data-countdown=until.to_string() data-now=now.to_string() data-opens=opens>
            {children()} " "
            <strong data-remaining="">{wait_text(until - now)}</strong>
            " (at " <LocalTime ms=until/> ")."
        </p>
    }
}

/// An instant as text for an island to show: in the browser, the viewer's zone (named, no
/// seconds) through the browser's own `Intl`, so no date library is in the wasm; on the
/// server, UTC.
pub fn instant_text(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let options = js_sys::Object::new();
        for (key, value) in [
            ("year", "numeric"),
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ] {
            let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
        }
        js_sys::Date::new(&JsValue::from_f64(ms as f64))
            .to_locale_string("default", &options)
            .into()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        utc_text(ms)
    }
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

/// A date-only value (a renewal date, a close date): the calendar date as stored, the same
/// in every zone, so it is never shifted into the viewer's zone.
#[component]
pub fn LocalDate(ms: i64) -> impl IntoView {
    let date = chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive());
    let iso = date
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let text = date
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_default();
    view! { <time datetime=iso>{text}</time> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_in_hours_minutes_and_seconds_rounded_up() {
        use super::wait_text;
        assert_eq!(wait_text(0), "0 s");
        assert_eq!(wait_text(-5_000), "0 s");
        assert_eq!(wait_text(1), "1 s");
        assert_eq!(wait_text(12_000), "12 s");
        assert_eq!(wait_text(249_001), "4 min 10 s");
        assert_eq!(wait_text(3_900_000), "1 h 5 min 0 s");
    }

    #[test]
    fn utc_text_formats_minutes() {
        assert_eq!(super::utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_text(1_795_000_000_000), "2026-11-18 11:06 UTC");
    }
}
