//! Messages waiting for the network. A message sent while the browser is
//! offline, or whose send got no answer, stays in the chat with a clock and
//! goes out by itself when the connection returns (the `online` event, the
//! live stream reopening, or a growing pause while the browser believes it
//! is online), under the client key it was created with: a send that did
//! reach the server is answered CONFLICT and settles as sent, never doubled.
//! The messages of one chat go out one at a time, in the order written.
//! The queue lives in this tab's memory only (docs/frontend.md).

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::Store;
use crate::merge::UiMessage;

fn is_waiting(m: &UiMessage) -> bool {
    m.local.as_ref().is_some_and(|l| l.waiting)
}

/// The next message of a chat's outbox to send: its oldest waiting one,
/// as (client key, text).
pub(super) fn next_waiting(outbox: &[UiMessage]) -> Option<(Uuid, String)> {
    outbox.iter().find(|m| is_waiting(m)).and_then(|m| m.local.as_ref().map(|l| (l.client_key, m.dto.content.clone())))
}

/// What the browser says about the network (`navigator.onLine`); a false
/// "online" is caught by the send getting no answer.
pub(super) fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

impl Store {
    /// Whether a new message in `conversation` must queue behind others, so
    /// that its messages go out in the order written.
    pub(super) fn must_queue(&self, conversation: Uuid) -> bool {
        !browser_online()
            || self.draining.with_value(|d| d.contains(&conversation))
            || self.outbox.with_value(|o| o.get(&conversation).is_some_and(|l| l.iter().any(is_waiting)))
    }

    /// Marks the local message sent under `key` as waiting (or not) in the
    /// chat and the outbox.
    pub(super) fn set_waiting(self, conversation: Uuid, key: Uuid, waiting: bool) {
        let mark = |m: &mut UiMessage| {
            if let Some(l) = m.local.as_mut().filter(|l| l.client_key == key) {
                l.waiting = waiting;
            }
        };
        self.outbox.update_value(|o| o.get_mut(&conversation).into_iter().flatten().for_each(&mark));
        if self.chat.with_untracked(|c| c.id == Some(conversation)) {
            self.chat.update(|c| c.messages.iter_mut().for_each(&mark));
        }
    }

    /// Sends the waiting messages of `conversation` one at a time, oldest
    /// first; stops at the first that gets no answer (it waits again).
    pub(super) fn send_waiting(self, conversation: Uuid) {
        if !browser_online() || self.draining.with_value(|d| d.contains(&conversation)) {
            return;
        }
        self.draining.update_value(|d| {
            d.insert(conversation);
        });
        spawn_local(async move {
            while let Some((key, text)) = self.outbox.with_value(|o| o.get(&conversation).and_then(|l| next_waiting(l)))
            {
                self.set_waiting(conversation, key, false);
                if !self.post_local(conversation, key, text).await {
                    break;
                }
            }
            self.draining.update_value(|d| {
                d.remove(&conversation);
            });
        });
    }

    fn send_all_waiting(self) {
        let conversations: Vec<Uuid> =
            self.outbox.with_value(|o| o.iter().filter(|(_, l)| l.iter().any(is_waiting)).map(|(c, _)| *c).collect());
        for c in conversations {
            self.send_waiting(c);
        }
    }

    /// The connection is back (the browser's `online` event, or the live
    /// stream opened): everything waiting goes out.
    pub fn network_back(self) {
        self.retry_attempt.set_value(0);
        self.send_all_waiting();
    }

    /// A send got no answer. When the browser believes it is online (the
    /// server unreachable, a connection reset) no `online` event will come:
    /// try again after 2 s, 4 s ... up to 30 s. Offline, the event will.
    pub(super) fn retry_waiting_later(self) {
        if !browser_online() || self.retry_scheduled.get_value() {
            return;
        }
        let n = self.retry_attempt.get_value();
        self.retry_attempt.set_value(n + 1);
        self.retry_scheduled.set_value(true);
        let wait = Duration::from_millis((2000u64 << n.min(4)).min(30_000));
        set_timeout(
            move || {
                self.retry_scheduled.set_value(false);
                self.send_all_waiting();
            },
            wait,
        );
    }

    /// A send was answered: the server is reachable again.
    pub(super) fn answered(self) {
        self.retry_attempt.set_value(0);
    }
}

#[cfg(test)]
mod tests {
    use inbox_types::{MessageDirection, MessageStatus};

    use super::*;
    use crate::fixtures::msg;
    use crate::merge::LocalSend;

    fn local(n: u128, waiting: bool, failed: bool) -> UiMessage {
        let mut dto = msg(n, n as i64, MessageDirection::Outbound);
        dto.status = if failed { MessageStatus::Failed } else { MessageStatus::Sending };
        let failed = failed.then(|| "refused".to_owned());
        UiMessage { dto, local: Some(LocalSend { client_key: Uuid::from_u128(100 + n), failed, waiting }) }
    }

    #[test]
    fn waiting_messages_go_out_oldest_first_under_their_own_client_keys() {
        let outbox = [local(1, false, true), local(2, true, false), local(3, true, false)];
        assert_eq!(next_waiting(&outbox), Some((Uuid::from_u128(102), "m2".to_owned())));
        assert_eq!(next_waiting(&outbox[2..]), Some((Uuid::from_u128(103), "m3".to_owned())));
    }

    #[test]
    fn failed_and_in_flight_messages_are_not_sent_again_by_the_queue() {
        assert_eq!(next_waiting(&[local(1, false, true), local(2, false, false)]), None);
        assert_eq!(next_waiting(&[]), None);
    }
}
