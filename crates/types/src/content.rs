//! What a message holds, typed: the one model of message content shared by
//! the server (stored as `messages.kind` plus the `messages.payload` jsonb),
//! the API (`MessageDto.payload`) and the browser app.
//!
//! Beside it the server keeps a plain-text rendering (`messages.content`,
//! [`MessageContent::rendering`]) so list previews and search never read
//! JSON. Inbound content keeps everything the provider said about it (media
//! ids, hashes, a reaction's target), so features that arrive later can use
//! messages that arrived before them.
//!
//! Kinds are added by the feature that needs them; an inbound kind with no
//! variant of its own is [`MessageContent::Unsupported`], never dropped.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A message's content, tagged by `type` on the wire and in the database.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum MessageContent {
    /// A text message.
    Text {
        body: String,
    },
    /// A line WhatsApp reports about the customer ("changed their phone
    /// number"), shown centred.
    #[serde(rename_all = "camelCase")]
    System {
        body: String,
        /// WhatsApp's name for the change (`user_changed_number`, ...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<String>,
    },
    Image(Media),
    Video(Media),
    Audio(Media),
    Document(Media),
    Sticker(Media),
    /// An emoji reaction to another message; `emoji: null` removes it.
    #[serde(rename_all = "camelCase")]
    Reaction {
        /// The provider's id of the message reacted to.
        target_provider_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emoji: Option<String>,
    },
    /// A shared location.
    Location(Location),
    /// Shared contact cards.
    Contacts {
        contacts: Vec<SharedContact>,
    },
    /// The customer tapped a button or picked from a list the business sent.
    Choice(Choice),
    /// A kind Inbox does not show yet (order, edit, revoke, ...): what the
    /// provider sent is kept in `raw`.
    Unsupported {
        /// The provider's name for the kind.
        kind: String,
        /// A readable line for it, when the provider's data gives one
        /// ("Edited: …", "[order: 2 items]").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        raw: Option<serde_json::Value>,
    },
}

/// The file(s) of an image, video, audio, document or sticker message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// One file from Meta; Twilio may send up to ten in one message.
    pub files: Vec<MediaFile>,
}

/// One file as the provider describes it. Meta names a media id to fetch
/// with the business's token; Twilio a URL.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFile {
    /// Meta's media id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_media_id: Option<String>,
    /// Where the provider serves the file (Twilio's `MediaUrlN`, Meta's `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// An audio file recorded as a voice message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
    /// An animated sticker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animated: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

// Coordinates come from JSON, which has no NaN: equality is total.
impl Eq for Location {}

/// A contact card: its name and numbers (the rest stays in the stored
/// callback).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedContact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<SharedPhone>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedPhone {
    pub phone: String,
    /// Set when the number is on WhatsApp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// A reply to an interactive message or a template's quick-reply button.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    /// What the customer saw and tapped.
    pub title: String,
    /// The id or payload the business gave the option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `type` tag of [`MessageContent`], as stored in `messages.kind`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    #[default]
    Text,
    System,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Reaction,
    Location,
    Contacts,
    Choice,
    Unsupported,
}

impl MessageKind {
    pub const ALL: [MessageKind; 12] = [
        Self::Text,
        Self::System,
        Self::Image,
        Self::Video,
        Self::Audio,
        Self::Document,
        Self::Sticker,
        Self::Reaction,
        Self::Location,
        Self::Contacts,
        Self::Choice,
        Self::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::System => "system",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Reaction => "reaction",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Choice => "choice",
            Self::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown message kind {s:?}"))
    }
}

