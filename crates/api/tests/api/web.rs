//! The browser app's files: served at `/`, app URLs fall back to the page,
//! the API's unknown paths stay JSON, and hashed assets are cached for good.

use std::path::PathBuf;

use inbox_api::config::Config;
use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::*;

const JS: &str = "/inbox-web-0123456789abcdef.js";

/// A stand-in for Trunk's `dist`: a page and one content-hashed script.
fn dist() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inbox-dist-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Inbox</title>").unwrap();
    std::fs::write(dir.join(&JS[1..]), "export default 1;").unwrap();
    dir
}

async fn app_with_dist(db: PgPool) -> (TestApp, PathBuf) {
    let dir = dist();
    let app = TestApp::spawn_with(db, Config { web_dir: dir.clone(), ..Config::default() }).await;
    (app, dir)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_app_page_is_served_at_the_root_and_revalidated(db: PgPool) {
    let (app, dir) = app_with_dist(db).await;
    let res = app.anonymous(Method::GET, "/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("<title>Inbox</title>"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn hashed_assets_are_cached_for_a_year(db: PgPool) {
    let (app, dir) = app_with_dist(db).await;
    let res = app.anonymous(Method::GET, JS).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().contains("javascript"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_reload_of_an_app_url_gets_the_page_but_unknown_api_paths_stay_json(db: PgPool) {
    let (app, dir) = app_with_dist(db).await;
    let res = app.anonymous(Method::GET, "/chats/somewhere?c=1").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<title>Inbox</title>"));

    let res = app.anonymous(Method::GET, "/api/no-such-thing").send().await.unwrap();
    let body = expect_error(res, 404, "NOT_FOUND").await;
    assert_eq!(body["success"], false);
    // The API itself is untouched by the file service.
    let res = app.as_a(Method::GET, "/api/conversations").send().await.unwrap();
    assert_eq!(res.status(), 200);
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn without_a_build_the_root_says_how_to_make_one(db: PgPool) {
    let config = Config { web_dir: PathBuf::from("/nonexistent/inbox-dist"), ..Config::default() };
    let app = TestApp::spawn_with(db, config).await;
    let res = app.anonymous(Method::GET, "/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("make run"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_app_page_carries_a_content_security_policy_and_every_answer_nosniff(db: PgPool) {
    let (app, dir) = app_with_dist(db).await;
    for path in ["/", "/chats/anything"] {
        let res = app.anonymous(Method::GET, path).send().await.unwrap();
        let policy = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
    // The API's answers are not pages: no policy, but never sniffed either.
    let res = app.anonymous(Method::GET, "/api/conversations").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("content-security-policy").is_none());
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    std::fs::remove_dir_all(dir).unwrap();
}

/// RFC 9110: a method a path does not answer is 405 with the `Allow` list,
/// whether or not the app's files are served in front of the API; a path
/// that does not exist stays a JSON 404 whatever the method.
#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_wrong_method_is_told_what_the_path_allows(db: PgPool) {
    let (app, dir) = app_with_dist(db).await;
    for (method, path, allow) in [
        (Method::GET, "/api/auth/login", "POST"),
        (Method::TRACE, "/api/conversations", "GET"),
        (Method::PATCH, "/api/conversations/01a212b0-a605-70e3-8912-dd014b441149", "GET, DELETE"),
        (Method::DELETE, "/api/conversations/anything/messages", "GET, POST"),
        (Method::PUT, "/healthz", "GET"),
        (Method::POST, "/chats/somewhere", "GET, HEAD"),
    ] {
        let res = app.as_a(method.clone(), path).send().await.unwrap();
        assert_eq!(res.headers().get("allow").map(|v| v.to_str().unwrap()), Some(allow), "{method} {path}");
        expect_error(res, 405, "METHOD_NOT_ALLOWED").await;
    }
    for (method, path) in [
        (Method::GET, "/api/no-such-thing"),
        (Method::POST, "/api/no-such-thing"),
        (Method::DELETE, "/api/no-such-thing"),
        (Method::GET, "/api/conversations/"),
    ] {
        let res = app.as_a(method.clone(), path).send().await.unwrap();
        assert!(res.headers().get("allow").is_none(), "{method} {path}");
        expect_error(res, 404, "NOT_FOUND").await;
    }
    // The page itself still answers HEAD.
    assert_eq!(app.anonymous(Method::HEAD, "/").send().await.unwrap().status(), 200);
    std::fs::remove_dir_all(dir).unwrap();
}
