//! The conversation writes: shown at once, rolled back with a toast when
//! the server refuses. While one is in flight refetches wait, so they never
//! undo the change on screen.

use inbox_types::dto::{UserDto, UserSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::Store;
use super::optimistic::{self, Undo};
use super::toasts::ToastKind;
use crate::api::{self, ApiError, Change};

impl Store {
    pub(super) fn begin_write(&self) {
        self.writes.update_value(|w| *w += 1);
    }

    pub(super) fn end_write(&self) {
        self.writes.update_value(|w| *w = w.saturating_sub(1));
    }

    pub(super) fn mark_read_if_unread(self, id: Uuid) {
        if self.conversation(id).is_some_and(|c| c.unread_count > 0) {
            self.change(id, Change::Read);
        }
    }

    /// Puts back what a refused write replaced and says why, unless the
    /// session ended.
    fn roll_back(self, undo: Undo, e: &ApiError, what: &str) {
        if self.expired(e) {
            return;
        }
        if self.update_shown(|list, chat| undo.restore(list, chat)) {
            self.refresh_archived_count();
        }
        self.toast(ToastKind::Error, format!("Could not {what}. {}", e.message()));
    }

    /// Mark as unread: the open chat closes first, as in WhatsApp (an open
    /// chat in view is read at once).
    pub fn mark_unread(self, id: Uuid) {
        if self.selected.get_untracked() == Some(id) {
            self.deselect();
        }
        self.change(id, Change::Unread);
    }

    /// The archive toast's Undo: the row has left the list being looked at,
    /// so the chat is unarchived on the server and the list fetched again.
    fn undo_archive(self, id: Uuid) {
        self.begin_write();
        spawn_local(async move {
            let res = api::change(id, Change::Unarchive).await;
            self.end_write();
            match res {
                Ok(dto) => {
                    self.replace(dto);
                    self.refresh_all();
                    self.toast(ToastKind::Info, "Chat unarchived");
                }
                Err(e) if self.expired(&e) => {}
                Err(e) => self.toast(ToastKind::Error, format!("Could not unarchive the chat. {}", e.message())),
            }
        });
    }

    /// Read, archive, unarchive, favorite, unfavorite, clear: optimistic, with
    /// rollback and a toast when the server refuses.
    pub fn change(self, id: Uuid, change: Change) {
        let view = self.view();
        let Some(undo) = self.update_shown(|list, chat| optimistic::apply_change(change, id, view, list, chat)) else {
            return;
        };
        match change {
            Change::Archive => self.archived_count.update(|(n, _)| *n += 1),
            Change::Unarchive => self.archived_count.update(|(n, _)| *n = n.saturating_sub(1)),
            _ => {}
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::change(id, change).await;
            self.end_write();
            match res {
                Ok(dto) => {
                    self.replace(dto);
                    match change {
                        Change::Archive => {
                            let undo = Callback::new(move |()| self.undo_archive(id));
                            self.toast_with(ToastKind::Info, "Chat archived", Some(("Undo".to_owned(), undo)));
                        }
                        Change::Unarchive => self.toast(ToastKind::Info, "Chat unarchived"),
                        Change::Clear => self.toast(ToastKind::Info, "Chat cleared"),
                        _ => {}
                    }
                }
                Err(e) => {
                    let what = match change {
                        Change::Read => "mark the chat as read",
                        Change::Unread => "mark the chat as unread",
                        Change::Archive => "archive the chat",
                        Change::Unarchive => "unarchive the chat",
                        Change::Favorite => "add the chat to favorites",
                        Change::Unfavorite => "remove the chat from favorites",
                        Change::Clear => "clear the chat",
                    };
                    self.roll_back(undo, &e, what);
                }
            }
        });
    }

    pub fn assign(self, id: Uuid, user: Option<UserDto>) {
        let summary = user.as_ref().map(|u| UserSummary { id: u.id, name: u.name.clone(), email: u.email.clone() });
        let Some(undo) = self.update_shown(|list, chat| optimistic::apply_assign(id, summary, list, chat)) else {
            return;
        };
        self.begin_write();
        spawn_local(async move {
            let res = api::assign(id, user.as_ref().map(|u| u.id)).await;
            self.end_write();
            match res {
                Ok(dto) => {
                    self.replace(dto);
                    match user {
                        Some(u) => self.toast(ToastKind::Info, format!("Assigned to {}", u.name)),
                        None => self.toast(ToastKind::Info, "Chat unassigned"),
                    }
                }
                Err(e) => self.roll_back(undo, &e, "assign the chat"),
            }
        });
    }

    pub fn delete(self, id: Uuid) {
        let undo = self.update_shown(|list, _| optimistic::apply_delete(id, list));
        if self.selected.get_untracked() == Some(id) {
            self.deselect();
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::delete(id).await;
            self.end_write();
            match res {
                Ok(()) => self.toast(ToastKind::Info, "Chat deleted"),
                Err(e) => self.roll_back(undo, &e, "delete the chat"),
            }
        });
    }
}
