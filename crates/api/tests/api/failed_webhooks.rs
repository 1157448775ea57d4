//! A webhook event that fails to apply is never silent: answered 200 (so
//! the provider does not retry it for ever), counted in /metrics, listed for
//! the company's admins, and applied exactly once by a replay after the
//! cause is fixed.

use chrono::Utc;
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_whatsapp::webhook::meta;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

/// A second number of company A, signed with A's app secret but not set up
/// in Inbox yet.
const NEW_NUMBER_ID: &str = "100000000000777";

async fn failed_list(app: &TestApp) -> reqwest::Response {
    app.as_a(Method::GET, "/api/webhook-events/failed").send().await.unwrap()
}

async fn make_a_admin(app: &TestApp) {
    sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1").bind(app.a.agent.id.0).execute(&app.db).await.unwrap();
}

/// A company sets up another Meta number, signed by `secret`.
async fn add_number(app: &TestApp, company: inbox_types::CompanyId, phone_number_id: &str, secret: &str) {
    channels::create(
        &app.db,
        company,
        NewChannel {
            provider: ProviderKind::Meta,
            name: format!("Number {phone_number_id}"),
            phone_number: None,
            external_id: phone_number_id.into(),
            credentials: json!({"access_token": "EAAG-test"}),
            verify_token: None,
            app_secret: Some(secret.into()),
            is_default: false,
        },
    )
    .await
    .unwrap();
}

