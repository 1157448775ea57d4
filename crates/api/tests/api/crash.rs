//! `kill -9` of the server in the middle of a burst of sends: after a
//! restart every send a client was told about is stored as sent, and no
//! message stays `sending` past the sweeper's age (those whose fate is
//! unknown end `failed` with DELIVERY_UNKNOWN, never silently lost).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
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

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(db: &PgPool, meta: &MockServer, port: u16) -> Server {
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_inbox"))
            .arg("serve")
            .env("DATABASE_URL", url_of(db))
            .env("INBOX_BIND", format!("127.0.0.1:{port}"))
            .env("INBOX_META_API_BASE", meta.uri())
            .env("INBOX_SENDS_PER_MINUTE", "100000")
            .env("INBOX_PROVIDER_TIMEOUT_SECS", "1")
            .env("INBOX_SENDING_TIMEOUT_SECS", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status() == 200
        {
            return server;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn after_a_kill_9_during_sends_nothing_acknowledged_is_missing_and_nothing_stays_sending(db: PgPool) {
    let _ = inbox_whatsapp::Providers::new(inbox_whatsapp::ProvidersConfig::default());
    let acme = tenant(&db, "Acme", "100000000000001").await;
    // Meta answers each send after 300 ms, so the kill finds sends in flight.
    let meta = MockServer::start().await;
    Mock::given(method("POST")).respond_with(SlowMeta).mount(&meta).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = start(&db, &meta, port).await;

    let http = Client::new();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sends: Vec<_> = (0..80)
        .map(|i| {
            let (http, token, answered) = (http.clone(), acme.token.clone(), answered.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(25 * i)).await;
                let res = http
                    .post(format!("http://127.0.0.1:{port}/api/messages"))
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
    Command::new("kill").args(["-KILL", &server.0.id().to_string()]).status().unwrap();
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
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _restarted = start(&db, &meta, free).await;
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
