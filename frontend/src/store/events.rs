//! What one live event does to what is shown: a pure decision, so the
//! rules (statuses only move as the server allows, which events refetch
//! what) are tested on the host.

use inbox_types::MessageStatus;
use inbox_types::live::LiveEvent;

use super::{ChatState, ListState};

/// What a live event needs beyond the changes it made in place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Followup {
    /// Whether the list or the open chat changed in place.
    pub list_changed: bool,
    pub chat_changed: bool,
    pub refetch_list: bool,
    pub refetch_chat: bool,
    pub refresh_archived_count: bool,
    /// The open chat was deleted: close it and say so.
    pub open_chat_deleted: bool,
}

/// Applies one live event to the shown list and open chat: a status change
/// and a deletion in place, anything larger by refetching what it touches.
pub(super) fn apply_event(event: &LiveEvent, list: &mut ListState, chat: &mut ChatState) -> Followup {
    let mut out = Followup::default();
    match event {
        LiveEvent::MessageStatus(e) => {
            // Sending to sending: an automatic retry was scheduled or began,
            // and the bubble says which attempt it is.
            let retrying = |from: MessageStatus| from == MessageStatus::Sending && e.status == MessageStatus::Sending;
            if let Some(m) = chat.messages.iter_mut().find(|m| m.dto.id == e.id && m.local.is_none())
                && (m.dto.status.can_move_to(e.status) || retrying(m.dto.status))
            {
                m.dto.status = e.status;
                m.dto.error_message = if e.status == MessageStatus::Failed { e.error_message.clone() } else { None };
                m.dto.attempt = e.attempt;
                m.dto.next_attempt_at = e.next_attempt_at;
                out.chat_changed = true;
            }
            for c in list.items.iter_mut().filter(|c| c.last_message_id == Some(e.id)) {
                if c.last_message_status.is_none_or(|shown| shown.can_move_to(e.status)) {
                    c.last_message_status = Some(e.status);
                    out.list_changed = true;
                }
            }
        }
        LiveEvent::MessageCreated(e) => {
            out.refetch_list = true;
            out.refetch_chat = chat.id == Some(e.conversation_id);
        }
        LiveEvent::ConversationUpdated(e) => {
            // The archived count changes only when an archived chat
            // changes or a chat moves in or out of the archive.
            let shown_archived = list.items.iter().find(|c| c.id == e.id).map(|c| c.is_archived);
            out.refresh_archived_count = e.is_archived || shown_archived.is_some_and(|was| was != e.is_archived);
            out.refetch_list = true;
            out.refetch_chat = chat.id == Some(e.id);
        }
        LiveEvent::ConversationDeleted(e) => {
            out.list_changed = list.remove(e.id);
            out.open_chat_deleted = chat.id == Some(e.id);
            // A refetch already on its way may bring the row back.
            out.refetch_list = true;
            out.refresh_archived_count = true;
        }
        LiveEvent::Resync(_) => {
            out.refetch_list = true;
            out.refetch_chat = true;
            out.refresh_archived_count = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use inbox_types::MessageDirection;
    use inbox_types::live::{ConversationDeleted, ConversationUpdated, MessageCreated, MessageStatusChanged, Resync};
    use uuid::Uuid;

    use super::*;
    use crate::fixtures::{at, conv, msg};
    use crate::merge::{LocalSend, UiMessage};
    use crate::store::Load;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Conversation 1 open with outbound message 10 (shown as `status`),
    /// and rows 1 and 2 in the list, row 1 showing message 10.
    fn shown(status: MessageStatus) -> (ListState, ChatState) {
        let mut m = msg(10, 10, MessageDirection::Outbound);
        m.status = status;
        let mut row = conv(1, 10);
        row.last_message_id = Some(m.id);
        row.last_message_status = Some(status);
        let list = ListState { items: vec![row.clone(), conv(2, 5)], load: Load::Ready, ..Default::default() };
        let chat = ChatState {
            id: Some(row.id),
            conversation: Some(row),
            messages: vec![UiMessage::server(m)],
            load: Load::Ready,
            ..Default::default()
        };
        (list, chat)
    }

    fn status_event(status: MessageStatus, error: Option<&str>) -> LiveEvent {
        LiveEvent::MessageStatus(MessageStatusChanged {
            id: id(10),
            conversation_id: id(1),
            status,
            error_code: error.map(|_| "131026".to_owned()),
            error_message: error.map(str::to_owned),
            attempt: 1,
            next_attempt_at: None,
        })
    }

    /// A transient failure: still sending, `attempt` scheduled (`due`) or running.
    fn retry_event(attempt: i32, due: Option<i64>) -> LiveEvent {
        LiveEvent::MessageStatus(MessageStatusChanged {
            id: id(10),
            conversation_id: id(1),
            status: MessageStatus::Sending,
            error_code: Some("130429".to_owned()),
            error_message: Some("Rate limit hit".to_owned()),
            attempt,
            next_attempt_at: due.map(at),
        })
    }

    fn updated(n: u128, archived: bool) -> LiveEvent {
        LiveEvent::ConversationUpdated(ConversationUpdated {
            id: id(n),
            last_message_id: None,
            last_message_preview: None,
            last_message_time: at(20),
            unread_count: 1,
            is_favorite: false,
            is_archived: archived,
            assigned_to_user_id: None,
        })
    }

    #[test]
    fn a_status_event_moves_the_ticks_of_the_bubble_and_its_row_in_place() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        let follow = apply_event(&status_event(MessageStatus::Read, None), &mut list, &mut chat);
        assert_eq!(chat.messages[0].dto.status, MessageStatus::Read);
        assert_eq!(list.items[0].last_message_status, Some(MessageStatus::Read));
        assert_eq!(follow, Followup { list_changed: true, chat_changed: true, ..Default::default() });
    }

    #[test]
    fn a_failure_event_shows_its_reason() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        apply_event(&status_event(MessageStatus::Failed, Some("Message undeliverable")), &mut list, &mut chat);
        assert_eq!(chat.messages[0].dto.status, MessageStatus::Failed);
        assert_eq!(chat.messages[0].dto.error_message.as_deref(), Some("Message undeliverable"));
    }

    #[test]
    fn retry_events_move_the_attempt_of_a_sending_bubble_and_a_failure_ends_them() {
        let (mut list, mut chat) = shown(MessageStatus::Sending);
        for (event, attempt, due) in [
            (retry_event(2, Some(12)), 2, Some(at(12))),
            (retry_event(2, None), 2, None),
            (retry_event(3, Some(16)), 3, Some(at(16))),
        ] {
            let follow = apply_event(&event, &mut list, &mut chat);
            let m = &chat.messages[0].dto;
            assert_eq!((m.status, m.attempt, m.next_attempt_at), (MessageStatus::Sending, attempt, due));
            assert_eq!(m.error_message, None, "the transient error is not the bubble's reason");
            assert_eq!(follow, Followup { chat_changed: true, ..Default::default() });
        }
        apply_event(&status_event(MessageStatus::Failed, Some("Rate limit hit")), &mut list, &mut chat);
        let m = &chat.messages[0].dto;
        assert_eq!((m.status, m.next_attempt_at), (MessageStatus::Failed, None));
        assert_eq!(m.error_message.as_deref(), Some("Rate limit hit"));
    }

    #[test]
    fn a_late_or_forbidden_status_event_changes_nothing() {
        for (shown_as, incoming) in [
            (MessageStatus::Read, MessageStatus::Delivered),
            (MessageStatus::Read, MessageStatus::Failed),
            (MessageStatus::Delivered, MessageStatus::Sending),
            (MessageStatus::Sent, MessageStatus::Sent),
        ] {
            let (mut list, mut chat) = shown(shown_as);
            let follow = apply_event(&status_event(incoming, Some("late")), &mut list, &mut chat);
            assert_eq!(chat.messages[0].dto.status, shown_as, "{shown_as} -> {incoming}");
            assert_eq!(list.items[0].last_message_status, Some(shown_as));
            assert_eq!(follow, Followup::default(), "{shown_as} -> {incoming}");
        }
    }

    #[test]
    fn a_status_event_leaves_a_message_this_tab_is_still_sending_to_its_answer() {
        let (mut list, mut chat) = shown(MessageStatus::Sending);
        chat.messages[0].local = Some(LocalSend { client_key: id(10), failed: None, waiting: false });
        apply_event(&status_event(MessageStatus::Sent, None), &mut list, &mut chat);
        assert_eq!(chat.messages[0].dto.status, MessageStatus::Sending);
    }

    #[test]
    fn a_new_message_refetches_the_list_and_the_chat_only_when_it_is_open() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        let created = |n| {
            LiveEvent::MessageCreated(MessageCreated {
                id: id(99),
                conversation_id: id(n),
                direction: MessageDirection::Inbound,
                status: MessageStatus::Sent,
            })
        };
        let follow = apply_event(&created(1), &mut list, &mut chat);
        assert_eq!(follow, Followup { refetch_list: true, refetch_chat: true, ..Default::default() });
        let follow = apply_event(&created(2), &mut list, &mut chat);
        assert_eq!(follow, Followup { refetch_list: true, ..Default::default() });
    }

    #[test]
    fn the_archived_count_is_refreshed_only_when_the_archive_may_have_changed() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        let follow = apply_event(&updated(2, false), &mut list, &mut chat);
        assert!(!follow.refresh_archived_count, "an inbox chat stayed in the inbox");
        assert!(follow.refetch_list && !follow.refetch_chat);
        assert!(apply_event(&updated(2, true), &mut list, &mut chat).refresh_archived_count, "it was archived");
        list.items[1].is_archived = true;
        assert!(apply_event(&updated(2, false), &mut list, &mut chat).refresh_archived_count, "it was unarchived");
        assert!(apply_event(&updated(1, false), &mut list, &mut chat).refetch_chat, "the open chat changed");
    }

    #[test]
    fn deleting_the_open_chat_removes_its_row_and_closes_it() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        let follow =
            apply_event(&LiveEvent::ConversationDeleted(ConversationDeleted { id: id(1) }), &mut list, &mut chat);
        assert_eq!(list.items.iter().map(|c| c.id).collect::<Vec<_>>(), [id(2)]);
        assert_eq!(
            follow,
            Followup {
                list_changed: true,
                open_chat_deleted: true,
                refetch_list: true,
                refresh_archived_count: true,
                ..Default::default()
            }
        );
        let follow =
            apply_event(&LiveEvent::ConversationDeleted(ConversationDeleted { id: id(2) }), &mut list, &mut chat);
        assert!(!follow.open_chat_deleted);
    }

    #[test]
    fn a_resync_refetches_everything_shown() {
        let (mut list, mut chat) = shown(MessageStatus::Sent);
        let before = (list.clone(), chat.clone());
        let follow = apply_event(&LiveEvent::Resync(Resync {}), &mut list, &mut chat);
        assert_eq!(
            follow,
            Followup { refetch_list: true, refetch_chat: true, refresh_archived_count: true, ..Default::default() }
        );
        assert_eq!((list, chat), before);
    }
}
