//! The conversation endpoints, each four ways: success, invalid input, not
//! found, and another company's id (which must look exactly like not found).

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

async fn json_of(res: reqwest::Response) -> Value {
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

/// Three conversations of A (oldest first) and one of B.
async fn seeded(app: &TestApp) -> (Vec<String>, String) {
    app.meta_accepts().await;
    app.meta_accepts_b().await;
    let mut ids = Vec::new();
    for phone in ["+14155550100", "+442079460958", "+49301234567"] {
        ids.push(app.send_as_a(phone, &format!("hello {phone}")).await["conversationId"].as_str().unwrap().to_owned());
    }
    let b = app.send_as_b("+14155550100", "B's own").await["conversationId"].as_str().unwrap().to_owned();
    (ids, b)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_pages_filters_and_searches_the_callers_conversations(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, b) = seeded(&app).await;
    let page = json_of(app.as_a(Method::GET, "/api/conversations?limit=2").send().await.unwrap()).await;
    assert_eq!(page["hasMore"], true);
    assert_eq!(page["conversations"][0]["id"], ids[2].as_str(), "newest first");
    let cursor = page["nextCursor"].as_str().unwrap();
    let next =
        json_of(app.as_a(Method::GET, &format!("/api/conversations?limit=2&cursor={cursor}")).send().await.unwrap())
            .await;
    assert_eq!(next["conversations"][0]["id"], ids[0].as_str());
    assert_eq!(next["hasMore"], false);
    assert!(next["nextCursor"].is_null());

    let found = json_of(app.as_a(Method::GET, "/api/conversations?search=7946%200958").send().await.unwrap()).await;
    assert_eq!(found["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(found["conversations"][0]["id"], ids[1].as_str());

    app.as_a(Method::POST, &format!("/api/conversations/{}/favorite", ids[0])).send().await.unwrap();
    let favs = json_of(app.as_a(Method::GET, "/api/conversations?filter=favorites").send().await.unwrap()).await;
    assert_eq!(favs["conversations"][0]["id"], ids[0].as_str());
    assert_eq!(favs["conversations"].as_array().unwrap().len(), 1);

    app.as_a(Method::POST, &format!("/api/conversations/{}/archive", ids[2])).send().await.unwrap();
    let archived = json_of(app.as_a(Method::GET, "/api/conversations?archived=true").send().await.unwrap()).await;
    assert_eq!(archived["conversations"][0]["id"], ids[2].as_str());
    assert_eq!(archived["conversations"][0]["isArchived"], true);

    // Nothing of company B, ever.
    let all = json_of(app.as_a(Method::GET, "/api/conversations?limit=100").send().await.unwrap()).await;
    assert!(all["conversations"].as_array().unwrap().iter().all(|c| c["id"] != b.as_str()));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn list_rejects_bad_query_parameters_by_name(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for (query, status, field) in [
        ("filter=spam", 422, "filter"),
        ("limit=0", 422, "limit"),
        ("limit=101", 422, "limit"),
        ("limit=lots", 422, "limit"),
        ("archived=maybe", 422, "archived"),
        ("archived=", 422, "archived"),
        ("archived=1", 422, "archived"),
        ("cursor=bm9wZQ", 422, "cursor"),
        ("cursor=%%%", 422, "cursor"),
        ("sort=asc", 400, "sort"),
    ] {
        let res = app.as_a(Method::GET, &format!("/api/conversations?{query}")).send().await.unwrap();
        let err = expect_error(res, status, "VALIDATION_ERROR").await;
        assert_eq!(err["field"], field, "{query}");
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_a_conversation_four_ways(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, b) = seeded(&app).await;
    let conv = json_of(app.as_a(Method::GET, &format!("/api/conversations/{}", ids[0])).send().await.unwrap()).await;
    assert_eq!(conv["contact"]["phoneNumber"], "+14155550100");
    assert_eq!(conv["lastMessageStatus"], "sent");

    let err = expect_error(
        app.as_a(Method::GET, "/api/conversations/not-a-uuid").send().await.unwrap(),
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(err["field"], "conversationId");
    let unknown = expect_error(
        app.as_a(Method::GET, &format!("/api/conversations/{}", uuid::Uuid::now_v7())).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    let other =
        expect_error(app.as_a(Method::GET, &format!("/api/conversations/{b}")).send().await.unwrap(), 404, "NOT_FOUND")
            .await;
    assert_eq!(unknown, other);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn messages_of_a_conversation_four_ways(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, b) = seeded(&app).await;
    for i in 0..3 {
        app.send_as_a("+14155550100", &format!("more {i}")).await;
    }
    let path = format!("/api/conversations/{}/messages", ids[0]);
    let page = json_of(app.as_a(Method::GET, &format!("{path}?limit=2")).send().await.unwrap()).await;
    assert_eq!(page["messages"][0]["content"], "more 2", "newest first");
    assert_eq!(page["hasMore"], true);
    let older = json_of(
        app.as_a(Method::GET, &format!("{path}?limit=10&cursor={}", page["previousCursor"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let contents: Vec<&str> =
        older["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["more 0", "hello +14155550100"]);
    assert_eq!(older["hasMore"], false);

    let err = expect_error(
        app.as_a(Method::GET, &format!("{path}?limit=1000")).send().await.unwrap(),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(err["field"], "limit");
    expect_error(app.as_a(Method::GET, "/api/conversations/x/messages").send().await.unwrap(), 400, "VALIDATION_ERROR")
        .await;
    expect_error(
        app.as_a(Method::GET, &format!("/api/conversations/{}/messages", uuid::Uuid::now_v7())).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.as_a(Method::GET, &format!("/api/conversations/{b}/messages")).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn conversation_actions_change_their_flag_and_answer_the_conversation(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, _) = seeded(&app).await;
    let id = &ids[0];
    sqlx::query("UPDATE conversations SET unread_count = 3 WHERE id = $1::uuid")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    for (action, field, expected) in [
        ("read", "unreadCount", json!(0)),
        ("unread", "unreadCount", json!(1)),
        ("unread", "unreadCount", json!(1)),
        ("read", "unreadCount", json!(0)),
        ("favorite", "isFavorite", json!(true)),
        ("unfavorite", "isFavorite", json!(false)),
        ("archive", "isArchived", json!(true)),
        ("unarchive", "isArchived", json!(false)),
        ("clear", "lastMessagePreview", Value::Null),
    ] {
        let res = app.as_a(Method::POST, &format!("/api/conversations/{id}/{action}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{action}");
        let conv: Value = res.json().await.unwrap();
        assert_eq!(conv[field], expected, "{action}");
    }
    let page = json_of(app.as_a(Method::GET, &format!("/api/conversations/{id}/messages")).send().await.unwrap()).await;
    assert!(page["messages"].as_array().unwrap().is_empty(), "clear removed the messages");

    let res = app.as_a(Method::DELETE, &format!("/api/conversations/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    expect_error(app.as_a(Method::GET, &format!("/api/conversations/{id}")).send().await.unwrap(), 404, "NOT_FOUND")
        .await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn conversation_actions_refuse_bad_unknown_and_other_companies_ids(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (_, b) = seeded(&app).await;
    let before: Value = json_of(app.as_b(Method::GET, &format!("/api/conversations/{b}")).send().await.unwrap()).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for action in ["read", "unread", "favorite", "unfavorite", "archive", "unarchive", "clear"] {
        for (id, status, code) in
            [("123", 400, "VALIDATION_ERROR"), (unknown.as_str(), 404, "NOT_FOUND"), (b.as_str(), 404, "NOT_FOUND")]
        {
            let res = app.as_a(Method::POST, &format!("/api/conversations/{id}/{action}")).send().await.unwrap();
            expect_error(res, status, code).await;
        }
    }
    for (id, status) in [("123", 400), (unknown.as_str(), 404), (b.as_str(), 404)] {
        let res = app.as_a(Method::DELETE, &format!("/api/conversations/{id}")).send().await.unwrap();
        assert_eq!(res.status(), status);
    }
    let after: Value = json_of(app.as_b(Method::GET, &format!("/api/conversations/{b}")).send().await.unwrap()).await;
    assert_eq!(before, after, "company B's conversation is untouched");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn assign_four_ways(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, b) = seeded(&app).await;
    let path = format!("/api/conversations/{}/assignee", ids[0]);
    let res = app.as_a(Method::PUT, &path).json(&json!({"userId": app.a.agent.id.0})).send().await.unwrap();
    let conv: Value = json_of(res).await;
    assert_eq!(conv["assignedToUserId"], app.a.agent.id.0.to_string());
    assert_eq!(conv["assignee"]["name"], "Acme Agent");

    // A user of another company is "not found" and nothing changes.
    let res = app.as_a(Method::PUT, &path).json(&json!({"userId": app.b.agent.id.0})).send().await.unwrap();
    let err = expect_error(res, 404, "NOT_FOUND").await;
    assert_eq!(err["error"], "user not found");
    let conv = json_of(app.as_a(Method::GET, &format!("/api/conversations/{}", ids[0])).send().await.unwrap()).await;
    assert_eq!(conv["assignedToUserId"], app.a.agent.id.0.to_string());

    let res = app.as_a(Method::PUT, &path).json(&json!({"userId": null})).send().await.unwrap();
    assert!(json_of(res).await["assignedToUserId"].is_null(), "null unassigns");

    let err = expect_error(
        app.as_a(Method::PUT, &path).json(&json!({"userId": "ana"})).send().await.unwrap(),
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(err["field"], "userId");
    expect_error(app.as_a(Method::PUT, &path).json(&json!({})).send().await.unwrap(), 400, "VALIDATION_ERROR").await;
    let res = app
        .as_a(Method::PUT, &format!("/api/conversations/{b}/assignee"))
        .json(&json!({"userId": null}))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "NOT_FOUND").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn opening_a_conversation_after_sends_shows_the_plans_flow_end_to_end(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let (ids, _) = seeded(&app).await;
    // A new send moves the oldest conversation to the top.
    app.send_as_a("+14155550100", "bump").await;
    let list = json_of(app.as_a(Method::GET, "/api/conversations").send().await.unwrap()).await;
    assert_eq!(list["conversations"][0]["id"], ids[0].as_str());
    assert_eq!(list["conversations"][0]["lastMessagePreview"], "bump");
    assert_eq!(list["conversations"][0]["lastMessageDirection"], "outbound");
}
