//! The open chat: its first page, older pages as the agent scrolls up, and
//! each chat's draft.

use futures::future::join;
use inbox_types::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::toasts::ToastKind;
use super::{ChatState, Load, PAGE, Store, document_visible};
use crate::api;
use crate::merge::{self, UiMessage};
use crate::thread;

impl Store {
    fn bump_chat_gen(&self) -> u64 {
        let g = self.chat_gen.get_value() + 1;
        self.chat_gen.set_value(g);
        g
    }

    pub fn open(self, id: Uuid) {
        self.open_at(id, None);
    }

    /// Opens a chat at its newest messages, or around one message (a search
    /// hit), which is then marked.
    pub(super) fn open_at(self, id: Uuid, around: Option<Uuid>) {
        let generation = self.bump_chat_gen();
        let conversation = self.conversation(id);
        self.chat.set(ChatState { id: Some(id), conversation: conversation.clone(), ..ChatState::default() });
        spawn_local(async move {
            let messages = async {
                match around {
                    Some(m) => api::messages_around(id, m, PAGE).await,
                    None => api::messages(id, None, PAGE).await,
                }
            };
            let (conv, page) = join(api::conversation(id), messages).await;
            if self.chat_gen.get_value() != generation {
                return;
            }
            let conv = match conv {
                Ok(c) => c,
                Err(e) => {
                    if self.expired(&e) {
                        return;
                    }
                    if e.code() == Some(ErrorCode::NotFound) {
                        self.toast(ToastKind::Info, "That chat no longer exists.");
                        self.remove_row(id);
                        self.deselect();
                    } else {
                        self.chat.update(|c| c.load = Load::Failed(e.message()));
                    }
                    return;
                }
            };
            match page {
                Ok(page) => self.chat.update(|c| {
                    c.conversation = Some(conv.clone());
                    c.messages = page.messages.into_iter().rev().map(UiMessage::server).collect();
                    // This tab's unsent messages are the newest: shown once the newest page is.
                    if page.next_cursor.is_none() {
                        c.messages.extend(self.outbox.with_value(|o| o.get(&id).cloned().unwrap_or_default()));
                        // Read before this fetch marks it read: the divider stays
                        // where the unread messages started while the chat is open.
                        c.unread_divider = thread::unread_divider(&c.messages, conv.unread_count);
                    }
                    c.previous_cursor = page.previous_cursor;
                    c.has_more = page.has_more;
                    c.next_cursor = page.next_cursor;
                    c.highlight = around.map(|m| (m, 0));
                    c.load = Load::Ready;
                }),
                Err(e) => {
                    if !self.expired(&e) {
                        self.chat.update(|c| {
                            c.conversation = Some(conv.clone());
                            c.load = Load::Failed(e.message());
                        });
                    }
                }
            }
            self.mark_read_if_unread(id);
        });
    }

    pub fn reload_chat(self) {
        if let Some(id) = self.chat.with_untracked(|c| c.id) {
            self.open(id);
        }
    }

    /// The page before the oldest shown message. Resolves once it is shown.
    pub async fn load_older(self) {
        let Some((id, cursor)) = self.chat.with_untracked(|c| {
            (c.load == Load::Ready && c.has_more && !c.loading_older)
                .then(|| c.id.zip(c.previous_cursor.clone()))
                .flatten()
        }) else {
            return;
        };
        let generation = self.chat_gen.get_value();
        self.chat.update(|c| c.loading_older = true);
        let res = api::messages(id, Some(&cursor), PAGE).await;
        if self.chat_gen.get_value() != generation {
            return;
        }
        match res {
            Ok(page) => self.chat.update(|c| {
                c.messages = merge::prepend_older(&c.messages, page.messages);
                c.previous_cursor = page.previous_cursor;
                c.has_more = page.has_more;
                c.loading_older = false;
            }),
            Err(e) => {
                self.chat.update(|c| c.loading_older = false);
                if !self.expired(&e) {
                    self.toast(ToastKind::Error, format!("Could not load older messages. {}", e.message()));
                }
            }
        }
    }

    /// The page after the newest shown message, while the chat shows an
    /// older stretch (opened at a search hit). Resolves once it is shown.
    pub async fn load_newer(self) {
        let Some((id, cursor)) = self.chat.with_untracked(|c| {
            (c.load == Load::Ready && !c.loading_newer).then(|| c.id.zip(c.next_cursor.clone())).flatten()
        }) else {
            return;
        };
        let generation = self.chat_gen.get_value();
        self.chat.update(|c| c.loading_newer = true);
        let res = api::messages_after(id, &cursor, PAGE).await;
        if self.chat_gen.get_value() != generation {
            return;
        }
        match res {
            Ok(page) => self.chat.update(|c| {
                let known: std::collections::HashSet<Uuid> = c.messages.iter().map(|m| m.dto.id).collect();
                c.messages
                    .extend(page.messages.into_iter().rev().filter(|m| !known.contains(&m.id)).map(UiMessage::server));
                c.next_cursor = page.next_cursor;
                if c.next_cursor.is_none() {
                    c.messages.extend(self.outbox.with_value(|o| o.get(&id).cloned().unwrap_or_default()));
                }
                c.loading_newer = false;
            }),
            Err(e) => {
                self.chat.update(|c| c.loading_newer = false);
                if !self.expired(&e) {
                    self.toast(ToastKind::Error, format!("Could not load newer messages. {}", e.message()));
                }
            }
        }
    }

    /// Back to the newest messages from an older stretch.
    pub fn to_newest(self) {
        if let Some(id) = self.chat.with_untracked(|c| c.id.filter(|_| c.next_cursor.is_some())) {
            self.open_at(id, None);
        }
    }

    /// A chat's unsent text: this tab's, else what the browser kept (a
    /// reload keeps drafts, as WhatsApp Web does).
    pub fn draft(&self, id: Uuid) -> String {
        self.drafts.with_value(|d| d.get(&id).cloned()).or_else(|| crate::prefs::draft(id)).unwrap_or_default()
    }

    pub fn set_draft(&self, id: Uuid, text: String) {
        crate::prefs::save_draft(id, &text);
        self.drafts.update_value(|d| {
            if text.is_empty() {
                d.remove(&id);
            } else {
                d.insert(id, text);
            }
        });
    }

    /// The open chat is read once the agent can see it.
    pub fn on_visible(self) {
        if let Some(id) = self.chat.with_untracked(|c| c.id)
            && document_visible()
        {
            self.mark_read_if_unread(id);
        }
    }
}
