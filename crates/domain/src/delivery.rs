//! What happens to a message after our send request: the provider's
//! statuses (webhooks), automatic retries of transient failures, and the
//! sweeper for messages whose fate is unknown.

use std::sync::OnceLock;
use std::time::Duration;

use inbox_types::{ChannelId, CompanyId, ContactId, ConversationId, MessageId, MessageStatus};
use sqlx::{PgConnection, PgPool};

use crate::error::{DomainError, DomainResult};
use crate::messages::{self, StatusChange, StatusUpdate};
use crate::provider::WhatsappProvider;

/// How transient provider failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Provider calls per message before it is marked failed (the first send included).
    pub max_attempts: i32,
    /// Wait before the second attempt; doubled for each later one.
    pub base_delay: Duration,
    /// The longest wait between attempts, also for a provider's Retry-After.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, base_delay: Duration::from_secs(2), max_delay: Duration::from_secs(300) }
    }
}

static POLICY: OnceLock<RetryPolicy> = OnceLock::new();

/// Sets the process's retry policy (from configuration, at start).
pub fn configure_retries(policy: RetryPolicy) {
    let _ = POLICY.set(policy);
}

pub fn retry_policy() -> RetryPolicy {
    POLICY.get().copied().unwrap_or_default()
}

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

/// Records `sent` with the provider's id, then any statuses that arrived for
/// that id before we knew it. Returns the message's status afterwards.
pub(crate) async fn record_sent(
    db: &PgPool,
    company_id: CompanyId,
    message_id: MessageId,
    provider_message_id: &str,
) -> DomainResult<MessageStatus> {
    let mut tx = db.begin().await?;
    lock_provider_id(&mut tx, company_id, provider_message_id).await?;
    let update = StatusUpdate { provider_message_id: Some(provider_message_id), ..Default::default() };
    match messages::update_message_status(&mut tx, company_id, message_id, MessageStatus::Sent, &update).await {
        // The provider reused an id we hold for another message. The send
        // itself succeeded: record it without the id rather than leave the
        // agent looking at a clock forever.
        Err(DomainError::Internal(e))
            if e.downcast_ref::<sqlx::Error>().and_then(crate::error::violated_constraint)
                == Some("messages_provider_id_per_company") =>
        {
            tracing::error!(%message_id, provider_message_id, "provider reused a message id");
            drop(tx);
            tx = db.begin().await?;
            messages::update_message_status(&mut tx, company_id, message_id, MessageStatus::Sent, &Default::default())
                .await?
        }
        other => other?,
    };
    apply_pending(&mut tx, company_id, message_id, provider_message_id).await?;
    // A webhook may have moved it further already: report where it is.
    let status = messages::find(&mut *tx, company_id, message_id).await?.status;
    tx.commit().await?;
    Ok(status)
}

