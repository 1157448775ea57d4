//! Inline SVG icons (nothing is loaded from the internet). All are decorative:
//! the control that holds one carries the label.

use inbox_types::MessageStatus;
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
    Up,
    Close,
    Plus,
    Check,
    Lock,
    Photo,
    Video,
    Mic,
    Headphones,
    Document,
    Sticker,
    Location,
    Smiley,
    Reply,
    Unsupported,
    /// The jump-to-bottom chevron.
    Down,
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
            Icon::Up => {
                r#"<path d="M6 15l6-6 6 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>"#
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
            Icon::Photo => {
                r#"<rect x="3.5" y="5" width="17" height="14" rx="2" fill="none" stroke="currentColor" stroke-width="1.8"/><circle cx="9" cy="10" r="1.7" fill="currentColor"/><path d="M4.5 17.5l5-5 3.5 3.5 2.5-2.5 4 4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>"#
            }
            Icon::Video => {
                r#"<rect x="2.8" y="6.2" width="12.6" height="11.6" rx="2" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M15.4 10.4l5.2-3.2v9.6l-5.2-3.2z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>"#
            }
            Icon::Mic => {
                r#"<rect x="9" y="3.2" width="6" height="11" rx="3" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M5.8 11.2a6.2 6.2 0 0 0 12.4 0M12 17.4v3.4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>"#
            }
            Icon::Headphones => {
                r#"<path d="M4 17v-4a8 8 0 0 1 16 0v4" fill="none" stroke="currentColor" stroke-width="1.8"/><rect x="3.2" y="13.6" width="4.4" height="6.6" rx="1.6" fill="currentColor"/><rect x="16.4" y="13.6" width="4.4" height="6.6" rx="1.6" fill="currentColor"/>"#
            }
            Icon::Document => {
                r#"<path d="M6.5 2.8h7.3l4.7 4.7v12.2a1.5 1.5 0 0 1-1.5 1.5H6.5A1.5 1.5 0 0 1 5 19.7V4.3a1.5 1.5 0 0 1 1.5-1.5z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><path d="M13.6 3v4.8h4.7M8.6 12.6h6.8M8.6 16.2h6.8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>"#
            }
            Icon::Sticker => {
                r#"<path d="M4 6a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v7l-7 7H6a2 2 0 0 1-2-2z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><path d="M20 13h-5a2 2 0 0 0-2 2v5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>"#
            }
            Icon::Location => {
                r#"<path d="M12 21.2s-6.6-6.1-6.6-11a6.6 6.6 0 0 1 13.2 0c0 4.9-6.6 11-6.6 11z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><circle cx="12" cy="10" r="2.4" fill="none" stroke="currentColor" stroke-width="1.8"/>"#
            }
            Icon::Smiley => {
                r#"<circle cx="12" cy="12" r="8.6" fill="none" stroke="currentColor" stroke-width="1.8"/><circle cx="9" cy="10" r="1.2" fill="currentColor"/><circle cx="15" cy="10" r="1.2" fill="currentColor"/><path d="M8.4 14.2a4.2 4.2 0 0 0 7.2 0" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>"#
            }
            Icon::Reply => {
                r#"<path d="M10 6.5L4.5 12l5.5 5.5M5 12h9a5.5 5.5 0 0 1 5.5 5.5V19" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>"#
            }
            Icon::Down => {
                r#"<path d="M6.5 9.5L12 15l5.5-5.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>"#
            }
            Icon::Unsupported => {
                r#"<circle cx="12" cy="12" r="8.6" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M5.9 5.9l12.2 12.2" stroke="currentColor" stroke-width="1.8"/>"#
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

impl Mark {
    /// The mark of an outbound message in `status`.
    pub fn of(status: MessageStatus) -> Mark {
        match status {
            MessageStatus::Sending => Mark::Clock,
            MessageStatus::Sent => Mark::Tick,
            MessageStatus::Delivered => Mark::Ticks,
            MessageStatus::Read => Mark::ReadTicks,
            MessageStatus::Failed => Mark::Failed,
        }
    }
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
