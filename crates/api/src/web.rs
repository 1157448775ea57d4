//! The browser app: Trunk's static build served at `/`.
//!
//! Unknown paths outside `/api/` answer with `index.html`, so a reload of any
//! app URL works; unknown `/api/` paths keep their JSON 404. Trunk names the
//! wasm, JS and CSS after their content hash, so those are cached for a year
//! and `index.html` is revalidated on every load.

use std::path::Path;

use actix_files::{Files, NamedFile};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use inbox_domain::DomainError;

use crate::error::ApiError;

/// Registers the app's files, or a page saying how to build them.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    if !dir.join("index.html").is_file() {
        tracing::warn!(dir = %dir.display(), "browser app not built; `/` explains how to build it");
        cfg.route("/", web::get().to(not_built));
        return;
    }
    let index = dir.join("index.html");
    cfg.service(Files::new("/", dir).index_file("index.html").default_handler(fn_service(
        move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                if req.path() == "/api" || req.path().starts_with("/api/") {
                    let res =
                        actix_web::ResponseError::error_response(&ApiError::Domain(DomainError::NotFound("route")));
                    return Ok(ServiceResponse::new(req, res));
                }
                let file = NamedFile::open_async(&index).await?;
                let res = file.into_response(&req);
                Ok(ServiceResponse::new(req, res))
            }
        },
    )));
}

async fn not_built() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        "<!doctype html><meta charset=utf-8><title>Inbox</title>\
         <p>The browser app is not built. Run <code>make run</code> (or <code>make web</code>), \
         or point <code>INBOX_WEB_DIR</code> at Trunk's <code>dist</code> folder. \
         The API is up: <a href=\"/api/docs/\">/api/docs/</a>.</p>",
    )
}

/// Long caching for content-hashed assets, revalidation for everything else
/// outside the API.
pub async fn cache_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policy = cache_policy(req.path());
    let mut res = next.call(req).await?;
    if let Some(policy) = policy
        && res.status().is_success()
        && !res.headers().contains_key(CACHE_CONTROL)
    {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    Ok(res)
}

fn cache_policy(path: &str) -> Option<&'static str> {
    if path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics") {
        return None;
    }
    Some(if is_hashed_asset(path) { "public, max-age=31536000, immutable" } else { "no-cache" })
}

/// `inbox-web-0123456789abcdef_bg.wasm`, `style-0123456789abcdef.css`.
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_cached_for_good_and_pages_revalidated() {
        assert_eq!(cache_policy("/inbox-web-1a2b3c4d5e6f7a8b_bg.wasm"), Some("public, max-age=31536000, immutable"));
        assert_eq!(cache_policy("/inbox-web-1a2b3c4d5e6f7a8b.js"), Some("public, max-age=31536000, immutable"));
        assert_eq!(cache_policy("/style-1a2b3c4d5e6f7a8b.css"), Some("public, max-age=31536000, immutable"));
        assert_eq!(cache_policy("/"), Some("no-cache"));
        assert_eq!(cache_policy("/index.html"), Some("no-cache"));
        assert_eq!(cache_policy("/api/conversations"), None);
        assert_eq!(cache_policy("/metrics"), None);
    }
}
