//! No input a client sends gets a 500, and errors look the same everywhere.

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn unknown_routes_answer_a_json_404(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.as_a(Method::GET, "/api/nothing-here").send().await.unwrap();
    expect_error(res, 404, "NOT_FOUND").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn garbage_never_causes_a_server_error(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let bodies: [&[u8]; 7] = [
        b"",
        b"null",
        b"[]",
        b"{\"phoneNumber\": {\"$gt\": \"\"}, \"messageText\": \"x\"}",
        b"{\"phoneNumber\": \"+1\\u0000\", \"messageText\": \"x\"}",
        &[0xff, 0xfe, 0xfd],
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
    ];
    for path in ["/api/messages", "/api/whatsapp/send", "/api/auth/login"] {
        for body in bodies {
            let res = app
                .as_a(Method::POST, path)
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{path} {:?} -> {}", String::from_utf8_lossy(body), res.status());
        }
    }
    for query in ["limit=-1", "limit=99999999999999999999", "cursor=", "filter=", "search=%00", "archived="] {
        let res = app.as_a(Method::GET, &format!("/api/conversations?{query}")).send().await.unwrap();
        assert!(res.status().as_u16() < 500, "{query} -> {}", res.status());
    }
}
