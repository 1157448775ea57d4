//! `GET /api/messages/search` and `GET /api/conversations/{id}/messages?around=`
//! (issue 17): success, invalid input, not found, and another company.

use reqwest::Method;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::*;

async fn ok(res: reqwest::Response) -> Value {
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

fn texts(page: &Value) -> Vec<String> {
    page["hits"].as_array().unwrap().iter().map(|h| h["message"]["content"].as_str().unwrap().to_owned()).collect()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_pages_through_the_callers_messages_newest_first_with_snippets(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    app.meta_accepts_b().await;
    let first = app.send_as_a("+14155550100", "Tu pedido está en camino").await;
    app.send_as_a("+442079460958", "Your PEDIDO number is 48213").await;
    app.send_as_a("+442079460958", "Thanks!").await;
    app.send_as_b("+14155550100", "pedido of company B").await;

    let page = ok(app.as_a(Method::GET, "/api/messages/search?q=pedido&limit=1").send().await.unwrap()).await;
    assert_eq!(texts(&page), ["Your PEDIDO number is 48213"]);
    assert_eq!(page["hasMore"], true);
    let hit = &page["hits"][0];
    assert_eq!(hit["conversation"]["title"], "+442079460958");
    assert_eq!(hit["conversation"]["isGroup"], false);
    assert_eq!(hit["snippet"][1], serde_json::json!({"text": "PEDIDO", "matched": true}));
    let cursor = page["nextCursor"].as_str().unwrap();
    let next = ok(app
        .as_a(Method::GET, &format!("/api/messages/search?q=pedido&limit=1&cursor={cursor}"))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(texts(&next), ["Tu pedido está en camino"]);
    assert_eq!(next["hasMore"], false);
    assert!(next["nextCursor"].is_null());

    // Accents and case do not matter; company B's message is never found.
    let accents = ok(app.as_a(Method::GET, "/api/messages/search?q=ESTA%20camino").send().await.unwrap()).await;
    assert_eq!(texts(&accents), ["Tu pedido está en camino"]);
    let theirs = ok(app.as_b(Method::GET, "/api/messages/search?q=pedido").send().await.unwrap()).await;
    assert_eq!(texts(&theirs), ["pedido of company B"]);

    // One chat's own search.
    let conv = first["conversationId"].as_str().unwrap();
    let in_chat = ok(app
        .as_a(Method::GET, &format!("/api/messages/search?q=pedido&conversationId={conv}"))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(texts(&in_chat), ["Tu pedido está en camino"]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn search_refuses_bad_input_with_the_field_named(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for (query, field) in [
        ("", "q"),
        ("?q=%20%21%3F", "q"),
        ("?q=hi&limit=0", "limit"),
        ("?q=hi&cursor=nope", "cursor"),
        ("?q=hi&conversationId=42", "conversationId"),
    ] {
        let res = app.as_a(Method::GET, &format!("/api/messages/search{query}")).send().await.unwrap();
        let body = expect_error(res, 422, "VALIDATION_ERROR").await;
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let long = "a".repeat(101);
    let res = app.as_a(Method::GET, &format!("/api/messages/search?q={long}")).send().await.unwrap();
    expect_error(res, 422, "VALIDATION_ERROR").await;
    let res = app.as_a(Method::GET, "/api/messages/search?q=hi&nope=1").send().await.unwrap();
    expect_error(res, 400, "VALIDATION_ERROR").await;
    let res = app.anonymous(Method::GET, "/api/messages/search?q=hi").send().await.unwrap();
    expect_error(res, 401, "UNAUTHORIZED").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn searching_another_companys_or_an_unknown_chat_is_not_found(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts_b().await;
    let theirs = app.send_as_b("+14155550100", "secret plan").await;
    let conv = theirs["conversationId"].as_str().unwrap();
    for id in [conv, "0192a7f0-0000-7000-8000-000000000000"] {
        let res =
            app.as_a(Method::GET, &format!("/api/messages/search?q=secret&conversationId={id}")).send().await.unwrap();
        expect_error(res, 404, "NOT_FOUND").await;
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn cleared_and_deleted_messages_are_never_found(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let cleared = app.send_as_a("+14155550100", "parcel lost").await;
    let deleted = app.send_as_a("+442079460958", "parcel damaged").await;
    app.send_as_a("+49301234567", "parcel arrived").await;
    let id = cleared["conversationId"].as_str().unwrap();
    assert!(
        app.as_a(Method::POST, &format!("/api/conversations/{id}/clear")).send().await.unwrap().status().is_success()
    );
    let id = deleted["conversationId"].as_str().unwrap();
    assert!(app.as_a(Method::DELETE, &format!("/api/conversations/{id}")).send().await.unwrap().status().is_success());
    let page = ok(app.as_a(Method::GET, "/api/messages/search?q=parcel").send().await.unwrap()).await;
    assert_eq!(texts(&page), ["parcel arrived"]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_hit_opens_in_the_page_around_it_and_only_in_its_own_chat(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    app.meta_accepts_b().await;
    let mut last = Value::Null;
    for i in 0..7 {
        last = app.send_as_a("+14155550100", &format!("line {i}")).await;
    }
    let conv = last["conversationId"].as_str().unwrap().to_owned();
    let hit = ok(app.as_a(Method::GET, "/api/messages/search?q=line%203").send().await.unwrap()).await;
    let hit_id = hit["hits"][0]["message"]["id"].as_str().unwrap().to_owned();
    let page = ok(app
        .as_a(Method::GET, &format!("/api/conversations/{conv}/messages?around={hit_id}&limit=4"))
        .send()
        .await
        .unwrap())
    .await;
    let contents: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["line 5", "line 4", "line 3", "line 2"]);
    assert_eq!(page["hasMore"], true);
    assert!(page["nextCursor"].is_string(), "line 6 is newer: {page}");

    // Invalid, unknown, and another company's view of the same ids.
    let res = app.as_a(Method::GET, &format!("/api/conversations/{conv}/messages?around=x")).send().await.unwrap();
    assert_eq!(expect_error(res, 422, "VALIDATION_ERROR").await["field"], "around");
    let res = app
        .as_a(Method::GET, &format!("/api/conversations/{conv}/messages?around={hit_id}&cursor=abc"))
        .send()
        .await
        .unwrap();
    expect_error(res, 422, "VALIDATION_ERROR").await;
    let other = app.send_as_a("+442079460958", "elsewhere").await;
    let res = app
        .as_a(
            Method::GET,
            &format!("/api/conversations/{}/messages?around={hit_id}", other["conversationId"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "NOT_FOUND").await;
    let res =
        app.as_b(Method::GET, &format!("/api/conversations/{conv}/messages?around={hit_id}")).send().await.unwrap();
    expect_error(res, 404, "NOT_FOUND").await;
}
