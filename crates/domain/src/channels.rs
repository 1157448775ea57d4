//! Channels: a company's WhatsApp number at a provider.

use std::fmt;
use std::str::FromStr;

use inbox_types::{ChannelId, CompanyId};
use sqlx::{PgExecutor, Row};

use crate::error::{DomainError, DomainResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Meta,
    Twilio,
    Sandbox,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Twilio => "twilio",
            Self::Sandbox => "sandbox",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "meta" => Ok(Self::Meta),
            "twilio" => Ok(Self::Twilio),
            "sandbox" => Ok(Self::Sandbox),
            other => {
                Err(DomainError::validation("provider", format!("unknown provider {other:?} (meta, twilio, sandbox)")))
            }
        }
    }
}

/// A value that must never be printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: ChannelId,
    pub company_id: CompanyId,
    pub provider: ProviderKind,
    pub name: String,
    pub phone_number: Option<String>,
    /// Meta's phone number id, Twilio's sender, or the sandbox's id.
    pub external_id: String,
    /// Provider secrets as the provider names them (`access_token`, `auth_token`, ...).
    pub credentials: Secret,
    pub verify_token: Option<Secret>,
    pub app_secret: Option<Secret>,
    pub is_default: bool,
}

impl Channel {
    /// One credential by name, from the JSON object stored for the channel.
    pub fn credential(&self, key: &str) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(self.credentials.expose()).ok()?.get(key)?.as_str().map(str::to_owned)
    }
}

/// What it takes to add a channel.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub provider: ProviderKind,
    pub name: String,
    pub phone_number: Option<String>,
    pub external_id: String,
    pub credentials: serde_json::Value,
    pub verify_token: Option<String>,
    pub app_secret: Option<String>,
    pub is_default: bool,
}

macro_rules! channel_columns {
    () => {
        "id, company_id, provider, name, phone_number, external_id, credentials::text AS credentials, \
         verify_token, app_secret, is_default"
    };
}

fn from_row(row: &sqlx::postgres::PgRow) -> DomainResult<Channel> {
    Ok(Channel {
        id: ChannelId(row.try_get("id")?),
        company_id: CompanyId(row.try_get("company_id")?),
        provider: row.try_get::<String, _>("provider")?.parse()?,
        name: row.try_get("name")?,
        phone_number: row.try_get("phone_number")?,
        external_id: row.try_get("external_id")?,
        credentials: Secret(row.try_get("credentials")?),
        verify_token: row.try_get::<Option<String>, _>("verify_token")?.map(Secret),
        app_secret: row.try_get::<Option<String>, _>("app_secret")?.map(Secret),
        is_default: row.try_get("is_default")?,
    })
}

/// Adds a channel. The first channel of a company becomes its default.
pub async fn create(db: &sqlx::PgPool, company_id: CompanyId, new: NewChannel) -> DomainResult<Channel> {
    let mut tx = db.begin().await?;
    let has_default: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM channels WHERE company_id = $1 AND is_default AND is_active)")
            .bind(company_id.0)
            .fetch_one(&mut *tx)
            .await?;
    if new.is_default && has_default {
        sqlx::query("UPDATE channels SET is_default = false, updated_at = now() WHERE company_id = $1 AND is_default")
            .bind(company_id.0)
            .execute(&mut *tx)
            .await?;
    }
    let row = sqlx::query(
        "INSERT INTO channels (id, company_id, provider, name, phone_number, external_id, credentials, \
                               verify_token, app_secret, is_default) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         RETURNING id, company_id, provider, name, phone_number, external_id, credentials::text AS credentials, \
                   verify_token, app_secret, is_default",
    )
    .bind(ChannelId::new().0)
    .bind(company_id.0)
    .bind(new.provider.as_str())
    .bind(&new.name)
    .bind(&new.phone_number)
    .bind(&new.external_id)
    .bind(&new.credentials)
    .bind(&new.verify_token)
    .bind(&new.app_secret)
    .bind(new.is_default || !has_default)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::error::violated_constraint(&e) {
        Some("channels_provider_external_id") => DomainError::Conflict {
            message: format!("a {} channel with id {} exists already", new.provider.as_str(), new.external_id),
            existing_message_id: None,
        },
        _ => DomainError::from(e),
    })?;
    let channel = from_row(&row)?;
    tx.commit().await?;
    Ok(channel)
}

/// The channel a company's sends go out through.
pub async fn default_for_company(db: impl PgExecutor<'_>, company_id: CompanyId) -> DomainResult<Channel> {
    let row = sqlx::query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE company_id = $1 AND is_active ORDER BY is_default DESC, created_at LIMIT 1"
    ))
    .bind(company_id.0)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()?.ok_or(DomainError::ChannelNotConfigured)
}

/// One active channel of the company.
pub async fn find(db: impl PgExecutor<'_>, company_id: CompanyId, id: ChannelId) -> DomainResult<Channel> {
    let row = sqlx::query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE company_id = $1 AND id = $2 AND is_active"
    ))
    .bind(company_id.0)
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()?.ok_or(DomainError::ChannelNotConfigured)
}

/// The channel a webhook names by the provider's id for it.
pub async fn find_by_external_id(
    db: impl PgExecutor<'_>,
    provider: ProviderKind,
    external_id: &str,
) -> DomainResult<Option<Channel>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE provider = $1 AND external_id = $2 AND is_active"
    ))
    .bind(provider.as_str())
    .bind(external_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Active channels that receive Meta-format webhooks (Meta's own, and the
/// sandbox that imitates it) and have an app secret to check signatures with.
pub async fn meta_format_channels(db: impl PgExecutor<'_>) -> DomainResult<Vec<Channel>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE provider IN ('meta', 'sandbox') AND is_active \
           AND (app_secret IS NOT NULL OR verify_token IS NOT NULL) ORDER BY created_at"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The Meta-format channels, remembered for a few seconds: every Meta
/// callback needs them all to find the secret that signed it, and reading
/// them each time was one of a status callback's five round trips. A body
/// no remembered channel signed is checked again against a fresh read, so a
/// new channel or a rotated secret works at once; a deactivated channel, or
/// a secret just replaced, may still be accepted for up to `ttl`.
pub struct MetaChannels {
    ttl: std::time::Duration,
    cached: std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<Vec<Channel>>)>>,
}

impl MetaChannels {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, cached: std::sync::Mutex::new(None) }
    }

    /// The channels, read again when `fresh` or when the copy is older than `ttl`.
    pub async fn get(&self, db: &sqlx::PgPool, fresh: bool) -> DomainResult<std::sync::Arc<Vec<Channel>>> {
        if !fresh
            && let Some((at, channels)) = self.cached.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(channels.clone());
        }
        let channels = std::sync::Arc::new(meta_format_channels(db).await?);
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), channels.clone()));
        Ok(channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Secret::new("EAAG-very-secret");
        assert_eq!(format!("{s:?}"), "***");
    }
}
