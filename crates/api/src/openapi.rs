//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! annotations as `routes::configure` registers them. `openapi/openapi.json`
//! is this, committed; a test fails when they differ (`make openapi` rewrites
//! the file).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt as _;

/// What the document says besides its operations: the title, the tags and
/// the security schemes. The operations come from `routes::configure`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Inbox API",
        description = "The REST API of Inbox, a multi-tenant WhatsApp shared inbox.\n\n\
            Authenticate as an agent with `POST /api/auth/login` (a session cookie; state-changing \
            requests must then come from the same origin), or as an integrator with \
            `Authorization: Bearer <token>` (create one with `inbox create-token`). Everything you \
            see and change belongs to your company; another company's ids answer 404 like ids \
            that do not exist.\n\n\
            Errors answer `{\"success\": false, \"error\": \"...\", \"code\": \"...\"}` with a stable \
            `code`; validation errors also name the `field`.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "conversations", description = "The sidebar: list, filter, search, manage"),
        (name = "messages", description = "Read and send messages"),
        (name = "users", description = "The company's agents"),
        (name = "events", description = "Live changes as server-sent events"),
        (name = "whatsapp", description = "The plan's WhatsApp send endpoint"),
        (name = "webhooks", description = "Callbacks from WhatsApp providers (signed; not for API clients)"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by POST /api/auth/login",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `inbox create-token`"))
                    .build(),
            ),
        );
    }
}

/// The whole document: `ApiDoc` with the operation of every route that
/// `routes::configure` registers (and the schemas they use). The app is
/// built only to collect them; it never serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    doc
}

/// The document as committed: pretty JSON with a final newline.
pub fn json() -> String {
    pretty(&document())
}

/// `doc` as committed: pretty JSON with a final newline.
pub fn pretty(doc: &utoipa::openapi::OpenApi) -> String {
    let mut s = doc.to_pretty_json().expect("the OpenAPI document serializes");
    s.push('\n');
    s
}
