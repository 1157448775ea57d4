//! Who is calling: agents' browser sessions and integrators' API tokens.
//! Secrets are random; only their SHA-256 is stored.

use std::sync::LazyLock;
use std::time::Duration;

use inbox_types::{ApiTokenId, CompanyId, UserId};
use sqlx::PgPool;

use crate::error::{DomainError, DomainResult};
use crate::users::{self, Password, User, token_hash};

/// Who is sending: the user behind the session or API token (for the audit
/// columns), within their company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub company_id: CompanyId,
    pub user_id: Option<UserId>,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Session,
    Token(ApiTokenId),
}

/// The authenticated caller. The company always comes from here, never from
/// a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub credential: Credential,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor { company_id: self.company_id, user_id: Some(self.user_id) }
    }
}

fn invalid_login() -> DomainError {
    DomainError::Unauthorized("Invalid email or password".into())
}

/// A hash that no password matches, verified when the email is unknown so
/// that an unknown email and a wrong password take about the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    users::hash_password(&Password::new("no-password-matches-this").expect("valid")).expect("argon2 works")
});

/// Checks an email and password. An email may exist in several companies;
/// the first active user whose password matches signs in.
#[tracing::instrument(skip(db, password))]
pub async fn login(db: &PgPool, email: &str, password: &str) -> DomainResult<User> {
    if email.contains('\0') {
        return Err(invalid_login());
    }
    let candidates: Vec<(User, String)> = {
        let users = users::find_by_email(db, email).await?;
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user.id.0)
                .fetch_one(db)
                .await?;
            out.push((user, hash));
        }
        out
    };
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let matched = tokio::task::spawn_blocking(move || {
        if candidates.is_empty() {
            users::verify_password(&password, &DUMMY_HASH);
            return None;
        }
        candidates.into_iter().find(|(_, hash)| users::verify_password(&password, hash)).map(|(u, _)| u)
    })
    .await
    .map_err(DomainError::internal)?;
    matched.ok_or_else(invalid_login)
}

/// Starts a browser session; the returned secret goes into the cookie.
pub async fn create_session(db: &PgPool, user: &User, ttl: Duration) -> DomainResult<String> {
    let secret = users::random_secret("");
    sqlx::query(
        "INSERT INTO sessions (token_hash, company_id, user_id, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(token_hash(&secret))
    .bind(user.company_id.0)
    .bind(user.id.0)
    .bind(ttl.as_secs_f64())
    .execute(db)
    .await?;
    Ok(secret)
}

/// The caller behind a session cookie, if the session is live and its user
/// still active.
pub async fn session_principal(db: &PgPool, secret: &str) -> DomainResult<Principal> {
    let row: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
        "SELECT s.company_id, s.user_id FROM sessions s \
           JOIN users u ON u.company_id = s.company_id AND u.id = s.user_id AND u.is_active \
          WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(token_hash(secret))
    .fetch_optional(db)
    .await?;
    let (company, user) =
        row.ok_or_else(|| DomainError::Unauthorized("Your session has expired; sign in again".into()))?;
    Ok(Principal { company_id: CompanyId(company), user_id: UserId(user), credential: Credential::Session })
}

/// Ends a session (logout). Unknown sessions are already ended.
pub async fn delete_session(db: &PgPool, secret: &str) -> DomainResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(secret)).execute(db).await?;
    Ok(())
}

/// The caller behind a bearer token, recording when it was last used (at
/// most once a minute: a read must not cost a write and a commit, and an
/// integrator's parallel requests must not queue on the token's row lock).
pub async fn token_principal(db: &PgPool, secret: &str) -> DomainResult<Principal> {
    let hash = token_hash(secret);
    let row: Option<(uuid::Uuid, uuid::Uuid, uuid::Uuid, bool)> = sqlx::query_as(
        "SELECT t.id, t.company_id, t.user_id, \
                t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' \
           FROM api_tokens t JOIN users u ON u.company_id = t.company_id AND u.id = t.user_id AND u.is_active \
          WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let (id, company, user, stale) =
        row.ok_or_else(|| DomainError::Unauthorized("Invalid or revoked API token".into()))?;
    if stale {
        // Concurrent requests may all see it stale; the condition lets one write.
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = now() \
              WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        )
        .bind(id)
        .execute(db)
        .await?;
    }
    Ok(Principal {
        company_id: CompanyId(company),
        user_id: UserId(user),
        credential: Credential::Token(ApiTokenId(id)),
    })
}

/// Revokes one of the company's tokens.
pub async fn revoke_token(db: &PgPool, company_id: CompanyId, id: ApiTokenId) -> DomainResult<()> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE company_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(company_id.0)
    .bind(id.0)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound("token"));
    }
    Ok(())
}

/// Deletes expired sessions; returns how many.
pub async fn purge_expired_sessions(db: &PgPool) -> DomainResult<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= now()").execute(db).await?.rows_affected())
}
