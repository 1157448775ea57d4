use std::time::Duration;

use inbox_types::dto::ConversationDto;
use inbox_types::{ConversationFilter, E164Phone, MessageDirection};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::format;
use crate::icons::{Icon, Mark, icon, mark};
use crate::store::{Live, Load, Modal, Store};
use crate::ui::found::FoundMessages;
use crate::ui::widgets::avatar::{Avatar, UserAvatar};
use crate::ui::widgets::menu::{Item, MenuButton};
use crate::ui::widgets::new_chat::NewChatButton;

/// Row height in px: fixed, so only the visible rows are rendered.
const ROW: f64 = 72.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 6;

#[component]
pub fn Sidebar() -> impl IntoView {
    let store = expect_context::<Store>();
    let me = store.me();
    let name = me.as_ref().map(|m| m.user.name.clone()).unwrap_or_default();
    let company = me.as_ref().map(|m| m.company.name.clone()).unwrap_or_default();
    let items = Signal::derive(move || {
        vec![
            Item::new("New chat", move || store.modal.set(Some(Modal::NewChat))),
            Item::new("Archived chats", move || store.show_archived(true)),
            Item::new("Log out", move || store.logout()),
        ]
    });
    view! {
        <aside class="sidebar" aria-label="Chats">
            <header class="bar">
                <div class="me">
                    <UserAvatar name=name.clone() />
                    <div class="me-text">
                        <span class="me-name">{name}</span>
                        <span class="me-company">{company}</span>
                    </div>
                </div>
                <div class="bar-actions">
                    <NewChatButton />
                    <MenuButton label="Menu" items=items />
                </div>
            </header>
            <Show when=move || store.live.get() == Live::Reconnecting>
                <div class="offline" role="status">
                    <strong>"Reconnecting…"</strong>
                    <span>"New messages and changes will appear once the connection is back."</span>
                </div>
            </Show>
            <Show when=move || store.archived_view.get()>
                <div class="archived-head">
                    <button class="icon-btn" aria-label="Back to chats" on:click=move |_| store.show_archived(false)>
                        {icon(Icon::Back)}
                    </button>
                    <h2>"Archived"</h2>
                </div>
            </Show>
            <SearchBox />
            <Show when=move || !store.archived_view.get()>
                <Chips />
            </Show>
            <ConversationList />
        </aside>
    }
}

/// Searches the server 300 ms after the last key; Esc or the X clears.
#[component]
fn SearchBox() -> impl IntoView {
    let store = expect_context::<Store>();
    let text = RwSignal::new(store.search.get_untracked());
    let input = NodeRef::<html::Input>::new();
    let generation = StoredValue::new(0u64);
    let apply_later = move |value: String| {
        let g = generation.get_value() + 1;
        generation.set_value(g);
        set_timeout(
            move || {
                if generation.get_value() == g {
                    store.set_search(value.trim().to_owned());
                }
            },
            Duration::from_millis(300),
        );
    };
    let clear = move || {
        generation.update_value(|g| *g += 1);
        text.set(String::new());
        store.set_search(String::new());
    };
    // Ctrl+Alt+/ focuses the box.
    Effect::new(move |prev: Option<u32>| {
        let n = store.focus_search.get();
        if prev.is_some()
            && let Some(el) = input.get_untracked()
        {
            let _ = el.focus();
        }
        n
    });
    view! {
        <div class="search">
            <label class="search-box">
                {icon(Icon::Search)}
                <input
                    type="search"
                    node_ref=input
                    placeholder="Search name or number"
                    aria-label="Search chats"
                    title="Search (Ctrl+Alt+/)"
                    autocomplete="off"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        text.set(v.clone());
                        apply_later(v);
                    }
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Escape" => {
                            ev.prevent_default();
                            clear();
                        }
                        // Into the results, as WhatsApp Web does.
                        "ArrowDown" => {
                            ev.prevent_default();
                            focus_results();
                        }
                        "Enter" => {
                            ev.prevent_default();
                            if let Some(first) = store.list.with_untracked(|l| l.items.first().map(|c| c.id)) {
                                store.select(first);
                            } else if let Some(phone) = number_to_start(&store, &text.get_untracked()) {
                                store.new_chat_with(phone);
                            }
                        }
                        _ => {}
                    }
                />
                <Show when=move || !text.get().is_empty()>
                    <button class="search-clear" aria-label="Clear search" on:click=move |ev| {
                        ev.prevent_default();
                        clear();
                        if let Some(el) = input.get_untracked() {
                            let _ = el.focus();
                        }
                    }>{icon(Icon::Close)}</button>
                </Show>
            </label>
        </div>
    }
}

