//! Meta's WhatsApp Cloud API webhooks (also spoken by the sandbox).

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use inbox_types::MessageStatus;
use inbox_types::content::{Choice, Location, Media, MediaFile, MessageContent, SharedContact, SharedPhone};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::{WebhookParseError, constant_time_eq, replace_nul_in_json};

/// `sha256=<hex>` of the body, as Meta sends in `X-Hub-Signature-256`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Whether `header` is the body's signature with this secret: the HMAC's
/// own constant-time check (`Mac::verify_slice`) on the decoded digest.
pub fn verify_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header.and_then(|h| h.trim().strip_prefix("sha256=")).and_then(hex_bytes) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Hex digits (either case) as bytes; None for anything else.
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Meta's subscription check: the challenge to echo when the token matches.
pub fn verify_challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Option<String> {
    let ok = mode == Some("subscribe")
        && !expected_token.is_empty()
        && token.is_some_and(|t| constant_time_eq(t.as_bytes(), expected_token.as_bytes()));
    ok.then(|| challenge.unwrap_or_default().to_owned())
}

/// What one callback reports.
#[derive(Debug, Clone, PartialEq, Eq)]
// A callback's few events live only while it is applied: boxing buys nothing.
#[expect(clippy::large_enum_variant)]
pub enum MetaEvent {
    Status {
        phone_number_id: String,
        provider_message_id: String,
        status: MessageStatus,
        timestamp: Option<DateTime<Utc>>,
        recipient_id: Option<String>,
        /// The recipient's BSUID (`recipient_user_id`, since 2026).
        recipient_user_id: Option<String>,
        error_code: Option<String>,
        error_message: Option<String>,
    },
    Message {
        phone_number_id: String,
        provider_message_id: String,
        /// Who sent it, as WhatsApp names them (any part may be missing).
        sender: Sender,
        timestamp: Option<DateTime<Utc>>,
        /// What the customer sent, typed, with every detail Meta gave.
        content: MessageContent,
        /// `context.id`: the message this one replies to.
        reply_to: Option<String>,
        /// Set for `type: "system"`: what WhatsApp reports about the customer.
        system: Option<SystemChange>,
    },
}

impl MetaEvent {
    /// The business number (Meta's phone number id) it is for.
    pub fn phone_number_id(&self) -> &str {
        match self {
            MetaEvent::Status { phone_number_id, .. } | MetaEvent::Message { phone_number_id, .. } => phone_number_id,
        }
    }
}

/// A customer as a callback names them. Since 2026 `from` (the number) is
/// left out for a customer who uses a username and shares no number; the
/// BSUID (`from_user_id`) is always there. Nothing is checked here: the
/// webhook handler validates and keeps what it cannot use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// `messages[].from`, or the matching `contacts[].wa_id`.
    pub wa_id: Option<String>,
    /// `messages[].from_user_id` / `contacts[].user_id`.
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
}

/// `user_changed_number` / `user_changed_user_id`: the customer's new
/// identity (the sender fields hold the old one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemChange {
    pub kind: String,
    pub new_wa_id: Option<String>,
    pub new_user_id: Option<String>,
}

#[derive(Deserialize)]
struct Root {
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: serde_json::Value,
}

fn str_at<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn time_of(v: &serde_json::Value) -> Option<DateTime<Utc>> {
    let secs: i64 = v.get("timestamp")?.as_str()?.parse().ok()?;
    DateTime::from_timestamp(secs, 0)
}

/// A signed callback as it is kept and applied: its JSON (Null when it is
/// not JSON), with NULs replaced (`replace_nul_in_json`), and its events.
pub fn parse_signed(raw: &[u8]) -> (serde_json::Value, Result<Vec<MetaEvent>, WebhookParseError>) {
    let mut payload: serde_json::Value = serde_json::from_slice(raw).unwrap_or(serde_json::Value::Null);
    let events = match replace_nul_in_json(&mut payload) {
        true => parse(&serde_json::to_vec(&payload).unwrap_or_default()),
        false => parse(raw),
    };
    (payload, events)
}

