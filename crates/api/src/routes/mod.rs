//! The HTTP API. Handlers are thin: they take the caller and the parsed
//! input, call one domain service, and shape its answer.

pub mod auth;
pub mod conversations;
pub mod events;
pub mod messages;
pub mod ops;
pub mod users;
pub mod webhook;
pub mod webhook_events;
pub mod whatsapp;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Auth;
use crate::error::ApiError;
use inbox_domain::DomainError;

/// The HTTP answer to a send or retry.
pub(crate) fn send_answer(sent: inbox_domain::send::Sent) -> inbox_types::dto::SendNewMessageOutput {
    let inbox_domain::send::Sent {
        conversation_id,
        contact_id,
        message_id,
        created_contact,
        created_conversation,
        message,
    } = sent;
    inbox_types::dto::SendNewMessageOutput {
        success: true,
        conversation_id,
        contact_id,
        message_id,
        created_contact,
        created_conversation,
        message,
    }
}

/// Every route of the API, listed once. Each `.service(handler)` registers
/// the handler with actix and adds its `#[utoipa::path]` operation to the
/// OpenAPI document (`openapi::document` builds it from this very list), and
/// `Methods` reads the 405 answers from that document. `service` only takes
/// handlers that carry `#[utoipa::path]`, so an undocumented route does not
/// compile; a handler's actix path and its documented path are compared by
/// the contract test.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::logout)
        .service(auth::me)
        .service(users::list)
        .service(conversations::list)
        .service(conversations::get)
        .service(conversations::messages)
        .service(conversations::send)
        .service(conversations::read)
        .service(conversations::unread)
        .service(conversations::assign)
        .service(conversations::clear)
        .service(conversations::delete)
        .service(conversations::archive)
        .service(conversations::unarchive)
        .service(conversations::favorite)
        .service(conversations::unfavorite)
        .service(messages::send)
        .service(messages::search)
        .service(messages::retry)
        .service(whatsapp::send)
        .service(webhook::verify)
        .service(webhook::receive_meta)
        .service(webhook::receive_twilio)
        .service(webhook_events::failed)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(events::stream);
}

/// Which methods each path answers, read from the OpenAPI document that
/// `configure` builds (plus the spec itself and, when built, the app's
/// pages), so a request with another method hears 405 and the `Allow` list
/// rather than 404.
#[derive(Debug)]
pub struct Methods {
    api: Vec<(Vec<Segment>, String)>,
    app_pages: bool,
}

#[derive(Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

impl Methods {
    pub fn new(spec: &utoipa::openapi::OpenApi, app_pages: bool) -> Self {
        let mut api: Vec<(Vec<Segment>, String)> = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", &item.get),
                    ("HEAD", &item.head),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                    ("OPTIONS", &item.options),
                    ("TRACE", &item.trace),
                ];
                let allow: Vec<&str> = methods.iter().filter(|(_, op)| op.is_some()).map(|(m, _)| *m).collect();
                (segments(path), allow.join(", "))
            })
            .collect();
        api.push((segments("/api/openapi.json"), "GET".into()));
        Self { api, app_pages }
    }

    /// The `Allow` value for `path`, or `None` when no route has it.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.split('/').collect();
        let found = self.api.iter().find(|(pattern, _)| {
            pattern.len() == parts.len()
                && pattern.iter().zip(&parts).all(|(seg, part)| match seg {
                    Segment::Literal(l) => l == part,
                    Segment::Param => !part.is_empty(),
                })
        });
        match found {
            Some((_, allow)) => Some(allow),
            None if self.app_pages && path != "/api" && !path.starts_with("/api/") => Some("GET, HEAD"),
            None => None,
        }
    }
}

/// The answer when no route took the request: 405 with `Allow` when the
/// path exists with other methods, 404 otherwise.
pub(crate) fn no_route(req: &actix_web::HttpRequest) -> ApiError {
    tracing::debug!(path = req.path(), method = %req.method(), "no route");
    let method = req.method().as_str();
    match req.app_data::<web::Data<Methods>>().and_then(|m| m.allowed(req.path())) {
        // A path that answers this very method yet matched no route is not there.
        Some(allow) if !allow.split(", ").any(|m| m == method) => {
            ApiError::MethodNotAllowed { method: method.to_owned(), allow: allow.to_owned() }
        }
        _ => ApiError::Domain(DomainError::NotFound("route")),
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/').map(|s| if s.starts_with('{') { Segment::Param } else { Segment::Literal(s.to_owned()) }).collect()
}

/// A `companyId` in a body may only name the caller's own company.
pub(crate) fn own_company(auth: &Auth, claimed: Option<uuid::Uuid>) -> Result<(), ApiError> {
    match claimed {
        Some(id) if id != auth.0.company_id.0 => {
            Err(DomainError::Unauthorized("companyId is not the company you are signed in to".into()).into())
        }
        _ => Ok(()),
    }
}

/// Counts a send against the caller's limit.
pub(crate) fn limit_sends(state: &crate::state::AppState, auth: &Auth) -> Result<(), ApiError> {
    let key = match auth.0.credential {
        inbox_domain::auth::Credential::Session => format!("user:{}", auth.0.user_id),
        inbox_domain::auth::Credential::Token(id) => format!("token:{id}"),
    };
    state.send_limiter.check(&key).map_err(|retry_after_secs| DomainError::RateLimited { retry_after_secs }.into())
}

#[cfg(test)]
mod tests {
    use super::Methods;

    #[test]
    fn a_path_of_the_spec_lists_its_methods_and_others_are_unknown() {
        let methods = Methods::new(&crate::openapi::document(), true);
        assert_eq!(methods.allowed("/api/conversations"), Some("GET"));
        assert_eq!(methods.allowed("/api/conversations/3f8a/messages"), Some("GET, POST"));
        assert_eq!(methods.allowed("/api/conversations/3f8a"), Some("GET, DELETE"));
        assert_eq!(methods.allowed("/healthz"), Some("GET"));
        assert_eq!(methods.allowed("/api/openapi.json"), Some("GET"));
        assert_eq!(methods.allowed("/api/nothing-here"), None);
        assert_eq!(methods.allowed("/api/conversations//messages"), None);
        assert_eq!(methods.allowed("/api/conversations/"), None, "a trailing slash is another path");
        assert_eq!(methods.allowed("/chats/anything"), Some("GET, HEAD"));
        let without_app = Methods::new(&crate::openapi::document(), false);
        assert_eq!(without_app.allowed("/chats/anything"), None);
    }
}
