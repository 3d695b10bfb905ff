//! The quiz engine's rules: grading, random draws, attempt policy and item statistics.
//! Grading happens only on the server; these types never carry answer keys to the browser
//! (the key types are not `Serialize`).
pub mod attempts;
pub mod draw;
pub mod grading;
pub mod stats;
