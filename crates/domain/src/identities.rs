//! Keeping one contact per WhatsApp account over time: the equivalence key
//! of contacts made before keys existed, the duplicates such contacts may
//! be (reported, never merged silently), and the merge an admin asks for.

use std::collections::{HashMap, HashSet};

use inbox_types::identity::equivalence_key;
use inbox_types::{CompanyId, ContactId};
use sqlx::PgPool;

use crate::error::{DomainError, DomainResult};

/// Fills `wa_key` of contacts that have none, from their `wa_id` or number.
/// A contact whose key another contact of its company holds keeps none:
/// it is a duplicate for [`duplicates`] to report. Returns how many keys
/// were written. Idempotent; run by `inbox migrate` and at server start.
pub async fn backfill_keys(db: &PgPool) -> DomainResult<u64> {
    let mut written = 0;
    // Oldest first, as `duplicates` orders a group: of two contacts of one
    // account, the older (the one to keep) takes the key. Ids need not
    // follow age (rows imported or made by other clocks).
    let mut after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> = None;
    loop {
        type Row = (uuid::Uuid, uuid::Uuid, Option<String>, Option<String>, chrono::DateTime<chrono::Utc>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, company_id, phone, wa_id, created_at FROM contacts \
              WHERE wa_key IS NULL AND (wa_id IS NOT NULL OR phone IS NOT NULL) \
                AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2)) \
              ORDER BY created_at, id LIMIT 5000",
        )
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(db)
        .await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.4, last.0));
        // One key per company within the batch; the statement checks the rest.
        let mut seen = HashSet::new();
        let (mut ids, mut keys) = (Vec::new(), Vec::new());
        for (id, company, phone, wa_id, _) in rows {
            let Some(digits) = wa_id.or_else(|| phone.map(|p| p.trim_start_matches('+').to_owned())) else { continue };
            let key = equivalence_key(&digits);
            if seen.insert((company, key.clone())) {
                ids.push(id);
                keys.push(key);
            }
        }
        let done = sqlx::query(
            "UPDATE contacts c SET wa_key = k.key \
               FROM unnest($1::uuid[], $2::text[]) AS k(id, key) \
              WHERE c.id = k.id AND c.wa_key IS NULL \
                AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.company_id = c.company_id AND o.wa_key = k.key)",
        )
        .bind(&ids)
        .bind(&keys)
        .execute(db)
        .await;
        match done {
            Ok(done) => written += done.rows_affected(),
            // A contact with one of these keys was made meanwhile (another
            // server starting, a webhook): this batch stays keyless, found
            // by number until the next run, and never stops the start.
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                tracing::warn!("equivalence keys of {} contacts left for the next run: {e}", ids.len());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

/// Contacts of one company that are one WhatsApp account (same equivalence
/// key), oldest first: the first is the one to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    pub company_id: CompanyId,
    pub key: String,
    pub contacts: Vec<DuplicateContact>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DuplicateContact {
    pub id: uuid::Uuid,
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every group of active contacts that share an equivalence key.
pub async fn duplicates(db: &PgPool) -> DomainResult<Vec<DuplicateGroup>> {
    let rows: Vec<(uuid::Uuid, DuplicateContactRow)> = sqlx::query_as::<_, DuplicateContactRow>(
        "SELECT company_id, id, phone, wa_id, name, created_at FROM contacts \
          WHERE is_active AND (wa_id IS NOT NULL OR phone IS NOT NULL) ORDER BY created_at, id",
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.company_id, r))
    .collect();
    let mut groups: HashMap<(uuid::Uuid, String), Vec<DuplicateContact>> = HashMap::new();
    let mut order = Vec::new();
    for (company, r) in rows {
        let digits = r.wa_id.clone().or_else(|| r.phone.as_deref().map(|p| p.trim_start_matches('+').to_owned()));
        let Some(digits) = digits else { continue };
        let slot = (company, equivalence_key(&digits));
        let group = groups.entry(slot.clone()).or_default();
        if group.is_empty() {
            order.push(slot);
        }
        group.push(DuplicateContact {
            id: r.id,
            phone: r.phone,
            wa_id: r.wa_id,
            name: r.name,
            created_at: r.created_at,
        });
    }
    Ok(order
        .into_iter()
        .filter_map(|slot| {
            let contacts = groups.remove(&slot)?;
            (contacts.len() > 1).then_some(DuplicateGroup { company_id: CompanyId(slot.0), key: slot.1, contacts })
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct DuplicateContactRow {
    company_id: uuid::Uuid,
    id: uuid::Uuid,
    phone: Option<String>,
    wa_id: Option<String>,
    name: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The duplicate's wa_id, key, BSUID, parent BSUID, username and name.
type GivenUp = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

/// What a merge moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Merged {
    pub messages_moved: u64,
}

/// Merges contact `duplicate` into `keep` (same company): the duplicate's
/// messages move into the kept contact's conversation (or its conversation
/// becomes the kept contact's when that has none), the kept contact takes
/// the WhatsApp ids it lacks, and the duplicate is deactivated. One
/// transaction: all of it or nothing.
///
/// Only contacts that are one account by their numbers (the same
/// equivalence key) merge, unless `force`: an admin who knows that a
/// customer known by BSUID alone is the one with a number.
pub async fn merge(
    db: &PgPool,
    company_id: CompanyId,
    keep: ContactId,
    duplicate: ContactId,
    force: bool,
) -> DomainResult<Merged> {
    if keep == duplicate {
        return Err(DomainError::validation("duplicate", "a contact cannot be merged into itself"));
    }
    let mut tx = db.begin().await?;
    let locked: Vec<(uuid::Uuid, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, wa_id, phone FROM contacts WHERE company_id = $1 AND id = ANY($2) AND is_active \
          ORDER BY id FOR UPDATE",
    )
    .bind(company_id.0)
    .bind([keep.0, duplicate.0].as_slice())
    .fetch_all(&mut *tx)
    .await?;
    if locked.len() != 2 {
        return Err(DomainError::NotFound("contact"));
    }
    let key_of = |(_, wa_id, phone): &(uuid::Uuid, Option<String>, Option<String>)| {
        wa_id
            .clone()
            .or_else(|| phone.as_deref().map(|p| p.trim_start_matches('+').to_owned()))
            .map(|d| equivalence_key(&d))
    };
    let (a, b) = (key_of(&locked[0]), key_of(&locked[1]));
    if !force && (a.is_none() || a != b) {
        return Err(DomainError::validation(
            "duplicate",
            "these contacts are not one WhatsApp number; merge them anyway with --force",
        ));
    }
    let conversation_of = |contact: ContactId| {
        sqlx::query_scalar::<_, uuid::Uuid>(
            "SELECT id FROM conversations WHERE company_id = $1 AND contact_id = $2 FOR UPDATE",
        )
        .bind(company_id.0)
        .bind(contact.0)
    };
    let kept_conversation = conversation_of(keep).fetch_optional(&mut *tx).await?;
    let dup_conversation = conversation_of(duplicate).fetch_optional(&mut *tx).await?;
    let mut merged = Merged::default();
    match (kept_conversation, dup_conversation) {
        (_, None) => {}
        (None, Some(dup)) => {
            sqlx::query(
                "UPDATE conversations SET contact_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            )
            .bind(company_id.0)
            .bind(dup)
            .bind(keep.0)
            .execute(&mut *tx)
            .await?;
            merged.messages_moved =
                sqlx::query("UPDATE messages SET contact_id = $3 WHERE company_id = $1 AND conversation_id = $2")
                    .bind(company_id.0)
                    .bind(dup)
                    .bind(keep.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
        }
        (Some(kept), Some(dup)) => {
            merged.messages_moved = sqlx::query(
                "UPDATE messages SET conversation_id = $3, contact_id = $4 WHERE company_id = $1 AND conversation_id = $2",
            )
            .bind(company_id.0)
            .bind(dup)
            .bind(kept)
            .bind(keep.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // The kept conversation shows the newer last message of the two
            // and both unread counts; the duplicate's is deleted (which
            // tells every open browser).
            sqlx::query(
                "UPDATE conversations k SET \
                    unread_count = k.unread_count + d.unread_count, \
                    last_message_id = CASE WHEN d.last_message_time > k.last_message_time AND d.last_message_id IS NOT NULL \
                                           THEN d.last_message_id ELSE k.last_message_id END, \
                    last_message_preview = CASE WHEN d.last_message_time > k.last_message_time AND d.last_message_id IS NOT NULL \
                                                THEN d.last_message_preview ELSE k.last_message_preview END, \
                    last_message_time = GREATEST(k.last_message_time, d.last_message_time), \
                    is_active = k.is_active OR d.is_active, updated_at = now() \
                   FROM conversations d \
                  WHERE k.company_id = $1 AND k.id = $2 AND d.company_id = $1 AND d.id = $3",
            )
            .bind(company_id.0)
            .bind(kept)
            .bind(dup)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE conversations SET is_active = false, unread_count = 0, last_message_id = NULL, updated_at = now() \
                  WHERE company_id = $1 AND id = $2",
            )
            .bind(company_id.0)
            .bind(dup)
            .execute(&mut *tx)
            .await?;
        }
    }
    // The duplicate gives up its number and WhatsApp ids (unique per
    // company) to the kept contact, so nothing can match it again.
    let (dup_wa_id, dup_key, dup_bsuid, dup_parent, dup_username, dup_name): GivenUp = sqlx::query_as(
        "UPDATE contacts d SET phone = NULL, wa_id = NULL, wa_key = NULL, bsuid = NULL, is_active = false, \
                updated_at = now() \
           FROM contacts old WHERE d.company_id = $1 AND d.id = $2 AND old.id = d.id \
         RETURNING old.wa_id, old.wa_key, old.bsuid, old.parent_bsuid, old.username, old.name",
    )
    .bind(company_id.0)
    .bind(duplicate.0)
    .fetch_one(&mut *tx)
    .await?;
    let dup_key = dup_key.or_else(|| dup_wa_id.as_deref().map(equivalence_key));
    sqlx::query(
        "UPDATE contacts SET wa_id = COALESCE(wa_id, $3), wa_key = COALESCE(wa_key, $4), bsuid = COALESCE(bsuid, $5), \
                parent_bsuid = COALESCE(parent_bsuid, $6), username = COALESCE(username, $7), \
                name = COALESCE(name, $8), updated_at = now() \
          WHERE company_id = $1 AND id = $2",
    )
    .bind(company_id.0)
    .bind(keep.0)
    .bind(dup_wa_id)
    .bind(dup_key)
    .bind(dup_bsuid)
    .bind(dup_parent)
    .bind(dup_username)
    .bind(dup_name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(company_id = %company_id, keep = %keep, duplicate = %duplicate, messages = merged.messages_moved, "contacts merged");
    Ok(merged)
}