/// Reads every status and message of a callback (several entries and
/// changes per POST). Parts we do not handle are skipped, not errors.
pub fn parse(body: &[u8]) -> Result<Vec<MetaEvent>, WebhookParseError> {
    let root: Root =
        serde_json::from_slice(body).map_err(|e| WebhookParseError(format!("not a WhatsApp webhook payload: {e}")))?;
    let mut events = Vec::new();
    for change in root.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        let v = &change.value;
        let Some(phone_number_id) = str_at(v, &["metadata", "phone_number_id"]) else { continue };
        for s in v.get("statuses").and_then(|s| s.as_array()).into_iter().flatten() {
            let (Some(id), Some(status)) = (str_at(s, &["id"]), str_at(s, &["status"])) else { continue };
            let status = match status {
                "sent" => MessageStatus::Sent,
                "delivered" => MessageStatus::Delivered,
                "read" => MessageStatus::Read,
                "failed" => MessageStatus::Failed,
                _ => continue, // "deleted", "warning", ...
            };
            let error = s.get("errors").and_then(|e| e.get(0));
            events.push(MetaEvent::Status {
                phone_number_id: phone_number_id.to_owned(),
                provider_message_id: id.to_owned(),
                status,
                timestamp: time_of(s),
                recipient_id: str_at(s, &["recipient_id"]).map(str::to_owned),
                recipient_user_id: str_at(s, &["recipient_user_id"]).map(str::to_owned),
                error_code: error.and_then(|e| e.get("code")).map(|c| c.to_string().trim_matches('"').to_owned()),
                error_message: error.map(|e| {
                    let title = str_at(e, &["title"]).or_else(|| str_at(e, &["message"])).unwrap_or("failed");
                    match str_at(e, &["error_data", "details"]) {
                        Some(d) => format!("{title}: {d}"),
                        None => title.to_owned(),
                    }
                }),
            });
        }
        let contacts = v.get("contacts").and_then(|c| c.as_array());
        for m in v.get("messages").and_then(|m| m.as_array()).into_iter().flatten() {
            let Some(id) = str_at(m, &["id"]) else { continue };
            let from = str_at(m, &["from"]).map(str::to_owned);
            let from_user_id = str_at(m, &["from_user_id"]).map(str::to_owned);
            // The sender's entry of `contacts[]`: the one naming them, or the
            // only one. Another customer's entry is never borrowed from.
            let contact = contacts.and_then(|cs| {
                let named = cs.iter().find(|c| {
                    (from.is_some() && str_at(c, &["wa_id"]) == from.as_deref())
                        || (from_user_id.is_some() && str_at(c, &["user_id"]) == from_user_id.as_deref())
                });
                named.or_else(|| (cs.len() == 1).then(|| &cs[0]))
            });
            let of_contact = |path: &[&str]| contact.and_then(|c| str_at(c, path)).map(str::to_owned);
            let sender = Sender {
                // WhatsApp's id of the number (`contacts[].wa_id`) may differ
                // from the number (`from`); the id is what replies go to.
                wa_id: of_contact(&["wa_id"]).or(from),
                user_id: from_user_id.or_else(|| of_contact(&["user_id"])),
                parent_user_id: str_at(m, &["from_parent_user_id"])
                    .map(str::to_owned)
                    .or_else(|| of_contact(&["parent_user_id"])),
                username: of_contact(&["profile", "username"]),
                profile_name: of_contact(&["profile", "name"]),
            };
            let kind = str_at(m, &["type"]).unwrap_or("unknown");
            let content = content_of(m, kind);
            let system = (kind == "system").then(|| SystemChange {
                kind: str_at(m, &["system", "type"]).unwrap_or_default().to_owned(),
                new_wa_id: str_at(m, &["system", "wa_id"])
                    .or_else(|| str_at(m, &["system", "new_wa_id"]))
                    .map(str::to_owned),
                new_user_id: str_at(m, &["system", "user_id"]).map(str::to_owned),
            });
            // `user_changed_user_id` names the old BSUID only in the system object.
            let sender = match str_at(m, &["system", "previous_user_id"]) {
                Some(previous) => Sender { user_id: Some(previous.to_owned()), ..sender },
                None => sender,
            };
            events.push(MetaEvent::Message {
                phone_number_id: phone_number_id.to_owned(),
                provider_message_id: id.to_owned(),
                sender,
                timestamp: time_of(m),
                content,
                reply_to: str_at(m, &["context", "id"]).map(str::to_owned),
                system,
            });
        }
    }
    Ok(events)
}

