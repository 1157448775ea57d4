//! The tenant isolation matrix: every authenticated operation of the
//! committed OpenAPI document, called by company A with company B's ids,
//! answers 404 (the same as an unknown id), and the operations without ids
//! show nothing of B; B's data is the same afterwards. The operations come
//! from the spec, so a new endpoint without a case here fails the test.

use chrono::Utc;
use inbox_whatsapp::webhook::meta;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

/// Company B's rows, as text, to compare before and after.
async fn snapshot_of_b(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws('|', \
           (SELECT string_agg(to_jsonb(c)::text, ',' ORDER BY c.id) FROM contacts c WHERE c.company_id = $1), \
           (SELECT string_agg(to_jsonb(v)::text, ',' ORDER BY v.id) FROM conversations v WHERE v.company_id = $1), \
           (SELECT string_agg(to_jsonb(m)::text, ',' ORDER BY m.id) FROM messages m WHERE m.company_id = $1))",
    )
    .bind(app.b.company.0)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn company_a_can_neither_see_nor_change_anything_of_company_b(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    app.meta_accepts_b().await;
    app.send_as_a("+14155550100", "A's own").await;
    let b_sent = app.send_as_b("+14155550199", "B's own").await;
    let b_conversation = b_sent["conversationId"].as_str().unwrap().to_owned();
    let b_message = b_sent["messageId"].as_str().unwrap().to_owned();
    // B's message failed, so a retry would be allowed to B itself.
    sqlx::query("UPDATE messages SET status = 'failed' WHERE id = $1::uuid")
        .bind(&b_message)
        .execute(&app.db)
        .await
        .unwrap();
    // B has a callback that failed (a number B has not set up); A, an
    // admin here so the admin-only list answers, must not see it.
    let unknown =
        meta::text_message_payload("B-UNSET", "14155550199", "B's own", "wamid.B.unset", "B's own", Utc::now());
    assert_eq!(app.post_meta_signed(unknown, "secret-globex").await.status(), 200);
    sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1").bind(app.a.agent.id.0).execute(&app.db).await.unwrap();
    let b_before = snapshot_of_b(&app).await;
    // Anything of B's that must never show in A's answers.
    let b_marks = [b_conversation.as_str(), b_message.as_str(), "+14155550199", "B's own", "Globex"];

    let spec: Value = serde_json::from_str(include_str!("../../../../openapi/openapi.json")).unwrap();
    let mut pairs = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let public = operation["security"].as_array().is_some_and(|s| s.iter().all(|r| r == &json!({})));
            if public {
                continue; // sign-in, webhooks (tested by signature), health and metrics
            }
            let method: Method = method.to_uppercase().parse().unwrap();
            let id = match path.as_str() {
                p if p.starts_with("/api/conversations/{id}") => Some(b_conversation.as_str()),
                p if p.starts_with("/api/messages/{id}") => Some(b_message.as_str()),
                p if p.contains('{') => panic!("no case for {method} {path}: add B's id of that kind"),
                _ => None,
            };
            let body = match (method.as_str(), path.as_str()) {
                ("PUT", "/api/conversations/{id}/assignee") => Some(json!({"userId": app.a.agent.id.0})),
                ("POST", "/api/conversations/{id}/messages") => Some(json!({"messageText": "from A"})),
                ("POST", "/api/messages") => Some(json!({"phoneNumber": "+14155550111", "messageText": "from A"})),
                // B's company id in the body: refused, nothing sent on B's behalf.
                ("POST", "/api/whatsapp/send") => Some(json!({
                    "companyId": app.b.company.0, "recipientPhoneNumber": "+14155550199", "text": "from A",
                })),
                (_, p) if operation.get("requestBody").is_some() => panic!("no body for {method} {p}"),
                _ => None,
            };
            let mut url = path.replace("{id}", id.unwrap_or_default());
            if path == "/api/messages/search" {
                // B's own words, searched by A: nothing of B's is found.
                url.push_str("?q=B%27s%20own");
            }
            if path == "/api/events" {
                // The stream is endless; its isolation has its own test
                // (events.rs). Here: it opens for A only as A.
                let res = app.as_a(method, &url).send().await.unwrap();
                assert_eq!(res.status(), 200, "{path}");
                pairs += 1;
                continue;
            }
            let mut request = app.as_a(method.clone(), &url);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let res = request.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            match (id, path.as_str()) {
                (Some(_), _) => assert_eq!(status, 404, "{method} {path} with B's id: {text}"),
                (None, "/api/whatsapp/send") => assert_eq!(status, 401, "{method} {path} for B: {text}"),
                (None, _) => assert!(status < 300, "{method} {path}: {status} {text}"),
            }
            for mark in b_marks {
                assert!(!text.contains(mark), "{method} {path} showed B's {mark:?}: {text}");
            }
            pairs += 1;
        }
    }
    assert_eq!(snapshot_of_b(&app).await, b_before, "company B's data changed");
    // Every authenticated operation of the spec was called (18 today).
    assert!(pairs >= 18, "only {pairs} operations checked");
    println!("tenant isolation: {pairs} operation x company pairs checked");
}
