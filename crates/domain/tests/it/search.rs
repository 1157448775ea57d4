//! Issue 17: message search (words anywhere in the company's chats, or in
//! one chat, ignoring case and accents, newest first, keyset-paged) and the
//! message page around a search hit.

use inbox_domain::messages;
use inbox_domain::provider::ScriptedProvider;
use inbox_domain::{DomainError, conversations};
use inbox_types::dto::{MessageListParams, MessagePage, PageLimit};
use inbox_types::search::{MessageSearchParams, SearchWords};
use inbox_types::{ConversationId, Cursor, MessageId};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::*;

fn search(q: &str) -> MessageSearchParams {
    MessageSearchParams {
        words: SearchWords::parse(q).unwrap(),
        conversation_id: None,
        cursor: None,
        limit: PageLimit::new(20).unwrap(),
    }
}

async fn found(db: &PgPool, t: &Tenant, params: &MessageSearchParams) -> Vec<String> {
    let out = messages::search_messages(db, t.company, params).await.unwrap();
    out.hits.into_iter().map(|h| h.message.content).collect()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_finds_words_by_their_start_ignoring_case_and_accents_newest_first(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let p = ScriptedProvider::accepting();
    t.send(&db, &p, "+14155550100", "Your ORDER left the warehouse").await;
    t.send(&db, &p, "+442079460958", "Café Gómez ordered twice").await;
    t.send(&db, &p, "+442079460958", "Nothing to see here").await;
    assert_eq!(found(&db, &t, &search("order")).await, ["Café Gómez ordered twice", "Your ORDER left the warehouse"]);
    assert_eq!(found(&db, &t, &search("cafe gomez")).await, ["Café Gómez ordered twice"]);
    assert_eq!(found(&db, &t, &search("GÓMEZ order")).await, ["Café Gómez ordered twice"]);
    assert!(found(&db, &t, &search("gomez warehouse")).await.is_empty(), "every word must occur");
    assert!(found(&db, &t, &search("rder")).await.is_empty(), "words match from their start");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_hit_names_its_chat_and_highlights_the_found_words(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let sent = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "Hola, el pedido de Gómez llegó").await;
    let out = messages::search_messages(&db, t.company, &search("gomez")).await.unwrap();
    let hit = &out.hits[0];
    assert_eq!(hit.message.id, sent.message_id);
    assert_eq!(hit.conversation.id, sent.conversation_id);
    assert_eq!(hit.conversation.title, "+14155550100", "no name yet: the number");
    let matched: Vec<&str> = hit.snippet.iter().filter(|p| p.matched).map(|p| p.text.as_str()).collect();
    assert_eq!(matched, ["Gómez"], "the word as written is highlighted");
    let text: String = hit.snippet.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(text, "Hola, el pedido de Gómez llegó");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_pages_by_keyset_without_repeats_or_gaps(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let p = ScriptedProvider::accepting();
    for i in 0..25 {
        t.send(&db, &p, "+14155550100", &format!("invoice number {i}")).await;
        t.send(&db, &p, "+14155550100", &format!("unrelated {i}")).await;
    }
    let mut params = search("invoice");
    params.limit = PageLimit::new(10).unwrap();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let out = messages::search_messages(&db, t.company, &params).await.unwrap();
        pages += 1;
        seen.extend(out.hits.iter().map(|h| h.message.content.clone()));
        assert_eq!(out.has_more, out.next_cursor.is_some());
        match out.next_cursor {
            Some(c) => params.cursor = Some(Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..25).rev().map(|i| format!("invoice number {i}")).collect();
    assert_eq!(seen, expected);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_never_finds_another_companys_or_cleared_or_deleted_messages(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let p = ScriptedProvider::accepting();
    let kept = a.send(&db, &p, "+14155550100", "refund approved").await;
    let cleared = a.send(&db, &p, "+442079460958", "refund pending").await;
    let deleted = a.send(&db, &p, "+49301234567", "refund rejected").await;
    b.send(&db, &p, "+14155550100", "refund of Globex").await;
    conversations::clear_conversation(&db, a.company, ConversationId(cleared.conversation_id), None).await.unwrap();
    conversations::delete_conversation(&db, a.company, ConversationId(deleted.conversation_id), None).await.unwrap();
    assert_eq!(found(&db, &a, &search("refund")).await, ["refund approved"]);
    assert_eq!(found(&db, &b, &search("refund")).await, ["refund of Globex"]);
    let _ = kept;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_chats_own_search_finds_only_its_messages_and_another_companys_chat_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let p = ScriptedProvider::accepting();
    let one = a.send(&db, &p, "+14155550100", "size M please").await;
    a.send(&db, &p, "+442079460958", "size L please").await;
    let theirs = b.send(&db, &p, "+14155550100", "size S").await;
    let mut params = search("size");
    params.conversation_id = Some(ConversationId(one.conversation_id));
    assert_eq!(found(&db, &a, &params).await, ["size M please"]);
    params.conversation_id = Some(ConversationId(theirs.conversation_id));
    let err = messages::search_messages(&db, a.company, &params).await.unwrap_err();
    assert!(matches!(err, DomainError::NotFound("conversation")), "{err:?}");
}

fn page(page: MessagePage, limit: i64) -> MessageListParams {
    MessageListParams { page, limit: PageLimit::new(limit).unwrap() }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_page_around_a_hit_holds_it_with_older_and_newer_messages_and_pages_both_ways(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let p = ScriptedProvider::accepting();
    let mut ids = Vec::new();
    let mut conv = None;
    for i in 0..30 {
        let out = t.send(&db, &p, "+14155550100", &format!("message {i}")).await;
        conv = Some(ConversationId(out.conversation_id));
        ids.push(out.message_id);
    }
    let conv = conv.unwrap();
    let around =
        messages::get_conversation_messages(&db, t.company, conv, &page(MessagePage::Around(MessageId(ids[10])), 10))
            .await
            .unwrap();
    let got: Vec<Uuid> = around.messages.iter().map(|m| m.id).collect();
    let expected: Vec<Uuid> = ids[6..=15].iter().rev().copied().collect();
    assert_eq!(got, expected, "5 newer, the hit and 4 older, newest first");
    assert!(around.has_more);
    // Newer pages follow on without a gap, up to the newest message.
    let mut newer = around.next_cursor.clone().expect("newer messages exist");
    let mut seen: Vec<Uuid> = Vec::new();
    loop {
        let next = messages::get_conversation_messages(
            &db,
            t.company,
            conv,
            &page(MessagePage::After(Cursor::decode(&newer).unwrap()), 6),
        )
        .await
        .unwrap();
        seen.extend(next.messages.iter().rev().map(|m| m.id));
        match next.next_cursor {
            Some(c) => newer = c,
            None => break,
        }
    }
    assert_eq!(seen, ids[16..].to_vec());
    // Older pages go on from the page's previous cursor.
    let older = messages::get_conversation_messages(
        &db,
        t.company,
        conv,
        &page(MessagePage::Before(Cursor::decode(around.previous_cursor.as_deref().unwrap()).unwrap()), 50),
    )
    .await
    .unwrap();
    let older_ids: Vec<Uuid> = older.messages.iter().map(|m| m.id).collect();
    assert_eq!(older_ids, ids[..6].iter().rev().copied().collect::<Vec<_>>());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_page_around_a_message_of_another_chat_or_a_cleared_one_is_not_found(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let p = ScriptedProvider::accepting();
    let one = t.send(&db, &p, "+14155550100", "one").await;
    let two = t.send(&db, &p, "+442079460958", "two").await;
    let conv = ConversationId(one.conversation_id);
    let err = messages::get_conversation_messages(
        &db,
        t.company,
        conv,
        &page(MessagePage::Around(MessageId(two.message_id)), 10),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
    conversations::clear_conversation(&db, t.company, conv, None).await.unwrap();
    let err = messages::get_conversation_messages(
        &db,
        t.company,
        conv,
        &page(MessagePage::Around(MessageId(one.message_id)), 10),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_message_search_uses_the_full_text_index_not_a_scan(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "seed").await;
    sqlx::query(
        "INSERT INTO messages (id, company_id, conversation_id, contact_id, direction, status, content, created_at) \
         SELECT gen_random_uuid(), $1, $2, $3, 'inbound', 'delivered', 'message number ' || g || ' about shoes', \
                now() - g * interval '1 minute' \
           FROM generate_series(1, 5000) g",
    )
    .bind(t.company.0)
    .bind(out.conversation_id)
    .bind(out.contact_id)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("ANALYZE messages").execute(&db).await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN SELECT id FROM messages WHERE company_id = '{}' AND is_active AND kind <> 'reaction' \
           AND to_tsvector('inbox_search', content) @@ to_tsquery('inbox_search', 'number:* & 4217:*') \
         ORDER BY created_at DESC, id DESC LIMIT 21",
        t.company
    )))
    .fetch_all(&db)
    .await
    .unwrap();
    let plan = rows.join("\n");
    assert!(plan.contains("messages_search"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_short_messages_snippet_is_all_of_it_short_words_included(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "Do you ship to Zürich?").await;
    let out = messages::search_messages(&db, t.company, &search("zurich")).await.unwrap();
    let text: String = out.hits[0].snippet.iter().map(|p| p.text.as_str()).collect();
    // ts_headline ends at the last word (the "?" goes); the short first word stays.
    assert_eq!(text, "Do you ship to Zürich");
}
