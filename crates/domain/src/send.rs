//! The send flow (plan 6.2, 6.3): validate, ensure contact and conversation,
//! store the message as `sending` and the conversation's last message in one
//! transaction, then call the provider outside it and record the outcome.

use inbox_types::dto::ClientKey;
use inbox_types::dto::{NewMessage as ValidNewMessage, SendNewMessageOutput, SentMessage};
use inbox_types::{
    ChannelId, CompanyId, ContactId, ConversationId, E164Phone, MessageDirection, MessageId, MessageStatus,
    MessageText, UserId,
};
use sqlx::PgPool;

use crate::channels::{self, Channel};
use crate::contacts::{self, Contact, Ensured, Identity};
use crate::conversations::{self, LastMessage, PREVIEW_CHARS};
use crate::delivery;
use crate::error::{DomainError, DomainResult, violated_constraint};
use crate::messages::{self, NewMessage, StatusUpdate};
use crate::outbox::Dispatch;
use crate::perf::{Operation, timed};
use crate::provider::ProviderError;

/// Who is sending: the user behind the session or API token (for the audit
/// columns), within their company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub company_id: CompanyId,
    pub user_id: Option<UserId>,
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
) -> DomainResult<SendNewMessageOutput> {
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
) -> DomainResult<SendNewMessageOutput> {
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
) -> DomainResult<SendNewMessageOutput> {
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
    let last = LastMessage { id: message_id, preview: &preview, unread_increment: 0 };
    let (conversation, ensured) = timed(
        Operation::EnsureConversation,
        conversations::upsert(&mut tx, company_id, contact_id, actor.user_id, Some(last)),
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

    let status = deliver(db, out, &channel, &contact, message_id, conversation_id, text).await?;
    tracing::info!(event = "message.sent", %message_id, %conversation_id, contact_id = %contact_id);
    Ok(SendNewMessageOutput {
        success: true,
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

/// Calls the provider for a stored `sending` message and records `sent` with
/// the provider's id, and what WhatsApp said of the recipient on the
/// contact. A transient failure schedules an automatic retry (the message
/// stays `sending`) until the attempts run out; a permanent one, or the
/// last attempt, records `failed` with the provider's error.
pub(crate) async fn deliver(
    db: &PgPool,
    out: &dyn Dispatch,
    channel: &Channel,
    contact: &Contact,
    message_id: MessageId,
    conversation_id: ConversationId,
    text: &MessageText,
) -> DomainResult<MessageStatus> {
    let company_id = contact.company_id;
    let answer = match contact.recipient() {
        Some(to) => timed(Operation::WhatsappSend, out.provider().send_text(channel, &to, text)).await,
        // The schema refuses such a contact; kept as a clear failure, not a panic.
        None => Err(ProviderError::permanent(None, "This contact has no WhatsApp number or id to send to.")),
    };
    let e = match answer {
        Ok(receipt) => {
            let accepted = delivery::Accepted { company_id, message_id, provider_message_id: receipt.id.0.clone() };
            // `sent` first: the contact's new ids can wait, the message cannot.
            let status = out.record_sent(db, accepted).await;
            contacts::learn_from_receipt(db, contact, &receipt).await;
            return status;
        }
        Err(e) => e,
    };
    // Whether the provider took it is unknown: not resent automatically
    // (that could deliver it twice); the agent sees DELIVERY_UNKNOWN.
    let code = match e.code.as_deref() {
        _ if e.is_unknown() => "DELIVERY_UNKNOWN",
        Some(code) => code,
        None => "WHATSAPP_SEND_FAILED",
    };
    if e.is_transient()
        && delivery::schedule_retry(db, company_id, message_id, Some(code), &e.message, e.retry_after).await?
    {
        return Ok(MessageStatus::Sending);
    }
    let update = StatusUpdate { error_code: Some(code), error_message: Some(&e.message), ..Default::default() };
    let mut conn = db.acquire().await?;
    messages::update_message_status(&mut conn, company_id, message_id, MessageStatus::Failed, &update).await?;
    tracing::warn!(
        event = "message.failed",
        %message_id,
        provider_code = e.code.as_deref().unwrap_or(""),
        transient = e.is_transient(),
        reason = %e.message,
    );
    Err(DomainError::WhatsappSendFailed {
        message_id: message_id.0,
        conversation_id: conversation_id.0,
        provider_code: e.code.clone(),
        reason: e.message.clone(),
        transient: e.is_transient(),
    })
}

/// A stored outbound message, claimed for a provider call.
pub(crate) struct StoredMessage<'a> {
    pub id: MessageId,
    pub company_id: CompanyId,
    pub conversation_id: ConversationId,
    pub contact_id: ContactId,
    pub channel_id: Option<ChannelId>,
    pub content: &'a str,
}

/// Sends a stored message again (an agent's retry or an automatic one):
/// through the channel it was sent on, else the company's default.
pub(crate) async fn deliver_stored(
    db: &PgPool,
    out: &dyn Dispatch,
    m: &StoredMessage<'_>,
) -> DomainResult<MessageStatus> {
    let mut conn = db.acquire().await?;
    let channel = match m.channel_id {
        Some(id) => channels::find(&mut *conn, m.company_id, id).await?,
        None => channels::default_for_company(&mut *conn, m.company_id).await?,
    };
    let contact = contacts::find(&mut conn, m.company_id, m.contact_id).await?;
    drop(conn);
    let text = MessageText::parse(m.content)?;
    deliver(db, out, &channel, &contact, m.id, m.conversation_id, &text).await
}

#[derive(sqlx::FromRow)]
struct ClaimedRetry {
    conversation_id: uuid::Uuid,
    contact_id: uuid::Uuid,
    channel_id: Option<uuid::Uuid>,
    content: String,
    created_at: chrono::DateTime<chrono::Utc>,
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
) -> DomainResult<SendNewMessageOutput> {
    let company_id = actor.company_id;
    let mut conn = db.acquire().await?;
    let claimed: Option<ClaimedRetry> = sqlx::query_as(
        "UPDATE messages SET status = 'sending', error_code = NULL, error_message = NULL, \
                attempts = attempts + 1, updated_at = now(), updated_by = COALESCE($3, updated_by) \
          WHERE company_id = $1 AND id = $2 AND status = 'failed' AND direction = 'outbound' AND is_active \
         RETURNING conversation_id, contact_id, channel_id, content, created_at",
    )
    .bind(company_id.0)
    .bind(message_id.0)
    .bind(actor.user_id.map(|u| u.0))
    .fetch_optional(&mut *conn)
    .await?;
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
    let stored = StoredMessage {
        id: message_id,
        company_id,
        conversation_id: ConversationId(claimed.conversation_id),
        contact_id: ContactId(claimed.contact_id),
        channel_id: claimed.channel_id.map(ChannelId),
        content: &claimed.content,
    };
    let status = deliver_stored(db, out, &stored).await?;
    Ok(SendNewMessageOutput {
        success: true,
        conversation_id: claimed.conversation_id,
        contact_id: claimed.contact_id,
        message_id: message_id.0,
        created_contact: false,
        created_conversation: false,
        message: SentMessage { id: message_id.0, status, content: claimed.content, created_at: claimed.created_at },
    })
}

#[derive(sqlx::FromRow)]
struct DueRetry {
    id: uuid::Uuid,
    company_id: uuid::Uuid,
    conversation_id: uuid::Uuid,
    contact_id: uuid::Uuid,
    channel_id: Option<uuid::Uuid>,
    content: String,
}

/// Sends the messages whose retry is due, at most `limit`; returns how many
/// were attempted. Rows are claimed with SKIP LOCKED, so any number of
/// processes can run this without sending a message twice.
pub async fn run_due_retries(db: &PgPool, out: &dyn Dispatch, limit: i64) -> DomainResult<usize> {
    let due: Vec<DueRetry> = sqlx::query_as(
        "UPDATE messages m SET next_attempt_at = NULL, attempts = m.attempts + 1, updated_at = now() \
           FROM (SELECT id FROM messages \
                  WHERE status = 'sending' AND next_attempt_at <= now() \
                  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) d \
          WHERE m.id = d.id \
         RETURNING m.id, m.company_id, m.conversation_id, m.contact_id, m.channel_id, m.content",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    let n = due.len();
    for m in due {
        let company_id = CompanyId(m.company_id);
        let message_id = MessageId(m.id);
        let stored = StoredMessage {
            id: message_id,
            company_id,
            conversation_id: ConversationId(m.conversation_id),
            contact_id: ContactId(m.contact_id),
            channel_id: m.channel_id.map(ChannelId),
            content: &m.content,
        };
        let result = deliver_stored(db, out, &stored).await;
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
