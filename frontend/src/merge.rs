//! Folding a freshly fetched first page into what the app already shows,
//! without losing older pages the agent scrolled to or messages that exist
//! only in this tab. Pure functions, tested on the host.

use std::collections::{HashMap, HashSet};

use inbox_types::MessageStatus;
use inbox_types::dto::{ConversationDto, MessageDto};
use uuid::Uuid;

/// A message as the chat shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiMessage {
    pub dto: MessageDto,
    /// Set while the message exists only in this tab: being sent, or a send
    /// whose answer never came (then `failed` says why).
    pub local: Option<LocalSend>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSend {
    pub client_key: Uuid,
    pub failed: Option<String>,
    /// Held until the network is back: sent while offline, or its send got
    /// no answer. It goes out again under the same client key.
    pub waiting: bool,
}

impl UiMessage {
    pub fn server(dto: MessageDto) -> Self {
        Self { dto, local: None }
    }
}

/// The sidebar's newest page replaces the rows it covers; rows further down
/// (loaded by scrolling) are kept when the page does not reach them. Returns
/// the rows and whether the kept tail is still used (so the old cursor stays).
pub fn merge_conversations(
    existing: &[ConversationDto],
    fresh: Vec<ConversationDto>,
    fresh_has_more: bool,
) -> (Vec<ConversationDto>, bool) {
    if !fresh_has_more {
        return (fresh, false);
    }
    let Some(last) = fresh.last().map(|c| (c.last_message_time, c.id)) else {
        return (fresh, false);
    };
    let ids: HashSet<Uuid> = fresh.iter().map(|c| c.id).collect();
    let tail: Vec<ConversationDto> =
        existing.iter().filter(|c| !ids.contains(&c.id) && (c.last_message_time, c.id) < last).cloned().collect();
    let kept_tail = !tail.is_empty();
    let mut out = fresh;
    out.extend(tail);
    (out, kept_tail)
}

/// The chat's newest page (newest first, as the API sends it) folded into the
/// shown messages (oldest first). Older loaded messages are kept when the
/// page does not reach them; messages only this tab knows stay at the end.
/// With `sends_in_flight`, outbound messages not yet known are left for the
/// send's own answer, so a bubble is never shown twice.
pub fn merge_messages(
    existing: &[UiMessage],
    mut fresh: Vec<MessageDto>,
    fresh_has_more: bool,
    sends_in_flight: bool,
) -> Vec<UiMessage> {
    fresh.reverse();
    let known: HashSet<Uuid> = existing.iter().filter(|m| m.local.is_none()).map(|m| m.dto.id).collect();
    let shown: HashMap<Uuid, MessageStatus> =
        existing.iter().filter(|m| m.local.is_none()).map(|m| (m.dto.id, m.dto.status)).collect();
    let oldest_fresh = fresh.first().map(|m| (m.created_at, m.id));
    let mut out: Vec<UiMessage> = match (fresh_has_more, oldest_fresh) {
        (true, Some(oldest)) => {
            existing.iter().filter(|m| m.local.is_none() && (m.dto.created_at, m.dto.id) < oldest).cloned().collect()
        }
        _ => Vec::new(),
    };
    out.extend(
        fresh
            .into_iter()
            .filter(|m| {
                !(sends_in_flight && m.direction == inbox_types::MessageDirection::Outbound && !known.contains(&m.id))
            })
            .map(|mut m| {
                // A page fetched before a status event arrived must not take
                // the ticks back (read -> delivered).
                if let Some(&shown) = shown.get(&m.id) {
                    m.status = advanced(shown, m.status);
                }
                UiMessage::server(m)
            }),
    );
    out.extend(existing.iter().filter(|m| m.local.is_some()).cloned());
    out
}

/// The status to show when `incoming` (from a live event, a refetch or an
/// answer) meets the `shown` one: the server's one transition rule decides,
/// so ticks never go back and only a retry leaves failed.
pub fn advanced(shown: MessageStatus, incoming: MessageStatus) -> MessageStatus {
    if shown.can_move_to(incoming) { incoming } else { shown }
}

