//! Server-only code: database access, authentication, email. Compiled with `ssr` only.
pub mod badges;
pub mod crm;
pub mod crypto;
pub mod db;
pub mod deal_news;
pub mod demo_certifications;
pub mod demo_channel;
pub mod demo_content;
pub mod demo_history;
pub mod demo_policies;
pub mod fact_cache;
pub mod failed_form;
pub mod guard;
pub mod inbound;
pub mod links;
pub mod mail;
pub mod markdown;
pub mod rdf;
pub mod repo;
pub mod seed;
pub mod standing;
pub mod state;
pub mod unsubscribe;

pub use state::{AppState, Clock, Mode, Settings};
