//! Authentication of every API request: a bearer token (integrators) or the
//! session cookie (the browser app), plus a same-origin check for
//! state-changing requests made with the cookie (CSRF).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use inbox_domain::DomainError;
use inbox_domain::auth::{self, Principal};

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "inbox_session";

/// The authenticated caller of a handler.
#[derive(Debug, Clone, Copy)]
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered").clone();
            if let Some(value) = req.headers().get(header::AUTHORIZATION) {
                let token = value
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| unauthorized("Authorization must be `Bearer <token>`"))?;
                return Ok(Auth(auth::token_principal(&state.db, token).await?));
            }
            let Some(cookie) = req.cookie(SESSION_COOKIE) else {
                return Err(unauthorized("Sign in, or send an API token as `Authorization: Bearer <token>`"));
            };
            let principal = auth::session_principal(&state.db, cookie.value()).await?;
            check_same_origin(&req, state.public_origin.as_deref())?;
            Ok(Auth(principal))
        })
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Domain(DomainError::Unauthorized(message.into()))
}

/// A cookie rides along on cross-site requests; a browser's `Origin` header
/// does not lie. State-changing requests authenticated by cookie must come
/// from our own origin.
pub fn check_same_origin(req: &HttpRequest, public_origin: Option<&str>) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let forbidden = |why: &str| ApiError::Domain(DomainError::Forbidden(why.into()));
    let origin = match req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(o) => o,
        // Older browsers omit Origin on same-origin requests but send this.
        None if req.headers().get("sec-fetch-site").is_some_and(|v| v == "same-origin") => return Ok(()),
        None => return Err(forbidden("A request made with the session cookie must carry an Origin header")),
    };
    let conn = req.connection_info();
    let own = format!("{}://{}", conn.scheme(), conn.host());
    if origin == own || public_origin.is_some_and(|p| p.trim_end_matches('/') == origin) {
        Ok(())
    } else {
        Err(forbidden("Cross-site request refused"))
    }
}

/// A browser's sign-in from another site (login CSRF: signing the victim
/// into the attacker's account) is refused; clients without an `Origin`
/// (curl, servers) are not browsers and may sign in.
pub fn refuse_foreign_origin(req: &HttpRequest, public_origin: Option<&str>) -> Result<(), ApiError> {
    if req.headers().contains_key(header::ORIGIN) { check_same_origin(req, public_origin) } else { Ok(()) }
}

pub fn session_cookie(secret: String, state: &AppState) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.cookie_secure)
        .max_age(time::Duration::seconds(state.session_ttl.as_secs() as i64))
        .finish()
}

pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), state);
    c.make_removal();
    c
}
