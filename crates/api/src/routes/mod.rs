//! The HTTP API. Handlers are thin: they take the caller and the parsed
//! input, call one domain service, and shape its answer.

pub mod auth;
pub mod conversations;
pub mod events;
pub mod messages;
pub mod ops;
pub mod users;
pub mod webhook;
pub mod whatsapp;

use actix_web::web;

use crate::auth::Auth;
use crate::error::ApiError;
use inbox_domain::DomainError;

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::logout)
        .service(auth::me)
        .service(users::list)
        .service(conversations::list)
        .service(conversations::get)
        .service(conversations::messages)
        .service(conversations::send)
        .service(conversations::read)
        .service(conversations::assign)
        .service(conversations::clear)
        .service(conversations::delete)
        .service(conversations::archive)
        .service(conversations::unarchive)
        .service(conversations::favorite)
        .service(conversations::unfavorite)
        .service(messages::send)
        .service(messages::retry)
        .service(whatsapp::send)
        .service(webhook::verify)
        .service(webhook::receive_meta)
        .service(webhook::receive_twilio)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(events::stream);
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