async fn apply_pending(
    conn: &mut PgConnection,
    company_id: CompanyId,
    message_id: MessageId,
    provider_message_id: &str,
) -> DomainResult<()> {
    let pending: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "DELETE FROM pending_statuses WHERE company_id = $1 AND provider_message_id = $2 \
         RETURNING status, error_code, error_message",
    )
    .bind(company_id.0)
    .bind(provider_message_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut pending: Vec<(MessageStatus, Option<String>, Option<String>)> =
        pending.into_iter().filter_map(|(s, c, m)| s.parse::<MessageStatus>().ok().map(|s| (s, c, m))).collect();
    // Apply in lifecycle order; the state machine drops what no longer fits.
    pending.sort_by_key(|(s, _, _)| MessageStatus::ALL.iter().position(|x| x == s));
    for (status, code, message) in pending {
        let update = StatusUpdate {
            error_code: code.as_deref(),
            error_message: message.as_deref(),
            provider_status: Some(status.as_str()),
            ..Default::default()
        };
        messages::update_message_status(conn, company_id, message_id, status, &update).await?;
    }
    Ok(())
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
    if s.status == MessageStatus::Sending {
        return Err(DomainError::validation("status", "providers do not report `sending`"));
    }
    let mut tx = db.begin().await?;
    lock_provider_id(&mut tx, company_id, &s.provider_message_id).await?;
    let id: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM messages WHERE company_id = $1 AND provider_message_id = $2")
            .bind(company_id.0)
            .bind(&s.provider_message_id)
            .fetch_optional(&mut *tx)
            .await?;
    let outcome = match id.map(MessageId) {
        Some(id) => {
            let update = StatusUpdate {
                provider_status: Some(s.status.as_str()),
                error_code: s.error_code.as_deref(),
                error_message: s.error_message.as_deref(),
                ..Default::default()
            };
            match messages::update_message_status(&mut tx, company_id, id, s.status, &update).await? {
                StatusChange::Applied => StatusOutcome::Applied(id),
                StatusChange::Ignored => StatusOutcome::Stale(id),
            }
        }
        None => {
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
            StatusOutcome::Pending
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// After a transient failure: schedules the next attempt, or returns false
/// when the attempts are used up (the caller then marks it failed).
pub(crate) async fn schedule_retry(
    db: &PgPool,
    company_id: CompanyId,
    message_id: MessageId,
    error_code: Option<&str>,
    error_message: &str,
    retry_after: Option<Duration>,
) -> DomainResult<bool> {
    let policy = retry_policy();
    // `IS TRUE`: look the id up, not the partial index of sending messages
    // (see `messages::STATUS_UPDATE`).
    let scheduled = sqlx::query(
        "UPDATE messages SET \
            next_attempt_at = now() + make_interval(secs => LEAST($6, COALESCE($5, $7 * power(2, attempts - 1)))), \
            error_code = $3, error_message = $4, updated_at = now() \
          WHERE company_id = $1 AND id = $2 AND (status = 'sending') IS TRUE AND attempts < $8",
    )
    .bind(company_id.0)
    .bind(message_id.0)
    .bind(error_code)
    .bind(error_message)
    .bind(retry_after.map(|d| d.as_secs_f64()))
    .bind(policy.max_delay.as_secs_f64())
    .bind(policy.base_delay.as_secs_f64())
    .bind(policy.max_attempts)
    .execute(db)
    .await?
    .rows_affected()
        == 1;
    if scheduled {
        tracing::info!(%message_id, code = error_code.unwrap_or(""), "transient failure; retry scheduled");
    }
    Ok(scheduled)
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
pub async fn run_due_retries(db: &PgPool, provider: &dyn WhatsappProvider, limit: i64) -> DomainResult<usize> {
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
        let stored = crate::send::StoredMessage {
            id: message_id,
            company_id,
            conversation_id: ConversationId(m.conversation_id),
            contact_id: ContactId(m.contact_id),
            channel_id: m.channel_id.map(ChannelId),
            content: &m.content,
        };
        let result = crate::send::deliver_stored(db, provider, &stored).await;
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

/// Marks messages stuck in `sending` for longer than `older_than` (the
/// process died between storing and the provider's answer, or the answer
/// never came) as failed with "delivery unknown", so an agent can decide to
/// retry. Nothing is sent blindly. Returns the ids it marked.
pub async fn sweep_unknown_deliveries(db: &PgPool, older_than: Duration, limit: i64) -> DomainResult<Vec<MessageId>> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "UPDATE messages m SET status = 'failed', error_code = 'DELIVERY_UNKNOWN', \
                error_message = 'No answer from WhatsApp; the message may not have been delivered. Retry to send it again.', \
                updated_at = now() \
           FROM (SELECT id FROM messages \
                  WHERE status = 'sending' AND next_attempt_at IS NULL \
                    AND updated_at < now() - make_interval(secs => $1) \
                  ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) s \
          WHERE m.id = s.id AND m.status = 'sending' \
         RETURNING m.id",
    )
    .bind(older_than.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await?;
    if !ids.is_empty() {
        tracing::warn!(count = ids.len(), "messages with unknown delivery marked failed");
    }
    Ok(ids.into_iter().map(MessageId).collect())
}

/// Forgets statuses that never found their message (a day is far longer
/// than any send takes).
pub async fn purge_stale_pending_statuses(db: &PgPool) -> DomainResult<u64> {
    Ok(sqlx::query("DELETE FROM pending_statuses WHERE received_at < now() - interval '1 day'")
        .execute(db)
        .await?
        .rows_affected())
}
