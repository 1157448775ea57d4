//! Signing in and out, and noticing a session that ended.

use std::collections::HashMap;

use inbox_types::dto::MeResponse;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::toasts::ToastKind;
use super::{ChatState, ListState, Session, Store};
use crate::api::{self, ApiError};
use crate::prefs;

impl Store {
    pub fn check_session(self) {
        spawn_local(async move {
            match api::me().await {
                Ok(me) => self.signed_in(me),
                Err(e) if e.is_unauthorized() => self.session.set(Session::SignedOut),
                // The server is down: show the sign-in page with the reason.
                Err(e) => {
                    self.session.set(Session::SignedOut);
                    self.toast(ToastKind::Error, e.message());
                }
            }
        });
    }

    pub fn signed_in(self, me: MeResponse) {
        self.session.set(Session::SignedIn(Box::new(me)));
        self.reload_list();
        self.refresh_archived_count();
        if let Some(id) = self.selected.get_untracked() {
            self.open(id);
        }
        spawn_local(async move {
            if let Ok(out) = api::users().await {
                self.users.set(out.users);
            }
        });
    }

    /// Returns to the sign-in page if the session has ended.
    pub fn check_still_signed_in(self) {
        spawn_local(async move {
            if let Err(e) = api::me().await {
                self.expired(&e);
            }
        });
    }

    pub fn logout(self) {
        spawn_local(async move {
            match api::logout().await {
                Ok(()) => self.signed_out(),
                Err(e) => self.toast(ToastKind::Error, format!("Could not log out. {}", e.message())),
            }
        });
    }

    fn signed_out(self) {
        prefs::forget();
        self.outbox.set_value(HashMap::new());
        self.session.set(Session::SignedOut);
        self.list.set(ListState::default());
        self.chat.set(ChatState::default());
        self.selected.set(None);
        self.modal.set(None);
    }

    /// Every failed call goes through here: an expired session returns to
    /// the sign-in page instead of showing errors everywhere.
    pub(super) fn expired(self, e: &ApiError) -> bool {
        if e.is_unauthorized() && matches!(*self.session.read_untracked(), Session::SignedIn(_)) {
            self.signed_out();
            self.toast(ToastKind::Info, "Your session ended. Please sign in again.");
            return true;
        }
        false
    }
}