/// The typed content of any message type Meta documents. Types without a
/// variant of their own (order, edit, revoke, ...) are `Unsupported` with a
/// readable line and Meta's object for that type kept whole.
fn content_of(m: &serde_json::Value, kind: &str) -> MessageContent {
    let text = |path: &[&str]| str_at(m, path).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let owned = |v: &serde_json::Value, path: &[&str]| str_at(v, path).map(str::to_owned);
    let unsupported = |line: Option<String>| MessageContent::Unsupported {
        kind: kind.to_owned(),
        text: line,
        raw: m.get(kind).cloned(),
    };
    match kind {
        "text" => MessageContent::text(str_at(m, &["text", "body"]).unwrap_or_default()),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let o = m.get(kind).cloned().unwrap_or_default();
            let flag = |k: &str| o.get(k).and_then(serde_json::Value::as_bool).unwrap_or(false);
            let media = Media {
                caption: text(&[kind, "caption"]),
                files: vec![MediaFile {
                    provider_media_id: owned(&o, &["id"]),
                    url: owned(&o, &["url"]),
                    mime_type: owned(&o, &["mime_type"]),
                    sha256: owned(&o, &["sha256"]),
                    filename: owned(&o, &["filename"]),
                    voice: flag("voice"),
                    animated: flag("animated"),
                }],
            };
            match kind {
                "image" => MessageContent::Image(media),
                "video" => MessageContent::Video(media),
                "audio" => MessageContent::Audio(media),
                "document" => MessageContent::Document(media),
                _ => MessageContent::Sticker(media),
            }
        }
        "location" => {
            let coordinate = |k: &str| m.pointer(&format!("/location/{k}")).and_then(number);
            match (coordinate("latitude"), coordinate("longitude")) {
                (Some(latitude), Some(longitude)) => MessageContent::Location(Location {
                    latitude,
                    longitude,
                    name: text(&["location", "name"]),
                    address: text(&["location", "address"]),
                    url: text(&["location", "url"]),
                }),
                _ => unsupported(Some("[location]".to_owned())),
            }
        }
        "contacts" => MessageContent::Contacts {
            contacts: m
                .get("contacts")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
                .map(|c| SharedContact {
                    name: str_at(c, &["name", "formatted_name"]).unwrap_or_default().to_owned(),
                    phones: c
                        .get("phones")
                        .and_then(|p| p.as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|p| Some(SharedPhone { phone: owned(p, &["phone"])?, wa_id: owned(p, &["wa_id"]) }))
                        .collect(),
                })
                .collect(),
        },
        "reaction" => match str_at(m, &["reaction", "message_id"]) {
            Some(target) => {
                MessageContent::Reaction { target_provider_id: target.to_owned(), emoji: text(&["reaction", "emoji"]) }
            }
            None => unsupported(None),
        },
        "button" => MessageContent::Choice(Choice {
            title: text(&["button", "text"]).or_else(|| text(&["button", "payload"])).unwrap_or_default(),
            id: owned(m, &["button", "payload"]),
            description: None,
        }),
        "interactive" => {
            let reply =
                ["button_reply", "list_reply"].into_iter().find_map(|k| m.get("interactive").and_then(|i| i.get(k)));
            match reply {
                Some(r) => MessageContent::Choice(Choice {
                    title: owned(r, &["title"]).unwrap_or_default(),
                    id: owned(r, &["id"]),
                    description: owned(r, &["description"]),
                }),
                // A flow's answer (`nfm_reply`) and anything newer.
                None => unsupported(Some(
                    text(&["interactive", "nfm_reply", "body"]).unwrap_or_else(|| "[interactive reply]".to_owned()),
                )),
            }
        }
        "system" => MessageContent::System {
            body: text(&["system", "body"]).unwrap_or_else(|| "[system message]".to_owned()),
            change: owned(m, &["system", "type"]),
        },
        "order" => {
            let items = m.pointer("/order/product_items").and_then(|i| i.as_array()).map_or(0, Vec::len);
            let note = text(&["order", "text"]).map(|t| format!(": {t}")).unwrap_or_default();
            unsupported(Some(format!("[order: {items} item{}{note}]", if items == 1 { "" } else { "s" })))
        }
        "edit" => {
            let new = text(&["edit", "message", "text", "body"])
                .or_else(|| {
                    let inner = str_at(m, &["edit", "message", "type"]).unwrap_or("");
                    text(&["edit", "message", inner, "caption"])
                })
                .unwrap_or_else(|| "[edited a message]".to_owned());
            unsupported(Some(format!("Edited: {new}")))
        }
        "revoke" => unsupported(Some("This message was deleted".to_owned())),
        "request_welcome" => unsupported(Some("[opened the chat]".to_owned())),
        "unsupported" => {
            let what = str_at(m, &["unsupported", "type"]).unwrap_or("message");
            unsupported(Some(format!("[unsupported message: {what}]")))
        }
        _ => unsupported(None),
    }
}

