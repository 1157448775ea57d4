//! WhatsApp's API misbehaving, end to end: `inbox serve` (with its retry
//! worker and sweeper) against a fake Meta that answers each recipient with
//! one fault. Every message ends in a final state that tells the truth, and
//! a message Meta may already have taken is never sent again by us.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::*;

/// Provider calls per message: the first send and two automatic retries
/// (2 s and 4 s later with the default backoff).
const MAX_ATTEMPTS: usize = 3;

async fn start(db: &PgPool, meta_base: &str) -> Served {
    let attempts = MAX_ATTEMPTS.to_string();
    let env = [
        ("INBOX_META_API_BASE", meta_base),
        ("INBOX_SENDS_PER_MINUTE", "100000"),
        ("INBOX_PROVIDER_TIMEOUT_SECS", "1"),
        ("INBOX_SENDING_TIMEOUT_SECS", "3"),
        ("INBOX_SEND_MAX_ATTEMPTS", attempts.as_str()),
    ];
    Served::start(url_of(db), &env).await
}

/// The number as Meta's API receives it (E.164 digits without the `+`).
fn to(phone: &str) -> String {
    phone.trim_start_matches('+').to_owned()
}

async fn send(server: &Served, tenant: &Tenant, phone: &str) -> (u16, Value) {
    let res = http()
        .request(Method::POST, format!("{}/api/messages", server.url))
        .bearer_auth(&tenant.token)
        .json(&json!({"phoneNumber": phone, "messageText": format!("to {phone}")}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

struct Stored {
    status: String,
    error_code: Option<String>,
    error_message: Option<String>,
    provider_message_id: Option<String>,
}

async fn stored(db: &PgPool, message_id: &str) -> Stored {
    let (status, error_code, error_message, provider_message_id) = sqlx::query_as(
        "SELECT status::text, error_code, error_message, provider_message_id FROM messages WHERE id = $1::uuid",
    )
    .bind(message_id)
    .fetch_one(db)
    .await
    .unwrap();
    Stored { status, error_code, error_message, provider_message_id }
}

/// How many times Meta was asked to send to `phone`.
async fn calls_to(meta: &MockServer, phone: &str) -> usize {
    let want = to(phone);
    let requests = meta.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| b["to"].as_str() == Some(want.as_str())))
        .count()
}

/// Waits until none of `ids` is `sending` any more.
async fn settled(db: &PgPool, ids: &[&str], within: Duration) {
    let started = Instant::now();
    loop {
        let sending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM messages WHERE id = ANY($1::uuid[]) AND status = 'sending'")
                .bind(ids)
                .fetch_one(db)
                .await
                .unwrap();
        if sending == 0 {
            return;
        }
        assert!(started.elapsed() < within, "{sending} message(s) still sending after {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Meta accepting a send 3 s later, past our 1 s timeout.
struct LateAccept;

impl Respond for LateAccept {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        MetaAccepts.respond(request).set_delay(Duration::from_secs(3))
    }
}

fn meta_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": message, "type": "OAuthException", "code": code}}))
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_provider_fault_ends_in_a_truthful_final_state_without_a_duplicate_send(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let meta = MockServer::start().await;
    const RATE_LIMITED: &str = "+14155550101";
    const ALWAYS_500: &str = "+14155550102";
    const TWICE_503: &str = "+14155550103";
    const HANGS: &str = "+14155550104";
    const NOT_JSON: &str = "+14155550105";
    const NO_ID: &str = "+14155550106";
    let only = |phone: &str| Mock::given(method("POST")).and(body_partial_json(json!({"to": to(phone)})));
    // 429 once, asking for a 1 s pause; then accepted.
    only(RATE_LIMITED)
        .respond_with(meta_error(429, 4, "Application request limit reached").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&meta)
        .await;
    only(ALWAYS_500).respond_with(meta_error(500, 1, "An unknown error occurred")).with_priority(1).mount(&meta).await;
    only(TWICE_503)
        .respond_with(meta_error(503, 2, "Service temporarily unavailable"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&meta)
        .await;
    // Accepted, but only after our 1 s timeout: Meta may well have sent it.
    only(HANGS).respond_with(LateAccept).up_to_n_times(1).with_priority(1).mount(&meta).await;
    only(NOT_JSON)
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>upstream proxy</html>"))
        .with_priority(1)
        .mount(&meta)
        .await;
    only(NO_ID)
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": []})),
        )
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST")).respond_with(MetaAccepts).with_priority(10).mount(&meta).await;
    let server = start(&db, &meta.uri()).await;

    // What the client is told at once.
    let mut ids = Vec::new();
    for (phone, status, state) in [
        (RATE_LIMITED, 201, "sending"),
        (ALWAYS_500, 201, "sending"),
        (TWICE_503, 201, "sending"),
        (HANGS, 502, "failed"),
        (NOT_JSON, 502, "failed"),
        (NO_ID, 502, "failed"),
    ] {
        let (got, body) = send(&server, &acme, phone).await;
        assert_eq!(got, status, "{phone}: {body}");
        let id = body["messageId"].as_str().unwrap().to_owned();
        if status == 201 {
            assert_eq!(body["message"]["status"], state, "{phone}");
        } else {
            assert_eq!(body["code"], "WHATSAPP_SEND_FAILED", "{phone}");
            assert!(body["error"].as_str().unwrap().contains("delivery unknown"), "{phone}: {body}");
        }
        ids.push(id);
    }
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    // 2 s + 4 s of backoff, and the worker's 1 s tick.
    settled(&db, &id_refs, Duration::from_secs(30)).await;
    // A wrongful retry would be claimed and sent within the retry worker's
    // next two passes (none is left `sending` for the sweeper to touch).
    server.two_more_passes("retries", Duration::from_secs(20)).await;

    let [rate_limited, always_500, twice_503, hangs, not_json, no_id] = &ids[..] else { unreachable!() };
    let m = stored(&db, rate_limited).await;
    assert_eq!(m.status, "sent", "a 429 is retried after Retry-After");
    assert!(m.provider_message_id.is_some_and(|id| id.starts_with("wamid.")));
    assert_eq!(calls_to(&meta, RATE_LIMITED).await, 2);

    let m = stored(&db, always_500).await;
    assert_eq!(m.status, "failed", "retries end");
    assert_eq!(calls_to(&meta, ALWAYS_500).await, MAX_ATTEMPTS, "asked exactly max-attempts times");
    assert!(m.error_message.as_deref().unwrap().contains("temporary problem"), "{:?}", m.error_message);
    assert!(m.error_code.is_some());

    let m = stored(&db, twice_503).await;
    assert_eq!(m.status, "sent", "a 503 is retried until Meta takes it");
    assert_eq!((m.error_code, m.error_message), (None, None), "a success clears the earlier failure");
    assert_eq!(calls_to(&meta, TWICE_503).await, 3);

    for (id, phone) in [(hangs, HANGS), (not_json, NOT_JSON), (no_id, NO_ID)] {
        let m = stored(&db, id).await;
        assert_eq!(m.status, "failed", "{phone}");
        assert_eq!(m.error_code.as_deref(), Some("DELIVERY_UNKNOWN"), "{phone}");
        assert!(m.error_message.as_deref().unwrap().contains("may or may not have been sent"), "{phone}");
        assert_eq!(calls_to(&meta, phone).await, 1, "{phone}: Meta may have it, so never sent again by us");
    }

    // The agent decides: a retry by hand sends it again (Meta now answers).
    let res = http()
        .post(format!("{}/api/messages/{hangs}/retry", server.url))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(stored(&db, hangs).await.status, "sent");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_refused_connection_is_retried_and_sent_once_meta_is_back(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    // Nothing listens on this port yet: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = start(&db, &format!("http://127.0.0.1:{port}")).await;
    let (status, body) = send(&server, &acme, "+14155550107").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"]["status"], "sending");
    let id = body["messageId"].as_str().unwrap().to_owned();
    let m = stored(&db, &id).await;
    assert!(m.error_message.as_deref().unwrap().contains("could not be reached"), "{:?}", m.error_message);

    // Meta comes back on that port before the retry (2 s later).
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let meta = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST")).respond_with(MetaAccepts).mount(&meta).await;
    settled(&db, &[&id], Duration::from_secs(20)).await;
    let m = stored(&db, &id).await;
    assert_eq!(m.status, "sent");
    assert_eq!(meta.received_requests().await.unwrap().len(), 1);
}
