//! WhatsApp provider clients: Meta's Cloud API, Twilio, and a sandbox that
//! needs no account. [`Providers`] picks one per channel.
//!
//! Every failure is classified for the domain: transient (rate limits, 5xx,
//! timeouts: worth retrying) or permanent (invalid number, outside the
//! 24-hour window, bad credentials), with the provider's code and a sentence
//! an agent can read. Credentials travel only in request headers and are
//! never logged, shown by `Debug`, or written into an error.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use inbox_domain::channels::{Channel, ProviderKind};
use inbox_domain::provider::{Accepted, ProviderError, Recipient, WhatsappProvider};
use inbox_types::MessageText;

mod classify;
mod meta;
mod sandbox;
mod twilio;
pub mod webhook;

pub use classify::SendFailure;
pub use meta::MetaCloudApi;
pub use sandbox::{Sandbox, SandboxDelays};
pub use twilio::Twilio;

/// Where the providers' APIs are and how long to wait for them.
#[derive(Debug, Clone)]
pub struct ProvidersConfig {
    /// Meta's Graph API, e.g. `https://graph.facebook.com` (tests: a local fake).
    pub meta_api_base: String,
    /// The Graph API version in Meta's paths, e.g. `v21.0`.
    pub meta_api_version: String,
    /// Twilio's API, e.g. `https://api.twilio.com`.
    pub twilio_api_base: String,
    /// The longest a provider call may take before it counts as a transient
    /// failure with delivery unknown.
    pub timeout: Duration,
    /// Where the sandbox posts its statuses and replies (our own webhook);
    /// `None`: it posts nothing.
    pub sandbox_webhook_url: Option<String>,
    pub sandbox_delays: SandboxDelays,
}

impl Default for ProvidersConfig {
    fn default() -> Self {
        Self {
            meta_api_base: "https://graph.facebook.com".into(),
            meta_api_version: "v21.0".into(),
            twilio_api_base: "https://api.twilio.com".into(),
            timeout: Duration::from_secs(10),
            sandbox_webhook_url: None,
            sandbox_delays: SandboxDelays::default(),
        }
    }
}

/// Sends through the provider of each channel.
pub struct Providers {
    meta: MetaCloudApi,
    twilio: Twilio,
    sandbox: Sandbox,
    timeout: Duration,
}

impl Providers {
    /// Builds the providers around one shared HTTP client (one connection
    /// pool, one timeout for every call).
    pub fn new(config: ProvidersConfig) -> Self {
        let http = http_client(config.timeout);
        Self {
            meta: MetaCloudApi::new(http.clone(), &config.meta_api_base, &config.meta_api_version),
            twilio: Twilio::new(http.clone(), &config.twilio_api_base),
            sandbox: match config.sandbox_webhook_url {
                Some(url) => Sandbox::with_webhook(http, url, config.sandbox_delays),
                None => Sandbox::new(),
            },
            timeout: config.timeout,
        }
    }

    /// Sends through the channel's provider, with the provider's requested
    /// back-off on transient failures (what [`WhatsappProvider::send_text`]
    /// cannot return).
    pub async fn send(&self, channel: &Channel, to: &Recipient, text: &MessageText) -> Result<Accepted, SendFailure> {
        let result = match channel.provider {
            ProviderKind::Meta => self.meta.send(channel, to, text).await,
            ProviderKind::Twilio => self.twilio.send(channel, to, text).await,
            ProviderKind::Sandbox => self.sandbox.send(channel, to, text).await,
        };
        match &result {
            Ok(id) => tracing::debug!(
                provider = channel.provider.as_str(),
                channel_id = %channel.id,
                provider_message_id = %id.id.0,
                "provider accepted a message"
            ),
            // The message is built without credentials (see `classify::provider_words`).
            Err(failure) => tracing::warn!(
                provider = channel.provider.as_str(),
                channel_id = %channel.id,
                code = failure.error.code.as_deref().unwrap_or(""),
                transient = failure.is_transient(),
                retry_after_secs = failure.retry_after.map(|d| d.as_secs()),
                "provider did not accept a message: {}",
                failure.error.message
            ),
        }
        result
    }
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("meta", &self.meta)
            .field("twilio", &self.twilio)
            .field("sandbox", &self.sandbox)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[async_trait]
impl WhatsappProvider for Providers {
    async fn send_text(
        &self,
        channel: &Channel,
        to: &Recipient,
        text: &MessageText,
    ) -> Result<Accepted, ProviderError> {
        self.send(channel, to, text).await.map_err(ProviderError::from)
    }
}

/// The one HTTP client for every provider call.
fn http_client(timeout: Duration) -> reqwest::Client {
    // Other reqwest clients in the process (the API's tests, for one) are
    // built with the workspace's `rustls-no-provider` feature and need a
    // process-wide crypto provider; ring is the only one compiled in. A second
    // install is refused and changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        // A provider API never redirects a send; following one could repeat it elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("inbox/", env!("CARGO_PKG_VERSION")))
        .build()
        // Nothing here reads the environment; failing is a bug in this function.
        .expect("the provider HTTP client builds")
}

/// TLS with the `ring` backend and Mozilla's roots compiled in: it builds
/// with a C compiler alone (no cmake, no OpenSSL) and verifies Meta's and
/// Twilio's certificates without a system certificate store, which slim
/// container images often lack.
fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    // reqwest negotiates HTTP/2 only through ALPN, which a preconfigured TLS config must offer itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_point_at_the_real_providers_with_a_ten_second_timeout() {
        let config = ProvidersConfig::default();
        assert_eq!(config.meta_api_base, "https://graph.facebook.com");
        assert_eq!(config.meta_api_version, "v21.0");
        assert_eq!(config.twilio_api_base, "https://api.twilio.com");
        assert_eq!(config.timeout, Duration::from_secs(10));
    }

    #[test]
    fn tls_trusts_the_public_roots_and_offers_http2() {
        let config = tls_config();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    }

    #[test]
    fn the_debug_output_shows_where_calls_go_and_nothing_else() {
        let shown = format!("{:?}", Providers::new(ProvidersConfig::default()));
        assert!(shown.contains("https://graph.facebook.com"), "{shown}");
        assert!(shown.contains("v21.0"), "{shown}");
        assert!(shown.contains("https://api.twilio.com"), "{shown}");
    }
}
