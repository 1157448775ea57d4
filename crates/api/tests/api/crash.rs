//! `kill -9` of the server in the middle of a burst of sends: after a
//! restart every send a client was told about is stored as sent, and no
//! message stays `sending` past the sweeper's age (those whose fate is
//! unknown end `failed` with DELIVERY_UNKNOWN, never silently lost).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use crate::helpers::*;

/// Meta accepting every send, 300 ms later.
struct SlowMeta;

impl Respond for SlowMeta {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        MetaAccepts.respond(request).set_delay(Duration::from_millis(300))
    }
}

async fn start(db: &PgPool, meta: &MockServer) -> Served {
    let meta = meta.uri();
    let env = [
        ("INBOX_META_API_BASE", meta.as_str()),
        ("INBOX_SENDS_PER_MINUTE", "100000"),
        // A send is given up as unknown after 2 s, so the restart sweeps soon.
        ("INBOX_PROVIDER_TIMEOUT_SECS", "1"),
        ("INBOX_SENDING_TIMEOUT_SECS", "2"),
    ];
    Served::start(url_of(db), &env).await
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn after_a_kill_9_during_sends_nothing_acknowledged_is_missing_and_nothing_stays_sending(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    // Meta answers each send after 300 ms, so the kill finds sends in flight.
    let meta = MockServer::start().await;
    Mock::given(method("POST")).respond_with(SlowMeta).mount(&meta).await;
    let server = start(&db, &meta).await;
    let url = server.url.clone();

    let http = http();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sends: Vec<_> = (0..80)
        .map(|i| {
            let (http, token, answered, url) = (http.clone(), acme.token.clone(), answered.clone(), url.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(25 * i)).await;
                let res = http
                    .post(format!("{url}/api/messages"))
                    .bearer_auth(token)
                    .json(&json!({"phoneNumber": format!("+1415555{:04}", 1000 + i), "messageText": "burst"}))
                    .send()
                    .await
                    .ok()?;
                if res.status() != 201 {
                    return None;
                }
                let body: Value = res.json().await.ok()?;
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Some(body["messageId"].as_str()?.to_owned())
            })
        })
        .collect();
    // Killed once a few sends were answered, while later ones are in flight.
    let waiting = Instant::now();
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 5 {
        assert!(waiting.elapsed() < Duration::from_secs(20), "no send was answered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    let mut acknowledged = Vec::new();
    for send in sends {
        if let Some(id) = send.await.unwrap() {
            acknowledged.push(id);
        }
    }
    drop(server);
    assert!(!acknowledged.is_empty(), "some sends were answered before the kill");
    assert!(acknowledged.len() < 80, "some sends were cut off by the kill");

    // Past the sweeper's age, a new process starts on the same database.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let _restarted = start(&db, &meta).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let sending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM messages WHERE status = 'sending'").fetch_one(&db).await.unwrap();
        if sending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{sending} messages still sending after the restart");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for id in &acknowledged {
        let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE id = $1::uuid")
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap_or_else(|_| panic!("acknowledged message {id} is missing"));
        assert_eq!(status, "sent", "acknowledged message {id}");
    }
    let others: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error_code FROM messages WHERE NOT (id::text = ANY($1))")
            .bind(&acknowledged)
            .fetch_all(&db)
            .await
            .unwrap();
    for (status, code) in &others {
        assert!(
            status == "sent" || (status == "failed" && code.as_deref() == Some("DELIVERY_UNKNOWN")),
            "a message cut off by the kill ended {status} {code:?}"
        );
    }
    println!("{} acknowledged and sent; {} cut off by the kill and resolved", acknowledged.len(), others.len());
}
