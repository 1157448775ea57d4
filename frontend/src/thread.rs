//! The chat's thread as lines to draw: date pills, bubbles, and the unread
//! divider where the messages that were unread when the chat was opened
//! start. Pure functions, tested on the host.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate};
use inbox_types::timeline::{self, TimelineItem};
use inbox_types::{MessageDirection, MessageKind};
use uuid::Uuid;

use crate::merge::UiMessage;

/// Where the unread divider sits: above message `before`, saying `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadDivider {
    pub before: Uuid,
    pub count: u32,
}

/// One line of the thread: a date pill, the unread divider or a bubble.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Day(NaiveDate),
    Unread(u32),
    Msg { m: Box<UiMessage>, first: bool },
}

impl Line {
    pub fn key(&self) -> String {
        match self {
            Line::Day(d) => format!("d{d}"),
            Line::Unread(n) => format!("u{n}"),
            Line::Msg { m, first } => format!(
                "m{}{:?}{}{}{:?}{}",
                m.dto.id,
                m.dto.status,
                m.dto.attempt,
                first,
                m.local.as_ref().map(|l| l.waiting),
                m.dto.error_message.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Whether a message counts as unread when it comes in (the server counts
/// every inbound message but WhatsApp's own notes about the customer).
fn counts_as_unread(m: &UiMessage) -> bool {
    m.dto.direction == MessageDirection::Inbound && m.dto.kind != MessageKind::System
}

/// Where the divider goes for a chat opened with `unread` unread messages:
/// above the first of its last `unread` inbound messages. When the shown
/// page holds fewer, above the oldest shown one. None without unread ones.
pub fn unread_divider(messages: &[UiMessage], unread: i32) -> Option<UnreadDivider> {
    let count = u32::try_from(unread).ok().filter(|n| *n > 0)?;
    let before = messages.iter().rev().filter(|m| counts_as_unread(m)).take(count as usize).last()?.dto.id;
    Some(UnreadDivider { before, count })
}

/// The divider's words, as WhatsApp Web puts them.
pub fn unread_label(count: u32) -> String {
    match count {
        1 => "1 unread message".to_owned(),
        n => format!("{n} unread messages"),
    }
}

/// The jump-to-bottom button's name: what it does, and how many messages
/// came in since the agent scrolled up (its badge).
pub fn jump_label(new_messages: usize) -> String {
    match new_messages {
        0 => "Scroll to the newest message".to_owned(),
        1 => "Scroll to the newest message, 1 new message".to_owned(),
        n => format!("Scroll to the newest message, {n} new messages"),
    }
}

/// The thread in the viewer's time zone `tz`: a date pill before each day,
/// each bubble marked when it starts a run of one side's messages, and the
/// unread divider above the message it names.
pub fn lines(messages: &[UiMessage], tz: FixedOffset, divider: Option<UnreadDivider>) -> Vec<Line> {
    let by_id: HashMap<Uuid, &UiMessage> = messages.iter().map(|m| (m.dto.id, m)).collect();
    let mut prev_dir = None;
    let mut out = Vec::with_capacity(messages.len() + 2);
    // In the order the store keeps (oldest first, this tab's sends last).
    for item in timeline::in_order(messages.iter().map(|m| &m.dto), tz) {
        match item {
            TimelineItem::DateSeparator(d) => {
                prev_dir = None;
                out.push(Line::Day(d));
            }
            TimelineItem::Message(dto) => {
                if let Some(d) = divider.filter(|d| d.before == dto.id) {
                    out.push(Line::Unread(d.count));
                    // A bubble under the divider starts a new run.
                    prev_dir = None;
                }
                let first = prev_dir != Some(dto.direction);
                prev_dir = Some(dto.direction);
                if let Some(m) = by_id.get(&dto.id) {
                    out.push(Line::Msg { m: Box::new((*m).clone()), first });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use inbox_types::MessageDirection::{Inbound, Outbound};
    use inbox_types::MessageKind;

    use super::*;
    use crate::fixtures::msg;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    fn shape(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|line| match line {
                Line::Day(_) => "day".to_owned(),
                Line::Unread(n) => format!("unread {n}"),
                Line::Msg { m, first } => format!("{}{}", m.dto.id.as_u128(), if *first { " first" } else { "" }),
            })
            .collect()
    }

    fn thread(spec: &[(u128, MessageDirection)]) -> Vec<UiMessage> {
        spec.iter().map(|&(n, d)| UiMessage::server(msg(n, n as i64 * 60, d))).collect()
    }

    #[test]
    fn a_date_pill_starts_each_day_and_a_new_run_of_bubbles() {
        let next_day = 86_400;
        let messages: Vec<UiMessage> =
            [msg(1, 0, Inbound), msg(2, 60, Inbound), msg(3, 120, Outbound), msg(4, next_day, Outbound)]
                .into_iter()
                .map(UiMessage::server)
                .collect();
        assert_eq!(shape(&lines(&messages, utc(), None)), ["day", "1 first", "2", "3 first", "day", "4 first"]);
    }

    #[test]
    fn the_unread_divider_sits_above_the_first_of_the_unread_inbound_messages() {
        // The customer wrote 4, the agent answered 5, then 6 and 7 came in: 3 unread.
        let messages = thread(&[(1, Inbound), (2, Outbound), (4, Inbound), (5, Outbound), (6, Inbound), (7, Inbound)]);
        let divider = unread_divider(&messages, 3);
        assert_eq!(divider, Some(UnreadDivider { before: Uuid::from_u128(4), count: 3 }));
        assert_eq!(
            shape(&lines(&messages, utc(), divider)),
            ["day", "1 first", "2 first", "unread 3", "4 first", "5 first", "6 first", "7"]
        );
    }

    #[test]
    fn a_divider_inside_a_run_starts_a_new_run() {
        let messages = thread(&[(1, Inbound), (2, Inbound), (3, Inbound)]);
        let divider = unread_divider(&messages, 1);
        assert_eq!(shape(&lines(&messages, utc(), divider)), ["day", "1 first", "2", "unread 1", "3 first"]);
    }

    #[test]
    fn no_divider_without_unread_messages_or_inbound_ones() {
        let messages = thread(&[(1, Inbound), (2, Outbound)]);
        assert_eq!(unread_divider(&messages, 0), None);
        assert_eq!(unread_divider(&messages, -1), None);
        assert_eq!(unread_divider(&thread(&[(1, Outbound)]), 2), None);
    }

    #[test]
    fn whatsapps_notes_about_the_customer_are_not_counted_as_unread() {
        let mut messages = thread(&[(1, Inbound), (2, Inbound), (3, Inbound)]);
        messages[2].dto.kind = MessageKind::System;
        assert_eq!(unread_divider(&messages, 1).map(|d| d.before), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn more_unread_than_shown_puts_the_divider_above_the_oldest_shown_inbound_message() {
        let messages = thread(&[(1, Outbound), (2, Inbound), (3, Inbound)]);
        assert_eq!(unread_divider(&messages, 60), Some(UnreadDivider { before: Uuid::from_u128(2), count: 60 }));
    }

    #[test]
    fn the_divider_speaks_as_whatsapp_web_does() {
        assert_eq!(unread_label(1), "1 unread message");
        assert_eq!(unread_label(3), "3 unread messages");
    }

    #[test]
    fn the_jump_button_names_the_new_messages_it_leads_to() {
        assert_eq!(jump_label(0), "Scroll to the newest message");
        assert_eq!(jump_label(1), "Scroll to the newest message, 1 new message");
        assert_eq!(jump_label(4), "Scroll to the newest message, 4 new messages");
    }
}
