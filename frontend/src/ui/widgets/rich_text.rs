//! A message's text as WhatsApp Web shows it.

use leptos::prelude::*;

use crate::rich_text::{self, Span};

/// The message `text` with its links and WhatsApp formatting, built as
/// elements and text nodes from [`rich_text::parse`] (the text is never
/// HTML). `dir="auto"` lays a right-to-left message out right to left.
#[component]
pub fn RichText(text: String) -> impl IntoView {
    view! { <span class="text" dir="auto">{views(rich_text::parse(&text))}</span> }
}

fn views(spans: Vec<Span>) -> Vec<AnyView> {
    spans
        .into_iter()
        .map(|span| match span {
            Span::Text(t) => t.into_any(),
            Span::Bold(inner) => view! { <strong>{views(inner)}</strong> }.into_any(),
            Span::Italic(inner) => view! { <em>{views(inner)}</em> }.into_any(),
            Span::Strike(inner) => view! { <s>{views(inner)}</s> }.into_any(),
            Span::Code(t) => view! { <code>{t}</code> }.into_any(),
            Span::Mono(t) => view! { <code class="mono">{t}</code> }.into_any(),
            // Mail and phone links open the mail or phone app, not a tab.
            Span::Link { href, text } if href.starts_with("mailto:") || href.starts_with("tel:") => {
                view! { <a href=href>{text}</a> }.into_any()
            }
            Span::Link { href, text } => {
                view! { <a href=href target="_blank" rel="noopener noreferrer">{text}</a> }.into_any()
            }
        })
        .collect()
}
