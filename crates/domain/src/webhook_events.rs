//! Raw provider callbacks, kept for audit and to drop repeated deliveries.

use inbox_types::{Bsuid, ChannelId, CompanyId};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::auth::Principal;
use crate::channels::ProviderKind;
use crate::contacts;
use crate::delivery::{self, ProviderStatus};
use crate::error::{DomainError, DomainResult};
use crate::inbound::{self, InboundMessage};
use crate::users::{self, Role};

/// What storing a callback found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time we see this body.
    New(uuid::Uuid),
    /// The same body was processed successfully before: nothing to do.
    Done,
    /// The same body came before but its processing did not finish (the
    /// process died, or the database failed): process it again. Every step
    /// is idempotent, so that is safe.
    Unfinished(uuid::Uuid),
}

/// Stores a callback as received, or finds the earlier copy of the same
/// body. With `processed`, the row is stored as already processed: for a
/// caller that applies the callback in the same transaction, so the row and
/// its effects commit (or vanish) together. Only signed callbacks are kept.
async fn record_in(conn: &mut PgConnection, c: &Callback<'_>, processed: bool) -> DomainResult<Recorded> {
    let hash = Sha256::digest(c.raw).to_vec();
    let id: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, company_id, channel_id, provider, payload_sha256, payload, signature_valid, \
                                     processed_at, signer_channel_id) \
         VALUES ($1, $2, $3, $4, $5, $6, true, CASE WHEN $7 THEN now() END, $8) \
         ON CONFLICT (provider, payload_sha256) DO NOTHING RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(c.company_id.map(|c| c.0))
    .bind(c.channel_id.map(|c| c.0))
    .bind(c.provider.as_str())
    .bind(&hash)
    .bind(c.payload)
    .bind(processed)
    .bind(c.signer_channel_id.map(|c| c.0))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        return Ok(Recorded::New(id));
    }
    let (id, done): (uuid::Uuid, bool) = sqlx::query_as(
        "SELECT id, processed_at IS NOT NULL AND error IS NULL FROM webhook_events \
          WHERE provider = $1 AND payload_sha256 = $2",
    )
    .bind(c.provider.as_str())
    .bind(&hash)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if done { Recorded::Done } else { Recorded::Unfinished(id) })
}

/// Marks a stored callback processed, with what went wrong if anything did
/// (the first failure's reason names the callback's).
pub async fn finish(db: impl sqlx::PgExecutor<'_>, id: uuid::Uuid, failures: &[Unapplied]) -> DomainResult<()> {
    let error =
        (!failures.is_empty()).then(|| failures.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "));
    sqlx::query("UPDATE webhook_events SET processed_at = now(), error = $2, failure_reason = $3 WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(failures.first().map(|f| f.reason.as_str()))
        .execute(db)
        .await?;
    Ok(())
}

/// A verified callback, as it is stored.
pub struct Callback<'a> {
    pub provider: ProviderKind,
    /// The company it is for (None when that is not one company's).
    pub company_id: Option<CompanyId>,
    pub channel_id: Option<ChannelId>,
    /// The channel whose secret signed it.
    pub signer_channel_id: Option<ChannelId>,
    pub raw: &'a [u8],
    pub payload: &'a serde_json::Value,
}

/// What one event of a callback asks for; `Err` is an event we cannot take
/// (recorded with the callback, and the provider is not asked to repeat it).
pub enum Change {
    Status(CompanyId, ProviderStatus),
    Inbound(CompanyId, Box<InboundMessage>),
    /// A status named the recipient's BSUID: the contact of the message
    /// (a provider id) learns it, so the customer stays one contact if they
    /// later write without sharing their number.
    RecipientBsuid(CompanyId, String, Bsuid),
}

/// Why an event of a signed callback was not applied: always a reason of
/// ours (a channel not set up, a rule of ours it broke), never the
/// provider's, so the callback is answered 200 and kept for a replay once
/// the cause is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unapplied {
    pub reason: FailureReason,
    pub message: String,
}

/// The stable reasons of [`Unapplied`] (a metrics label and an API value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The callback names a business number no channel has.
    UnknownChannel,
    /// The sender could not be read as a `wa_id` or a BSUID.
    InvalidIdentity,
    /// Our rules or our database refused it.
    Unapplied,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownChannel => "unknown_channel",
            Self::InvalidIdentity => "invalid_identity",
            Self::Unapplied => "unapplied",
        }
    }
}

impl Unapplied {
    pub fn new(reason: FailureReason, message: impl Into<String>) -> Self {
        Unapplied { reason, message: message.into() }
    }
}

/// What storing and applying a callback came to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The stored callback (None for a repeat of one already applied).
    pub event_id: Option<uuid::Uuid>,
    /// The events that were not applied, each with its reason.
    pub failures: Vec<Unapplied>,
    /// Some failed for a fault on our side (the database): the provider
    /// should deliver the callback again (answer 5xx).
    pub deliver_again: bool,
}

async fn apply_in(conn: &mut PgConnection, change: &Change) -> Result<(), DomainError> {
    match change {
        Change::Status(company_id, s) => delivery::apply_provider_status_in(conn, *company_id, s).await.map(drop),
        Change::Inbound(company_id, m) => inbound::record_inbound_message_in(conn, *company_id, m).await.map(drop),
        Change::RecipientBsuid(company_id, provider_message_id, bsuid) => {
            contacts::learn_recipient_bsuid(conn, *company_id, provider_message_id, bsuid)
                .await
                .map_err(DomainError::from)
        }
    }
}

