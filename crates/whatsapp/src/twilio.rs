//! Twilio's Messages resource with the `whatsapp:` address scheme:
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`.
//!
//! Error codes: <https://www.twilio.com/docs/api/errors>.

use std::fmt;

use inbox_domain::channels::Channel;
use inbox_domain::provider::{Accepted, ProviderErrorKind, Recipient};
use inbox_types::MessageText;
use serde_json::Value;

use crate::classify::{self, Refusal, SendFailure};

/// Sends through Twilio. Holds no credentials: each send uses the channel's
/// own account SID and auth token.
#[derive(Clone)]
pub struct Twilio {
    http: reqwest::Client,
    base: String,
}

impl fmt::Debug for Twilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Twilio").field("base", &self.base).finish()
    }
}

impl Twilio {
    /// `base` is where Twilio's API is (`https://api.twilio.com`, or a fake in tests).
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned() }
    }

    /// Sends a text message; the id is Twilio's MessageSid.
    pub async fn send(&self, channel: &Channel, to: &Recipient, text: &MessageText) -> Result<Accepted, SendFailure> {
        let credential = |name: &str| {
            channel.credential(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                SendFailure::permanent(None, format!("The channel has no {name}: add it to the Twilio channel."))
            })
        };
        let account_sid = credential("account_sid")?;
        let auth_token = credential("auth_token")?;
        // It becomes a path segment: anything but a plain SID would send the token elsewhere.
        if !account_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SendFailure::permanent(None, "The channel's account_sid is not a Twilio account SID."));
        }
        // The sender is stored as "+14155238886"; accept "whatsapp:+..." and a missing "+" too.
        let from = channel.external_id.trim();
        let from = from.strip_prefix("whatsapp:").unwrap_or(from).trim_start_matches('+');
        if from.is_empty() {
            return Err(SendFailure::permanent(
                None,
                "The channel has no sender number: set the Twilio channel's from.",
            ));
        }
        let url = format!("{}/2010-04-01/Accounts/{account_sid}/Messages.json", self.base);
        let form =
            // `whatsapp:+digits`, or `whatsapp:US.1349…` for a BSUID (no `+`).
            [("To", format!("whatsapp:{to}")), ("From", format!("whatsapp:+{from}")), ("Body", text.to_string())];
        let response = self
            .http
            .post(url)
            .basic_auth(&account_sid, Some(&auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| classify::transport("Twilio", e))?;
        let status = response.status();
        let retry_after = classify::retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| classify::transport("Twilio", e))?;
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        if status.is_success() {
            let sid = json.as_ref().and_then(|j| j.get("sid")).and_then(Value::as_str).map(str::trim);
            return match sid.filter(|s| !s.is_empty()) {
                Some(sid) => Ok(Accepted::id_only(sid)),
                None => Err(SendFailure::unknown(format!(
                    "Twilio answered HTTP {status} without a MessageSid; delivery unknown: the message may or \
                         may not have been sent."
                ))),
            };
        }
        let said = json
            .as_ref()
            .and_then(|j| j.get("message"))
            .and_then(Value::as_str)
            .and_then(|s| classify::provider_words(s, &[&auth_token]));
        let code = classify::json_code(json.as_ref().and_then(|j| j.get("code")));
        Err(Refusal { provider: "Twilio", status, code, said, retry_after }.classify(code.and_then(known_code), false))
    }
}

/// The codes Twilio documents that we explain; any other code is classified
/// by its HTTP status.
fn known_code(code: i64) -> Option<(ProviderErrorKind, &'static str)> {
    use ProviderErrorKind::{Permanent, Transient};
    Some(match code {
        63016 => (
            Permanent,
            "Outside the 24-hour customer service window: the customer has not written in the last 24 hours, so \
             only a template message can reach them now.",
        ),
        21211 | 21614 | 63003 => (Permanent, "The number is not valid or cannot receive WhatsApp messages."),
        20003 => {
            (Permanent, "Twilio refused the channel's credentials; check the channel's account_sid and auth_token.")
        }
        20429 | 63018 => (Transient, "Twilio's rate limit was hit."),
        _ => return None,
    })
}
