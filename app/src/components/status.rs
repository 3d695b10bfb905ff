//! Status pills: a status always shows as text, an icon and a colour that says what it
//! means (done, waiting, refused, over), so colour is never the only signal.
use crate::domain::channel::deals::RegistrationStatus;
use leptos::prelude::*;

/// What a status means for the person reading it; each has its own colour and icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Approved, confirmed, active.
    Positive,
    /// Waiting on someone: under review, information asked.
    Waiting,
    /// Refused: declined, revoked.
    Negative,
    /// Over or not yet started: expired, not registered, draft.
    Neutral,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Positive => "badge pill pill-positive",
            Tone::Waiting => "badge pill pill-waiting",
            Tone::Negative => "badge pill pill-negative",
            Tone::Neutral => "badge pill pill-neutral",
        }
    }
}

pub fn registration_tone(status: RegistrationStatus) -> Tone {
    match status {
        RegistrationStatus::Approved => Tone::Positive,
        RegistrationStatus::Pending | RegistrationStatus::InfoRequested => Tone::Waiting,
        RegistrationStatus::Declined | RegistrationStatus::Duplicate => Tone::Negative,
        RegistrationStatus::NotRegistered | RegistrationStatus::Expired => Tone::Neutral,
    }
}

/// A pill with `text` in the colour and icon of `tone`; `extra` classes name what it is.
#[component]
pub fn Pill(
    tone: Tone,
    #[prop(into)] text: String,
    #[prop(optional)] extra: &'static str,
) -> impl IntoView {
    let class = if extra.is_empty() {
        tone.class().to_string()
    } else {
        format!("{} {extra}", tone.class())
    };
    view! { <span class=class><Icon tone/>{text}</span> }
}

/// A deal registration's status as a pill.
#[component]
pub fn StatusPill(status: RegistrationStatus) -> impl IntoView {
    view! { <Pill tone=registration_tone(status) text=status.label()/> }
}

/// The tone's icon, inline SVG drawn in the text colour; decorative (the text says it).
#[component]
fn Icon(tone: Tone) -> impl IntoView {
    let path = match tone {
        Tone::Positive => "M3 8.5l3 3 7-7",
        Tone::Waiting => "M8 4v4l2.5 2.5M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13",
        Tone::Negative => "M4 4l8 8M12 4l-8 8",
        Tone::Neutral => "M3 8h10",
    };
    view! {
        <svg class="icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
            <path d=path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registration_status_has_the_tone_of_its_meaning() {
        for status in RegistrationStatus::ALL {
            let expected = match status.as_str() {
                "approved" => Tone::Positive,
                "pending" | "info_requested" => Tone::Waiting,
                "declined" | "duplicate" => Tone::Negative,
                _ => Tone::Neutral,
            };
            assert_eq!(registration_tone(*status), expected, "{status:?}");
        }
    }
}
