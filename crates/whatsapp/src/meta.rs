//! Meta's WhatsApp Cloud API: `POST {base}/{version}/{phone_number_id}/messages`.
//!
//! Error codes: <https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes>.

use std::fmt;

use inbox_domain::channels::Channel;
use inbox_domain::provider::{Accepted, ProviderErrorKind, ProviderMessageId, Recipient};
use inbox_types::{Bsuid, MessageText, WaId};
use serde_json::{Value, json};

use crate::classify::{self, Refusal, SendFailure};

/// Sends through Meta's Graph API. Holds no credentials: each send uses the
/// channel's own access token, so one client serves every company.
#[derive(Clone)]
pub struct MetaCloudApi {
    http: reqwest::Client,
    base: String,
    version: String,
}

impl fmt::Debug for MetaCloudApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaCloudApi").field("base", &self.base).field("version", &self.version).finish()
    }
}

impl MetaCloudApi {
    /// `base` is where the Graph API is (`https://graph.facebook.com`, or a
    /// fake in tests), `version` the Graph API version (`v21.0`).
    pub fn new(http: reqwest::Client, base: &str, version: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), version: version.trim_matches('/').to_owned() }
    }

    /// Sends a text message; the id is Meta's wamid. A number goes in `to`;
    /// a customer who shares none is addressed by BSUID in `recipient`
    /// (Meta drops a BSUID put in `to`).
    pub async fn send(&self, channel: &Channel, to: &Recipient, text: &MessageText) -> Result<Accepted, SendFailure> {
        let token = channel.credential("access_token").filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            SendFailure::permanent(None, "The channel has no access_token: add Meta's access token to the channel.")
        })?;
        let phone_number_id = channel.external_id.trim();
        // It becomes a path segment: anything but a plain id would send the token elsewhere.
        if phone_number_id.is_empty() || !phone_number_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SendFailure::permanent(
                None,
                format!("The channel's phone number id {phone_number_id:?} is not a Meta phone number id."),
            ));
        }
        let url = format!("{}/{}/{phone_number_id}/messages", self.base, self.version);
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "type": "text",
            "text": {"preview_url": false, "body": text.as_str()},
        });
        match to {
            Recipient::Number(n) => body["to"] = json!(n.as_str()),
            Recipient::User(b) => body["recipient"] = json!(b.as_str()),
        }
        let response = self
            .http
            .post(url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .map_err(|e| classify::transport("Meta", e))?;
        let status = response.status();
        let retry_after = classify::retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| classify::transport("Meta", e))?;
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        if status.is_success() {
            return accepted(status, json);
        }
        let error = json.as_ref().and_then(|j| j.get("error"));
        // Meta's `error_data.details` says what went wrong for this message;
        // `message` is often only the code's title.
        let said = ["/error_data/details", "/message"]
            .into_iter()
            .filter_map(|field| error?.pointer(field)?.as_str())
            .find_map(|s| classify::provider_words(s, &[&token]));
        let code = classify::json_code(error.and_then(|e| e.get("code")));
        let says_transient = error.and_then(|e| e.get("is_transient")).and_then(Value::as_bool).unwrap_or(false);
        Err(Refusal { provider: "Meta", status, code, said, retry_after }
            .classify(code.and_then(known_code), says_transient))
    }
}

/// A 2xx answer: the wamid and who Meta says the recipient is
/// (`contacts[0].wa_id` for a number, `user_id` for a BSUID), or an error
/// that admits the send may have happened.
fn accepted(status: reqwest::StatusCode, json: Option<Value>) -> Result<Accepted, SendFailure> {
    let Some(json) = json else {
        return Err(SendFailure::unknown(format!(
            "Meta answered HTTP {status} with a body that is not JSON; delivery unknown: the message may or may \
                 not have been sent."
        )));
    };
    match json.pointer("/messages/0/id").and_then(Value::as_str).map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => Ok(Accepted {
            id: ProviderMessageId(id.to_owned()),
            wa_id: json.pointer("/contacts/0/wa_id").and_then(Value::as_str).and_then(|w| WaId::parse(w).ok()),
            bsuid: json.pointer("/contacts/0/user_id").and_then(Value::as_str).and_then(|b| Bsuid::parse(b).ok()),
        }),
        None => Err(SendFailure::unknown(format!(
            "Meta answered HTTP {status} without a message id; delivery unknown: the message may or may not \
                 have been sent."
        ))),
    }
}

/// The codes Meta documents that we explain; any other code is classified by
/// its HTTP status.
fn known_code(code: i64) -> Option<(ProviderErrorKind, &'static str)> {
    use ProviderErrorKind::{Permanent, Transient};
    Some(match code {
        131047 => (
            Permanent,
            "Outside the 24-hour customer service window: the customer has not written in the last 24 hours, so \
             only a template message can reach them now.",
        ),
        131026 => (Permanent, "Undeliverable: the number may not be on WhatsApp, or cannot receive this message."),
        131062 => (
            Permanent,
            "This customer shares no phone number and Meta cannot deliver this kind of message to their \
             business-scoped id.",
        ),
        131030 => (
            Permanent,
            "The number is not in the allowed recipients list of this Meta test number; add it in the Meta app \
             dashboard.",
        ),
        100 => (Permanent, "Meta rejected a parameter of the request."),
        190 => (Permanent, "The channel's Meta access token is invalid or expired; update the channel's access_token."),
        130429 => (Transient, "Meta's throughput limit for this number was hit."),
        131056 => (Transient, "Too many messages to this recipient in a short time (Meta's pair rate limit)."),
        80007 => (Transient, "The WhatsApp Business Account's rate limit was hit."),
        4 => (Transient, "The app's Graph API call limit was hit."),
        // Meta's own "temporary, try again" codes.
        2 | 131000 | 131016 | 133004 => (Transient, "Meta had a temporary problem."),
        _ => return None,
    })
}
