//! The sidebar's message hits, below the matching chats: the chat's name,
//! the date, and a snippet with the found words marked (WhatsApp Web's
//! "Messages" section).

use inbox_types::search::{MessageHit, SnippetPart};
use inbox_types::{MessageDirection, MessageStatus};
use leptos::prelude::*;

use crate::format;
use crate::icons::{Mark, mark};
use crate::store::{Load, Store};

#[component]
pub fn FoundMessages() -> impl IntoView {
    let store = expect_context::<Store>();
    let searching = Memo::new(move |_| store.found.with(|f| !f.term.is_empty()));
    let load = Memo::new(move |_| store.found.with(|f| f.load.clone()));
    let hits = Memo::new(move |_| store.found.with(|f| f.hits.clone()));
    view! {
        <Show when=move || searching.get()>
            <section class="found" aria-label="Messages found">
                <h3 class="found-head">"Messages"</h3>
                {move || match load.get() {
                    Load::Loading => view! { <p class="found-state">"Searching messages…"</p> }.into_any(),
                    Load::Failed(reason) => {
                        view! { <p class="found-state" role="alert">{format!("Could not search messages. {reason}")}</p> }
                            .into_any()
                    }
                    Load::Ready if hits.with(Vec::is_empty) => {
                        view! { <p class="found-state">"No messages found."</p> }.into_any()
                    }
                    Load::Ready => {
                        view! {
                            <For each=move || hits.get() key=|h| h.message.id let:hit>
                                <Hit hit=hit />
                            </For>
                            <Show when=move || store.found.with(|f| f.loading_more)>
                                <div class="more" aria-live="polite">"Loading more messages…"</div>
                            </Show>
                        }
                            .into_any()
                    }
                }}
            </section>
        </Show>
    }
}

#[component]
fn Hit(hit: MessageHit) -> impl IntoView {
    let store = expect_context::<Store>();
    let (conversation, message) = (hit.conversation.id, hit.message.id);
    let out = hit.message.direction == MessageDirection::Outbound;
    let status_mark = (out && hit.message.status != MessageStatus::Failed).then(|| mark(Mark::of(hit.message.status)));
    let label = format!("Message in {}: {}", hit.conversation.title, hit.message.content);
    view! {
        <button class="hit" aria-label=label on:click=move |_| store.show_message(conversation, message)>
            <span class="row-top">
                <span class="name">{hit.conversation.title.clone()}</span>
                <span class="time" title=format::full(hit.message.created_at)>
                    {format::row_time(hit.message.created_at)}
                </span>
            </span>
            <span class="row-bot">
                <span class="preview">{status_mark}<span class="txt" dir="auto">{snippet(&hit.snippet)}</span></span>
            </span>
        </button>
    }
}

/// The snippet's parts, the found words in `<mark>`; all of it text nodes.
pub fn snippet(parts: &[SnippetPart]) -> impl IntoView + use<> {
    parts
        .iter()
        .map(|p| {
            let text = p.text.clone();
            if p.matched { view! { <mark>{text}</mark> }.into_any() } else { text.into_any() }
        })
        .collect_view()
}