/// A coordinate as Meta sends it: a JSON number (or, defensively, a string).
fn number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()).filter(|f: &f64| f.is_finite())
}

fn envelope(phone_number_id: &str, value: serde_json::Value) -> Vec<u8> {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": "15550000000", "phone_number_id": phone_number_id});
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WHATSAPP_BUSINESS_ACCOUNT_ID", "changes": [{"field": "messages", "value": value}]}]
    }))
    .expect("JSON serializes")
}

/// A status callback as Meta sends it.
pub fn status_payload(
    phone_number_id: &str,
    provider_message_id: &str,
    status: MessageStatus,
    recipient_digits: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    envelope(
        phone_number_id,
        json!({"statuses": [{
            "id": provider_message_id,
            "status": status.as_str(),
            "timestamp": at.timestamp().to_string(),
            "recipient_id": recipient_digits,
        }]}),
    )
}

/// A `failed` status with Meta's error object.
pub fn failed_status_payload(
    phone_number_id: &str,
    provider_message_id: &str,
    recipient_digits: &str,
    at: DateTime<Utc>,
    error_code: i64,
    title: &str,
    details: &str,
) -> Vec<u8> {
    envelope(
        phone_number_id,
        json!({"statuses": [{
            "id": provider_message_id,
            "status": "failed",
            "timestamp": at.timestamp().to_string(),
            "recipient_id": recipient_digits,
            "errors": [{"code": error_code, "title": title, "message": title, "error_data": {"details": details}}],
        }]}),
    )
}

/// An inbound text message as Meta sends it.
pub fn text_message_payload(
    phone_number_id: &str,
    from_digits: &str,
    profile_name: &str,
    provider_message_id: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let contact = json!({"profile": {"name": profile_name}, "wa_id": from_digits});
    text_from(phone_number_id, contact, json!({"from": from_digits}), provider_message_id, text, at)
}

/// An inbound text from a customer who uses a username and shares no
/// number, as Meta sends it since 2026: no `from`, no `wa_id`; the BSUID in
/// `from_user_id` and `contacts[].user_id`.
pub fn bsuid_text_message_payload(
    phone_number_id: &str,
    user_id: &str,
    username: &str,
    profile_name: &str,
    provider_message_id: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let contact = json!({"profile": {"name": profile_name, "username": username}, "user_id": user_id});
    text_from(phone_number_id, contact, json!({"from_user_id": user_id}), provider_message_id, text, at)
}

/// A text message whose sender is `contact` (in `contacts[]`) and `sender`
/// (the message's `from` / `from_user_id` fields).
fn text_from(
    phone_number_id: &str,
    contact: serde_json::Value,
    sender: serde_json::Value,
    provider_message_id: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    let mut message = sender;
    message["id"] = json!(provider_message_id);
    message["timestamp"] = json!(at.timestamp().to_string());
    message["type"] = json!("text");
    message["text"] = json!({"body": text});
    envelope(phone_number_id, json!({"contacts": [contact], "messages": [message]}))
}

