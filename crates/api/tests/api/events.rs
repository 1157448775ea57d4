//! `GET /api/events`: a company's changes, live and replayed, and only its own.

use std::time::Duration;

use inbox_api::config::Config;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;
use crate::sse::SseClient;

const WAIT: Duration = Duration::from_secs(5);

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_event_stream_needs_a_signed_in_caller(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.anonymous(Method::GET, "/api/events").send().await.unwrap();
    expect_error(res, 401, "UNAUTHORIZED").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_reaches_its_companys_stream_with_the_new_message_its_status_and_the_conversation(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let mut a = SseClient::open(app.as_a(Method::GET, "/api/events")).await;
    let sent = app.send_as_a("+14155550100", "Hello over SSE").await;

    // One transaction makes the conversation and the message, the next
    // records "sent": the first two may come in either order.
    let events = a.drain(Duration::from_secs(2)).await;
    let find = |kind: &str, key: &str, value: &serde_json::Value| {
        events.iter().find(|e| e.kind == kind && &e.data[key] == value).cloned().unwrap_or_else(|| {
            panic!("no {kind} with {key}={value} in {events:#?}");
        })
    };
    let created = find("message.created", "id", &sent["messageId"]);
    assert_eq!(created.data["conversationId"], sent["conversationId"]);
    assert_eq!(created.data["direction"], "outbound");
    let updated = find("conversation.updated", "lastMessagePreview", &json!("Hello over SSE"));
    assert_eq!(updated.data["id"], sent["conversationId"]);
    let status = find("message.status", "status", &json!("sent"));
    assert_eq!(status.data["id"], sent["messageId"]);
    assert!(status.id > created.id, "ids grow: {created:?} {status:?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn another_companys_changes_never_reach_a_subscriber(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let mut b = SseClient::open(app.as_b(Method::GET, "/api/events")).await;
    let sent = app.send_as_a("+14155550100", "For company A only").await;
    let conversation = sent["conversationId"].as_str().unwrap();
    app.as_a(Method::POST, &format!("/api/conversations/{conversation}/favorite")).send().await.unwrap();
    // B's own change arrives; nothing of A's came before it.
    app.send_as_b("+14155550101", "B's own").await;
    let events = b.drain(Duration::from_secs(2)).await;
    assert!(!events.is_empty(), "B sees its own changes");
    for e in &events {
        assert_ne!(e.data["conversationId"].as_str(), Some(conversation), "{e:?}");
        assert_ne!(e.data["id"].as_str(), Some(conversation), "{e:?}");
        assert_ne!(e.data["lastMessagePreview"], "For company A only", "{e:?}");
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_client_reconnecting_with_last_event_id_gets_what_it_missed(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let mut first = SseClient::open(app.as_a(Method::GET, "/api/events")).await;
    let sent = app.send_as_a("+14155550100", "Before the gap").await;
    let seen = first.expect("message.status", WAIT).await;
    drop(first);

    // While disconnected: the conversation is favorited and marked read.
    let conversation = sent["conversationId"].as_str().unwrap();
    app.as_a(Method::POST, &format!("/api/conversations/{conversation}/favorite")).send().await.unwrap();

    let favorited = |events: &[crate::sse::SseEvent]| {
        events
            .iter()
            .find(|e| e.kind == "conversation.updated" && e.data["isFavorite"] == true)
            .cloned()
            .unwrap_or_else(|| panic!("the favorite change was not replayed: {events:#?}"))
    };
    let req = app.as_a(Method::GET, "/api/events").header("Last-Event-ID", seen.id.unwrap().to_string());
    let mut again = SseClient::open(req).await;
    let missed = favorited(&again.drain(Duration::from_secs(1)).await);
    assert_eq!(missed.data["id"], conversation);
    assert!(missed.id.unwrap() > seen.id.unwrap());

    // The query parameter works the same, for clients that cannot set headers.
    let req = app.as_a(Method::GET, &format!("/api/events?lastEventId={}", seen.id.unwrap()));
    let mut by_query = SseClient::open(req).await;
    assert_eq!(favorited(&by_query.drain(Duration::from_secs(1)).await).id, missed.id);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_client_whose_last_event_is_gone_is_told_to_resync(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let req = app.as_a(Method::GET, "/api/events").header("Last-Event-ID", "987654321");
    let mut client = SseClient::open(req).await;
    client.expect("resync", WAIT).await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_last_event_id_that_is_not_a_number_is_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.as_a(Method::GET, "/api/events?lastEventId=yesterday").send().await.unwrap();
    let body = expect_error(res, 422, "VALIDATION_ERROR").await;
    assert_eq!(body["field"], "lastEventId");
    let res = app.as_a(Method::GET, "/api/events?since=1").send().await.unwrap();
    expect_error(res, 400, "VALIDATION_ERROR").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_idle_stream_gets_keep_alive_comments(db: PgPool) {
    let app = TestApp::spawn_with(db, Config { sse_keepalive_secs: 1, ..Config::default() }).await;
    let mut client = SseClient::open(app.as_a(Method::GET, "/api/events")).await;
    assert!(client.next(Duration::from_millis(2500)).await.is_none());
    assert!(client.comments >= 1, "no keep-alive in 2.5 s");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_agents_browser_session_can_subscribe_and_sees_a_chat_change_hands(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    // The agent who starts a chat takes it.
    let sent = app.send_as_a("+14155550100", "Needs an owner").await;
    let conversation = sent["conversationId"].as_str().unwrap().to_owned();
    let browser = app.browser_as_a().await;
    let mut stream = SseClient::open(browser.get(app.url("/api/events"))).await;
    let res = app
        .as_a(Method::PUT, &format!("/api/conversations/{conversation}/assignee"))
        .json(&json!({"userId": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let e = stream.expect("conversation.updated", WAIT).await;
    assert_eq!(e.data["id"], conversation);
    assert_eq!(e.data["assignedToUserId"], json!(null));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn stream_counts_appear_on_metrics(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let _client = SseClient::open(app.as_a(Method::GET, "/api/events")).await;
    let text = app.anonymous(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("inbox_sse_connections"), "{text}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_stream_ends_after_its_maximum_age_so_clients_reconnect(db: PgPool) {
    let config = Config { sse_max_age_secs: 1, sse_keepalive_secs: 60, ..Config::default() };
    let app = TestApp::spawn_with(db, config).await;
    let mut client = SseClient::open(app.as_a(Method::GET, "/api/events")).await;
    let started = std::time::Instant::now();
    assert!(client.next(Duration::from_secs(5)).await.is_none());
    assert!(started.elapsed() < Duration::from_secs(4), "the stream ended on time");
}