impl MessageContent {
    pub fn text(body: impl Into<String>) -> Self {
        Self::Text { body: body.into() }
    }

    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Text { .. } => MessageKind::Text,
            Self::System { .. } => MessageKind::System,
            Self::Image(_) => MessageKind::Image,
            Self::Video(_) => MessageKind::Video,
            Self::Audio(_) => MessageKind::Audio,
            Self::Document(_) => MessageKind::Document,
            Self::Sticker(_) => MessageKind::Sticker,
            Self::Reaction { .. } => MessageKind::Reaction,
            Self::Location(_) => MessageKind::Location,
            Self::Contacts { .. } => MessageKind::Contacts,
            Self::Choice(_) => MessageKind::Choice,
            Self::Unsupported { .. } => MessageKind::Unsupported,
        }
    }

    /// The media of an image, video, audio, document or sticker.
    pub fn media(&self) -> Option<&Media> {
        match self {
            Self::Image(m) | Self::Video(m) | Self::Audio(m) | Self::Document(m) | Self::Sticker(m) => Some(m),
            _ => None,
        }
    }

    /// The plan's `mediaType` field, kept for API clients that read it: the
    /// media kind, `location`, `contacts`, or `other` for reactions and
    /// kinds Inbox does not show; none for text.
    pub fn media_type(&self) -> Option<&'static str> {
        match self.kind() {
            MessageKind::Text | MessageKind::System | MessageKind::Choice => None,
            MessageKind::Reaction | MessageKind::Unsupported => Some("other"),
            kind => Some(kind.as_str()),
        }
    }

    /// The plain text stored beside the content (`messages.content`): what
    /// list previews show and search finds. Text is itself; a caption stands
    /// for its media; every other kind reads as a short bracketed line.
    pub fn rendering(&self) -> Cow<'_, str> {
        let media = |what: &str, m: &Media| match m.caption.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(caption) => caption.to_owned(),
            None => format!("[{what}]"),
        };
        let owned = match self {
            Self::Text { body } | Self::System { body, .. } => return Cow::Borrowed(body),
            Self::Unsupported { text: Some(text), .. } => return Cow::Borrowed(text),
            Self::Image(m) => media("image", m),
            Self::Video(m) => media("video", m),
            Self::Sticker(m) => media("sticker", m),
            Self::Audio(m) if m.files.iter().any(|f| f.voice) => media("voice message", m),
            Self::Audio(m) => media("audio", m),
            Self::Document(m) => match m.files.iter().find_map(|f| f.filename.as_deref()) {
                Some(name) if m.caption.as_deref().is_none_or(|c| c.trim().is_empty()) => {
                    format!("[document: {name}]")
                }
                _ => media("document", m),
            },
            Self::Reaction { emoji: Some(emoji), .. } => format!("Reacted {emoji} to a message"),
            Self::Reaction { emoji: None, .. } => "Removed a reaction".to_owned(),
            Self::Location(l) => {
                let place: Vec<&str> =
                    [l.name.as_deref(), l.address.as_deref()].into_iter().flatten().filter(|s| !s.is_empty()).collect();
                if place.is_empty() {
                    format!("[location: {}, {}]", l.latitude, l.longitude)
                } else {
                    format!("[location: {}]", place.join(", "))
                }
            }
            Self::Contacts { contacts } => {
                let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).filter(|n| !n.is_empty()).collect();
                if names.is_empty() { "[contact]".to_owned() } else { format!("[contact: {}]", names.join(", ")) }
            }
            Self::Choice(c) => return Cow::Borrowed(&c.title),
            Self::Unsupported { kind, text: None, .. } => format!("[{kind}]"),
        };
        Cow::Owned(owned)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn content_is_tagged_by_its_kind_and_round_trips() {
        let image = MessageContent::Image(Media {
            caption: Some("Our shop".into()),
            files: vec![MediaFile {
                provider_media_id: Some("1013859600285441".into()),
                mime_type: Some("image/jpeg".into()),
                sha256: Some("abc=".into()),
                ..Default::default()
            }],
        });
        let wire = serde_json::to_value(&image).unwrap();
        assert_eq!(
            wire,
            json!({"type": "image", "caption": "Our shop",
                   "files": [{"providerMediaId": "1013859600285441", "mimeType": "image/jpeg", "sha256": "abc="}]})
        );
        assert_eq!(serde_json::from_value::<MessageContent>(wire).unwrap(), image);
        assert_eq!(serde_json::to_value(MessageContent::text("hi")).unwrap(), json!({"type": "text", "body": "hi"}));
    }

    #[test]
    fn every_kind_names_itself_as_its_content_is_tagged() {
        let samples = [
            MessageContent::text("hi"),
            MessageContent::System { body: "changed".into(), change: None },
            MessageContent::Image(Media::default()),
            MessageContent::Video(Media::default()),
            MessageContent::Audio(Media::default()),
            MessageContent::Document(Media::default()),
            MessageContent::Sticker(Media::default()),
            MessageContent::Reaction { target_provider_id: "wamid.1".into(), emoji: None },
            MessageContent::Location(Location::default()),
            MessageContent::Contacts { contacts: vec![] },
            MessageContent::Choice(Choice::default()),
            MessageContent::Unsupported { kind: "order".into(), text: None, raw: None },
        ];
        assert_eq!(samples.len(), MessageKind::ALL.len());
        for (content, kind) in samples.iter().zip(MessageKind::ALL) {
            assert_eq!(content.kind(), kind);
            assert_eq!(serde_json::to_value(content).unwrap()["type"], kind.as_str());
            assert_eq!(kind.as_str().parse::<MessageKind>().unwrap(), kind);
        }
        assert!("bogus".parse::<MessageKind>().is_err());
    }

    #[test]
    fn the_rendering_is_the_text_a_caption_or_a_bracketed_line() {
        let voice = MessageContent::Audio(Media {
            caption: None,
            files: vec![MediaFile { voice: true, ..Default::default() }],
        });
        assert_eq!(voice.rendering(), "[voice message]");
        let doc = |caption: Option<&str>| {
            MessageContent::Document(Media {
                caption: caption.map(str::to_owned),
                files: vec![MediaFile { filename: Some("invoice.pdf".into()), ..Default::default() }],
            })
        };
        assert_eq!(doc(None).rendering(), "[document: invoice.pdf]");
        assert_eq!(doc(Some("March")).rendering(), "March");
        let at = MessageContent::Location(Location { latitude: 52.5, longitude: 13.4, ..Default::default() });
        assert_eq!(at.rendering(), "[location: 52.5, 13.4]");
        let reaction = MessageContent::Reaction { target_provider_id: "wamid.1".into(), emoji: Some("👍".into()) };
        assert_eq!(reaction.rendering(), "Reacted 👍 to a message");
        assert_eq!(MessageContent::Unsupported { kind: "order".into(), text: None, raw: None }.rendering(), "[order]");
    }
}
