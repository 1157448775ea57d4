//! Sessions, API tokens, CSRF and rate limits (plan 9).

use inbox_api::config::Config;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_agent_signs_in_with_a_secure_session_cookie_and_sees_who_they_are(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app
        .anonymous(Method::POST, "/api/auth/login")
        .json(&json!({"email": "AGENT@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("inbox_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "Secure is off unless configured");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "agent@acme.test");
    assert_eq!(body["company"]["name"], "Acme");

    let browser = app.browser_as_a().await;
    let me: serde_json::Value = browser.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["id"], app.a.agent.id.0.to_string());
    assert_eq!(me["company"]["id"], app.a.company.0.to_string());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let mut bodies = Vec::new();
    for (email, password) in [("agent@acme.test", "wrong-password"), ("nobody@acme.test", PASSWORD)] {
        let res = app
            .anonymous(Method::POST, "/api/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("set-cookie").is_none());
        bodies.push(expect_error(res, 401, "UNAUTHORIZED").await);
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn login_input_is_validated(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let post = |body: serde_json::Value| app.anonymous(Method::POST, "/api/auth/login").json(&body).send();
    let body = expect_error(post(json!({"email": "a@b.test"})).await.unwrap(), 400, "VALIDATION_ERROR").await;
    assert_eq!(body["field"], "password");
    let body = expect_error(post(json!({"email": " ", "password": "x"})).await.unwrap(), 422, "VALIDATION_ERROR").await;
    assert_eq!(body["field"], "email");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn logout_ends_the_session(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let browser = app.browser_as_a().await;
    let res = browser.post(app.url("/api/auth/logout")).header("Origin", &app.address).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = browser.get(app.url("/api/auth/me")).send().await.unwrap();
    expect_error(res, 401, "UNAUTHORIZED").await;
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.db).await.unwrap();
    assert_eq!(sessions, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_cookie_request_that_changes_state_must_come_from_our_origin(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let browser: Client = app.browser_as_a().await;
    let send = |origin: Option<&str>| {
        let mut req =
            browser.post(app.url("/api/messages")).json(&json!({"phoneNumber": "+14155550100", "messageText": "hi"}));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    expect_error(send(None).await.unwrap(), 403, "FORBIDDEN").await;
    expect_error(send(Some("https://evil.example")).await.unwrap(), 403, "FORBIDDEN").await;
    assert_eq!(send(Some(&app.address)).await.unwrap().status(), 201);
    // Reads need no Origin.
    assert_eq!(browser.get(app.url("/api/conversations")).send().await.unwrap().status(), 200);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn bad_or_revoked_tokens_are_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let get =
        |auth: &'static str| app.anonymous(Method::GET, "/api/conversations").header("Authorization", auth).send();
    expect_error(get("Bearer inbox_nope").await.unwrap(), 401, "UNAUTHORIZED").await;
    expect_error(get("Basic YTpi").await.unwrap(), 401, "UNAUTHORIZED").await;
    expect_error(get("Bearer ").await.unwrap(), 401, "UNAUTHORIZED").await;

    assert_eq!(app.as_a(Method::GET, "/api/conversations").send().await.unwrap().status(), 200);
    sqlx::query("UPDATE api_tokens SET revoked_at = now()").execute(&app.db).await.unwrap();
    expect_error(app.as_a(Method::GET, "/api/conversations").send().await.unwrap(), 401, "UNAUTHORIZED").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_token_records_when_it_was_last_used_at_most_once_a_minute(db: PgPool) {
    let app = TestApp::spawn(db).await;
    // The row's version (xmin) changes with every write to it.
    let row = |db: PgPool, user: uuid::Uuid| async move {
        sqlx::query_as::<_, (Option<chrono::DateTime<chrono::Utc>>, String)>(
            "SELECT last_used_at, xmin::text FROM api_tokens WHERE user_id = $1",
        )
        .bind(user)
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let user = app.a.agent.id.0;
    assert_eq!(row(app.db.clone(), user).await.0, None);
    app.as_a(Method::GET, "/api/users").send().await.unwrap();
    let (used, version) = row(app.db.clone(), user).await;
    assert!(used.is_some());

    // More reads within the minute write nothing: no commit, no row lock.
    for _ in 0..3 {
        assert_eq!(app.as_a(Method::GET, "/api/users").send().await.unwrap().status(), 200);
    }
    assert_eq!(row(app.db.clone(), user).await, (used, version));

    // A minute later the next request records the use again.
    sqlx::query("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE user_id = $1")
        .bind(user)
        .execute(&app.db)
        .await
        .unwrap();
    app.as_a(Method::GET, "/api/users").send().await.unwrap();
    let later = row(app.db.clone(), user).await.0.unwrap();
    assert!(later > chrono::Utc::now() - chrono::Duration::seconds(30), "{later}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_api_endpoint_refuses_a_caller_without_credentials(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let id = uuid::Uuid::now_v7();
    let endpoints = [
        (Method::GET, "/api/auth/me".to_owned()),
        (Method::GET, "/api/users".to_owned()),
        (Method::GET, "/api/conversations".to_owned()),
        (Method::GET, format!("/api/conversations/{id}")),
        (Method::GET, format!("/api/conversations/{id}/messages")),
        (Method::POST, format!("/api/conversations/{id}/messages")),
        (Method::POST, "/api/messages".to_owned()),
        (Method::POST, format!("/api/messages/{id}/retry")),
        (Method::POST, format!("/api/conversations/{id}/read")),
        (Method::PUT, format!("/api/conversations/{id}/assignee")),
        (Method::POST, format!("/api/conversations/{id}/clear")),
        (Method::DELETE, format!("/api/conversations/{id}")),
        (Method::POST, format!("/api/conversations/{id}/archive")),
        (Method::POST, format!("/api/conversations/{id}/unarchive")),
        (Method::POST, format!("/api/conversations/{id}/favorite")),
        (Method::POST, format!("/api/conversations/{id}/unfavorite")),
        (Method::POST, "/api/whatsapp/send".to_owned()),
    ];
    for (method, path) in endpoints {
        let res = app.anonymous(method.clone(), &path).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let res = app.anonymous(method.clone(), &path).bearer_auth("inbox_invalid").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} with an invalid token");
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn login_attempts_are_rate_limited(db: PgPool) {
    let config = Config { login_attempts_per_minute: 3, ..Config::default() };
    let app = TestApp::spawn_with(db, config).await;
    for _ in 0..3 {
        let res = app
            .anonymous(Method::POST, "/api/auth/login")
            .json(&json!({"email": "agent@acme.test", "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app
        .anonymous(Method::POST, "/api/auth/login")
        .json(&json!({"email": "agent@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    expect_error(res, 429, "RATE_LIMITED").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn users_lists_only_the_callers_company(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let body: serde_json::Value = app.as_a(Method::GET, "/api/users").send().await.unwrap().json().await.unwrap();
    let emails: Vec<&str> = body["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["agent@acme.test"]);
    let body: serde_json::Value = app.as_b(Method::GET, "/api/users").send().await.unwrap().json().await.unwrap();
    assert_eq!(body["users"][0]["email"], "agent@globex.test");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_sign_in_posted_from_another_site_is_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let login = |origin: &str| {
        app.anonymous(Method::POST, "/api/auth/login")
            .header("Origin", origin)
            .json(&json!({"email": "agent@acme.test", "password": PASSWORD}))
            .send()
    };
    let res = login("https://evil.example").await.unwrap();
    assert!(res.headers().get("set-cookie").is_none());
    expect_error(res, 403, "FORBIDDEN").await;
    assert_eq!(login(&app.address).await.unwrap().status(), 200);
}
