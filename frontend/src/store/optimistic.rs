//! Optimistic writes as pure changes of what is shown: each returns an
//! [`Undo`] holding what it replaced, put back if the server refuses.

use inbox_types::ConversationFilter;
use inbox_types::dto::{ConversationDto, UserSummary};
use uuid::Uuid;

use super::{ChatState, ListState, shown_conversation};
use crate::api::Change;
use crate::merge::UiMessage;
use crate::prefs::View;

/// What an optimistic write replaced.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Undo {
    /// The list as it was (archive, unfavorite and delete take rows out).
    list: Option<ListState>,
    /// The conversation as it was, wherever it is shown.
    conversation: Option<ConversationDto>,
    /// A cleared chat's messages and older pages.
    cleared: Option<Cleared>,
    /// The write guessed the archived count.
    guessed_archived_count: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Cleared {
    chat: Uuid,
    messages: Vec<UiMessage>,
    previous_cursor: Option<String>,
    has_more: bool,
}

impl Undo {
    /// Puts back what the write replaced. Returns whether the archived
    /// count it guessed must be fetched again.
    pub(super) fn restore(self, list: &mut ListState, chat: &mut ChatState) -> bool {
        if let Some(before) = self.list {
            *list = before;
        }
        if let Some(before) = self.conversation {
            list.patch(before.id, |c| *c = before.clone());
            chat.patch(before.id, |c| *c = before.clone());
        }
        if let Some(cleared) = self.cleared
            && chat.id == Some(cleared.chat)
        {
            chat.messages = cleared.messages;
            chat.previous_cursor = cleared.previous_cursor;
            chat.has_more = cleared.has_more;
        }
        self.guessed_archived_count
    }
}

/// Read, archive, unarchive, favorite, unfavorite or clear conversation
/// `id` as the server will; nothing when it is not shown. A row that no
/// longer fits `view` (archived from the inbox, unfavorited among the
/// favorites) leaves the list.
pub(super) fn apply_change(
    change: Change,
    id: Uuid,
    view: View,
    list: &mut ListState,
    chat: &mut ChatState,
) -> Option<Undo> {
    let before = shown_conversation(list, chat, id)?;
    let mut undo = Undo { list: Some(list.clone()), conversation: Some(before), ..Undo::default() };
    let patch = |list: &mut ListState, chat: &mut ChatState, f: &dyn Fn(&mut ConversationDto)| {
        list.patch(id, f);
        chat.patch(id, f);
    };
    match change {
        Change::Read => patch(list, chat, &|c| c.unread_count = 0),
        Change::Unread => patch(list, chat, &|c| c.unread_count = c.unread_count.max(1)),
        Change::Favorite => patch(list, chat, &|c| c.is_favorite = true),
        Change::Unfavorite => {
            patch(list, chat, &|c| c.is_favorite = false);
            if view.filter == ConversationFilter::Favorites {
                list.remove(id);
            }
        }
        Change::Archive | Change::Unarchive => {
            let archived = change == Change::Archive;
            patch(list, chat, &|c| c.is_archived = archived);
            if archived != view.archived {
                list.remove(id);
            }
            undo.guessed_archived_count = true;
        }
        Change::Clear => {
            patch(list, chat, &|c| {
                c.last_message_preview = None;
                c.last_message_id = None;
                c.last_message_status = None;
                c.last_message_direction = None;
                c.unread_count = 0;
            });
            if chat.id == Some(id) {
                undo.cleared = Some(Cleared {
                    chat: id,
                    messages: std::mem::take(&mut chat.messages),
                    previous_cursor: chat.previous_cursor.take(),
                    has_more: std::mem::replace(&mut chat.has_more, false),
                });
            }
        }
    }
    Some(undo)
}

/// Shows `assignee` on conversation `id`; nothing when it is not shown.
pub(super) fn apply_assign(
    id: Uuid,
    assignee: Option<UserSummary>,
    list: &mut ListState,
    chat: &mut ChatState,
) -> Option<Undo> {
    let before = shown_conversation(list, chat, id)?;
    let assign = |c: &mut ConversationDto| {
        c.assigned_to_user_id = assignee.as_ref().map(|a| a.id);
        c.assignee = assignee.clone();
    };
    list.patch(id, assign);
    chat.patch(id, assign);
    Some(Undo { conversation: Some(before), ..Undo::default() })
}

/// Takes conversation `id` out of the list.
pub(super) fn apply_delete(id: Uuid, list: &mut ListState) -> Undo {
    let undo = Undo { list: Some(list.clone()), ..Undo::default() };
    list.remove(id);
    undo
}

#[cfg(test)]
mod tests {
    use inbox_types::MessageDirection;

    use super::*;
    use crate::fixtures::{conv, msg};
    use crate::store::Load;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn ids(list: &ListState) -> Vec<u128> {
        list.items.iter().map(|c| c.id.as_u128()).collect()
    }

    fn inbox() -> View {
        View::default()
    }

    /// Rows 1, 2 and 3; conversation 2 open with two messages and older pages.
    fn shown() -> (ListState, ChatState) {
        let mut list = ListState {
            items: vec![conv(1, 30), conv(2, 20), conv(3, 10)],
            load: Load::Ready,
            next_cursor: Some("c3".into()),
            has_more: true,
            ..Default::default()
        };
        list.items[1].unread_count = 2;
        list.items[1].last_message_preview = Some("m6".into());
        let chat = ChatState {
            id: Some(id(2)),
            conversation: Some(list.items[1].clone()),
            messages: vec![
                UiMessage::server(msg(5, 5, MessageDirection::Inbound)),
                UiMessage::server(msg(6, 6, MessageDirection::Inbound)),
            ],
            load: Load::Ready,
            previous_cursor: Some("m5".into()),
            has_more: true,
            ..Default::default()
        };
        (list, chat)
    }

