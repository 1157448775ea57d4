//! `searchMessages`: the company's messages (or one chat's) containing every
//! word of a search, newest first, keyset-paged, with a highlighted snippet.
//!
//! Full-text search on `to_tsvector('inbox_search', content)`: the `simple`
//! parser with `unaccent` folding (migration 20261201000006), so words match
//! whatever their case and accents, each query word as a prefix (why not
//! trigrams: docs/architecture.md, "Messages").

use inbox_types::dto::MessageDto;
use inbox_types::search::{HitChat, MATCH_END, MATCH_START, MessageHit, MessageSearchOutput, MessageSearchParams};
use inbox_types::{CompanyId, Cursor};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::MessageRow;
use crate::error::DomainResult;
use crate::perf::{Operation, timed};

#[derive(sqlx::FromRow)]
struct HitRow {
    #[sqlx(flatten)]
    message: MessageRow,
    snippet: String,
    title: String,
    is_group: bool,
    is_archived: bool,
}

#[tracing::instrument(skip(db, params), fields(company_id = %company_id, in_chat = params.conversation_id.is_some()))]
pub async fn search_messages(
    db: &PgPool,
    company_id: CompanyId,
    params: &MessageSearchParams,
) -> DomainResult<MessageSearchOutput> {
    timed(Operation::SearchMessages, async {
        let mut conn = db.acquire().await?;
        if let Some(id) = params.conversation_id {
            crate::conversations::find(&mut conn, company_id, id).await?;
        }
        let limit = i64::from(params.limit.get());
        let tsquery = params.words.to_tsquery();
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT h.*, ts_headline('inbox_search', h.content, to_tsquery('inbox_search', ",
        );
        q.push_bind(&tsquery).push("), ").push_bind(HEADLINE_OPTIONS.as_str()).push(
            ") AS snippet, COALESCE(ct.name, ct.username, ct.phone, '') AS title, ct.is_group, c.is_archived FROM (",
        );
        // The page is chosen from messages alone (the GIN index, company
        // first), then joined for names and snippets: ts_headline runs only
        // on the rows shown. Reactions are not text anyone searches for.
        q.push(concat!("SELECT ", message_columns!(), " FROM messages WHERE company_id = "))
            .push_bind(company_id.0)
            .push(
                " AND is_active AND kind <> 'reaction' \
                  AND to_tsvector('inbox_search', content) @@ to_tsquery('inbox_search', ",
            )
            .push_bind(&tsquery)
            .push(")");
        if let Some(id) = params.conversation_id {
            q.push(" AND conversation_id = ").push_bind(id.0);
        }
        if let Some(c) = params.cursor {
            q.push(" AND (created_at, id) < (").push_bind(c.time).push(", ").push_bind(c.id).push(")");
        }
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit + 1).push(
            ") h JOIN conversations c ON c.id = h.conversation_id AND c.is_active \
               JOIN contacts ct ON ct.id = c.contact_id \
             ORDER BY h.created_at DESC, h.id DESC",
        );
        let rows: Vec<HitRow> = q.build_query_as().fetch_all(&mut *conn).await?;
        let has_more = rows.len() as i64 > limit;
        let hits: Vec<MessageHit> = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| {
                let conversation = HitChat {
                    id: r.message.conversation_id,
                    title: r.title,
                    is_group: r.is_group,
                    is_archived: r.is_archived,
                };
                Ok(MessageHit {
                    message: MessageDto::try_from(r.message)?,
                    conversation,
                    snippet: inbox_types::search::snippet_parts(&r.snippet),
                })
            })
            .collect::<DomainResult<_>>()?;
        let next_cursor =
            if has_more { hits.last().map(|h| Cursor::new(h.message.created_at, h.message.id).encode()) } else { None };
        tracing::debug!(count = hits.len(), has_more, "searchMessages");
        Ok(MessageSearchOutput { hits, next_cursor, has_more })
    })
    .await
}

/// ts_headline's options: the found words between private-use marks
/// ([`MATCH_START`], [`MATCH_END`]), about a line of context around them.
static HEADLINE_OPTIONS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=20, MinWords=8, ShortWord=0, MaxFragments=1")
});
