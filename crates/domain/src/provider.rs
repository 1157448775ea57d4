//! The boundary to WhatsApp providers (Meta Cloud API, Twilio, the sandbox).
//! Implementations live in their own crate; the domain only knows this trait.

use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use inbox_types::{Bsuid, MessageText, WaId};

use crate::channels::Channel;

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
