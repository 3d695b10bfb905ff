//! Channel-conflict rules: customer matching, the conflict engine, and deal clocks.
pub mod clocks;
pub mod conflict;
pub mod csv;
pub mod deals;
pub mod eligibility;
pub mod explain;
pub mod matching;
pub mod queue;
pub mod regions;
pub mod updates;
