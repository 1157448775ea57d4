//! Message search: the sidebar's hits below the matching chats, and opening
//! a chat at a hit (WhatsApp Web's "search messages").

use inbox_types::search::SearchWords;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::toasts::ToastKind;
use super::{FoundState, Load, Store};
use crate::api;
use crate::prefs;

/// Hits a page.
const HITS: u32 = 20;

impl Store {
    /// Searches messages for `term` (the sidebar's box); a term without any
    /// word clears the hits.
    pub(super) fn search_messages(self, term: String) {
        let generation = self.found_gen.get_value() + 1;
        self.found_gen.set_value(generation);
        if SearchWords::parse(&term).is_err() {
            self.found.set(FoundState::default());
            return;
        }
        self.found.set(FoundState { term: term.clone(), ..FoundState::default() });
        spawn_local(async move {
            let res = api::search_messages(&term, None, None, HITS).await;
            if self.found_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(page) => self.found.update(|f| {
                    f.hits = page.hits;
                    f.next_cursor = page.next_cursor;
                    f.has_more = page.has_more;
                    f.load = Load::Ready;
                }),
                Err(e) => {
                    if !self.expired(&e) {
                        self.found.update(|f| f.load = Load::Failed(e.message()));
                    }
                }
            }
        });
    }

    /// The next page of hits, when the agent scrolls to the end.
    pub fn more_found(self) {
        let Some((term, cursor)) = self.found.with_untracked(|f| {
            (f.load == Load::Ready && f.has_more && !f.loading_more)
                .then(|| f.next_cursor.clone().map(|c| (f.term.clone(), c)))
                .flatten()
        }) else {
            return;
        };
        let generation = self.found_gen.get_value();
        self.found.update(|f| f.loading_more = true);
        spawn_local(async move {
            let res = api::search_messages(&term, None, Some(&cursor), HITS).await;
            if self.found_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(page) => self.found.update(|f| {
                    f.hits.extend(page.hits);
                    f.next_cursor = page.next_cursor;
                    f.has_more = page.has_more;
                    f.loading_more = false;
                }),
                Err(e) => {
                    self.found.update(|f| f.loading_more = false);
                    if !self.expired(&e) {
                        self.toast(ToastKind::Error, format!("Could not load more messages. {}", e.message()));
                    }
                }
            }
        });
    }

    /// Opens `conversation` at `message` and marks it: in place when the
    /// message is loaded already, else with the page around it.
    pub fn show_message(self, conversation: Uuid, message: Uuid) {
        let loaded = self.chat.with_untracked(|c| {
            c.id == Some(conversation) && c.load == Load::Ready && c.messages.iter().any(|m| m.dto.id == message)
        });
        if loaded {
            self.chat.update(|c| {
                let n = c.highlight.map_or(0, |(_, n)| n + 1);
                c.highlight = Some((message, n));
            });
            return;
        }
        if self.selected.get_untracked() != Some(conversation) {
            self.selected.set(Some(conversation));
            prefs::save(self.view(), true);
        }
        self.open_at(conversation, Some(message));
    }
}
