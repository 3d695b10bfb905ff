//! All SQL lives here, one module per area. Queries use `$N` placeholders, which both
//! SQLite and PostgreSQL accept.
pub mod announcements;
pub mod authoring;
pub mod certifications;
pub mod channel;
pub mod crm;
pub mod documents;
pub mod insights;
pub mod learning;
pub mod magic_links;
pub mod notifications;
pub mod orgs;
pub mod outbox;
pub mod quiz;
pub mod rate_limits;
pub mod replies;
pub mod saved_views;
pub mod sessions;
pub mod tiers;
pub mod users;
