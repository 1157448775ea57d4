//! Realtime events: written and announced (`pg_notify` on `inbox_events`) by
//! database triggers in the transaction of each change (see the migration
//! `..._events.sql`); read here for replay and parsed from notifications.

use std::time::Duration;

use inbox_types::{CompanyId, LiveEvent};
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::DomainResult;

/// The channel every server process LISTENs on.
pub const CHANNEL: &str = "inbox_events";

/// One stored and announced change of a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub company_id: Uuid,
    pub event: LiveEvent,
}

/// An event as the triggers write it: `kind` and `data` apart (a row of
/// `events`, or a notification's payload).
#[derive(Debug, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
struct Raw {
    id: i64,
    company_id: Uuid,
    kind: String,
    data: serde_json::Value,
}

impl TryFrom<Raw> for Event {
    type Error = String;

    fn try_from(raw: Raw) -> Result<Event, String> {
        let event = LiveEvent::decode(&raw.kind, raw.data)
            .map_err(|e| format!("event {} of kind {:?} does not decode: {e}", raw.id, raw.kind))?;
        Ok(Event { id: raw.id, company_id: raw.company_id, event })
    }
}

impl Event {
    /// Decodes a notification's payload; what does not decode is an error
    /// saying why (the listener logs it and forwards nothing).
    pub fn from_notification(payload: &str) -> Result<Event, String> {
        let raw: Raw = serde_json::from_str(payload).map_err(|e| format!("unreadable notification: {e}"))?;
        raw.try_into()
    }
}

/// What a reconnecting client missed.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// Every event after the client's last one, oldest first. Events that
    /// committed just before it are included too (ids are taken at insert
    /// time, so commit order can differ): clients skip ids they have seen.
    Events(Vec<Event>),
    /// The client's last event is older than the window (or unknown): it
    /// must refetch what it shows.
    TooOld,
}

/// The events of `company` after `last_id`, if `last_id` is still in the
/// window.
pub async fn replay(db: &PgPool, company: CompanyId, last_id: i64, limit: i64) -> DomainResult<Replay> {
    let anchor: Option<(chrono::DateTime<chrono::Utc>,)> =
        sqlx::query_as("SELECT created_at FROM events WHERE id = $1 AND company_id = $2")
            .bind(last_id)
            .bind(company.0)
            .fetch_optional(db)
            .await?;
    let Some((at,)) = anchor else { return Ok(Replay::TooOld) };
    let rows: Vec<Raw> = sqlx::query_as(concat!(
        "SELECT id, company_id, kind, data FROM events ",
        // Also the few seconds before the last event: transactions that took
        // an earlier id but committed later.
        "WHERE company_id = $1 AND id <> $2 AND (id > $2 OR created_at > $3 - interval '5 seconds') ",
        "ORDER BY id LIMIT $4"
    ))
    .bind(company.0)
    .bind(last_id)
    .bind(at)
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    // More than a client should replay: a refetch is cheaper.
    if rows.len() as i64 > limit {
        return Ok(Replay::TooOld);
    }
    let events = rows
        .into_iter()
        .filter_map(|raw| Event::try_from(raw).inspect_err(|e| tracing::warn!("events: skipped in replay: {e}")).ok())
        .collect();
    Ok(Replay::Events(events))
}

/// Forgets events older than the replay window.
pub async fn purge(db: &PgPool, window: Duration) -> DomainResult<u64> {
    let secs = window.as_secs_f64();
    Ok(sqlx::query("DELETE FROM events WHERE created_at < clock_timestamp() - make_interval(secs => $1)")
        .bind(secs)
        .execute(db)
        .await?
        .rows_affected())
}
