//! Short notes at the bottom of the screen, some with an action (Retry).

use std::time::Duration;

use leptos::prelude::*;

use super::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Info,
    Warning,
    Error,
}

#[derive(Clone)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub text: String,
    pub action: Option<(String, Callback<()>)>,
}

impl Store {
    pub fn toast(self, kind: ToastKind, text: impl Into<String>) {
        self.toast_with(kind, text, None);
    }

    pub fn toast_with(self, kind: ToastKind, text: impl Into<String>, action: Option<(String, Callback<()>)>) {
        let id = self.next_toast.get_value() + 1;
        self.next_toast.set_value(id);
        self.toasts.update(|t| {
            t.push(Toast { id, kind, text: text.into(), action });
            // Never a wall of toasts.
            if t.len() > 3 {
                t.remove(0);
            }
        });
        let ms = if matches!(kind, ToastKind::Error | ToastKind::Warning) { 7000 } else { 4000 };
        set_timeout(move || self.dismiss(id), Duration::from_millis(ms));
    }

    pub fn dismiss(self, id: u64) {
        self.toasts.update(|t| t.retain(|x| x.id != id));
    }
}
