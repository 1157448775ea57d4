//! After the send: automatic retries, provider statuses (also early and
//! out of order), and the sweeper.

use std::sync::Arc;
use std::time::Duration;

use inbox_domain::delivery::{self, ProviderStatus, StatusOutcome};
use inbox_domain::messages;
use inbox_domain::provider::{Accepted, ProviderError, ScriptedProvider};
use inbox_domain::send;
use inbox_types::{ErrorCode, LiveEvent, MessageId, MessageStatus};
use sqlx::PgPool;

use crate::common::*;

async fn make_due(db: &PgPool, id: MessageId) {
    sqlx::query("UPDATE messages SET next_attempt_at = now() - interval '1 second' WHERE id = $1 AND next_attempt_at IS NOT NULL")
        .bind(id.0)
        .execute(db)
        .await
        .unwrap();
}

async fn next_attempt_in(db: &PgPool, id: MessageId) -> Option<f64> {
    sqlx::query_scalar("SELECT EXTRACT(EPOCH FROM next_attempt_at - now())::float8 FROM messages WHERE id = $1")
        .bind(id.0)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_transient_failure_answers_sending_and_is_retried_automatically(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Err(ProviderError::transient(Some("130429"), "Rate limit hit"))]);
    let out = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    assert_eq!(out.message.status, MessageStatus::Sending, "the send answers at once, still sending");
    let id = MessageId(out.message_id);
    let wait = next_attempt_in(&db, id).await.expect("a retry is scheduled");
    assert!((0.5..=3.0).contains(&wait), "first retry after about 2 s, got {wait}");

    assert_eq!(send::run_due_retries(&db, &provider, 10).await.unwrap(), 0, "not due yet");
    make_due(&db, id).await;
    assert_eq!(send::run_due_retries(&db, &provider, 10).await.unwrap(), 1);
    assert_eq!(provider.calls().len(), 2);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Sent);
    assert_eq!(m.provider_message_id.as_deref(), Some("wamid.test.2"));
    assert_eq!(next_attempt_in(&db, id).await, None);
}

/// What the `message.status` events of message `id` told, in order: status,
/// attempt, and whether a next attempt was scheduled (repeats left out).
async fn progress_told(db: &PgPool, id: MessageId) -> Vec<(MessageStatus, i32, bool)> {
    let events: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT data FROM events WHERE kind = 'message.status' AND data->>'id' = $1::text ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(db)
    .await
    .unwrap();
    let mut told = Vec::new();
    for data in events {
        let Ok(LiveEvent::MessageStatus(e)) = LiveEvent::decode("message.status", data) else { panic!() };
        let step = (e.status, e.attempt, e.next_attempt_at.is_some());
        if told.last() != Some(&step) {
            told.push(step);
        }
    }
    told
}

/// Issue 17: a transiently failing send looked stuck (a clock for half a
/// minute); the bubble says "Retrying (attempt 2 of 5)…", and these are
/// its numbers: the attempt scheduled, then running, then the next.
#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_transient_failure_tells_the_attempt_scheduled_and_when_in_the_message_and_live(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let busy = || Err(ProviderError::transient(Some("130429"), "Rate limit hit"));
    let provider = ScriptedProvider::answering([busy(), busy()]);
    let out = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    let id = MessageId(out.message_id);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!((m.status, m.attempt), (MessageStatus::Sending, 2), "the second attempt is the one scheduled");
    let due: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT next_attempt_at FROM messages WHERE id = $1")
        .bind(id.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(m.next_attempt_at, Some(due));
    let LiveEvent::MessageStatus(live) = last_status_event(&db, id).await else { unreachable!() };
    assert_eq!((live.status, live.attempt, live.next_attempt_at), (MessageStatus::Sending, 2, Some(due)));

    for _ in 0..2 {
        make_due(&db, id).await;
        send::run_due_retries(&db, &provider, 10).await.unwrap();
    }
    use MessageStatus::*;
    assert_eq!(
        progress_told(&db, id).await,
        [(Sending, 2, true), (Sending, 2, false), (Sending, 3, true), (Sending, 3, false), (Sent, 3, false)],
        "scheduled, running, failed and scheduled again, running, sent"
    );
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!((m.status, m.attempt, m.next_attempt_at), (Sent, 3, None));
}

