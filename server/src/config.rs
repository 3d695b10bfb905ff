//! Command line and environment configuration. Every flag has an environment fallback; see
//! `.env.example` for the full list.
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser, Clone)]
#[command(
    name = "partner-portal",
    version,
    about = "Partner Portal: partner training and channel-conflict prevention"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand, Clone)]
pub enum Command {
    /// Start the web server (the default).
    Serve,
    /// Apply migrations and load demo data into an empty database, then exit.
    Seed {
        /// Load the demo program (vendor, partners, users).
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunMode {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpTlsMode {
    Starttls,
    Implicit,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args, Clone)]
pub struct Config {
    /// `sqlite:<path>` (embedded, the default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:data/portal.db")]
    pub database_url: String,
    /// Maximum database connections per pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    pub database_max_connections: u32,
    /// Address and port to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Where people reach the portal, used in emailed links. Defaults to http://<bind>.
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// development: generated secret, dev outbox page, demo data on an empty database.
    #[arg(long, env = "PORTAL_MODE", value_enum, default_value = "development")]
    pub mode: RunMode,
    /// Show demo accounts with one-click sign-in. Defaults to on in development, off in production.
    #[arg(long, env = "PORTAL_DEMO")]
    pub demo: Option<bool>,
    /// Seed the demo with eighteen months of generated history (onboarding, training,
    /// certificates, deals won and lost), so the insights have something to show. Defaults
    /// to on; the test suites turn it off to keep the demo's own numbers.
    #[arg(long, env = "PORTAL_DEMO_HISTORY", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_history: bool,
    /// 64 hex characters. Required in production; generated into the data folder in development.
    #[arg(long, env = "PORTAL_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Folder for the generated development secret.
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The built front end (`pkg/` and public files).
    #[arg(long, env = "PORTAL_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// SMTP server for outgoing email. Without it, email stays in the outbox (development only).
    #[arg(long, env = "SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    #[arg(long, env = "SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    #[arg(
        long,
        env = "SMTP_FROM",
        default_value = "Partner Portal <no-reply@partner-portal.invalid>"
    )]
    pub smtp_from: String,
    /// How the SMTP connection is protected: starttls (port 587), implicit (port 465) or none.
    #[arg(long, env = "SMTP_TLS", value_enum, default_value = "starttls")]
    pub smtp_tls: SmtpTlsMode,
    /// A PEM file with the root certificate of a relay signed by a private CA.
    #[arg(long, env = "SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Allow `SMTP_TLS=none` in production (only for a relay on the same host).
    #[arg(long, env = "SMTP_ALLOW_PLAINTEXT", default_value_t = false)]
    pub smtp_allow_plaintext: bool,
    /// Failed sign-ins allowed per client IP address in 15 minutes.
    #[arg(long, env = "PORTAL_LOGIN_LIMIT_PER_IP", default_value_t = 50)]
    pub login_limit_per_ip: i64,
    /// Sign-in link requests allowed per client IP address in 15 minutes.
    #[arg(long, env = "PORTAL_LINK_LIMIT_PER_IP", default_value_t = 30)]
    pub link_limit_per_ip: i64,
    /// Reverse proxies (comma-separated addresses or networks, e.g. `10.0.0.0/8,::1`) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client. Empty: headers are ignored.
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Bearer token that `/metrics` requires. In production `/metrics` is off without one.
    #[arg(long, env = "PORTAL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// HubSpot's API root (a local fake in tests).
    #[arg(
        long,
        env = "HUBSPOT_API_BASE",
        default_value = "https://api.hubapi.com"
    )]
    pub hubspot_api_base: String,
    /// Where admins give a HubSpot OAuth app consent (a local fake in tests).
    #[arg(
        long,
        env = "HUBSPOT_AUTHORIZE_URL",
        default_value = "https://app.hubspot.com/oauth/authorize"
    )]
    pub hubspot_authorize_url: String,
    /// The date-versioned HubSpot API the portal speaks (`/crm/objects/<version>/…`).
    #[arg(long, env = "HUBSPOT_API_VERSION", default_value = "2026-03")]
    pub hubspot_api_version: String,
    /// The Salesforce REST API version the portal speaks (`/services/data/<version>/…`).
    #[arg(long, env = "SALESFORCE_API_VERSION", default_value = "v66.0")]
    pub salesforce_api_version: String,
    /// Seconds between runs of the CRM sync worker.
    #[arg(long, env = "CRM_SYNC_INTERVAL_SECS", default_value_t = 5)]
    pub crm_sync_interval_secs: u64,
    /// Domain of the reply addresses notifications carry (`reply+<key>@<domain>`); its MX
    /// (or a relay) delivers to the listener below or to `POST /inbound/mime`. Unset: no
    /// reply addresses.
    #[arg(long, env = "REPLY_DOMAIN")]
    pub reply_domain: Option<String>,
    /// Address the reply SMTP listener binds, e.g. `0.0.0.0:2525`. Unset: no listener.
    #[arg(long, env = "INBOUND_SMTP_BIND")]
    pub inbound_smtp_bind: Option<std::net::SocketAddr>,
    /// Bearer token relays present to `POST /inbound/mime`. Unset: that door is closed.
    #[arg(long, env = "INBOUND_MAIL_TOKEN", hide_env_values = true)]
    pub inbound_mail_token: Option<String>,
    /// Log output format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl Config {
    pub fn public_base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn demo_enabled(&self) -> bool {
        self.demo.unwrap_or(self.mode == RunMode::Development)
    }

    /// Checks settings that would only fail later, so start-up fails fast and clearly.
    pub fn validate(&self) -> Result<(), String> {
        let url = self.public_base_url();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "PORTAL_PUBLIC_URL must start with http:// or https:// (got {url:?})"
            ));
        }
        if let Some(key) = &self.secret_key {
            parse_secret(key)?;
        }
        app::domain::client_address::parse_trusted(&self.trusted_proxies)
            .map_err(|error| format!("PORTAL_TRUSTED_PROXIES: {error}"))?;
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|token| token.len() < 16)
        {
            return Err("PORTAL_METRICS_TOKEN must be at least 16 characters".into());
        }
        if self
            .inbound_mail_token
            .as_ref()
            .is_some_and(|token| token.len() < 16)
        {
            return Err("INBOUND_MAIL_TOKEN must be at least 16 characters".into());
        }
        if let Some(domain) = &self.reply_domain {
            let valid = domain.len() <= 253
                && domain.contains('.')
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                return Err(format!("REPLY_DOMAIN {domain:?} is not a domain name"));
            }
        }
        if self.mode == RunMode::Production {
            if self.secret_key.is_none() {
                return Err("PORTAL_SECRET_KEY is required in production (64 hex characters, e.g. from `openssl rand -hex 32`)".into());
            }
            if self.smtp_host.is_none() {
                return Err(
                    "SMTP_HOST is required in production: sign-in links are sent by email".into(),
                );
            }
            if !self.hubspot_api_base.starts_with("https://") {
                return Err("HUBSPOT_API_BASE must be an https:// address in production (the token travels with every request)".into());
            }
            if self.smtp_tls == SmtpTlsMode::None && !self.smtp_allow_plaintext {
                return Err("SMTP_TLS=none sends email (and any SMTP password) unencrypted; use starttls or implicit, or set SMTP_ALLOW_PLAINTEXT=true for a relay on this host".into());
            }
        }
        if self.smtp_username.is_some() != self.smtp_password.is_some() {
            return Err("set both SMTP_USERNAME and SMTP_PASSWORD, or neither".into());
        }
        let version_ok = self.hubspot_api_version.len() == 7
            && self.hubspot_api_version.chars().enumerate().all(|(i, c)| {
                if i == 4 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !version_ok {
            return Err(format!(
                "HUBSPOT_API_VERSION must look like 2026-03 (got {:?})",
                self.hubspot_api_version
            ));
        }
        if !(self.hubspot_api_base.starts_with("http://")
            || self.hubspot_api_base.starts_with("https://"))
        {
            return Err("HUBSPOT_API_BASE must start with http:// or https://".into());
        }
        if self.login_limit_per_ip < 1 || self.link_limit_per_ip < 1 {
            return Err("rate limits must be at least 1".into());
        }
        Ok(())
    }
}

