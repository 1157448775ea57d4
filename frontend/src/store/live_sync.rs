//! Keeping what is shown current: live events applied in place where they
//! can be, refetches (batched, and never over a write in flight) otherwise.

use std::time::Duration;

use futures::future::join;
use inbox_types::ErrorCode;
use inbox_types::live::LiveEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::events::apply_event;
use super::toasts::ToastKind;
use super::{Load, PAGE, Session, Store, document_visible};
use crate::api;
use crate::merge;

impl Store {
    /// Asks for a refetch of the list and/or the open chat. Requests within
    /// 100 ms share one refetch, and none is applied while a write is in
    /// flight (it would undo the optimistic change on screen): it waits.
    pub fn refresh(self, list: bool, chat: bool) {
        self.dirty.update_value(|(l, c)| {
            *l |= list;
            *c |= chat;
        });
        if !self.refresh_pending.get_value() {
            self.refresh_pending.set_value(true);
            set_timeout(move || self.flush(), Duration::from_millis(100));
        }
    }

    /// Everything shown may be stale (a new stream).
    pub fn refresh_all(self) {
        self.refresh(true, true);
        self.refresh_archived_count();
    }

    fn flush(self) {
        self.refresh_pending.set_value(false);
        if !matches!(*self.session.read_untracked(), Session::SignedIn(_)) {
            self.dirty.set_value((false, false));
            return;
        }
        if self.writes.get_value() > 0 || self.refreshing.get_value() {
            self.refresh_pending.set_value(true);
            set_timeout(move || self.flush(), Duration::from_millis(250));
            return;
        }
        let (list, chat) = self.dirty.get_value();
        self.dirty.set_value((false, false));
        if !(list || chat) {
            return;
        }
        self.refreshing.set_value(true);
        spawn_local(async move {
            if list {
                self.poll_list().await;
            }
            if chat {
                self.poll_chat().await;
            }
            self.refreshing.set_value(false);
        });
    }

    pub fn on_event(self, event: LiveEvent) {
        let follow = {
            let (mut list, mut chat) = (self.list.write_untracked(), self.chat.write_untracked());
            apply_event(&event, &mut list, &mut chat)
        };
        if follow.list_changed {
            self.list.notify();
        }
        if follow.chat_changed {
            self.chat.notify();
        }
        if follow.open_chat_deleted {
            self.toast(ToastKind::Info, "This chat was deleted.");
            self.deselect();
        }
        if follow.refetch_list || follow.refetch_chat {
            self.refresh(follow.refetch_list, follow.refetch_chat);
        }
        if follow.refresh_archived_count {
            self.refresh_archived_count();
        }
    }

    async fn poll_list(self) {
        if self.list.with_untracked(|l| l.load != Load::Ready) {
            return;
        }
        let generation = self.list_gen.get_value();
        let q = self.query(None);
        let res = api::conversations(&q).await;
        if self.list_gen.get_value() != generation {
            return;
        }
        if self.writes.get_value() > 0 {
            return self.refresh(true, false);
        }
        match res {
            Ok(page) => {
                self.list.update(|l| {
                    let (mut items, kept_tail) =
                        merge::merge_conversations(&l.items, page.conversations, page.has_more);
                    self.overlay_outbox(&mut items);
                    l.items = items;
                    if !kept_tail {
                        l.next_cursor = page.next_cursor;
                        l.has_more = page.has_more;
                    }
                });
            }
            Err(e) => {
                self.expired(&e);
            }
        }
    }

    async fn poll_chat(self) {
        let Some(id) = self.chat.with_untracked(|c| c.id.filter(|_| c.load == Load::Ready)) else { return };
        let generation = self.chat_gen.get_value();
        let (conv, page) = join(api::conversation(id), api::messages(id, None, PAGE)).await;
        if self.chat_gen.get_value() != generation {
            return;
        }
        if self.writes.get_value() > 0 {
            return self.refresh(false, true);
        }
        match conv {
            Ok(c) => {
                let unread = c.unread_count > 0;
                self.chat.update(|chat| chat.conversation = Some(c));
                if unread && document_visible() {
                    self.mark_read_if_unread(id);
                }
            }
            Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                self.toast(ToastKind::Info, "This chat was deleted.");
                self.remove_row(id);
                self.deselect();
                return;
            }
            Err(e) => {
                self.expired(&e);
                return;
            }
        }
        if let Ok(page) = page {
            self.chat.update(|c| {
                // An older stretch (a search hit) stays as it is: the newest
                // messages load when the agent scrolls down to them.
                if c.next_cursor.is_some() {
                    return;
                }
                // A message waiting for the network may have reached the
                // server (its answer lost): its resend's answer settles it,
                // so it is never shown twice meanwhile.
                let unsettled =
                    c.sends_in_flight > 0 || c.messages.iter().any(|m| m.local.as_ref().is_some_and(|l| l.waiting));
                let merged = merge::merge_messages(&c.messages, page.messages, page.has_more, unsettled);
                if merged != c.messages {
                    c.messages = merged;
                }
                if !page.has_more {
                    c.has_more = false;
                    c.previous_cursor = None;
                }
            });
        }
    }
}