/// The search text as a number to start a chat with (formatted), when it
/// is one under the company's number rule. The app does not know the
/// company's country, so the number needs its country code.
fn number_to_start(store: &Store, search: &str) -> Option<String> {
    let rule = store.me().map(|me| me.company.number_rule).unwrap_or_default();
    E164Phone::parse_with_rule(search, None, rule).ok().map(|p| format::phone(p.as_str()))
}

/// Moves the focus into the list of chats (its first row becomes active).
fn focus_results() {
    let list = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".list [role=listbox]").ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(list) = list {
        let _ = list.focus();
    }
}

#[component]
fn Chips() -> impl IntoView {
    let store = expect_context::<Store>();
    let chip = move |f: ConversationFilter, label: &'static str| {
        view! {
            <button
                class="chip"
                class:on=move || store.filter.get() == f
                aria-pressed=move || (store.filter.get() == f).to_string()
                on:click=move |_| store.set_filter(f)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="chips" role="group" aria-label="Filter chats">
            {chip(ConversationFilter::All, "All")}
            {chip(ConversationFilter::Unread, "Unread")}
            {chip(ConversationFilter::Favorites, "Favorites")}
            {chip(ConversationFilter::Groups, "Groups")}
        </div>
    }
}

fn empty_text(filter: ConversationFilter, archived: bool, search: &str) -> String {
    if !search.is_empty() {
        return format!("No chats match “{search}”.");
    }
    if archived {
        return "No archived chats.".to_owned();
    }
    match filter {
        ConversationFilter::All => "No conversations. Start a new chat with the + button.".to_owned(),
        ConversationFilter::Unread => "No unread chats. You're all caught up.".to_owned(),
        ConversationFilter::Favorites => "No favorite chats yet. Add one from a chat's menu.".to_owned(),
        ConversationFilter::Groups => "No group chats.".to_owned(),
    }
}

