//! A provider that needs no account and no network, for `make run` and
//! demos. Numbers ending in 0000 fail for good and ones ending in 0429 are
//! rate limited, so people can try failure and retry.

use inbox_domain::channels::Channel;
use inbox_domain::provider::ProviderMessageId;
use inbox_types::{E164Phone, MessageText};

use crate::classify::SendFailure;

/// Accepts sends locally.
///
/// A struct built by [`Sandbox::new`] rather than a unit value, so what it
/// will need later (a hook that posts delivered and read statuses back
/// through the webhook) can be added without changing its callers.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Sandbox {}

impl Sandbox {
    pub fn new() -> Self {
        Self {}
    }

    /// Answers at once: an id shaped like Meta's, or the failure its magic
    /// numbers stand for, with the codes Meta would use.
    pub async fn send(
        &self,
        _channel: &Channel,
        to: &E164Phone,
        _text: &MessageText,
    ) -> Result<ProviderMessageId, SendFailure> {
        if to.as_str().ends_with("0000") {
            return Err(SendFailure::permanent(
                Some("131026"),
                "Undeliverable: not a WhatsApp number (sandbox: numbers ending in 0000 always fail).",
            ));
        }
        if to.as_str().ends_with("0429") {
            return Err(SendFailure::transient(
                Some("130429"),
                "Rate limit hit; try again shortly (sandbox: numbers ending in 0429 are always rate limited).",
            ));
        }
        Ok(ProviderMessageId(format!("wamid.sandbox.{}", uuid::Uuid::new_v4().simple())))
    }
}
