//! A lesson video that remembers where the learner was, on any device: the position is
//! saved when playing starts, every few seconds while playing, on pause, at the end, and
//! when the page is hidden. The server counts as watched only what real time between those
//! reports accounts for.
use leptos::prelude::*;

/// Seconds of playback between saves while the video plays.
pub const SAVE_EVERY_SECS: f64 = 5.0;

/// An island: the only part of a video step that runs in the browser.
#[cfg_attr(any(feature = "ssr", feature = "video"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "video")), component)]
pub fn LessonVideo(
    step_id: i64,
    src: String,
    captions_src: Option<String>,
    captions_language: String,
    position_secs: f64,
    duration_secs: Option<f64>,
    title: String,
    /// The step already counts as watched (no reload when a save says so again).
    watched: bool,
) -> impl IntoView {
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let status = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    hydrate::wire(
        video_ref,
        step_id,
        position_secs,
        duration_secs,
        status,
        watched,
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (step_id, duration_secs, watched);
    let resume_note = (position_secs >= 1.0).then(|| {
        let whole = position_secs as i64;
        format!("Resuming at {}:{:02}.", whole / 60, whole % 60)
    });
    view! {
        <figure class="lesson-video">
            <video
                node_ref=video_ref
                controls=true
                preload="metadata"
                playsinline=true
                src=src
                aria-label=title
                data-resume=position_secs.to_string()
            >
                {captions_src.map(|captions| view! {
                    <track kind="captions" src=captions srclang=captions_language label="Captions" default=true/>
                })}
                "Your browser cannot play this video."
            </video>
            <figcaption>
                {resume_note}
                " "
                <span class="save-state" role="status" aria-live="polite">{move || status.get()}</span>
            </figcaption>
        </figure>
    }
}

#[cfg(feature = "hydrate")]
mod hydrate {
    use super::SAVE_EVERY_SECS;
    use crate::api::learning::{save_video_position, SaveVideoPosition};
    use crate::domain::learning::resume_position_secs;
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;
    use leptos::task::spawn_local;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    pub fn wire(
        video_ref: NodeRef<leptos::html::Video>,
        step_id: i64,
        saved_position: f64,
        configured_duration: Option<f64>,
        status: RwSignal<String>,
        already_watched: bool,
    ) {
        let last_saved = Rc::new(Cell::new(saved_position));
        let watched = Rc::new(Cell::new(already_watched));
        let known_duration = move |video: &web_sys::HtmlMediaElement| {
            let reported = video.duration();
            configured_duration.or((reported.is_finite() && reported > 0.0).then_some(reported))
        };
        let save = {
            let last_saved = last_saved.clone();
            let watched = watched.clone();
            move |position: f64, duration: Option<f64>| {
                last_saved.set(position);
                let watched = watched.clone();
                status.set("Saving your place…".into());
                spawn_local(async move {
                    match save_video_position(step_id, position, duration).await {
                        Ok(done) => {
                            status.set("Your place is saved.".into());
                            // Watched now: the page (step list, progress, next step) is the
                            // server's to render again.
                            if done.step_done && !watched.get() {
                                watched.set(true);
                                if let Some(window) = web_sys::window() {
                                    let _ = window.location().reload();
                                }
                            }
                        }
                        Err(_) => status.set("Could not save your place; will retry.".into()),
                    }
                });
            }
        };

        Effect::new(move |_| {
            let Some(video) = video_ref.get() else { return };
            let media: web_sys::HtmlMediaElement = video.clone().unchecked_into();

            let seek_to_resume = move |media: &web_sys::HtmlMediaElement| {
                let start = resume_position_secs(saved_position, known_duration(media));
                if start > 0.0 {
                    media.set_current_time(start);
                }
            };
            // Metadata may already be in by the time the page is live.
            if media.ready_state() >= 1 {
                seek_to_resume(&media);
            } else {
                let target = media.clone();
                let on_metadata = Closure::<dyn Fn()>::new(move || seek_to_resume(&target));
                let _ = media.add_event_listener_with_callback(
                    "loadedmetadata",
                    on_metadata.as_ref().unchecked_ref(),
                );
                on_metadata.forget();
            }

            let on_time = {
                let media = media.clone();
                let save = save.clone();
                let last_saved = last_saved.clone();
                Closure::<dyn Fn()>::new(move || {
                    let position = media.current_time();
                    if (position - last_saved.get()).abs() >= SAVE_EVERY_SECS {
                        save(position, known_duration(&media));
                    }
                })
            };
            let _ = media
                .add_event_listener_with_callback("timeupdate", on_time.as_ref().unchecked_ref());
            on_time.forget();

            for event in ["play", "pause", "ended", "seeked"] {
                let target = media.clone();
                let media = media.clone();
                let save = save.clone();
                let last_saved = last_saved.clone();
                let handler = Closure::<dyn Fn()>::new(move || {
                    let duration = known_duration(&media);
                    if event == "play" {
                        // Where playing starts: the server credits the time from here on
                        // (`domain::video`), so this report is sent even without movement.
                        save(media.current_time(), duration);
                    } else if media.ended() {
                        save(duration.unwrap_or(media.current_time()), duration);
                    } else if (media.current_time() - last_saved.get()).abs() >= 0.5 {
                        save(media.current_time(), duration);
                    }
                });
                let _ = target
                    .add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
                handler.forget();
            }

            // Leaving the page: a beacon survives the unload where a fetch would be cut off.
            let on_hide = {
                let media = media.clone();
                let last_saved = last_saved.clone();
                Closure::<dyn Fn()>::new(move || {
                    let position = media.current_time();
                    if (position - last_saved.get()).abs() < 0.5 {
                        return;
                    }
                    last_saved.set(position);
                    let Ok(params) = web_sys::UrlSearchParams::new() else {
                        return;
                    };
                    params.append("step_id", &step_id.to_string());
                    params.append("position_secs", &position.to_string());
                    if let Some(duration) = known_duration(&media) {
                        params.append("duration_secs", &duration.to_string());
                    }
                    if let Some(window) = web_sys::window() {
                        let _ = window.navigator().send_beacon_with_opt_url_search_params(
                            SaveVideoPosition::PATH,
                            Some(&params),
                        );
                    }
                })
            };
            if let Some(window) = web_sys::window() {
                let _ = window
                    .add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
            }
            on_hide.forget();
        });
    }
}
