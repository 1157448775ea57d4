//! Configuration in one typed struct: defaults, then an optional TOML file,
//! then the environment (`INBOX_*`, and `DATABASE_URL`). A bad value is
//! reported with the key that holds it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use inbox_types::PhoneRegion;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// PostgreSQL connection string (env `DATABASE_URL` or `INBOX_DATABASE_URL`).
    pub database_url: String,
    /// Largest number of database connections this process opens.
    pub database_max_connections: u32,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `inbox=debug,sqlx=warn`.
    pub log: String,
    /// Region (ISO 3166 code, e.g. `DE`) in which numbers written without a
    /// country code are read. Unset: such numbers are rejected.
    pub default_region: Option<String>,
    /// Mark the session cookie `Secure` (serve over HTTPS in production).
    pub cookie_secure: bool,
    /// How long a browser session lasts, in hours.
    pub session_ttl_hours: u32,
    /// Login attempts allowed per email (and per client address) per minute.
    pub login_attempts_per_minute: u32,
    /// Sends (new, in conversation, retry) allowed per user or token per minute.
    pub sends_per_minute: u32,
    /// The origin browsers use to reach Inbox (e.g. `https://inbox.example.com`)
    /// when it differs from the Host header (behind a proxy). State-changing
    /// requests made with a session cookie must come from this origin or the
    /// server's own.
    pub public_origin: Option<String>,
    /// Meta's Graph API base URL (tests and proxies point it elsewhere).
    pub meta_api_base: String,
    pub meta_api_version: String,
    /// Twilio's API base URL.
    pub twilio_api_base: String,
    /// Seconds a provider call may take before it counts as a transient failure.
    pub provider_timeout_secs: u64,
    /// Provider calls per message (the first send included) before a transient
    /// failure becomes `failed`.
    pub send_max_attempts: u32,
    /// A message still `sending` after this many seconds (the process died, or
    /// no answer came) is marked failed with "delivery unknown".
    pub sending_timeout_secs: u64,
    /// Where the sandbox provider posts its webhooks; unset: this server's own
    /// `http://{bind}/api/whatsapp/webhook`.
    pub sandbox_webhook_url: Option<String>,
    /// The built browser app (Trunk's `dist`), served at `/`. Relative paths
    /// are read from the working directory.
    pub web_dir: PathBuf,
    /// Seconds between keep-alive comments on event streams.
    pub sse_keepalive_secs: u64,
    /// An event stream ends after this long and the browser reconnects (with
    /// Last-Event-ID): a signed-out session stops streaming within this time,
    /// and clients spread over replicas again after a deploy.
    pub sse_max_age_secs: u64,
    /// Events queued per event-stream client before it is dropped as too slow.
    pub sse_buffer: usize,
    /// How long events are kept for clients that reconnect.
    pub events_replay_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/inbox".into(),
            database_max_connections: 10,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Text,
            log: "info,sqlx=warn".into(),
            default_region: None,
            cookie_secure: false,
            session_ttl_hours: 24 * 30,
            login_attempts_per_minute: 10,
            sends_per_minute: 120,
            public_origin: None,
            meta_api_base: "https://graph.facebook.com".into(),
            meta_api_version: "v21.0".into(),
            twilio_api_base: "https://api.twilio.com".into(),
            provider_timeout_secs: 10,
            send_max_attempts: 5,
            sending_timeout_secs: 120,
            sandbox_webhook_url: None,
            web_dir: PathBuf::from("frontend/dist"),
            sse_keepalive_secs: 15,
            sse_max_age_secs: 1800,
            sse_buffer: 256,
            events_replay_secs: 300,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL may carry a password.
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field("bind", &self.bind)
            .field("log_format", &self.log_format)
            .field("log", &self.log)
            .field("default_region", &self.default_region)
            .field("cookie_secure", &self.cookie_secure)
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field("sends_per_minute", &self.sends_per_minute)
            .field("public_origin", &self.public_origin)
            .field("meta_api_base", &self.meta_api_base)
            .field("meta_api_version", &self.meta_api_version)
            .field("twilio_api_base", &self.twilio_api_base)
            .field("provider_timeout_secs", &self.provider_timeout_secs)
            .field("send_max_attempts", &self.send_max_attempts)
            .field("sending_timeout_secs", &self.sending_timeout_secs)
            .field("sandbox_webhook_url", &self.sandbox_webhook_url)
            .field("web_dir", &self.web_dir)
            .field("sse_keepalive_secs", &self.sse_keepalive_secs)
            .field("sse_max_age_secs", &self.sse_max_age_secs)
            .field("sse_buffer", &self.sse_buffer)
            .field("events_replay_secs", &self.events_replay_secs)
            .finish()
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads the configuration: defaults, then `file` (if given), then the
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!("config file {} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        Self::from_figment(
            figment.merge(Env::raw().only(&["DATABASE_URL"])).merge(Env::prefixed("INBOX_").ignore(&["CONFIG"])),
        )
    }

    fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            // Name the key and where it came from: the variable, or the file.
            let key = e.path.join(".");
            let from_env = e.metadata.as_ref().is_some_and(|m| m.name.contains("environment"));
            let source = match (&e.metadata, from_env) {
                (_, true) if key == "database_url" => "DATABASE_URL".to_owned(),
                (_, true) => format!("INBOX_{}", key.to_uppercase()),
                (Some(m), false) => m.source.as_ref().map(|s| s.to_string()).unwrap_or_else(|| m.name.to_string()),
                (None, false) => String::new(),
            };
            let prefix = match (key.is_empty(), source.is_empty()) {
                (false, false) => format!("{key} ({source}): "),
                (false, true) => format!("{key}: "),
                _ => String::new(),
            };
            ConfigError::Invalid(format!("{prefix}{}", e.kind))
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.database_url.starts_with("postgres://") || self.database_url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid(
                "database_url (DATABASE_URL): must start with postgres:// or postgresql://".into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections (INBOX_DATABASE_MAX_CONNECTIONS): must be at least 1".into(),
            ));
        }
        self.phone_region()?;
        for (key, value) in [
            ("session_ttl_hours (INBOX_SESSION_TTL_HOURS)", self.session_ttl_hours),
            ("login_attempts_per_minute (INBOX_LOGIN_ATTEMPTS_PER_MINUTE)", self.login_attempts_per_minute),
            ("sends_per_minute (INBOX_SENDS_PER_MINUTE)", self.sends_per_minute),
            (
                "provider_timeout_secs (INBOX_PROVIDER_TIMEOUT_SECS)",
                self.provider_timeout_secs.min(u32::MAX as u64) as u32,
            ),
            ("send_max_attempts (INBOX_SEND_MAX_ATTEMPTS)", self.send_max_attempts),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{key}: must be at least 1")));
            }
        }
        if self.sending_timeout_secs <= self.provider_timeout_secs {
            return Err(ConfigError::Invalid(
                "sending_timeout_secs (INBOX_SENDING_TIMEOUT_SECS): must be longer than provider_timeout_secs, \
                 or sends still waiting for the provider would be marked failed"
                    .into(),
            ));
        }
        if let Some(origin) = &self.public_origin
            && !(origin.starts_with("http://") || origin.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "public_origin (INBOX_PUBLIC_ORIGIN): must look like https://inbox.example.com".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log)
            .map_err(|e| ConfigError::Invalid(format!("log (INBOX_LOG): {e}")))?;
        Ok(())
    }

    /// Where the WhatsApp providers are.
    pub fn providers(&self) -> inbox_whatsapp::ProvidersConfig {
        inbox_whatsapp::ProvidersConfig {
            meta_api_base: self.meta_api_base.clone(),
            meta_api_version: self.meta_api_version.clone(),
            twilio_api_base: self.twilio_api_base.clone(),
            timeout: std::time::Duration::from_secs(self.provider_timeout_secs),
            sandbox_webhook_url: Some(
                self.sandbox_webhook_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}/api/whatsapp/webhook", self.bind)),
            ),
            ..inbox_whatsapp::ProvidersConfig::default()
        }
    }

    /// How transient provider failures are retried.
    pub fn retry_policy(&self) -> inbox_domain::provider::RetryPolicy {
        inbox_domain::provider::RetryPolicy {
            max_attempts: self.send_max_attempts as i32,
            ..inbox_domain::provider::RetryPolicy::default()
        }
    }

    pub fn phone_region(&self) -> Result<Option<PhoneRegion>, ConfigError> {
        self.default_region
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| ConfigError::Invalid(format!("default_region (INBOX_DEFAULT_REGION): {e}")))
    }
}