/// A status of a message sent to a BSUID, as Meta sends it: no
/// `recipient_id`, the BSUID in `recipient_user_id`.
pub fn bsuid_status_payload(
    phone_number_id: &str,
    provider_message_id: &str,
    status: MessageStatus,
    user_id: &str,
    at: DateTime<Utc>,
) -> Vec<u8> {
    envelope(
        phone_number_id,
        json!({"statuses": [{
            "id": provider_message_id,
            "status": status.as_str(),
            "timestamp": at.timestamp().to_string(),
            "recipient_user_id": user_id,
        }]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_right_secret_and_body() {
        let body = br#"{"entry":[]}"#;
        let sig = sign(b"secret", body);
        assert!(verify_signature(b"secret", body, Some(&sig)));
        assert!(verify_signature(b"secret", body, Some(&sig.to_uppercase().replace("SHA256=", "sha256="))));
        assert!(!verify_signature(b"other", body, Some(&sig)));
        assert!(!verify_signature(b"secret", b"{}", Some(&sig)));
        assert!(!verify_signature(b"secret", body, None));
        assert!(!verify_signature(b"secret", body, Some("sha1=abc")));
        assert!(!verify_signature(b"secret", body, Some("sha256=")));
    }

    #[test]
    fn the_challenge_is_echoed_only_for_the_right_token() {
        assert_eq!(verify_challenge(Some("subscribe"), Some("t"), Some("42"), "t").as_deref(), Some("42"));
        assert_eq!(verify_challenge(Some("subscribe"), Some("x"), Some("42"), "t"), None);
        assert_eq!(verify_challenge(Some("unsubscribe"), Some("t"), Some("42"), "t"), None);
        assert_eq!(verify_challenge(Some("subscribe"), Some(""), Some("42"), ""), None);
    }

    #[test]
    fn built_payloads_parse_back() {
        let at = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let events = parse(&status_payload("123", "wamid.A", MessageStatus::Read, "14155550100", at)).unwrap();
        assert_eq!(
            events,
            [MetaEvent::Status {
                phone_number_id: "123".into(),
                provider_message_id: "wamid.A".into(),
                status: MessageStatus::Read,
                timestamp: Some(at),
                recipient_id: Some("14155550100".into()),
                recipient_user_id: None,
                error_code: None,
                error_message: None,
            }]
        );
        let events = parse(&text_message_payload("123", "34612345678", "Lucía", "wamid.B", "Hola", at)).unwrap();
        assert!(matches!(&events[0], MetaEvent::Message { sender, content, .. }
            if sender.wa_id.as_deref() == Some("34612345678")
                && sender.profile_name.as_deref() == Some("Lucía") && *content == MessageContent::text("Hola")));
        let events =
            parse(&failed_status_payload("123", "wamid.C", "1", at, 131026, "Undeliverable", "not on WhatsApp"))
                .unwrap();
        assert!(
            matches!(&events[0], MetaEvent::Status { status: MessageStatus::Failed, error_code: Some(c), error_message: Some(m), .. }
            if c == "131026" && m.contains("not on WhatsApp"))
        );
    }

    #[test]
    fn media_and_several_changes_are_read_and_unknown_parts_skipped() {
        let body = json!({"object": "whatsapp_business_account", "entry": [
            {"id": "1", "changes": [
                {"field": "messages", "value": {"metadata": {"phone_number_id": "P1"},
                    "messages": [
                        {"from": "1", "id": "m1", "timestamp": "1", "type": "image", "image": {"id": "x"}},
                        {"from": "1", "id": "m2", "timestamp": "1", "type": "document", "document": {"filename": "a.pdf"}},
                        {"from": "1", "id": "m3", "timestamp": "1", "type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
                        {"from": "1", "id": "m4", "timestamp": "1", "type": "image", "image": {"caption": "look"}}
                    ],
                    "statuses": [{"id": "s1", "status": "deleted"}]}},
                {"field": "account_update", "value": {}}
            ]},
            {"id": "2", "changes": [{"field": "messages", "value": {"metadata": {"phone_number_id": "P2"},
                "statuses": [{"id": "s2", "status": "delivered", "timestamp": "1"}]}}]}
        ]});
        let events = parse(body.to_string().as_bytes()).unwrap();
        let contents: Vec<String> = events
            .iter()
            .map(|e| match e {
                MetaEvent::Message { content, .. } => content.rendering().into_owned(),
                MetaEvent::Status { phone_number_id, status, .. } => format!("{phone_number_id}:{status}"),
            })
            .collect();
        assert_eq!(contents, ["[image]", "[document: a.pdf]", "Reacted 👍 to a message", "look", "P2:delivered"]);
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"{\"entry\": 5}",
            &[0xff, 0xfe],
            b"{\"entry\": [{\"changes\": [{\"value\": 1}]}]}",
        ] {
            let _ = parse(body);
        }
        assert!(parse(b"{}").is_err());
        assert_eq!(parse(br#"{"entry": [{"changes": [{"field": "messages", "value": 1}]}]}"#).unwrap(), []);
    }
}