/// The rows. Only the visible ones (plus a few) are in the DOM, so thousands
/// of loaded chats scroll smoothly; the next page loads near the end.
#[component]
fn ConversationList() -> impl IntoView {
    let store = expect_context::<Store>();
    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(900.0f64);
    // The row the keyboard is on (aria-activedescendant).
    let active = RwSignal::new(None::<usize>);
    let focused = RwSignal::new(false);

    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()));
            scroll_top.set(f64::from(el.scroll_top()));
        }
    };
    Effect::new(move |_| {
        if scroller.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    // A new query starts at the top.
    Effect::new(move |_| {
        store.filter.track();
        store.search.track();
        store.archived_view.track();
        active.set(None);
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
    });

    // What the list shows; rows change without rebuilding the listbox.
    let phase = Memo::new(move |_| {
        store.list.with(|l| match &l.load {
            Load::Loading => Phase::Loading,
            Load::Failed(reason) => Phase::Failed(reason.clone()),
            Load::Ready if l.items.is_empty() => Phase::Empty,
            Load::Ready => Phase::Rows,
        })
    });
    let show_archived_row = move || !store.archived_view.get() && store.archived_count.get().0 > 0;
    let offset = move || if show_archived_row() { 49.0 } else { 0.0 };
    let count = move || store.list.with(|l| l.items.len());
    let range = Memo::new(move |_| {
        let top = (scroll_top.get() - offset()).max(0.0);
        let first = (top / ROW) as usize;
        let visible = (viewport.get() / ROW).ceil() as usize + 1;
        let start = first.saturating_sub(OVERSCAN);
        let end = (first + visible + OVERSCAN).min(count());
        (start, end.max(start))
    });
    let rows = Memo::new(move |_| {
        let (start, end) = range.get();
        store.list.with(|l| l.items[start.min(l.items.len())..end.min(l.items.len())].to_vec())
    });
    // Near the end: fetch the next page.
    Effect::new(move |_| {
        let (_, end) = range.get();
        let (n, more) = store.list.with(|l| (l.items.len(), l.has_more && l.load == Load::Ready));
        if more && end + 10 >= n {
            store.load_more();
        }
    });

    let scroll_into_view = move |i: usize| {
        let Some(el) = scroller.get_untracked() else { return };
        let top = offset() + i as f64 * ROW;
        let view_top = f64::from(el.scroll_top());
        let h = f64::from(el.client_height());
        if top < view_top {
            el.set_scroll_top(top as i32);
        } else if top + ROW > view_top + h {
            el.set_scroll_top((top + ROW - h) as i32);
        }
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = count();
        if n == 0 {
            return;
        }
        let current = active.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => Some(current.map_or(0, |i| (i + 1).min(n - 1))),
            "ArrowUp" => Some(current.map_or(0, |i| i.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(n - 1),
            "PageDown" => Some(current.map_or(0, |i| (i + 8).min(n - 1))),
            "PageUp" => Some(current.map_or(0, |i| i.saturating_sub(8))),
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(c) = current.and_then(|i| store.list.with_untracked(|l| l.items.get(i).map(|c| c.id))) {
                    store.select(c);
                }
                None
            }
            _ => None,
        };
        if let Some(i) = next {
            ev.prevent_default();
            active.set(Some(i));
            scroll_into_view(i);
        }
    };
    let on_focus = move |_| {
        focused.set(true);
        if active.get_untracked().is_none() {
            let selected = store.selected.get_untracked();
            let i = store.list.with_untracked(|l| l.items.iter().position(|c| Some(c.id) == selected)).unwrap_or(0);
            active.set(Some(i));
        }
    };
    let active_id =
        move || active.get().and_then(|i| store.list.with(|l| l.items.get(i).map(|c| format!("row-{}", c.id))));

    view! {
        <div
            class="list"
            node_ref=scroller
            on:scroll=move |_| {
                if let Some(el) = scroller.get_untracked() {
                    scroll_top.set(f64::from(el.scroll_top()));
                    // The message hits below the chats page on at the end.
                    if el.scroll_height() - el.scroll_top() - el.client_height() < 200 {
                        store.more_found();
                    }
                }
            }
        >
            <Show when=show_archived_row>
                <button class="archived" on:click=move |_| store.show_archived(true)>
                    <span class="lead">{icon(Icon::Archive)}</span>
                    <span class="label">"Archived"</span>
                    <span class="count">
                        {move || {
                            let (n, more) = store.archived_count.get();
                            if more { format!("{n}+") } else { n.to_string() }
                        }}
                    </span>
                </button>
            </Show>
            {move || match phase.get() {
                Phase::Loading => view! { <Skeleton /> }.into_any(),
                Phase::Failed(reason) => {
                    view! {
                        <div class="state error" role="alert">
                            <p>"Failed to load conversations."</p>
                            <p class="why">{reason}</p>
                            <button class="btn secondary" on:click=move |_| store.reload_list()>"Retry"</button>
                        </div>
                    }
                        .into_any()
                }
                Phase::Empty => {
                    let text = empty_text(
                        store.filter.get_untracked(),
                        store.archived_view.get_untracked(),
                        &store.search.get_untracked(),
                    );
                    // A number no chat matches: offer to start one, as WhatsApp Web does.
                    let start = number_to_start(&store, &store.search.get_untracked()).map(|phone| {
                        let label = format!("Start a chat with {phone}");
                        view! {
                            <button class="start-chat" on:click=move |_| store.new_chat_with(phone.clone())>
                                <span class="start-icon">{icon(Icon::NewChat)}</span>
                                <span class="start-label">{label}</span>
                            </button>
                        }
                    });
                    view! {
                        {start}
                        <div class="state empty"><p>{text}</p></div>
                    }
                        .into_any()
                }
                Phase::Rows => {
                    view! {
                        <div
                            class="rows"
                            role="listbox"
                            aria-label=move || if store.archived_view.get() { "Archived chats" } else { "Chats" }
                            tabindex="0"
                            aria-activedescendant=active_id
                            on:keydown=keydown
                            on:focus=on_focus
                            on:blur=move |_| focused.set(false)
                            style=move || format!("height:{}px", count() as f64 * ROW)
                        >
                            {move || {
                                let (start, _) = range.get();
                                rows.get()
                                    .into_iter()
                                    .enumerate()
                                    .map(|(k, c)| {
                                        let i = start + k;
                                        let kbd = move || focused.get() && active.get() == Some(i);
                                        view! { <Row c=c index=i kbd=Signal::derive(kbd) /> }
                                    })
                                    .collect_view()
                            }}
                        </div>
                        <Show when=move || store.list.with(|l| l.loading_more)>
                            <div class="more" aria-live="polite">"Loading more chats…"</div>
                        </Show>
                    }
                        .into_any()
                }
            }}
            <FoundMessages />
        </div>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Loading,
    Failed(String),
    Empty,
    Rows,
}

#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-label="Loading chats">
            {(0..8)
                .map(|_| {
                    view! {
                        <div class="sk-row">
                            <div class="sk-avatar"></div>
                            <div class="sk-lines">
                                <div class="sk-line w60"></div>
                                <div class="sk-line w85"></div>
                            </div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn Row(c: ConversationDto, index: usize, kbd: Signal<bool>) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = c.id;
    let name = format::display_name(&c.contact);
    let unread = c.unread_count;
    let mut label = name.clone();
    if unread > 0 {
        label.push_str(&format!(", {unread} unread"));
    }
    let preview_mark = match (c.last_message_direction, c.last_message_status) {
        (Some(MessageDirection::Outbound), Some(s)) if c.last_message_preview.is_some() => Some(mark(Mark::of(s))),
        _ => None,
    };
    let preview = c.last_message_preview.clone().unwrap_or_default();
    let time = if c.last_message_id.is_some() || c.last_message_preview.is_some() {
        format::row_time(c.last_message_time)
    } else {
        String::new()
    };
    let selected = move || store.selected.get() == Some(id);
    view! {
        <div
            id=format!("row-{id}")
            class="row"
            class:unread={unread > 0}
            class:active=selected
            class:kbd=move || kbd.get()
            role="option"
            aria-selected=move || selected().to_string()
            aria-label=label
            style=format!("top:{}px", index as f64 * ROW)
            on:click=move |_| store.select(id)
        >
            <Avatar contact=c.contact.clone() />
            <div class="row-main">
                <div class="row-top">
                    <span class="name">{name}</span>
                    <span class="time" title=format::full(c.last_message_time)>{time}</span>
                </div>
                <div class="row-bot">
                    <span class="preview">{preview_mark}<span class="txt" dir="auto">{preview}</span></span>
                    <span class="row-icons">
                        {c.is_favorite.then(|| view! { <span class="fav" title="Favorite">{icon(Icon::Star)}</span> })}
                        {(unread > 0)
                            .then(|| {
                                view! {
                                    <span class="badge" aria-label=format!("{unread} unread messages")>
                                        {unread}
                                    </span>
                                }
                            })}
                    </span>
                </div>
            </div>
        </div>
    }
}
