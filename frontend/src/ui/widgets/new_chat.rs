//! The button that opens the New chat modal, in the sidebar's header.

use leptos::prelude::*;

use crate::icons::{Icon, icon};
use crate::store::{Modal, Store};

/// Opens the New chat modal.
#[component]
pub fn NewChatButton() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <button
            class="icon-btn"
            aria-label="New chat"
            title="New chat (Ctrl+Alt+N)"
            on:click=move |_| store.modal.set(Some(Modal::NewChat))
        >
            {icon(Icon::NewChat)}
        </button>
    }
}
