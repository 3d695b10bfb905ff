//! Server functions, one module per area. Each one authenticates through `server::guard`,
//! validates, calls a repository, and returns a DTO or a typed `AppError`.
pub mod announcements;
pub mod auth;
pub mod authoring;
pub mod certifications;
pub mod channel;
pub mod crm;
pub mod crm_history;
pub mod crm_stages;
pub mod dev;
pub mod documents;
pub mod hubspot_oauth;
pub mod insights;
pub mod learner_questions;
pub mod learning;
pub mod navigation;
pub mod notifications;
pub mod orgs;
pub mod program;
pub mod replies;
pub mod salesforce;
pub mod tiers;
pub mod training;
