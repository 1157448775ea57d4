//! What every HTTP provider shares when a send fails: the HTTP client's own
//! errors, `Retry-After`, turning a provider's refusal into a sentence an
//! agent can read, and keeping our secrets out of that sentence.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use inbox_domain::provider::{ProviderError, ProviderErrorKind};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// A failed send, with what the domain's [`ProviderError`] cannot carry (yet).
///
/// [`WhatsappProvider::send_text`](inbox_domain::provider::WhatsappProvider::send_text)
/// returns only [`SendFailure::error`]; a caller that wants to honour the
/// provider's requested back-off calls [`Providers::send`](crate::Providers::send)
/// instead. The wait is also written into the error's message, so it is seen
/// either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct SendFailure {
    pub error: ProviderError,
    /// How long the provider asked us to wait before trying again (its
    /// `Retry-After` header). Only ever set on transient failures.
    pub retry_after: Option<Duration>,
}

impl SendFailure {
    pub(crate) fn permanent(code: Option<&str>, message: impl Into<String>) -> Self {
        Self { error: ProviderError::permanent(code, message), retry_after: None }
    }

    pub(crate) fn transient(code: Option<&str>, message: impl Into<String>) -> Self {
        Self { error: ProviderError::transient(code, message), retry_after: None }
    }

    /// The provider may have taken the message: never resent automatically.
    pub(crate) fn unknown(message: impl Into<String>) -> Self {
        Self { error: ProviderError::unknown(message), retry_after: None }
    }

    pub fn is_transient(&self) -> bool {
        self.error.is_transient()
    }
}

impl From<SendFailure> for ProviderError {
    fn from(failure: SendFailure) -> Self {
        failure.error.with_retry_after(failure.retry_after)
    }
}

/// The HTTP client gave up before the provider answered.
///
/// Whether the message went out decides what a retry risks: a failed connect
/// never sent anything, while a timeout or a broken connection may have
/// delivered it, so those say "delivery unknown" for the agent to judge.
pub(crate) fn transport(provider: &str, e: reqwest::Error) -> SendFailure {
    // The URL holds Twilio's account SID; the cause chain never holds headers.
    let e = e.without_url();
    // Logged here because only here is the cause known: a refused connection,
    // DNS, a TLS certificate problem and a timeout all need different fixes.
    tracing::warn!(provider, error = %cause_chain(&e), "provider call failed before an answer");
    if e.is_connect() {
        return SendFailure::transient(
            None,
            format!("{provider} could not be reached, so the message was not sent; it can be retried safely."),
        );
    }
    SendFailure::unknown(if e.is_timeout() {
        format!("{provider} did not answer in time; delivery unknown: the message may or may not have been sent.")
    } else {
        format!(
            "The connection to {provider} failed before it answered; delivery unknown: the message may or may not \
             have been sent."
        )
    })
}

fn cause_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A refusal the provider answered with, before classification.
pub(crate) struct Refusal<'a> {
    /// "Meta" or "Twilio", for the message.
    pub provider: &'a str,
    pub status: StatusCode,
    /// The provider's own error code, when its body had one.
    pub code: Option<i64>,
    /// The provider's own explanation, already passed through [`provider_words`].
    pub said: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Refusal<'_> {
    /// Classifies the refusal: a code the provider documents decides first
    /// (`known` gives its class and our explanation); otherwise HTTP 408, 429
    /// and 5xx are worth retrying and every other answer is not.
    pub(crate) fn classify(self, known: Option<(ProviderErrorKind, &str)>, says_transient: bool) -> SendFailure {
        let provider = self.provider;
        let status = self.status.as_u16();
        let generic_trouble = format!("{provider} had a temporary problem.");
        let rate_limited = format!("{provider}'s rate limit was hit.");
        let refused = format!("{provider} refused the message.");
        let (kind, explanation) = match known {
            Some((kind, explanation)) => (kind, explanation),
            None if status == 429 => (ProviderErrorKind::Transient, rate_limited.as_str()),
            None if status == 408 || self.status.is_server_error() || says_transient => {
                (ProviderErrorKind::Transient, generic_trouble.as_str())
            }
            None => (ProviderErrorKind::Permanent, refused.as_str()),
        };
        let transient = kind == ProviderErrorKind::Transient;
        let retry_after = self.retry_after.filter(|_| transient);
        let mut message = explanation.to_owned();
        if let Some(wait) = retry_after {
            message.push_str(&format!(" {provider} asks to retry after {} s.", whole_seconds(wait)));
        }
        match &self.said {
            Some(said) => message.push_str(&format!(" {provider} says: {said}")),
            None => message.push_str(&format!(" (HTTP {})", self.status)),
        }
        // Without a provider code, the HTTP status is the most specific thing to store.
        let code = self.code.map_or_else(|| format!("http_{status}"), |c| c.to_string());
        SendFailure { error: ProviderError { kind, code: Some(code), message, retry_after: None }, retry_after }
    }
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The provider's `Retry-After`, in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, SystemTime::now())
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // A date already past means "now".
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The longest piece of a provider's own text we keep: enough for any real
/// explanation, short enough that a misbehaving proxy's page does not end up
/// stored on a message.
const MAX_PROVIDER_WORDS: usize = 500;

