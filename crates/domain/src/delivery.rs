//! What happens to a message after our send request: the provider's
//! statuses (webhooks), automatic retries of transient failures, and the
//! sweeper for messages whose fate is unknown.

use std::sync::OnceLock;
use std::time::Duration;

use inbox_types::{CompanyId, MessageId, MessageStatus};
use sqlx::{PgConnection, PgPool};

use crate::error::{DomainError, DomainResult};
use crate::messages::{self, StatusUpdate};

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

/// A send the provider accepted, to be recorded as `sent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub company_id: CompanyId,
    pub message_id: MessageId,
    pub provider_message_id: String,
}

/// Records `sent` with the provider's id, then any statuses that arrived for
/// that id before we knew it. Returns the message's status afterwards.
pub(crate) async fn record_sent(db: &PgPool, accepted: &Accepted) -> DomainResult<MessageStatus> {
    match record_sent_together(db, std::slice::from_ref(accepted)).await {
        Ok(statuses) => Ok(statuses[0]),
        // The provider reused an id we hold for another message. The send
        // itself succeeded: record it without the id rather than leave the
        // agent looking at a clock forever.
        Err(DomainError::Internal(e))
            if e.downcast_ref::<sqlx::Error>().and_then(crate::error::violated_constraint)
                == Some("messages_provider_id_per_company") =>
        {
            let Accepted { company_id, message_id, provider_message_id } = accepted;
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
pub(crate) async fn record_sent_together(db: &PgPool, accepted: &[Accepted]) -> DomainResult<Vec<MessageStatus>> {
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
    if let Some(id) = advance_by_provider_id(tx, company_id, s).await? {
        return Ok(StatusOutcome::Applied(id));
    }
    lock_provider_id(tx, company_id, &s.provider_message_id).await?;
    if let Some(id) = advance_by_provider_id(tx, company_id, s).await? {
        return Ok(StatusOutcome::Applied(id));
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

/// Moves the message with this provider id to the reported status if the
/// state machine allows it (the WHERE clause, as in `messages::STATUS_UPDATE`).
async fn advance_by_provider_id(
    conn: &mut PgConnection,
    company_id: CompanyId,
    s: &ProviderStatus,
) -> DomainResult<Option<MessageId>> {
    let allowed_from: Vec<&str> = s.status.applies_after().iter().map(|s| s.as_str()).collect();
    let applied: Option<uuid::Uuid> = sqlx::query_scalar(
        "UPDATE messages SET status = $3, provider_status = $3, \
                error_code = CASE WHEN $3 = 'failed' THEN $5 END, \
                error_message = CASE WHEN $3 = 'failed' THEN $6 END, \
                updated_at = now() \
          WHERE company_id = $1 AND provider_message_id = $2 AND (status = ANY($4)) IS TRUE \
         RETURNING id",
    )
    .bind(company_id.0)
    .bind(&s.provider_message_id)
    .bind(s.status.as_str())
    .bind(&allowed_from)
    .bind(&s.error_code)
    .bind(&s.error_message)
    .fetch_optional(conn)
    .await?;
    Ok(applied.map(MessageId))
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
    // (see `messages::STATUS_UPDATE`). The exponential delay gets "equal
    // jitter" (between half and all of it), so messages that failed
    // together (a provider outage) do not all come back in the same
    // second; a provider's own Retry-After is kept as it asked.
    let scheduled = sqlx::query(
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
        == 1;
    if scheduled {
        tracing::info!(%message_id, code = error_code.unwrap_or(""), "transient failure; retry scheduled");
    }
    Ok(scheduled)
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
