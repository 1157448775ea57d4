//! The committed OpenAPI document is what the code generates, and every
//! route is in it.

use std::path::Path;

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
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
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
    assert_eq!(operations, 27, "every route of routes::configure is documented");
}