/// The provider's own explanation, fit to show: without any of `secrets`
/// (some APIs echo what they were sent), trimmed, and cut to a readable
/// length. `None` when there is nothing to say.
pub(crate) fn provider_words(text: &str, secrets: &[&str]) -> Option<String> {
    let mut text = text.trim().to_owned();
    // Redact before cutting, so a cut can never leave a secret's prefix behind.
    // Very short values are skipped: replacing them would mangle ordinary words.
    for secret in secrets.iter().map(|s| s.trim()).filter(|s| s.len() >= 4) {
        text = text.replace(secret, "***");
    }
    if text.chars().count() > MAX_PROVIDER_WORDS {
        text = text.chars().take(MAX_PROVIDER_WORDS).collect::<String>() + "…";
    }
    (!text.is_empty()).then_some(text)
}

/// A JSON number or a numeric string: providers are not always consistent.
pub(crate) fn json_code(value: Option<&serde_json::Value>) -> Option<i64> {
    let value = value?;
    value.as_i64().or_else(|| value.as_str()?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_or_as_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn provider_words_hide_secrets_and_stay_short() {
        assert_eq!(
            provider_words(" Invalid token EAAG-secret for EAAG-secret ", &["EAAG-secret"]).as_deref(),
            Some("Invalid token *** for ***")
        );
        // An empty or tiny secret must not turn every word into stars.
        assert_eq!(provider_words("a b", &["", "a"]).as_deref(), Some("a b"));
        assert_eq!(provider_words("   ", &[]), None);
        let long = provider_words(&"x".repeat(2000), &[]).unwrap();
        assert_eq!(long.chars().count(), MAX_PROVIDER_WORDS + 1);
    }

    #[test]
    fn a_secret_longer_than_the_cut_is_redacted_before_cutting() {
        let secret = "s".repeat(600);
        let words = provider_words(&format!("token {secret}"), &[&secret]).unwrap();
        assert_eq!(words, "token ***");
    }

    #[test]
    fn codes_are_read_from_numbers_and_numeric_strings() {
        assert_eq!(json_code(Some(&serde_json::json!(131047))), Some(131047));
        assert_eq!(json_code(Some(&serde_json::json!("63016"))), Some(63016));
        assert_eq!(json_code(Some(&serde_json::json!("OAuthException"))), None);
        assert_eq!(json_code(None), None);
    }

    #[test]
    fn an_unknown_refusal_without_a_code_stores_the_http_status() {
        let failure = Refusal {
            provider: "Meta",
            status: StatusCode::FORBIDDEN,
            code: None,
            said: None,
            retry_after: Some(Duration::from_secs(3)),
        }
        .classify(None, false);
        assert_eq!(failure.error.kind, ProviderErrorKind::Permanent);
        assert_eq!(failure.error.code.as_deref(), Some("http_403"));
        assert_eq!(failure.error.message, "Meta refused the message. (HTTP 403 Forbidden)");
        // A wait only means something when trying again can help.
        assert_eq!(failure.retry_after, None);
    }

    #[test]
    fn a_provider_flagging_an_unknown_error_as_transient_is_believed() {
        let failure = Refusal {
            provider: "Meta",
            status: StatusCode::BAD_REQUEST,
            code: Some(1),
            said: Some("Please reduce the amount of data".into()),
            retry_after: None,
        }
        .classify(None, true);
        assert_eq!(failure.error.kind, ProviderErrorKind::Transient);
        assert_eq!(failure.error.code.as_deref(), Some("1"));
    }
}
