//! The send-answer decision table: what the server's answer (or its
//! absence) makes of a message sent under a client key.

use inbox_types::dto::SendNewMessageOutput;
use inbox_types::{ErrorCode, MessageStatus};
use uuid::Uuid;

use crate::api::ApiError;
use crate::merge::{LocalSend, UiMessage, advanced};

/// What the answer to a send makes of the message sent under a client key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SendOutcome {
    /// The server has the message: the bubble becomes it.
    Stored {
        id: Uuid,
        status: MessageStatus,
        error: Option<String>,
        /// Fetch the chat: the first answer was lost, what the server has
        /// may be further along.
        refetch: bool,
        /// Tell the agent it failed, with a Retry.
        warn: bool,
    },
    /// The server refused it and stored nothing: this tab keeps it as
    /// failed, and Retry resends it under the same client key.
    KeptFailed { error: String },
    /// No answer (offline, connection reset): perhaps it arrived, perhaps
    /// not. It waits in this tab and goes out again under the same client
    /// key once the network is back; a repeat the server already has
    /// answers CONFLICT naming the original, which settles it as stored.
    Unanswered,
    /// The session ended: the sign-in page takes over.
    SessionEnded,
}

pub(super) fn send_outcome(res: &Result<SendNewMessageOutput, ApiError>) -> SendOutcome {
    let e = match res {
        Ok(out) => {
            return SendOutcome::Stored {
                id: out.message_id,
                status: out.message.status,
                error: None,
                // Still sending once answered: WhatsApp failed transiently
                // and a retry is scheduled. The chat's page says which
                // attempt (its live events came while the bubble was this
                // tab's own, and were left to the answer).
                refetch: out.message.status == MessageStatus::Sending,
                warn: false,
            };
        }
        Err(e) if e.is_unauthorized() => return SendOutcome::SessionEnded,
        Err(ApiError::Network(_)) => return SendOutcome::Unanswered,
        Err(e) => e,
    };
    match (e.code(), e.message_id()) {
        // Sent earlier under this key (the first answer was lost).
        (Some(ErrorCode::Conflict), Some(id)) => {
            SendOutcome::Stored { id, status: MessageStatus::Sent, error: None, refetch: true, warn: false }
        }
        // Stored and refused by WhatsApp: a failed message the server keeps.
        (_, Some(id)) => SendOutcome::Stored {
            id,
            status: MessageStatus::Failed,
            error: Some(e.message()),
            refetch: false,
            warn: true,
        },
        _ => SendOutcome::KeptFailed { error: e.message() },
    }
}

/// A sent message as its answer leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settled {
    pub id: Uuid,
    pub status: MessageStatus,
    pub error: Option<String>,
    /// The server has it; otherwise only this tab does.
    pub stored: bool,
    /// Only this tab has it, waiting for the network.
    pub waiting: bool,
}

impl SendOutcome {
    /// The message sent under `key` once settled; nothing when the session
    /// ended.
    pub(super) fn settled(&self, key: Uuid) -> Option<Settled> {
        match self {
            SendOutcome::Stored { id, status, error, .. } => {
                Some(Settled { id: *id, status: *status, error: error.clone(), stored: true, waiting: false })
            }
            SendOutcome::KeptFailed { error } => Some(Settled {
                id: key,
                status: MessageStatus::Failed,
                error: Some(error.clone()),
                stored: false,
                waiting: false,
            }),
            SendOutcome::Unanswered => {
                Some(Settled { id: key, status: MessageStatus::Sending, error: None, stored: false, waiting: true })
            }
            SendOutcome::SessionEnded => None,
        }
    }
}

impl Settled {
    /// Applies to the local message sent under `key`.
    pub(super) fn apply(&self, m: &mut UiMessage, key: Uuid) {
        m.dto.id = self.id;
        m.dto.status = advanced(m.dto.status, self.status);
        m.dto.error_message = self.error.clone();
        m.local =
            (!self.stored).then(|| LocalSend { client_key: key, failed: self.error.clone(), waiting: self.waiting });
    }
}

#[cfg(test)]
mod tests {
    use inbox_types::dto::SentMessage;
    use inbox_types::{ErrorBody, MessageDirection};

    use super::*;
    use crate::fixtures::{at, msg};

    const KEY: Uuid = Uuid::from_u128(7);
    const STORED: Uuid = Uuid::from_u128(8);

    fn answered(status: MessageStatus) -> Result<SendNewMessageOutput, ApiError> {
        Ok(SendNewMessageOutput {
            success: true,
            conversation_id: Uuid::from_u128(1),
            contact_id: Uuid::from_u128(2),
            message_id: STORED,
            created_contact: false,
            created_conversation: false,
            message: SentMessage { id: STORED, status, content: "hi".into(), created_at: at(1) },
        })
    }

