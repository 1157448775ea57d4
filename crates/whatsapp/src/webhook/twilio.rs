//! Twilio's status callbacks and incoming-message webhooks (form posts).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use inbox_types::MessageStatus;
use inbox_types::content::{Choice, Location, Media, MediaFile, MessageContent};
use sha1::Sha1;

use super::WebhookParseError;

/// Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1 over the full URL
/// followed by every POST parameter's name and value, sorted by name.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac_of(auth_token, url, params).finalize().into_bytes())
}

/// Whether `header` is the request's signature: the HMAC's own
/// constant-time check (`Mac::verify_slice`) on the decoded digest.
pub fn verify_signature(auth_token: &str, url: &str, params: &[(String, String)], header: Option<&str>) -> bool {
    let Some(given) = header.and_then(|h| STANDARD.decode(h.trim()).ok()) else { return false };
    mac_of(auth_token, url, params).verify_slice(&given).is_ok()
}

fn mac_of(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// The customer of an inbound Twilio message. Nothing is checked here: the
/// webhook handler validates what it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwilioSender {
    pub from: String,
    /// `WaId`: the sender's WhatsApp id (their number's digits).
    pub wa_id: Option<String>,
    /// `ExternalUserId` (Twilio's changelog also says
    /// `ExternalUserIdentifier`): the sender's BSUID.
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub profile_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioEvent {
    Status {
        /// Our WhatsApp number (the status callback's From), without `whatsapp:`.
        sender: String,
        provider_message_id: String,
        status: MessageStatus,
        error_code: Option<String>,
        error_message: Option<String>,
    },
    Message {
        /// Our WhatsApp number (the To), without `whatsapp:`.
        receiver: String,
        provider_message_id: String,
        /// The customer as Twilio names them: `From` without `whatsapp:`
        /// (`+E164`, or a BSUID such as `US.1349…` for a customer who
        /// shares no number), `WaId`, and the BSUID parameters.
        sender: TwilioSender,
        /// What the customer sent, typed: media with every `MediaUrlN`.
        content: MessageContent,
        /// `OriginalRepliedMessageSid`: the message this one replies to.
        reply_to: Option<String>,
    },
    /// A status that says nothing new to us (queued, accepted, ...).
    Ignored,
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn number(v: &str) -> String {
    v.trim_start_matches("whatsapp:").to_owned()
}

pub fn parse(params: &[(String, String)]) -> Result<TwilioEvent, WebhookParseError> {
    let missing = |k: &str| WebhookParseError(format!("Twilio callback without {k}"));
    let sid =
        get(params, "MessageSid").or_else(|| get(params, "SmsMessageSid")).ok_or_else(|| missing("MessageSid"))?;
    let status = get(params, "MessageStatus").or_else(|| get(params, "SmsStatus")).unwrap_or("received");
    if status == "received" {
        let from = number(get(params, "From").ok_or_else(|| missing("From"))?);
        let receiver = number(get(params, "To").ok_or_else(|| missing("To"))?);
        let owned = |k: &str| get(params, k).map(str::to_owned);
        return Ok(TwilioEvent::Message {
            receiver,
            provider_message_id: sid.to_owned(),
            sender: TwilioSender {
                from,
                wa_id: owned("WaId"),
                user_id: owned("ExternalUserId").or_else(|| owned("ExternalUserIdentifier")),
                parent_user_id: owned("ParentExternalUserId"),
                profile_name: owned("ProfileName"),
            },
            content: content_of(params),
            reply_to: owned("OriginalRepliedMessageSid"),
        });
    }
    let status = match status {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "failed" | "undelivered" | "canceled" => MessageStatus::Failed,
        _ => return Ok(TwilioEvent::Ignored),
    };
    Ok(TwilioEvent::Status {
        sender: number(get(params, "From").ok_or_else(|| missing("From"))?),
        provider_message_id: sid.to_owned(),
        status,
        error_code: get(params, "ErrorCode").map(str::to_owned),
        error_message: get(params, "ErrorMessage").map(str::to_owned),
    })
}

/// The most media one Twilio message carries.
const MAX_MEDIA: usize = 10;

/// The typed content of an inbound WhatsApp message from Twilio's
/// parameters: a location (`Latitude`, `Longitude`, `Address`, `Label`),
/// media (`NumMedia`, `MediaUrlN`, `MediaContentTypeN`, the `Body` as the
/// caption), a button tap (`ButtonText`, `ButtonPayload`), or text.
fn content_of(params: &[(String, String)]) -> MessageContent {
    let owned = |k: &str| get(params, k).map(str::to_owned);
    let message_type = get(params, "MessageType");
    let coordinate = |k: &str| get(params, k).and_then(|v| v.trim().parse::<f64>().ok()).filter(|f| f.is_finite());
    if let (Some(latitude), Some(longitude)) = (coordinate("Latitude"), coordinate("Longitude")) {
        return MessageContent::Location(Location {
            latitude,
            longitude,
            name: owned("Label"),
            address: owned("Address"),
            url: None,
        });
    }
    let files: Vec<MediaFile> = (0..MAX_MEDIA)
        .map_while(|i| {
            Some(MediaFile {
                url: Some(get(params, &format!("MediaUrl{i}"))?.to_owned()),
                mime_type: owned(&format!("MediaContentType{i}")),
                ..MediaFile::default()
            })
        })
        .collect();
    if let Some(first) = files.first() {
        let by_mime = match first.mime_type.as_deref().and_then(|m| m.split('/').next()) {
            Some("image") => "image",
            Some("video") => "video",
            Some("audio") => "audio",
            _ => "document",
        };
        let media = Media { caption: owned("Body"), files };
        return match message_type.unwrap_or(by_mime) {
            "image" => MessageContent::Image(media),
            "video" => MessageContent::Video(media),
            "audio" => MessageContent::Audio(media),
            "sticker" => MessageContent::Sticker(media),
            _ => MessageContent::Document(media),
        };
    }
    if let Some(title) = get(params, "ButtonText") {
        return MessageContent::Choice(Choice {
            title: title.to_owned(),
            id: owned("ButtonPayload"),
            description: None,
        });
    }
    match (get(params, "Body"), message_type) {
        (Some(body), _) => MessageContent::text(body),
        (None, Some(kind)) if kind != "text" => {
            MessageContent::Unsupported { kind: kind.to_owned(), text: None, raw: None }
        }
        (None, _) => MessageContent::Unsupported { kind: "message".to_owned(), text: None, raw: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn matches_twilios_documented_example() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(sign("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify_signature("12345", url, &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")));
        assert!(!verify_signature(
            "12345",
            "https://mycompany.com/other",
            &params,
            Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        ));
        assert!(!verify_signature("12345", url, &params, None));
    }

    #[test]
    fn status_callbacks_and_inbound_messages_are_told_apart() {
        let status = p(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "63016"),
            ("From", "whatsapp:+14155238886"),
            ("To", "whatsapp:+34612345678"),
        ]);
        assert_eq!(
            parse(&status).unwrap(),
            TwilioEvent::Status {
                sender: "+14155238886".into(),
                provider_message_id: "SM1".into(),
                status: MessageStatus::Failed,
                error_code: Some("63016".into()),
                error_message: None,
            }
        );
        assert_eq!(
            parse(&p(&[("MessageSid", "SM1"), ("MessageStatus", "queued"), ("From", "x")])).unwrap(),
            TwilioEvent::Ignored
        );
        let inbound = p(&[
            ("SmsMessageSid", "SM2"),
            ("SmsStatus", "received"),
            ("From", "whatsapp:+34612345678"),
            ("To", "whatsapp:+14155238886"),
            ("Body", ""),
            ("NumMedia", "1"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
            ("ProfileName", "Pablo"),
        ]);
        assert!(matches!(parse(&inbound).unwrap(), TwilioEvent::Message { content, receiver, .. }
            if content.rendering() == "[image]" && content.media_type() == Some("image") && receiver == "+14155238886"));
        assert!(parse(&p(&[("Body", "x")])).is_err());
    }
}
