//! The send flow (plan 6.2, 6.3): validate, ensure contact and conversation,
//! store the message as `sending` and the conversation's last message in one
//! transaction, then call the provider outside it and record the outcome.

use inbox_types::dto::ClientKey;
use inbox_types::dto::{NewMessage as ValidNewMessage, SentMessage};
use inbox_types::{
    ChannelId, CompanyId, ContactId, ConversationId, E164Phone, MessageDirection, MessageId, MessageText,
};
use sqlx::PgPool;

use crate::auth::Actor;
use crate::channels;
use crate::contacts::{self, Ensured, Identity};
use crate::conversations::{self, LastMessage, PREVIEW_CHARS};
use crate::delivery;
use crate::error::{DomainError, DomainResult, violated_constraint};
use crate::messages::{self, NewMessage};
use crate::perf::{Operation, timed};
use crate::provider::Dispatch;

/// What a send or a retry did: the message (and its status once the
/// provider answered), and whether its contact and conversation are new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub conversation_id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub message_id: uuid::Uuid,
    pub created_contact: bool,
    pub created_conversation: bool,
    pub message: SentMessage,
}

enum Recipient<'a> {
    Phone(&'a E164Phone),
    Conversation(ConversationId),
}

/// `sendNewMessage`: sends to a phone number, creating the contact and the
/// conversation when needed.
#[tracing::instrument(skip_all, fields(company_id = %actor.company_id, phone = %input.phone))]
pub async fn send_new_message(
    db: &PgPool,
    out: &dyn Dispatch,
    actor: Actor,
    input: &ValidNewMessage,
) -> DomainResult<Sent> {
    timed(
        Operation::SendNewMessage,
        send(db, out, actor, Recipient::Phone(&input.phone), &input.text, input.client_key.as_ref()),
    )
    .await
}

/// Sends in an existing conversation of the company.
#[tracing::instrument(skip_all, fields(company_id = %actor.company_id, conversation_id = %conversation_id))]
pub async fn send_in_conversation(
    db: &PgPool,
    out: &dyn Dispatch,
    actor: Actor,
    conversation_id: ConversationId,
    text: &MessageText,
    client_key: Option<&ClientKey>,
) -> DomainResult<Sent> {
    timed(Operation::SendNewMessage, send(db, out, actor, Recipient::Conversation(conversation_id), text, client_key))
        .await
}

async fn send(
    db: &PgPool,
    out: &dyn Dispatch,
    actor: Actor,
    recipient: Recipient<'_>,
    text: &MessageText,
    client_key: Option<&ClientKey>,
) -> DomainResult<Sent> {
    let company_id = actor.company_id;
    // Without a channel nothing can be sent: refuse before storing anything.
    let channel = channels::default_for_company(db, company_id).await?;

    // A repeated client key is caught by its unique index when the message
    // is inserted (the transaction then undoes the rest): no lookup first.
    let mut tx = db.begin().await?;

    let (contact, created_contact) = match recipient {
        Recipient::Phone(phone) => {
            let who = Identity::typed(phone);
            let (contact, ensured) =
                timed(Operation::EnsureContact, contacts::ensure(&mut tx, company_id, &who, None, actor.user_id))
                    .await
                    .map_err(DomainError::ContactCreateFailed)?;
            (contact, ensured.created())
        }
        Recipient::Conversation(id) => {
            let conversation = conversations::find(&mut tx, company_id, id).await?;
            (contacts::find(&mut tx, company_id, ContactId(conversation.contact_id)).await?, false)
        }
    };
    let contact_id = contact.id;

    let message_id = MessageId::new();
    let preview = text.preview(PREVIEW_CHARS);
    // An agent who starts a chat (New chat: a send to a number) takes it,
    // unless someone has it already.
    let starts_chat = match recipient {
        Recipient::Phone(_) => actor.user_id,
        Recipient::Conversation(_) => None,
    };
    let last = LastMessage { id: message_id, preview: &preview, unread_increment: 0 };
    let (conversation, ensured) = timed(
        Operation::EnsureConversation,
        conversations::upsert(&mut tx, company_id, contact_id, actor.user_id, Some(last), starts_chat),
    )
    .await
    .map_err(DomainError::ConversationCreateFailed)?;
    let conversation_id = ConversationId(conversation.id);

    let new = NewMessage {
        id: message_id,
        channel_id: Some(channel.id),
        client_key: client_key.map(ClientKey::as_str),
        // The conversation's last-message time, taken under its row lock, so
        // messages of one conversation are ordered as they committed.
        created_at: Some(conversation.last_message_time),
        ..NewMessage::outbound(company_id, conversation_id, contact_id, text.as_str(), actor.user_id)
    };
    let inserted = timed(Operation::CreateMessage, messages::insert(&mut *tx, &new)).await;
    let message = match inserted {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(DomainError::internal("outbound message collided on a provider id it does not have"));
        }
        Err(e) if violated_constraint(&e) == Some("messages_client_key_per_company") => {
            drop(tx);
            let key = client_key.map(ClientKey::as_str).unwrap_or_default();
            let existing = messages::find_by_client_key(db, company_id, key).await?;
            return Err(existing.map_or_else(|| DomainError::MessageInsertFailed(e), duplicate_send));
        }
        Err(e) => return Err(DomainError::MessageInsertFailed(e)),
    };
    // The deferred last-message foreign key is checked here.
    tx.commit().await.map_err(DomainError::MessageInsertFailed)?;
    tracing::debug!(
        message_id = %message_id,
        conversation_id = %conversation_id,
        created_contact,
        created_conversation = ensured.created(),
        "message stored as sending"
    );

    let status = delivery::deliver(db, out, &channel, &contact, message_id, conversation_id, text).await?;
    tracing::info!(event = "message.sent", %message_id, %conversation_id, contact_id = %contact_id);
    Ok(Sent {
        conversation_id: conversation_id.0,
        contact_id: contact_id.0,
        message_id: message_id.0,
        created_contact,
        created_conversation: ensured == Ensured::Created,
        message: SentMessage { id: message_id.0, status, content: message.content, created_at: message.created_at },
    })
}

