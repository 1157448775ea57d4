use std::collections::HashSet;

use inbox_types::dto::ConversationDto;
use inbox_types::{MessageContent, MessageDirection, MessageStatus, MessageText};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::Change;
use crate::format;
use crate::icons::{Icon, Mark, icon, mark, tail};
use crate::merge::UiMessage;
use crate::store::{Load, Modal, Session, Store};
use crate::thread::{self, Line};
use crate::ui::chat_search::ChatSearch;
use crate::ui::widgets::avatar::Avatar;
use crate::ui::widgets::menu::{Item, MenuButton};
use crate::ui::widgets::rich_text::RichText;

/// How close to the bottom (px) still counts as "at the bottom".
const NEAR_BOTTOM: i32 = 60;
/// How close to the top (px) loads the previous page.
const NEAR_TOP: i32 = 300;

#[component]
pub fn Chat() -> impl IntoView {
    let store = expect_context::<Store>();
    let conversation = Memo::new(move |_| store.chat.with(|c| c.conversation.clone()));
    let title = move || conversation.get().map(|c| format!("Chat with {}", format::display_name(&c.contact)));
    let id = Memo::new(move |_| store.chat.with(|c| c.id));
    // The chat's own search; another chat starts without it.
    let searching = RwSignal::new(false);
    Effect::new(move |_| {
        id.track();
        searching.set(false);
    });
    view! {
        <main class="chat" aria-label=title>
            <Header conversation=conversation searching=searching />
            {move || {
                id.get()
                    .filter(|_| searching.get())
                    .map(|conversation| view! { <ChatSearch conversation=conversation open=searching /> })
            }}
            <Messages />
            <Composer />
        </main>
    }
}

/// The chat's header. Each part follows the conversation on its own, so a
/// change (a new message, an assignment) never rebuilds the menu button a
/// keyboard user is on.
#[component]
fn Header(conversation: Memo<Option<ConversationDto>>, searching: RwSignal<bool>) -> impl IntoView {
    let store = expect_context::<Store>();
    let contact = Memo::new(move |_| conversation.with(|c| c.as_ref().map(|c| c.contact.clone())));
    let id = Memo::new(move |_| conversation.with(|c| c.as_ref().map(|c| c.id)));
    let flags = Memo::new(move |_| {
        conversation
            .with(|c| c.as_ref().map(|c| (c.unread_count > 0, c.is_favorite, c.is_archived)).unwrap_or_default())
    });
    let assignee =
        Memo::new(move |_| conversation.with(|c| c.as_ref().and_then(|c| c.assignee.as_ref().map(|a| a.name.clone()))));
    let name = move || contact.with(|c| c.as_ref().map(format::display_name).unwrap_or_default());
    let subtitle = move || contact.with(|c| c.as_ref().and_then(format::contact_details));
    let items = Signal::derive(move || {
        let Some(id) = id.get() else { return Vec::new() };
        let (unread, favorite, archived) = flags.get();
        let mut v = vec![Item::new("Assign to user…", move || store.modal.set(Some(Modal::Assign)))];
        v.push(if unread {
            Item::new("Mark as read", move || store.change(id, Change::Read))
        } else {
            Item::new("Mark as unread", move || store.mark_unread(id))
        });
        v.push(if favorite {
            Item::new("Remove from favorites", move || store.change(id, Change::Unfavorite))
        } else {
            Item::new("Add to favorites", move || store.change(id, Change::Favorite))
        });
        v.push(if archived {
            Item::new("Unarchive chat", move || store.change(id, Change::Unarchive))
        } else {
            Item::new("Archive chat", move || store.change(id, Change::Archive))
        });
        v.push(Item::new("Clear chat", move || store.modal.set(Some(Modal::ConfirmClear))).danger());
        v.push(Item::new("Delete chat", move || store.modal.set(Some(Modal::ConfirmDelete))).danger());
        v
    });
    let assign_label = move || match assignee.get() {
        Some(n) => format!("Assigned to {n}. Change assignee"),
        None => "Unassigned. Assign to a user".to_owned(),
    };
    view! {
        <header class="bar">
            <button class="back icon-btn" aria-label="Back to chats" on:click=move |_| store.deselect()>
                {icon(Icon::Back)}
            </button>
            <div class="chat-title">
                {move || contact.get().map(|c| view! { <Avatar contact=c small=true /> })}
                <div class="who">
                    <h2 class="n">{name}</h2>
                    {move || subtitle().map(|p| view! { <div class="s">{p}</div> })}
                </div>
                <Show when=move || id.with(Option::is_some)>
                    <button
                        class="assign"
                        aria-label=assign_label
                        title="Assigned agent"
                        on:click=move |_| store.modal.set(Some(Modal::Assign))
                    >
                        {icon(Icon::Person)}
                        {move || match assignee.get() {
                            Some(n) => view! { <span class="hide-m">"Assigned to "</span><b>{n}</b> }.into_any(),
                            None => view! { <span>"Unassigned"</span> }.into_any(),
                        }}
                    </button>
                </Show>
                <Show when=move || flags.get().1>
                    <span class="hdr-fav" title="Favorite">{icon(Icon::Star)}</span>
                </Show>
            </div>
            <div class="bar-actions">
                <Show when=move || id.with(Option::is_some)>
                    <button
                        class="icon-btn"
                        class:on=move || searching.get()
                        aria-label="Search in this chat"
                        aria-pressed=move || searching.get().to_string()
                        title="Search in this chat"
                        on:click=move |_| searching.update(|on| *on = !*on)
                    >
                        {icon(Icon::Search)}
                    </button>
                    <MenuButton label="Chat menu" items=items />
                </Show>
            </div>
        </header>
    }
}

