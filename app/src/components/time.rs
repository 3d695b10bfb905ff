//! Instants are stored in UTC and shown in the viewer's time zone: the server renders UTC,
//! and once the page is live the browser rewrites it in local time.
use leptos::prelude::*;

pub fn utc_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[component]
pub fn LocalTime(ms: i64) -> impl IntoView {
    let text = RwSignal::new(utc_text(ms));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
            text.set(String::from(
                date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED),
            ));
        }
    });
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    view! { <time datetime=iso>{move || text.get()}</time> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_text_formats_minutes() {
        assert_eq!(super::utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_text(1_795_000_000_000), "2026-11-18 11:06 UTC");
    }
}