#[cfg(test)]
// figment's Jail closures return its (large) error type by design.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_then_file_then_environment() {
        Jail::expect_with(|jail| {
            jail.create_file("inbox.toml", "bind = \"127.0.0.1:9000\"\nlog_format = \"json\"")?;
            jail.set_env("INBOX_LOG_FORMAT", "text");
            jail.set_env("DATABASE_URL", "postgres://app:pw@db/inbox");
            let c = Config::load(Some(Path::new("inbox.toml"))).unwrap();
            assert_eq!(c.bind.port(), 9000, "the file overrides the default");
            assert_eq!(c.log_format, LogFormat::Text, "the environment overrides the file");
            assert_eq!(c.database_url, "postgres://app:pw@db/inbox");
            assert!(!format!("{c:?}").contains("pw"), "the password is not printed");
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_names_its_key() {
        Jail::expect_with(|jail| {
            jail.set_env("INBOX_BIND", "not-an-address");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("bind"), "{e}");
            assert!(e.contains("INBOX_BIND"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("INBOX_DEFAULT_REGION", "Atlantis");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("INBOX_DEFAULT_REGION"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("INBOX_DATABASE_MAX_CONNECTIONS", "lots");
            let e = Config::load(None).unwrap_err().to_string();
            assert!(e.contains("database_max_connections"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let e = Config::load(Some(Path::new("/nonexistent/inbox.toml"))).unwrap_err();
        assert!(e.to_string().contains("does not exist"));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
