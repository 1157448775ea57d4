//! Messages customers send us: recorded once per provider id, with the
//! contact and conversation made on first contact.

use chrono::{DateTime, Utc};
use inbox_types::dto::MessageDto;
use inbox_types::{
    Bsuid, ChannelId, CompanyId, ConversationId, MessageContent, MessageDirection, MessageId, MessageKind,
    MessageStatus, WaId,
};
use sqlx::{Connection, PgConnection, PgPool};

use crate::contacts::{self, Identity};
use crate::conversations::{self, LastMessage, PREVIEW_CHARS};
use crate::error::{DomainError, DomainResult};
use crate::messages::{self, NewMessage};

/// A message from a customer, as a webhook reports it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub channel_id: Option<ChannelId>,
    /// Who sent it: their BSUID, `wa_id` and username, as WhatsApp gave them.
    pub from: Identity,
    /// The sender's WhatsApp profile name, used when the contact has no name.
    pub profile_name: Option<String>,
    pub provider_message_id: String,
    /// What they sent, with everything the provider said about it.
    pub content: MessageContent,
    /// The provider's id of the message it replies to.
    pub reply_to: Option<String>,
    /// When the customer sent it, by the provider's clock (informational).
    pub sent_at: Option<DateTime<Utc>>,
    /// WhatsApp's `user_changed_number`: the customer (found by `from`, their
    /// old identity) now has this number and BSUID.
    pub number_change: Option<NumberChange>,
}

/// A customer's new identity after they changed their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberChange {
    pub wa_id: Option<WaId>,
    pub bsuid: Option<Bsuid>,
}

/// The contact of a `user_changed_number` line: the customer's contact,
/// moved to the new number, so the line lands in their conversation. When
/// no contact had the old identity (or the new number is another contact
/// already), the contact of the new identity is used.
async fn changed_number(
    conn: &mut PgConnection,
    company_id: CompanyId,
    m: &InboundMessage,
    change: &NumberChange,
) -> DomainResult<(contacts::Contact, contacts::Ensured)> {
    if let Some(moved) =
        contacts::change_number(conn, company_id, &m.from, change.wa_id.as_ref(), change.bsuid.as_ref())
            .await
            .map_err(DomainError::ContactCreateFailed)?
    {
        tracing::info!(contact_id = %moved.id, "a customer changed their WhatsApp number");
        return Ok((moved, contacts::Ensured::Found));
    }
    // No contact had the old identity, or another contact already is the
    // new one: the line goes to the new identity's contact, and the two
    // stay apart for an admin to merge (`inbox doctor --merge`).
    tracing::warn!(
        provider_message_id = %m.provider_message_id,
        "a customer's number change could not move their contact; the line goes to the new number's contact"
    );
    let new = Identity { wa_id: change.wa_id.clone(), bsuid: change.bsuid.clone(), ..Identity::default() };
    let who = if new.wa_id.is_some() || new.bsuid.is_some() { &new } else { &m.from };
    contacts::ensure(conn, company_id, who, m.profile_name.as_deref(), None)
        .await
        .map_err(DomainError::ContactCreateFailed)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    Recorded {
        message: Box<MessageDto>,
        conversation_id: ConversationId,
        created_contact: bool,
        created_conversation: bool,
    },
    /// The provider delivered this message before; nothing changed.
    Duplicate(MessageId),
}

/// `recordInboundMessage`: stores the message, adds one to the
/// conversation's unread count and moves it to the top of the list. A
/// repeated provider id changes nothing.
#[tracing::instrument(skip(db, m), fields(company_id = %company_id, provider_message_id = %m.provider_message_id))]
pub async fn record_inbound_message(
    db: &PgPool,
    company_id: CompanyId,
    m: &InboundMessage,
) -> DomainResult<InboundOutcome> {
    let mut tx = db.begin().await?;
    let outcome = record_inbound_message_in(&mut tx, company_id, m).await?;
    tx.commit().await.map_err(DomainError::MessageInsertFailed)?;
    Ok(outcome)
}

/// [`record_inbound_message`] within the caller's transaction; its writes
/// are undone by a savepoint when a concurrent delivery of the same message
/// wins, so the caller's transaction stays usable.
pub async fn record_inbound_message_in(
    conn: &mut PgConnection,
    company_id: CompanyId,
    m: &InboundMessage,
) -> DomainResult<InboundOutcome> {
    if m.provider_message_id.trim().is_empty() {
        return Err(DomainError::validation("providerMessageId", "an inbound message needs the provider's id"));
    }
    if let Some(existing) = find_by_provider_id(conn, company_id, &m.provider_message_id).await? {
        return Ok(InboundOutcome::Duplicate(existing));
    }
    let mut tx = conn.begin().await?;
    let (contact, contact_ensured) = match m.number_change.as_ref() {
        Some(change) => changed_number(&mut tx, company_id, m, change).await?,
        None => contacts::ensure(&mut tx, company_id, &m.from, m.profile_name.as_deref(), None)
            .await
            .map_err(DomainError::ContactCreateFailed)?,
    };
    let message_id = MessageId::new();
    let preview = inbox_types::text::preview(&m.content.rendering(), PREVIEW_CHARS);
    // A system line is news about the customer, not a message to answer.
    let unread_increment = if m.content.kind() == MessageKind::System { 0 } else { 1 };
    let last = LastMessage { id: message_id, preview: &preview, unread_increment };
    let (conversation, conversation_ensured) =
        conversations::upsert(&mut tx, company_id, contact.id, None, Some(last), None)
            .await
            .map_err(DomainError::ConversationCreateFailed)?;
    let conversation_id = ConversationId(conversation.id);
    let new = NewMessage {
        id: message_id,
        company_id,
        conversation_id,
        contact_id: contact.id,
        channel_id: m.channel_id,
        direction: MessageDirection::Inbound,
        status: MessageStatus::Delivered,
        content: m.content.clone(),
        reply_to: m.reply_to.as_deref(),
        provider_message_id: Some(&m.provider_message_id),
        client_key: None,
        created_by: None,
        created_at: Some(conversation.last_message_time),
    };
    let Some(message) = messages::insert(&mut *tx, &new).await.map_err(DomainError::MessageInsertFailed)? else {
        // A concurrent delivery of the same message won the race: undo the
        // contact and conversation changes, report the winner's message.
        tx.rollback().await?;
        let existing = find_by_provider_id(conn, company_id, &m.provider_message_id).await?;
        return existing
            .map(InboundOutcome::Duplicate)
            .ok_or_else(|| DomainError::internal("inbound duplicate vanished"));
    };
    tx.commit().await.map_err(DomainError::MessageInsertFailed)?;
    tracing::info!(event = "message.received", message_id = %message.id, %conversation_id);
    Ok(InboundOutcome::Recorded {
        message: Box::new(message),
        conversation_id,
        created_contact: contact_ensured.created(),
        created_conversation: conversation_ensured.created(),
    })
}

async fn find_by_provider_id(
    conn: &mut sqlx::PgConnection,
    company_id: CompanyId,
    provider_message_id: &str,
) -> DomainResult<Option<MessageId>> {
    let id: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM messages WHERE company_id = $1 AND provider_message_id = $2")
            .bind(company_id.0)
            .bind(provider_message_id)
            .fetch_optional(conn)
            .await?;
    Ok(id.map(MessageId))
}