    fn refused(code: ErrorCode, message_id: Option<Uuid>) -> Result<SendNewMessageOutput, ApiError> {
        let body = ErrorBody { message_id, ..ErrorBody::new(code, "Recipient is not on WhatsApp") };
        Err(ApiError::Server { status: 400, body })
    }

    /// The bubble of a message being sent under `KEY`.
    fn sending() -> UiMessage {
        let mut dto = msg(7, 1, MessageDirection::Outbound);
        dto.status = MessageStatus::Sending;
        UiMessage { dto, local: Some(LocalSend { client_key: KEY, failed: None, waiting: false }) }
    }

    fn settled(res: Result<SendNewMessageOutput, ApiError>) -> (SendOutcome, UiMessage) {
        let outcome = send_outcome(&res);
        let mut m = sending();
        if let Some(settled) = outcome.settled(KEY) {
            settled.apply(&mut m, KEY);
        }
        (outcome, m)
    }

    #[test]
    fn an_answered_send_becomes_the_server_message() {
        let (outcome, m) = settled(answered(MessageStatus::Sent));
        assert_eq!(
            outcome,
            SendOutcome::Stored { id: STORED, status: MessageStatus::Sent, error: None, refetch: false, warn: false }
        );
        assert_eq!((m.dto.id, m.dto.status, m.local), (STORED, MessageStatus::Sent, None));
    }

    #[test]
    fn a_send_still_sending_when_answered_refetches_the_chat_for_its_retry() {
        let (outcome, m) = settled(answered(MessageStatus::Sending));
        assert!(matches!(outcome, SendOutcome::Stored { refetch: true, warn: false, .. }));
        assert_eq!((m.dto.id, m.dto.status, m.local), (STORED, MessageStatus::Sending, None));
    }

    #[test]
    fn a_conflict_naming_the_message_settles_it_as_sent_and_refetches_the_chat() {
        let (outcome, m) = settled(refused(ErrorCode::Conflict, Some(STORED)));
        assert!(matches!(outcome, SendOutcome::Stored { refetch: true, warn: false, .. }));
        assert_eq!((m.dto.id, m.dto.status, m.local), (STORED, MessageStatus::Sent, None));
    }

    #[test]
    fn a_refusal_the_server_stored_is_a_failed_server_message_with_a_warning() {
        let (outcome, m) = settled(refused(ErrorCode::WhatsappSendFailed, Some(STORED)));
        assert!(matches!(outcome, SendOutcome::Stored { refetch: false, warn: true, .. }));
        assert_eq!((m.dto.id, m.dto.status), (STORED, MessageStatus::Failed));
        assert_eq!(m.dto.error_message.as_deref(), Some("Recipient is not on WhatsApp"));
        assert_eq!(m.local, None, "the server's retry takes it from here");
    }

    #[test]
    fn a_refusal_that_stored_nothing_stays_in_this_tab_as_failed_under_its_client_key() {
        for res in [refused(ErrorCode::ValidationError, None), refused(ErrorCode::ServiceUnavailable, None)] {
            let (outcome, m) = settled(res);
            assert!(matches!(outcome, SendOutcome::KeptFailed { .. }));
            assert_eq!((m.dto.id, m.dto.status), (KEY, MessageStatus::Failed));
            let local = m.local.expect("kept in this tab");
            assert_eq!(local.client_key, KEY, "Retry resends under the same key");
            assert!(local.failed.is_some());
            assert!(!local.waiting);
        }
    }

    #[test]
    fn a_send_without_an_answer_waits_for_the_network_under_its_client_key_without_failing() {
        let (outcome, m) = settled(Err(ApiError::Network("offline".into())));
        assert_eq!(outcome, SendOutcome::Unanswered);
        assert_eq!((m.dto.id, m.dto.status, m.dto.error_message.as_deref()), (KEY, MessageStatus::Sending, None));
        let local = m.local.expect("kept in this tab");
        assert_eq!(local, LocalSend { client_key: KEY, failed: None, waiting: true });
    }

    #[test]
    fn a_queued_resend_the_server_already_has_is_settled_as_sent_not_failed() {
        // The first attempt arrived but its answer was lost; the resend under
        // the same key is answered CONFLICT naming the stored message.
        let (_, waiting) = settled(Err(ApiError::Network("reset".into())));
        let outcome = send_outcome(&refused(ErrorCode::Conflict, Some(STORED)));
        let mut m = waiting;
        outcome.settled(KEY).expect("settled").apply(&mut m, KEY);
        assert_eq!((m.dto.id, m.dto.status, m.local), (STORED, MessageStatus::Sent, None));
    }

    #[test]
    fn an_ended_session_leaves_the_message_to_the_sign_in_page() {
        let (outcome, m) = settled(refused(ErrorCode::Unauthorized, Some(STORED)));
        assert_eq!(outcome, SendOutcome::SessionEnded);
        assert_eq!(m, sending());
    }
}
