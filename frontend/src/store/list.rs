//! The sidebar's conversations: the first page, the next ones as the agent
//! scrolls, and the archived count.

use std::collections::HashSet;

use inbox_types::MessageDirection;
use inbox_types::dto::ConversationDto;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::toasts::ToastKind;
use super::{ListState, Load, PAGE, Store};
use crate::api::{self, ListQuery};

impl Store {
    pub(super) fn query(&self, cursor: Option<String>) -> ListQuery {
        ListQuery {
            filter: self.filter.get_untracked().as_str(),
            search: self.search.get_untracked(),
            archived: self.archived_view.get_untracked(),
            cursor,
            limit: PAGE,
        }
    }

    fn bump_list_gen(&self) -> u64 {
        let g = self.list_gen.get_value() + 1;
        self.list_gen.set_value(g);
        g
    }

    pub fn reload_list(self) {
        let generation = self.bump_list_gen();
        self.list.update(|l| {
            l.load = Load::Loading;
            l.loading_more = false;
        });
        let q = self.query(None);
        spawn_local(async move {
            let res = api::conversations(&q).await;
            if self.list_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(mut page) => self.list.set(ListState {
                    items: {
                        self.overlay_outbox(&mut page.conversations);
                        page.conversations
                    },
                    load: Load::Ready,
                    next_cursor: page.next_cursor,
                    has_more: page.has_more,
                    loading_more: false,
                }),
                Err(e) => {
                    if !self.expired(&e) {
                        self.list.update(|l| l.load = Load::Failed(e.message()));
                    }
                }
            }
        });
    }

    /// The next page, when the agent scrolls near the end.
    pub fn load_more(self) {
        let (cursor, ready) = self
            .list
            .with_untracked(|l| (l.next_cursor.clone(), l.load == Load::Ready && l.has_more && !l.loading_more));
        let (Some(cursor), true) = (cursor, ready) else { return };
        let generation = self.list_gen.get_value();
        self.list.update(|l| l.loading_more = true);
        let q = self.query(Some(cursor));
        spawn_local(async move {
            let res = api::conversations(&q).await;
            if self.list_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(mut page) => self.list.update(|l| {
                    self.overlay_outbox(&mut page.conversations);
                    let known: HashSet<Uuid> = l.items.iter().map(|c| c.id).collect();
                    l.items.extend(page.conversations.into_iter().filter(|c| !known.contains(&c.id)));
                    l.next_cursor = page.next_cursor;
                    l.has_more = page.has_more;
                    l.loading_more = false;
                }),
                Err(e) => {
                    self.list.update(|l| l.loading_more = false);
                    if !self.expired(&e) {
                        self.toast(ToastKind::Error, format!("Could not load more chats. {}", e.message()));
                    }
                }
            }
        });
    }

    pub fn refresh_archived_count(self) {
        spawn_local(async move {
            let q = ListQuery { filter: "all", archived: true, limit: 100, ..ListQuery::default() };
            if let Ok(page) = api::conversations(&q).await {
                self.archived_count.set((page.conversations.len(), page.has_more));
            }
        });
    }

    /// Rows of chats with messages only this tab holds show the newest of
    /// them (a refetch knows nothing of them).
    pub(super) fn overlay_outbox(&self, items: &mut [ConversationDto]) {
        self.outbox.with_value(|o| {
            for c in items.iter_mut() {
                if let Some(m) = o.get(&c.id).and_then(|l| l.last())
                    && m.dto.created_at >= c.last_message_time
                {
                    c.last_message_preview = Some(inbox_types::text::preview(&m.dto.content, 100));
                    c.last_message_time = m.dto.created_at;
                    c.last_message_direction = Some(MessageDirection::Outbound);
                    c.last_message_status = Some(m.dto.status);
                }
            }
        });
    }

    /// Moves a conversation to the top of the list (a message was just sent).
    pub(super) fn to_top(self, id: Uuid) {
        self.list.update(|l| {
            if let Some(pos) = l.items.iter().position(|c| c.id == id) {
                let c = l.items.remove(pos);
                l.items.insert(0, c);
            }
        });
    }

    pub(super) fn remove_row(self, id: Uuid) {
        self.list.update(|l| {
            l.remove(id);
        });
    }
}
