//! Messages: insertion, lookup and paging; the status state machine's SQL
//! is in [`status`].

mod status;

pub use status::*;

use chrono::{DateTime, Utc};
use inbox_types::dto::{MessageDto, MessageListOutput, MessageListParams, MessagePage};
use inbox_types::{
    ChannelId, CompanyId, ContactId, ConversationId, Cursor, MessageContent, MessageDirection, MessageId, MessageKind,
    MessageStatus, UserId,
};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::error::{DomainError, DomainResult};
use crate::perf::{Operation, timed};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: uuid::Uuid,
    pub conversation_id: uuid::Uuid,
    pub contact_id: uuid::Uuid,
    pub kind: String,
    pub direction: String,
    pub status: String,
    pub content: String,
    pub payload: Option<serde_json::Value>,
    pub reply_to: Option<String>,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub provider_message_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub attempt: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `attempt` counts the attempt scheduled as begun (see `MessageDto`): the
/// trigger of `message.status` events says the same.
macro_rules! message_columns {
    () => {
        "id, conversation_id, contact_id, kind, direction, status, content, payload, reply_to, media_url, media_type, \
         provider_message_id, error_code, error_message, \
         attempts + (next_attempt_at IS NOT NULL)::int AS attempt, next_attempt_at, created_by, created_at, updated_at"
    };
}

mod search;
pub use search::search_messages;

impl TryFrom<MessageRow> for MessageDto {
    type Error = DomainError;

