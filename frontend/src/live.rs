//! The realtime stream: one EventSource per signed-in tab. The browser
//! reconnects by itself (sending Last-Event-ID, so the server replays what
//! was missed); when it gives up (the server refused or is gone) we open a
//! new one with backoff, passing the last id in the query.

use std::time::Duration;

use inbox_types::LiveEvent;
use leptos::logging::warn;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::store::{Live, Session, Store};

struct Connection {
    source: EventSource,
    // Kept alive as long as the source uses them.
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Keeps the stream open while signed in; closes it on sign-out.
pub fn run(store: Store) {
    let connection = StoredValue::new_local(None::<Connection>);
    let last_id = StoredValue::new(None::<i64>);
    let attempt = StoredValue::new(0u32);
    Effect::new(move |_| {
        let signed_in = matches!(store.session.get(), Session::SignedIn(_));
        connection.set_value(None);
        if signed_in {
            open(store, connection, last_id, attempt);
        }
    });
}

fn open(
    store: Store,
    connection: StoredValue<Option<Connection>, LocalStorage>,
    last_id: StoredValue<Option<i64>>,
    attempt: StoredValue<u32>,
) {
    let url = match last_id.get_value() {
        Some(id) => format!("/api/events?lastEventId={id}"),
        None => "/api/events".to_owned(),
    };
    let Ok(source) = EventSource::new(&url) else { return };
    let mut handlers = Vec::new();

    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let reconnected = attempt.get_value() > 0 || store.live.get_untracked() == Live::Reconnecting;
        attempt.set_value(0);
        store.live.set(Live::Open);
        // A fresh stream (not a browser reconnect with Last-Event-ID)
        // cannot know what changed meanwhile.
        if reconnected && last_id.get_value().is_none() {
            store.refresh_all();
        }
        // The server is reachable again: messages waiting for it go out.
        store.network_back();
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    handlers.push(on_open);

    for kind in LiveEvent::KINDS {
        let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(e) = e.dyn_ref::<MessageEvent>() else { return };
            if let Ok(id) = e.last_event_id().parse::<i64>() {
                last_id.set_value(Some(id));
            }
            let data = e.data().as_string().unwrap_or_default();
            match serde_json::from_str(&data).and_then(|data| LiveEvent::decode(kind, data)) {
                Ok(event) => store.on_event(event),
                // A server newer than this app; the next refetch still shows the change.
                Err(err) => warn!("ignored a {kind} event that did not decode: {err}"),
            }
        });
        let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        handlers.push(handler);
    }

    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        store.live.set(Live::Reconnecting);
        let closed =
            connection.with_value(|c| c.as_ref().is_some_and(|c| c.source.ready_state() == EventSource::CLOSED));
        if !closed {
            // The browser retries by itself.
            return;
        }
        let n = attempt.get_value() + 1;
        attempt.set_value(n);
        // 1 s, 2 s, 4 s ... up to 30 s.
        let wait = Duration::from_millis((1000u64 << n.min(5)).min(30_000));
        // Perhaps the session ended: a request tells.
        store.check_still_signed_in();
        // Not from inside this handler: dropping the connection drops it.
        set_timeout(move || connection.set_value(None), Duration::ZERO);
        set_timeout(
            move || {
                if matches!(*store.session.read_untracked(), Session::SignedIn(_))
                    && connection.with_value(Option::is_none)
                {
                    open(store, connection, last_id, attempt);
                }
            },
            wait,
        );
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    handlers.push(on_error);

    connection.set_value(Some(Connection { source, _handlers: handlers }));
}
