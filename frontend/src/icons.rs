//! Inline SVG icons (nothing is loaded from the internet). All are decorative:
//! the control that holds one carries the label.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    NewChat,
    Dots,
    Search,
    Archive,
    Star,
    Group,
    Person,
    Send,
    Back,
    Close,
    Plus,
    Check,
    Lock,
}

impl Icon {
    fn body(self) -> &'static str {
        match self {
            Icon::NewChat => {
                r#"<path d="M5 3.8h14a2.2 2.2 0 0 1 2.2 2.2v9.2a2.2 2.2 0 0 1-2.2 2.2H9.6L5 21v-3.6a2.2 2.2 0 0 1-2.2-2.2V6A2.2 2.2 0 0 1 5 3.8z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><path d="M12 7.4v6.4M8.8 10.6h6.4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>"#
            }
            Icon::Dots => {
                r#"<circle cx="12" cy="5.5" r="1.9" fill="currentColor"/><circle cx="12" cy="12" r="1.9" fill="currentColor"/><circle cx="12" cy="18.5" r="1.9" fill="currentColor"/>"#
            }
            Icon::Search => {
                r#"<circle cx="10.5" cy="10.5" r="6.2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M15.2 15.2l5.3 5.3" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>"#
            }
            Icon::Archive => {
                r#"<rect x="2.8" y="3.8" width="18.4" height="4.6" rx="1.2" fill="none" stroke="currentColor" stroke-width="1.9"/><path d="M4.6 8.4v10.2a1.6 1.6 0 0 0 1.6 1.6h11.6a1.6 1.6 0 0 0 1.6-1.6V8.4" fill="none" stroke="currentColor" stroke-width="1.9"/><path d="M9.6 12.4h4.8" stroke="currentColor" stroke-width="1.9" stroke-linecap="round"/>"#
            }
            Icon::Star => {
                r#"<path d="M12 3.2l2.7 5.6 6.1.8-4.5 4.3 1.1 6.1L12 17.1 6.6 20l1.1-6.1-4.5-4.3 6.1-.8z" fill="currentColor"/>"#
            }
            Icon::Group => {
                r#"<circle cx="9" cy="8.6" r="3.4" fill="currentColor"/><path d="M2.6 19.4c.4-3.6 3-5.6 6.4-5.6s6 2 6.4 5.6z" fill="currentColor"/><circle cx="16.6" cy="9.4" r="2.7" fill="currentColor" opacity=".8"/><path d="M16.2 13.9c2.9 0 5 1.7 5.3 5.5h-4.3c-.2-2.2-1-4-2.5-5.3.5-.1 1-.2 1.5-.2z" fill="currentColor" opacity=".8"/>"#
            }
            Icon::Person => {
                r#"<circle cx="12" cy="8" r="3.8" fill="none" stroke="currentColor" stroke-width="1.9"/><path d="M4.6 20c.6-3.8 3.6-6 7.4-6s6.8 2.2 7.4 6" fill="none" stroke="currentColor" stroke-width="1.9" stroke-linecap="round"/>"#
            }
            Icon::Send => {
                r#"<path d="M3.6 3.9l17.3 7.6c.4.2.4.8 0 1L3.6 20.1c-.5.2-1-.2-.9-.7l1.5-6.4 8.3-1-8.3-1-1.5-6.4c-.1-.5.4-.9.9-.7z" fill="currentColor"/>"#
            }
            Icon::Back => {
                r#"<path d="M20 12H5.2M11.4 5.4L4.8 12l6.6 6.6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>"#
            }
            Icon::Close => {
                r#"<path d="M6.5 6.5l11 11M17.5 6.5l-11 11" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>"#
            }
            Icon::Plus => {
                r#"<path d="M12 5v14M5 12h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>"#
            }
            Icon::Check => {
                r#"<path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>"#
            }
            Icon::Lock => {
                r#"<rect x="5" y="10.5" width="14" height="10" rx="2" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M8 10.5V7.8a4 4 0 0 1 8 0v2.7" fill="none" stroke="currentColor" stroke-width="1.8"/>"#
            }
        }
    }
}

/// A 24×24 icon.
pub fn icon(i: Icon) -> impl IntoView {
    view! { <svg class="i" viewBox="0 0 24 24" aria-hidden="true" focusable="false" inner_html=i.body()></svg> }
}

/// A status mark of an outbound message, as WhatsApp draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Clock,
    Tick,
    Ticks,
    ReadTicks,
    Failed,
}

pub fn mark(m: Mark) -> impl IntoView {
    let (class, view_box, body, label) = match m {
        Mark::Clock => (
            "st clock",
            "0 0 16 16",
            r#"<circle cx="8" cy="8" r="6.1" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M8 4.6v3.6l2.4 1.5" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linecap="round" stroke-linejoin="round"/>"#,
            "Sending",
        ),
        Mark::Tick => (
            "st tick",
            "0 0 16 11",
            r#"<path d="M3.2 5.9l3 3L12.6 2.2" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>"#,
            "Sent",
        ),
        Mark::Ticks | Mark::ReadTicks => (
            if m == Mark::Ticks { "st tick" } else { "st tick read" },
            "0 0 16 11",
            r#"<path d="M1 5.9l3.1 3.1L10.4 2.2" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/><path d="M7.4 7.6L8.8 9l6.3-6.8" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>"#,
            if m == Mark::Ticks { "Delivered" } else { "Read" },
        ),
        Mark::Failed => (
            "st fail",
            "0 0 16 16",
            r##"<circle cx="8" cy="8" r="7.2" fill="currentColor"/><path d="M8 4.1v5" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/><circle cx="8" cy="11.7" r="1.1" fill="#fff"/>"##,
            "Not delivered",
        ),
    };
    view! { <svg class=class viewBox=view_box role="img" aria-label=label inner_html=body></svg> }
}

/// The little tail on the first bubble of a run.
pub fn tail(outgoing: bool) -> impl IntoView {
    let body = if outgoing {
        r##"<path d="M1 1L1 14C2.7 11.6 5.4 7.8 7.9 4.3C8.6 3.2 8.1 1 6.4 1Z" fill="#0b141a" fill-opacity=".13"/><path d="M0 0L0 13L1 13C2.7 10.6 5.4 6.8 7.9 3.3C8.6 2.2 8.1 0 6.4 0Z" fill="currentColor"/>"##
    } else {
        r##"<path d="M8 1L8 14C6.3 11.6 3.6 7.8 1.1 4.3C.4 3.2.9 1 2.6 1Z" fill="#0b141a" fill-opacity=".13"/><path d="M9 0L9 13L8 13C6.3 10.6 3.6 6.8 1.1 3.3C.4 2.2.9 0 2.6 0Z" fill="currentColor"/>"##
    };
    view! { <svg class="tail" viewBox="0 0 9 14" aria-hidden="true" inner_html=body></svg> }
}
