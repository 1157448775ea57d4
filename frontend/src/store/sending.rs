//! Sending: the bubble appears at once with a clock, and the answer decides
//! what it becomes. A message the server refused without storing it stays
//! in this tab (the outbox) as failed until a retry delivers it; one sent
//! offline or without an answer waits there for the network (`outbox`).

use inbox_types::dto::{MessageDto, SendNewMessageOutput};
use inbox_types::{MessageDirection, MessageStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::Store;
use super::send_answer::{SendOutcome, send_outcome};
use super::toasts::ToastKind;
use crate::api::{self, ApiError};
use crate::format;
use crate::merge::{LocalSend, UiMessage, advanced};
use crate::prefs;

/// Whether `m` is the local message sent under `key`.
fn is_local(m: &UiMessage, key: Uuid) -> bool {
    m.local.as_ref().is_some_and(|l| l.client_key == key)
}

impl Store {
    /// Sends in the open chat: the bubble appears at once with a clock.
    pub fn send(self, text: String) {
        let Some(conv) = self.chat.with_untracked(|c| c.conversation.clone()) else { return };
        let key = Uuid::new_v4();
        let now = format::now();
        let dto = MessageDto {
            created_by: self.my_id(),
            ..MessageDto::text(
                key,
                conv.id,
                conv.contact.id,
                MessageDirection::Outbound,
                MessageStatus::Sending,
                &text,
                now,
            )
        };
        // Behind messages waiting for the network, or offline: it waits too.
        let waiting = self.must_queue(conv.id);
        let message = UiMessage { dto, local: Some(LocalSend { client_key: key, failed: None, waiting }) };
        self.outbox.update_value(|o| o.entry(conv.id).or_default().push(message.clone()));
        // From an older stretch (a search hit), sending goes back to the newest.
        if self.chat.with_untracked(|c| c.next_cursor.is_some()) {
            self.open_at(conv.id, None);
        } else {
            self.chat.update(|c| c.messages.push(message));
        }
        let preview = inbox_types::text::preview(&text, 100);
        self.patch(conv.id, |c| {
            c.last_message_preview = Some(preview.clone());
            c.last_message_time = now;
            c.last_message_direction = Some(MessageDirection::Outbound);
            c.last_message_status = Some(MessageStatus::Sending);
        });
        self.to_top(conv.id);
        if waiting {
            self.send_waiting(conv.id);
        } else {
            self.deliver_local(conv.id, key, text);
        }
    }

    /// Sends (or re-sends) a message this tab holds, under its client key.
    fn deliver_local(self, conversation: Uuid, key: Uuid, text: String) {
        spawn_local(async move {
            self.post_local(conversation, key, text).await;
        });
    }

    /// Posts a message this tab holds and applies the answer. Returns
    /// whether an answer came (without one, the message waits).
    pub(super) async fn post_local(self, conversation: Uuid, key: Uuid, text: String) -> bool {
        let in_flight = |add: bool| {
            self.chat.update(|c| {
                if c.id == Some(conversation) {
                    c.sends_in_flight = if add { c.sends_in_flight + 1 } else { c.sends_in_flight.saturating_sub(1) };
                }
            })
        };
        in_flight(true);
        let res = api::send_message(conversation, &text, key).await;
        in_flight(false);
        let answered = !matches!(res, Err(ApiError::Network(_)));
        self.finish_send(conversation, key, res);
        answered
    }

    fn finish_send(self, conversation: Uuid, key: Uuid, res: Result<SendNewMessageOutput, ApiError>) {
        let outcome = send_outcome(&res);
        let Some(settled) = outcome.settled(key) else {
            if let Err(e) = &res {
                self.expired(e);
            }
            return;
        };
        self.chat.update(|c| {
            if let Some(m) = c.messages.iter_mut().find(|m| is_local(m, key)) {
                settled.apply(m, key);
            }
        });
        // The server has it now, or this tab keeps it as failed.
        self.outbox.update_value(|o| {
            if let Some(list) = o.get_mut(&conversation) {
                if let Some(pos) = list.iter().position(|m| is_local(m, key)) {
                    if settled.stored {
                        list.remove(pos);
                    } else {
                        settled.apply(&mut list[pos], key);
                    }
                }
                if list.is_empty() {
                    o.remove(&conversation);
                }
            }
        });
        self.patch(conversation, |c| {
            if c.last_message_direction == Some(MessageDirection::Outbound) {
                let status = c.last_message_status.map_or(settled.status, |shown| advanced(shown, settled.status));
                c.last_message_status = Some(status);
                if settled.stored {
                    c.last_message_id = Some(settled.id);
                }
            }
        });
        if outcome == SendOutcome::Unanswered {
            self.retry_waiting_later();
        } else {
            self.answered();
        }
        match outcome {
            SendOutcome::Stored { refetch: true, .. } => self.refresh(true, true),
            SendOutcome::Stored { warn: true, .. } | SendOutcome::KeptFailed { .. } => {
                self.send_failed_toast(settled.id)
            }
            _ => {}
        }
    }

    fn send_failed_toast(self, id: Uuid) {
        let retry = Callback::new(move |()| self.retry(id));
        self.toast_with(ToastKind::Warning, "Failed to send message.", Some(("Retry".to_owned(), retry)));
    }

    /// Retries a failed message: the server's retry for one it stored, a
    /// resend under the same key for one only this tab holds.
    pub fn retry(self, id: Uuid) {
        let Some((conversation, msg)) = self.chat.with_untracked(|c| {
            c.id.zip(c.messages.iter().find(|m| m.dto.id == id && m.dto.status == MessageStatus::Failed).cloned())
        }) else {
            return;
        };
        let sending_again = |m: &mut UiMessage| {
            m.dto.status = advanced(m.dto.status, MessageStatus::Sending);
            m.dto.error_message = None;
            // An agent's retry starts a new series of attempts.
            (m.dto.attempt, m.dto.next_attempt_at) = (1, None);
            if let Some(l) = m.local.as_mut() {
                l.failed = None;
            }
        };
        self.chat.update(|c| {
            if let Some(m) = c.messages.iter_mut().find(|m| m.dto.id == id) {
                sending_again(m);
            }
        });
        if let Some(local) = msg.local {
            self.outbox.update_value(|o| {
                if let Some(m) =
                    o.get_mut(&conversation).and_then(|l| l.iter_mut().find(|m| is_local(m, local.client_key)))
                {
                    sending_again(m);
                }
            });
            // The row's mark follows, so the answer can move it on.
            self.patch(conversation, |c| {
                if c.last_message_direction == Some(MessageDirection::Outbound)
                    && let Some(shown) = c.last_message_status
                {
                    c.last_message_status = Some(advanced(shown, MessageStatus::Sending));
                }
            });
            self.deliver_local(conversation, local.client_key, msg.dto.content);
            return;
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::retry(id).await;
            self.end_write();
            let (status, error) = match &res {
                Ok(out) => (out.message.status, None),
                Err(e) if self.expired(e) => return,
                Err(e) => (MessageStatus::Failed, Some(e.message())),
            };
            self.chat.update(|c| {
                if let Some(m) = c.messages.iter_mut().find(|m| m.dto.id == id) {
                    m.dto.status = advanced(m.dto.status, status);
                    // The live event of the failure may have come first.
                    if m.dto.status == status {
                        m.dto.error_message = error.clone();
                    }
                }
            });
            if res.is_err() {
                self.send_failed_toast(id);
            }
        });
    }

    /// The new-message modal's send. The caller shows errors itself.
    pub async fn send_new(self, phone: String, text: String, key: Uuid) -> Result<SendNewMessageOutput, ApiError> {
        let res = api::send_new_message(&phone, &text, key).await;
        // Show the chat with the new message at the top of the list, also
        // when WhatsApp refused it: the failed bubble carries the reason and
        // Retry.
        let stored = match &res {
            Ok(out) => Some(out.conversation_id),
            Err(e) if self.expired(e) => None,
            Err(e) => e.message_id().and(e.conversation_id()),
        };
        if let Some(conversation) = stored {
            if self.archived_view.get_untracked() {
                self.archived_view.set(false);
            }
            self.reload_list();
            self.selected.set(Some(conversation));
            prefs::save(self.view(), true);
            self.open(conversation);
        } else if res.as_ref().is_err_and(|e| !self.expired(e) && e.conversation_id().is_some()) {
            // A failed send still created the chat: list it.
            self.reload_list();
        }
        if let (Err(e), Some(_)) = (&res, stored)
            && let Some(id) = e.message_id()
        {
            self.send_failed_toast(id);
        }
        res
    }
}
