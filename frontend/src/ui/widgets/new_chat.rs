//! The button that opens the New chat modal, shared by the sidebar's
//! header and the chat's composer.

use leptos::prelude::*;

use crate::icons::Icon;
use crate::store::{Modal, Store};

/// Opens the New chat modal (sidebar header, composer).
#[component]
pub fn NewChatButton(icon: Icon) -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <button
            class="icon-btn"
            aria-label="New chat"
            title="New chat (Ctrl+Alt+N)"
            on:click=move |_| store.modal.set(Some(Modal::NewChat))
        >
            {crate::icons::icon(icon)}
        </button>
    }
}
