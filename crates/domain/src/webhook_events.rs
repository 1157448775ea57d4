//! Raw provider callbacks, kept for audit and to drop repeated deliveries.

use inbox_types::{ChannelId, CompanyId};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::channels::ProviderKind;
use crate::error::DomainResult;

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

/// Stores a callback as received, or finds the earlier copy of the same body.
pub async fn record(
    db: &PgPool,
    provider: ProviderKind,
    company_id: Option<CompanyId>,
    channel_id: Option<ChannelId>,
    raw: &[u8],
    payload: &serde_json::Value,
    signature_valid: bool,
) -> DomainResult<Recorded> {
    let hash = Sha256::digest(raw).to_vec();
    let id: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, company_id, channel_id, provider, payload_sha256, payload, signature_valid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (provider, payload_sha256) DO NOTHING RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(company_id.map(|c| c.0))
    .bind(channel_id.map(|c| c.0))
    .bind(provider.as_str())
    .bind(&hash)
    .bind(payload)
    .bind(signature_valid)
    .fetch_optional(db)
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
    .fetch_one(db)
    .await?;
    Ok(if done { Recorded::Done } else { Recorded::Unfinished(id) })
}

/// Marks a stored callback processed, with what went wrong if anything did.
pub async fn finish(db: &PgPool, id: uuid::Uuid, error: Option<&str>) -> DomainResult<()> {
    sqlx::query("UPDATE webhook_events SET processed_at = now(), error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}
