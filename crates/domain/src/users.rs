//! Users (agents and admins of a company), their passwords, and integrators'
//! API tokens.

use std::fmt;
use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use inbox_types::{ApiTokenId, CompanyId, UserId};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};

use crate::error::{DomainError, DomainResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }
}

impl FromStr for Role {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "agent" => Ok(Self::Agent),
            other => Err(DomainError::validation("role", format!("role must be admin or agent (got {other:?})"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub is_active: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: uuid::Uuid,
    company_id: uuid::Uuid,
    email: String,
    display_name: String,
    role: String,
    is_active: bool,
}

impl TryFrom<UserRow> for User {
    type Error = DomainError;

    fn try_from(r: UserRow) -> DomainResult<User> {
        Ok(User {
            id: UserId(r.id),
            company_id: CompanyId(r.company_id),
            email: r.email,
            display_name: r.display_name,
            role: r.role.parse()?,
            is_active: r.is_active,
        })
    }
}

/// A password as typed. `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;

    pub fn new(s: impl Into<String>) -> DomainResult<Self> {
        let s = s.into();
        let n = s.chars().count();
        if !(Self::MIN_CHARS..=1024).contains(&n) {
            return Err(DomainError::validation(
                "password",
                format!("password must be {} to 1024 characters", Self::MIN_CHARS),
            ));
        }
        Ok(Self(s))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Hashes with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane,
/// OWASP's recommended minimum) and a random salt, as a PHC string.
pub fn hash_password(password: &Password) -> DomainResult<String> {
    Argon2::default()
        .hash_password(password.0.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| DomainError::internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn normalise_email(email: &str) -> DomainResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(DomainError::validation("email", "email must look like name@example.com"));
    }
    Ok(email)
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: Password,
    pub role: Role,
}

pub async fn create(db: &PgPool, company_id: CompanyId, new: NewUser<'_>) -> DomainResult<User> {
    let email = normalise_email(new.email)?;
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(DomainError::validation("name", "name must be 1 to 200 characters"));
    }
    let hash = hash_password(&new.password)?;
    let row: UserRow = sqlx::query_as(
        "INSERT INTO users (id, company_id, email, display_name, password_hash, role) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, company_id, email, display_name, role, is_active",
    )
    .bind(UserId::new().0)
    .bind(company_id.0)
    .bind(&email)
    .bind(name)
    .bind(&hash)
    .bind(new.role.as_str())
    .fetch_one(db)
    .await
    .map_err(|e| match crate::error::violated_constraint(&e) {
        Some("users_email_per_company") => DomainError::Conflict {
            message: format!("a user with email {email} exists already in this company"),
            existing_message_id: None,
        },
        Some(c) if c.contains("company") => DomainError::NotFound("company"),
        _ => e.into(),
    })?;
    row.try_into()
}

/// The company's users, for assignment.
pub async fn list(db: impl PgExecutor<'_>, company_id: CompanyId) -> DomainResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, company_id, email, display_name, role, is_active FROM users \
         WHERE company_id = $1 AND is_active ORDER BY display_name, id",
    )
    .bind(company_id.0)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(User::try_from).collect()
}

pub async fn find(db: impl PgExecutor<'_>, company_id: CompanyId, id: UserId) -> DomainResult<User> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, company_id, email, display_name, role, is_active FROM users WHERE company_id = $1 AND id = $2",
    )
    .bind(company_id.0)
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    row.ok_or(DomainError::NotFound("user"))?.try_into()
}

/// Active users with this email, in every company (an email is unique per
/// company only).
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> DomainResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, company_id, email, display_name, role, is_active FROM users \
         WHERE email = $1 AND is_active ORDER BY created_at",
    )
    .bind(email.trim().to_lowercase())
    .fetch_all(db)
    .await?;
    rows.into_iter().map(User::try_from).collect()
}

/// A new API token. `secret` is shown once; only its SHA-256 is stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: ApiTokenId,
    pub secret: String,
}

const TOKEN_PREFIX: &str = "inbox_";

pub fn token_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub async fn create_token(db: impl PgExecutor<'_>, user: &User, label: &str) -> DomainResult<IssuedToken> {
    if label.chars().count() > 200 {
        return Err(DomainError::validation("label", "label must be at most 200 characters"));
    }
    let secret = random_secret(TOKEN_PREFIX);
    let id = ApiTokenId::new();
    sqlx::query("INSERT INTO api_tokens (id, company_id, user_id, label, token_hash) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.0)
        .bind(user.company_id.0)
        .bind(user.id.0)
        .bind(label)
        .bind(token_hash(&secret))
        .execute(db)
        .await?;
    Ok(IssuedToken { id, secret })
}

/// 32 random bytes as hex after `prefix`: session cookies and API tokens.
pub(crate) fn random_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_are_argon2id_and_verify() {
        let p = Password::new("correct horse").unwrap();
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn short_passwords_and_bad_emails_are_rejected() {
        assert_eq!(Password::new("short").unwrap_err().code(), inbox_types::ErrorCode::ValidationError);
        assert!(normalise_email("not-an-email").is_err());
        assert_eq!(normalise_email(" Ana@Demo.Test ").unwrap(), "ana@demo.test");
    }
}
