//! Inbox in the browser: the agents' WhatsApp-Web-like app (Leptos CSR).

mod api;
#[cfg(test)]
mod fixtures;
mod format;
mod icons;
mod live;
mod merge;
mod prefs;
mod rich_text;
mod store;
mod thread;
mod ui;

use leptos::prelude::*;

use crate::store::{Session, Store};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    store.check_session();

    // Back and forward buttons move between views recorded in the URL.
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        if let Some(view) = prefs::current_url() {
            store.apply_view(view);
        } else {
            store.apply_view(prefs::View::default());
        }
    });

    // Live updates while signed in; the open chat is read once it is seen.
    live::run(store);
    let _ = window_event_listener(leptos::ev::visibilitychange, move |_| store.on_visible());
    // Messages sent offline go out when the browser is back online.
    let _ = window_event_listener(leptos::ev::online, move |_| store.network_back());

    view! {
        {move || match store.session.get() {
            Session::Checking => view! { <div class="splash" aria-busy="true" aria-label="Loading"></div> }.into_any(),
            Session::SignedOut => view! { <ui::login::Login /> }.into_any(),
            Session::SignedIn(_) => view! { <ui::inbox::Inbox /> }.into_any(),
        }}
        <ui::toasts::Toasts />
    }
}
