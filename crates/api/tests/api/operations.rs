//! Health, readiness, metrics, request ids and the offline docs page.

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn health_and_readiness_answer(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.anonymous(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.anonymous(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn readiness_fails_when_a_migration_is_missing(db: PgPool) {
    let app = TestApp::spawn(db).await;
    sqlx::query("DELETE FROM _sqlx_migrations").execute(&app.db).await.unwrap();
    let res = app.anonymous(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(res.status(), 503);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn metrics_count_requests_by_route_and_time_the_plans_operations(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    app.send_as_a("+14155550100", "metrics").await;
    app.as_a(Method::GET, "/api/conversations").send().await.unwrap();
    let text = app.anonymous(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/api/messages\""), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    for op in ["sendNewMessage", "ensureContact", "ensureConversation", "listConversations", "whatsapp.send"] {
        assert!(text.contains(&format!("operation=\"{op}\"")), "missing {op} in {text}");
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_answer_carries_a_request_id(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for path in ["/healthz", "/api/conversations", "/api/nope"] {
        let res = app.as_a(Method::GET, path).send().await.unwrap();
        let id = res.headers().get("x-request-id").unwrap_or_else(|| panic!("no request id on {path}"));
        assert!(!id.is_empty());
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_docs_page_and_spec_are_served_without_the_internet(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let spec: serde_json::Value =
        app.anonymous(Method::GET, "/api/openapi.json").send().await.unwrap().json().await.unwrap();
    assert_eq!(spec["info"]["title"], "Inbox API");
    let res = app.anonymous(Method::GET, "/api/docs/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    for line in html.lines().filter(|l| l.contains("src=") || l.contains("href=")) {
        assert!(!line.contains("http://") && !line.contains("https://"), "external asset: {line}");
    }
    let res = app.anonymous(Method::GET, "/api/docs/swagger-ui-bundle.js").send().await.unwrap();
    assert_eq!(res.status(), 200, "the script comes from our own binary");
    let init =
        app.anonymous(Method::GET, "/api/docs/swagger-initializer.js").send().await.unwrap().text().await.unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
}
