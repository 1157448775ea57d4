use leptos::prelude::*;

use crate::api::Change;
use crate::icons::{Icon, icon};
use crate::store::{Modal, Store};
use crate::ui::chat::Chat;
use crate::ui::modals::{AssignModal, ConfirmModal, NewChatModal};
use crate::ui::sidebar::Sidebar;

/// The signed-in app: sidebar and chat side by side (one at a time on a
/// phone), the modals, and WhatsApp Web's keyboard shortcuts.
#[component]
pub fn Inbox() -> impl IntoView {
    let store = expect_context::<Store>();

    // Ctrl+Alt+N: new chat. Ctrl+Alt+/: search. Ctrl+Alt+Shift+U: mark the
    // open chat unread (or read). Esc: close the open chat.
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        // Esc closes the open chat, unless a dialog, a menu or the search
        // box took it first.
        if ev.key() == "Escape" && !ev.default_prevented() && store.modal.get_untracked().is_none() {
            if store.selected.get_untracked().is_some() {
                store.deselect();
            }
            return;
        }
        if !(ev.ctrl_key() && ev.alt_key()) {
            return;
        }
        match ev.code().as_str() {
            "KeyN" => {
                ev.prevent_default();
                store.modal.set(Some(Modal::NewChat));
            }
            "KeyU" if ev.shift_key() => {
                ev.prevent_default();
                if let Some(c) = store.chat.with_untracked(|c| c.conversation.clone()) {
                    if c.unread_count > 0 {
                        store.change(c.id, Change::Read);
                    } else {
                        store.mark_unread(c.id);
                    }
                }
            }
            "Slash" => {
                ev.prevent_default();
                store.modal.set(None);
                store.focus_search.update(|n| *n += 1);
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());

    view! {
        <div class="app" class:chat-open=move || store.selected.with(Option::is_some)>
            <Sidebar />
            {move || match store.selected.get() {
                Some(_) => view! { <Chat /> }.into_any(),
                None => view! { <Intro /> }.into_any(),
            }}
        </div>
        {move || match store.modal.get() {
            Some(Modal::NewChat) => view! { <NewChatModal /> }.into_any(),
            Some(Modal::Assign) => view! { <AssignModal /> }.into_any(),
            Some(Modal::ConfirmClear) => view! { <ConfirmModal delete=false /> }.into_any(),
            Some(Modal::ConfirmDelete) => view! { <ConfirmModal delete=true /> }.into_any(),
            None => ().into_any(),
        }}
    }
}

/// The chat pane before a chat is chosen.
#[component]
fn Intro() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <main class="chat intro" aria-label="No chat open">
            <div class="intro-body">
                <div class="intro-mark">{icon(Icon::NewChat)}</div>
                <h1>"Inbox for WhatsApp"</h1>
                <p>"Pick a chat on the left, or start a new one. Your team sees every reply as it happens."</p>
                <button class="btn primary" on:click=move |_| store.modal.set(Some(Modal::NewChat))>
                    "New chat"
                </button>
                <p class="intro-keys">
                    <kbd>"Ctrl"</kbd>"+"<kbd>"Alt"</kbd>"+"<kbd>"N"</kbd>" new chat · "
                    <kbd>"Ctrl"</kbd>"+"<kbd>"Alt"</kbd>"+"<kbd>"/"</kbd>" search"
                </p>
            </div>
        </main>
    }
}
