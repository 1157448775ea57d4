//! Events are written and announced by the transaction that makes a change:
//! a committed change is always announced, a rolled-back one never.

use std::time::Duration;

use inbox_domain::events::{self, CHANNEL, Event, Replay};
use inbox_domain::provider::{ProviderError, ScriptedProvider};
use inbox_types::{LiveEvent, MessageDirection, MessageStatus};
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

/// The next notification, decoded.
async fn next(listener: &mut PgListener) -> Event {
    let n = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await.expect("a notification").unwrap();
    Event::from_notification(n.payload()).unwrap()
}

/// Every event stored for `company`, decoded as the server decodes them.
async fn stored(db: &PgPool, company: inbox_types::CompanyId) -> Vec<Event> {
    let rows: Vec<(i64, uuid::Uuid, String, serde_json::Value)> =
        sqlx::query_as("SELECT id, company_id, kind, data FROM events WHERE company_id = $1 ORDER BY id")
            .bind(company.0)
            .fetch_all(db)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(id, company_id, kind, data)| Event { id, company_id, event: LiveEvent::decode(&kind, data).unwrap() })
        .collect()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn what_every_trigger_emits_decodes_as_a_live_event_and_is_announced_as_stored(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let mut listener = PgListener::connect_with(&db).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();
    let sent = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    let refusing = ScriptedProvider::answering([Err(ProviderError::permanent(Some("131026"), "Undeliverable"))]);
    inbox_domain::send::send_new_message(&db, &refusing, t.actor(), &new_message("+14155550101", "no"))
        .await
        .unwrap_err();
    let busy = ScriptedProvider::answering([Err(ProviderError::transient(Some("130429"), "Rate limit hit"))]);
    let retrying = t.send(&db, &busy, "+14155550102", "soon").await;
    let id = inbox_types::ConversationId(sent.conversation_id);
    inbox_domain::conversations::delete_conversation(&db, t.company, id, Some(t.agent.id)).await.unwrap();

    // The deletion came last: everything before it has been announced.
    let mut announced = vec![next(&mut listener).await];
    while !matches!(announced.last().unwrap().event, LiveEvent::ConversationDeleted(_)) {
        announced.push(next(&mut listener).await);
    }
    assert_eq!(announced, stored(&db, t.company).await, "every stored event is announced, as stored");
    assert!(announced.iter().all(|e| e.company_id == t.company.0));
    let events: Vec<&LiveEvent> = announced.iter().map(|e| &e.event).collect();
    assert!(
        events.iter().any(|e| matches!(e, LiveEvent::MessageCreated(m)
        if m.id == sent.message_id && m.direction == MessageDirection::Outbound && m.status == MessageStatus::Sending))
    );
    assert!(events.iter().any(|e| matches!(e, LiveEvent::MessageStatus(m)
        if m.id == sent.message_id && m.status == MessageStatus::Sent && m.error_code.is_none())));
    assert!(events.iter().any(|e| matches!(e, LiveEvent::MessageStatus(m)
        if m.status == MessageStatus::Failed && m.error_code.as_deref() == Some("131026")
            && m.error_message.as_deref() == Some("Undeliverable") && m.attempt == 1 && m.next_attempt_at.is_none())));
    assert!(events.iter().any(|e| matches!(e, LiveEvent::MessageStatus(m)
        if m.id == retrying.message_id && m.status == MessageStatus::Sending && m.attempt == 2
            && m.next_attempt_at.is_some() && m.error_code.as_deref() == Some("130429"))));
    assert!(events.iter().any(|e| matches!(e, LiveEvent::ConversationUpdated(c)
        if c.id == sent.conversation_id && c.last_message_preview.as_deref() == Some("hi")
            && c.last_message_id == Some(sent.message_id))));
    assert!(events.iter().any(|e| matches!(e, LiveEvent::ConversationDeleted(c) if c.id == sent.conversation_id)));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_change_that_rolls_back_is_never_announced(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    let before = stored(&db, t.company).await;
    let mut listener = PgListener::connect_with(&db).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();

    let mut tx = db.begin().await.unwrap();
    sqlx::query("UPDATE conversations SET is_favorite = true, unread_count = 3 WHERE id = $1")
        .bind(out.conversation_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored(&db, t.company).await, before, "nothing stored");

    // A marker committed after the rollback is the next thing announced:
    // notifications arrive in commit order, so nothing came before it.
    sqlx::query("UPDATE conversations SET is_archived = true WHERE id = $1")
        .bind(out.conversation_id)
        .execute(&db)
        .await
        .unwrap();
    let marker = next(&mut listener).await;
    assert!(
        matches!(&marker.event, LiveEvent::ConversationUpdated(c) if c.is_archived && !c.is_favorite && c.unread_count == 0),
        "the first announcement is the marker, not the rolled-back change: {marker:?}"
    );
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
    assert!(events.iter().any(
        |e| matches!(&e.event, LiveEvent::ConversationUpdated(c) if c.last_message_preview.as_deref() == Some("two"))
    ));
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
