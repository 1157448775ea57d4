//! No N+1 anywhere: every request runs a fixed number of SQL statements,
//! however many rows it reads or returns, and within a budget.
//!
//! Statements are counted from sqlx's own per-statement events, process
//! wide; this file is its own test binary with one test, so nothing else
//! runs statements while it counts.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use helpers::TestApp;
use inbox_types::MessageStatus;
use inbox_whatsapp::webhook::meta;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use sqlx::PgPool;
use tracing_subscriber::layer::SubscriberExt;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// Counts sqlx's event for each statement it ran.
struct CountStatements;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The statements one request ran (its answer read to the end).
async fn statements(request: RequestBuilder) -> usize {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let res = request.send().await.unwrap();
    let status = res.status();
    let body = res.text().await.unwrap();
    assert!(status.is_success(), "{status} {body}");
    STATEMENTS.load(Ordering::SeqCst) - before
}

/// Counts every kind of request once; `round` keeps new numbers and
/// reported messages fresh.
async fn count_all(app: &TestApp, conversation: &str, round: u32) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    let c = conversation;
    let gets: [(&'static str, String); 7] = [
        ("GET /api/conversations", "/api/conversations".into()),
        ("GET /api/conversations?search", "/api/conversations?search=4155".into()),
        ("GET /api/conversations?filter=unread", "/api/conversations?filter=unread".into()),
        ("GET /api/conversations/{id}", format!("/api/conversations/{c}")),
        ("GET /api/conversations/{id}/messages", format!("/api/conversations/{c}/messages")),
        ("GET /api/users", "/api/users".into()),
        ("GET /api/auth/me", "/api/auth/me".into()),
    ];
    for (name, path) in gets {
        counts.insert(name, statements(app.as_a(Method::GET, &path)).await);
    }
    for (name, path) in [
        ("POST /api/conversations/{id}/read", format!("/api/conversations/{c}/read")),
        ("POST /api/conversations/{id}/favorite", format!("/api/conversations/{c}/favorite")),
    ] {
        counts.insert(name, statements(app.as_a(Method::POST, &path)).await);
    }
    let assign = app.as_a(Method::PUT, &format!("/api/conversations/{c}/assignee"));
    counts.insert(
        "PUT /api/conversations/{id}/assignee",
        statements(assign.json(&json!({"userId": app.a.agent.id.0}))).await,
    );
    let send_in = app.as_a(Method::POST, &format!("/api/conversations/{c}/messages"));
    counts
        .insert("POST /api/conversations/{id}/messages", statements(send_in.json(&json!({"messageText": "hi"}))).await);
    let send_new = app.as_a(Method::POST, "/api/messages");
    let new_number = format!("+1415556{:04}", 1000 + round);
    counts.insert(
        "POST /api/messages (new number)",
        statements(send_new.json(&json!({"phoneNumber": new_number, "messageText": "hello"}))).await,
    );

    // Meta reports "delivered" for a message we sent.
    let sent = app.send_as_a(&format!("+1415557{:04}", 1000 + round), "to be delivered").await;
    let wamid: String = sqlx::query_scalar("SELECT provider_message_id FROM messages WHERE id = $1::uuid")
        .bind(sent["messageId"].as_str().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    let body = meta::status_payload(
        &app.a.phone_number_id,
        &wamid,
        MessageStatus::Delivered,
        "14155557000",
        chrono::Utc::now(),
    );
    // The server remembers the channels that sign callbacks for a few
    // seconds: one callback first, so each measured one finds them remembered.
    let warm = |n: &str| {
        let body = meta::status_payload(
            &app.a.phone_number_id,
            &format!("wamid.unknown.{round}.{n}"),
            MessageStatus::Delivered,
            "14155557000",
            chrono::Utc::now(),
        );
        signed(app, body)
    };
    statements(warm("1")).await;
    counts.insert("POST /api/whatsapp/webhook (status)", statements(signed(app, body)).await);
    let inbound = meta::text_message_payload(
        &app.a.phone_number_id,
        &format!("1415558{:04}", 1000 + round),
        "Maria",
        &format!("wamid.in.{round}"),
        "hola",
        chrono::Utc::now(),
    );
    statements(warm("2")).await;
    counts.insert("POST /api/whatsapp/webhook (message)", statements(signed(app, inbound)).await);
    counts
}

/// A Meta callback signed with company A's app secret.
fn signed(app: &TestApp, body: Vec<u8>) -> RequestBuilder {
    app.anonymous(Method::POST, "/api/whatsapp/webhook")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", meta::sign(b"secret-acme", &body))
        .body(body)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn no_request_runs_more_statements_for_more_rows(db: PgPool) {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountStatements)).unwrap();
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let first: Value = app.send_as_a("+14155550100", "first").await;
    let conversation = first["conversationId"].as_str().unwrap().to_owned();
    // The token's first use is recorded once (then at most once a minute).
    statements(app.as_a(Method::GET, "/api/users")).await;

    let small = count_all(&app, &conversation, 1).await;

    // Many more rows: 120 conversations and 300 messages in the one above,
    // with assignees and last messages, so every page is full.
    sqlx::query(
        "WITH k AS (INSERT INTO contacts (id, company_id, phone, name) \
                    SELECT gen_random_uuid(), $1, '+1415200' || lpad(g::text, 4, '0'), 'Contact ' || g \
                      FROM generate_series(1, 120) g RETURNING id) \
         INSERT INTO conversations (id, company_id, contact_id, last_message_time, unread_count, assigned_to_user_id) \
         SELECT gen_random_uuid(), $1, k.id, now() - random() * interval '1 day', 1, $2 FROM k",
    )
    .bind(app.a.company.0)
    .bind(app.a.agent.id.0)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content, created_at) \
         SELECT gen_random_uuid(), c.id, c.company_id, c.contact_id, 'inbound', 'delivered', 'm' || g, \
                now() - g * interval '1 minute' \
           FROM conversations c, generate_series(1, 300) g WHERE c.id = $1::uuid",
    )
    .bind(&conversation)
    .execute(&app.db)
    .await
    .unwrap();
    let large = count_all(&app, &conversation, 2).await;

    for (name, n) in &large {
        println!("{n:>3}  {name}");
    }
    assert_eq!(small, large, "a request ran more statements for more rows");
    // The budgets, as counted when they were set (docs/performance.md lists
    // them). A new statement in a request shows up here first.
    let budget = |name: &str| match name {
        // The principal, then one query (a list page is one statement, the
        // contacts' and assignees' names and last statuses joined in).
        "GET /api/auth/me" | "GET /api/conversations/{id}/messages" => 3,
        n if n.starts_with("GET ") => 2,
        "POST /api/conversations/{id}/favorite" => 3,
        "POST /api/conversations/{id}/read" => 5,
        "PUT /api/conversations/{id}/assignee" => 6,
        // The principal, the channel, then one transaction (contact, a new
        // one inserted, the conversation with its last message, the message)
        // and the grouped `sent` transaction (the locks, one update).
        "POST /api/messages (new number)" | "POST /api/conversations/{id}/messages" => 10,
        // One transaction: the stored callback and the status.
        "POST /api/whatsapp/webhook (status)" => 3,
        // The stored callback, then a new contact, its conversation and the message.
        "POST /api/whatsapp/webhook (message)" => 8,
        other => panic!("no budget for {other}"),
    };
    for (name, n) in &large {
        assert!(*n <= budget(name), "{name} ran {n} statements, over its budget of {}", budget(name));
    }
}
