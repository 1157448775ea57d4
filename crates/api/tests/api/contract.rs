//! The committed OpenAPI document is what the code generates, and every
//! route is in it.

use std::path::Path;

use reqwest::{Method, Response};
use sqlx::PgPool;

use crate::helpers::*;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    let generated = inbox_api::openapi::json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date with the code: run `make openapi` and commit the result"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let spec: serde_json::Value = serde_json::from_str(&inbox_api::openapi::json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} has no success response");
            // Webhooks authenticate by the provider's signature instead.
            let public = ["/api/auth/login", "/api/auth/logout"].contains(&path.as_str())
                || path.starts_with("/api/whatsapp/webhook");
            if path.starts_with("/api/") && !public {
                assert!(responses.contains_key("401"), "{method} {path} does not document 401");
                let security = op["security"].as_array().unwrap();
                assert!(security.iter().any(|s| s.get("bearer").is_some()), "{method} {path} lacks bearer auth");
            }
        }
    }
}

/// Why the router itself answered (no handler ran), or `None` when a route
/// took the request. `routes::no_route` answers 405 for a path that exists
/// with other methods and 404 "route not found" for no path at all; a
/// handler's own 404 names what it did not find ("conversation not found").
async fn unrouted(res: Response) -> Option<String> {
    match res.status().as_u16() {
        405 => Some(format!("405, Allow: {:?}", res.headers().get("allow"))),
        404 => {
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            (body["code"] == "NOT_FOUND" && body["error"] == "route not found").then(|| format!("404 {body}"))
        }
        // Not read: an event stream's body never ends.
        _ => None,
    }
}

/// Every documented operation reaches a handler on the real server, so a
/// handler's actix path or method cannot disagree with its `#[utoipa::path]`.
/// The other way round, a registered route missing from the document, cannot
/// happen: `routes::configure` registers each handler through
/// utoipa-actix-web, whose `service` adds the handler's operation to the
/// document in the same call and takes only handlers that have one. (The
/// document itself, Swagger UI and the app's pages are served outside that
/// table, and are not API operations.)
#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_documented_operation_is_answered_by_a_registered_route(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let id = uuid::Uuid::new_v4().to_string();
    // The router's own answers are told apart from a handler's.
    let no_path = app.as_a(Method::GET, "/api/no-such-thing").send().await.unwrap();
    assert!(unrouted(no_path).await.is_some(), "an unknown path is the router's 404");
    let wrong_method = app.as_a(Method::PATCH, "/api/conversations").send().await.unwrap();
    assert!(unrouted(wrong_method).await.is_some(), "a method the path does not answer is the router's 405");
    let missing = app.as_a(Method::GET, &format!("/api/conversations/{id}")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(unrouted(missing).await, None, "a handler's 404 for a missing conversation is routed");

    let spec: serde_json::Value = serde_json::from_str(&inbox_api::openapi::json()).unwrap();
    let (mut operations, mut unanswered) = (0, Vec::new());
    for (path, item) in spec["paths"].as_object().unwrap() {
        // Path parameters are all ids: a well-formed one that names nothing.
        let concrete: Vec<String> = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { id.clone() } else { segment.to_owned() })
            .collect();
        let concrete = concrete.join("/");
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.as_a(method.clone(), &concrete).send().await.unwrap();
            if let Some(answer) = unrouted(res).await {
                unanswered.push(format!("{method} {path} ({concrete}: {answer})"));
            }
        }
    }
    assert!(operations > 0, "the document lists operations");
    assert!(unanswered.is_empty(), "documented, but no route answers them:\n{}", unanswered.join("\n"));
}
