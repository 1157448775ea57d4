//! Searching within the open chat (the search icon in its header): the hits
//! newest first, up for older and down for newer, each opened in place.

use std::time::Duration;

use inbox_types::search::{MessageHit, SearchWords};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api;
use crate::icons::{Icon, icon};
use crate::store::Store;

/// Hits fetched for one chat's search: the counter says "100+" past it.
const HITS: u32 = 100;

#[derive(Debug, Clone, PartialEq, Default)]
enum Found {
    #[default]
    Idle,
    Searching,
    Hits {
        ids: Vec<Uuid>,
        more: bool,
    },
    Failed(String),
}

/// The bar under the chat's header; `open` shows it.
#[component]
pub fn ChatSearch(conversation: Uuid, open: RwSignal<bool>) -> impl IntoView {
    let store = expect_context::<Store>();
    let text = RwSignal::new(String::new());
    let found = RwSignal::new(Found::Idle);
    // Which hit is shown: 0 is the newest.
    let at = RwSignal::new(0usize);
    let generation = StoredValue::new(0u64);
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });

    let show = move |i: usize| {
        if let Found::Hits { ids, .. } = found.get_untracked()
            && let Some(id) = ids.get(i)
        {
            at.set(i);
            store.show_message(conversation, *id);
        }
    };
    let search = move |term: String| {
        let g = generation.get_value() + 1;
        generation.set_value(g);
        if SearchWords::parse(&term).is_err() {
            found.set(Found::Idle);
            return;
        }
        found.set(Found::Searching);
        set_timeout(
            move || {
                if generation.get_value() != g {
                    return;
                }
                spawn_local(async move {
                    let res = api::search_messages(&term, Some(conversation), None, HITS).await;
                    if generation.get_value() != g {
                        return;
                    }
                    match res {
                        Ok(page) => {
                            let ids = page.hits.iter().map(|h: &MessageHit| h.message.id).collect::<Vec<_>>();
                            let any = !ids.is_empty();
                            found.set(Found::Hits { ids, more: page.has_more });
                            if any {
                                show(0);
                            }
                        }
                        Err(e) => found.set(Found::Failed(e.message())),
                    }
                });
            },
            Duration::from_millis(300),
        );
    };
    let count = move || match found.get() {
        Found::Hits { ids, more } => ids.len() + usize::from(more),
        _ => 0,
    };
    let older = move || {
        let n = count();
        if n > 0 && at.get_untracked() + 1 < n.min(HITS as usize) {
            show(at.get_untracked() + 1);
        }
    };
    let newer = move || {
        if count() > 0 && at.get_untracked() > 0 {
            show(at.get_untracked() - 1);
        }
    };
    let close = move || {
        generation.update_value(|g| *g += 1);
        open.set(false);
    };
    let status = move || match found.get() {
        Found::Idle => String::new(),
        Found::Searching => "Searching…".to_owned(),
        Found::Failed(reason) => reason,
        Found::Hits { ids, .. } if ids.is_empty() => "No results".to_owned(),
        Found::Hits { ids, more } => format!("{} of {}{}", at.get() + 1, ids.len(), if more { "+" } else { "" }),
    };
    view! {
        <div class="chat-search" role="search">
            <label class="search-box">
                {icon(Icon::Search)}
                <input
                    type="search"
                    node_ref=input
                    placeholder="Search in this chat"
                    aria-label="Search in this chat"
                    autocomplete="off"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        text.set(v.clone());
                        search(v.trim().to_owned());
                    }
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Escape" => {
                            ev.prevent_default();
                            ev.stop_propagation();
                            close();
                        }
                        "Enter" | "ArrowUp" if !ev.shift_key() => {
                            ev.prevent_default();
                            older();
                        }
                        "Enter" | "ArrowDown" => {
                            ev.prevent_default();
                            newer();
                        }
                        _ => {}
                    }
                />
            </label>
            <span class="chat-search-status" aria-live="polite">{status}</span>
            <button class="icon-btn" aria-label="Older result" title="Older (Enter)" on:click=move |_| older()>
                {icon(Icon::Up)}
            </button>
            <button class="icon-btn" aria-label="Newer result" title="Newer (Shift+Enter)" on:click=move |_| newer()>
                {icon(Icon::Down)}
            </button>
            <button class="icon-btn" aria-label="Close search" on:click=move |_| close()>
                {icon(Icon::Close)}
            </button>
        </div>
    }
}