/// What the placing effect saw last: the chat, whether it was loaded, its
/// last message, how many messages, and whether it was paging newer.
type Placed = (Option<Uuid>, bool, Option<Uuid>, usize, bool);

#[component]
fn Messages() -> impl IntoView {
    let store = expect_context::<Store>();
    let wall = NodeRef::<html::Div>::new();
    let at_bottom = RwSignal::new(true);
    // New messages since the agent scrolled up (the jump button's badge).
    let unseen = RwSignal::new(0usize);
    let thread = Memo::new(move |_| {
        store.chat.with(|c| thread::lines(&c.messages, format::offset_at(format::now()), c.unread_divider))
    });
    let load = Memo::new(move |_| store.chat.with(|c| c.load.clone()));
    let stretch = Memo::new(move |_| store.chat.with(|c| c.next_cursor.is_some()));
    let loading_older = Memo::new(move |_| store.chat.with(|c| c.loading_older));

    let to_bottom_now = move || {
        if let Some(el) = wall.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        at_bottom.set(true);
        unseen.set(0);
    };
    let to_bottom = move || request_animation_frame(to_bottom_now);
    // A chat opens at the unread divider when the unread messages are
    // taller than the view (the agent reads them from the first), else at
    // the bottom.
    let to_start = move || {
        request_animation_frame(move || {
            let Some(el) = wall.get_untracked() else { return };
            let divider = el.query_selector(".unread-divider").ok().flatten().map(|d| {
                d.get_bounding_client_rect().top() - el.get_bounding_client_rect().top() + f64::from(el.scroll_top())
            });
            match divider {
                Some(top) if f64::from(el.scroll_height()) - top > f64::from(el.client_height()) => {
                    // A little of what came before stays in view.
                    el.set_scroll_top((top - 12.0).max(0.0) as i32);
                    at_bottom.set(false);
                    unseen.set(0);
                }
                _ => to_bottom_now(),
            }
        });
    };

    // The chat shown: start at the divider or the bottom once its messages
    // are in. A new last message: follow it when the agent is at the
    // bottom (or sent it); otherwise count it on the jump button.
    Effect::new(move |prev: Option<Placed>| {
        // An older stretch (a search hit) grows at the bottom as the agent
        // scrolls down: that is reading, not a new message to follow.
        let paging = store.chat.with(|c| c.next_cursor.is_some() || c.loading_newer);
        let (chat, ready, last, outgoing_local, count) = store.chat.with(|c| {
            let last = c.messages.last();
            (
                c.id,
                c.load == Load::Ready,
                last.map(|m| m.dto.id),
                last.is_some_and(|m| m.local.is_some()),
                c.messages.len(),
            )
        });
        match prev {
            _ if !ready => {}
            Some((prev_chat, true, _, _, prev_paging)) if prev_chat == chat && (paging || prev_paging) => {}
            Some((prev_chat, true, prev_last, prev_count, _)) if prev_chat == chat => {
                let new_last = last != prev_last && last.is_some();
                if new_last && (at_bottom.get_untracked() || outgoing_local || prev_last.is_none()) {
                    to_bottom();
                } else if new_last {
                    unseen.update(|n| *n += count.saturating_sub(prev_count).max(1));
                }
            }
            _ => to_start(),
        }
        (chat, ready, last, count, paging)
    });

    // A search hit: brought to the middle of the view and marked for a moment.
    Effect::new(move |_| {
        let Some((id, _)) = store.chat.with(|c| c.highlight.filter(|_| c.load == Load::Ready)) else { return };
        // After the effect that places a newly opened chat has scrolled.
        request_animation_frame(move || {
            request_animation_frame(move || {
                let el = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&format!("msg-{id}")));
                if let Some(el) = el {
                    let opts = web_sys::ScrollIntoViewOptions::new();
                    opts.set_block(web_sys::ScrollLogicalPosition::Center);
                    el.scroll_into_view_with_scroll_into_view_options(&opts);
                    let _ = el.class_list().add_1("flash");
                    set_timeout(
                        move || drop(el.class_list().remove_1("flash")),
                        std::time::Duration::from_millis(2000),
                    );
                }
            });
        });
    });

    // A message that turns failed while the agent is at the bottom: its
    // reason and Retry (below the bubble) come into view, not hidden below
    // the fold or behind the composer. Someone scrolled up stays put.
    // (Failed messages that come with the first page are where they are.)
    Effect::new(move |prev: Option<(Option<Uuid>, bool, HashSet<Uuid>)>| {
        let (chat, ready, failed) = store.chat.with(|c| {
            let failed = c
                .messages
                .iter()
                .filter(|m| m.dto.direction == MessageDirection::Outbound && m.dto.status == MessageStatus::Failed)
                .map(|m| m.dto.id)
                .collect::<HashSet<_>>();
            (c.id, c.load == Load::Ready, failed)
        });
        if let Some((prev_chat, true, prev_failed)) = &prev
            && *prev_chat == chat
            && ready
            && !failed.is_subset(prev_failed)
            && at_bottom.get_untracked()
        {
            to_bottom();
        }
        (chat, ready, failed)
    });

    // The newest message stays in view when the window changes size (a
    // narrower window makes the bubbles taller, a lower one the view shorter).
    let resize = window_event_listener(leptos::ev::resize, move |_| {
        if at_bottom.get_untracked() {
            to_bottom_now();
        }
    });
    on_cleanup(move || resize.remove());

    let on_scroll = move |_| {
        let Some(el) = wall.get_untracked() else { return };
        let bottom = el.scroll_height() - el.scroll_top() - el.client_height() < NEAR_BOTTOM;
        if at_bottom.get_untracked() != bottom {
            at_bottom.set(bottom);
        }
        if bottom && unseen.get_untracked() > 0 {
            unseen.set(0);
        }
        if bottom && store.chat.with_untracked(|c| c.next_cursor.is_some()) {
            spawn_local(store.load_newer());
        }
        if el.scroll_top() < NEAR_TOP {
            // Keep the reading position: the page goes above what is shown.
            spawn_local(async move {
                let Some(el) = wall.get_untracked() else { return };
                let (h, top) = (el.scroll_height(), el.scroll_top());
                store.load_older().await;
                request_animation_frame(move || {
                    if let Some(el) = wall.get_untracked() {
                        let grown = el.scroll_height() - h;
                        if grown > 0 {
                            el.set_scroll_top(el.scroll_top().max(top) + grown);
                        }
                    }
                });
            });
        }
    };

    view! {
        <div class="wall-wrap">
            <div class="wall" node_ref=wall on:scroll=on_scroll tabindex="-1">
                <div class="thread" role="log" aria-label="Messages" aria-live="polite">
                    <Show when=move || loading_older.get()>
                        <div class="older" aria-live="polite">"Loading older messages…"</div>
                    </Show>
                    {move || match load.get() {
                        Load::Loading => view! { <BubbleSkeleton /> }.into_any(),
                        Load::Failed(reason) => {
                            view! {
                                <div class="state error" role="alert">
                                    <p>"Failed to load messages."</p>
                                    <p class="why">{reason}</p>
                                    <button class="btn secondary" on:click=move |_| store.reload_chat()>
                                        "Retry"
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        Load::Ready => {
                            view! {
                                <Show when=move || thread.with(Vec::is_empty)>
                                    <div class="day">"No messages. Start the conversation!"</div>
                                </Show>
                                <For each=move || thread.get() key=Line::key let:line>
                                    {match line {
                                        Line::Day(d) => view! { <div class="day">{format::day(d)}</div> }.into_any(),
                                        Line::Unread(n) => {
                                            view! {
                                                <div class="unread-divider" role="separator">
                                                    <span>{thread::unread_label(n)}</span>
                                                </div>
                                            }
                                                .into_any()
                                        }
                                        Line::Msg { m, .. } if matches!(m.dto.payload, MessageContent::System { .. }) => {
                                            view! { <div class="day system" role="note">{m.dto.content.clone()}</div> }
                                                .into_any()
                                        }
                                        Line::Msg { m, first } => view! { <Bubble m=*m first=first /> }.into_any(),
                                    }}
                                </For>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </div>
            // From an older stretch (a search hit) the button goes to the newest messages.
            <Show when=move || (!at_bottom.get() || stretch.get()) && load.with(|l| *l == Load::Ready)>
                <button
                    class="jump"
                    aria-label=move || {
                        if stretch.get() { "Go to newest messages".to_owned() } else { thread::jump_label(unseen.get()) }
                    }
                    title="Scroll to the newest message"
                    on:click=move |_| if stretch.get_untracked() { store.to_newest() } else { to_bottom() }
                >
                    {icon(Icon::Down)}
                    <Show when=move || { unseen.get() > 0 }>
                        <span class="jump-count" aria-hidden="true">{move || unseen.get()}</span>
                    </Show>
                </button>
            </Show>
        </div>
    }
}

#[component]
fn BubbleSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton bubbles" aria-busy="true" aria-label="Loading messages">
            {[(false, 55), (false, 35), (true, 60), (true, 40), (false, 50), (true, 30), (false, 45)]
                .into_iter()
                .map(|(out, w)| {
                    view! {
                        <div class=if out { "msg out first" } else { "msg in first" }>
                            <div class="bubble sk-bubble" style=format!("width:{w}%")></div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn Bubble(m: UiMessage, first: bool) -> impl IntoView {
    let store = expect_context::<Store>();
    let out = m.dto.direction == MessageDirection::Outbound;
    let id = m.dto.id;
    let time = format::clock(m.dto.created_at);
    let full = format::full(m.dto.created_at);
    let status = m.dto.status;
    let body = match format::placeholder(&m.dto.payload) {
        Some(p) => view! { <Placeholder p=p /> }.into_any(),
        None => view! { <RichText text=m.dto.content.clone() /> }.into_any(),
    };
    let class = match (out, first) {
        (true, true) => "msg out first",
        (true, false) => "msg out",
        (false, true) => "msg in first",
        (false, false) => "msg in",
    };
    let meta_mark = (out && status != MessageStatus::Failed).then(|| mark(Mark::of(status)));
    let bubble = view! {
        <div class="bubble">
            {first.then(|| tail(out))}
            {body}
            <span class="pad" aria-hidden="true"></span>
            <span class="meta" title=full>
                <span class="t">{time}</span>
                {meta_mark}
            </span>
        </div>
    };
    let anchor = format!("msg-{id}");
    // Sent offline or without an answer: it goes out when the network is back.
    let waiting = m.local.as_ref().is_some_and(|l| l.waiting);
    if waiting {
        return view! {
            <div id=anchor.clone() class=class data-status=status.as_str() data-waiting="true">
                <div class="failed-wrap">
                    {bubble}
                    <div class="wait-note">{mark(Mark::Clock)}<span>"Waiting for network"</span></div>
                </div>
            </div>
        }
        .into_any();
    }
    let max_attempts = store.session.with_untracked(|s| match s {
        Session::SignedIn(me) => me.max_send_attempts,
        _ => 0,
    });
    if let Some(retrying) = format::retrying(&m.dto, max_attempts) {
        return view! {
            <div id=anchor.clone() class=class data-status=status.as_str()>
                <div class="note-wrap">
                    {bubble}
                    <div class="retry-note" role="status">{retrying}</div>
                </div>
            </div>
        }
        .into_any();
    }
    if !(out && status == MessageStatus::Failed) {
        return view! { <div id=anchor class=class data-status=status.as_str()>{bubble}</div> }.into_any();
    }
    let reason = m
        .dto
        .error_message
        .clone()
        .or_else(|| m.local.as_ref().and_then(|l| l.failed.clone()))
        .unwrap_or_else(|| "Not delivered".to_owned());
    let reason = if reason.starts_with("Not delivered") { reason } else { format!("Not delivered: {reason}") };
    view! {
        <div id=anchor class=class data-status="failed">
            <div class="failed-wrap">
                <div class="failed-line">
                    <button class="fail-btn" aria-label="Not delivered. Retry" title="Retry" on:click=move |_| store.retry(id)>
                        {mark(Mark::Failed)}
                    </button>
                    {bubble}
                </div>
                <div class="fail-note">
                    <span>{reason}</span>
                    <span class="sep" aria-hidden="true">"·"</span>
                    <button class="link" on:click=move |_| store.retry(id)>"Retry"</button>
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// A kind the chat cannot show yet, as WhatsApp Web marks it: an icon and
/// its name, the caption under them.
#[component]
fn Placeholder(p: format::Placeholder) -> impl IntoView {
    view! {
        <span class="kind">{icon(p.icon)}<span class="kind-label">{p.label}</span></span>
        {p.caption.map(|c| view! { <RichText text=c /> })}
    }
}

/// The message box: grows with the text, Enter sends, Shift+Enter breaks
/// the line, a counter appears near the length limit.
#[component]
fn Composer() -> impl IntoView {
    let store = expect_context::<Store>();
    let chat_id = Memo::new(move |_| store.chat.with(|c| c.id));
    let ready = Memo::new(move |_| store.chat.with(|c| c.conversation.is_some()));
    let text = RwSignal::new(String::new());
    let area = NodeRef::<html::Textarea>::new();

    let grow = move || {
        if let Some(el) = area.get_untracked() {
            let style = web_sys::HtmlElement::style(&el);
            let _ = style.set_property("height", "auto");
            let h = el.scroll_height().min(140);
            let _ = style.set_property("height", &format!("{h}px"));
        }
    };
    // Each chat keeps its own draft.
    Effect::new(move |prev: Option<Option<Uuid>>| {
        let id = chat_id.get();
        if let Some(Some(old)) = prev {
            store.set_draft(old, text.get_untracked());
        }
        text.set(id.map(|id| store.draft(id)).unwrap_or_default());
        request_animation_frame(move || {
            grow();
            if let Some(el) = area.get_untracked() {
                let _ = el.focus();
            }
        });
        id
    });
    on_cleanup(move || {
        if let Some(id) = chat_id.get_untracked() {
            store.set_draft(id, text.get_untracked());
        }
    });
    // Kept as it is typed, so a reload finds it.
    Effect::new(move |_| {
        let t = text.get();
        if let Some(id) = chat_id.get_untracked() {
            store.set_draft(id, t);
        }
    });

    let chars = move || text.with(|t| t.chars().count());
    let valid = move || text.with(|t| MessageText::parse(t).is_ok());
    let send = move || {
        let t = text.get_untracked();
        if MessageText::parse(&t).is_err() || !ready.get_untracked() {
            return;
        }
        store.send(t);
        text.set(String::new());
        if let Some(id) = chat_id.get_untracked() {
            store.set_draft(id, String::new());
        }
        request_animation_frame(grow);
    };

    // WhatsApp's "+" attaches files. There are none yet: it opens the same
    // menu greyed out, saying so (docs/frontend.md, "The composer's +").
    let attach = Signal::derive(|| {
        vec![Item::unavailable("Document").icon(Icon::Document), Item::unavailable("Photos & videos").icon(Icon::Photo)]
    });

    view! {
        <footer class="composer">
            <MenuButton label="Attach" icon=Icon::Plus items=attach up=true note="Sending files is coming soon." />
            <div class="field">
                <textarea
                    rows="1"
                    node_ref=area
                    placeholder="Type a message"
                    aria-label="Type a message"
                    disabled=move || !ready.get()
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        grow();
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        }
                    }
                ></textarea>
            </div>
            {move || {
                format::counter(chars(), MessageText::MAX_CHARS)
                    .map(|c| {
                        view! {
                            <span class="counter" class:over={move || chars() > MessageText::MAX_CHARS} aria-live="polite">
                                {c}
                            </span>
                        }
                    })
            }}
            <button
                class="icon-btn send"
                aria-label="Send"
                title="Send (Enter)"
                disabled=move || !valid() || !ready.get()
                on:click=move |_| send()
            >
                {icon(Icon::Send)}
            </button>
        </footer>
    }
}
