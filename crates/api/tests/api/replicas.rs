//! Inbox as several replicas: two `inbox serve` processes against one
//! database. Events cross processes through PostgreSQL, and the background
//! workers of both never handle one message twice.

use std::time::{Duration, Instant};

use chrono::Utc;
use inbox_types::MessageStatus;
use inbox_whatsapp::webhook::meta;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{MetaAccepts, Served, http, sent, tenant, url_of};
use crate::sse::SseClient;

const PHONE_NUMBER_ID: &str = "106540352242922";
/// What `helpers::tenant` gives the "Replicated" company.
const APP_SECRET: &str = "secret-replicated";

/// Stops replicas as a deploy would (SIGTERM), then waits until their
/// database sessions are gone, so the test's database can be dropped.
async fn stop(replicas: Vec<Served>, db: &PgPool) {
    for r in &replicas {
        r.terminate();
    }
    for mut r in replicas {
        r.exited().await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'inbox-replica'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if left == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn replica(db: &PgPool, meta_base: &str) -> Served {
    let env = [("INBOX_DATABASE_MAX_CONNECTIONS", "4"), ("INBOX_META_API_BASE", meta_base), ("INBOX_LOG", "warn")];
    Served::start(format!("{}?application_name=inbox-replica", url_of(db)), &env).await
}

/// The company every test here uses; returns its API token.
async fn company(db: &PgPool) -> String {
    tenant(db, "Replicated", PHONE_NUMBER_ID).await.token
}

async fn send(http: &reqwest::Client, replica: &Served, token: &str, phone: &str, text: &str) -> Value {
    sent(http.post(format!("{}/api/messages", replica.url)).bearer_auth(token), phone, text).await
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_through_one_replica_and_a_webhook_through_the_other_both_reach_a_stream_on_the_first(db: PgPool) {
    let meta_api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{PHONE_NUMBER_ID}/messages")))
        .respond_with(MetaAccepts)
        .mount(&meta_api)
        .await;
    let token = company(&db).await;
    let a = replica(&db, &meta_api.uri()).await;
    let b = replica(&db, &meta_api.uri()).await;
    let http = http();
    let mut stream = SseClient::open(http.get(format!("{}/api/events", a.url)).bearer_auth(&token)).await;

    let sent = send(&http, &a, &token, "+14155550100", "Sent through A").await;
    let message_id = sent["messageId"].clone();
    let created = stream.expect("message.created", Duration::from_secs(10)).await;
    assert_eq!(created.data["id"], message_id);

    // WhatsApp reports delivery to the other replica.
    let provider_id: String = sqlx::query_scalar("SELECT provider_message_id FROM messages WHERE id = $1")
        .bind(uuid::Uuid::parse_str(message_id.as_str().unwrap()).unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    let body = meta::status_payload(PHONE_NUMBER_ID, &provider_id, MessageStatus::Delivered, "14155550100", Utc::now());
    let res = http
        .post(format!("{}/api/whatsapp/webhook", b.url))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", meta::sign(APP_SECRET.as_bytes(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e = stream.expect("message.status", deadline - Instant::now()).await;
        if e.data["id"] == message_id && e.data["status"] == "delivered" {
            break;
        }
    }
    drop(stream);
    stop(vec![a, b], &db).await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn retry_workers_in_both_replicas_send_each_due_message_exactly_once_more(db: PgPool) {
    const MESSAGES: usize = 12;
    let meta_api = MockServer::start().await;
    // The first attempt of every message fails transiently; later ones pass.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "busy", "code": 2}})))
        .up_to_n_times(MESSAGES as u64)
        .with_priority(1)
        .mount(&meta_api)
        .await;
    Mock::given(method("POST")).respond_with(MetaAccepts).with_priority(2).mount(&meta_api).await;
    let token = company(&db).await;
    let a = replica(&db, &meta_api.uri()).await;
    let b = replica(&db, &meta_api.uri()).await;
    let http = http();
    for i in 0..MESSAGES {
        let out = send(&http, &a, &token, &format!("+1415555{:04}", 100 + i), &format!("retry me {i}")).await;
        assert_eq!(out["message"]["status"], "sending", "scheduled for an automatic retry");
    }

    // Both replicas' retry workers now race for the due messages.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM messages WHERE status = 'sent'").fetch_one(&db).await.unwrap();
        if sent as usize == MESSAGES {
            break;
        }
        assert!(Instant::now() < deadline, "only {sent} of {MESSAGES} were retried");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every claim either replica had made has been sent by the end of its
    // next two passes: a double claim would have called Meta by then.
    for r in [&a, &b] {
        r.two_more_passes("retries", Duration::from_secs(20)).await;
    }
    let calls = meta_api.received_requests().await.unwrap();
    assert_eq!(calls.len(), 2 * MESSAGES, "one failed attempt and one retry per message, no more");
    for i in 0..MESSAGES {
        // Quoted: "retry me 1" must not count "retry me 10".
        let text = format!("\"retry me {i}\"");
        let n = calls.iter().filter(|r| String::from_utf8_lossy(&r.body).contains(&text)).count();
        assert_eq!(n, 2, "{text} was sent {n} times");
    }
    stop(vec![a, b], &db).await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn sweepers_in_both_replicas_fail_each_stuck_message_once_and_send_nothing(db: PgPool) {
    const STUCK: i64 = 30;
    let meta_api = MockServer::start().await;
    Mock::given(method("POST")).respond_with(MetaAccepts).mount(&meta_api).await;
    let token = company(&db).await;
    let http = http();
    // Messages whose provider call never answered, an hour ago: the state
    // a crash mid-send leaves.
    let seed = replica(&db, &meta_api.uri()).await;
    let sent = send(&http, &seed, &token, "+14155550100", "a conversation").await;
    stop(vec![seed], &db).await;
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content, created_at, updated_at) \
         SELECT gen_random_uuid(), conversation_id, company_id, contact_id, 'outbound', 'sending', 'stuck ' || g, \
                now() - interval '1 hour', now() - interval '1 hour' \
           FROM messages, generate_series(1, $2) g WHERE id = $1",
    )
    .bind(uuid::Uuid::parse_str(sent["messageId"].as_str().unwrap()).unwrap())
    .bind(STUCK)
    .execute(&db)
    .await
    .unwrap();
    let calls_before = meta_api.received_requests().await.unwrap().len();

    let a = replica(&db, &meta_api.uri()).await;
    let b = replica(&db, &meta_api.uri()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let failed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM messages WHERE error_code = 'DELIVERY_UNKNOWN' AND content LIKE 'stuck %'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if failed == STUCK {
            break;
        }
        assert!(Instant::now() < deadline, "only {failed} of {STUCK} were swept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each was failed by one sweeper: one "failed" event per message.
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT data->>'id', count(*) FROM events WHERE kind = 'message.status' AND data->>'status' = 'failed' \
         GROUP BY 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(events.len() as i64, STUCK);
    assert!(events.iter().all(|(_, n)| *n == 1), "{events:?}");
    assert_eq!(meta_api.received_requests().await.unwrap().len(), calls_before, "the sweeper sends nothing");
    stop(vec![a, b], &db).await;
}
