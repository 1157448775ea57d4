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

/// A raw HTTP/1.1 exchange, for requests no client library sends.
async fn raw(address: &str, request: &[u8], pause_after: Option<usize>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://")).await.unwrap();
    match pause_after {
        // A slow client: part of the request, then nothing.
        Some(n) => {
            stream.write_all(&request[..n]).await.unwrap();
        }
        None => stream.write_all(request).await.unwrap(),
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server neither answered nor closed the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn hostile_requests_get_a_clear_4xx_and_the_server_stays_up(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let post = |body: Vec<u8>| {
        app.as_a(Method::POST, "/api/messages").header("content-type", "application/json").body(body).send()
    };
    // JSON nested 10,000 deep (within the size limit): refused, not a stack overflow.
    let deep = [vec![b'['; 10_000], vec![b']'; 10_000]].concat();
    let res = post(deep).await.unwrap();
    assert_eq!(res.status(), 400);
    // Text that is not UTF-8 inside a JSON string.
    let res = post(b"{\"phoneNumber\": \"+14155550100\", \"messageText\": \"\xc3\x28\"}".to_vec()).await.unwrap();
    assert_eq!(res.status(), 400);
    // Ten megabytes: refused by size, naming the limit.
    let res = post(vec![b' '; 10 * 1024 * 1024]).await.unwrap();
    assert_eq!(res.status(), 413);

    // A flood of headers, and one enormous header.
    let mut flood = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        flood.push_str(&format!("X-Flood-{i}: {}\r\n", "a".repeat(64)));
    }
    flood.push_str("\r\n");
    let answer = raw(&app.address, flood.as_bytes(), None).await;
    assert!(answer.starts_with("HTTP/1.1 4"), "{}", answer.lines().next().unwrap_or(""));
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(1024 * 1024));
    let answer = raw(&app.address, huge.as_bytes(), None).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{}", answer.lines().next().unwrap_or(""));

    // A client that sends half a body and stops is cut off, not waited on forever.
    let body = br#"{"phoneNumber": "+14155550100", "messageText": "hello"}"#;
    let request = [
        format!(
            "POST /api/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            app.a.token,
            body.len()
        )
        .into_bytes(),
        body.to_vec(),
    ]
    .concat();
    let answer = raw(&app.address, &request, Some(request.len() - 10)).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{}", answer.lines().next().unwrap_or(""));

    // And the server still serves.
    assert_eq!(app.anonymous(Method::GET, "/healthz").send().await.unwrap().status(), 200);
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&app.db).await.unwrap();
    assert_eq!(messages, 0, "nothing half-sent was stored");
}