/// An older page (newest first) put in front of the shown messages.
pub fn prepend_older(existing: &[UiMessage], mut older: Vec<MessageDto>) -> Vec<UiMessage> {
    older.reverse();
    let known: HashSet<Uuid> = existing.iter().map(|m| m.dto.id).collect();
    let mut out: Vec<UiMessage> = older.into_iter().filter(|m| !known.contains(&m.id)).map(UiMessage::server).collect();
    out.extend(existing.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use inbox_types::MessageDirection;

    use super::*;
    use crate::fixtures::{conv, msg};

    fn ids(v: &[ConversationDto]) -> Vec<u128> {
        v.iter().map(|c| c.id.as_u128()).collect()
    }

    fn mids(v: &[UiMessage]) -> Vec<u128> {
        v.iter().map(|m| m.dto.id.as_u128()).collect()
    }

    #[test]
    fn a_complete_first_page_replaces_the_list() {
        let existing = vec![conv(1, 50), conv(2, 40), conv(3, 30)];
        let (out, kept) = merge_conversations(&existing, vec![conv(2, 60), conv(1, 50)], false);
        assert_eq!(ids(&out), [2, 1]);
        assert!(!kept);
    }

    #[test]
    fn rows_loaded_by_scrolling_survive_a_refresh_and_a_moved_row_is_not_doubled() {
        let existing = vec![conv(1, 50), conv(2, 40), conv(3, 30), conv(4, 20)];
        // conversation 3 got a new message and jumped to the top
        let (out, kept) = merge_conversations(&existing, vec![conv(3, 70), conv(1, 50)], true);
        assert_eq!(ids(&out), [3, 1, 2, 4]);
        assert!(kept);
    }

    #[test]
    fn new_messages_are_appended_and_statuses_updated() {
        let existing = vec![UiMessage::server(msg(1, 1, MessageDirection::Outbound))];
        let mut read = msg(1, 1, MessageDirection::Outbound);
        read.status = MessageStatus::Read;
        let fresh = vec![msg(2, 2, MessageDirection::Inbound), read];
        let out = merge_messages(&existing, fresh, false, false);
        assert_eq!(mids(&out), [1, 2]);
        assert_eq!(out[0].dto.status, MessageStatus::Read);
    }

    #[test]
    fn older_pages_are_kept_and_local_sends_stay_last() {
        let local = UiMessage {
            dto: msg(99, 9, MessageDirection::Outbound),
            local: Some(LocalSend { client_key: Uuid::from_u128(99), failed: None, waiting: false }),
        };
        let existing = vec![
            UiMessage::server(msg(1, 1, MessageDirection::Inbound)),
            UiMessage::server(msg(2, 2, MessageDirection::Inbound)),
            UiMessage::server(msg(3, 3, MessageDirection::Inbound)),
            local,
        ];
        let fresh = vec![msg(4, 4, MessageDirection::Inbound), msg(3, 3, MessageDirection::Inbound)];
        let out = merge_messages(&existing, fresh, true, false);
        assert_eq!(mids(&out), [1, 2, 3, 4, 99]);
    }

    #[test]
    fn a_cleared_chat_drops_messages_the_server_no_longer_has() {
        let existing = vec![
            UiMessage::server(msg(1, 1, MessageDirection::Inbound)),
            UiMessage::server(msg(2, 2, MessageDirection::Inbound)),
        ];
        assert!(merge_messages(&existing, vec![], false, false).is_empty());
    }

    #[test]
    fn an_outbound_message_is_not_shown_twice_while_its_send_is_answered() {
        let fresh = vec![msg(5, 5, MessageDirection::Outbound), msg(4, 4, MessageDirection::Inbound)];
        let out = merge_messages(&[], fresh, false, true);
        assert_eq!(mids(&out), [4]);
    }

    #[test]
    fn a_page_fetched_before_a_status_event_does_not_take_the_ticks_back() {
        let mut read = msg(1, 1, MessageDirection::Outbound);
        read.status = MessageStatus::Read;
        let existing = vec![UiMessage::server(read)];
        let mut stale = msg(1, 1, MessageDirection::Outbound);
        stale.status = MessageStatus::Delivered;
        let out = merge_messages(&existing, vec![stale], false, false);
        assert_eq!(out[0].dto.status, MessageStatus::Read);
        // A retry may take a failed message back to sending.
        let mut failed = msg(2, 2, MessageDirection::Outbound);
        failed.status = MessageStatus::Failed;
        let mut sending = msg(2, 2, MessageDirection::Outbound);
        sending.status = MessageStatus::Sending;
        let out = merge_messages(&[UiMessage::server(failed)], vec![sending], false, false);
        assert_eq!(out[0].dto.status, MessageStatus::Sending);
    }

    #[test]
    fn read_to_failed_and_delivered_to_sending_are_refused_and_a_retry_is_accepted() {
        use MessageStatus::*;
        // The server forbids these two; the app used to show them.
        assert_eq!(advanced(Read, Failed), Read);
        assert_eq!(advanced(Delivered, Sending), Delivered);
        assert_eq!(advanced(Failed, Sending), Sending, "a retry");
        assert_eq!(advanced(Sent, Read), Read, "a read receipt may overtake delivered");
        assert_eq!(advanced(Read, Delivered), Read);
        assert_eq!(advanced(Sent, Failed), Failed);

        let mut read = msg(1, 1, MessageDirection::Outbound);
        read.status = Read;
        let mut failed = read.clone();
        failed.status = Failed;
        let out = merge_messages(&[UiMessage::server(read)], vec![failed], false, false);
        assert_eq!(out[0].dto.status, Read, "a refetch cannot fail a read message");
    }

    #[test]
    fn an_older_page_goes_in_front_without_duplicates() {
        let existing = vec![UiMessage::server(msg(3, 3, MessageDirection::Inbound))];
        let out =
            prepend_older(&existing, vec![msg(3, 3, MessageDirection::Inbound), msg(2, 2, MessageDirection::Inbound)]);
        assert_eq!(mids(&out), [2, 3]);
    }
}
