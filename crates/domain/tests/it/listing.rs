//! Plan 10.1 ConversationService.listConversations.

use inbox_domain::conversations;
use inbox_domain::provider::ScriptedProvider;
use inbox_types::dto::{ConversationListParams, ConversationListQuery, PageLimit};
use inbox_types::{ConversationFilter, ConversationId, Cursor, UserId};
use sqlx::PgPool;

use crate::common::*;

/// Five conversations, sent to in this order (so the last is the newest):
/// Ana (US), Ben (UK, favorite), Carla (DE, unread via SQL), Team (group), Dora (archived).
async fn sidebar(db: &PgPool, t: &Tenant) -> Vec<ConversationId> {
    let provider = ScriptedProvider::accepting();
    let mut ids = Vec::new();
    for (phone, name) in [
        ("+14155550100", "Ana Souza"),
        ("+442079460958", "Ben Carter"),
        ("+49301234567", "Carla Schmidt"),
        ("+5511912345678", "Support Team"),
        ("+34612345678", "Dora Ruiz"),
    ] {
        let out = t.send(db, &provider, phone, &format!("hello {name}")).await;
        sqlx::query("UPDATE contacts SET name = $2 WHERE id = $1")
            .bind(out.contact_id)
            .bind(name)
            .execute(db)
            .await
            .unwrap();
        ids.push(ConversationId(out.conversation_id));
    }
    conversations::set_favorite(db, t.company, ids[1], true, None).await.unwrap();
    sqlx::query("UPDATE conversations SET unread_count = 3 WHERE id = $1").bind(ids[2].0).execute(db).await.unwrap();
    sqlx::query("UPDATE contacts SET is_group = true WHERE id = (SELECT contact_id FROM conversations WHERE id = $1)")
        .bind(ids[3].0)
        .execute(db)
        .await
        .unwrap();
    conversations::set_archived(db, t.company, ids[4], true, None).await.unwrap();
    ids
}

async fn list(db: &PgPool, t: &Tenant, query: ConversationListQuery) -> Vec<ConversationId> {
    let params = query.validate().unwrap();
    conversations::list_conversations(db, t.company, &params)
        .await
        .unwrap()
        .conversations
        .into_iter()
        .map(|c| ConversationId(c.id))
        .collect()
}

fn filter(f: &str) -> ConversationListQuery {
    ConversationListQuery { filter: Some(f.into()), ..Default::default() }
}

