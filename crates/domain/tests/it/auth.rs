//! Sessions and API tokens.

use std::time::Duration;

use inbox_domain::auth::{self, Credential};
use inbox_domain::users;
use inbox_types::ErrorCode;
use sqlx::PgPool;

use crate::common::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn login_accepts_the_right_password_and_nothing_else(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let user = auth::login(&db, "AGENT@acme.test ", "password-123").await.unwrap();
    assert_eq!(user.id, t.agent.id);
    for (email, password) in [("agent@acme.test", "wrong"), ("nobody@acme.test", "password-123"), ("", "")] {
        let e = auth::login(&db, email, password).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert_eq!(e.to_string(), "Invalid email or password", "the same answer for every failure");
    }
    sqlx::query("UPDATE users SET is_active = false").execute(&db).await.unwrap();
    assert!(auth::login(&db, "agent@acme.test", "password-123").await.is_err(), "inactive users cannot sign in");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_session_names_its_user_and_company_until_it_ends(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let secret = auth::create_session(&db, &t.agent, Duration::from_secs(3600)).await.unwrap();
    let p = auth::session_principal(&db, &secret).await.unwrap();
    assert_eq!((p.company_id, p.user_id, p.credential), (t.company, t.agent.id, Credential::Session));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_one(&db).await.unwrap();
    assert_eq!(stored, users::token_hash(&secret), "only the hash is stored");

    auth::delete_session(&db, &secret).await.unwrap();
    assert_eq!(auth::session_principal(&db, &secret).await.unwrap_err().code(), ErrorCode::Unauthorized);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_expired_session_is_refused_and_purged(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let secret = auth::create_session(&db, &t.agent, Duration::from_secs(3600)).await.unwrap();
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'").execute(&db).await.unwrap();
    assert!(auth::session_principal(&db, &secret).await.is_err());
    assert_eq!(auth::purge_expired_sessions(&db).await.unwrap(), 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_token_works_until_revoked_and_only_for_its_company(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let token = users::create_token(&db, &a.agent, "crm").await.unwrap();
    let p = auth::token_principal(&db, &token.secret).await.unwrap();
    assert_eq!((p.company_id, p.credential), (a.company, Credential::Token(token.id)));
    assert_eq!(auth::revoke_token(&db, b.company, token.id).await.unwrap_err().code(), ErrorCode::NotFound);
    auth::revoke_token(&db, a.company, token.id).await.unwrap();
    assert_eq!(auth::token_principal(&db, &token.secret).await.unwrap_err().code(), ErrorCode::Unauthorized);
    assert!(auth::token_principal(&db, "inbox_made_up").await.is_err());
}
