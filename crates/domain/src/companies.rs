//! Companies: the tenants.

use inbox_types::{CompanyId, NumberRule};
use sqlx::PgExecutor;

use crate::error::{DomainError, DomainResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Company {
    pub id: uuid::Uuid,
    pub name: String,
    number_rule: String,
}

impl Company {
    /// Which typed numbers the company sends to.
    pub fn number_rule(&self) -> NumberRule {
        if self.number_rule == "possible" { NumberRule::Possible } else { NumberRule::Valid }
    }
}

pub async fn create(db: impl PgExecutor<'_>, name: &str) -> DomainResult<Company> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(DomainError::validation("name", "company name must be 1 to 200 characters"));
    }
    let company = sqlx::query_as("INSERT INTO companies (id, name) VALUES ($1, $2) RETURNING id, name, number_rule")
        .bind(CompanyId::new().0)
        .bind(name)
        .fetch_one(db)
        .await?;
    Ok(company)
}

pub async fn find(db: impl PgExecutor<'_>, id: CompanyId) -> DomainResult<Company> {
    sqlx::query_as("SELECT id, name, number_rule FROM companies WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?
        .ok_or(DomainError::NotFound("company"))
}

pub async fn find_by_name(db: impl PgExecutor<'_>, name: &str) -> DomainResult<Option<Company>> {
    Ok(sqlx::query_as("SELECT id, name, number_rule FROM companies WHERE name = $1 ORDER BY created_at LIMIT 1")
        .bind(name)
        .fetch_optional(db)
        .await?)
}

/// Which typed numbers the company sends to (see [`NumberRule`]).
pub async fn number_rule(db: impl PgExecutor<'_>, id: CompanyId) -> DomainResult<NumberRule> {
    Ok(find(db, id).await?.number_rule())
}

pub async fn set_number_rule(db: impl PgExecutor<'_>, id: CompanyId, rule: NumberRule) -> DomainResult<()> {
    let name = match rule {
        NumberRule::Valid => "valid",
        NumberRule::Possible => "possible",
    };
    let done = sqlx::query("UPDATE companies SET number_rule = $2, updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(name)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::NotFound("company"));
    }
    Ok(())
}
