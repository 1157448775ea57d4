//! The realtime events of `GET /api/events`, one type for every side: the
//! database triggers emit them (`migrations/..._events.sql`: a test decodes
//! what each trigger writes), the server decodes notifications into them and
//! frames them as server-sent events (`event:` is [`LiveEvent::kind`],
//! `data:` the fields), and the browser app matches on them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::status::{MessageDirection, MessageStatus};

/// One change of the caller's company, tagged by `kind` with its fields in
/// `data` (as the `events` table stores it).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum LiveEvent {
    /// A message was stored (sent or received).
    #[serde(rename = "message.created")]
    MessageCreated(MessageCreated),
    /// A message's status or error changed.
    #[serde(rename = "message.status")]
    MessageStatus(MessageStatusChanged),
    /// A conversation as the sidebar shows it changed.
    #[serde(rename = "conversation.updated")]
    ConversationUpdated(ConversationUpdated),
    #[serde(rename = "conversation.deleted")]
    ConversationDeleted(ConversationDeleted),
    /// Events may have been missed: refetch what is shown. Sent by the
    /// server, never stored.
    #[serde(rename = "resync")]
    Resync(Resync),
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageCreated {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub direction: MessageDirection,
    pub status: MessageStatus,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStatusChanged {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub status: MessageStatus,
    pub error_code: Option<String>,
    /// At most 500 characters.
    pub error_message: Option<String>,
    /// As in a message: the attempt of the current series running or scheduled.
    #[serde(default)]
    pub attempt: i32,
    /// As in a message: when the next automatic attempt is due, if one is.
    #[serde(default)]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUpdated {
    pub id: Uuid,
    pub last_message_id: Option<Uuid>,
    pub last_message_preview: Option<String>,
    pub last_message_time: DateTime<Utc>,
    pub unread_count: i32,
    pub is_favorite: bool,
    pub is_archived: bool,
    pub assigned_to_user_id: Option<Uuid>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDeleted {
    pub id: Uuid,
}

/// No fields: `data` is `{}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {}

impl LiveEvent {
    /// Every kind, as the `event:` field of the stream names it.
    pub const KINDS: [&'static str; 5] =
        ["message.created", "message.status", "conversation.updated", "conversation.deleted", "resync"];

    pub fn kind(&self) -> &'static str {
        match self {
            Self::MessageCreated(_) => Self::KINDS[0],
            Self::MessageStatus(_) => Self::KINDS[1],
            Self::ConversationUpdated(_) => Self::KINDS[2],
            Self::ConversationDeleted(_) => Self::KINDS[3],
            Self::Resync(_) => Self::KINDS[4],
        }
    }

    /// An event from its kind and its `data` (a stored row, a notification,
    /// an SSE frame's `event:` and `data:`).
    pub fn decode(kind: &str, data: serde_json::Value) -> Result<LiveEvent, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))
    }

    /// The `data` of the event: its fields as one JSON object.
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut o)) => o.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_event_decodes_from_its_kind_and_data_and_gives_them_back() {
        let id = Uuid::new_v4();
        let conversation = Uuid::new_v4();
        let data = json!({"id": id, "conversationId": conversation, "status": "failed",
                          "errorCode": "131026", "errorMessage": "Message undeliverable",
                          "attempt": 1, "nextAttemptAt": null});
        let event = LiveEvent::decode("message.status", data.clone()).unwrap();
        assert_eq!(
            event,
            LiveEvent::MessageStatus(MessageStatusChanged {
                id,
                conversation_id: conversation,
                status: MessageStatus::Failed,
                error_code: Some("131026".into()),
                error_message: Some("Message undeliverable".into()),
                attempt: 1,
                next_attempt_at: None,
            })
        );
        assert_eq!(event.kind(), "message.status");
        assert_eq!(event.data(), data);
        assert_eq!(LiveEvent::decode("resync", json!({})).unwrap().data(), json!({}));
    }

    #[test]
    fn a_scheduled_retry_travels_with_its_attempt_and_time_and_older_events_still_decode() {
        let id = Uuid::new_v4();
        let data = json!({"id": id, "conversationId": id, "status": "sending", "errorCode": "130429",
                          "errorMessage": "Rate limit hit", "attempt": 2,
                          "nextAttemptAt": "2026-12-01T10:00:02.5+00:00"});
        let LiveEvent::MessageStatus(e) = LiveEvent::decode("message.status", data).unwrap() else { panic!() };
        assert_eq!(e.attempt, 2);
        assert_eq!(e.next_attempt_at, Some("2026-12-01T10:00:02.500Z".parse().unwrap()));
        // Stored by the trigger before the attempt was part of the event
        // (replayed to a client that reconnects across the upgrade).
        let before = json!({"id": id, "conversationId": id, "status": "read", "errorCode": null, "errorMessage": null});
        let LiveEvent::MessageStatus(e) = LiveEvent::decode("message.status", before).unwrap() else { panic!() };
        assert_eq!((e.attempt, e.next_attempt_at), (0, None));
    }

    #[test]
    fn an_unknown_kind_or_malformed_data_is_an_error() {
        assert!(LiveEvent::decode("message.exploded", json!({})).is_err());
        assert!(LiveEvent::decode("message.status", json!({"id": "not-a-uuid"})).is_err());
        assert!(LiveEvent::decode("conversation.deleted", json!(null)).is_err());
    }

    #[test]
    fn every_kind_is_listed() {
        let id = Uuid::new_v4();
        let events = [
            LiveEvent::decode(
                "message.created",
                json!({"id": id, "conversationId": id, "direction": "inbound", "status": "sent"}),
            ),
            LiveEvent::decode("message.status", json!({"id": id, "conversationId": id, "status": "read"})),
            LiveEvent::decode(
                "conversation.updated",
                json!({"id": id, "lastMessageTime": "2026-12-01T10:00:00Z", "unreadCount": 1,
                       "isFavorite": false, "isArchived": false}),
            ),
            LiveEvent::decode("conversation.deleted", json!({"id": id})),
            LiveEvent::decode("resync", json!({})),
        ];
        let kinds: Vec<&str> = events.iter().map(|e| e.as_ref().unwrap().kind()).collect();
        assert_eq!(kinds, LiveEvent::KINDS);
    }
}