pub fn parse_secret(hex_key: &str) -> Result<Vec<u8>, String> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| "PORTAL_SECRET_KEY must be hexadecimal".to_string())?;
    if bytes.len() < 32 {
        return Err("PORTAL_SECRET_KEY must be at least 32 bytes (64 hex characters)".into());
    }
    Ok(bytes)
}

/// The development secret: read from the data folder, or generated there on first run.
pub fn load_or_create_dev_secret(data_dir: &std::path::Path) -> Result<Vec<u8>, String> {
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return parse_secret(&existing).map_err(|e| format!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("could not create {}: {e}", data_dir.display()))?;
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let text = hex::encode(key);
    write_private(&path, &text).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development secret key");
    Ok(key.to_vec())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        let mut all = vec!["partner-portal"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("valid arguments").config
    }

    #[test]
    fn reply_settings_are_checked() {
        assert!(parse(&[
            "--reply-domain",
            "reply.example.com",
            "--inbound-mail-token",
            "0123456789abcdef"
        ])
        .validate()
        .is_ok());
        assert!(parse(&["--inbound-mail-token", "short"])
            .validate()
            .is_err());
        for domain in [
            "localhost",
            "reply example.com",
            "a..b",
            "reply.example.com/x",
        ] {
            assert!(
                parse(&["--reply-domain", domain]).validate().is_err(),
                "{domain}"
            );
        }
    }

    #[test]
    fn defaults_are_a_working_development_setup() {
        let config = parse(&[]);
        assert!(config.validate().is_ok());
        assert!(config.demo_enabled());
        assert_eq!(config.public_base_url(), "http://127.0.0.1:3000");
    }

    #[test]
    fn production_refuses_unencrypted_smtp_unless_allowed() {
        let base = [
            "partner-portal",
            "--mode",
            "production",
            "--secret-key",
            "abababababababababababababababababababababababababababababababab",
            "--smtp-host",
            "mail.example.com",
        ];
        let parse_with = |extra: &[&str]| {
            let mut args: Vec<&str> = base.to_vec();
            args.extend_from_slice(extra);
            Cli::try_parse_from(args).unwrap().config.validate()
        };
        assert!(parse_with(&[]).is_ok(), "STARTTLS by default");
        assert!(parse_with(&["--smtp-tls", "implicit"]).is_ok());
        assert!(parse_with(&["--smtp-tls", "none"]).is_err());
        assert!(parse_with(&["--smtp-tls", "none", "--smtp-allow-plaintext"]).is_ok());
    }

    #[test]
    fn production_requires_secret_and_smtp() {
        let config = parse(&["--mode", "production"]);
        assert!(config.validate().unwrap_err().contains("PORTAL_SECRET_KEY"));
        let key = "ab".repeat(32);
        let config = parse(&["--mode", "production", "--secret-key", &key]);
        assert!(config.validate().unwrap_err().contains("SMTP_HOST"));
        let config = parse(&[
            "--mode",
            "production",
            "--secret-key",
            &key,
            "--smtp-host",
            "mail",
        ]);
        assert!(config.validate().is_ok());
        assert!(!config.demo_enabled());
    }

    #[test]
    fn bad_secrets_and_urls_are_explained() {
        assert!(parse(&["--secret-key", "zz"])
            .validate()
            .unwrap_err()
            .contains("hexadecimal"));
        assert!(parse(&["--secret-key", "abcd"])
            .validate()
            .unwrap_err()
            .contains("32 bytes"));
        assert!(parse(&["--public-url", "ftp://x"])
            .validate()
            .unwrap_err()
            .contains("http"));
        assert!(Cli::try_parse_from(["partner-portal", "--bind", "nonsense"]).is_err());
    }

    #[test]
    fn dev_secret_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("pp-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = load_or_create_dev_secret(&dir).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(load_or_create_dev_secret(&dir).unwrap(), first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
