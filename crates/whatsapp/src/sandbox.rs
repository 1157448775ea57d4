//! A provider that needs no account and no network, for `make run` and
//! demos. Numbers ending in 0000 fail for good, ones ending in 0429 are
//! rate limited, and one ending in 0001 is refused the first time and
//! accepted after that, so people can try failure and retry.
//!
//! With a webhook URL it behaves like Meta end to end: a moment after a
//! send it posts `delivered`, then `read`, and for every third message a
//! reply from the customer, signed with the channel's app secret, through
//! our real webhook path.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use inbox_domain::channels::Channel;
use inbox_domain::provider::{Accepted, ProviderMessageId, Recipient};
use inbox_types::{MessageStatus, MessageText};

use crate::classify::SendFailure;
use crate::webhook::meta;

/// When the sandbox's callbacks follow a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxDelays {
    pub delivered: Duration,
    pub read: Duration,
    pub reply: Duration,
}

impl Default for SandboxDelays {
    fn default() -> Self {
        Self {
            delivered: Duration::from_millis(1000),
            read: Duration::from_millis(2500),
            reply: Duration::from_millis(4000),
        }
    }
}

const REPLIES: [&str; 6] = [
    "Thanks! 👍",
    "Great, see you then.",
    "Perfect, thank you so much!",
    "Got it 🙂",
    "Could you send me the details by email too?",
    "Ok! What time do you open tomorrow?",
];

/// Accepts sends locally.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Sandbox {
    webhook: Option<(reqwest::Client, String)>,
    delays: SandboxDelays,
    accepted: AtomicU64,
    /// Numbers ending in 0001 refused once already.
    refused_once: Mutex<HashSet<String>>,
}

impl Sandbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// A sandbox that posts its statuses and replies to `url`.
    pub fn with_webhook(http: reqwest::Client, url: String, delays: SandboxDelays) -> Self {
        Self { webhook: Some((http, url)), delays, ..Self::default() }
    }

    /// Answers at once: an id shaped like Meta's, or the failure its magic
    /// numbers stand for, with the codes Meta would use.
    pub async fn send(&self, channel: &Channel, to: &Recipient, _text: &MessageText) -> Result<Accepted, SendFailure> {
        let address = to.to_string();
        if address.ends_with("0000") {
            return Err(SendFailure::permanent(
                Some("131026"),
                "Undeliverable: not a WhatsApp number (sandbox: numbers ending in 0000 always fail).",
            ));
        }
        if address.ends_with("0001")
            && self.refused_once.lock().unwrap_or_else(|e| e.into_inner()).insert(address.clone())
        {
            return Err(SendFailure::permanent(
                Some("131026"),
                "Undeliverable (sandbox: a number ending in 0001 is refused the first time; retry it).",
            ));
        }
        if address.ends_with("0429") {
            return Err(SendFailure::transient(
                Some("130429"),
                "Rate limit hit; try again shortly (sandbox: numbers ending in 0429 are always rate limited).",
            ));
        }
        let id = format!("wamid.sandbox.{}", uuid::Uuid::new_v4().simple());
        // Every third accepted message gets a reply from the customer.
        let n = self.accepted.fetch_add(1, Ordering::Relaxed);
        let reply = (n % 3 == 2).then(|| REPLIES[(n / 3) as usize % REPLIES.len()]);
        if let Some((http, url)) = &self.webhook {
            self.post_callbacks(http.clone(), url.clone(), channel, to, &id, reply);
        }
        // Meta names the recipient in its answer: the number's wa_id, or
        // the BSUID it was sent to.
        Ok(match to {
            Recipient::Number(n) => Accepted { id: ProviderMessageId(id), wa_id: Some(n.clone()), bsuid: None },
            Recipient::User(b) => Accepted { id: ProviderMessageId(id), wa_id: None, bsuid: Some(b.clone()) },
        })
    }

    fn post_callbacks(
        &self,
        http: reqwest::Client,
        url: String,
        channel: &Channel,
        to: &Recipient,
        id: &str,
        reply: Option<&'static str>,
    ) {
        let Some(secret) = channel.app_secret.as_ref().map(|s| s.expose().to_owned()) else {
            tracing::warn!(channel_id = %channel.id, "sandbox channel has no app secret; it posts no statuses");
            return;
        };
        let phone_number_id = channel.external_id.clone();
        let recipient = to.clone();
        let id = id.to_owned();
        let delays = self.delays;
        tokio::spawn(async move {
            let post = |body: Vec<u8>| {
                let signature = meta::sign(secret.as_bytes(), &body);
                http.post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
            };
            let mut waited = Duration::ZERO;
            let mut steps =
                vec![(delays.delivered, Some(MessageStatus::Delivered)), (delays.read, Some(MessageStatus::Read))];
            if reply.is_some() {
                steps.push((delays.reply, None));
            }
            for (at, status) in steps {
                tokio::time::sleep(at.saturating_sub(waited)).await;
                waited = at;
                let reply_id = format!("wamid.sandbox.{}", uuid::Uuid::new_v4().simple());
                let reply = reply.unwrap_or(REPLIES[0]);
                let (pnid, now) = (phone_number_id.as_str(), Utc::now());
                let body = match (status, &recipient) {
                    (Some(status), Recipient::Number(n)) => meta::status_payload(pnid, &id, status, n.as_str(), now),
                    (Some(status), Recipient::User(b)) => {
                        meta::bsuid_status_payload(pnid, &id, status, b.as_str(), now)
                    }
                    (None, Recipient::Number(n)) => {
                        meta::text_message_payload(pnid, n.as_str(), "Sandbox contact", &reply_id, reply, now)
                    }
                    (None, Recipient::User(b)) => meta::bsuid_text_message_payload(
                        pnid,
                        b.as_str(),
                        "@sandbox.contact",
                        "Sandbox contact",
                        &reply_id,
                        reply,
                        now,
                    ),
                };
                match post(body).await {
                    Ok(res) if res.status().is_success() => {}
                    Ok(res) => tracing::warn!(status = %res.status(), "sandbox webhook was refused"),
                    Err(e) => tracing::warn!(error = %e.without_url(), "sandbox webhook could not be posted"),
                }
            }
        });
    }
}
