//! Conversations and messages for the host tests, numbered so assertions
//! read as lists of small ids.

use chrono::{DateTime, TimeZone, Utc};
use inbox_types::dto::{ContactDto, ConversationDto, MessageDto};
use inbox_types::{MessageDirection, MessageStatus};
use uuid::Uuid;

/// `secs` seconds after a fixed instant.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

/// Conversation `n`, whose last message came at `secs`.
pub fn conv(n: u128, secs: i64) -> ConversationDto {
    ConversationDto {
        id: Uuid::from_u128(n),
        contact: ContactDto {
            id: Uuid::from_u128(1000 + n),
            phone_number: Some(format!("+1415555{n:04}")),
            wa_id: None,
            bsuid: None,
            username: None,
            name: None,
            avatar: None,
            is_group: false,
            presence: None,
        },
        last_message_id: None,
        last_message_preview: None,
        last_message_time: at(secs),
        last_message_direction: None,
        last_message_status: None,
        unread_count: 0,
        is_favorite: false,
        is_archived: false,
        assigned_to_user_id: None,
        assignee: None,
        created_at: at(0),
        updated_at: at(secs),
    }
}

/// Text message `n` of conversation 1, sent at `secs`.
pub fn msg(n: u128, secs: i64, direction: MessageDirection) -> MessageDto {
    let (id, conversation, contact) = (Uuid::from_u128(n), Uuid::from_u128(1), Uuid::from_u128(2));
    MessageDto::text(id, conversation, contact, direction, MessageStatus::Sent, &format!("m{n}"), at(secs))
}
