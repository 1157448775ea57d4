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
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

/// Whether Trunk's build is in `dir`.
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// Registers the app's files, or a page saying how to build them. Other
/// methods than GET and HEAD pass by (to the 405 or 404 of the default
/// service) rather than hearing actix-files' bare 405.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    if !is_built(dir) {
        tracing::warn!(dir = %dir.display(), "browser app not built; `/` explains how to build it");
        cfg.route("/", web::get().to(not_built));
        return;
    }
    let index = dir.join("index.html");
    let read = actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head());
    cfg.service(Files::new("/", dir).guard(read).index_file("index.html").default_handler(fn_service(
        move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                let (req, _) = req.into_parts();
                if req.path() == "/api" || req.path().starts_with("/api/") {
                    let res = actix_web::ResponseError::error_response(&crate::routes::no_route(&req));
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

/// The Content-Security-Policy of the app's pages: scripts from our origin
/// plus the page's own inline module script by its hash (Trunk writes the
/// loader inline), and wasm compilation; styles from our origin and inline
/// (the views set style attributes); images from our origin and `data:`
/// (the icon); requests to our origin only (the API and the event stream);
/// no plugins, no `<base>`, no foreign form targets, no framing.
#[derive(Debug, Clone)]
pub struct AppPolicy(HeaderValue);

impl AppPolicy {
    pub fn for_dir(dir: &Path) -> Self {
        use base64::Engine as _;
        use sha2::Digest as _;
        let page = std::fs::read_to_string(dir.join("index.html")).unwrap_or_default();
        let hashes: String = inline_scripts(&page)
            .map(|s| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s))))
            .collect();
        let policy = format!(
            "default-src 'self'; script-src 'self'{hashes} 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        );
        Self(HeaderValue::from_str(&policy).expect("a policy of ASCII"))
    }
}

/// The bodies of the page's `<script>` elements that have no `src`.
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    page.split("<script").skip(1).filter_map(|rest| {
        let (attributes, body) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        Some(body.split_once("</script>")?.0)
    })
}

/// Headers every answer carries, and the app's policy on its pages (not on
/// the API, whose Swagger UI brings its own inline scripts).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policy = req.app_data::<web::Data<AppPolicy>>().map(|p| p.0.clone());
    let app_page = !(req.path() == "/api" || req.path().starts_with("/api/"));
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    let html = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if app_page
        && html
        && let Some(policy) = policy
    {
        headers.insert(CONTENT_SECURITY_POLICY, policy);
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(res)
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

    #[test]
    fn the_policy_allows_the_pages_inline_loader_by_hash_and_nothing_else_inline() {
        let dir = std::env::temp_dir().join(format!("inbox-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loader = "\nimport init from '/app.js';\nawait init();\n";
        std::fs::write(
            dir.join("index.html"),
            format!("<head><script type=\"module\">{loader}</script><script src=\"/x.js\"></script></head>"),
        )
        .unwrap();
        let policy = AppPolicy::for_dir(&dir).0.to_str().unwrap().to_owned();
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader));
        assert!(policy.contains(&format!("script-src 'self' 'sha256-{hash}' 'wasm-unsafe-eval';")), "{policy}");
        assert_eq!(policy.matches("sha256-").count(), 1, "the script with src= is not hashed");
        let scripts = policy.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