/// Stores a callback and applies its events. First in one transaction: the
/// stored copy (which drops repeats) and every event commit together, so a
/// status costs one commit. If any event fails, that is all undone and the
/// careful way follows: the copy stored first, then each event in its own
/// transaction, so one bad event does not stop the others. A fault on our
/// side answers 500 so the provider delivers the callback again (Meta and
/// Twilio retry on 5xx; every step is idempotent); a failure for a reason
/// of ours is kept with the callback and returned, to be counted, listed
/// and replayed.
pub async fn apply(db: &PgPool, c: Callback<'_>, changes: Vec<Result<Change, Unapplied>>) -> DomainResult<Applied> {
    let mut tx = db.begin().await?;
    let recorded = record_in(&mut tx, &c, true).await?;
    let id = match recorded {
        Recorded::Done => {
            tracing::info!("repeated webhook delivery ignored");
            return Ok(Applied::default());
        }
        Recorded::New(id) | Recorded::Unfinished(id) => id,
    };
    let mut failed = None;
    for change in changes.iter().flatten() {
        if let Err(e) = apply_in(&mut tx, change).await {
            failed = Some(e);
            break;
        }
    }
    let Some(first_failure) = failed else {
        let failures: Vec<Unapplied> = changes.into_iter().filter_map(Result::err).collect();
        if !failures.is_empty() || matches!(recorded, Recorded::Unfinished(_)) {
            finish(&mut *tx, id, &failures).await?;
        }
        tx.commit().await?;
        return Ok(Applied { event_id: Some(id), failures, deliver_again: false });
    };
    tx.rollback().await?;
    tracing::info!(error = %first_failure, "webhook events applied one by one after a failure");

    let mut conn = db.acquire().await?;
    let recorded = record_in(&mut conn, &c, false).await?;
    drop(conn);
    let id = match recorded {
        Recorded::Done => return Ok(Applied::default()),
        Recorded::New(id) | Recorded::Unfinished(id) => id,
    };
    apply_each(db, id, changes).await
}

/// Applies each event in its own transaction and records the outcome on the
/// stored callback `id`.
async fn apply_each(db: &PgPool, id: uuid::Uuid, changes: Vec<Result<Change, Unapplied>>) -> DomainResult<Applied> {
    let mut failures = Vec::new();
    let mut deliver_again = false;
    for change in changes {
        let change = match change {
            Ok(change) => change,
            Err(unapplied) => {
                failures.push(unapplied);
                continue;
            }
        };
        let applied = async {
            let mut tx = db.begin().await?;
            apply_in(&mut tx, &change).await?;
            tx.commit().await.map_err(DomainError::from)
        };
        if let Err(e) = applied.await {
            deliver_again |= !e.is_client_facing();
            failures.push(Unapplied::new(FailureReason::Unapplied, e.to_string()));
        }
    }
    finish(db, id, &failures).await?;
    Ok(Applied { event_id: Some(id), failures, deliver_again })
}

/// A stored callback whose events did not all apply.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedEvent {
    pub id: uuid::Uuid,
    pub company_id: Option<uuid::Uuid>,
    pub channel_id: Option<uuid::Uuid>,
    pub provider: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub failure_reason: Option<String>,
    pub error: Option<String>,
    pub replayed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A company's failed callbacks, newest first: for its admins only.
pub async fn failed_for_company(db: &PgPool, caller: &Principal, limit: i64) -> DomainResult<Vec<FailedEvent>> {
    let user = users::find(db, caller.company_id, caller.user_id).await?;
    if user.role != Role::Admin {
        return Err(DomainError::Forbidden("Only admins can see failed webhook events".into()));
    }
    let company_id = caller.company_id;
    Ok(sqlx::query_as(
        "SELECT id, company_id, channel_id, provider, received_at, failure_reason, error, replayed_at \
           FROM webhook_events WHERE company_id = $1 AND error IS NOT NULL \
          ORDER BY received_at DESC LIMIT $2",
    )
    .bind(company_id.0)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A failed callback to replay, with what it said.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCallback {
    pub id: uuid::Uuid,
    pub company_id: Option<uuid::Uuid>,
    pub channel_id: Option<uuid::Uuid>,
    pub signer_channel_id: Option<uuid::Uuid>,
    pub provider: String,
    pub payload: serde_json::Value,
    pub error: Option<String>,
}

/// Every failed, signed callback received since `since`, oldest first.
pub async fn failed_since(
    db: &PgPool,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> DomainResult<Vec<StoredCallback>> {
    Ok(sqlx::query_as(
        "SELECT id, company_id, channel_id, signer_channel_id, provider, payload, error FROM webhook_events \
          WHERE error IS NOT NULL AND signature_valid AND ($1::timestamptz IS NULL OR received_at >= $1) \
          ORDER BY received_at, id",
    )
    .bind(since)
    .fetch_all(db)
    .await?)
}

/// Applies a stored callback's events again (after the cause of their
/// failure was fixed) and records the new outcome. Exactly once: every
/// event is idempotent (an inbound message is recorded once per provider
/// id; a status never moves a message backwards), so events that applied
/// the first time change nothing now.
pub async fn replay(db: &PgPool, id: uuid::Uuid, changes: Vec<Result<Change, Unapplied>>) -> DomainResult<Applied> {
    sqlx::query("UPDATE webhook_events SET replayed_at = now() WHERE id = $1").bind(id).execute(db).await?;
    apply_each(db, id, changes).await
}
