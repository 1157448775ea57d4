//! The schema: every table and index exists, and the hot queries walk their
//! keyset indexes in order instead of sorting.

use sqlx::PgPool;

use crate::common::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn migrations_create_every_table_and_index(db: PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    for t in [
        "api_tokens",
        "channels",
        "companies",
        "contacts",
        "conversations",
        "messages",
        "sessions",
        "users",
        "webhook_events",
    ] {
        assert!(tables.iter().any(|x| x == t), "missing table {t}");
    }
    let indexes: Vec<String> = sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'")
        .fetch_all(&db)
        .await
        .unwrap();
    for i in [
        "unique_contact_per_company",
        "contacts_company_active",
        "contacts_company_name",
        "contacts_name_trgm",
        "contacts_phone_trgm",
        "unique_conversation_per_company",
        "conversations_company_active_archived",
        "conversations_company_favorite",
        "conversations_company_unread",
        "conversations_assignee",
        "conversations_list_keyset",
        // The plan's other message indexes were dropped for cheaper writes
        // (migration ..._write_path.sql says which index serves their reads).
        "messages_page_keyset",
        "messages_sending",
        "messages_retry_due",
        "messages_client_key_per_company",
        "messages_provider_id_per_company",
    ] {
        assert!(indexes.iter().any(|x| x == i), "missing index {i}");
    }
    // Every table carries company_id.
    let without: Vec<String> = sqlx::query_scalar(
        "SELECT t.table_name::text FROM information_schema.tables t WHERE t.table_schema = 'public' \
           AND t.table_name NOT IN ('companies', '_sqlx_migrations') \
           AND NOT EXISTS (SELECT 1 FROM information_schema.columns c \
                            WHERE c.table_name = t.table_name AND c.column_name = 'company_id')",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(without.is_empty(), "tables without company_id: {without:?}");
}

async fn plan(db: &PgPool, sql: &str) -> String {
    let rows: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}"))).fetch_all(db).await.unwrap();
    rows.join("\n")
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_message_page_of_a_long_conversation_walks_its_index_in_order(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = inbox_domain::provider::ScriptedProvider::accepting();
    let out = t.send(&db, &provider, "+14155550100", "seed").await;
    let other = t.send(&db, &provider, "+442079460958", "seed").await;
    // 600 messages in the conversation under test, 3,000 in another one.
    for (conv, n) in [(&out, 600), (&other, 3000)] {
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content, created_at) \
             SELECT gen_random_uuid(), $1, $2, $3, 'inbound', 'read', 'm' || g, now() - g * interval '1 minute' \
               FROM generate_series(1, $4) g",
        )
        .bind(conv.conversation_id)
        .bind(t.company.0)
        .bind(conv.contact_id)
        .bind(n)
        .execute(&db)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE messages").execute(&db).await.unwrap();
    let first = plan(
        &db,
        &format!(
            "SELECT id FROM messages WHERE conversation_id = '{}' AND company_id = '{}' AND is_active \
             ORDER BY created_at DESC, id DESC LIMIT 51",
            out.conversation_id, t.company
        ),
    )
    .await;
    assert!(first.contains("Index Scan using messages_page_keyset"), "{first}");
    assert!(!first.contains("Sort"), "{first}");
    let older = plan(
        &db,
        &format!(
            "SELECT id FROM messages WHERE conversation_id = '{}' AND company_id = '{}' AND is_active \
               AND (created_at, id) < (now() - interval '300 minutes', '{}') \
             ORDER BY created_at DESC, id DESC LIMIT 51",
            out.conversation_id,
            t.company,
            uuid::Uuid::max()
        ),
    )
    .await;
    assert!(older.contains("Index Scan using messages_page_keyset"), "{older}");
    assert!(!older.contains("Sort"), "{older}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_conversation_list_walks_its_keyset_index_in_order(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    sqlx::query(
        "WITH c AS (INSERT INTO contacts (id, company_id, phone, name) \
                    SELECT gen_random_uuid(), $1, '+1415' || lpad(g::text, 7, '0'), 'Contact ' || g \
                      FROM generate_series(1, 2000) g RETURNING id) \
         INSERT INTO conversations (id, company_id, contact_id, last_message_time) \
         SELECT gen_random_uuid(), $1, c.id, now() - random() * interval '30 days' FROM c",
    )
    .bind(t.company.0)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&db).await.unwrap();
    let p = plan(
        &db,
        &format!(
            "SELECT c.id FROM conversations c WHERE c.company_id = '{}' AND c.is_active AND c.is_archived = false \
             ORDER BY c.last_message_time DESC, c.id DESC LIMIT 51",
            t.company
        ),
    )
    .await;
    assert!(p.contains("conversations_list_keyset"), "{p}");
    assert!(!p.contains("Sort"), "{p}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_name_search_uses_the_folded_trigram_index(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    sqlx::query(
        "INSERT INTO contacts (id, company_id, phone, name) \
         SELECT gen_random_uuid(), $1, '+1415' || lpad(g::text, 7, '0'), 'Contact Núñez ' || g \
           FROM generate_series(1, 3000) g",
    )
    .bind(t.company.0)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("ANALYZE contacts").execute(&db).await.unwrap();
    // The contact lookup of `list_conversations` for a term of 3+ characters.
    let p = plan(
        &db,
        &format!(
            "SELECT s.id FROM contacts s WHERE s.company_id = '{}' \
               AND (inbox_fold(s.name) LIKE inbox_fold('%gomez 17%') \
                    OR inbox_fold(s.username) LIKE inbox_fold('%gomez 17%'))",
            t.company
        ),
    )
    .await;
    assert!(p.contains("contacts_name_trgm"), "{p}");
    assert!(p.contains("contacts_username_trgm"), "{p}");
    assert!(!p.contains("Seq Scan"), "{p}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_status_update_looks_its_message_up_by_id_while_many_are_in_flight(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = inbox_domain::provider::ScriptedProvider::accepting();
    let out = t.send(&db, &provider, "+14155550100", "seed").await;
    let insert = |status: &'static str, n: i32| {
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content) \
             SELECT gen_random_uuid(), $1, $2, $3, 'outbound', $4, 'm' || g FROM generate_series(1, $5) g",
        )
        .bind(out.conversation_id)
        .bind(t.company.0)
        .bind(out.contact_id)
        .bind(status)
        .bind(n)
    };
    // Statistics taken while nothing was in flight, then a burst of sends
    // the statistics do not know about yet (as under load).
    insert("read", 5000).execute(&db).await.unwrap();
    sqlx::query("ANALYZE messages").execute(&db).await.unwrap();
    insert("sending", 2000).execute(&db).await.unwrap();

    // Plans as the app gets them: a prepared statement planned with its values.
    let mut conn = db.acquire().await.unwrap();
    sqlx::query("SET plan_cache_mode = force_custom_plan").execute(&mut *conn).await.unwrap();
    let explain = |name: &str| {
        format!(
            "EXPLAIN EXECUTE {name}('{}', '{}', 'sent', '{{sending}}', NULL, NULL, NULL, NULL)",
            t.company, out.message_id
        )
    };
    let naive = inbox_domain::messages::STATUS_UPDATE.replace("(status = ANY($4)) IS TRUE", "status = ANY($4)");
    for (name, sql) in [("naive", naive.as_str()), ("ours", inbox_domain::messages::STATUS_UPDATE)] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            // The parameter types sqlx sends.
            "PREPARE {name} (uuid, uuid, text, text[], text, text, text, text) AS {sql}"
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let plan_of = async |conn: &mut sqlx::PgConnection, name: &str| {
        let rows: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(explain(name))).fetch_all(&mut *conn).await.unwrap();
        rows.join("\n")
    };
    // The hazard is real: written plainly, the update walks every in-flight message.
    let naive = plan_of(&mut conn, "naive").await;
    assert!(naive.contains("messages_sending"), "the setup no longer reproduces the hazard: {naive}");
    let ours = plan_of(&mut conn, "ours").await;
    assert!(ours.contains("Index Scan using messages_pkey"), "{ours}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_webhook_finds_its_message_by_provider_id_through_an_index(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = inbox_domain::provider::ScriptedProvider::accepting();
    let out = t.send(&db, &provider, "+14155550100", "seed").await;
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content, \
                               provider_message_id) \
         SELECT gen_random_uuid(), $1, $2, $3, 'inbound', 'read', 'm' || g, 'wamid.' || g \
           FROM generate_series(1, 5000) g",
    )
    .bind(out.conversation_id)
    .bind(t.company.0)
    .bind(out.contact_id)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("ANALYZE messages").execute(&db).await.unwrap();
    let p = plan(
        &db,
        &format!(
            "UPDATE messages SET status = 'read' WHERE company_id = '{}' AND provider_message_id = 'wamid.77' \
               AND (status = ANY('{{sending,sent,delivered}}')) IS TRUE",
            t.company
        ),
    )
    .await;
    assert!(p.contains("messages_provider_id_per_company"), "{p}");
}