async fn messages_with(app: &TestApp, provider_id: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM messages WHERE provider_message_id = $1")
        .bind(provider_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_callback_for_a_number_not_set_up_is_listed_counted_and_applied_once_when_replayed(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let body = meta::text_message_payload(NEW_NUMBER_ID, "5215512345678", "Lucía", "wamid.LATE", "¿Hola?", Utc::now());
    assert_eq!(app.post_meta_signed(body, "secret-acme").await.status(), 200, "acknowledged, not retried for ever");
    assert_eq!(messages_with(&app, "wamid.LATE").await, 0);

    // Counted by reason.
    let metrics = app.anonymous(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"inbox_webhook_events_failed_total{reason="unknown_channel"}"#), "{metrics}");

    // Listed for A's admins, not for agents.
    expect_error(failed_list(&app).await, 403, "FORBIDDEN").await;
    make_a_admin(&app).await;
    let res = failed_list(&app).await;
    assert_eq!(res.status(), 200);
    let listed: Value = res.json().await.unwrap();
    let events = listed["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{listed}");
    assert_eq!(events[0]["reason"], "unknown_channel");
    assert!(events[0]["error"].as_str().unwrap().contains(NEW_NUMBER_ID));
    assert_eq!(events[0]["replayedAt"], Value::Null);

    // The admin adds the number; a replay applies the message once.
    add_number(&app, app.a.company, NEW_NUMBER_ID, "secret-acme").await;
    let done = inbox_api::callbacks::replay_failed(&app.db, None).await.unwrap();
    assert_eq!((done.replayed, done.fixed, done.still_failing), (1, 1, 0));
    assert_eq!(messages_with(&app, "wamid.LATE").await, 1);
    let listed: Value = failed_list(&app).await.json().await.unwrap();
    assert_eq!(listed["events"], json!([]), "a replayed event that applied is no longer failed");

    // A second replay finds nothing to do; the message is still there once.
    let again = inbox_api::callbacks::replay_failed(&app.db, None).await.unwrap();
    assert_eq!(again.replayed, 0);
    assert_eq!(messages_with(&app, "wamid.LATE").await, 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_replay_of_an_event_that_still_fails_keeps_it_listed_and_a_since_filter_skips_older_ones(db: PgPool) {
    let app = TestApp::spawn(db).await;
    make_a_admin(&app).await;
    let body = meta::text_message_payload(NEW_NUMBER_ID, "447700900123", "Ann", "wamid.OLD", "hi", Utc::now());
    assert_eq!(app.post_meta_signed(body, "secret-acme").await.status(), 200);
    let later = Utc::now() + chrono::Duration::seconds(5);
    let skipped = inbox_api::callbacks::replay_failed(&app.db, Some(later)).await.unwrap();
    assert_eq!(skipped.replayed, 0);
    let done = inbox_api::callbacks::replay_failed(&app.db, None).await.unwrap();
    assert_eq!((done.replayed, done.fixed, done.still_failing), (1, 0, 1));
    let listed: Value = failed_list(&app).await.json().await.unwrap();
    assert_eq!(listed["events"].as_array().unwrap().len(), 1);
    assert!(listed["events"][0]["replayedAt"].is_string());
    // A limit outside 1..=100 is a clear 422.
    let res = app.as_a(Method::GET, "/api/webhook-events/failed?limit=0").send().await.unwrap();
    expect_error(res, 422, "VALIDATION_ERROR").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn with_one_meta_app_for_two_companies_neither_sees_the_others_unset_number_and_a_replay_still_works(db: PgPool) {
    let app = TestApp::spawn(db).await;
    make_a_admin(&app).await;
    sqlx::query("UPDATE users SET role = 'admin' WHERE company_id = $1")
        .bind(app.b.company.0)
        .execute(&app.db)
        .await
        .unwrap();
    // B's channel is signed by the same app as A's: one Meta app, two businesses.
    sqlx::query("UPDATE channels SET app_secret = 'secret-acme' WHERE company_id = $1")
        .bind(app.b.company.0)
        .execute(&app.db)
        .await
        .unwrap();
    let body = meta::text_message_payload(NEW_NUMBER_ID, "5215512345678", "Lucía", "wamid.SHARED", "hola", Utc::now());
    assert_eq!(app.post_meta_signed(body, "secret-acme").await.status(), 200);
    for list in [failed_list(&app).await, app.as_b(Method::GET, "/api/webhook-events/failed").send().await.unwrap()] {
        let listed: Value = list.json().await.unwrap();
        assert_eq!(listed["events"], json!([]), "a number of neither company: shown to neither");
    }
    // B sets the number up; the replay applies it to B, whose app signed it.
    add_number(&app, app.b.company, NEW_NUMBER_ID, "secret-acme").await;
    let done = inbox_api::callbacks::replay_failed(&app.db, None).await.unwrap();
    assert_eq!(done.fixed, 1);
    let company: uuid::Uuid =
        sqlx::query_scalar("SELECT company_id FROM messages WHERE provider_message_id = 'wamid.SHARED'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(company, app.b.company.0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_replay_goes_on_past_a_callback_whose_signing_channel_is_gone(db: PgPool) {
    let app = TestApp::spawn(db).await;
    // Two failed callbacks: one signed by B (whose channel then goes), one by A.
    let gone = meta::text_message_payload(NEW_NUMBER_ID, "447700900123", "Ann", "wamid.GONE", "hi", Utc::now());
    assert_eq!(app.post_meta_signed(gone, "secret-globex").await.status(), 200);
    let later = meta::text_message_payload("100000000000888", "447700900124", "Bo", "wamid.LATER", "hi", Utc::now());
    assert_eq!(app.post_meta_signed(later, "secret-acme").await.status(), 200);
    sqlx::query("UPDATE channels SET is_active = false WHERE company_id = $1")
        .bind(app.b.company.0)
        .execute(&app.db)
        .await
        .unwrap();
    add_number(&app, app.a.company, "100000000000888", "secret-acme").await;
    let done = inbox_api::callbacks::replay_failed(&app.db, None).await.unwrap();
    assert_eq!((done.replayed, done.fixed, done.still_failing), (2, 1, 1));
    assert_eq!(messages_with(&app, "wamid.LATER").await, 1);
    assert_eq!(messages_with(&app, "wamid.GONE").await, 0);
    let error: String = sqlx::query_scalar("SELECT error FROM webhook_events WHERE error IS NOT NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(error.contains("unknown phone_number_id") && error.contains("gone"), "{error}");
}
