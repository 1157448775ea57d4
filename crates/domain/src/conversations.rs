//! Conversations: one per company and contact; the sidebar's rows.

use chrono::{DateTime, Utc};
use inbox_types::dto::{ContactDto, ConversationDto, ConversationListOutput, ConversationListParams, UserSummary};
use inbox_types::{CompanyId, ContactId, ConversationFilter, ConversationId, Cursor, MessageId, UserId};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::contacts::Ensured;
use crate::error::{DomainError, DomainResult};
use crate::perf::{Operation, timed};

/// The longest preview stored for the conversation list.
pub const PREVIEW_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conversation {
    pub id: uuid::Uuid,
    pub company_id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub last_message_id: Option<uuid::Uuid>,
    pub last_message_preview: Option<String>,
    pub last_message_time: DateTime<Utc>,
    pub unread_count: i32,
    pub is_favorite: bool,
    pub is_archived: bool,
    pub assigned_to_user_id: Option<uuid::Uuid>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! conversation_columns {
    () => {
        "id, company_id, contact_id, last_message_id, last_message_preview, last_message_time, unread_count, \
         is_favorite, is_archived, assigned_to_user_id, is_active, created_at, updated_at"
    };
}

/// What the last message of a conversation becomes when one is added.
#[derive(Debug, Clone, Copy)]
pub struct LastMessage<'a> {
    pub id: MessageId,
    pub preview: &'a str,
    /// 1 for an inbound message (the agents have not read it), else 0.
    pub unread_increment: i32,
}

#[derive(sqlx::FromRow)]
struct UpsertRow {
    #[sqlx(flatten)]
    conversation: Conversation,
    created: bool,
}

/// Finds the company's conversation with a contact, or starts one. A
/// soft-deleted conversation comes back as a new, empty one (its old
/// messages stay deleted). With `last`, the conversation's last-message
/// fields are set in the same statement, after the row lock is taken, so
/// concurrent messages to one conversation get increasing times in the
/// order they commit.
pub async fn upsert(
    conn: &mut PgConnection,
    company_id: CompanyId,
    contact_id: ContactId,
    actor: Option<UserId>,
    last: Option<LastMessage<'_>>,
    assign_if_unassigned: Option<UserId>,
) -> Result<(Conversation, Ensured), sqlx::Error> {
    // `created_at = now()` is true for a row made (or brought back) by this
    // transaction: that is what callers report as a created conversation.
    let row: UpsertRow = sqlx::query_as(concat!(
        "INSERT INTO conversations AS c (id, company_id, contact_id, last_message_id, last_message_preview, \
                                         last_message_time, unread_count, created_by, updated_by, assigned_to_user_id) \
         VALUES ($1, $2, $3, $5, $6, clock_timestamp(), $7, $4, $4, $8) \
         ON CONFLICT (company_id, contact_id) DO UPDATE SET \
           is_active = true, \
           created_at = CASE WHEN c.is_active THEN c.created_at ELSE now() END, \
           unread_count = CASE WHEN c.is_active THEN c.unread_count ELSE 0 END + EXCLUDED.unread_count, \
           is_favorite = c.is_favorite AND c.is_active, \
           is_archived = c.is_archived AND c.is_active, \
           assigned_to_user_id = COALESCE(CASE WHEN c.is_active THEN c.assigned_to_user_id END, $8), \
           last_message_id = CASE WHEN EXCLUDED.last_message_id IS NOT NULL THEN EXCLUDED.last_message_id \
                                  WHEN c.is_active THEN c.last_message_id END, \
           last_message_preview = CASE WHEN EXCLUDED.last_message_id IS NOT NULL THEN EXCLUDED.last_message_preview \
                                       WHEN c.is_active THEN c.last_message_preview END, \
           last_message_time = CASE WHEN EXCLUDED.last_message_id IS NOT NULL OR NOT c.is_active \
                                    THEN clock_timestamp() ELSE c.last_message_time END, \
           updated_at = now(), \
           updated_by = COALESCE(EXCLUDED.updated_by, c.updated_by) \
         RETURNING ",
        conversation_columns!(),
        ", created_at = now() AS created"
    ))
    .bind(ConversationId::new().0)
    .bind(company_id.0)
    .bind(contact_id.0)
    .bind(actor.map(|a| a.0))
    .bind(last.map(|l| l.id.0))
    .bind(last.map(|l| l.preview))
    .bind(last.map_or(0, |l| l.unread_increment))
    .bind(assign_if_unassigned.map(|u| u.0))
    .fetch_one(conn)
    .await?;
    let ensured = if row.created { Ensured::Created } else { Ensured::Found };
    Ok((row.conversation, ensured))
}

