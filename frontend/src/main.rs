//! Inbox in the browser: the agents' WhatsApp-Web-like app (Leptos CSR).

mod api;
mod format;
mod icons;
mod merge;
mod prefs;
mod store;
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

    // Polling until the realtime stream lands: only while the tab is visible.
    set_interval(move || store.poll(), store::POLL_EVERY);
    let _ = window_event_listener(leptos::ev::visibilitychange, move |_| store.poll());

    view! {
        {move || match store.session.get() {
            Session::Checking => view! { <div class="splash" aria-busy="true" aria-label="Loading"></div> }.into_any(),
            Session::SignedOut => view! { <ui::login::Login /> }.into_any(),
            Session::SignedIn(_) => view! { <ui::inbox::Inbox /> }.into_any(),
        }}
        <ui::toasts::Toasts />
    }
}
