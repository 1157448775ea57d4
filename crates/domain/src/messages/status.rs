//! The message status state machine in SQL. Every statement that moves a
//! message's status guards it with the statuses `inbox_types::MessageStatus`
//! allows it to come from (`applies_after`, `retryable`), so the type and
//! the database cannot disagree (a test walks every pair through both).
//!
//! Statements that look for `sending` messages by status keep the literal:
//! the planner can use the partial index `messages_sending` only then.

use std::time::Duration;

use inbox_types::{CompanyId, MessageId, MessageStatus, UserId};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::error::{DomainError, DomainResult};
use crate::provider::RetryPolicy;

/// What a status update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Applied,
    /// The message was already at or past that status: nothing changed, and
    /// that is not an error (webhooks repeat and arrive out of order).
    Ignored,
}

/// An update reported for a message: by the provider's answer or a webhook.
#[derive(Debug, Clone, Default)]
pub struct StatusUpdate<'a> {
    pub provider_message_id: Option<&'a str>,
    pub provider_status: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
}

/// The one status UPDATE, for a message named by `$key` (our id or the
/// provider's): moves it to `$3` if its status is one of `$4`. The status
/// test is wrapped in `IS TRUE` (same meaning in a WHERE clause) so the
/// planner cannot read it as matching the partial index of `sending`
/// messages: with statistics taken when few messages were in flight it
/// would otherwise scan every in-flight message instead of looking the id
/// up (seen at 37 ms per update under load in the benchmark). `schema.rs`
/// tests the plan.
macro_rules! status_update {
    ($key:literal) => {
        concat!(
            "UPDATE messages SET status = $3, \
                    provider_message_id = COALESCE(provider_message_id, $5), \
                    provider_status = COALESCE($6, provider_status), \
                    error_code = CASE WHEN $3 = 'failed' THEN $7 END, \
                    error_message = CASE WHEN $3 = 'failed' THEN $8 END, \
                    updated_at = now() \
              WHERE company_id = $1 AND ",
            $key,
            " = $2 AND (status = ANY($4)) IS TRUE RETURNING id"
        )
    };
}

/// [`status_update!`] by our id.
pub const STATUS_UPDATE: &str = status_update!("id");
/// [`status_update!`] by the provider's id (a webhook's status).
const STATUS_UPDATE_BY_PROVIDER_ID: &str = status_update!("provider_message_id");