async fn last_status_event(db: &PgPool, id: MessageId) -> LiveEvent {
    let data: serde_json::Value = sqlx::query_scalar(
        "SELECT data FROM events WHERE kind = 'message.status' AND data->>'id' = $1::text ORDER BY id DESC LIMIT 1",
    )
    .bind(id.0)
    .fetch_one(db)
    .await
    .unwrap();
    LiveEvent::decode("message.status", data).unwrap()
}

/// Found end to end (tests/api/faults.rs): the outbox's grouped "sent"
/// update kept the error of the failure before, so a sent message still
/// said "Meta had a temporary problem".
#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_message_sent_on_retry_through_the_outbox_carries_no_earlier_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = Arc::new(ScriptedProvider::answering([Err(ProviderError::transient(Some("2"), "busy"))]));
    let outbox = inbox_domain::outbox::Outbox::start(db.clone(), provider.clone(), Default::default());
    let out = send::send_new_message(&db, &outbox, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    let id = MessageId(out.message_id);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!((m.status, m.error_code.as_deref()), (MessageStatus::Sending, Some("2")));
    make_due(&db, id).await;
    assert_eq!(send::run_due_retries(&db, &outbox, 10).await.unwrap(), 1);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Sent);
    assert_eq!((m.error_code, m.error_message), (None, None));
    assert_eq!(provider.calls().len(), 2);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_the_provider_may_have_taken_is_never_resent_automatically(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    // No answer in time: Meta may have delivered it.
    let provider = ScriptedProvider::answering([Err(ProviderError::unknown(
        "Meta did not answer in time; delivery unknown: the message may or may not have been sent.",
    ))]);
    let err = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WhatsappSendFailed);
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM messages").fetch_one(&db).await.unwrap();
    let m = messages::find(&db, t.company, MessageId(id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(m.error_code.as_deref(), Some("DELIVERY_UNKNOWN"), "the agent is told, and decides");
    assert_eq!(next_attempt_in(&db, MessageId(id)).await, None, "no automatic retry is scheduled");
    make_due(&db, MessageId(id)).await;
    assert_eq!(send::run_due_retries(&db, &provider, 10).await.unwrap(), 0);
    assert_eq!(provider.calls().len(), 1, "WhatsApp was asked once: no duplicate from our retries");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_retry_waits_as_long_as_the_provider_asks(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let busy = ProviderError::transient(Some("429"), "slow down").with_retry_after(Some(Duration::from_secs(40)));
    let provider = ScriptedProvider::answering([Err(busy)]);
    let out = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    let wait = next_attempt_in(&db, MessageId(out.message_id)).await.unwrap();
    assert!((38.0..=41.0).contains(&wait), "{wait}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_manual_retry_after_the_automatic_attempts_ran_out_gets_attempts_of_its_own(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let attempts = inbox_domain::provider::RetryPolicy::default().max_attempts as usize;
    // Every automatic attempt fails, then the agent's retry fails
    // transiently too: it is retried automatically, not failed at once.
    let provider = ScriptedProvider::answering(
        (0..=attempts).map(|i| Err(ProviderError::transient(Some("130429"), format!("busy {i}")))),
    );
    let out = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    let id = MessageId(out.message_id);
    for _ in 1..attempts {
        make_due(&db, id).await;
        send::run_due_retries(&db, &provider, 10).await.unwrap();
    }
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, MessageStatus::Failed);

    let retried = send::retry_failed_message(&db, &provider, t.actor(), id).await.unwrap();
    assert_eq!(retried.message.status, MessageStatus::Sending, "scheduled for an automatic retry again");
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().attempt, 2, "attempt 2 of its own series");
    assert!(next_attempt_in(&db, id).await.is_some());
    make_due(&db, id).await;
    send::run_due_retries(&db, &provider, 10).await.unwrap();
    assert_eq!(provider.calls().len(), attempts + 2, "its own series: the retry and an automatic one");
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, MessageStatus::Sent);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn when_the_attempts_run_out_the_message_fails_with_the_last_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let attempts = inbox_domain::provider::RetryPolicy::default().max_attempts as usize;
    let provider = ScriptedProvider::answering(
        (0..attempts).map(|i| Err(ProviderError::transient(Some("500"), format!("down {i}")))),
    );
    let out = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    let id = MessageId(out.message_id);
    for _ in 1..attempts {
        make_due(&db, id).await;
        send::run_due_retries(&db, &provider, 10).await.unwrap();
    }
    assert_eq!(provider.calls().len(), attempts);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(m.error_message.as_deref(), Some(format!("down {}", attempts - 1).as_str()));
    make_due(&db, id).await;
    assert_eq!(send::run_due_retries(&db, &provider, 10).await.unwrap(), 0, "nothing more is sent");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn concurrent_retry_workers_send_a_due_message_once(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = Arc::new(ScriptedProvider::answering([Err(ProviderError::transient(None, "timeout"))]));
    let out = send::send_new_message(&db, &*provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap();
    make_due(&db, MessageId(out.message_id)).await;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (db, provider) = (db.clone(), provider.clone());
            tokio::spawn(async move { send::run_due_retries(&db, &*provider, 10).await.unwrap() })
        })
        .collect();
    let claimed: usize = futures::future::join_all(workers).await.into_iter().map(Result::unwrap).sum();
    assert_eq!(claimed, 1);
    assert_eq!(provider.calls().len(), 2, "the first send and exactly one retry");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_sweeper_fails_messages_stuck_in_sending_and_nothing_else(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Err(ProviderError::transient(None, "timeout"))]);
    let scheduled =
        send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "retrying")).await.unwrap();
    let sent = t.send(&db, &provider, "+14155550100", "fine").await;
    // A message whose process died between commit and the provider's answer.
    let stuck = messages::create_message(
        &db,
        &messages::NewMessage::outbound(
            t.company,
            inbox_types::ConversationId(sent.conversation_id),
            inbox_types::ContactId(sent.contact_id),
            "stuck",
            None,
        ),
    )
    .await
    .unwrap();
    let fresh = messages::create_message(
        &db,
        &messages::NewMessage::outbound(
            t.company,
            inbox_types::ConversationId(sent.conversation_id),
            inbox_types::ContactId(sent.contact_id),
            "just now",
            None,
        ),
    )
    .await
    .unwrap();
    sqlx::query("UPDATE messages SET updated_at = now() - interval '10 minutes' WHERE id = ANY($1)")
        .bind(vec![stuck.id, scheduled.message_id, sent.message_id])
        .execute(&db)
        .await
        .unwrap();

    let swept = delivery::sweep_unknown_deliveries(&db, Duration::from_secs(120), 100).await.unwrap();
    assert_eq!(swept, [MessageId(stuck.id)]);
    let m = messages::find(&db, t.company, MessageId(stuck.id)).await.unwrap();
    assert_eq!((m.status, m.error_code.as_deref()), (MessageStatus::Failed, Some("DELIVERY_UNKNOWN")));
    for untouched in [scheduled.message_id, fresh.id] {
        assert_eq!(messages::find(&db, t.company, MessageId(untouched)).await.unwrap().status, MessageStatus::Sending);
    }
    assert_eq!(provider.calls().len(), 2, "the sweeper sends nothing");
}

