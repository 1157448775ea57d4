//! Concurrent sends (plan 10.4): one contact and conversation per number,
//! and messages of one conversation in a consistent order.

use std::sync::Arc;

use inbox_domain::conversations;
use inbox_domain::provider::ScriptedProvider;
use inbox_domain::send;
use inbox_types::ConversationId;
use sqlx::PgPool;

use crate::common::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn concurrent_first_sends_to_one_new_number_create_one_contact_and_one_conversation(db: PgPool) {
    let t = Arc::new(Tenant::new(&db, "Acme").await);
    let provider = Arc::new(ScriptedProvider::accepting());
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (db, t, provider) = (db.clone(), t.clone(), provider.clone());
            tokio::spawn(async move {
                send::send_new_message(&db, &*provider, t.actor(), &new_message("+14155550100", &format!("m{i}"))).await
            })
        })
        .collect();
    let outs: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM conversations WHERE company_id = $1", t.company).await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE company_id = $1", t.company).await, 8);
    assert_eq!(outs.iter().filter(|o| o.created_contact).count(), 1, "exactly one send created the contact");
    assert_eq!(outs.iter().filter(|o| o.created_conversation).count(), 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn concurrent_sends_to_one_conversation_keep_their_order(db: PgPool) {
    let t = Arc::new(Tenant::new(&db, "Acme").await);
    let provider = Arc::new(ScriptedProvider::accepting());
    let first = t.send(&db, &provider, "+14155550100", "start").await;
    let conv = ConversationId(first.conversation_id);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (db, t, provider) = (db.clone(), t.clone(), provider.clone());
            tokio::spawn(async move {
                send::send_new_message(&db, &*provider, t.actor(), &new_message("+14155550100", &format!("m{i}"))).await
            })
        })
        .collect();
    for r in futures::future::join_all(tasks).await {
        r.unwrap().unwrap();
    }
    // Times are taken under the conversation's row lock, so the stored order
    // (created_at) is the commit order, every time is distinct, and the
    // conversation's last message is the newest one.
    let rows: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT id, created_at FROM messages WHERE conversation_id = $1 ORDER BY created_at, id")
            .bind(conv.0)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(rows.len(), 11);
    assert!(rows.windows(2).all(|w| w[0].1 < w[1].1), "distinct, increasing times");
    let dto = conversations::get_conversation(&db, t.company, conv).await.unwrap();
    assert_eq!(dto.last_message_id, Some(rows.last().unwrap().0));
    assert_eq!(dto.last_message_time, rows.last().unwrap().1);
    let page =
        inbox_domain::messages::get_conversation_messages(&db, t.company, conv, &Default::default()).await.unwrap();
    let paged: Vec<_> = page.messages.iter().rev().map(|m| m.id).collect();
    let stored: Vec<_> = rows.iter().map(|r| r.0).collect();
    assert_eq!(paged, stored, "the page shows the stored order");
}

/// Answers only once `n` sends are waiting for it, all at the same moment.
struct AnswersTogether {
    inner: ScriptedProvider,
    gate: tokio::sync::Barrier,
}

#[async_trait::async_trait]
impl inbox_domain::provider::WhatsappProvider for AnswersTogether {
    async fn send_text(
        &self,
        channel: &inbox_domain::channels::Channel,
        to: &inbox_domain::provider::Recipient,
        text: &inbox_types::MessageText,
    ) -> Result<inbox_domain::provider::Accepted, inbox_domain::provider::ProviderError> {
        let answer = self.inner.send_text(channel, to, text).await;
        self.gate.wait().await;
        answer
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn answers_of_concurrent_sends_recorded_together_each_tell_the_truth(db: PgPool) {
    use inbox_domain::provider::Accepted;
    let t = Arc::new(Tenant::new(&db, "Acme").await);
    // Meta reports "delivered" for one message before our send records its id,
    // and answers two sends with the same id (a provider bug we survive).
    let early = inbox_domain::delivery::ProviderStatus {
        provider_message_id: "wamid.early".into(),
        status: inbox_types::MessageStatus::Delivered,
        error_code: None,
        error_message: None,
    };
    inbox_domain::delivery::apply_provider_status(&db, t.company, &early).await.unwrap();
    let answers = ["wamid.early", "wamid.twice", "wamid.twice"].map(|id| Ok(Accepted::id_only(id)));
    let provider = AnswersTogether { inner: ScriptedProvider::answering(answers), gate: tokio::sync::Barrier::new(12) };
    let outbox = Arc::new(inbox_domain::outbox::Outbox::start(db.clone(), Arc::new(provider), Default::default()));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (db, t, outbox) = (db.clone(), t.clone(), outbox.clone());
            tokio::spawn(async move {
                let to = format!("+1415555{:04}", 100 + i);
                send::send_new_message(&db, &*outbox, t.actor(), &new_message(&to, "together")).await
            })
        })
        .collect();
    let outs: Vec<_> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap().unwrap()).collect();

    let rows: Vec<(uuid::Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, provider_message_id FROM messages WHERE company_id = $1")
            .bind(t.company.0)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(rows.len(), 12);
    for out in &outs {
        let (_, status, provider_id) = rows.iter().find(|r| r.0 == out.message_id).unwrap();
        assert_eq!(&out.message.status.to_string(), status, "the answer tells the stored status");
        match provider_id.as_deref() {
            Some("wamid.early") => assert_eq!(status, "delivered", "the early status was applied"),
            _ => assert_eq!(status, "sent"),
        }
    }
    let twice = rows.iter().filter(|r| r.2.as_deref() == Some("wamid.twice")).count();
    let without = rows.iter().filter(|r| r.2.is_none()).count();
    assert_eq!((twice, without), (1, 1), "one message holds the repeated id, the other is sent without it");
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_statuses").fetch_one(&db).await.unwrap();
    assert_eq!(pending, 0);
}