/// `ensureConversation` of the plan: the active conversation with a contact,
/// created when there is none.
pub async fn ensure(
    conn: &mut PgConnection,
    company_id: CompanyId,
    contact_id: ContactId,
    actor: Option<UserId>,
) -> Result<(Conversation, Ensured), sqlx::Error> {
    let found: Option<Conversation> = sqlx::query_as(concat!(
        "SELECT ",
        conversation_columns!(),
        " FROM conversations WHERE company_id = $1 AND contact_id = $2 AND is_active"
    ))
    .bind(company_id.0)
    .bind(contact_id.0)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(c) => Ok((c, Ensured::Found)),
        None => upsert(conn, company_id, contact_id, actor, None, None).await,
    }
}

#[tracing::instrument(skip(db), fields(company_id = %company_id, contact_id = %contact_id))]
pub async fn ensure_conversation(
    db: &PgPool,
    company_id: CompanyId,
    contact_id: ContactId,
) -> DomainResult<(Conversation, Ensured)> {
    timed(Operation::EnsureConversation, async {
        let mut conn = db.acquire().await?;
        crate::contacts::find(&mut conn, company_id, contact_id).await?;
        ensure(&mut conn, company_id, contact_id, None).await.map_err(DomainError::ConversationCreateFailed)
    })
    .await
}

