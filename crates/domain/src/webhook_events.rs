//! Raw provider callbacks, kept for audit and to drop repeated deliveries.

use inbox_types::{ChannelId, CompanyId};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::channels::ProviderKind;
use crate::delivery::{self, ProviderStatus};
use crate::error::{DomainError, DomainResult};
use crate::inbound::{self, InboundMessage};

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
/// its effects commit (or vanish) together.
#[allow(clippy::too_many_arguments)]
async fn record_in(
    conn: &mut PgConnection,
    provider: ProviderKind,
    company_id: Option<CompanyId>,
    channel_id: Option<ChannelId>,
    raw: &[u8],
    payload: &serde_json::Value,
    signature_valid: bool,
    processed: bool,
) -> DomainResult<Recorded> {
    let hash = Sha256::digest(raw).to_vec();
    let id: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, company_id, channel_id, provider, payload_sha256, payload, signature_valid, \
                                     processed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END) \
         ON CONFLICT (provider, payload_sha256) DO NOTHING RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(company_id.map(|c| c.0))
    .bind(channel_id.map(|c| c.0))
    .bind(provider.as_str())
    .bind(&hash)
    .bind(payload)
    .bind(signature_valid)
    .bind(processed)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        return Ok(Recorded::New(id));
    }
    let (id, done): (uuid::Uuid, bool) = sqlx::query_as(
        "SELECT id, processed_at IS NOT NULL AND error IS NULL FROM webhook_events \
          WHERE provider = $1 AND payload_sha256 = $2",
    )
    .bind(provider.as_str())
    .bind(&hash)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if done { Recorded::Done } else { Recorded::Unfinished(id) })
}

/// Marks a stored callback processed, with what went wrong if anything did.
pub async fn finish(db: impl sqlx::PgExecutor<'_>, id: uuid::Uuid, error: Option<&str>) -> DomainResult<()> {
    sqlx::query("UPDATE webhook_events SET processed_at = now(), error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// A verified callback, as it is stored.
pub struct Callback<'a> {
    pub provider: ProviderKind,
    pub company_id: Option<CompanyId>,
    pub channel_id: Option<ChannelId>,
    pub raw: &'a [u8],
    pub payload: &'a serde_json::Value,
}

/// What one event of a callback asks for; `Err` is an event we cannot take
/// (recorded with the callback, and the provider is not asked to repeat it).
pub enum Change {
    Status(CompanyId, ProviderStatus),
    Inbound(CompanyId, InboundMessage),
}

async fn apply_in(conn: &mut PgConnection, change: &Change) -> Result<(), DomainError> {
    match change {
        Change::Status(company_id, s) => delivery::apply_provider_status_in(conn, *company_id, s).await.map(drop),
        Change::Inbound(company_id, m) => inbound::record_inbound_message_in(conn, *company_id, m).await.map(drop),
    }
}

/// Stores a callback and applies its events. First in one transaction: the
/// stored copy (which drops repeats) and every event commit together, so a
/// status costs one commit. If any event fails, that is all undone and the
/// careful way follows: the copy stored first, then each event in its own
/// transaction, so one bad event does not stop the others. A fault on our
/// side answers 500 so the provider delivers the callback again (Meta and
/// Twilio retry on 5xx; every step is idempotent).
pub async fn apply(db: &PgPool, c: Callback<'_>, changes: Vec<Result<Change, String>>) -> DomainResult<()> {
    let mut problems: Vec<String> = changes.iter().filter_map(|c| c.as_ref().err().cloned()).collect();
    let mut tx = db.begin().await?;
    let recorded = record_in(&mut tx, c.provider, c.company_id, c.channel_id, c.raw, c.payload, true, true).await?;
    let id = match recorded {
        Recorded::Done => {
            tracing::info!("repeated webhook delivery ignored");
            return Ok(());
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
        if !problems.is_empty() || matches!(recorded, Recorded::Unfinished(_)) {
            let error = (!problems.is_empty()).then(|| problems.join("; "));
            finish(&mut *tx, id, error.as_deref()).await?;
        }
        tx.commit().await?;
        return Ok(());
    };
    tx.rollback().await?;
    tracing::info!(error = %first_failure, "webhook events applied one by one after a failure");

    let mut conn = db.acquire().await?;
    let recorded = record_in(&mut conn, c.provider, c.company_id, c.channel_id, c.raw, c.payload, true, false).await?;
    drop(conn);
    let id = match recorded {
        Recorded::Done => return Ok(()),
        Recorded::New(id) | Recorded::Unfinished(id) => id,
    };
    let mut retry_later = false;
    for change in changes.iter().flatten() {
        let applied = async {
            let mut tx = db.begin().await?;
            apply_in(&mut tx, change).await?;
            tx.commit().await.map_err(DomainError::from)
        };
        if let Err(e) = applied.await {
            tracing::warn!(error = %e, "webhook event not applied");
            retry_later |= !e.is_client_facing();
            problems.push(e.to_string());
        }
    }
    let error = (!problems.is_empty()).then(|| problems.join("; "));
    finish(db, id, error.as_deref()).await?;
    if retry_later {
        return Err(DomainError::internal("a webhook event could not be applied; deliver it again"));
    }
    Ok(())
}
