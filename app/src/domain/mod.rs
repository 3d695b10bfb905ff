//! Pure rules: plain Rust, no Leptos, no sqlx. Everything here is unit-tested.
pub mod access;
pub mod announcements;
pub mod certification;
pub mod channel;
pub mod documents;
pub mod ics;
pub mod identity;
pub mod learning;
pub mod notifications;
pub mod quiz;
pub mod rate_limit;
pub mod retry;
pub mod session;
pub mod steps;
pub mod tiers;
pub mod transfer;
pub mod validation;