    #[test]
    fn archiving_from_the_inbox_takes_the_row_out_and_a_refusal_puts_it_back_and_recounts() {
        let (mut list, mut chat) = shown();
        let before = (list.clone(), chat.clone());
        let undo = apply_change(Change::Archive, id(2), inbox(), &mut list, &mut chat).unwrap();
        assert_eq!(ids(&list), [1, 3]);
        assert!(chat.conversation.as_ref().unwrap().is_archived);
        assert!(undo.restore(&mut list, &mut chat), "the guessed archived count is fetched again");
        assert_eq!((list, chat), before);
    }

    #[test]
    fn unarchiving_in_the_archived_view_takes_the_row_out() {
        let (mut list, mut chat) = shown();
        let archived = View { archived: true, ..View::default() };
        apply_change(Change::Unarchive, id(3), archived, &mut list, &mut chat).unwrap();
        assert_eq!(ids(&list), [1, 2]);
    }

    #[test]
    fn unfavoriting_among_the_favorites_takes_the_row_out_until_refused() {
        let (mut list, mut chat) = shown();
        let favorites = View { filter: ConversationFilter::Favorites, ..View::default() };
        let before = list.clone();
        let undo = apply_change(Change::Unfavorite, id(1), favorites, &mut list, &mut chat).unwrap();
        assert_eq!(ids(&list), [2, 3]);
        assert!(!undo.restore(&mut list, &mut chat), "the archived count was not touched");
        assert_eq!(list, before);
    }

    #[test]
    fn a_refused_read_shows_the_unread_count_again_in_the_row_and_the_chat() {
        let (mut list, mut chat) = shown();
        let undo = apply_change(Change::Read, id(2), inbox(), &mut list, &mut chat).unwrap();
        assert_eq!(list.items[1].unread_count, 0);
        assert_eq!(chat.conversation.as_ref().unwrap().unread_count, 0);
        undo.restore(&mut list, &mut chat);
        assert_eq!(list.items[1].unread_count, 2);
        assert_eq!(chat.conversation.as_ref().unwrap().unread_count, 2);
    }

    #[test]
    fn marking_unread_shows_one_unread_keeps_a_higher_count_and_a_refusal_shows_it_read_again() {
        let (mut list, mut chat) = shown();
        let undo = apply_change(Change::Unread, id(1), inbox(), &mut list, &mut chat).unwrap();
        assert_eq!(list.items[0].unread_count, 1);
        undo.restore(&mut list, &mut chat);
        assert_eq!(list.items[0].unread_count, 0);
        apply_change(Change::Unread, id(2), inbox(), &mut list, &mut chat).unwrap();
        assert_eq!(list.items[1].unread_count, 2, "two unread stay two");
    }

    #[test]
    fn a_refused_clear_brings_back_the_messages_and_the_older_pages() {
        let (mut list, mut chat) = shown();
        let before = (list.clone(), chat.clone());
        let undo = apply_change(Change::Clear, id(2), inbox(), &mut list, &mut chat).unwrap();
        assert!(chat.messages.is_empty() && !chat.has_more && chat.previous_cursor.is_none());
        assert_eq!(list.items[1].last_message_preview, None);
        undo.restore(&mut list, &mut chat);
        assert_eq!((list, chat), before);
    }

    #[test]
    fn a_refused_clear_leaves_another_chat_opened_since_alone() {
        let (mut list, mut chat) = shown();
        let undo = apply_change(Change::Clear, id(2), inbox(), &mut list, &mut chat).unwrap();
        let other = ChatState { id: Some(id(3)), ..ChatState::default() };
        chat = other.clone();
        undo.restore(&mut list, &mut chat);
        assert_eq!(chat, other);
    }

    #[test]
    fn a_change_to_a_conversation_not_shown_does_nothing() {
        let (mut list, mut chat) = shown();
        let before = (list.clone(), chat.clone());
        assert!(apply_change(Change::Archive, id(9), inbox(), &mut list, &mut chat).is_none());
        assert!(apply_assign(id(9), None, &mut list, &mut chat).is_none());
        assert_eq!((list, chat), before);
    }

    #[test]
    fn a_refused_assignment_shows_the_previous_assignee_again() {
        let (mut list, mut chat) = shown();
        let before = (list.clone(), chat.clone());
        let ben = UserSummary { id: id(77), name: "Ben".into(), email: "ben@demo.test".into() };
        let undo = apply_assign(id(2), Some(ben.clone()), &mut list, &mut chat).unwrap();
        assert_eq!(list.items[1].assigned_to_user_id, Some(ben.id));
        assert_eq!(chat.conversation.as_ref().unwrap().assignee, Some(ben));
        assert!(!undo.restore(&mut list, &mut chat));
        assert_eq!((list, chat), before);
    }

    #[test]
    fn a_refused_delete_puts_the_row_back_where_it_was() {
        let (mut list, _) = shown();
        let before = list.clone();
        let undo = apply_delete(id(2), &mut list);
        assert_eq!(ids(&list), [1, 3]);
        undo.restore(&mut list, &mut ChatState::default());
        assert_eq!(list, before);
    }
}
