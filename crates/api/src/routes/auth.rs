use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inbox_domain::provider::Dispatch;
use inbox_domain::users::{self, User};
use inbox_domain::{DomainError, auth as domain_auth, companies};
use inbox_types::ErrorBody;
use inbox_types::dto::{CompanyDto, LoginRequest, MeResponse, UserDto};

use crate::auth::{Auth, SESSION_COOKIE, expired_session_cookie, session_cookie};
use crate::error::{ApiError, ApiResult};
use crate::extract::json_body;
use crate::state::AppState;

pub(crate) fn user_dto(u: &User) -> UserDto {
    UserDto { id: u.id.0, name: u.display_name.clone(), email: u.email.clone(), role: u.role.as_str().to_owned() }
}

async fn me_of(state: &AppState, user: &User) -> ApiResult<MeResponse> {
    let company = companies::find(&state.db, user.company_id).await?;
    let number_rule = company.number_rule();
    Ok(MeResponse {
        user: user_dto(user),
        company: CompanyDto { id: company.id, name: company.name, number_rule },
        max_send_attempts: state.outbox.retry_policy().max_attempts,
    })
}

/// Sign in with email and password; sets the session cookie.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the `inbox_session` cookie is set", body = MeResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong email or password (the same answer for both)", body = ErrorBody),
        (status = 403, description = "Sign-in from another site refused", body = ErrorBody),
        (status = 422, description = "Email or password missing", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    ),
    security(())
)]
#[post("/api/auth/login")]
pub async fn login(req: HttpRequest, state: web::Data<AppState>, body: web::Payload) -> ApiResult<HttpResponse> {
    crate::auth::refuse_foreign_origin(&req, state.public_origin.as_deref())?;
    let LoginRequest { email, password } = json_body(&req, body).await?;
    if email.trim().is_empty() {
        return Err(DomainError::validation("email", "email is required").into());
    }
    if password.is_empty() {
        return Err(DomainError::validation("password", "password is required").into());
    }
    let ip = req.connection_info().realip_remote_addr().unwrap_or("unknown").to_owned();
    for key in [format!("login:{}", email.trim().to_lowercase()), format!("login-ip:{ip}")] {
        state.login_limiter.check(&key).map_err(|retry_after_secs| DomainError::RateLimited { retry_after_secs })?;
    }
    let user = domain_auth::login(&state.db, &email, &password).await?;
    let secret = domain_auth::create_session(&state.db, &user, state.session_ttl).await?;
    let profile = me_of(&state, &user).await?;
    tracing::info!(user_id = %user.id, company_id = %user.company_id, "signed in");
    Ok(HttpResponse::Ok().cookie(session_cookie(secret, &state)).json(profile))
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out (also when there was no session)"),
        (status = 403, description = "Cross-site request refused", body = ErrorBody),
    ),
    security(())
)]
#[post("/api/auth/logout")]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        crate::auth::check_same_origin(&req, state.public_origin.as_deref())?;
        domain_auth::delete_session(&state.db, cookie.value()).await?;
    }
    Ok(HttpResponse::NoContent().cookie(expired_session_cookie(&state)).finish())
}

/// The signed-in user and their company.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/auth/me")]
pub async fn me(auth: Auth, state: web::Data<AppState>) -> ApiResult<web::Json<MeResponse>> {
    let user = users::find(&state.db, auth.0.company_id, auth.0.user_id).await.map_err(|e| match e {
        DomainError::NotFound(_) => ApiError::Domain(DomainError::Unauthorized("Sign in again".into())),
        other => other.into(),
    })?;
    Ok(web::Json(me_of(&state, &user).await?))
}
