use super::db::Db;
use super::mail::Mailer;
use crate::domain::rate_limit::RateLimit;
use crate::domain::session::SessionPolicy;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

/// Everything a request handler needs, shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub clock: Clock,
    /// Wakes this instance's CRM worker early (a webhook stored events to read back).
    /// Other instances find the events on their next regular run.
    pub crm_wake: Arc<tokio::sync::Notify>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: Mode,
    /// Shows demo accounts and one-click sign-in.
    pub demo: bool,
    /// Seeds the demo with eighteen months of generated history.
    pub demo_history: bool,
    /// Where users reach the portal, without trailing slash, e.g. `https://partners.example.com`.
    pub public_base_url: String,
    /// Keys token hashes, so a copied database alone cannot be used to forge lookups.
    pub secret_key: Vec<u8>,
    pub session: SessionPolicy,
    pub magic_link_ttl_ms: i64,
    /// Failed sign-ins allowed per account *from one source*: a stranger elsewhere spends
    /// only their own budget, never the account holder's.
    pub login_limit_per_account: RateLimit,
    pub login_limit_per_ip: RateLimit,
    /// Link requests allowed per address from one source (see `login_limit_per_account`).
    pub link_limit_per_account: RateLimit,
    pub link_limit_per_ip: RateLimit,
    /// Failed sign-ins to one account from all sources together after which every further
    /// try waits `login_slowdown_ms`: slows a distributed guesser without locking anyone out.
    pub login_slowdown_after: RateLimit,
    pub login_slowdown_ms: u64,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<crate::domain::client_address::TrustedNetwork>,
    /// Customer-uniqueness checks per partner user (the live check while registering).
    pub customer_check_limit: RateLimit,
    /// Bearer token `/metrics` requires (in production, metrics are off without one).
    pub metrics_token: Option<String>,
    /// Where the portal reaches HubSpot's API, and the date-versioned API it speaks
    /// (configuration, so tests point it at a local fake).
    pub hubspot_api_base: String,
    pub hubspot_api_version: String,
    /// Where admins give a HubSpot OAuth app consent.
    pub hubspot_authorize_url: String,
    /// The Salesforce REST API version (`/services/data/<version>/…`).
    pub salesforce_api_version: String,
    pub crm_sync_interval_ms: u64,
    /// The domain of reply addresses (`reply+<key>@<domain>`), whose mail reaches the
    /// portal's SMTP listener or its raw-MIME endpoint. Without it, emails carry none.
    pub reply_domain: Option<String>,
    /// Bearer token a relay presents to `POST /inbound/mime` (off without one).
    pub inbound_mail_token: Option<String>,
}

impl Settings {
    /// The host part of the public URL, e.g. for calendar UIDs.
    pub fn host_name(&self) -> &str {
        let rest = self
            .public_base_url
            .split_once("://")
            .map_or(self.public_base_url.as_str(), |(_, rest)| rest);
        rest.split(['/', ':']).next().unwrap_or(rest)
    }

    /// Production posts to Slack's webhook host only.
    pub fn webhook_hosts(&self) -> crate::domain::notifications::WebhookHosts {
        use crate::domain::notifications::WebhookHosts;
        match self.mode {
            Mode::Production => WebhookHosts::SlackOnly,
            Mode::Development => WebhookHosts::AnyHttpsOrLocal,
        }
    }

    /// Whether Salesforce credentials may go to a plain-HTTP loopback address (a local fake
    /// in development and tests); production sends them only to Salesforce over HTTPS.
    pub fn salesforce_loopback_http(&self) -> bool {
        self.mode == Mode::Development
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }

    /// Reasonable defaults for tests and development; production overrides from config.
    pub fn for_development(public_base_url: &str, secret_key: Vec<u8>) -> Settings {
        const MINUTE: i64 = 60_000;
        Settings {
            mode: Mode::Development,
            demo: true,
            demo_history: false,
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            secret_key,
            session: SessionPolicy::default(),
            magic_link_ttl_ms: 15 * MINUTE,
            login_limit_per_account: RateLimit::new(5, 15 * MINUTE),
            login_limit_per_ip: RateLimit::new(50, 15 * MINUTE),
            link_limit_per_account: RateLimit::new(3, 15 * MINUTE),
            link_limit_per_ip: RateLimit::new(30, 15 * MINUTE),
            login_slowdown_after: RateLimit::new(20, 15 * MINUTE),
            login_slowdown_ms: 1_000,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            hubspot_api_base: "https://api.hubapi.com".into(),
            hubspot_api_version: "2026-03".into(),
            hubspot_authorize_url: crate::domain::hubspot_oauth::DEFAULT_AUTHORIZE_URL.into(),
            salesforce_api_version: crate::domain::salesforce::DEFAULT_API_VERSION.into(),
            crm_sync_interval_ms: 5_000,
            reply_domain: None,
            inbound_mail_token: None,
            customer_check_limit: RateLimit::new(40, 15 * MINUTE),
        }
    }
}

/// Wall-clock time in UTC milliseconds, with an offset tests can move forward.
#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}
