//! A stored message's way to WhatsApp and back: the provider call and
//! what its answer records, the provider's statuses (webhooks), automatic
//! retries of transient failures, and the sweeper for messages whose fate
//! is unknown.

use std::time::Duration;

use async_trait::async_trait;
use inbox_types::{ChannelId, CompanyId, ContactId, ConversationId, MessageId, MessageStatus, MessageText};
use sqlx::{PgConnection, PgPool};

use crate::channels::{self, Channel};
use crate::contacts::{self, Contact};
use crate::error::{DomainError, DomainResult};
use crate::messages::{self, StatusUpdate};
use crate::perf::{Operation, timed};
use crate::provider::{AcceptedSend, Dispatch, ProviderError, WhatsappProvider};

/// Serializes work on one provider message id: a webhook's status and the
/// send that records the id must not miss each other.
async fn lock_provider_id(
    conn: &mut PgConnection,
    company_id: CompanyId,
    provider_message_id: &str,
) -> DomainResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 7))")
        .bind(company_id.0.to_string())
        .bind(provider_message_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A provider on its own records each answer in its own transaction.
#[async_trait]
impl<P: WhatsappProvider> Dispatch for P {
    fn provider(&self) -> &dyn WhatsappProvider {
        self
    }

    async fn record_sent(&self, db: &PgPool, accepted: AcceptedSend) -> DomainResult<MessageStatus> {
        record_sent(db, &accepted).await
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
            let accepted = AcceptedSend { company_id, message_id, provider_message_id: receipt.id.0.clone() };
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
        && messages::schedule_retry(
            db,
            company_id,
            message_id,
            Some(code),
            &e.message,
            e.retry_after,
            out.retry_policy(),
        )
        .await?
    {
        tracing::info!(%message_id, code, "transient failure; retry scheduled");
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

/// Records `sent` with the provider's id, then any statuses that arrived for
/// that id before we knew it. Returns the message's status afterwards.
pub(crate) async fn record_sent(db: &PgPool, accepted: &AcceptedSend) -> DomainResult<MessageStatus> {
    match record_sent_together(db, std::slice::from_ref(accepted)).await {
        Ok(statuses) => Ok(statuses[0]),
        // The provider reused an id we hold for another message. The send
        // itself succeeded: record it without the id rather than leave the
        // agent looking at a clock forever.
        Err(DomainError::Internal(e))
            if e.downcast_ref::<sqlx::Error>().and_then(crate::error::violated_constraint)
                == Some("messages_provider_id_per_company") =>
        {
            let AcceptedSend { company_id, message_id, provider_message_id } = accepted;
            tracing::error!(%message_id, provider_message_id, "provider reused a message id");
            let mut tx = db.begin().await?;
            messages::update_message_status(
                &mut tx,
                *company_id,
                *message_id,
                MessageStatus::Sent,
                &Default::default(),
            )
            .await?;
            let status = messages::find(&mut *tx, *company_id, *message_id).await?.status;
            tx.commit().await?;
            Ok(status)
        }
        Err(e) => Err(e),
    }
}

/// A row of [`record_sent_together`]'s statement: a message marked `sent`,
/// or a status that arrived for it early.
#[derive(sqlx::FromRow)]
struct SentOrEarly {
    sent: bool,
    message_id: uuid::Uuid,
    status: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// Records several accepted sends in one transaction, so concurrent sends
/// share one commit: the provider ids' locks (one statement), then one
/// statement that marks every message `sent` (clearing the error of an
/// earlier transient failure) and takes out the statuses that
/// arrived early. A message no longer `sending` (the sweeper gave up on it)
/// keeps its status but learns its provider id. Returns each message's
/// status afterwards, in order. Any failure fails them all (the caller then
/// records them one by one).
pub(crate) async fn record_sent_together(db: &PgPool, accepted: &[AcceptedSend]) -> DomainResult<Vec<MessageStatus>> {
    let companies: Vec<uuid::Uuid> = accepted.iter().map(|a| a.company_id.0).collect();
    let ids: Vec<uuid::Uuid> = accepted.iter().map(|a| a.message_id.0).collect();
    let provider_ids: Vec<&str> = accepted.iter().map(|a| a.provider_message_id.as_str()).collect();
    let mut tx = db.begin().await?;
    // In a fixed order, so two transactions cannot deadlock on them.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(k) FROM \
           (SELECT DISTINCT hashtextextended(c::text || ':' || p, 7) AS k FROM unnest($1::uuid[], $2::text[]) AS t(c, p) \
             ORDER BY 1) locks",
    )
    .bind(&companies)
    .bind(&provider_ids)
    .execute(&mut *tx)
    .await?;
    let rows: Vec<SentOrEarly> = sqlx::query_as(
        "WITH t AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(c, id, p)), \
         sent AS (UPDATE messages m SET status = 'sent', provider_message_id = COALESCE(m.provider_message_id, t.p), \
                         error_code = NULL, error_message = NULL, updated_at = now() \
                    FROM t WHERE m.company_id = t.c AND m.id = t.id AND (m.status = 'sending') IS TRUE \
                  RETURNING m.id), \
         early AS (DELETE FROM pending_statuses ps USING t \
                    WHERE ps.company_id = t.c AND ps.provider_message_id = t.p \
                   RETURNING t.id, ps.status, ps.error_code, ps.error_message) \
         SELECT true AS sent, id AS message_id, NULL AS status, NULL AS error_code, NULL AS error_message FROM sent \
         UNION ALL SELECT false, id, status, error_code, error_message FROM early",
    )
    .bind(&companies)
    .bind(&ids)
    .bind(&provider_ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut statuses = Vec::with_capacity(accepted.len());
    for a in accepted {
        let sent = rows.iter().any(|r| r.sent && r.message_id == a.message_id.0);
        let mut early: Vec<(MessageStatus, Option<String>, Option<String>)> = rows
            .iter()
            .filter(|r| !r.sent && r.message_id == a.message_id.0)
            .filter_map(|r| Some((r.status.as_deref()?.parse().ok()?, r.error_code.clone(), r.error_message.clone())))
            .collect();
        if sent && early.is_empty() {
            statuses.push(MessageStatus::Sent);
            continue;
        }
        if !sent {
            // Stale: keep the status, but remember the provider id.
            let update = StatusUpdate { provider_message_id: Some(&a.provider_message_id), ..Default::default() };
            messages::update_message_status(&mut tx, a.company_id, a.message_id, MessageStatus::Sent, &update).await?;
        }
        // Apply in lifecycle order; the state machine drops what no longer fits.
        early.sort_by_key(|(s, _, _)| MessageStatus::ALL.iter().position(|x| x == s));
        for (status, code, message) in early {
            let update = StatusUpdate {
                error_code: code.as_deref(),
                error_message: message.as_deref(),
                provider_status: Some(status.as_str()),
                ..Default::default()
            };
            messages::update_message_status(&mut tx, a.company_id, a.message_id, status, &update).await?;
        }
        statuses.push(messages::find(&mut *tx, a.company_id, a.message_id).await?.status);
    }
    tx.commit().await?;
    Ok(statuses)
}

/// A status a provider reported for one of its message ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatus {
    pub provider_message_id: String,
    pub status: MessageStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Applied(MessageId),
    /// Already at or past that status: nothing changed.
    Stale(MessageId),
    /// No message has this id yet; kept until the send records it.
    Pending,
}

/// Applies a webhook's status to the company's message with that provider
/// id. Repeats and late arrivals change nothing; statuses for ids we do not
/// know yet wait in `pending_statuses`.
#[tracing::instrument(skip(db, s), fields(company_id = %company_id, provider_message_id = %s.provider_message_id, status = %s.status))]
pub async fn apply_provider_status(
    db: &PgPool,
    company_id: CompanyId,
    s: &ProviderStatus,
) -> DomainResult<StatusOutcome> {
    let mut tx = db.begin().await?;
    let outcome = apply_provider_status_in(&mut tx, company_id, s).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`apply_provider_status`] within the caller's transaction. The common
/// case, a status for a message we know that moves it forward, is one
/// UPDATE. Only when that finds nothing is the provider id's lock taken
/// (held until the transaction ends): the send recording this id may be
/// committing right now, and the status must then either see its message or
/// be left in `pending_statuses` for it, never miss both.
pub async fn apply_provider_status_in(
    tx: &mut PgConnection,
    company_id: CompanyId,
    s: &ProviderStatus,
) -> DomainResult<StatusOutcome> {
    if s.status == MessageStatus::Sending {
        return Err(DomainError::validation("status", "providers do not report `sending`"));
    }
    // Unlocked first (the common case); then under the lock, once.
    for locked in [false, true] {
        if locked {
            lock_provider_id(tx, company_id, &s.provider_message_id).await?;
        }
        let (code, message) = (s.error_code.as_deref(), s.error_message.as_deref());
        let applied =
            messages::advance_by_provider_id(tx, company_id, &s.provider_message_id, s.status, code, message).await?;
        if let Some(id) = applied {
            return Ok(StatusOutcome::Applied(id));
        }
    }
    let known: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM messages WHERE company_id = $1 AND provider_message_id = $2")
            .bind(company_id.0)
            .bind(&s.provider_message_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(id) = known {
        tracing::debug!(message_id = %id, status = %s.status, "stale status ignored");
        return Ok(StatusOutcome::Stale(MessageId(id)));
    }
    sqlx::query(
        "INSERT INTO pending_statuses (company_id, provider_message_id, status, error_code, error_message) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(company_id.0)
    .bind(&s.provider_message_id)
    .bind(s.status.as_str())
    .bind(&s.error_code)
    .bind(&s.error_message)
    .execute(&mut *tx)
    .await?;
    Ok(StatusOutcome::Pending)
}

/// Marks messages stuck in `sending` for longer than `older_than` (the
/// process died between storing and the provider's answer, or the answer
/// never came) as failed with "delivery unknown", so an agent can decide to
/// retry. Nothing is sent blindly. Returns the ids it marked.
pub async fn sweep_unknown_deliveries(db: &PgPool, older_than: Duration, limit: i64) -> DomainResult<Vec<MessageId>> {
    let ids = messages::fail_unknown_deliveries(db, older_than, limit).await?;
    if !ids.is_empty() {
        tracing::warn!(count = ids.len(), "messages with unknown delivery marked failed");
    }
    Ok(ids)
}

/// Forgets statuses that never found their message (a day is far longer
/// than any send takes).
pub async fn purge_stale_pending_statuses(db: &PgPool) -> DomainResult<u64> {
    Ok(sqlx::query("DELETE FROM pending_statuses WHERE received_at < now() - interval '1 day'")
        .execute(db)
        .await?
        .rows_affected())
}