    fn try_from(r: MessageRow) -> DomainResult<MessageDto> {
        let kind: MessageKind = r.kind.parse().map_err(DomainError::internal)?;
        // A text message is its `content` alone (see the migration).
        let payload = match r.payload {
            None if kind == MessageKind::Text => MessageContent::text(r.content.clone()),
            None => return Err(DomainError::internal(format!("a {kind} message without its payload"))),
            Some(json) => serde_json::from_value(json).map_err(DomainError::internal)?,
        };
        Ok(MessageDto {
            id: r.id,
            conversation_id: r.conversation_id,
            contact_id: r.contact_id,
            kind,
            direction: r.direction.parse().map_err(DomainError::internal)?,
            status: r.status.parse().map_err(DomainError::internal)?,
            content: r.content,
            payload,
            reply_to: r.reply_to,
            media_url: r.media_url,
            media_type: r.media_type,
            provider_message_id: r.provider_message_id,
            error_code: r.error_code,
            error_message: r.error_message,
            attempt: r.attempt,
            next_attempt_at: r.next_attempt_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// `createMessage` of the plan.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: MessageId,
    pub company_id: CompanyId,
    pub conversation_id: ConversationId,
    pub contact_id: ContactId,
    pub channel_id: Option<ChannelId>,
    pub direction: MessageDirection,
    pub status: MessageStatus,
    pub content: MessageContent,
    /// The provider's id of the message it replies to.
    pub reply_to: Option<&'a str>,
    pub provider_message_id: Option<&'a str>,
    pub client_key: Option<&'a str>,
    pub created_by: Option<UserId>,
    /// `None` takes the database clock at insert time.
    pub created_at: Option<DateTime<Utc>>,
}

impl<'a> NewMessage<'a> {
    /// An outbound text message about to be sent: status `sending`.
    pub fn outbound(
        company_id: CompanyId,
        conversation_id: ConversationId,
        contact_id: ContactId,
        text: &str,
        created_by: Option<UserId>,
    ) -> Self {
        Self {
            id: MessageId::new(),
            company_id,
            conversation_id,
            contact_id,
            channel_id: None,
            direction: MessageDirection::Outbound,
            status: MessageStatus::Sending,
            content: MessageContent::text(text),
            reply_to: None,
            provider_message_id: None,
            client_key: None,
            created_by,
            created_at: None,
        }
    }
}

/// Inserts a message and returns it. Returns `Ok(None)` when a message with
/// the same provider id exists already (an inbound duplicate).
pub async fn insert(db: impl PgExecutor<'_>, m: &NewMessage<'_>) -> Result<Option<MessageDto>, sqlx::Error> {
    // A text message's payload is its `content` alone (see the migration).
    let payload = (m.content.kind() != MessageKind::Text).then_some(sqlx::types::Json(&m.content));
    let rendering = m.content.rendering();
    let media_url = m.content.media().and_then(|media| media.files.iter().find_map(|f| f.url.as_deref()));
    let row: Option<MessageRow> = sqlx::query_as(concat!(
        "INSERT INTO messages (id, company_id, conversation_id, contact_id, channel_id, direction, status, content, \
                               media_type, media_url, provider_message_id, client_key, created_by, updated_by, \
                               created_at, attempts, kind, payload, reply_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, COALESCE($14, clock_timestamp()), \
                 CASE WHEN $6 = 'outbound' AND $7 = 'sending' THEN 1 ELSE 0 END, $15, $16, $17) \
         ON CONFLICT (company_id, provider_message_id) DO NOTHING \
         RETURNING ",
        message_columns!()
    ))
    .bind(m.id.0)
    .bind(m.company_id.0)
    .bind(m.conversation_id.0)
    .bind(m.contact_id.0)
    .bind(m.channel_id.map(|c| c.0))
    .bind(m.direction.as_str())
    .bind(m.status.as_str())
    .bind(rendering.as_ref())
    .bind(m.content.media_type())
    .bind(media_url)
    .bind(m.provider_message_id)
    .bind(m.client_key)
    .bind(m.created_by.map(|u| u.0))
    .bind(m.created_at)
    .bind(m.content.kind().as_str())
    .bind(payload)
    .bind(m.reply_to)
    .fetch_optional(db)
    .await?;
    row.map(MessageDto::try_from).transpose().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// `createMessage` of the plan, on its own: checks the conversation belongs
/// to the company and inserts the message (status `sending` unless given).
#[tracing::instrument(skip(db, m), fields(company_id = %m.company_id, conversation_id = %m.conversation_id))]
pub async fn create_message(db: &PgPool, m: &NewMessage<'_>) -> DomainResult<MessageDto> {
    timed(Operation::CreateMessage, async {
        let mut conn = db.acquire().await?;
        let conv = crate::conversations::find(&mut conn, m.company_id, m.conversation_id).await?;
        if conv.contact_id != m.contact_id.0 {
            return Err(DomainError::validation("contactId", "the contact is not the conversation's contact"));
        }
        let msg = insert(&mut *conn, m).await.map_err(DomainError::MessageInsertFailed)?.ok_or_else(|| {
            DomainError::Conflict {
                message: "a message with this provider id exists already".into(),
                existing_message_id: None,
            }
        })?;
        tracing::debug!(message_id = %msg.id, "createMessage");
        Ok(msg)
    })
    .await
}

/// One message of the company (soft-deleted ones included: a webhook may
/// still report on them).
pub async fn find(db: impl PgExecutor<'_>, company_id: CompanyId, id: MessageId) -> DomainResult<MessageDto> {
    let row: Option<MessageRow> =
        sqlx::query_as(concat!("SELECT ", message_columns!(), " FROM messages WHERE company_id = $1 AND id = $2"))
            .bind(company_id.0)
            .bind(id.0)
            .fetch_optional(db)
            .await?;
    row.ok_or(DomainError::NotFound("message"))?.try_into()
}

/// The message a client key names, if any.
pub async fn find_by_client_key(
    db: impl PgExecutor<'_>,
    company_id: CompanyId,
    client_key: &str,
) -> DomainResult<Option<MessageId>> {
    let id: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM messages WHERE company_id = $1 AND client_key = $2")
            .bind(company_id.0)
            .bind(client_key)
            .fetch_optional(db)
            .await?;
    Ok(id.map(MessageId))
}

/// `getConversationMessages`: newest page first; `Before` pages to older
/// messages, `After` to newer ones, `Around` opens the page around one
/// message (a search hit). Keyset paging on (created_at, id) never repeats
/// or skips a row when new messages arrive between pages.
#[tracing::instrument(skip(db, params), fields(company_id = %company_id, conversation_id = %conversation_id))]
pub async fn get_conversation_messages(
    db: &PgPool,
    company_id: CompanyId,
    conversation_id: ConversationId,
    params: &MessageListParams,
) -> DomainResult<MessageListOutput> {
    timed(Operation::GetConversationMessages, async {
        let mut conn = db.acquire().await?;
        crate::conversations::find(&mut conn, company_id, conversation_id).await?;
        let limit = i64::from(params.limit.get());
        let at = |c: &Cursor| Keyset { company_id, conversation_id, time: c.time, id: c.id };
        // (older rows newest first, how many were wanted; newer rows oldest first, how many were wanted)
        let (older, older_wanted, newer, newer_wanted) = match params.page {
            MessagePage::Newest => (newest(&mut conn, company_id, conversation_id, limit + 1).await?, limit, vec![], 0),
            MessagePage::Before(c) => (at(&c).older(&mut conn, false, limit + 1).await?, limit, vec![], 0),
            MessagePage::After(c) => (vec![], 0, at(&c).newer(&mut conn, limit + 1).await?, limit),
            MessagePage::Around(id) => {
                // A message of another chat, cleared or deleted, is not found here.
                let time: DateTime<Utc> = sqlx::query_scalar(
                    "SELECT created_at FROM messages \
                      WHERE company_id = $1 AND conversation_id = $2 AND id = $3 AND is_active",
                )
                .bind(company_id.0)
                .bind(conversation_id.0)
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(DomainError::NotFound("message"))?;
                let here = at(&Cursor::new(time, id.0));
                let newer_wanted = limit / 2;
                let older_wanted = limit - newer_wanted;
                let older = here.older(&mut conn, true, older_wanted + 1).await?;
                let newer = here.newer(&mut conn, newer_wanted + 1).await?;
                (older, older_wanted, newer, newer_wanted)
            }
        };
        let has_more = older.len() as i64 > older_wanted || matches!(params.page, MessagePage::After(_));
        let has_newer = newer.len() as i64 > newer_wanted;
        let rows =
            newer.into_iter().take(newer_wanted as usize).rev().chain(older.into_iter().take(older_wanted as usize));
        let messages: Vec<MessageDto> = rows.map(MessageDto::try_from).collect::<DomainResult<_>>()?;
        let cursor_of = |m: &MessageDto| Cursor::new(m.created_at, m.id).encode();
        let previous_cursor = if has_more { messages.last().map(cursor_of) } else { None };
        let next_cursor = if has_newer { messages.first().map(cursor_of) } else { None };
        tracing::debug!(count = messages.len(), has_more, has_newer, "getConversationMessages");
        Ok(MessageListOutput { messages, previous_cursor, has_more, next_cursor })
    })
    .await
}

/// The newest page. Each statement below gets a plan that walks
/// messages_page_keyset in order and stops at the limit (one statement with
/// `$3 IS NULL OR ...` would not).
async fn newest(
    conn: &mut PgConnection,
    company_id: CompanyId,
    conversation_id: ConversationId,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE conversation_id = $2 AND company_id = $1 AND is_active \
          ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(company_id.0)
    .bind(conversation_id.0)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A position in one conversation's (created_at, id) order.
struct Keyset {
    company_id: CompanyId,
    conversation_id: ConversationId,
    time: DateTime<Utc>,
    id: uuid::Uuid,
}

impl Keyset {
    /// Messages before this position (and at it, when `inclusive`), newest first.
    async fn older(
        &self,
        conn: &mut PgConnection,
        inclusive: bool,
        limit: i64,
    ) -> Result<Vec<MessageRow>, sqlx::Error> {
        let sql = if inclusive {
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE conversation_id = $2 AND company_id = $1 AND is_active \
                    AND (created_at, id) <= ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $5"
            )
        } else {
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE conversation_id = $2 AND company_id = $1 AND is_active \
                    AND (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $5"
            )
        };
        self.fetch(conn, sql, limit).await
    }

    /// Messages after this position, oldest first.
    async fn newer(&self, conn: &mut PgConnection, limit: i64) -> Result<Vec<MessageRow>, sqlx::Error> {
        let sql = concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE conversation_id = $2 AND company_id = $1 AND is_active \
                AND (created_at, id) > ($3, $4) ORDER BY created_at, id LIMIT $5"
        );
        self.fetch(conn, sql, limit).await
    }

    async fn fetch(
        &self,
        conn: &mut PgConnection,
        sql: &'static str,
        limit: i64,
    ) -> Result<Vec<MessageRow>, sqlx::Error> {
        sqlx::query_as(sql)
            .bind(self.company_id.0)
            .bind(self.conversation_id.0)
            .bind(self.time)
            .bind(self.id)
            .bind(limit)
            .fetch_all(conn)
            .await
    }
}
