//! Sending (plan 6.2 through HTTP), retry, idempotency and the plan's
//! WhatsApp send endpoint.

use inbox_api::config::Config;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn sending_to_a_new_number_creates_the_conversation_and_calls_meta_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{}/messages", app.a.phone_number_id)))
        .and(header("authorization", "Bearer EAAG-acme"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "14155550100",
            "type": "text",
            "text": {"preview_url": false, "body": "Hello 👋"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.ONE"}]})))
        .expect(1)
        .mount(&app.meta)
        .await;

    let res = app
        .as_a(Method::POST, "/api/messages")
        .json(&json!({"phoneNumber": "+1 (415) 555-0100", "messageText": "Hello 👋"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    // The plan's SendNewMessageOutput, field for field.
    let mut keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["contactId", "conversationId", "createdContact", "createdConversation", "message", "messageId", "success"]
    );
    let mut message_keys: Vec<&String> = out["message"].as_object().unwrap().keys().collect();
    message_keys.sort();
    assert_eq!(message_keys, ["content", "createdAt", "id", "status"]);
    assert_eq!(out["success"], true);
    assert_eq!(out["createdContact"], true);
    assert_eq!(out["createdConversation"], true);
    assert_eq!(out["message"]["status"], "sent");
    assert_eq!(out["message"]["content"], "Hello 👋");

    let list: Value = app.as_a(Method::GET, "/api/conversations").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["conversations"][0]["id"], out["conversationId"]);
    assert_eq!(list["conversations"][0]["lastMessagePreview"], "Hello 👋");
    assert_eq!(list["conversations"][0]["contact"]["phoneNumber"], "+14155550100");

    app.meta_accepts().await;
    let again = app.send_as_a("+14155550100", "Second").await;
    assert_eq!(again["createdContact"], false);
    assert_eq!(again["conversationId"], out["conversationId"]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn invalid_send_input_is_refused_naming_the_field_and_stores_nothing(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let long = "x".repeat(4097);
    let cases = [
        (json!({"phoneNumber": "not a number", "messageText": "hi"}), 422, "phoneNumber"),
        (json!({"phoneNumber": "+1 415", "messageText": "hi"}), 422, "phoneNumber"),
        (json!({"phoneNumber": "030 1234567", "messageText": "hi"}), 422, "phoneNumber"),
        (json!({"phoneNumber": "+14155550100", "messageText": "   "}), 422, "messageText"),
        (json!({"phoneNumber": "+14155550100", "messageText": long}), 422, "messageText"),
        (json!({"phoneNumber": "+14155550100", "messageText": "hi", "clientKey": ""}), 422, "clientKey"),
        (json!({"phoneNumber": "+14155550100"}), 400, "messageText"),
        (json!({"phoneNumber": 4155550100u64, "messageText": "hi"}), 400, "phoneNumber"),
        (json!({"phoneNumber": "+14155550100", "messageText": "hi", "priority": "high"}), 400, "priority"),
        (json!({"phoneNumber": "+14155550100", "messageText": "hi", "companyId": "acme"}), 400, "companyId"),
    ];
    for (body, status, field) in cases {
        let res = app.as_a(Method::POST, "/api/messages").json(&body).send().await.unwrap();
        let err = expect_error(res, status, "VALIDATION_ERROR").await;
        assert_eq!(err["field"], field, "{body}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 0);
    assert!(app.meta.received_requests().await.unwrap().is_empty());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn bodies_that_are_not_json_or_too_large_are_refused_cleanly(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.as_a(Method::POST, "/api/messages").body("phoneNumber=1").send().await.unwrap();
    expect_error(res, 400, "VALIDATION_ERROR").await;
    let res = app
        .as_a(Method::POST, "/api/messages")
        .header("content-type", "application/json")
        .body("{\"phoneNumber\": ")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "VALIDATION_ERROR").await;
    let huge = json!({"phoneNumber": "+14155550100", "messageText": "x".repeat(70_000)});
    let res = app.as_a(Method::POST, "/api/messages").json(&huge).send().await.unwrap();
    expect_error(res, 413, "VALIDATION_ERROR").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_company_id_that_is_not_the_callers_is_refused_and_changes_nothing(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let body = json!({"companyId": app.b.company.0, "phoneNumber": "+14155550100", "messageText": "hi"});
    let res = app.as_a(Method::POST, "/api/messages").json(&body).send().await.unwrap();
    expect_error(res, 401, "UNAUTHORIZED").await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 0);
    // Its own company id is fine.
    let body = json!({"companyId": app.a.company.0, "phoneNumber": "+14155550100", "messageText": "hi"});
    assert_eq!(app.as_a(Method::POST, "/api/messages").json(&body).send().await.unwrap().status(), 201);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_refused_send_answers_502_with_the_failed_message_that_can_be_retried(db: PgPool) {
    let app = TestApp::spawn(db).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "(#131047) Re-engagement message", "code": 131047,
                      "error_data": {"details": "More than 24 hours have passed since the customer last replied."}}
        })))
        .up_to_n_times(1)
        .mount(&app.meta)
        .await;
    let res = app
        .as_a(Method::POST, "/api/messages")
        .json(&json!({"phoneNumber": "+14155550100", "messageText": "late"}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 502, "WHATSAPP_SEND_FAILED").await;
    let message_id = err["messageId"].as_str().unwrap().to_owned();
    let conversation_id = err["conversationId"].as_str().unwrap().to_owned();

    let page: Value = app
        .as_a(Method::GET, &format!("/api/conversations/{conversation_id}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"][0]["status"], "failed");
    assert_eq!(page["messages"][0]["errorCode"], "131047");

    app.meta_accepts().await;
    let res = app.as_a(Method::POST, &format!("/api/messages/{message_id}/retry")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["messageId"], message_id.as_str());
    assert_eq!(out["message"]["status"], "sent");
    assert_eq!(app.meta.received_requests().await.unwrap().len(), 2, "the retry really called Meta again");

    // Retrying a message that is not failed is a conflict.
    let res = app.as_a(Method::POST, &format!("/api/messages/{message_id}/retry")).send().await.unwrap();
    expect_error(res, 409, "CONFLICT").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn retry_refuses_bad_unknown_and_other_companies_ids(db: PgPool) {
    let app = TestApp::spawn(db).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&app.meta).await;
    let res = app.as_b(Method::POST, "/api/messages").json(&json!({"phoneNumber": "+14155550100", "messageText": "x"}));
    let err: Value = res.send().await.unwrap().json().await.unwrap();
    let theirs = err["messageId"].as_str().unwrap();

    let res = app.as_a(Method::POST, &format!("/api/messages/{theirs}/retry")).send().await.unwrap();
    let not_theirs = expect_error(res, 404, "NOT_FOUND").await;
    let res = app.as_a(Method::POST, &format!("/api/messages/{}/retry", uuid::Uuid::now_v7())).send().await.unwrap();
    let unknown = expect_error(res, 404, "NOT_FOUND").await;
    assert_eq!(not_theirs, unknown, "another company's id looks exactly like an unknown one");
    let res = app.as_a(Method::POST, "/api/messages/12345/retry").send().await.unwrap();
    let err = expect_error(res, 400, "VALIDATION_ERROR").await;
    assert_eq!(err["field"], "messageId");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_repeated_client_key_answers_409_with_the_original_and_sends_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let body = json!({"phoneNumber": "+14155550100", "messageText": "once", "clientKey": "order-42-confirm"});
    let first: Value = app.as_a(Method::POST, "/api/messages").json(&body).send().await.unwrap().json().await.unwrap();
    let res = app.as_a(Method::POST, "/api/messages").json(&body).send().await.unwrap();
    let err = expect_error(res, 409, "CONFLICT").await;
    assert_eq!(err["messageId"], first["messageId"]);
    assert_eq!(app.meta.received_requests().await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn sending_in_a_conversation_goes_to_its_contact(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let first = app.send_as_a("+14155550100", "one").await;
    let conv = first["conversationId"].as_str().unwrap();
    let res = app
        .as_a(Method::POST, &format!("/api/conversations/{conv}/messages"))
        .json(&json!({"messageText": "two"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["conversationId"], conv);
    let sent = app.meta.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&sent[1].body).unwrap();
    assert_eq!(body["to"], "14155550100");

    let res = app.as_a(Method::POST, &format!("/api/conversations/{conv}/messages")).json(&json!({"messageText": ""}));
    let err = expect_error(res.send().await.unwrap(), 422, "VALIDATION_ERROR").await;
    assert_eq!(err["field"], "messageText");
    let res = app.as_b(Method::POST, &format!("/api/conversations/{conv}/messages")).json(&json!({"messageText": "x"}));
    expect_error(res.send().await.unwrap(), 404, "NOT_FOUND").await;
    let res = app.as_a(Method::POST, "/api/conversations/nope/messages").json(&json!({"messageText": "x"}));
    expect_error(res.send().await.unwrap(), 400, "VALIDATION_ERROR").await;
    let res = app
        .as_a(Method::POST, &format!("/api/conversations/{}/messages", uuid::Uuid::now_v7()))
        .json(&json!({"messageText": "x"}));
    expect_error(res.send().await.unwrap(), 404, "NOT_FOUND").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn sends_are_rate_limited_per_caller(db: PgPool) {
    let config = Config { sends_per_minute: 2, ..Config::default() };
    let app = TestApp::spawn_with(db, config).await;
    app.meta_accepts().await;
    app.send_as_a("+14155550100", "1").await;
    app.send_as_a("+14155550100", "2").await;
    let res = app
        .as_a(Method::POST, "/api/messages")
        .json(&json!({"phoneNumber": "+14155550100", "messageText": "3"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, 429, "RATE_LIMITED").await;
    // Another caller has their own budget.
    let other: Value = app.send_as_b("+14155550100", "b").await;
    assert_ne!(other["code"], "RATE_LIMITED");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_plans_whatsapp_send_endpoint_answers_the_provider_id_and_records_the_message(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let res = app
        .as_a(Method::POST, "/api/whatsapp/send")
        .json(&json!({"companyId": app.a.company.0, "recipientPhoneNumber": "+14155550100", "text": "From the CRM"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["success"], true);
    assert!(out["messageId"].as_str().unwrap().starts_with("wamid."));
    assert!(out["timestamp"].is_string());
    let list: Value = app.as_a(Method::GET, "/api/conversations").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["conversations"][0]["lastMessagePreview"], "From the CRM", "agents see what integrators sent");

    let res = app
        .as_a(Method::POST, "/api/whatsapp/send")
        .json(&json!({"recipientPhoneNumber": "12", "text": "x"}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 422, "VALIDATION_ERROR").await;
    assert_eq!(err["field"], "recipientPhoneNumber");
    let res = app
        .as_a(Method::POST, "/api/whatsapp/send")
        .json(&json!({"companyId": app.b.company.0, "recipientPhoneNumber": "+14155550100", "text": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "UNAUTHORIZED").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_that_meta_refuses_through_the_plans_endpoint_says_why(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_refuses().await;
    let res = app
        .as_a(Method::POST, "/api/whatsapp/send")
        .json(&json!({"recipientPhoneNumber": "+14155550100", "text": "late"}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 502, "WHATSAPP_SEND_FAILED").await;
    assert!(err["error"].as_str().unwrap().contains("24 hours"), "{err}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_transient_provider_failure_answers_201_sending_and_schedules_a_retry(db: PgPool) {
    let app = TestApp::spawn(db).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "busy", "code": 2}})))
        .mount(&app.meta)
        .await;
    let res = app
        .as_a(Method::POST, "/api/messages")
        .json(&json!({"phoneNumber": "+14155550100", "messageText": "soon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["message"]["status"], "sending");
    let scheduled: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT next_attempt_at FROM messages WHERE id = $1::uuid")
            .bind(out["messageId"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(scheduled.is_some());

    // What the bubble shows: "Retrying (attempt 2 of 5)…".
    let page: Value = app
        .as_a(Method::GET, &format!("/api/conversations/{}/messages", out["conversationId"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = &page["messages"][0];
    assert_eq!((&m["status"], &m["attempt"]), (&json!("sending"), &json!(2)), "the second attempt is scheduled: {m}");
    let due: chrono::DateTime<chrono::Utc> = serde_json::from_value(m["nextAttemptAt"].clone()).unwrap();
    assert_eq!(Some(due), scheduled);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_agent_learns_how_many_attempts_a_send_gets(db: PgPool) {
    let app = TestApp::spawn_with(db, Config { send_max_attempts: 3, ..Config::default() }).await;
    let browser = app.browser_as_a().await;
    let me: Value = browser.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["maxSendAttempts"], 3);
}
