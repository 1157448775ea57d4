//! The boundary to WhatsApp providers (Meta Cloud API, Twilio, the sandbox).
//! Implementations live in their own crate; the domain only knows this trait.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use inbox_types::{Bsuid, CompanyId, MessageId, MessageStatus, MessageText, WaId};
use sqlx::PgPool;

use crate::channels::Channel;
use crate::error::DomainResult;

/// The provider's id for an accepted message (a wamid, a Twilio MessageSid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMessageId(pub String);

/// Whom a message goes to: a WhatsApp number (WhatsApp's own `wa_id` when
/// known, else the number an agent typed), or, for a customer who shares
/// no number, their business-scoped user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Number(WaId),
    User(Bsuid),
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Number(n) => write!(f, "+{n}"),
            Recipient::User(b) => f.write_str(b.as_str()),
        }
    }
}

/// A provider's yes: the message's id, and who WhatsApp says the recipient
/// is (Meta's `contacts[0].wa_id` and `user_id`, Twilio's `WaId`), which
/// the contact learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub id: ProviderMessageId,
    pub wa_id: Option<WaId>,
    pub bsuid: Option<Bsuid>,
}

impl Accepted {
    pub fn id_only(id: impl Into<String>) -> Self {
        Accepted { id: ProviderMessageId(id.into()), wa_id: None, bsuid: None }
    }
}

/// Why a provider did not accept a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// Transient failures (rate limits, 5xx, timeouts) may succeed later;
    /// permanent ones (invalid number, outside the 24-hour window) will not.
    pub kind: ProviderErrorKind,
    /// The provider's own error code, e.g. Meta's `131047`.
    pub code: Option<String>,
    /// A sentence an agent can read.
    pub message: String,
    /// How long the provider asked us to wait before trying again.
    pub retry_after: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The provider did not take the message (it said so, or was never
    /// reached): sending it again is safe, and done automatically.
    Transient,
    /// The provider refused it for good: sending again would fail again.
    Permanent,
    /// The provider may have taken it (no answer in time, a connection
    /// broken mid-request, a success answer without an id). Sending again
    /// could deliver it twice, so it is never retried automatically: the
    /// message fails with DELIVERY_UNKNOWN and the agent decides.
    Unknown,
}

impl ProviderError {
    pub fn permanent(code: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::Permanent,
            code: code.map(str::to_owned),
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn transient(code: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::Transient,
            code: code.map(str::to_owned),
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        Self { kind: ProviderErrorKind::Unknown, code: None, message: message.into(), retry_after: None }
    }

    pub fn with_retry_after(mut self, wait: Option<std::time::Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    pub fn is_transient(&self) -> bool {
        self.kind == ProviderErrorKind::Transient
    }

    pub fn is_unknown(&self) -> bool {
        self.kind == ProviderErrorKind::Unknown
    }
}

/// Sends WhatsApp messages through a company's channel.
#[async_trait]
pub trait WhatsappProvider: Send + Sync {
    async fn send_text(&self, channel: &Channel, to: &Recipient, text: &MessageText)
    -> Result<Accepted, ProviderError>;
}

/// How transient provider failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Provider calls per message before it is marked failed (the first send included).
    pub max_attempts: i32,
    /// Wait before the second attempt; doubled for each later one.
    pub base_delay: Duration,
    /// The longest wait between attempts, also for a provider's Retry-After.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, base_delay: Duration::from_secs(2), max_delay: Duration::from_secs(300) }
    }
}

/// A send the provider accepted, to be recorded as `sent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedSend {
    pub company_id: CompanyId,
    pub message_id: MessageId,
    pub provider_message_id: String,
}

/// Where sends go: the provider, how its transient failures are retried,
/// and how its answers are recorded. A provider on its own is one (see
/// `delivery`); the server's `outbox::Outbox` also groups the recording.
#[async_trait]
pub trait Dispatch: Send + Sync {
    fn provider(&self) -> &dyn WhatsappProvider;

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
    }

    /// Records an accepted send as `sent` (and the statuses that came early).
    async fn record_sent(&self, db: &PgPool, accepted: AcceptedSend) -> DomainResult<MessageStatus>;
}

/// A provider for domain tests: answers from a script and records every call.
/// (Tests of the real providers use an HTTP fake of the provider instead.)
#[derive(Default)]
pub struct ScriptedProvider {
    script: Mutex<Vec<Result<Accepted, ProviderError>>>,
    calls: Mutex<Vec<SentText>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentText {
    pub channel_id: uuid::Uuid,
    pub to: String,
    pub text: String,
}

impl ScriptedProvider {
    /// Accepts every message, answering ids `wamid.test.1`, `wamid.test.2`, ...
    pub fn accepting() -> Self {
        Self::default()
    }

    /// Answers the next sends with these results, in order, then accepts.
    pub fn answering(results: impl IntoIterator<Item = Result<Accepted, ProviderError>>) -> Self {
        let mut script: Vec<_> = results.into_iter().collect();
        script.reverse();
        Self { script: Mutex::new(script), calls: Mutex::default() }
    }

    pub fn push(&self, result: Result<Accepted, ProviderError>) {
        self.script.lock().unwrap().insert(0, result);
    }

    pub fn calls(&self) -> Vec<SentText> {
        self.calls.lock().unwrap().clone()
    }
}

impl fmt::Debug for ScriptedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedProvider").field("calls", &self.calls.lock().unwrap().len()).finish()
    }
}

#[async_trait]
impl WhatsappProvider for ScriptedProvider {
    async fn send_text(
        &self,
        channel: &Channel,
        to: &Recipient,
        text: &MessageText,
    ) -> Result<Accepted, ProviderError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(SentText { channel_id: channel.id.0, to: to.to_string(), text: text.to_string() });
            calls.len()
        };
        self.script.lock().unwrap().pop().unwrap_or_else(|| Ok(Accepted::id_only(format!("wamid.test.{n}"))))
    }
}
