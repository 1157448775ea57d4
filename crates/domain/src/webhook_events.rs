//! Raw provider callbacks, kept for audit and to drop repeated deliveries.

use inbox_types::{ChannelId, CompanyId};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::channels::ProviderKind;
use crate::error::DomainResult;

/// Stores a callback as received. `None` means the very same body was
/// stored before: a repeated delivery that needs no processing.
pub async fn record(
    db: &PgPool,
    provider: ProviderKind,
    company_id: Option<CompanyId>,
    channel_id: Option<ChannelId>,
    raw: &[u8],
    payload: &serde_json::Value,
    signature_valid: bool,
) -> DomainResult<Option<uuid::Uuid>> {
    let id: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO webhook_events (id, company_id, channel_id, provider, payload_sha256, payload, signature_valid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (provider, payload_sha256) DO NOTHING RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(company_id.map(|c| c.0))
    .bind(channel_id.map(|c| c.0))
    .bind(provider.as_str())
    .bind(Sha256::digest(raw).to_vec())
    .bind(payload)
    .bind(signature_valid)
    .fetch_optional(db)
    .await?;
    Ok(id)
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