fn names(statuses: &[MessageStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// `updateMessageStatus` of the plan, monotonic: the update applies only
/// when `status` may follow the message's current status (see
/// [`MessageStatus::applies_after`]). The provider id is recorded even when
/// the status itself is stale, so later webhooks can find the message.
#[tracing::instrument(skip(conn, update))]
pub async fn update_message_status(
    conn: &mut PgConnection,
    company_id: CompanyId,
    id: MessageId,
    status: MessageStatus,
    update: &StatusUpdate<'_>,
) -> DomainResult<StatusChange> {
    // The WHERE clause is the state machine: PostgreSQL re-checks it against
    // the latest row version when a concurrent update got there first.
    let applied: Option<uuid::Uuid> = sqlx::query_scalar(STATUS_UPDATE)
        .bind(company_id.0)
        .bind(id.0)
        .bind(status.as_str())
        .bind(names(status.applies_after()))
        .bind(update.provider_message_id)
        .bind(update.provider_status)
        .bind(update.error_code)
        .bind(update.error_message)
        .fetch_optional(&mut *conn)
        .await?;
    if applied.is_some() {
        return Ok(StatusChange::Applied);
    }
    // Stale: keep the status, but remember the provider id if we lacked it.
    // A repeated webhook (the common stale case) only reads.
    if let Some(provider_id) = update.provider_message_id {
        let recorded = sqlx::query(
            "UPDATE messages SET provider_message_id = $3 \
              WHERE company_id = $1 AND id = $2 AND provider_message_id IS NULL",
        )
        .bind(company_id.0)
        .bind(id.0)
        .bind(provider_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if recorded {
            tracing::debug!(message_id = %id, %status, "stale status ignored, provider id recorded");
            return Ok(StatusChange::Ignored);
        }
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM messages WHERE company_id = $1 AND id = $2)")
        .bind(company_id.0)
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Err(DomainError::NotFound("message"));
    }
    tracing::debug!(message_id = %id, %status, "stale status ignored");
    Ok(StatusChange::Ignored)
}

/// Moves the message with this provider id to a provider-reported status
/// if the state machine allows it; the message's id when it did.
pub(crate) async fn advance_by_provider_id(
    conn: &mut PgConnection,
    company_id: CompanyId,
    provider_message_id: &str,
    status: MessageStatus,
    error_code: Option<&str>,
    error_message: Option<&str>,
) -> DomainResult<Option<MessageId>> {
    let applied: Option<uuid::Uuid> = sqlx::query_scalar(STATUS_UPDATE_BY_PROVIDER_ID)
        .bind(company_id.0)
        .bind(provider_message_id)
        .bind(status.as_str())
        .bind(names(status.applies_after()))
        .bind(None::<&str>)
        .bind(status.as_str())
        .bind(error_code)
        .bind(error_message)
        .fetch_optional(conn)
        .await?;
    Ok(applied.map(MessageId))
}

/// A failed outbound message claimed for an agent's retry.
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimedRetry {
    pub conversation_id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub channel_id: Option<uuid::Uuid>,
    pub content: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Takes a retryable (failed) outbound message back to `sending`, clearing
/// its error; `None` when it is not one. An agent's retry starts a fresh
/// series of attempts (this one is the first): the automatic ones of the
/// earlier series may all have been used up.
pub async fn claim_retry(
    db: impl PgExecutor<'_>,
    company_id: CompanyId,
    id: MessageId,
    by: Option<UserId>,
) -> DomainResult<Option<ClaimedRetry>> {
    debug_assert!(MessageStatus::retryable().iter().all(|from| from.can_move_to(MessageStatus::Sending)));
    Ok(sqlx::query_as(
        "UPDATE messages SET status = $4, error_code = NULL, error_message = NULL, \
                attempts = 1, next_attempt_at = NULL, updated_at = now(), updated_by = COALESCE($3, updated_by) \
          WHERE company_id = $1 AND id = $2 AND status = ANY($5) AND direction = 'outbound' AND is_active \
         RETURNING conversation_id, contact_id, channel_id, content, created_at",
    )
    .bind(company_id.0)
    .bind(id.0)
    .bind(by.map(|u| u.0))
    .bind(MessageStatus::Sending.as_str())
    .bind(names(MessageStatus::retryable()))
    .fetch_optional(db)
    .await?)
}

/// A `sending` message whose automatic retry is due, claimed.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DueRetry {
    pub id: uuid::Uuid,
    pub company_id: uuid::Uuid,
    pub conversation_id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub channel_id: Option<uuid::Uuid>,
    pub content: String,
}

/// Claims up to `limit` messages whose automatic retry is due (SKIP LOCKED:
/// any number of processes can run this without sending one twice).
pub(crate) async fn claim_due_retries(db: &PgPool, limit: i64) -> DomainResult<Vec<DueRetry>> {
    Ok(sqlx::query_as(
        "UPDATE messages m SET next_attempt_at = NULL, attempts = m.attempts + 1, updated_at = now() \
           FROM (SELECT id FROM messages \
                  WHERE status = 'sending' AND next_attempt_at <= now() \
                  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) d \
          WHERE m.id = d.id \
         RETURNING m.id, m.company_id, m.conversation_id, m.contact_id, m.channel_id, m.content",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// After a transient failure: schedules the next attempt of a `sending`
/// message, or returns false when the policy's attempts are used up.
pub(crate) async fn schedule_retry(
    db: &PgPool,
    company_id: CompanyId,
    message_id: MessageId,
    error_code: Option<&str>,
    error_message: &str,
    retry_after: Option<Duration>,
    policy: RetryPolicy,
) -> DomainResult<bool> {
    // `IS TRUE`: look the id up, not the partial index of sending messages
    // (see [`STATUS_UPDATE`]). The exponential delay gets "equal jitter"
    // (between half and all of it), so messages that failed together (a
    // provider outage) do not all come back in the same second; a
    // provider's own Retry-After is kept as it asked.
    Ok(sqlx::query(
        "UPDATE messages SET \
            next_attempt_at = now() + make_interval(secs => LEAST($6, COALESCE($5, \
                $7 * power(2, attempts - 1) * (0.5 + random() / 2)))), \
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
        == 1)
}

/// The sweeper: marks up to `limit` messages stuck in `sending` (no retry
/// scheduled) for longer than `older_than` as failed, DELIVERY_UNKNOWN.
pub(crate) async fn fail_unknown_deliveries(
    db: &PgPool,
    older_than: Duration,
    limit: i64,
) -> DomainResult<Vec<MessageId>> {
    debug_assert!(MessageStatus::Sending.can_move_to(MessageStatus::Failed));
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
    Ok(ids.into_iter().map(MessageId).collect())
}