fn search(s: &str) -> ConversationListQuery {
    ConversationListQuery { search: Some(s.into()), ..Default::default() }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_conversations_sorts_by_last_message_time_desc(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    assert_eq!(list(&db, &t, Default::default()).await, [ids[3], ids[2], ids[1], ids[0]]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_conversations_filters_by_type(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    assert_eq!(list(&db, &t, filter("all")).await.len(), 4);
    assert_eq!(list(&db, &t, filter("unread")).await, [ids[2]]);
    assert_eq!(list(&db, &t, filter("favorites")).await, [ids[1]]);
    assert_eq!(list(&db, &t, filter("groups")).await, [ids[3]]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_conversations_searches_by_contact_name_or_phone(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    assert_eq!(list(&db, &t, search("carla")).await, [ids[2]], "name, case-insensitive");
    assert_eq!(list(&db, &t, search("SCHMI")).await, [ids[2]], "any fragment of the name");
    assert_eq!(list(&db, &t, search("7946 0958")).await, [ids[1]], "a phone fragment, spaces ignored");
    assert_eq!(list(&db, &t, search("+1 415")).await, [ids[0]]);
    assert!(list(&db, &t, search("nobody")).await.is_empty());
    assert!(list(&db, &t, search("%")).await.is_empty(), "LIKE wildcards are literal");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_ignores_accents_and_case_both_ways(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let mut ids = Vec::new();
    for (phone, name) in
        [("+14155550100", "Pablo Gómez"), ("+14155550101", "Zoë Ærø-Łukasz"), ("+14155550102", "Paul Gomes")]
    {
        let out = t.send(&db, &provider, phone, "hi").await;
        sqlx::query("UPDATE contacts SET name = $2 WHERE id = $1")
            .bind(out.contact_id)
            .bind(name)
            .execute(&db)
            .await
            .unwrap();
        ids.push(ConversationId(out.conversation_id));
    }
    assert_eq!(list(&db, &t, search("pablo gomez")).await, [ids[0]], "typed without the accent");
    assert_eq!(list(&db, &t, search("GÓMEZ")).await, [ids[0]], "typed with it, in capitals");
    assert_eq!(list(&db, &t, search("zoe")).await, [ids[1]]);
    assert_eq!(list(&db, &t, search("lukasz")).await, [ids[1]], "a letter with a stroke folds too");
    assert!(list(&db, &t, search("gomezz")).await.is_empty());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn clearing_the_search_restores_the_full_list(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    sidebar(&db, &t).await;
    assert_eq!(list(&db, &t, search("carla")).await.len(), 1);
    assert_eq!(list(&db, &t, search("")).await.len(), 4);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn filter_and_search_combined_apply_both(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    let q = |f: &str, s: &str| ConversationListQuery {
        filter: Some(f.into()),
        search: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(list(&db, &t, q("favorites", "ben")).await, [ids[1]]);
    assert!(list(&db, &t, q("favorites", "carla")).await.is_empty());
    assert_eq!(list(&db, &t, q("unread", "a")).await, [ids[2]]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn archived_conversations_are_excluded_by_default_and_listed_alone(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    assert!(!list(&db, &t, Default::default()).await.contains(&ids[4]));
    let archived = list(&db, &t, ConversationListQuery { archived: Some("true".into()), ..Default::default() }).await;
    assert_eq!(archived, [ids[4]]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn soft_deleted_conversations_are_not_listed(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    conversations::delete_conversation(&db, t.company, ids[0], None).await.unwrap();
    assert!(!list(&db, &t, Default::default()).await.contains(&ids[0]));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_conversations_pages_with_a_cursor_without_repeats_or_gaps(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let mut expected = Vec::new();
    for i in 0..7 {
        let out = t.send(&db, &provider, &format!("+1415555{:04}", 100 + i), "hi").await;
        expected.push(out.conversation_id);
    }
    expected.reverse();
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..4 {
        let params = ConversationListParams { limit: PageLimit::new(3).unwrap(), cursor, ..Default::default() };
        let page = conversations::list_conversations(&db, t.company, &params).await.unwrap();
        seen.extend(page.conversations.iter().map(|c| c.id));
        if !page.has_more {
            assert!(page.next_cursor.is_none());
            break;
        }
        cursor = Some(Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap());
    }
    assert_eq!(seen, expected);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn each_row_carries_its_contact_assignee_and_last_message_state(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let ids = sidebar(&db, &t).await;
    conversations::assign_conversation(&db, t.company, ids[0], Some(t.agent.id), None).await.unwrap();
    let params = ConversationListParams { filter: ConversationFilter::All, ..Default::default() };
    let page = conversations::list_conversations(&db, t.company, &params).await.unwrap();
    let ana = page.conversations.iter().find(|c| c.id == ids[0].0).unwrap();
    assert_eq!(ana.contact.name.as_deref(), Some("Ana Souza"));
    assert_eq!(ana.contact.phone_number.as_deref(), Some("+14155550100"));
    let assignee = ana.assignee.as_ref().unwrap();
    assert_eq!((UserId(assignee.id), assignee.name.as_str()), (t.agent.id, "Agent"));
    assert_eq!(ana.last_message_status, Some(inbox_types::MessageStatus::Sent));
    assert_eq!(ana.last_message_direction, Some(inbox_types::MessageDirection::Outbound));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_conversations_never_shows_another_companys_conversations(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    sidebar(&db, &b).await;
    assert!(list(&db, &a, Default::default()).await.is_empty());
    assert!(list(&db, &a, search("ana")).await.is_empty());
    let e =
        conversations::get_conversation(&db, a.company, list(&db, &b, Default::default()).await[0]).await.unwrap_err();
    assert_eq!(e.code(), inbox_types::ErrorCode::NotFound);
}