/// One active conversation of the company, or NOT_FOUND (also for another
/// company's id: the two are indistinguishable on purpose).
pub async fn find(conn: &mut PgConnection, company_id: CompanyId, id: ConversationId) -> DomainResult<Conversation> {
    let found: Option<Conversation> = sqlx::query_as(concat!(
        "SELECT ",
        conversation_columns!(),
        " FROM conversations WHERE company_id = $1 AND id = $2 AND is_active"
    ))
    .bind(company_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    found.ok_or(DomainError::NotFound("conversation"))
}

/// A sidebar row with its contact, assignee and last message's state, read
/// in one query.
#[derive(sqlx::FromRow)]
struct ListRow {
    id: uuid::Uuid,
    last_message_id: Option<uuid::Uuid>,
    last_message_preview: Option<String>,
    last_message_time: DateTime<Utc>,
    unread_count: i32,
    is_favorite: bool,
    is_archived: bool,
    assigned_to_user_id: Option<uuid::Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    contact_id: uuid::Uuid,
    contact_phone: Option<String>,
    contact_wa_id: Option<String>,
    contact_bsuid: Option<String>,
    contact_username: Option<String>,
    contact_name: Option<String>,
    contact_avatar: Option<String>,
    contact_is_group: bool,
    contact_presence: Option<String>,
    assignee_name: Option<String>,
    assignee_email: Option<String>,
    last_direction: Option<String>,
    last_status: Option<String>,
}

impl TryFrom<ListRow> for ConversationDto {
    type Error = DomainError;

    fn try_from(r: ListRow) -> DomainResult<ConversationDto> {
        let parse_err = |e: String| DomainError::internal(e);
        Ok(ConversationDto {
            id: r.id,
            contact: ContactDto {
                id: r.contact_id,
                phone_number: r.contact_phone,
                wa_id: r.contact_wa_id,
                bsuid: r.contact_bsuid,
                username: r.contact_username,
                name: r.contact_name,
                avatar: r.contact_avatar,
                is_group: r.contact_is_group,
                presence: r.contact_presence,
            },
            last_message_id: r.last_message_id,
            last_message_preview: r.last_message_preview,
            last_message_time: r.last_message_time,
            last_message_direction: r.last_direction.map(|d| d.parse()).transpose().map_err(parse_err)?,
            last_message_status: r.last_status.map(|s| s.parse()).transpose().map_err(parse_err)?,
            unread_count: r.unread_count,
            is_favorite: r.is_favorite,
            is_archived: r.is_archived,
            assigned_to_user_id: r.assigned_to_user_id,
            assignee: match (r.assigned_to_user_id, r.assignee_name, r.assignee_email) {
                (Some(id), Some(name), Some(email)) => Some(UserSummary { id, name, email }),
                _ => None,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A sidebar row: the conversation with its contact, assignee and last
/// message's direction and status. `FROM` is followed by the conversations
/// (the table, or a page of it) and then [`ROW_DETAILS`].
const ROW_COLUMNS: &str = "SELECT c.id, c.last_message_id, c.last_message_preview, c.last_message_time, \
       c.unread_count, c.is_favorite, c.is_archived, c.assigned_to_user_id, c.created_at, c.updated_at, \
       ct.id AS contact_id, ct.phone AS contact_phone, ct.wa_id AS contact_wa_id, ct.bsuid AS contact_bsuid, \
       ct.username AS contact_username, ct.name AS contact_name, ct.avatar AS contact_avatar, \
       ct.is_group AS contact_is_group, ct.presence AS contact_presence, \
       u.display_name AS assignee_name, u.email AS assignee_email, \
       m.direction AS last_direction, m.status AS last_status \
  FROM ";

const ROW_DETAILS: &str = " c \
  JOIN contacts ct ON ct.company_id = c.company_id AND ct.id = c.contact_id \
  LEFT JOIN users u ON u.company_id = c.company_id AND u.id = c.assigned_to_user_id \
  LEFT JOIN messages m ON m.id = c.last_message_id";

/// Escapes LIKE wildcards so a search for `50%` finds "50%".
fn like_pattern(term: &str) -> String {
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `listConversations` of the plan: newest first, filtered, searched,
/// keyset-paged. Archived conversations are listed only with `archived`.
#[tracing::instrument(skip(db, params), fields(company_id = %company_id, filter = %params.filter, search = params.search.is_some()))]
pub async fn list_conversations(
    db: &PgPool,
    company_id: CompanyId,
    params: &ConversationListParams,
) -> DomainResult<ConversationListOutput> {
    timed(Operation::ListConversations, async {
        let limit = params.limit.get() as i64;
        // The page is chosen (filtered, ordered, limited) first and only its
        // rows are joined to their contact, assignee and last message.
        let mut q = QueryBuilder::<Postgres>::new(ROW_COLUMNS);
        q.push("(SELECT * FROM conversations c WHERE c.company_id = ").push_bind(company_id.0);
        q.push(" AND c.is_active AND c.is_archived = ").push_bind(params.archived);
        match params.filter {
            ConversationFilter::All => {}
            ConversationFilter::Unread => {
                q.push(" AND c.unread_count > 0");
            }
            ConversationFilter::Favorites => {
                q.push(" AND c.is_favorite");
            }
            ConversationFilter::Groups => {
                q.push(
                    " AND EXISTS (SELECT 1 FROM contacts g \
                       WHERE g.company_id = c.company_id AND g.id = c.contact_id AND g.is_group)",
                );
            }
        }
        if let Some(term) = &params.search {
            // Search within the company's contacts only; the composite
            // (company_id, trigram) indexes serve both branches. From three
            // characters on (what a trigram index can use) the matching
            // contacts are collected first and their conversations looked up
            // and ordered: cheaper than walking the list and testing each
            // contact when a common surname matches one contact in ten, and
            // far cheaper for a rare term. A shorter term matches most
            // contacts, so walking the list finds a page soonest.
            let collect_first = term.chars().count() >= 3;
            q.push(if collect_first { " AND c.contact_id = ANY(ARRAY(" } else { " AND c.contact_id IN (" });
            q.push("SELECT s.id FROM contacts s WHERE s.company_id = ");
            q.push_bind(company_id.0);
            // Names and usernames compare folded (no case, no accents), as
            // their trigram indexes are built (`inbox_fold`).
            q.push(" AND (inbox_fold(s.name) LIKE inbox_fold(").push_bind(like_pattern(term)).push(")");
            // A customer without a shared number is found by username.
            q.push(" OR inbox_fold(s.username) LIKE inbox_fold(");
            q.push_bind(like_pattern(term.trim_start_matches('@'))).push(")");
            let digits: String = term.chars().filter(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                q.push(" OR s.phone LIKE ").push_bind(like_pattern(&digits));
            }
            q.push(if collect_first { ")))" } else { "))" });
        }
        if let Some(cursor) = params.cursor {
            q.push(" AND (c.last_message_time, c.id) < (").push_bind(cursor.time);
            q.push(", ").push_bind(cursor.id).push(")");
        }
        q.push(" ORDER BY c.last_message_time DESC, c.id DESC LIMIT ").push_bind(limit + 1);
        q.push(")").push(ROW_DETAILS).push(" ORDER BY c.last_message_time DESC, c.id DESC");
        let mut rows: Vec<ListRow> = q.build_query_as().fetch_all(db).await?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor =
            if has_more { rows.last().map(|r| Cursor::new(r.last_message_time, r.id).encode()) } else { None };
        let conversations = rows.into_iter().map(ConversationDto::try_from).collect::<DomainResult<Vec<_>>>()?;
        tracing::debug!(count = conversations.len(), has_more, "listConversations");
        Ok(ConversationListOutput { conversations, next_cursor, has_more })
    })
    .await
}

/// One conversation with its contact, as the sidebar shows it.
pub async fn get_conversation(db: &PgPool, company_id: CompanyId, id: ConversationId) -> DomainResult<ConversationDto> {
    let mut q = QueryBuilder::<Postgres>::new(ROW_COLUMNS);
    q.push("conversations").push(ROW_DETAILS).push(" WHERE c.company_id = ").push_bind(company_id.0);
    q.push(" AND c.is_active AND c.id = ").push_bind(id.0);
    let row: Option<ListRow> = q.build_query_as().fetch_optional(db).await?;
    row.ok_or(DomainError::NotFound("conversation"))?.try_into()
}

/// Runs an UPDATE of one active conversation of the company; NOT_FOUND when
/// it matched nothing.
async fn update_one(
    conn: &mut PgConnection,
    sql: &'static str,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let done = sqlx::query(sql).bind(company_id.0).bind(id.0).bind(actor.map(|a| a.0)).execute(conn).await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound("conversation"));
    }
    Ok(())
}

/// `markConversationAsRead`: unread count back to 0, and the customer's
/// messages marked read.
#[tracing::instrument(skip(db))]
pub async fn mark_conversation_read(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut tx = db.begin().await?;
    update_one(
        &mut tx,
        "UPDATE conversations SET unread_count = 0, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active",
        company_id,
        id,
        actor,
    )
    .await?;
    sqlx::query(
        "UPDATE messages SET status = 'read', updated_at = now() \
         WHERE company_id = $1 AND conversation_id = $2 AND direction = 'inbound' AND status = 'delivered' \
           AND is_active",
    )
    .bind(company_id.0)
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Mark as unread, as WhatsApp has it: the chat shows unread again (at
/// least one) until someone opens it; the messages keep their status.
#[tracing::instrument(skip(db))]
pub async fn mark_conversation_unread(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut conn = db.acquire().await?;
    update_one(
        &mut conn,
        "UPDATE conversations SET unread_count = GREATEST(unread_count, 1), updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active",
        company_id,
        id,
        actor,
    )
    .await
}

/// `assignConversationToUser`: `None` unassigns. The user must be an active
/// user of the same company; any other id is NOT_FOUND for the user.
#[tracing::instrument(skip(db))]
pub async fn assign_conversation(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    user: Option<UserId>,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut tx = db.begin().await?;
    find(&mut tx, company_id, id).await?;
    if let Some(user) = user {
        let active: Option<bool> = sqlx::query_scalar("SELECT is_active FROM users WHERE company_id = $1 AND id = $2")
            .bind(company_id.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
        if active != Some(true) {
            return Err(DomainError::NotFound("user"));
        }
    }
    sqlx::query(
        "UPDATE conversations SET assigned_to_user_id = $3, updated_at = now(), updated_by = $4 \
         WHERE company_id = $1 AND id = $2 AND is_active",
    )
    .bind(company_id.0)
    .bind(id.0)
    .bind(user.map(|u| u.0))
    .bind(actor.map(|a| a.0))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(event = "conversation.assigned", conversation_id = %id, user_id = ?user.map(|u| u.0));
    Ok(())
}

/// `clearConversation`: soft-deletes every message; the conversation stays,
/// empty, where it was in the list.
#[tracing::instrument(skip(db))]
pub async fn clear_conversation(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut tx = db.begin().await?;
    update_one(
        &mut tx,
        "UPDATE conversations SET unread_count = 0, last_message_id = NULL, last_message_preview = NULL, \
                updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active",
        company_id,
        id,
        actor,
    )
    .await?;
    soft_delete_messages(&mut tx, company_id, id, actor).await?;
    tx.commit().await?;
    tracing::info!(event = "conversation.cleared", conversation_id = %id);
    Ok(())
}

/// `deleteConversation`: soft-deletes the conversation and its messages.
#[tracing::instrument(skip(db))]
pub async fn delete_conversation(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut tx = db.begin().await?;
    update_one(
        &mut tx,
        "UPDATE conversations SET is_active = false, unread_count = 0, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active",
        company_id,
        id,
        actor,
    )
    .await?;
    soft_delete_messages(&mut tx, company_id, id, actor).await?;
    tx.commit().await?;
    tracing::info!(event = "conversation.deleted", conversation_id = %id);
    Ok(())
}

async fn soft_delete_messages(
    conn: &mut PgConnection,
    company_id: CompanyId,
    id: ConversationId,
    actor: Option<UserId>,
) -> DomainResult<u64> {
    let done = sqlx::query(
        "UPDATE messages SET is_active = false, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND conversation_id = $2 AND is_active",
    )
    .bind(company_id.0)
    .bind(id.0)
    .bind(actor.map(|a| a.0))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Archives (`true`) or unarchives a conversation.
#[tracing::instrument(skip(db))]
pub async fn set_archived(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    archived: bool,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut conn = db.acquire().await?;
    let sql = if archived {
        "UPDATE conversations SET is_archived = true, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active"
    } else {
        "UPDATE conversations SET is_archived = false, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active"
    };
    update_one(&mut conn, sql, company_id, id, actor).await?;
    tracing::info!(event = if archived { "conversation.archived" } else { "conversation.unarchived" }, conversation_id = %id);
    Ok(())
}

/// Marks (`true`) or unmarks a conversation as a favorite.
#[tracing::instrument(skip(db))]
pub async fn set_favorite(
    db: &PgPool,
    company_id: CompanyId,
    id: ConversationId,
    favorite: bool,
    actor: Option<UserId>,
) -> DomainResult<()> {
    let mut conn = db.acquire().await?;
    let sql = if favorite {
        "UPDATE conversations SET is_favorite = true, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active"
    } else {
        "UPDATE conversations SET is_favorite = false, updated_at = now(), updated_by = $3 \
         WHERE company_id = $1 AND id = $2 AND is_active"
    };
    update_one(&mut conn, sql, company_id, id, actor).await
}