fn duplicate_send(existing: MessageId) -> DomainError {
    DomainError::Conflict {
        message: "this message was sent already (same clientKey)".into(),
        existing_message_id: Some(existing.0),
    }
}

/// `retryFailedMessage`: sends a failed outbound message again; the same row
/// goes failed -> sending -> sent (or failed again). Any other status is a
/// CONFLICT: a message that may have been delivered is never sent twice.
#[tracing::instrument(skip(db, out))]
pub async fn retry_failed_message(
    db: &PgPool,
    out: &dyn Dispatch,
    actor: Actor,
    message_id: MessageId,
) -> DomainResult<Sent> {
    let company_id = actor.company_id;
    let mut conn = db.acquire().await?;
    let claimed = messages::claim_retry(&mut *conn, company_id, message_id, actor.user_id).await?;
    let Some(claimed) = claimed else {
        let existing = messages::find(&mut *conn, company_id, message_id).await?;
        let visible = sqlx::query_scalar::<_, bool>("SELECT is_active FROM messages WHERE id = $1")
            .bind(message_id.0)
            .fetch_one(&mut *conn)
            .await?;
        if !visible {
            return Err(DomainError::NotFound("message"));
        }
        if existing.direction == MessageDirection::Inbound {
            return Err(DomainError::Conflict {
                message: "only outbound messages can be retried".into(),
                existing_message_id: Some(existing.id),
            });
        }
        return Err(DomainError::Conflict {
            message: format!("only failed messages can be retried; this one is {}", existing.status),
            existing_message_id: Some(existing.id),
        });
    };
    drop(conn);
    tracing::info!(event = "message.retried", %message_id);
    let stored = delivery::StoredMessage {
        id: message_id,
        company_id,
        conversation_id: ConversationId(claimed.conversation_id),
        contact_id: ContactId(claimed.contact_id),
        channel_id: claimed.channel_id.map(ChannelId),
        content: &claimed.content,
    };
    let status = delivery::deliver_stored(db, out, &stored).await?;
    Ok(Sent {
        conversation_id: claimed.conversation_id,
        contact_id: claimed.contact_id,
        message_id: message_id.0,
        created_contact: false,
        created_conversation: false,
        message: SentMessage { id: message_id.0, status, content: claimed.content, created_at: claimed.created_at },
    })
}

/// Sends the messages whose retry is due, at most `limit`; returns how many
/// were attempted. Rows are claimed with SKIP LOCKED, so any number of
/// processes can run this without sending a message twice.
pub async fn run_due_retries(db: &PgPool, out: &dyn Dispatch, limit: i64) -> DomainResult<usize> {
    let due = messages::claim_due_retries(db, limit).await?;
    let n = due.len();
    for m in due {
        let company_id = CompanyId(m.company_id);
        let message_id = MessageId(m.id);
        let stored = delivery::StoredMessage {
            id: message_id,
            company_id,
            conversation_id: ConversationId(m.conversation_id),
            contact_id: ContactId(m.contact_id),
            channel_id: m.channel_id.map(ChannelId),
            content: &m.content,
        };
        let result = delivery::deliver_stored(db, out, &stored).await;
        match result {
            Ok(status) => tracing::info!(%message_id, %status, "automatic retry"),
            Err(e @ DomainError::WhatsappSendFailed { .. }) => {
                tracing::info!(%message_id, error = %e, "automatic retry failed")
            }
            Err(e) => tracing::warn!(%message_id, error = %e, "automatic retry could not run"),
        }
    }
    Ok(n)
}
