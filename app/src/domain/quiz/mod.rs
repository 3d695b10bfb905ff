//! The quiz engine's rules: grading, random draws, attempt policy and item statistics.
//! Grading happens only on the server; answer keys stay there (see `content`).
pub mod attempts;
pub mod content;
pub mod draw;
pub mod grading;
pub mod relabel;
pub mod review;
pub mod stats;
