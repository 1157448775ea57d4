//! What the agent is looking at: the list's filter, search and archive
//! view, and the open chat, recorded in the URL for the back button.

use inbox_types::ConversationFilter;
use leptos::prelude::*;
use uuid::Uuid;

use super::{ChatState, Store};
use crate::prefs::{self, View};

impl Store {
    pub(super) fn view(&self) -> View {
        View {
            selected: self.selected.get_untracked(),
            filter: self.filter.get_untracked(),
            archived: self.archived_view.get_untracked(),
        }
    }

    /// Applies a view from the URL (back/forward buttons).
    pub fn apply_view(self, v: View) {
        let list_changed = v.filter != self.filter.get_untracked() || v.archived != self.archived_view.get_untracked();
        self.filter.set(v.filter);
        self.archived_view.set(v.archived);
        if list_changed {
            self.reload_list();
        }
        match v.selected {
            Some(id) if Some(id) != self.selected.get_untracked() => {
                self.selected.set(Some(id));
                self.open(id);
            }
            Some(_) => {}
            None => self.close_chat(),
        }
        prefs::save(self.view(), false);
    }

    /// Opens the New chat dialog with `phone` filled in ("Start a chat
    /// with +…" from the search).
    pub fn new_chat_with(self, phone: String) {
        self.new_chat_phone.set_value(Some(phone));
        self.modal.set(Some(super::Modal::NewChat));
    }

    pub fn set_filter(self, f: ConversationFilter) {
        self.set_list_query(self.filter, f, true);
    }

    pub fn set_search(self, term: String) {
        // The search term is not part of the recorded view.
        self.set_list_query(self.search, term.clone(), false);
        self.search_messages(term);
    }

    pub fn show_archived(self, on: bool) {
        self.set_list_query(self.archived_view, on, true);
    }

    /// Changes one part of the list's query and reloads the list.
    fn set_list_query<T: PartialEq + Send + Sync + 'static>(self, part: RwSignal<T>, value: T, record: bool) {
        if part.with_untracked(|v| *v == value) {
            return;
        }
        part.set(value);
        if record {
            prefs::save(self.view(), true);
        }
        self.reload_list();
    }

    pub fn select(self, id: Uuid) {
        if self.selected.get_untracked() == Some(id) {
            // Already open: just make sure it is read.
            self.mark_read_if_unread(id);
            return;
        }
        self.selected.set(Some(id));
        prefs::save(self.view(), true);
        self.open(id);
    }

    /// Back to the list (the mobile back arrow, or a deleted chat).
    pub fn deselect(self) {
        self.close_chat();
        prefs::save(self.view(), true);
    }

    fn close_chat(self) {
        self.selected.set(None);
        self.chat.set(ChatState::default());
    }
}