fn status(pid: &str, status: MessageStatus) -> ProviderStatus {
    ProviderStatus { provider_message_id: pid.into(), status, error_code: None, error_message: None }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn provider_statuses_move_a_message_forward_only(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Ok(Accepted::id_only("wamid.A"))]);
    let out = t.send(&db, &provider, "+14155550100", "hi").await;
    let id = MessageId(out.message_id);
    use MessageStatus::*;
    for (s, expected) in [
        (Delivered, StatusOutcome::Applied(id)),
        (Delivered, StatusOutcome::Stale(id)),
        (Read, StatusOutcome::Applied(id)),
        (Delivered, StatusOutcome::Stale(id)),
        (Sent, StatusOutcome::Stale(id)),
        (Failed, StatusOutcome::Stale(id)),
    ] {
        assert_eq!(
            delivery::apply_provider_status(&db, t.company, &status("wamid.A", s)).await.unwrap(),
            expected,
            "{s}"
        );
    }
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, Read);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_failed_status_after_sent_fails_the_message_with_the_providers_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Ok(Accepted::id_only("wamid.F"))]);
    let out = t.send(&db, &provider, "+14155550100", "hi").await;
    let failed = ProviderStatus {
        provider_message_id: "wamid.F".into(),
        status: MessageStatus::Failed,
        error_code: Some("131026".into()),
        error_message: Some("Message undeliverable".into()),
    };
    delivery::apply_provider_status(&db, t.company, &failed).await.unwrap();
    let m = messages::find(&db, t.company, MessageId(out.message_id)).await.unwrap();
    assert_eq!((m.status, m.error_code.as_deref()), (MessageStatus::Failed, Some("131026")));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn statuses_that_overtake_the_send_are_applied_when_the_id_is_recorded(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    // The webhook says delivered, then read, before our send recorded the id.
    for s in [MessageStatus::Read, MessageStatus::Delivered] {
        let outcome = delivery::apply_provider_status(&db, t.company, &status("wamid.test.1", s)).await.unwrap();
        assert_eq!(outcome, StatusOutcome::Pending);
    }
    let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "hi").await;
    assert_eq!(out.message.status, MessageStatus::Read, "the send reports where the message really is");
    let m = messages::find(&db, t.company, MessageId(out.message_id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Read);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_statuses").fetch_one(&db).await.unwrap();
    assert_eq!(left, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_status_for_another_companys_provider_id_never_touches_its_message(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let out = a.send(&db, &ScriptedProvider::answering([Ok(Accepted::id_only("wamid.A1"))]), "+14155550100", "x").await;
    let outcome =
        delivery::apply_provider_status(&db, b.company, &status("wamid.A1", MessageStatus::Read)).await.unwrap();
    assert_eq!(outcome, StatusOutcome::Pending);
    assert_eq!(messages::find(&db, a.company, MessageId(out.message_id)).await.unwrap().status, MessageStatus::Sent);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn providers_never_report_sending(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let e =
        delivery::apply_provider_status(&db, t.company, &status("wamid.X", MessageStatus::Sending)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn messages_that_failed_together_are_retried_at_spread_out_times(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let outage = (0..20).map(|_| Err(ProviderError::transient(Some("503"), "Meta is down")));
    let provider = ScriptedProvider::answering(outage);
    let mut waits = Vec::new();
    for i in 0..20 {
        let out =
            send::send_new_message(&db, &provider, t.actor(), &new_message(&format!("+1415555{:04}", 100 + i), "hi"))
                .await
                .unwrap();
        waits.push(next_attempt_in(&db, MessageId(out.message_id)).await.unwrap());
    }
    // The first retry waits between half and all of the 2 s base delay.
    assert!(waits.iter().all(|w| (0.5..=2.5).contains(w)), "{waits:?}");
    let spread = waits.iter().cloned().fold(f64::MIN, f64::max) - waits.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 0.2, "twenty retries in the same instant: {waits:?}");
}
