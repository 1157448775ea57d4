//! Events are written and announced by the transaction that makes a change:
//! a committed change is always announced, a rolled-back one never.

use std::time::Duration;

use inbox_domain::events::{self, CHANNEL, Event, Replay};
use inbox_domain::provider::ScriptedProvider;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::common::*;

async fn kinds(db: &PgPool, company: inbox_types::CompanyId) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM events WHERE company_id = $1 ORDER BY id")
        .bind(company.0)
        .fetch_all(db)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_committed_change_is_announced_to_listeners_with_its_stored_event(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let mut listener = PgListener::connect_with(&db).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;

    let mut announced = Vec::new();
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(500), listener.recv()).await {
        announced.push(Event::from_notification(n.payload()).unwrap());
    }
    let stored: Vec<Event> =
        sqlx::query_as("SELECT id, company_id, kind, data FROM events ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(announced, stored, "every stored event is announced, as stored");
    assert!(announced.iter().all(|e| e.company_id == t.company.0));
    let created = announced.iter().find(|e| e.kind == "message.created").unwrap();
    assert_eq!(created.data["id"], serde_json::json!(out.message_id));
    assert!(announced.iter().any(|e| e.kind == "message.status" && e.data["status"] == "sent"));
    assert!(announced.iter().any(|e| e.kind == "conversation.updated" && e.data["lastMessagePreview"] == "hi"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_change_that_rolls_back_is_never_announced(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    let before = kinds(&db, t.company).await;
    let mut listener = PgListener::connect_with(&db).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();

    let mut tx = db.begin().await.unwrap();
    sqlx::query("UPDATE conversations SET is_favorite = true, unread_count = 3 WHERE id = $1")
        .bind(out.conversation_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    assert!(tokio::time::timeout(Duration::from_millis(500), listener.recv()).await.is_err(), "nothing announced");
    assert_eq!(kinds(&db, t.company).await, before, "nothing stored");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn changes_that_a_sidebar_does_not_show_announce_nothing(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    let before = kinds(&db, t.company).await;
    sqlx::query("UPDATE conversations SET updated_at = now() WHERE id = $1")
        .bind(out.conversation_id)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE messages SET attempts = attempts + 1 WHERE id = $1")
        .bind(out.message_id)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(kinds(&db, t.company).await, before);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn deleting_a_conversation_announces_its_deletion(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    let id = inbox_types::ConversationId(out.conversation_id);
    inbox_domain::conversations::delete_conversation(&db, t.company, id, Some(t.agent.id)).await.unwrap();
    assert_eq!(kinds(&db, t.company).await.last().map(String::as_str), Some("conversation.deleted"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn replay_returns_what_came_after_an_event_of_the_same_company_only(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let provider = ScriptedProvider::accepting();
    a.send(&db, &provider, "+14155550100", "one").await;
    let first: i64 = sqlx::query_scalar("SELECT max(id) FROM events WHERE company_id = $1")
        .bind(a.company.0)
        .fetch_one(&db)
        .await
        .unwrap();
    b.send(&db, &provider, "+14155550101", "other company").await;
    a.send(&db, &provider, "+14155550102", "two").await;

    let Replay::Events(events) = events::replay(&db, a.company, first, 1000).await.unwrap() else {
        panic!("the last event is in the window")
    };
    assert!(events.iter().all(|e| e.company_id == a.company.0));
    assert!(events.iter().any(|e| e.data["lastMessagePreview"] == "two"));
    assert!(events.iter().all(|e| e.id != first));
    // Another company's event id is as unknown as a purged one.
    let b_event: i64 = sqlx::query_scalar("SELECT max(id) FROM events WHERE company_id = $1")
        .bind(b.company.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(events::replay(&db, a.company, b_event, 1000).await.unwrap(), Replay::TooOld);
    // Too many to replay: refetch instead.
    assert_eq!(events::replay(&db, a.company, first, 1).await.unwrap(), Replay::TooOld);
    // Purged: too old.
    events::purge(&db, Duration::ZERO).await.unwrap();
    assert_eq!(events::replay(&db, a.company, first, 1000).await.unwrap(), Replay::TooOld);
}
